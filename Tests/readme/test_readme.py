"""The README's shell and curl lines, run in order as a new user would.

Copies the repository's tracked files into a fresh folder, starts `morphic serve` there on a
free loopback port, and runs every line of every ```sh block (continuations joined), one by
one, from that folder, adapting only the port (http://127.0.0.1:8080) and where the binary
is ($PWD/.build/release). `morphic` is not on the PATH until the README's own line puts it
there. A block is left out only when the line before it says why
(`<!-- readme-test: skip (...) -->`). curl is run with --fail-with-body, so an error status
fails the line; a line that downloads a dataset first polls, as the README says to, until
the sweep has completed. Also checked: the server prints the README's curl lines, and the
definition the README shows is Config/sweeps/seed.json.

    python3 Tests/readme/test_readme.py .build/debug/morphic
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCUMENTED_URL = "http://127.0.0.1:8080"
DOCUMENTED_BINARIES = "$PWD/.build/release"


def blocks(text):
    """The README's ```sh blocks that are run: lists of logical lines (continuations joined)."""
    lines = text.splitlines()
    found = []
    index = 0
    while index < len(lines):
        if lines[index].strip() == "```sh":
            previous = next((l.strip() for l in reversed(lines[:index]) if l.strip()), "")
            body = []
            index += 1
            while lines[index].strip() != "```":
                body.append(lines[index].strip())
                index += 1
            if not previous.startswith("<!-- readme-test: skip"):
                logical = []
                for line in body:
                    if logical and logical[-1].endswith("\\"):
                        logical[-1] = logical[-1][:-1].rstrip() + " " + line
                    elif line and not line.startswith("#"):
                        logical.append(line)
                found.append(logical)
        index += 1
    return found


def fresh_copy(folder):
    listed = subprocess.run(["git", "-C", ROOT, "ls-files"], capture_output=True, text=True)
    if listed.returncode == 0 and listed.stdout:
        for name in listed.stdout.splitlines():
            source = os.path.join(ROOT, name)
            if not os.path.isfile(source):
                continue
            target = os.path.join(folder, name)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copy2(source, target)
    else:
        for name in ["Config", "Public"]:
            shutil.copytree(os.path.join(ROOT, name), os.path.join(folder, name))


def wait_completed(url, timeout=300):
    match = re.search(r"(http://[^ ]+/api/sweeps/[^/ ]+)/", url)
    deadline = time.time() + timeout
    while time.time() < deadline:
        status = json.load(urllib.request.urlopen(match.group(1), timeout=10))["status"]
        if status in ("completed", "failed", "cancelled"):
            assert status == "completed", f"{match.group(1)} ended {status}"
            return
        time.sleep(0.3)
    raise AssertionError(f"{match.group(1)} did not complete in {timeout} s")


