"""The Dockerfile's image, proved without a Docker daemon.

Reproduces the build stage from exactly the files it copies, in a clean folder, with the
same `swift build` line (only `/out` moved into the folder, and `-c release` left out: an
optimised build takes ten minutes and more on two cores, while the files, packages, flags
and linking it proves are the same; `MORPHIC_DOCKER_RELEASE=1` builds exactly as written);
lays out the runtime stage's
working folder from its COPY lines; runs the binary's `morphic serve` there, as the image's
ENTRYPOINT and CMD do, with a health check and the page and API description; and checks
that every library the binary loads (`ldd`) comes from a package the runtime stage installs,
one of their dependencies, or one the `debian:bookworm-slim` base has (the Priority: required
packages and their dependencies).

    python3 Tests/deploy/test_docker_build.py
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


def stages(path):
    """The Dockerfile's stages: each a list of (instruction, argument), continuation lines joined."""
    text = open(path).read().replace("\\\n", " ")
    result = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, argument = line.partition(" ")
        instruction = instruction.upper()
        if instruction == "FROM":
            result.append([])
        result[-1].append((instruction, argument.strip()))
    return result


def copy_into(folder, argument):
    """Carries out `COPY SRC... DST` (relative to the build context) into `folder`."""
    parts = argument.split()
    assert not any(p.startswith("--") for p in parts), f"COPY {argument}: flags are not reproduced here"
    *sources, destination = parts
    for source in sources:
        origin = os.path.join(ROOT, source)
        assert os.path.exists(origin), f"COPY {source}: not in the repository"
        target = os.path.join(folder, destination)
        if os.path.isdir(origin):
            shutil.copytree(origin, target if not destination.endswith("/") else os.path.join(target, os.path.basename(source)))
        else:
            os.makedirs(target if destination.endswith("/") else os.path.dirname(target), exist_ok=True)
            shutil.copy(origin, target)


def apt_packages(run):
    match = re.search(r"apt-get install[^&;]*", run)
    return [w for w in match.group(0).split()[2:] if not w.startswith("-")] if match else []


def package_of(library):
    output = subprocess.run(["dpkg", "-S", library], capture_output=True, text=True).stdout
    if not output:
        real = os.path.realpath(library)
        output = subprocess.run(["dpkg", "-S", real], capture_output=True, text=True).stdout
    return output.split(":")[0] if output else None


def dependencies(packages):
    """`packages` and everything they depend on, recursively."""
    output = subprocess.run(
        ["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts",
         "--no-breaks", "--no-replaces", "--no-enhances", *packages],
        capture_output=True, text=True).stdout
    found = set(packages)
    for line in output.splitlines():
        line = line.strip()
        if line.startswith(("Depends:", "PreDepends:")):
            found.add(line.split(":", 1)[1].strip().strip("<>").split(":")[0])
        elif line and not line.startswith(("|", "<")) and ":" not in line:
            found.add(line)
    return found


def main():
    build, runtime = stages(os.path.join(ROOT, "Dockerfile"))
    work = tempfile.mkdtemp(prefix="morphic-docker-")
    server = None
    try:
        source = os.path.join(work, "src")
        out = os.path.join(work, "out")
        os.makedirs(source)
        swift_line = None
        for instruction, argument in build:
            if instruction == "WORKDIR":
                assert argument == "/src", "the build stage works in /src"
            elif instruction == "COPY":
                copy_into(source, argument)
            elif instruction == "RUN" and "swift build" in argument:
                swift_line = argument
            elif instruction == "RUN":
                missing = [p for p in apt_packages(argument)
                           if subprocess.run(["dpkg", "-s", p], capture_output=True).returncode != 0]
                assert not missing, f"the build stage installs {missing}, which this machine lacks"
        assert swift_line, "the build stage has no swift build line"
        line = swift_line.replace("/out/", out + "/")
        if os.environ.get("MORPHIC_DOCKER_RELEASE") != "1":
            assert line.count(" -c release") == 2, f"the build line no longer builds and installs a release: {line}"
            line = line.replace(" -c release", "")
        print(f"docker: {line}", flush=True)
        started = time.time()
        subprocess.run(["bash", "-ec", line], cwd=source, check=True)
        binary = os.path.join(out, "morphic")
        assert os.access(binary, os.X_OK), "the build stage left no /out/morphic"
        print(f"docker: build stage done in {time.time() - started:.0f} s", flush=True)

        # The runtime stage's libraries.
        runtime_packages = []
        workdir = None
        environment = {}
        for instruction, argument in runtime:
            if instruction == "RUN":
                runtime_packages += apt_packages(argument)
            elif instruction == "WORKDIR":
                workdir = os.path.join(work, "srv")
                os.makedirs(workdir, exist_ok=True)
            elif instruction == "COPY" and not argument.startswith("--from"):
                copy_into(workdir, argument)
            elif instruction == "ENV":
                for pair in argument.split():
                    key, _, value = pair.partition("=")
                    environment[key] = value
        ldd = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
        assert "not found" not in ldd, ldd
        libraries = [m.group(1) for m in re.finditer(r"=> (/\S+)", ldd)]
        # debian:bookworm-slim holds the Priority: required packages and what they depend on
        # (apt's libstdc++6, say).
        listed = subprocess.run(["dpkg-query", "-W", "-f=${Package} ${Priority}\n"],
                                capture_output=True, text=True, check=True).stdout.split("\n")
        base = dependencies([line.split()[0] for line in listed if line.endswith(" required")])
        allowed = dependencies(runtime_packages)
        for library in libraries:
            package = package_of(library)
            assert package, f"{library}: no Debian package provides it"
            package = package.split(":")[0]
            assert package in allowed or package in base, (
                f"{library} comes from {package}, which the runtime stage does not install "
                f"({' '.join(runtime_packages)}) and debian:bookworm-slim does not have")
        print(f"docker: {len(libraries)} libraries, all from {' '.join(runtime_packages)}, their dependencies or the base",
              flush=True)

        # `morphic serve` as the image runs it: from its working folder, with its ENV, but on
        # loopback, a free port and a folder of the test's.
        assert environment.get("MORPHIC_DATA_DIR") == "/data"
        env = {k: v for k, v in os.environ.items() if not k.startswith("MORPHIC_")}
        env.update(environment)
        env.update({"MORPHIC_HOST": "127.0.0.1", "MORPHIC_PORT": "0", "MORPHIC_DATA_DIR": os.path.join(work, "data")})
        server = subprocess.Popen([binary, "serve"], cwd=workdir, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True)
        port = None
        deadline = time.time() + 30
        while port is None and time.time() < deadline:
            line = server.stdout.readline()
            match = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
            if match:
                port = int(match.group(1))
        assert port, "the server did not say where it listens"
        base = f"http://127.0.0.1:{port}"
        health = json.load(urllib.request.urlopen(base + "/healthz", timeout=10))
        assert health == {"status": "ok"}, health
        page = urllib.request.urlopen(base + "/", timeout=10)
        assert page.status == 200 and b"<html" in page.read().lower()
        spec = json.load(urllib.request.urlopen(base + "/openapi.json", timeout=10))
        assert "paths" in spec
        print("docker: morphic serve answers /healthz, / and /openapi.json", flush=True)
    finally:
        if server:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
    print("docker: ok")
