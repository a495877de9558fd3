"""Education standards through the service: xAPI / Caliper records, CASE / Ed-Fi frameworks and
OneRoster rosters imported into the tenant, and the class report (StandardsService)."""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from .._util import raise_invalid
from ._connection import _Connection
from ._convert import _read_text


@dataclass(frozen=True)
class VoidedEvent:
    learner_id: str
    event_id: str


@dataclass(frozen=True)
class ImportRecordsResult:
    """What an xAPI / Caliper import read and did; the counts of ``pathwise import xapi``."""
    records_read: int
    accepted: int  # answers, after voiding within the batch and repeated ids
    skipped: Dict[str, int]  # by reason: "no-outcome", "unmapped-activity", "entity", ...
    skipped_by_verb: Dict[str, int]
    voiding: int
    voided_in_batch: List[str]
    recorded: int  # events stored (dry run: that would be)
    duplicates: int  # answers the learner already had (a batch imported again)
    learner_ids: List[str]
    new_learner_ids: List[str]
    voided_events: List[VoidedEvent]  # stored events removed (dry run: that would be)
    voided_not_found: List[str]
    learners_rescored: int
    dry_run: bool


@dataclass(frozen=True)
class ImportFrameworkResult:
    version: int  # the graph version put; 0 on a dry run
    competencies: int
    prerequisites: int
    groups: int
    learners_rescored: int
    records_read: int  # CFItems or Ed-Fi learning standards
    associations: int
    associations_by_type: Dict[str, int]
    unknown_association_types: List[str]
    aliases: int
    related: int
    warnings: List[str]
    dry_run: bool


@dataclass(frozen=True)
class RosterClass:
    sourced_id: str
    title: str
    course_sourced_id: str
    school_sourced_id: str
    learner_ids: List[str]
    teacher_ids: List[str]


@dataclass(frozen=True)
class ImportRosterResult:
    classes: List[RosterClass]
    learners: int
    orgs: int
    courses: int
    users: int
    enrollments: int
    other_roles: int
    notes: List[str]
    ignored_files: List[str]
    replaced: bool
    dry_run: bool


@dataclass(frozen=True)
class ClassReportResult:
    html: str  # one self-contained HTML page, as `pathwise report class` writes it
    learners: int
    events: int
    cohorts: int
    at_goal: int
    stalled: int
    graph_version: int
    model_version: int

    def write(self, path: Union[str, os.PathLike]) -> None:
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.html)


def _json_text(value: Any, what: str) -> str:
    """JSON text from a file path, JSON text, or a dict / list."""
    if isinstance(value, (Mapping, list)):
        return json.dumps(value)
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    if isinstance(value, str) and value.lstrip()[:1] in ("{", "[", "<"):
        return value
    if isinstance(value, (str, os.PathLike)):
        return _read_text(value)
    raise_invalid(f"{what}: expected a file path, JSON text, a dict or a list, got "
                  f"{type(value).__name__}")


