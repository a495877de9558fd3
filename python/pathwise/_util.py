"""Small helpers shared by the pure-Python modules (not public)."""

from __future__ import annotations

from typing import Any, Iterable, NoReturn

from . import _core


def raise_invalid(message: str) -> NoReturn:
    """Raises the exception a core InvalidArgument status becomes, for checks made in Python."""
    error = _core.InvalidArgumentError(message)
    error.code = "INVALID_ARGUMENT"
    raise error


def check_choice(name: str, value: Any, choices: Iterable[str]) -> str:
    """Returns `value` when it is one of `choices`, else raises naming the accepted values."""
    choices = list(choices)
    if not isinstance(value, str) or value not in choices:
        raise_invalid(f"unknown {name} {value!r}; expected one of: {', '.join(choices)}")
    return value


def optional_pandas():
    """The pandas module, or None when it is not installed."""
    try:
        import pandas
    except ImportError:  # pandas is optional: everything works with NumPy alone
        return None
    return pandas


def require_pandas(what: str):
    pandas = optional_pandas()
    if pandas is None:
        raise ImportError(f"{what} needs pandas (Debian: apt-get install python3-pandas)")
    return pandas


def is_dataframe(value: Any) -> bool:
    pandas = optional_pandas()
    return pandas is not None and isinstance(value, pandas.DataFrame)
