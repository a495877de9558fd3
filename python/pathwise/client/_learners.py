"""Learners: recording events (one request per batch, or a stream), mastery, export and deletion."""

from __future__ import annotations

import datetime
import numbers
import types
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from .. import _core
# The core's classes, not mirrors: one class per concept in Python. The wire carries no log-odds,
# so a remote estimate's log_odds is NaN ("not known"), as for an estimate built by hand.
from .._core import GroupMastery, LearnerMastery, MasteryEstimate
from .._util import is_dataframe, raise_invalid
from ._connection import _Connection
from ._convert import _ids, _WithVersions
from ._errors import _raise_rpc_error


@dataclass(frozen=True)
class GetMasteryResult(_WithVersions):
    """What :meth:`Client.mastery` returns: the core's ``pathwise.LearnerMastery`` (``mastery``;
    its ``learner_id``, ``competencies``, ``competency_ids``, ``p_learned`` and ``to_dict()`` read
    through), the groups' roll-ups, and the versions the server computed them from."""

    value_name = "mastery"
    mastery: LearnerMastery
    groups: List[GroupMastery] = field(default_factory=list)  # with include_groups=True
    graph_version: int = 0
    model_version: int = 0  # of the active model; 0 when the server uses the graph's params


@dataclass(frozen=True)
class RecordEventsResult:
    recorded: int  # events stored and applied
    duplicates: int  # events already stored (or repeated): nothing changed
    duplicate_indices: List[int]  # indices into the events given to record(); empty for streams
    batches: int  # requests (record) or stream messages (record_stream) committed
    # With return_mastery=True: per learner, the competencies the events changed.
    learners: Dict[str, List[MasteryEstimate]] = field(default_factory=dict)


@dataclass(frozen=True)
class StoredObservation:
    sequence: int  # increases in commit order
    event_id: str
    learner_id: str
    activity_id: str
    outcome: float
    timestamp_ms: int


@dataclass(frozen=True)
class LearnerExport:
    learner_id: str
    state_version: int
    stored_states: List[MasteryEstimate]
    events: List[StoredObservation]  # in commit order

    def observations(self) -> List[Any]:
        """The events as ``pathwise.Observation`` objects, in commit order: replayed through a fresh
        ``pathwise.Engine`` of the same graph and model they give the mastery the server reports."""
        return [_core.Observation(e.event_id, e.learner_id, e.activity_id, e.outcome, e.timestamp_ms)
                for e in self.events]


_EVENT_FIELDS = ("event_id", "learner_id", "activity_id", "outcome", "timestamp_ms")


def _event_id(value: Any, where: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)):
        return str(int(value))
    raise_invalid(f"{where}: expected a string id, got {value!r}")


def _outcome(value: Any, where: str) -> Optional[float]:
    if value is None:
        return None  # absent: the server says the field is required
    if not isinstance(value, (str, bytes)):
        try:
            return float(value)  # NaN goes through: the server names the field
        except (TypeError, ValueError):
            pass
    raise_invalid(f"{where}: expected a number in [0, 1], got {value!r}")


def _timestamp_ms(value: Any, where: str) -> int:
    if value is None or (not isinstance(value, str) and value != value):  # NaN, NaT: unknown
        return 0
    if isinstance(value, str):
        try:
            return _core.parse_timestamp(value) if value else 0
        except _core.InvalidArgumentError as error:
            raise_invalid(f"{where}: {error}")
    try:
        if isinstance(value, datetime.datetime):  # pandas.Timestamp too; naive means UTC
            if value.tzinfo is None:
                value = value.replace(tzinfo=datetime.timezone.utc)
            return int(round(value.timestamp() * 1000))
        if isinstance(value, np.datetime64):
            return int(value.astype("datetime64[ms]").astype(np.int64))
        if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)):
            if float(value) == int(value):
                return int(value)
    except (ValueError, OverflowError):  # infinities, dates out of range
        pass
    raise_invalid(f"{where}: expected milliseconds since the epoch, an ISO 8601 text or a datetime, "
                  f"got {value!r}")


