"""HTTP to the server: JSON in and out, retries with backoff, errors as exceptions."""
from __future__ import annotations

import gzip
import json
import numbers
import random
import socket
import time
import http.client
import urllib.error
import urllib.parse
import urllib.request
from typing import IO, Any, Callable, Dict, List, Mapping, Optional, Tuple, Union

from .errors import MorphicError, ServerUnavailable, error_for


def json_bytes(value: Any, what: str) -> bytes:
    """``value`` as the JSON bytes of a request body: numpy numbers and arrays as the plain
    numbers and lists they hold, and a NaN or an infinity, which JSON has no number for,
    refused with a ``ValueError`` naming where it is (``what``, then its keys and indices)."""
    return json.dumps(_plain(value, what), separators=(",", ":"), allow_nan=False).encode("utf-8")


def _plain(value: Any, path: str) -> Any:
    if type(value).__module__.split(".")[0] == "numpy" and hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, Mapping):
        return {key: _plain(item, f"{path}.{key}") for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item, f"{path}[{index}]") for index, item in enumerate(value)]
    if isinstance(value, (bool, str)) or value is None:
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError(f"{path} is {number}: JSON has no such number; give a finite number")
        return number
    if isinstance(value, numbers.Complex):
        raise ValueError(f"{path} is the complex number {value}: JSON has none; give a real number")
    return value


def page_of(answer: Any, items: str, count: str, what: str) -> Tuple[List[Any], int]:
    """A page of an answer: its list ``items`` and its whole count ``count``, or a
    :class:`MorphicError` when the answer has no such page (a server that is not MorphicLab's)."""
    try:
        listed, total = answer[items], int(answer[count])
    except (KeyError, TypeError, ValueError):
        listed, total = None, 0
    if not isinstance(listed, list):
        raise MorphicError(f"the server's answer to {what} has no {items!r} list and {count!r} count; "
                           "is the URL a MorphicLab server's?")
    return listed, total


#: Statuses worth asking again: the server is full or busy for a moment.
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
#: The longest wait between two attempts, and the longest ``Retry-After`` honoured.
MAX_BACKOFF_SECONDS = 30.0


