"""The exceptions the client raises.

Every answer the server refuses becomes a :class:`MorphicError` carrying the server's
``status``, ``code``, ``message`` and, when the server names one, the ``field`` at fault
(for a definition, the path of the offending key, such as ``groups[0].grid.field_strength``).
"""
from __future__ import annotations

from typing import Optional


class MorphicError(Exception):
    """A refusal by the server, or a failure to reach it.

    Attributes:
        status: the HTTP status (0 when no answer came).
        code: the server's error code, such as ``not_found`` or ``invalid_definition``.
        message: the server's explanation.
        field: the field the server names as the cause, or None.
    """

    def __init__(self, message: str, *, status: int = 0, code: str = "", field: Optional[str] = None) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        text = message if field is None else f"{message} (field: {field})"
        super().__init__(f"{status} {code}: {text}" if status else text)


class BadRequest(MorphicError):
    """400: a malformed request or a query parameter out of range (``field`` names it)."""


class Unauthorized(MorphicError):
    """401: the server needs a token (``Client(token=...)`` or ``MORPHIC_API_TOKEN``), or refused the one given."""


class Forbidden(MorphicError):
    """403: the server refuses the request whatever the token."""


class NotFound(MorphicError):
    """404: no such sweep, run or file."""


class Conflict(MorphicError):
    """409: not possible in the sweep's present state (a dataset before the sweep completed, deleting a running sweep)."""


class DefinitionError(MorphicError):
    """422: an invalid sweep definition; ``field`` names the offending field. Nothing was queued."""


class ServerUnavailable(MorphicError):
    """The server could not be reached, or stayed busy (429, 503), after every retry."""


class SweepFailed(MorphicError):
    """A sweep waited for ended ``failed`` or ``cancelled``."""


class DamagedArchive(MorphicError):
    """A dataset archive that is not whole: unreadable, truncated, or a file whose sha256 differs from the manifest's."""


_BY_STATUS = {400: BadRequest, 401: Unauthorized, 403: Forbidden, 404: NotFound, 409: Conflict, 422: DefinitionError}


def error_for(status: int, code: str, message: str, field: Optional[str]) -> MorphicError:
    """The exception for an error answer of the server."""
    kind = _BY_STATUS.get(status)
    if kind is None:
        kind = ServerUnavailable if status in (429, 502, 503, 504) else MorphicError
    return kind(message, status=status, code=code, field=field)
