"""A sweep on the server: its status, runs and dataset."""
from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, Dict, Iterator, Mapping, Optional, Sequence, Tuple, Union

from ._http import json_bytes, page_of
from ._progress import ProgressBar
from .dataset import Dataset, load, load_archive
from .errors import DamagedArchive, MorphicError, ServerUnavailable, SweepFailed

if TYPE_CHECKING:  # pragma: no cover
    from .client import Client

#: The states a sweep does not leave by itself.
FINAL_STATES = ("completed", "failed", "cancelled")
#: The most runs one page of the runs query may hold (the server's limit).
MAX_PAGE = 10_000
#: Seconds before the first second look at a waited-for sweep's status.
_FIRST_POLL = 0.02


@dataclass(frozen=True)
class SweepStatus:
    """A sweep's status as the server reports it (``GET /api/sweeps/{id}``).

    Attributes:
        id: the sweep id.
        name: the definition's name.
        state: ``queued``, ``running``, ``completed``, ``failed`` or ``cancelled`` (a Slurm
            server may also say ``cancelling``).
        runs_total, runs_completed, runs_failed, runs_running: run counts.
        fraction: the share of the sweep's cell updates done, 0…1.
        eta_seconds: the server's estimate of the time left, or None.
        raw: the whole answer.
    """

    id: str
    name: str
    state: str
    runs_total: int
    runs_completed: int
    runs_failed: int
    runs_running: int
    fraction: float
    eta_seconds: Optional[float]
    raw: Dict[str, Any] = field(repr=False, compare=False)

    @property
    def finished(self) -> bool:
        """Whether the sweep has ended (completed, failed or cancelled)."""
        return self.state in FINAL_STATES

    @property
    def runs_finished(self) -> int:
        """Runs that have ended, completed or failed: what a progress bar counts."""
        return self.runs_completed + self.runs_failed

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> "SweepStatus":
        """The status in a server answer (:class:`MorphicError` when it is none)."""
        try:
            progress = value.get("progress", {})
            eta = value.get("eta_seconds")
            return cls(
                id=str(value["id"]), name=str(value.get("name", "")), state=str(value["status"]),
                runs_total=int(progress.get("runs_total", 0)), runs_completed=int(progress.get("runs_completed", 0)),
                runs_failed=int(progress.get("runs_failed", 0)), runs_running=int(progress.get("runs_running", 0)),
                fraction=float(progress.get("fraction", 0.0)), eta_seconds=None if eta is None else float(eta),
                raw=dict(value))
        except (AttributeError, KeyError, TypeError, ValueError) as error:
            raise MorphicError(f"the server's answer is no sweep status ({type(error).__name__}: {error}); "
                               "is the URL a MorphicLab server's?") from None