class Transport:
    """Sends requests to one server, retrying what a busy or restarting server refuses.

    Connection failures (refused, reset, timed out) and 429/502/503/504 answers are asked
    again up to ``retries`` times, waiting ``backoff`` seconds, then twice that, and so on
    (with jitter, at most :data:`MAX_BACKOFF_SECONDS`; a ``Retry-After`` in seconds is
    honoured within that bound). Then :class:`ServerUnavailable` is raised. Every request
    is idempotent (a definition submitted twice is the same sweep), so retrying is safe.
    """

    def __init__(self, url: str, token: Optional[str], timeout: float, retries: int, backoff: float) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"server URL must be http:// or https:// with a host, not {url!r}")
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff

    def _headers(self, extra: Optional[Mapping[str, str]]) -> Dict[str, str]:
        headers = {"User-Agent": "morphiclab-python", "Accept-Encoding": "gzip"}
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        headers.update(extra or {})
        return headers

    def address(self, path: str, params: Optional[Mapping[str, Any]] = None) -> str:
        """The full URL of ``path`` with the query ``params`` whose value is not None."""
        query = {k: str(v) for k, v in (params or {}).items() if v is not None}
        return self.url + path + ("?" + urllib.parse.urlencode(query, quote_via=urllib.parse.quote) if query else "")

    def json(self, method: str, path: str, *, params: Optional[Mapping[str, Any]] = None,
             body: Optional[bytes] = None, unanswered: Optional[List[str]] = None,
             stop: Optional[Callable[[], bool]] = None) -> Tuple[int, Any]:
        """The status and decoded JSON answer of a request (``unanswered`` and ``stop``: see
        :meth:`send`)."""
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        status, _, data = self.send(method, path, params=params, body=body, headers=headers, unanswered=unanswered,
                                    stop=stop)
        if status == 204 or not data:
            return status, None
        try:
            value = json.loads(data)
        except ValueError as error:
            raise MorphicError(f"the server's answer to {method} {path} is not JSON: {error}", status=status) from None
        # Every answer of the API is an object: anything else is no answer of its.
        if not isinstance(value, dict):
            raise MorphicError(f"the server's answer to {method} {path} is JSON but not an object "
                               f"({type(value).__name__}); is the URL a MorphicLab server's?", status=status)
        return status, value

    def send(self, method: str, path: str, *, params: Optional[Mapping[str, Any]] = None,
             body: Optional[bytes] = None,
             headers: Union[Mapping[str, str], Callable[[], Mapping[str, str]], None] = None,
             sink: Optional[Callable[[IO[bytes], Mapping[str, str]], None]] = None,
             unanswered: Optional[List[str]] = None,
             stop: Optional[Callable[[], bool]] = None) -> Tuple[int, Mapping[str, str], bytes]:
        """Sends a request, retrying transient failures; raises the error an answer ≥ 400 stands for.

        ``unanswered`` gets the reason of each attempt that may have reached the server but
        went unanswered (a timeout, a connection cut), before a retry: the server may have
        acted on it.

        ``stop``, when given, is asked between attempts (and while waiting for the next): once
        it says so, a request that no attempt may have reached ends at once with
        :class:`ServerUnavailable` instead of being tried again (a Ctrl-C waits for nothing
        the server could have taken). One that may have reached the server is tried again, so
        that what the server did is known.

        With ``sink`` the body of a successful answer is handed to it as a stream (for
        downloads) instead of being read into memory; a sink that raises ``OSError``-like
        connection errors is retried like any other attempt. ``headers`` may be a function,
        asked again for each attempt (a download that goes on with ``Range``).
        """
        url = self.address(path, params)
        attempt = 0
        # Whether an attempt may have reached the server without its answer reaching us.
        reached = False

        def stopping() -> bool:
            return stop is not None and not reached and stop()

        while True:
            fields = headers() if callable(headers) else headers
            request = urllib.request.Request(url, data=body, method=method, headers=self._headers(fields))
            wait: Optional[float] = None
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    answer_headers = {k.lower(): v for k, v in response.headers.items()}
                    if sink is not None:
                        sink(response, answer_headers)
                        return response.status, answer_headers, b""
                    return response.status, answer_headers, _decoded(response.read(), answer_headers)
            except urllib.error.HTTPError as error:
                answer_headers = {k.lower(): v for k, v in error.headers.items()}
                try:
                    data = _decoded(error.read(), answer_headers)
                except (OSError, http.client.HTTPException):
                    data = b""
                failure = _error(error.code, data)
                if error.code not in RETRYABLE_STATUSES:
                    raise failure from None
                reason: str = str(failure)
                wait = _retry_after(answer_headers.get("retry-after"))
                # A gateway's 502 or 504 may come after the server took the request.
                reached = reached or error.code in (502, 504)
            except (urllib.error.URLError, ConnectionError, socket.timeout, TimeoutError,
                    http.client.HTTPException, OSError) as error:
                cause = getattr(error, "reason", error)
                reason = f"cannot reach {self.url}: {cause}"
                if not isinstance(cause, ConnectionRefusedError):
                    reached = True
                    if unanswered is not None:
                        unanswered.append(reason)
            if attempt >= self.retries or stopping():
                raise ServerUnavailable(f"{reason} (after {attempt + 1} attempts)")
            delay = min(self.backoff * (2 ** attempt) * random.uniform(0.75, 1.25), MAX_BACKOFF_SECONDS)
            _pause(max(delay, min(wait, MAX_BACKOFF_SECONDS)) if wait is not None else delay, stopping)
            if stopping():
                raise ServerUnavailable(f"{reason} (after {attempt + 1} attempts)")
            attempt += 1


def _pause(seconds: float, stopping: Callable[[], bool]) -> None:
    """Sleeps ``seconds``, in short naps so that ``stopping`` ends it early."""
    end = time.monotonic() + seconds
    while not stopping():
        left = end - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(left, 0.05))


def _decoded(data: bytes, headers: Mapping[str, str]) -> bytes:
    if headers.get("content-encoding", "").lower() == "gzip":
        return gzip.decompress(data)
    return data


def _retry_after(value: Optional[str]) -> Optional[float]:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _error(status: int, data: bytes) -> MorphicError:
    """The exception an error answer stands for, with the server's message and field."""
    code, message, field = "", data.decode("utf-8", "replace").strip()[:500] or f"HTTP {status}", None
    try:
        error = json.loads(data)["error"]
        code = str(error.get("code", ""))
        message = str(error.get("message", message))
        field = error.get("field")
    except (ValueError, KeyError, TypeError, AttributeError):
        pass
    return error_for(status, code, message, field)
