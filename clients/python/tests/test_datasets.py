"""Downloading, checking, caching and loading datasets; theta_x."""
from __future__ import annotations

import gzip
import io
import os
import shutil
import socket
import tarfile
import struct
import threading
import time
import urllib.parse
from typing import Any, Dict, List, Optional

import numpy as np
import pandas as pd
import pytest

import morphiclab
from conftest import Server, morphic_sweep, tiny


@pytest.fixture(scope="module")
def finished(server: Server) -> morphiclab.Sweep:
    client = morphiclab.Client(server.url)
    sweep = client.submit(tiny("dataset"))
    sweep.wait(progress=False)
    return sweep


def test_dataset_is_downloaded_once_and_loaded(server: Server, finished: morphiclab.Sweep, tmp_path: Any,
                                               binary: str) -> None:
    client = morphiclab.Client(server.url, cache_dir=str(tmp_path / "cache"))
    data = client.sweep(finished.id).dataset()
    archive = tmp_path / "cache" / finished.id / "dataset.tar.gz"
    assert data.id == finished.id and data.source == str(archive)
    assert sorted(os.listdir(archive.parent)) == ["dataset.tar.gz", "dataset.tar.gz.sha256"]
    runs, features = data.runs, data.features
    assert isinstance(runs, pd.DataFrame) and isinstance(features, pd.DataFrame)
    assert list(runs["run_id"]) == [f"control_{i}" for i in range(1, 5)] + [f"morphic_{i}" for i in range(1, 9)]
    assert runs["seed"].dtype == np.uint64 and pd.api.types.is_string_dtype(features["run_id"])
    assert list(features.columns) == data.columns("features.csv")
    assert data.feature_names == data.columns("features.csv", "feature") and len(data.feature_names) > 30
    population = data.series("population")
    assert population.shape == (12, 30) and population.dtype == np.float64
    assert list(data.run_ids) == list(runs["run_id"])
    assert "hidden_morphic_influence_rate" in data.series_names
    with pytest.raises(KeyError, match="population"):
        data.series("populaton")
    # The same files as `morphic sweep` of the definition writes.
    local = morphiclab.load(morphic_sweep(binary, tiny("dataset"), str(tmp_path / "local")))
    pd.testing.assert_frame_equal(local.features, features)
    pd.testing.assert_frame_equal(local.runs, runs)
    assert np.array_equal(local.series("population"), population)
    # Cached: the second call reads the file, the download is not repeated.
    stamp = os.stat(archive).st_mtime_ns
    again = client.sweep(finished.id).dataset()
    assert os.stat(archive).st_mtime_ns == stamp
    pd.testing.assert_frame_equal(again.features, features)


def test_load_reads_archives_and_folders(finished: morphiclab.Sweep, server: Server, tmp_path: Any) -> None:
    archive = server.archive(finished.id)
    from_archive = morphiclab.load(archive)
    with tarfile.open(archive) as opened:
        opened.extractall(tmp_path)
    for path in (tmp_path / finished.id, tmp_path):  # the dataset folder, or the folder holding it
        from_folder = morphiclab.load(path)
        pd.testing.assert_frame_equal(from_folder.features, from_archive.features)
        assert np.array_equal(from_folder.theta_x()[0], from_archive.theta_x()[0], equal_nan=True)
    with pytest.raises(FileNotFoundError):
        morphiclab.load(tmp_path / "nothing-here.tar.gz")


def rewritten(archive: str, change: Any) -> bytes:
    """The archive with its members passed through `change(name, bytes) -> bytes` (None drops
    the member), gzip and tar whole."""
    out = io.BytesIO()
    with tarfile.open(archive) as source, tarfile.open(fileobj=out, mode="w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read() if member.isfile() else b""  # type: ignore[union-attr]
            data = change(member.name, data)
            if data is None:
                continue
            member.size = len(data)
            target.addfile(member, io.BytesIO(data) if member.isfile() else None)
    return out.getvalue()


def flipped(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x40]) + data[at + 1:]