def _event_values(event: Any, index: int) -> Tuple[Any, Any, Any, Any, Any]:
    if isinstance(event, Mapping):
        timestamp = event.get("timestamp_ms", event.get("timestamp"))
        return (event.get("event_id"), event.get("learner_id"), event.get("activity_id"),
                event.get("outcome"), timestamp)
    if isinstance(event, (tuple, list)) and not hasattr(event, "_fields"):
        if not 4 <= len(event) <= 5:
            raise_invalid(f"events[{index}]: an event tuple is (event_id, learner_id, activity_id, "
                          f"outcome[, timestamp_ms]), got {len(event)} values")
        return tuple(event) + (None,) * (5 - len(event))  # type: ignore[return-value]
    # pathwise.Observation, named tuples, dataclasses, DataFrame.itertuples() rows
    timestamp = getattr(event, "timestamp_ms", getattr(event, "timestamp", None))
    return (getattr(event, "event_id", None), getattr(event, "learner_id", None),
            getattr(event, "activity_id", None), getattr(event, "outcome", None), timestamp)


def _event_message(pb: types.SimpleNamespace, event: Any, index: int) -> Any:
    if isinstance(event, pb.learner.Observation):
        return event
    event_id, learner_id, activity_id, outcome, timestamp = _event_values(event, index)
    message = pb.learner.Observation(
        event_id=_event_id(event_id, f"events[{index}].event_id"),
        learner_id=_event_id(learner_id, f"events[{index}].learner_id"),
        activity_id=_event_id(activity_id, f"events[{index}].activity_id"),
        timestamp_ms=_timestamp_ms(timestamp, f"events[{index}].timestamp_ms"))
    value = _outcome(outcome, f"events[{index}].outcome")
    if value is not None:
        message.outcome = value
    return message


def _dataframe_rows(frame: Any) -> Iterator[Tuple[Any, ...]]:
    columns = list(frame.columns)
    missing = [c for c in _EVENT_FIELDS[:4] if c not in columns]
    if missing:
        raise_invalid(f"events: the DataFrame has no column {missing[0]!r} (columns: "
                      f"{', '.join(map(str, columns))}); expected event_id, learner_id, activity_id, "
                      "outcome and optionally timestamp_ms or timestamp")
    time_column = next((c for c in ("timestamp_ms", "timestamp") if c in columns), None)
    values = [frame[c].tolist() for c in _EVENT_FIELDS[:4]]
    values.append(frame[time_column].tolist() if time_column else [None] * len(frame))
    return zip(*values)


def _event_messages(pb: types.SimpleNamespace, events: Any) -> Iterator[Any]:
    rows = _dataframe_rows(events) if is_dataframe(events) else events
    for index, event in enumerate(rows):
        yield _event_message(pb, event, index)


def _chunks(messages: Iterator[Any], size: int) -> Iterator[Tuple[int, List[Any]]]:
    """(index of the first, messages) per batch of at most `size`."""
    start, chunk = 0, []
    for message in messages:
        chunk.append(message)
        if len(chunk) == size:
            yield start, chunk
            start, chunk = start + size, []
    if chunk:
        yield start, chunk


def _estimate(m: Any) -> MasteryEstimate:
    return MasteryEstimate(m.competency_id, m.p_learned, m.mastered, m.opportunities,
                           m.last_practiced_ms, recent_answers=m.recent_answers)


