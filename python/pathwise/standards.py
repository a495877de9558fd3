"""Education standards in: xAPI statements and Caliper events as observations, CASE packages and
Ed-Fi learning standards as competency graphs, OneRoster rosters as classes and their learners.

The parsers (``parse_*``) take text and a source name that every error message starts with; the
``read_*`` functions open a file and name it in the messages (the CASE, Ed-Fi and OneRoster
readers are the library's own; xAPI and Caliper files are read here, the library parsing text only). The mapping rules, and what each
import accepts, skips and rejects, are in docs/standards.md; the CLI's ``pathwise import`` uses the
same library calls. Errors are the package's usual exceptions: :class:`pathwise.InvalidArgumentError`
naming the source, the record and its JSON path (one bad record imports nothing),
:class:`pathwise.NotFoundError` for a missing file.
"""

from __future__ import annotations

import os
from typing import Mapping, Optional, Union

from . import _core
from ._core import (  # noqa: F401  (re-exports)
    CaseImportReport,
    CaseLink,
    CaseNote,
    ImportedCase,
    ImportedEdFi,
    ImportedObservations,
    LearningRecordReport,
    Roster,
    RosterClass,
    parse_caliper_events,
    parse_case_package,
    parse_edfi_learning_standards,
    parse_xapi_statements,
    read_activity_map_csv,
    read_case_package,
    read_edfi_learning_standards,
    read_oneroster,
)

PathLike = Union[str, "os.PathLike[str]"]


def _read_text(path: PathLike) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except FileNotFoundError:
        raise _core.NotFoundError(f"{os.fspath(path)}: no such file") from None
    except UnicodeDecodeError as e:
        raise _core.InvalidArgumentError(f"{os.fspath(path)}: not UTF-8 text ({e.reason} at byte {e.start})") from None


def _activity_map(activity_map: Optional[Union[Mapping[str, str], PathLike]]) -> Optional[Mapping[str, str]]:
    """A mapping as given, or one read from an activity map CSV (columns iri, activity_id)."""
    if activity_map is None or isinstance(activity_map, Mapping):
        return activity_map
    return read_activity_map_csv(os.fspath(activity_map))


def read_xapi_statements(path: PathLike, *, activity_map=None, completion_as_outcome: bool = False,
                         account_home_page: str = "") -> ImportedObservations:
    """xAPI statements from a JSON file (see :func:`parse_xapi_statements`). ``activity_map`` is a
    mapping or the path of an activity map CSV."""
    return parse_xapi_statements(_read_text(path), os.fspath(path), activity_map=_activity_map(activity_map),
                                 completion_as_outcome=completion_as_outcome,
                                 account_home_page=account_home_page)


def read_caliper_events(path: PathLike, *, activity_map=None) -> ImportedObservations:
    """Caliper 1.2 events from a JSON file (see :func:`parse_caliper_events`)."""
    return parse_caliper_events(_read_text(path), os.fspath(path), activity_map=_activity_map(activity_map))
