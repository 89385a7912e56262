"""Tokens, and a server that goes away or is not there."""
from __future__ import annotations

import http.server
import os
import socket
import threading
import time
from typing import Any

import pytest

import morphiclab
from conftest import TOKEN, Server, tiny


def test_a_token_server_refuses_changes_without_the_token(token_server: Server, monkeypatch: Any) -> None:
    monkeypatch.delenv("MORPHIC_API_TOKEN", raising=False)
    for token in (None, "wrong-" + TOKEN, TOKEN[:-1], TOKEN + "x", TOKEN.upper()):
        with pytest.raises(morphiclab.Unauthorized) as caught:
            morphiclab.Client(token_server.url, token=token).submit(tiny("token"))
        assert caught.value.status == 401 and "Bearer" in caught.value.message
    sweep = morphiclab.Client(token_server.url, token=TOKEN).submit(tiny("token"))
    # Reading needs no token; cancelling does.
    anonymous = morphiclab.Client(token_server.url)
    assert anonymous.sweep(sweep.id).status().id == sweep.id
    with pytest.raises(morphiclab.Unauthorized):
        anonymous.sweep(sweep.id).cancel()
    # The token from the environment.
    monkeypatch.setenv("MORPHIC_API_TOKEN", TOKEN)
    from_environment = morphiclab.Client(token_server.url)
    assert from_environment.submit(tiny("token")).id == sweep.id
    from_environment.sweep(sweep.id).wait(progress=False)
    # An explicit token wins over the environment's.
    with pytest.raises(morphiclab.Unauthorized):
        morphiclab.Client(token_server.url, token="another-token-entirely").sweep(sweep.id).delete()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_no_server_is_unavailable_after_the_retries() -> None:
    client = morphiclab.Client(f"http://127.0.0.1:{free_port()}", retries=3, backoff=0.05)
    start = time.monotonic()
    with pytest.raises(morphiclab.ServerUnavailable, match="after 4 attempts"):
        client.submit(tiny("nobody"))
    # Backoff 0.05, 0.1, 0.2 s (± a quarter): tried again, not forever.
    assert 0.25 < time.monotonic() - start < 10


def test_a_server_that_goes_away_mid_wait_is_unavailable_not_a_hang(binary: str, root: str) -> None:
    server = Server(binary, os.path.join(root, "going-away"), {"api_token": None})
    try:
        client = morphiclab.Client(server.url, retries=2, backoff=0.1, timeout=5)
        sweep = client.submit(tiny("going-away", defaults={"generations": 3000, "grid_size": 64},
                                   groups=[{"prefix": "morphic", "mode": "morphic", "replicates": 200}]))
        killer = threading.Timer(1.0, server.stop, kwargs={"kill": True})
        killer.start()
        start = time.monotonic()
        with pytest.raises(morphiclab.ServerUnavailable, match="cannot reach"):
            sweep.wait(progress=False, poll=0.1)
        assert time.monotonic() - start < 30
        killer.join()
        # Restarted, the server resumes the sweep, and waiting again follows it.
        server.start()
        client = morphiclab.Client(server.url)
        assert client.sweep(sweep.id).status().state in ("queued", "running")
        client.sweep(sweep.id).cancel()
    finally:
        server.stop()


def test_a_server_that_stops_answering_is_unavailable(tmp_path: Any) -> None:
    # A listener that accepts and never answers: each attempt times out.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    try:
        client = morphiclab.Client(f"http://127.0.0.1:{listener.getsockname()[1]}", retries=1, backoff=0.05,
                                   timeout=0.5)
        start = time.monotonic()
        with pytest.raises(morphiclab.ServerUnavailable):
            client.sweep("anything")
        assert time.monotonic() - start < 10
    finally:
        listener.close()


class _Answering(http.server.BaseHTTPRequestHandler):
    """Answers every request 200 with the JSON the test sets: a server that is no MorphicLab's."""

    body = b"[]"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    do_GET = do_POST = _answer

    def log_message(self, *args: Any) -> None:
        pass


@pytest.mark.parametrize("body", [b"[]", b"5", b'"text"', b'{"detail": "not here"}'])
def test_an_answer_of_another_shape_is_a_morphic_error(body: bytes) -> None:
    handler = type("Handler", (_Answering,), {"body": body})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        client = morphiclab.Client(f"http://127.0.0.1:{server.server_address[1]}", retries=0)
        with pytest.raises(morphiclab.MorphicError, match="MorphicLab server"):
            client.submit({"groups": [{"prefix": "a"}]})
        with pytest.raises(morphiclab.MorphicError, match="MorphicLab server"):
            client.sweep("anything")
        with pytest.raises(morphiclab.MorphicError, match="MorphicLab server"):
            list(client.sweeps())
        with pytest.raises(morphiclab.MorphicError, match="MorphicLab server"):
            list(morphiclab.Sweep(client, "anything").runs())
    finally:
        server.shutdown()
        server.server_close()


def test_a_definition_of_another_kind_is_said_to_be_one(tmp_path: Any) -> None:
    client = morphiclab.Client("http://127.0.0.1:9", retries=0)
    for wrong in ([1, 2], None, 5):
        with pytest.raises(TypeError, match="a sweep definition is a dict, JSON text or the path"):
            client.submit(wrong)  # type: ignore[arg-type]
    # JSON given as bytes is JSON, not a path (nothing is sent: no server listens on port 9).
    with pytest.raises(morphiclab.ServerUnavailable):
        client.submit(b'{"groups": [{"prefix": "a"}]}')
    # A long missing path is named briefly.
    with pytest.raises(FileNotFoundError) as missing:
        client.submit(str(tmp_path / "missing" / ("x" * 200)))
    assert len(str(missing.value)) < 200