def main(binary):
    binary = os.path.abspath(binary)
    readme = open(os.path.join(ROOT, "README.md")).read()
    work = tempfile.mkdtemp(prefix="morphic-readme-")
    server = None
    try:
        clone = os.path.join(work, "clone")
        os.makedirs(clone)
        fresh_copy(clone)
        binaries = os.path.join(work, "bin")
        os.makedirs(binaries)
        os.symlink(binary, os.path.join(binaries, "morphic"))
        tools = os.path.join(work, "tools")
        os.makedirs(tools)
        with open(os.path.join(tools, "curl"), "w") as shim:
            shim.write(f'#!/bin/sh\nexec {shutil.which("curl")} --fail-with-body "$@"\n')
        os.chmod(os.path.join(tools, "curl"), 0o755)
        environment = {k: v for k, v in os.environ.items() if not k.startswith("MORPHIC_")}
        environment["PATH"] = tools + ":" + ":".join(
            p for p in environment["PATH"].split(":") if not os.path.isfile(os.path.join(p, "morphic")))

        # The server as the README starts it: from the clone, on its defaults but the port.
        server = subprocess.Popen([binary, "serve", "--port", "0", "--data-dir", os.path.join(work, "data")],
                                  cwd=clone, env=environment, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                  text=True)
        printed = []
        url = None
        deadline = time.time() + 30
        while time.time() < deadline:
            line = server.stdout.readline()
            if not line:
                break
            printed.append(line.rstrip("\n"))
            url = url or (re.search(r"listening on (http://127\.0\.0\.1:\d+)", line) or [None, None])[1]
            if "dataset.tar.gz" in line:
                break
        assert url, "the server did not say where it listens:\n" + "\n".join(printed)
        tested = blocks(readme)
        documented = [l for block in tested for l in block if l.startswith("curl") and "--data @Config" in l or
                      (l.startswith("curl") and "seed.tar.gz" in l)]
        for line in documented:
            shown = line.replace(DOCUMENTED_URL, url)
            assert any(p.strip() == shown for p in printed), (
                f"the server does not print the README's line\n  {shown}\nbut\n" + "\n".join(printed))

        ran = 0
        for block in tested:
            for line in block:
                adapted = line.replace(DOCUMENTED_URL, url).replace(DOCUMENTED_BINARIES, binaries)
                if adapted.startswith("curl") and re.search(r"/(dataset\.tar\.gz|manifest\.json|runs)", adapted):
                    wait_completed(re.search(r"http://\S+", adapted).group(0))
                export = re.match(r"export (\w+)=(.*)$", adapted)
                started = time.time()
                if export:
                    value = subprocess.run(["bash", "-c", f'{adapted}; printf %s "${export.group(1)}"'],
                                           cwd=clone, env=environment, capture_output=True, text=True, check=True)
                    environment[export.group(1)] = value.stdout
                    result = value
                else:
                    result = subprocess.run(["bash", "-ec", adapted], cwd=clone, env=environment,
                                            capture_output=True, text=True, timeout=900)
                assert result.returncode == 0, (
                    f"README line failed ({result.returncode}):\n  {line}\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
                print(f"readme: ok ({time.time() - started:.1f} s)  {line[:110]}", flush=True)
                ran += 1
        assert ran >= 10, f"only {ran} lines ran"

        # What the lines left is what they say.
        assert subprocess.run(["tar", "tzf", os.path.join(clone, "seed.tar.gz")], capture_output=True).returncode == 0
        for name in ["runs/demo.json", "dataset/morphic_7.json", "m7.npz", "merged/manifest.json"]:
            assert os.path.isfile(os.path.join(clone, name)), name
        for name in os.listdir(os.path.join(clone, "dataset")):
            if name.endswith(".json") and name != "definition.json":
                assert open(os.path.join(clone, "dataset", name), "rb").read() == \
                    open(os.path.join(clone, "merged", name), "rb").read(), name

        # The definition the README shows is the file it names.
        shown = re.search(r"A sweep definition \(`Config/sweeps/seed.json`.*?```json\n(.*?)```", readme, re.S)
        assert shown and json.loads(shown.group(1)) == json.load(open(os.path.join(ROOT, "Config/sweeps/seed.json")))
        print(f"readme: {ran} lines ran: ok")

        # Started from any folder, the server finds its page next to its binary (here the
        # clone's .build), or says where it looked.
        elsewhere = os.path.join(work, "elsewhere")
        os.makedirs(elsewhere)
        lone = os.path.join(work, "lone")
        os.makedirs(lone)
        shutil.copy2(binary, os.path.join(lone, "morphic"))
        for executable, finds in [(binary, True), (os.path.join(lone, "morphic"), False)]:
            other = subprocess.Popen([executable, "serve", "--port", "0", "--data-dir", os.path.join(work, "data2")],
                                     cwd=elsewhere, env=environment, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
            try:
                lines = [other.stdout.readline() for _ in range(2)]
                base = re.search(r"(http://127\.0\.0\.1:\d+)", lines[0]).group(1)
                if finds:
                    assert "Browser page and /openapi.json from" in lines[1], lines
                    assert urllib.request.urlopen(base + "/openapi.json", timeout=10).status == 200
                    assert urllib.request.urlopen(base + "/", timeout=10).status == 200
                else:
                    assert "No browser page: openapi.json not found in " + elsewhere + "/Public" in lines[1], lines
                    assert "MORPHIC_PUBLIC_DIR" in lines[1], lines
            finally:
                other.send_signal(signal.SIGTERM)
                other.wait(timeout=30)
        print("readme: the page is found from any folder, or the server says where it looked: ok")
    finally:
        if server:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build/debug/morphic"))
