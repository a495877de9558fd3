"""Errors: the one place where a gRPC status becomes a Python exception."""

from __future__ import annotations

import re
from typing import NoReturn

from .. import _core


class UnauthenticatedError(_core.PathwiseError, PermissionError):
    """No API key, a malformed ``authorization`` header, or a key the server does not know."""


class PermissionDeniedError(_core.PathwiseError, PermissionError):
    """The key is known but may not make this call."""


class UnavailableError(_core.PathwiseError, ConnectionError):
    """The server cannot be reached (not running, wrong address, TLS mismatch) or is shutting down.
    Safe to retry: recording is idempotent by event id."""


class DeadlineExceededError(_core.PathwiseError, TimeoutError):
    """The call did not finish within the client's timeout."""


_REMOTE_ERRORS = {
    "UNAUTHENTICATED": UnauthenticatedError,
    "PERMISSION_DENIED": PermissionDeniedError,
    "UNAVAILABLE": UnavailableError,
    "DEADLINE_EXCEEDED": DeadlineExceededError,
}


def _raise_rpc_error(error: Exception, renumber_events_from: int = 0) -> NoReturn:
    """Raises the Pathwise exception for a failed call: the classes above for the codes only a remote
    call has, else the bindings' own mapping of core status codes (the same numbers as gRPC's)."""
    code = error.code() if callable(getattr(error, "code", None)) else None
    name = code.name if code is not None else "UNKNOWN"
    number = code.value[0] if code is not None else 2
    message = (error.details() if callable(getattr(error, "details", None)) else None) or name
    if renumber_events_from:  # a later batch of record(): name the caller's index, not the batch's
        message = re.sub(r"\bevents\[(\d+)\]",
                         lambda m: f"events[{int(m.group(1)) + renumber_events_from}]", message)
        message += f" (the events before events[{renumber_events_from}] were recorded)"
    remote = _REMOTE_ERRORS.get(name)
    if remote is not None:
        exception = remote(message)
        exception.code = name
        raise exception from error
    try:
        _core._raise_status(number, message)
    except _core.PathwiseError as mapped:
        raise mapped from error
    raise _core.InternalError(message) from error  # not reached: _raise_status always raises
