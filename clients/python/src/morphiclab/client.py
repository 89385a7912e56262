"""The client of one MorphicLab server."""
from __future__ import annotations

import json
import os
import urllib.parse
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Union

from ._http import Transport, json_bytes, page_of
from .sweep import Sweep, SweepStatus

if TYPE_CHECKING:  # pragma: no cover
    from .simulator import Simulator

#: A sweep definition: a dict, JSON text, or the path of a JSON file.
Definition = Union[Mapping[str, Any], str, bytes, "os.PathLike[str]"]


class Client:
    """Talks to a MorphicLab server's HTTP API.

    >>> client = Client("http://127.0.0.1:8080")           # doctest: +SKIP
    >>> sweep = client.submit("Config/sweeps/smoke.json")    # doctest: +SKIP
    >>> sweep.wait(progress=True)                           # doctest: +SKIP
    >>> data = sweep.dataset()                              # doctest: +SKIP

    Args:
        url: the server, such as ``http://127.0.0.1:8080``.
        token: the API token for requests that change state; ``MORPHIC_API_TOKEN`` when None.
        timeout: seconds one request may wait for the server.
        retries: how often a request is tried again when the server cannot be reached or
            is busy (429, 503), waiting ``backoff`` seconds, then twice that, …; then
            :class:`ServerUnavailable` is raised.
        backoff: the first wait between attempts, in seconds.
        cache_dir: where downloaded datasets are kept; ``$MORPHIC_CACHE_DIR``, else
            ``$XDG_CACHE_HOME/morphiclab``, else ``~/.cache/morphiclab``.
    """

    def __init__(self, url: str = "http://127.0.0.1:8080", token: Optional[str] = None, *, timeout: float = 30.0,
                 retries: int = 5, backoff: float = 0.5, cache_dir: Optional[str] = None) -> None:
        if token is None:
            token = os.environ.get("MORPHIC_API_TOKEN") or None
        if retries < 0 or backoff < 0 or timeout <= 0:
            raise ValueError("retries and backoff must be ≥ 0 and timeout > 0")
        self._transport = Transport(url, token, timeout, retries, backoff)
        self.url = self._transport.url
        if cache_dir is None:
            cache_dir = os.environ.get("MORPHIC_CACHE_DIR") or os.path.join(
                os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "morphiclab")
        self.cache_dir = cache_dir

    def __repr__(self) -> str:
        return f"<morphiclab.Client {self.url}>"

    def submit(self, definition: Definition) -> Sweep:
        """Submits a sweep definition and returns its sweep.

        ``definition`` is a dict, JSON text, or the path of a JSON file. Submitting a
        definition the server already has returns the existing sweep (its id derives from
        the normalized definition), so nothing is computed twice. An invalid definition
        raises :class:`DefinitionError`, whose ``field`` names the offending field.
        """
        return self._submit(definition)

    def _submit(self, definition: Definition, stop: Optional[Callable[[], bool]] = None) -> Sweep:
        """:meth:`submit`, whose retries end once ``stop`` says so while no attempt may have
        reached the server (``Transport.send``)."""
        unanswered: List[str] = []
        status, answer = self._transport.json("POST", "/api/sweeps", body=definition_bytes(definition),
                                              unanswered=unanswered, stop=stop)
        # A 200 after an attempt that went unanswered most likely answers that attempt.
        created = status == 202 or (status == 200 and bool(unanswered))
        sweep = SweepStatus.from_json(answer)
        return Sweep(self, sweep.id, sweep, created=created)

    def sweep(self, id: str) -> Sweep:
        """The sweep ``id`` (:class:`NotFound` if the server has none)."""
        sweep = Sweep(self, id)
        sweep.status()
        return sweep

    def sweeps(self) -> Iterator[SweepStatus]:
        """The status of every sweep on the server, newest first, page by page."""
        offset = 0
        while True:
            _, page = self._transport.json("GET", "/api/sweeps", params={"offset": offset, "limit": 1000})
            sweeps, total = page_of(page, "sweeps", "total", "GET /api/sweeps")
            for value in sweeps:
                yield SweepStatus.from_json(value)
            offset += len(sweeps)
            if not sweeps or offset >= total:
                return

    def health(self) -> bool:
        """Whether the server answers its liveness check."""
        _, answer = self._transport.json("GET", "/healthz")
        return bool(answer and answer.get("status") == "ok")

    def simulator(self, base: Definition, parameters: Sequence[str], *, progress: bool = False,
                  timeout: Optional[float] = None, seed: Optional[int] = None, keep: bool = False) -> "Simulator":
        """A function ``simulate(theta) -> x`` that runs batches of parameter sets on the server.

        ``base`` is a definition with one group; ``parameters`` names θ's columns. Each call
        submits one sweep: ``base`` with its group's ``points`` set to θ's rows (name and
        prefix kept) and a seed of its own drawn from ``seed`` (the base's seed when not
        given), so every call is a fresh draw of the model's noise, waits, and returns the
        observable features [N, features] in θ's order. The sweeps it creates are deleted
        once the next call has its x (the last by ``close()`` or at the end of a ``with``
        block), unless ``keep``. See :class:`Simulator`.
        """
        from .simulator import Simulator
        return Simulator(self, base, parameters, progress=progress, timeout=timeout, seed=seed, keep=keep)


def definition_bytes(definition: Definition) -> bytes:
    """The JSON bytes of a definition given as a dict, JSON text (str or bytes) or a file path."""
    if isinstance(definition, Mapping):
        return json_bytes(definition, "definition")
    if isinstance(definition, str) and definition.lstrip().startswith("{"):
        return definition.encode("utf-8")
    if isinstance(definition, (bytes, bytearray)) and bytes(definition).lstrip().startswith(b"{"):
        return bytes(definition)
    if not isinstance(definition, (str, bytes, os.PathLike)):
        raise TypeError("a sweep definition is a dict, JSON text or the path of a JSON file, "
                        f"not {type(definition).__name__}")
    path = os.fspath(definition)
    try:
        with open(path, "rb") as file:
            return file.read()
    except FileNotFoundError:
        shown = repr(path) if len(repr(path)) <= 80 else repr(path)[:60] + "…"
        raise FileNotFoundError(f"no sweep definition at {shown} (give a path, a dict or JSON text)") from None


def definition_dict(definition: Definition) -> Dict[str, Any]:
    """A definition as a dict (a copy), whatever form it was given in."""
    try:
        value = json.loads(definition_bytes(definition))
    except ValueError as error:
        raise ValueError(f"the sweep definition is not JSON: {error}") from None
    if not isinstance(value, dict):
        raise ValueError("a sweep definition is a JSON object")
    return value