def _batch_size(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise_invalid(f"batch_size must be a positive integer, got {value!r}")
    return int(value)


class _Totals:
    """RecordEventsResult summed over the batches of one record() call."""

    def __init__(self) -> None:
        self.recorded = self.duplicates = self.batches = 0
        self.duplicate_indices: List[int] = []
        self.learners: Dict[str, Dict[str, MasteryEstimate]] = {}

    def add(self, response: Any, start: int) -> None:
        self.recorded += response.recorded
        self.duplicates += response.duplicates
        self.batches += response.batches or 1
        self.duplicate_indices.extend(start + i for i in response.duplicate_indices)
        for update in response.learners:
            changed = self.learners.setdefault(update.learner_id, {})
            for estimate in update.competencies:
                changed[estimate.competency_id] = _estimate(estimate)

    def result(self) -> RecordEventsResult:
        learners = {learner: [changed[c] for c in sorted(changed)]
                    for learner, changed in self.learners.items()}
        return RecordEventsResult(self.recorded, self.duplicates, self.duplicate_indices,
                                  self.batches, learners)


class _LearnerCalls(_Connection):
    """LearnerService: recording events, mastery, export and deletion."""

    def record(self, events: Any, *, return_mastery: bool = False,
               batch_size: int = 1000) -> RecordEventsResult:
        """Records events, ``batch_size`` per request; each request is atomic and durable when it
        returns. Re-sending an event (same learner and ``event_id``) changes nothing, so retrying is
        always safe.

        ``events``: a sequence of ``pathwise.Observation`` (e.g. from
        ``pathwise.read_observations_csv``), dicts or objects with the fields ``event_id``,
        ``learner_id``, ``activity_id``, ``outcome`` (credit in [0, 1]) and ``timestamp_ms`` (or
        ``timestamp``: milliseconds, ISO 8601 text or a datetime), tuples in that order, or a pandas
        DataFrame with those columns. A bad event raises InvalidArgumentError naming it
        (``events[3].outcome``); when a later batch fails, the batches before it stay recorded.
        """
        pb = self._pb
        batch_size = _batch_size(batch_size)
        totals = _Totals()
        chunks = list(_chunks(_event_messages(pb, events), batch_size)) or [(0, [])]
        for start, chunk in chunks:
            request = pb.learner.RecordEventsRequest(events=chunk, return_mastery=return_mastery)
            r = self._call(self._learners.RecordEvents, request, renumber_events_from=start)
            totals.add(r, start)
        return totals.result()

    def record_stream(self, events: Iterable[Any], *, batch_size: int = 1000,
                      timeout: Optional[float] = None) -> RecordEventsResult:
        """Records events (as :meth:`record` accepts them) over one client stream, ``batch_size``
        per message, consuming ``events`` lazily (a generator over a large file is fine). Each
        message commits as it arrives; on an error the committed ones stay, and re-sending the whole
        stream with the same event ids finishes it. ``timeout``: None, no deadline."""
        pb = self._pb
        batch_size = _batch_size(batch_size)
        failure: List[BaseException] = []

        def requests() -> Iterator[Any]:
            try:
                for _, chunk in _chunks(_event_messages(pb, events), batch_size):
                    yield pb.learner.RecordEventsRequest(events=chunk)
            except Exception as error:  # re-raised below: grpc would only cancel the call
                failure.append(error)
                raise

        try:
            r = self._learners.StreamEvents(requests(), timeout=timeout, metadata=self._metadata)
        except pb.grpc.RpcError as error:
            if failure:
                raise failure[0] from None
            _raise_rpc_error(error)
        return RecordEventsResult(r.recorded, r.duplicates, [], r.batches)

    def mastery(self, learner_id: str, competency_ids: Optional[Sequence[str]] = None, *,
                include_groups: bool = False) -> LearnerMastery:
        """A learner's mastery of every competency (graph order) or of ``competency_ids`` (that
        order); with ``include_groups`` also the roll-up of every group. NotFoundError for an
        unknown learner (another tenant's included) or competency."""
        r = self._call(self._learners.GetMastery, self._pb.learner.GetMasteryRequest(
            learner_id=learner_id, competency_ids=_ids(competency_ids, "competency_ids"),
            include_groups=include_groups))
        groups = [GroupMastery(g.group_id, g.p_learned, g.mastered, g.members, g.members_mastered)
                  for g in r.groups]
        mastery = LearnerMastery(r.learner_id, [_estimate(e) for e in r.competencies])
        return GetMasteryResult(mastery, groups, r.graph_version, r.model_version)

    def export_learner(self, learner_id: str) -> LearnerExport:
        """Everything stored about a learner: the stored states and every event in commit order."""
        request = self._pb.learner.ExportLearnerRequest(learner_id=learner_id)
        learner, version, states, events = learner_id, 0, [], []
        try:
            for i, chunk in enumerate(self._learners.ExportLearner(
                    request, timeout=self.timeout, metadata=self._metadata)):
                if i == 0:
                    learner, version = chunk.learner_id, chunk.state_version
                    states = [_estimate(e) for e in chunk.stored_states]
                events.extend(StoredObservation(s.sequence, s.event.event_id, s.event.learner_id,
                                                s.event.activity_id, s.event.outcome,
                                                s.event.timestamp_ms) for s in chunk.events)
        except self._pb.grpc.RpcError as error:
            _raise_rpc_error(error)
        return LearnerExport(learner, version, states, events)

    def delete_learner(self, learner_id: str) -> None:
        """Deletes a learner's events (ids included) and state for good."""
        self._call(self._learners.DeleteLearner,
                   self._pb.learner.DeleteLearnerRequest(learner_id=learner_id))