class Sweep:
    """A sweep on the server, named by its id. Made by :meth:`Client.submit` or :meth:`Client.sweep`.

    Every method asks the server afresh; nothing is stale.
    """

    def __init__(self, client: "Client", id: str, status: Optional[SweepStatus] = None, *,
                 created: bool = False) -> None:
        self.client = client
        self.id = id
        #: The status last seen (at submission, or by :meth:`status` and :meth:`wait`).
        self.last_status = status
        #: Whether the submission that gave this sweep created it (False: the server
        #: already had the same definition, and answered with its sweep). A 200 to a retry
        #: of a submission whose first attempt went unanswered counts as created: that
        #: attempt most likely made it.
        self.created = created

    def __repr__(self) -> str:
        state = self.last_status.state if self.last_status else "?"
        return f"<morphiclab.Sweep {self.id} ({state})>"

    @property
    def _path(self) -> str:
        return "/api/sweeps/" + urllib.parse.quote(self.id, safe="")

    def status(self) -> SweepStatus:
        """The sweep's present status."""
        _, answer = self.client._transport.json("GET", self._path)
        self.last_status = SweepStatus.from_json(answer)
        return self.last_status

    def wait(self, progress: bool = True, *, timeout: Optional[float] = None, poll: float = 0.5,
             check: bool = True, file: Optional[IO[str]] = None) -> SweepStatus:
        """Waits until the sweep ends and returns its final status.

        Args:
            progress: show a bar of finished runs (completed or failed) out of the total,
                with their rate and the time left (tqdm's when installed, else a text line).
            timeout: give up after this many seconds (``TimeoutError``); None waits as long
                as the sweep takes.
            poll: the longest seconds between two looks at the status; the first looks
                come sooner (after 20 ms, then twice as long each time), so a sweep that
                ends at once is seen at once.
            check: raise :class:`SweepFailed` when the sweep ends failed or cancelled.
            file: where the bar goes (standard error by default).

        A server that stops answering raises :class:`ServerUnavailable` once the client's
        retries are spent; the sweep goes on on the server, and waiting again resumes.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        pause = min(poll, _FIRST_POLL)
        status = self.status()
        bar = ProgressBar(status.runs_total, status.runs_finished, self.id, file) if progress else None
        try:
            while not status.finished:
                if deadline is not None and time.monotonic() >= deadline:
                    raise TimeoutError(f"sweep {self.id} still {status.state} after {timeout} s "
                                       f"({status.runs_finished}/{status.runs_total} runs)")
                time.sleep(pause if deadline is None else max(0.0, min(pause, deadline - time.monotonic())))
                pause = min(poll, 2 * pause)
                status = self.status()
                if bar is not None:
                    bar.update(status.runs_finished, status.runs_total)
        finally:
            if bar is not None:
                bar.close()
        if check and status.state != "completed":
            raise SweepFailed(f"sweep {self.id} ended {status.state}: {status.runs_completed} runs completed, "
                              f"{status.runs_failed} failed", code=status.state)
        return status

    def cancel(self) -> SweepStatus:
        """Stops the sweep; finished runs are kept. Returns the status after the cancel."""
        _, answer = self.client._transport.json("POST", self._path + "/cancel", body=b"")
        self.last_status = SweepStatus.from_json(answer)
        return self.last_status

    def delete(self) -> None:
        """Removes the sweep and its files from the server (not while it runs: :class:`Conflict`)."""
        self.client._transport.send("DELETE", self._path)

    def runs(self, filter: Optional[str] = None, sort: Optional[str] = None,
             fields: Optional[Union[str, Sequence[str]]] = None, page_size: int = MAX_PAGE) -> Iterator[Dict[str, Any]]:
        """Every run the query matches, one dict at a time, asking the server page by page.

        Args:
            filter: conditions joined by ``and``, each ``column operator value``
                (``"mode = morphic and field_strength >= 0.6"``).
            sort: a column, ``-column`` for largest first.
            fields: the parameters and statistics to include (a list or a comma-separated string).
            page_size: runs per request, at most 10,000.

        Each run has ``run_id``, ``mode``, ``status`` and, once finished, its ``config`` and
        ``summary_stats``. Runs that finish while paging may shift pages of an unfinished sweep.
        """
        if not 1 <= page_size <= MAX_PAGE:
            raise ValueError(f"page_size must be 1…{MAX_PAGE}, not {page_size}")
        if fields is not None and not isinstance(fields, str):
            fields = ",".join(fields)
        offset = 0
        while True:
            _, page = self.client._transport.json(
                "GET", self._path + "/runs",
                params={"filter": filter, "sort": sort, "fields": fields, "offset": offset, "limit": page_size})
            runs, matched = page_of(page, "runs", "matched", "GET " + self._path + "/runs")
            yield from runs
            offset += len(runs)
            if not runs or offset >= matched:
                return

    def record(self, run_id: str) -> Dict[str, Any]:
        """One run's JSON record: config, series, summary statistics, crystals, metadata."""
        _, answer = self.client._transport.json("GET", self._path + "/runs/" + urllib.parse.quote(run_id, safe=""))
        return dict(answer)

    def manifest(self) -> Dict[str, Any]:
        """The dataset's manifest (:class:`Conflict` until the sweep has completed)."""
        _, answer = self.client._transport.json("GET", self._path + "/manifest.json")
        return dict(answer)

    def dataset(self, *, cache: bool = True) -> Dataset:
        """The sweep's dataset, downloaded once and kept in the client's cache folder.

        The archive is checked before use: every run record must have the sha256 and size
        of the manifest the server serves on its own (``/manifest.json``), the archive's
        manifest must be that manifest, and gzip's checksum covers the tables. A damaged
        download raises :class:`DamagedArchive` and leaves nothing in the cache. The sha256
        of the whole archive is kept beside it; a cached copy that no longer has it is
        downloaded again.

        A download that stops (a link broken beyond the retries, an interrupt, a crash)
        leaves what arrived as ``dataset.tar.gz.part``, with the archive's tag beside it;
        the next call asks for the rest only, and starts from the first byte when the
        archive changed meanwhile.
        """
        served = self.manifest()
        folder = os.path.join(self.client.cache_dir, self.id)
        cached = os.path.join(folder, "dataset.tar.gz")
        if cache and os.path.exists(cached) and os.path.exists(cached + ".sha256"):
            with open(cached + ".sha256", encoding="ascii") as note, open(cached, "rb") as file:
                whole = note.read().strip() == _sha256(file)
            if whole:
                dataset = load(cached)
                if dataset.manifest == served:
                    return dataset
            os.remove(cached + ".sha256")
            os.remove(cached)
        if cache:
            os.makedirs(folder, exist_ok=True)
        partial, temporary, state = _partial(cached) if cache else (None, None, _fresh())
        if partial is None:
            descriptor, temporary = tempfile.mkstemp(prefix=".dataset-", suffix=".tmp", dir=folder if cache else None)
            partial = os.fdopen(descriptor, "w+b")
        resumable = temporary == cached + ".part"
        kept = False
        try:
            with partial as file:
                digest = self._download(file, state)
                resumable = False  # whole: a later failure is not a cut download
                file.seek(0)
                source = cached if cache else f"{self.client.url}{self._path}/dataset.tar.gz"
                try:
                    dataset = load_archive(file, source)
                except DamagedArchive as error:
                    # Nothing is kept at the cache path: the message names the download.
                    raise DamagedArchive(str(error).replace(
                        source, f"the archive downloaded from {self.client.url}{self._path}/dataset.tar.gz", 1)) from None
            if dataset.manifest != served:
                raise DamagedArchive(f"the archive of {self.id} holds another manifest than the server's")
            if cache:
                with open(cached + ".sha256.tmp", "w", encoding="ascii") as note:
                    note.write(digest + "\n")
                os.replace(temporary, cached)
                os.replace(cached + ".sha256.tmp", cached + ".sha256")
        except DamagedArchive:
            raise
        except BaseException:
            # What arrived stays for the next call, which asks the server whether it is
            # still part of the same archive (its tag).
            if resumable and state["written"] and state["tag"]:
                with open(temporary + ".tag", "w", encoding="ascii") as note:
                    note.write(state["tag"] + "\n")
                kept = True
            raise
        finally:
            if not kept:
                for path in [temporary] + ([temporary + ".tag"] if temporary == cached + ".part" else []):
                    if path and os.path.exists(path):
                        os.remove(path)
        return dataset

    def _download(self, file: IO[bytes], state: Dict[str, Any]) -> str:
        """Streams the archive into ``file``, after the ``state["written"]`` bytes of the
        archive tagged ``state["tag"]`` it may already hold; returns its sha256. A short
        body is refused.

        A download cut short is retried from where it stopped: the next attempt asks for
        the rest with ``Range`` under ``If-Range`` (the archive's tag), and starts again
        from the first byte only when the server sends the whole archive instead (it
        changed, or the server does not take ranges).
        """

        def headers() -> Dict[str, str]:
            fields = {"Accept-Encoding": "identity"}
            if state["written"] and state["tag"]:
                fields["Range"] = f"bytes={state['written']}-"
                fields["If-Range"] = state["tag"]
            return fields

        def sink(stream: IO[bytes], answer: Mapping[str, str]) -> None:
            rest = answer.get("content-range", "")
            if not (state["written"] and rest.startswith(f"bytes {state['written']}-")):
                # The whole archive: start again.
                file.seek(0)
                file.truncate()
                state.update(hasher=hashlib.sha256(), written=0)
            state["tag"] = answer.get("etag")
            expected = answer.get("content-length")
            total = int(rest.rsplit("/", 1)[1]) if rest else (int(expected) if expected is not None else None)
            def keep(chunk: bytes) -> None:
                try:
                    file.write(chunk)
                except OSError as error:
                    raise MorphicError(f"cannot write the archive of {self.id}: {error}") from None
                state["hasher"].update(chunk)
                state["written"] += len(chunk)

            # What has arrived is kept as it arrives (read1), so a reset or a timeout
            # loses nothing already received; a read cut short keeps its part.
            read = getattr(stream, "read1", stream.read)
            while True:
                try:
                    chunk = read(1 << 16)
                except http.client.IncompleteRead as cut:
                    keep(cut.partial)
                    raise
                if not chunk:
                    break
                keep(chunk)
            if total is not None and state["written"] != total:
                raise ConnectionError(f"the archive of {self.id} ended after {state['written']} of {total} bytes")

        # Each round of the transport's retries that got further starts a new round: a
        # slow, often broken link still gets the whole archive, and one that gives
        # nothing fails after the usual retries.
        while True:
            before = state["written"]
            try:
                self.client._transport.send("GET", self._path + "/dataset.tar.gz", headers=headers, sink=sink)
                break
            except ServerUnavailable:
                if state["written"] <= before:
                    raise
        file.flush()
        return str(state["hasher"].hexdigest())

    def posterior(self, observed: Union[Mapping[str, Any], str, "os.PathLike[str]"], *,
                  timeout: Optional[float] = 600.0) -> Dict[str, Any]:
        """The server's posterior for an observed run, with this finished sweep as the reference table.

        ``observed`` is a run record (a dict as :meth:`record` gives, or the path of a run's
        JSON file), ``{"sweep": id, "run": run_id}`` naming a run on the server, or
        ``{"series": {name: [values…]}}``. The answer has ``run_id``, ``p_field`` (the
        probability that a field acted) and, for every varied parameter,
        ``parameters[name]`` with its ``mean``, ``quantiles`` (``"0.025"`` … ``"0.975"``) and
        ``draws``, then the reference's ``calibration``.

        The first question about a reference trains it on the server (seconds); meanwhile
        the server answers 202 and this waits, up to ``timeout`` seconds (``TimeoutError``).
        An observation the reference cannot judge (another grid size or length) raises
        :class:`DefinitionError` naming the field.
        """
        if isinstance(observed, Mapping):
            body = json_bytes(observed, "observed")
        else:
            if not isinstance(observed, (str, bytes, os.PathLike)):
                raise TypeError("an observation is a run record (a dict), {'sweep': id, 'run': run_id}, "
                                f"{{'series': {{…}}}} or the path of a run's JSON file, not {type(observed).__name__}")
            path = os.fspath(observed)
            if not os.path.exists(path):
                # A bare run id is a common slip: say how to name a run instead of a bare
                # "No such file"; a path is only said to be missing.
                text = path if isinstance(path, str) else path.decode("utf-8", "replace")
                if os.sep in text or text.endswith(".json"):
                    raise FileNotFoundError(f"no run record at {text!r}")
                raise FileNotFoundError(
                    f"{text!r} is not a file; to ask about a run on the server, pass "
                    f"{{'sweep': sweep_id, 'run': {text!r}}}")
            with open(path, "rb") as file:
                body = file.read()
        return self._trained("POST", self._path + "/posterior", body, timeout)

    def calibration(self, *, timeout: Optional[float] = 600.0) -> Dict[str, Any]:
        """How the server's posteriors with this sweep as the reference hold on its test split.

        Per varied parameter: the coverage of the 50/80/95 % intervals (and before their
        conformal correction), their mean width, the median MAE against a constant guess's;
        for ``p_field``, ROC AUC and rates. Waits while the reference trains, as
        :meth:`posterior` does.
        """
        return self._trained("GET", self._path + "/calibration", None, timeout)

    def _trained(self, method: str, path: str, body: Optional[bytes], timeout: Optional[float]) -> Dict[str, Any]:
        """The answer of a request about the reference, asked again while the server trains it (202)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            status, answer = self.client._transport.json(method, path, body=body)
            if status != 202:
                return dict(answer)
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"the reference {self.id} is still training after {timeout} s "
                                   f"({answer.get('progress', 0):.0%})")
            time.sleep(1.0 if deadline is None else max(0.0, min(1.0, deadline - time.monotonic())))


def _fresh() -> Dict[str, Any]:
    return {"hasher": hashlib.sha256(), "written": 0, "tag": None}


def _partial(cached: str) -> Tuple[Optional[IO[bytes]], Optional[str], Dict[str, Any]]:
    """The partial download beside ``cached``, opened and locked, with what it holds: its
    bytes' count and sha256 and the archive's tag. ``(None, None, fresh)`` while another
    process downloads it, or where files cannot be locked: the download then goes to a
    private temporary file, and nothing is kept for the next call."""
    try:
        import fcntl
    except ImportError:
        return None, None, _fresh()
    path = cached + ".part"
    file = os.fdopen(os.open(path, os.O_RDWR | os.O_CREAT, 0o644), "r+b")
    try:
        fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        file.close()
        return None, None, _fresh()
    state = _fresh()
    try:
        with open(path + ".tag", encoding="ascii") as note:
            state["tag"] = note.read().strip() or None
    except OSError:
        pass
    if state["tag"]:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            state["hasher"].update(chunk)
            state["written"] += len(chunk)
    else:
        file.truncate(0)
    return file, path, state


def _sha256(file: IO[bytes]) -> str:
    hasher = hashlib.sha256()
    for chunk in iter(lambda: file.read(1 << 20), b""):
        hasher.update(chunk)
    return hasher.hexdigest()
