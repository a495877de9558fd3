"""Conversions shared by the areas: graphs and models given as paths, text, dicts or objects; id
lists; proto enum values as the core's labels."""

from __future__ import annotations

import json
import os
from typing import Any, List, Mapping, Tuple, Union

from .. import _core
from .._util import raise_invalid


def _read_text(path: Union[str, os.PathLike]) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except FileNotFoundError:
        error = _core.NotFoundError(f"{os.fspath(path)}: file not found")
        error.code = "NOT_FOUND"
        raise error from None


def _definition_json(value: Any, what: str) -> Tuple[str, Any]:
    """("json", text) or ("message", proto) for a graph or model given as a path, JSON text, a dict,
    a core object (anything with to_json()) or a proto message."""
    if hasattr(value, "SerializeToString"):
        return "message", value
    if hasattr(value, "to_json"):
        return "json", value.to_json()
    if isinstance(value, Mapping):
        return "json", json.dumps(value)
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    if isinstance(value, str) and value.lstrip().startswith("{"):
        return "json", value
    if isinstance(value, (str, os.PathLike)):
        return "json", _read_text(value)
    raise_invalid(f"{what}: expected a file path, JSON text, a dict, a pathwise object or a "
                  f"pathwise.v1 message, got {type(value).__name__}")


def _ids(value: Any, name: str) -> List[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    ids = list(value)
    for i, x in enumerate(ids):
        if not isinstance(x, str):
            raise_invalid(f"{name}[{i}]: expected a string id, got {x!r}")
    return ids


def _enum_label(enum_type: Any, value: int, prefix: str, unspecified: str) -> str:
    """'SCORE_PART_REVIEW_DUE' -> 'review_due'; the unspecified value (value 0) -> `unspecified`."""
    if value == 0:
        return unspecified
    try:
        name = enum_type.Name(value)
    except ValueError:  # a value newer than these stubs
        return str(value)
    return (name[len(prefix):] if name.startswith(prefix) else name).lower()


def _core_enum(enum_class: Any, label: str) -> Any:
    return enum_class.__members__.get(label.upper(), label)


def _known_label(label: str, known: Any, what: str) -> str:
    """`label` when the core knows it; else UnimplementedError: the server is newer than this
    client, and the core's classes cannot hold what it sent."""
    if label in known:
        return label
    error = _core.UnimplementedError(f"the server sent {what} {label!r}, which this client does not "
                                     "know: use a pathwise package as new as the server")
    error.code = "UNIMPLEMENTED"
    raise error


class _WithVersions:
    """Base of the results that hold one core object (``value_name``) with the versions of the graph
    and model the server computed it from. The core object's attributes read through, so
    ``result.steps`` is ``result.pathway.steps``."""

    value_name = ""

    def __getattr__(self, name: str) -> Any:
        # Only called for names the result does not have. Dunders (pickle and copy ask for
        # __setstate__ before __dict__ is filled) and a missing value are plain AttributeErrors.
        value = self.__dict__.get(self.value_name)
        if name.startswith("__") or value is None or not hasattr(value, name):
            raise AttributeError(f"{type(self).__name__!r} object (and its {self.value_name}) has "
                                 f"no attribute {name!r}")
        return getattr(value, name)

    def __dir__(self) -> List[str]:
        return sorted(set(super().__dir__()) | set(dir(self.__dict__.get(self.value_name))))