def test_a_damaged_archive_is_refused(server: Server, finished: morphiclab.Sweep, tmp_path: Any) -> None:
    served = server.archive(finished.id)
    original = open(served, "rb").read()

    def record_changed(name: str, data: bytes) -> bytes:
        return data.replace(b'"population"', b'"populatio0"', 1) if name.endswith("/morphic_3.json") else data

    damaged: Dict[str, bytes] = {
        # Whole gzip and tar, one record changed: only its sha256 tells.
        "the record of run morphic_3": rewritten(served, record_changed),
        "lacks the record of run control_2 ": rewritten(served, lambda n, d: None if n.endswith("/control_2.json") else d),
        "damaged": flipped(original, len(original) // 2),
        "truncated": original[: len(original) - 100],
    }
    for expected, data in damaged.items():
        path = tmp_path / "archive.tar.gz"
        path.write_bytes(data)
        with pytest.raises(morphiclab.DamagedArchive, match=expected):
            morphiclab.load(path)
        # Served by the server, the download is refused and nothing is cached: by the client,
        # from the manifest's checks, or by the server, which knows the size it wrote.
        with open(served, "wb") as file:
            file.write(data)
        try:
            cache = tmp_path / f"cache-{len(data)}"
            refusal = ((morphiclab.DamagedArchive, "^the archive downloaded from http://") if len(data) == len(original)
                       else (morphiclab.MorphicError, r"is damaged \(\d+ bytes where \d+ were written\) on disk; a retry"))
            with pytest.raises(refusal[0], match=refusal[1]):
                morphiclab.Client(server.url, cache_dir=str(cache), retries=0).sweep(finished.id).dataset()
            assert not cache.exists() or not any(name.endswith(".tar.gz") for _, _, names in os.walk(cache)
                                                  for name in names)
        finally:
            with open(served, "wb") as file:
                file.write(original)
    assert morphiclab.load(served).id == finished.id


def test_a_cached_archive_damaged_since_is_downloaded_again(server: Server, finished: morphiclab.Sweep,
                                                            tmp_path: Any) -> None:
    client = morphiclab.Client(server.url, cache_dir=str(tmp_path))
    first = client.sweep(finished.id).dataset()
    cached = tmp_path / finished.id / "dataset.tar.gz"
    data = cached.read_bytes()
    cached.write_bytes(flipped(data, len(data) // 3))
    again = client.sweep(finished.id).dataset()
    assert cached.read_bytes() == data
    pd.testing.assert_frame_equal(again.features, first.features)


def test_theta_x_holds_the_varied_parameters_and_observable_features(finished: morphiclab.Sweep,
                                                                     tmp_path: Any) -> None:
    data = finished.dataset(cache=False)
    theta, x = data.theta_x()
    features = data.features
    assert data.theta_names == ["crystal_count", "field_strength", "temporal_decay"]
    assert data.x_names == data.feature_names
    assert theta.shape == (12, 3) and x.shape == (12, len(data.feature_names))
    assert theta.dtype == np.float64 and x.dtype == np.float64
    assert list(data.theta_x_run_ids) == list(features["run_id"])
    truth = features[["true_" + name for name in data.theta_names]].to_numpy(dtype=np.float64, na_value=np.nan)
    assert np.array_equal(theta, truth, equal_nan=True)
    assert np.array_equal(x, features[data.feature_names].to_numpy(dtype=np.float64, na_value=np.nan),
                          equal_nan=True)
    parts = {split: data.theta_x(split=split) for split in ("train", "validation", "test")}
    assert sum(len(t) for t, _ in parts.values()) == 12
    for split, (t, xs) in parts.items():
        keep = (features["split"] == split).to_numpy()
        assert np.array_equal(t, theta[keep], equal_nan=True) and np.array_equal(xs, x[keep], equal_nan=True)
    with pytest.raises(ValueError, match="split"):
        data.theta_x(split="training")


class CuttingProxy:
    """Relays each connection to the server; the first ``cuts`` archive answers are cut
    after the head and ``keep`` body bytes, as a dropped link would: closed (``close``),
    reset (``reset``), or held without another byte (``stall``). Each archive request is
    noted: its Range field, the answer's status and the body bytes relayed."""

    def __init__(self, target: str, keep: int, cuts: int, if_range: Optional[str] = None,
                 ending: str = "close") -> None:
        self.target = urllib.parse.urlsplit(target)
        self.keep, self.cuts, self.if_range, self.ending = keep, cuts, if_range, ending
        # Body bytes of the answers after the first ``cuts`` (None: all of them).
        self.later: Optional[int] = None
        self.seen: List[Dict[str, Any]] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        with client, socket.create_connection((self.target.hostname, self.target.port)) as upstream:
            head = b""
            while b"\r\n\r\n" not in head:
                data = client.recv(65536)
                if not data:
                    return
                head += data
            archive = b"/dataset.tar.gz" in head.split(b"\r\n", 1)[0]
            note: Dict[str, Any] = {}
            if archive:
                lines = head.decode("latin-1").split("\r\n")
                fields = {line.split(":", 1)[0].lower(): line.split(":", 1)[1].strip() for line in lines[1:] if ":" in line}
                note = {"range": fields.get("range"), "body": 0}
                if self.if_range is not None and "if-range" in fields:
                    head = head.replace(fields["if-range"].encode(), self.if_range.encode(), 1)
                self.seen.append(note)
            upstream.sendall(head)
            cut = archive and (len(self.seen) <= self.cuts or self.later is not None)
            keep = self.keep if len(self.seen) <= self.cuts else (self.later or 0)
            answer = b""
            while True:
                data = upstream.recv(65536)
                if not data:
                    break
                answer += data
            split = answer.index(b"\r\n\r\n") + 4
            if archive:
                note["status"] = int(answer.split(b" ", 2)[1])
                body = answer[split:][:keep] if cut else answer[split:]
                note["body"] = len(body)
                answer = answer[:split] + body
            client.sendall(answer)
            if cut and self.ending != "close":
                # Time for the client to take what was sent, then the link breaks.
                time.sleep(0.3 if self.ending == "reset" else 2.0)
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def test_a_download_cut_short_goes_on_where_it_stopped(server: Server, finished: morphiclab.Sweep,
                                                       tmp_path: Any) -> None:
    original = open(server.archive(finished.id), "rb").read()
    proxy = CuttingProxy(server.url, keep=len(original) // 3, cuts=2)
    try:
        client = morphiclab.Client(proxy.url, cache_dir=str(tmp_path), backoff=0.05)
        data = client.sweep(finished.id).dataset()
    finally:
        proxy.close()
    assert (tmp_path / finished.id / "dataset.tar.gz").read_bytes() == original
    assert data.id == finished.id
    # Three asks: the whole, then twice the rest from where the last one stopped.
    third = len(original) // 3
    assert [(n["range"], n["status"], n["body"]) for n in proxy.seen] == [
        (None, 200, third), (f"bytes={third}-", 206, third), (f"bytes={2 * third}-", 206, len(original) - 2 * third)]


def test_a_download_whose_archive_changed_meanwhile_starts_again(server: Server, finished: morphiclab.Sweep,
                                                                 tmp_path: Any) -> None:
    original = open(server.archive(finished.id), "rb").read()
    # The tag the client holds no longer names the archive: the server sends all of it.
    proxy = CuttingProxy(server.url, keep=len(original) // 2, cuts=1, if_range='"another-archive"')
    try:
        client = morphiclab.Client(proxy.url, cache_dir=str(tmp_path), backoff=0.05)
        client.sweep(finished.id).dataset()
    finally:
        proxy.close()
    assert (tmp_path / finished.id / "dataset.tar.gz").read_bytes() == original
    assert [(n["range"], n["status"], n["body"]) for n in proxy.seen] == [
        (None, 200, len(original) // 2), (f"bytes={len(original) // 2}-", 200, len(original))]


def test_a_download_that_stopped_goes_on_in_the_next_call(server: Server, finished: morphiclab.Sweep,
                                                          tmp_path: Any) -> None:
    original = open(server.archive(finished.id), "rb").read()
    third = len(original) // 3
    # A third arrives, then the link gives nothing: the call fails, keeping that third.
    proxy = CuttingProxy(server.url, keep=third, cuts=1)
    proxy.later = 0
    cached = tmp_path / finished.id / "dataset.tar.gz"
    try:
        client = morphiclab.Client(proxy.url, cache_dir=str(tmp_path), retries=1, backoff=0.05)
        with pytest.raises(morphiclab.ServerUnavailable):
            client.sweep(finished.id).dataset()
        assert (tmp_path / finished.id / "dataset.tar.gz.part").read_bytes() == original[:third]
        assert not cached.exists()
        # The link is back: the next call asks for the rest only.
        proxy.later = None
        asked = len(proxy.seen)
        data = morphiclab.Client(proxy.url, cache_dir=str(tmp_path), backoff=0.05).sweep(finished.id).dataset()
    finally:
        proxy.close()
    assert data.id == finished.id and cached.read_bytes() == original
    assert [(n["range"], n["status"], n["body"]) for n in proxy.seen[asked:]] == [
        (f"bytes={third}-", 206, len(original) - third)]
    assert sorted(os.listdir(tmp_path / finished.id)) == ["dataset.tar.gz", "dataset.tar.gz.sha256"]


def test_a_kept_part_of_another_archive_is_replaced_whole(server: Server, finished: morphiclab.Sweep,
                                                          tmp_path: Any) -> None:
    original = open(server.archive(finished.id), "rb").read()
    folder = tmp_path / finished.id
    folder.mkdir()
    (folder / "dataset.tar.gz.part").write_bytes(b"\x1f\x8b stale bytes of an archive since rebuilt")
    (folder / "dataset.tar.gz.part.tag").write_text('"an-archive-since-rebuilt"\n')
    proxy = CuttingProxy(server.url, keep=0, cuts=0)
    try:
        morphiclab.Client(proxy.url, cache_dir=str(tmp_path), backoff=0.05).sweep(finished.id).dataset()
    finally:
        proxy.close()
    # The server does not know that tag, so it sends the whole archive, which replaces the part.
    assert [(n["range"], n["status"]) for n in proxy.seen] == [("bytes=42-", 200)]
    assert (folder / "dataset.tar.gz").read_bytes() == original
    assert sorted(os.listdir(folder)) == ["dataset.tar.gz", "dataset.tar.gz.sha256"]


@pytest.mark.parametrize("ending", ["close", "reset", "stall"])
def test_a_download_cut_more_often_than_the_retries_still_arrives_whole(
        server: Server, finished: morphiclab.Sweep, tmp_path: Any, ending: str) -> None:
    original = open(server.archive(finished.id), "rb").read()
    keep = len(original) // 6
    # Five cuts and one retry: every attempt gets further, so none is given up.
    proxy = CuttingProxy(server.url, keep=keep, cuts=5, ending=ending)
    try:
        client = morphiclab.Client(proxy.url, cache_dir=str(tmp_path), retries=1, backoff=0.05, timeout=1.0)
        client.sweep(finished.id).dataset()
    finally:
        proxy.close()
    assert (tmp_path / finished.id / "dataset.tar.gz").read_bytes() == original
    starts = [0] + [int(n["range"][len("bytes="):-1]) for n in proxy.seen[1:]]
    # Nothing received is asked again: each ask starts where everything before it ended.
    assert starts == [sum(n["body"] for n in proxy.seen[:i]) for i in range(len(proxy.seen))]
    assert [n["status"] for n in proxy.seen] == [200] + [206] * (len(proxy.seen) - 1)


def test_a_link_that_gives_nothing_fails_after_the_retries(server: Server, finished: morphiclab.Sweep,
                                                           tmp_path: Any) -> None:
    proxy = CuttingProxy(server.url, keep=0, cuts=100)
    try:
        client = morphiclab.Client(proxy.url, cache_dir=str(tmp_path), retries=2, backoff=0.05)
        with pytest.raises(morphiclab.ServerUnavailable, match="ended after 0 of"):
            client.sweep(finished.id).dataset()
    finally:
        proxy.close()
    assert len(proxy.seen) == 3
    assert not any(name.endswith(".tar.gz") for _, _, names in os.walk(tmp_path) for name in names)