def _activity_map(value: Any) -> Dict[str, str]:
    """IRI -> activity id from a dict or a CSV file with columns iri, activity_id."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    text = _read_text(value)
    rows = csv.DictReader(text.splitlines())
    if rows.fieldnames is None or not {"iri", "activity_id"} <= set(rows.fieldnames):
        raise_invalid(f"{os.fspath(value)}: an activity map needs the columns iri and activity_id")
    return {row["iri"].strip(): row["activity_id"].strip() for row in rows}


def _roster_files(value: Any) -> Dict[str, str]:
    """File name -> CSV text from a OneRoster export directory or a dict of them."""
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    directory = os.fspath(value)
    if not os.path.isdir(directory):
        raise_invalid(f"{directory}: not a directory (a OneRoster CSV export)")
    return {name: _read_text(os.path.join(directory, name))
            for name in sorted(os.listdir(directory)) if name.endswith(".csv")}


class _StandardsCalls(_Connection):
    """StandardsService: imports of education standards and the class report."""

    def _import_records(self, fmt: int, records: Any, activity_map: Any, account_home_page: str,
                        completion_as_outcome: bool, dry_run: bool) -> ImportRecordsResult:
        pb = self._pb.standards
        request = pb.ImportLearningRecordsRequest(
            format=fmt, records_json=_json_text(records, "records"),
            account_home_page=account_home_page, completion_as_outcome=completion_as_outcome,
            dry_run=dry_run)
        request.activity_map.update(_activity_map(activity_map))
        r = self._call(self._standards.ImportLearningRecords, request)
        return ImportRecordsResult(
            r.records_read, r.accepted, dict(sorted(r.skipped.items())),
            dict(sorted(r.skipped_by_verb.items())), r.voiding, list(r.voided_in_batch),
            r.recorded, r.duplicates, list(r.learner_ids), list(r.new_learner_ids),
            [VoidedEvent(e.learner_id, e.event_id) for e in r.voided_events],
            list(r.voided_not_found), r.learners_rescored, r.dry_run)

    def import_xapi(self, statements: Any, *, activity_map: Any = None,
                    account_home_page: str = "", completion_as_outcome: bool = False,
                    dry_run: bool = False) -> ImportRecordsResult:
        """Records the answers among xAPI 1.0.3 / 2.0 statements as the tenant's events.

        ``statements``: a file path, JSON text, a statement dict or a list of them.
        ``activity_map``: a dict or a CSV file (iri, activity_id); without one the IRI is the
        activity id. The statement id is the event id, so importing again changes nothing; a
        voiding statement removes the voided answer (from the store too, re-deriving the
        learner). One malformed statement raises InvalidArgumentError naming its index and JSON
        path, and nothing is stored. ``dry_run``: report, store nothing.
        """
        return self._import_records(self._pb.standards.ImportLearningRecordsRequest.XAPI,
                                    statements, activity_map, account_home_page,
                                    completion_as_outcome, dry_run)

    def import_caliper(self, events: Any, *, activity_map: Any = None,
                       dry_run: bool = False) -> ImportRecordsResult:
        """Records Caliper 1.2 GradeEvents (an envelope, a list of events or one event) as
        :meth:`import_xapi` does."""
        return self._import_records(self._pb.standards.ImportLearningRecordsRequest.CALIPER,
                                    events, activity_map, "", False, dry_run)

    def _import_framework(self, fmt: int, document: Any, case_version: str,
                          expected_version: Optional[int], dry_run: bool
                          ) -> ImportFrameworkResult:
        pb = self._pb.standards
        request = pb.ImportFrameworkRequest(format=fmt, document=_json_text(document, "document"),
                                            case_version=case_version, dry_run=dry_run)
        if expected_version is not None:
            request.expected_version = int(expected_version)
        r = self._call(self._standards.ImportFramework, request)
        return ImportFrameworkResult(
            r.version, r.competencies, r.prerequisites, r.groups, r.learners_rescored,
            r.records_read, r.associations, dict(sorted(r.associations_by_type.items())),
            list(r.unknown_association_types), r.aliases, r.related, list(r.warnings), r.dry_run)

    def import_case(self, package: Any, *, case_version: str = "1.1",
                    expected_version: Optional[int] = None,
                    dry_run: bool = False) -> ImportFrameworkResult:
        """Puts a CASE CFPackage (path, JSON text or dict) as the tenant's graph, as
        :meth:`put_graph` does, after validating it against the CASE ``case_version`` schema."""
        return self._import_framework(self._pb.standards.ImportFrameworkRequest.CASE, package,
                                      case_version, expected_version, dry_run)

    def import_edfi(self, standards: Any, *, expected_version: Optional[int] = None,
                    dry_run: bool = False) -> ImportFrameworkResult:
        """Puts Ed-Fi learning standards (API JSON or XML interchange) as the tenant's graph."""
        return self._import_framework(self._pb.standards.ImportFrameworkRequest.EDFI, standards,
                                      "", expected_version, dry_run)

    def import_oneroster(self, export: Any, *, dry_run: bool = False) -> ImportRosterResult:
        """Keeps a OneRoster 1.2 CSV export (a directory, or {file name: CSV text}) as the
        tenant's roster, for :meth:`class_report` (stored: it survives a restart)."""
        request = self._pb.standards.ImportRosterRequest(dry_run=dry_run)
        request.files.update(_roster_files(export))
        r = self._call(self._standards.ImportRoster, request)
        classes = [RosterClass(c.sourced_id, c.title, c.course_sourced_id, c.school_sourced_id,
                               list(c.learner_ids), list(c.teacher_ids)) for c in r.classes]
        return ImportRosterResult(classes, r.learners, r.orgs, r.courses, r.users, r.enrollments,
                                  r.other_roles, list(r.notes), list(r.ignored_files), r.replaced,
                                  r.dry_run)

    def class_report(self, class_id: Optional[str] = None, *,
                     learners: Optional[Sequence[str]] = None, goals: Sequence[str] = (),
                     title: str = "") -> ClassReportResult:
        """The class report (one self-contained HTML page) for a class of the imported roster or
        for a list of the tenant's learners; ``.write(path)`` saves it."""
        if (class_id is None) == (learners is None):
            raise_invalid("class_report: give class_id or learners (one of them)")
        pb = self._pb.standards
        request = pb.GetClassReportRequest(goals=list(goals), title=title)
        if class_id is not None:
            request.class_id = class_id
        else:
            request.learner_ids.ids.extend(list(learners or ()))
        r = self._call(self._standards.GetClassReport, request)
        return ClassReportResult(r.html, r.learners, r.events, r.cohorts, r.at_goal, r.stalled,
                                 r.graph_version, r.model_version)
