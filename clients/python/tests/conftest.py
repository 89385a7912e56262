"""A live `morphic serve` for the client's tests, started on a free loopback port in a
temporary data folder and stopped afterwards.

    pytest clients/python/tests --morphic .build/debug/morphic
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import time
import urllib.request
from typing import Any, Dict, Iterator, List, Optional

import pytest

import morphiclab

TOKEN = "a-token-of-more-than-sixteen-characters"


def pytest_addoption(parser: Any) -> None:
    parser.addoption("--morphic", default=os.environ.get("MORPHIC_BINARY"),
                     help="the morphic binary to test against (or MORPHIC_BINARY)")


def pytest_collection_finish(session: Any) -> None:
    # Running no test must not pass for a run of the suite.
    if not session.items and not session.config.option.collectonly:
        raise pytest.UsageError("no tests collected")
    path = session.config.getoption("--morphic")
    if not path or not os.access(path, os.X_OK):
        raise pytest.UsageError(f"give the morphic binary to test against: --morphic PATH (not {path!r})")


class Server:
    """A `morphic serve` process on a free loopback port."""

    def __init__(self, binary: str, data: str, config: Dict[str, Any]) -> None:
        self.binary = binary
        self.data = data
        os.makedirs(data, exist_ok=True)
        self.config_path = os.path.join(data, "..", os.path.basename(data) + "-config.json")
        with open(self.config_path, "w") as file:
            json.dump(config, file)
        self.process: Optional[subprocess.Popen[str]] = None
        self.url = ""
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "serve", "--config", self.config_path, "--host", "127.0.0.1", "--port", "0",
             "--data-dir", self.data, "--workers", "2"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            env={k: v for k, v in os.environ.items() if not k.startswith("MORPHIC_")})
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if "listening on " not in line:
            self.stop()
            raise RuntimeError(f"morphic serve did not start: {line!r}")
        self.url = line.split("listening on ", 1)[1].split()[0]
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=2).read()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def archive(self, sweep_id: str) -> str:
        """Where the server keeps a sweep's archive."""
        return os.path.join(self.data, "sweeps", sweep_id, "dataset.tar.gz")

    def stop(self, kill: bool = False) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.process = None


@pytest.fixture(scope="session")
def binary(pytestconfig: Any) -> str:
    path = pytestconfig.getoption("--morphic")
    if not path or not os.access(path, os.X_OK):
        raise pytest.UsageError(f"give the morphic binary: --morphic PATH (not {path!r})")
    return os.path.abspath(path)


@pytest.fixture(scope="session")
def root() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="morphiclab-tests-") as folder:
        yield folder


@pytest.fixture(scope="session")
def server(binary: str, root: str) -> Iterator[Server]:
    process = Server(binary, os.path.join(root, "data"), {"api_token": None})
    yield process
    process.stop()


@pytest.fixture(scope="session")
def token_server(binary: str, root: str) -> Iterator[Server]:
    process = Server(binary, os.path.join(root, "token-data"), {"api_token": TOKEN})
    yield process
    process.stop()


@pytest.fixture
def client(server: Server, tmp_path: Any) -> morphiclab.Client:
    return morphiclab.Client(server.url, cache_dir=str(tmp_path / "cache"))


def tiny(name: str, **changes: Any) -> Dict[str, Any]:
    """A small definition: classical controls and a morphic grid over two parameters."""
    definition: Dict[str, Any] = {
        "name": name, "seed": 7, "defaults": {"generations": 30, "grid_size": 12},
        "groups": [
            {"prefix": "control", "mode": "classical", "replicates": 4},
            {"prefix": "morphic", "mode": "morphic", "replicates": 2,
             "grid": {"field_strength": [0.3, 0.9], "temporal_decay": [0.0, 0.5]}},
        ],
    }
    definition.update(changes)
    return definition


def morphic_sweep(binary: str, definition: Dict[str, Any], folder: str) -> str:
    """`morphic sweep` of a definition into `folder`; returns the folder."""
    path = folder + ".json"
    with open(path, "w") as file:
        json.dump(definition, file)
    subprocess.run([binary, "sweep", path, "--output", folder, "--quiet"], check=True, timeout=600)
    return folder


def ids(runs: List[Dict[str, Any]]) -> List[str]:
    return [run["run_id"] for run in runs]
