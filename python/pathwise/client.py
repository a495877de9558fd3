"""A client of pathwised, the Pathwise gRPC service, in the words of the core API.

    import pathwise as pw

    with pw.Client("127.0.0.1:50051", "demo-key-change-me-0123456789") as client:
        client.put_graph("examples/curriculum/fractions.json")
        client.record(pw.read_observations_csv("examples/curriculum/fractions_events.csv"))
        client.mastery("ana").to_dict()                          # {competency id: P(learned)}
        client.recommend("ana", goals=["fractions.add_unlike"], k=3)
        client.plan("ana", ["fractions.add_unlike"]).steps

Every method is one RPC of ``proto/pathwise/v1`` (``record`` one per batch); the results are plain
Python objects (frozen dataclasses) whose fields are those of the core classes of the same name
(``MasteryEstimate``, ``Recommendation``, ``Pathway``, ...) and of the proto messages.

Requirements: the generated stubs ``pathwise.v1.*_pb2`` (built by CMake when the service is built
and grpc_python_plugin is found, or by ``pip install ./python`` when protoc and grpc_python_plugin
are on PATH) and grpcio + protobuf (Debian: python3-grpcio, python3-protobuf). ``import pathwise``
works without them; creating a :class:`Client` raises ImportError saying what is missing.

Errors: a failed call raises the exception the bindings raise for the same core status (see
``pathwise.__doc__``: INVALID_ARGUMENT -> :class:`pathwise.InvalidArgumentError`, a ValueError;
NOT_FOUND -> :class:`pathwise.NotFoundError`, a LookupError; ...) with the server's message, plus
four codes that only a remote call has:

=====================  ===========================================  =====================
gRPC status            Exception                                    Also an instance of
=====================  ===========================================  =====================
UNAUTHENTICATED        :class:`UnauthenticatedError`                ``PermissionError``
PERMISSION_DENIED      :class:`PermissionDeniedError`               ``PermissionError``
UNAVAILABLE            :class:`UnavailableError`                    ``ConnectionError``
DEADLINE_EXCEEDED      :class:`DeadlineExceededError`               ``TimeoutError``
=====================  ===========================================  =====================

All derive from :class:`pathwise.PathwiseError`; ``e.code`` is the status code name.
"""

from __future__ import annotations

import datetime
import json
import numbers
import os
import re
import time
import types
from dataclasses import dataclass, field
from typing import (Any, Dict, Iterable, Iterator, List, Mapping, NoReturn, Optional, Sequence,
                    Tuple, Union)

import numpy as np

from . import _core
from ._util import check_choice, is_dataframe, raise_invalid

__all__ = [
    "Client",
    "DeadlineExceededError",
    "FitJob",
    "GraphProblem",
    "GroupMastery",
    "LearnerExport",
    "LearnerMastery",
    "MasteryEstimate",
    "PartScore",
    "Pathway",
    "PathwayStep",
    "PermissionDeniedError",
    "PutGraphResult",
    "PutModelResult",
    "Recommendation",
    "Recommendations",
    "RecordEventsResult",
    "StoredEvent",
    "StoredGraph",
    "StoredModel",
    "UnauthenticatedError",
    "UnavailableError",
    "UnreachableGoal",
    "ValidateGraphResult",
]

# ---------------------------------------------------------------------------------------------------
# Errors: the one place where a gRPC status becomes a Python exception.
# ---------------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------------
# Results: plain data, the fields of the core classes and proto messages of the same name.
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PutGraphResult:
    version: int  # 1 for a tenant's first graph, then +1 per put
    competencies: int
    prerequisites: int
    activities: int
    groups: int
    learners_rescored: int  # learners whose mastery was re-derived under the new graph


@dataclass(frozen=True)
class StoredGraph:
    version: int
    graph: Any  # pathwise.CompetencyGraph
    graph_json: str  # the canonical graph JSON the server stores


@dataclass(frozen=True)
class GraphProblem:
    kind: str  # as pathwise.GraphProblem.kind: "duplicate-id", "cycle", ...; "malformed" for bad JSON
    path: str  # field path, e.g. "graph.prerequisites[3].from"
    message: str


@dataclass(frozen=True)
class ValidateGraphResult:
    valid: bool
    problems: List[GraphProblem]


@dataclass(frozen=True)
class PutModelResult:
    name: str
    version: int
    active: bool  # the server now uses this model
    learners_rescored: int


@dataclass(frozen=True)
class StoredModel:
    name: str
    version: int
    model: Any  # pathwise.BktModel
    model_json: str


@dataclass(frozen=True)
class MasteryEstimate:
    competency_id: str
    p_learned: float  # P(learned) before the next opportunity
    mastered: bool  # p_learned >= the competency's mastery threshold
    opportunities: int
    last_practiced_ms: int  # 0 if never practised


@dataclass(frozen=True)
class GroupMastery:
    group_id: str
    p_learned: float  # mean of the members' P(learned)
    mastered: bool  # every member is
    members: int
    members_mastered: int


@dataclass(frozen=True)
class LearnerMastery:
    learner_id: str
    competencies: List[MasteryEstimate]
    groups: List[GroupMastery] = field(default_factory=list)  # with include_groups=True
    graph_version: int = 0
    model_version: int = 0  # of the active model; 0 when the server uses the graph's params

    @property
    def competency_ids(self) -> List[str]:
        return [e.competency_id for e in self.competencies]

    @property
    def p_learned(self) -> np.ndarray:
        return np.array([e.p_learned for e in self.competencies], dtype=np.float64)

    def to_dict(self) -> Dict[str, float]:
        """``{competency id: P(learned)}``, as ``pathwise.LearnerMastery.to_dict()``."""
        return {e.competency_id: e.p_learned for e in self.competencies}


@dataclass(frozen=True)
class RecordEventsResult:
    recorded: int  # events stored and applied
    duplicates: int  # events already stored (or repeated): nothing changed
    duplicate_indices: List[int]  # indices into the events given to record(); empty for streams
    batches: int  # requests (record) or stream messages (record_stream) committed
    # With return_mastery=True: per learner, the competencies the events changed.
    learners: Dict[str, List[MasteryEstimate]] = field(default_factory=dict)


@dataclass(frozen=True)
class StoredEvent:
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
    events: List[StoredEvent]  # in commit order

    def observations(self) -> List[Any]:
        """The events as ``pathwise.Observation`` objects, in commit order: replayed through a fresh
        ``pathwise.Engine`` of the same graph and model they give the mastery the server reports."""
        return [_core.Observation(e.event_id, e.learner_id, e.activity_id, e.outcome, e.timestamp_ms)
                for e in self.events]


@dataclass(frozen=True)
class PartScore:
    part: Any  # pathwise.ScorePart
    weight: float
    value: float  # in [0, 1]
    contribution: float  # weight * value
    reason: str


@dataclass(frozen=True)
class Recommendation:
    activity_id: str
    score: float
    parts: List[PartScore]
    reasons: List[str]  # for a person, largest contribution first
    competency_ids: List[str]
    expected_minutes: float
    predicted_correct: Optional[float]  # None when the policy does not predict
    pinned: bool


class Recommendations(List[Recommendation]):
    """The ranked recommendations (a list, best first) and what they were computed from."""

    def __init__(self, items: Iterable[Recommendation], *, learner_id: str, policy: Any,
                 graph_version: int, model_version: int) -> None:
        super().__init__(items)
        self.learner_id = learner_id
        self.policy = policy  # pathwise.PolicyKind
        self.graph_version = graph_version
        self.model_version = model_version


@dataclass(frozen=True)
class PathwayStep:
    competency_id: str
    p_learned: float
    mastery_threshold: float
    is_goal: bool
    prerequisites_in_plan: List[str]
    activity_ids: List[str]
    expected_opportunities: int
    expected_minutes: float
    unreachable: str  # as the core's: "none", "forgetting_ceiling", "no_activity", ...
    unreachable_message: str


@dataclass(frozen=True)
class UnreachableGoal:
    goal_id: str
    reason: str
    cause_competency_id: str
    message: str


@dataclass(frozen=True)
class Pathway:
    learner_id: str
    goals: List[str]
    goals_mastered: List[str]
    steps: List[PathwayStep]
    unreachable: List[UnreachableGoal]
    total_expected_opportunities: int
    total_expected_minutes: float
    reachable: bool
    graph_version: int = 0
    model_version: int = 0


@dataclass(frozen=True)
class FitJob:
    job_id: str
    state: str  # "queued", "running", "succeeded", "failed" or "cancelled"
    progress: float  # in [0, 1]
    error_message: str
    model_name: str
    model_version: int  # of the stored model; 0 until the job succeeds
    created_ms: int
    updated_ms: int
    log_likelihood: float  # set when the job succeeded
    rows: int
    learners: int

    @property
    def done(self) -> bool:
        return self.state in ("succeeded", "failed", "cancelled")

    @property
    def succeeded(self) -> bool:
        return self.state == "succeeded"


# ---------------------------------------------------------------------------------------------------
# The generated stubs and grpc, imported on first use.
# ---------------------------------------------------------------------------------------------------

_modules: Optional[types.SimpleNamespace] = None


def _load() -> types.SimpleNamespace:
    global _modules
    if _modules is not None:
        return _modules
    try:
        import grpc
    except ImportError as error:
        raise ImportError("pathwise.Client needs grpcio and protobuf (Debian: apt-get install "
                          f"python3-grpcio python3-protobuf): {error}") from error
    try:
        from .v1 import (curriculum_service_pb2, curriculum_service_pb2_grpc, learner_service_pb2,
                         learner_service_pb2_grpc, model_service_pb2, model_service_pb2_grpc,
                         recommendation_service_pb2, recommendation_service_pb2_grpc)
    except ImportError as error:
        raise ImportError(
            f"pathwise.Client: the generated gRPC stubs pathwise.v1.*_pb2 cannot be imported "
            f"({error}). Build them with CMake (PATHWISE_BUILD_SERVICE=ON and grpc_python_plugin, "
            "Debian package protobuf-compiler-grpc; they land in build/python/pathwise/v1/), or "
            "pip install ./python with protoc and grpc_python_plugin on PATH; importing them needs "
            "python3-protobuf") from error
    _modules = types.SimpleNamespace(
        grpc=grpc,
        curriculum=curriculum_service_pb2, curriculum_grpc=curriculum_service_pb2_grpc,
        learner=learner_service_pb2, learner_grpc=learner_service_pb2_grpc,
        model=model_service_pb2, model_grpc=model_service_pb2_grpc,
        recommendation=recommendation_service_pb2,
        recommendation_grpc=recommendation_service_pb2_grpc)
    return _modules


# ---------------------------------------------------------------------------------------------------
# Conversions: Python values -> requests.
# ---------------------------------------------------------------------------------------------------


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


def _graph_definition(request: Any, graph: Any) -> Any:
    kind, value = _definition_json(graph, "graph")
    if kind == "json":
        request.graph_json = value
    else:
        request.graph.CopyFrom(value)
    return request


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
    if isinstance(event, pb.learner.Event):
        return event
    event_id, learner_id, activity_id, outcome, timestamp = _event_values(event, index)
    message = pb.learner.Event(
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


_POLICIES = ("mastery", "zpdes", "random", "curriculum")


def _policy(pb: types.SimpleNamespace, policy: Any) -> int:
    if policy is None:
        return pb.recommendation.POLICY_UNSPECIFIED
    if isinstance(policy, _core.PolicyKind):
        policy = policy.label
    name = check_choice("policy", policy.lower() if isinstance(policy, str) else policy, _POLICIES)
    return pb.recommendation.Policy.Value("POLICY_" + name.upper())


# ---------------------------------------------------------------------------------------------------
# Conversions: responses -> results.
# ---------------------------------------------------------------------------------------------------


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


def _estimate(m: Any) -> MasteryEstimate:
    return MasteryEstimate(m.competency_id, m.p_learned, m.mastered, m.opportunities,
                           m.last_practiced_ms)


def _recommendation(pb: types.SimpleNamespace, r: Any) -> Recommendation:
    enum = pb.recommendation.ScorePart
    parts = [PartScore(_core_enum(_core.ScorePart,
                                  _enum_label(enum, p.part, "SCORE_PART_", "unspecified")),
                       p.weight, p.value, p.contribution, p.reason) for p in r.parts]
    predicted = r.predicted_correct if r.HasField("predicted_correct") else None
    return Recommendation(r.activity_id, r.score, parts, list(r.reasons), list(r.competency_ids),
                          r.expected_minutes, predicted, r.pinned)


def _pathway(pb: types.SimpleNamespace, response: Any) -> Pathway:
    p = response.pathway
    reason = pb.recommendation.UnreachableReason

    def label(value: int) -> str:
        return _enum_label(reason, value, "UNREACHABLE_REASON_", "none")

    steps = [PathwayStep(s.competency_id, s.p_learned, s.mastery_threshold, s.is_goal,
                         list(s.prerequisites_in_plan), list(s.activity_ids),
                         s.expected_opportunities, s.expected_minutes, label(s.unreachable),
                         s.unreachable_message) for s in p.steps]
    unreachable = [UnreachableGoal(u.goal_id, label(u.reason), u.cause_competency_id, u.message)
                   for u in p.unreachable]
    return Pathway(p.learner_id, list(p.goals), list(p.goals_mastered), steps, unreachable,
                   p.total_expected_opportunities, p.total_expected_minutes, p.reachable,
                   response.graph_version, response.model_version)


def _fit_job(pb: types.SimpleNamespace, j: Any) -> FitJob:
    state = _enum_label(pb.model.JobState, j.state, "JOB_STATE_", "unspecified")
    return FitJob(j.job_id, state, j.progress, j.error_message, j.model_name, j.model_version,
                  j.created_ms, j.updated_ms, j.log_likelihood, j.rows, j.learners)


# grpc.health.v1.Health/Check, without the grpcio-health-checking package (not in Debian 12):
# HealthCheckRequest {string service = 1;} and HealthCheckResponse {ServingStatus status = 1;}.
_HEALTH_STATUS = {0: "UNKNOWN", 1: "SERVING", 2: "NOT_SERVING", 3: "SERVICE_UNKNOWN"}


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _health_request(service: str) -> bytes:
    data = service.encode("utf-8")
    return b"\x0a" + _varint(len(data)) + data if data else b""


def _health_status(data: bytes) -> str:
    status, i = 0, 0
    while i < len(data):  # field 1 (varint) is the only field of the message
        key = data[i]
        i += 1
        value, shift = 0, 0
        while True:
            byte = data[i]
            i += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        if key == 0x08:
            status = value
    return _HEALTH_STATUS.get(status, str(status))


# ---------------------------------------------------------------------------------------------------
# The client.
# ---------------------------------------------------------------------------------------------------


def _pem(value: Union[None, bytes, str, os.PathLike]) -> Optional[bytes]:
    if value is None or isinstance(value, bytes):
        return value
    if isinstance(value, str) and value.lstrip().startswith("-----BEGIN"):
        return value.encode("ascii")
    with open(value, "rb") as f:
        return f.read()


class Client:
    """A connection to pathwised for one tenant (the API key's).

    Parameters
    ----------
    address : str
        ``host:port`` of the server.
    api_key : str, optional
        Sent as ``authorization: Bearer <api_key>`` on every call; it selects the tenant. Without
        one every call but :meth:`health` fails with :class:`UnauthenticatedError`.
    tls : bool
        Connect with TLS (implied by any of the three PEM arguments), verifying the server against
        ``root_certificates`` (PEM text, bytes or a file path), else the system's roots.
    certificate_chain, private_key : optional
        A client certificate (PEM) for servers started with ``--tls-client-ca``.
    timeout : float or None
        Seconds each call may take (None: no deadline); :meth:`record_stream` has its own.
    options : sequence of (name, value)
        Extra gRPC channel arguments, e.g. ``[("grpc.ssl_target_name_override", "localhost")]``.

    The client is thread-safe (one gRPC channel, shared). Use it as a context manager, or call
    :meth:`close`.
    """

    def __init__(self, address: str, api_key: Optional[str] = None, *, tls: bool = False,
                 root_certificates: Any = None, certificate_chain: Any = None,
                 private_key: Any = None, timeout: Optional[float] = 30.0,
                 options: Sequence[Tuple[str, Any]] = ()) -> None:
        self._pb = pb = _load()
        grpc = pb.grpc
        self.address = address
        self.timeout = timeout
        self._metadata: Tuple[Tuple[str, str], ...] = (
            (("authorization", "Bearer " + api_key),) if api_key else ())
        channel_options = [("grpc.max_receive_message_length", -1)] + list(options)
        self.tls = bool(tls or root_certificates is not None or certificate_chain is not None
                        or private_key is not None)
        if self.tls:
            credentials = grpc.ssl_channel_credentials(
                root_certificates=_pem(root_certificates), private_key=_pem(private_key),
                certificate_chain=_pem(certificate_chain))
            self._channel = grpc.secure_channel(address, credentials, options=channel_options)
        else:
            self._channel = grpc.insecure_channel(address, options=channel_options)
        self._curriculum = pb.curriculum_grpc.CurriculumServiceStub(self._channel)
        self._learners = pb.learner_grpc.LearnerServiceStub(self._channel)
        self._recommendations = pb.recommendation_grpc.RecommendationServiceStub(self._channel)
        self._models = pb.model_grpc.ModelServiceStub(self._channel)
        self._health = self._channel.unary_unary(
            "/grpc.health.v1.Health/Check", request_serializer=_health_request,
            response_deserializer=_health_status)

    # --- lifetime ----------------------------------------------------------------------------------

    def close(self) -> None:
        """Closes the channel; calls in flight are cancelled."""
        self._channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"pathwise.Client({self.address!r}, tls={self.tls})"

    def _call(self, method: Any, request: Any, timeout: Any = ..., renumber_events_from: int = 0
              ) -> Any:
        try:
            return method(request, timeout=self.timeout if timeout is ... else timeout,
                          metadata=self._metadata)
        except self._pb.grpc.RpcError as error:
            _raise_rpc_error(error, renumber_events_from)

    # --- health ------------------------------------------------------------------------------------

    def health(self, service: str = "") -> str:
        """The server's health (grpc.health.v1): "SERVING", or "NOT_SERVING" while it shuts down.
        Needs no API key. Raises :class:`UnavailableError` when the server cannot be reached."""
        return self._call(self._health, service)

    # --- curriculum --------------------------------------------------------------------------------

    def put_graph(self, graph: Any, *, expected_version: Optional[int] = None) -> PutGraphResult:
        """Stores a new version of the tenant's graph; every learner's mastery is re-derived.

        ``graph``: a file path (graph JSON), JSON text, a dict, a ``pathwise.CompetencyGraph`` or
        ``GraphDefinition``, or a ``pathwise.v1.graph_pb2.Graph``. With ``expected_version`` the put
        succeeds only if the latest version is that one (0: no graph yet), else
        ``pathwise.InternalError`` with code ABORTED. A bad graph raises InvalidArgumentError listing
        every problem; a cyclic one FailedPreconditionError naming the cycle.
        """
        request = _graph_definition(self._pb.curriculum.PutGraphRequest(), graph)
        if expected_version is not None:
            request.expected_version = int(expected_version)
        r = self._call(self._curriculum.PutGraph, request)
        return PutGraphResult(r.version, r.competencies, r.prerequisites, r.activities, r.groups,
                              r.learners_rescored)

    def get_graph(self, version: int = 0) -> StoredGraph:
        """A version of the tenant's graph (0: the latest), as a ``pathwise.CompetencyGraph`` and
        graph JSON. NotFoundError when there is none."""
        r = self._call(self._curriculum.GetGraph,
                       self._pb.curriculum.GetGraphRequest(version=int(version), include_json=True))
        return StoredGraph(r.version, _core.CompetencyGraph.from_json(r.graph_json, "<server>"),
                           r.graph_json)

    def validate_graph(self, graph: Any) -> ValidateGraphResult:
        """Every problem of a graph (accepted as by :meth:`put_graph`), storing nothing."""
        request = _graph_definition(self._pb.curriculum.ValidateGraphRequest(), graph)
        r = self._call(self._curriculum.ValidateGraph, request)
        problems = [GraphProblem(_problem_kind(p), p.path, p.message) for p in r.problems]
        return ValidateGraphResult(r.valid, problems)

    def put_model(self, model: Any, name: str = "active") -> PutModelResult:
        """Stores a new version of the model ``name``; the model named "active" is the one the server
        uses, and putting it re-derives every learner's mastery. ``model``: a file path, JSON text,
        a dict, a ``pathwise.BktModel`` or a ``pathwise.v1.model_pb2.Model``."""
        request = self._pb.curriculum.PutModelRequest(name=name)
        kind, value = _definition_json(model, "model")
        if kind == "json":
            request.model_json = value
        else:
            request.model.CopyFrom(value)
        r = self._call(self._curriculum.PutModel, request)
        return PutModelResult(r.name, r.version, r.active, r.learners_rescored)

    def get_model(self, name: str = "active", version: int = 0) -> StoredModel:
        """A version of the model ``name`` (0: the latest) as a ``pathwise.BktModel`` and model JSON.
        NotFoundError when there is none."""
        r = self._call(self._curriculum.GetModel, self._pb.curriculum.GetModelRequest(
            name=name, version=int(version), include_json=True))
        return StoredModel(r.name, r.version, _core.BktModel.from_json(r.model_json, "<server>"),
                           r.model_json)

    # --- learners ----------------------------------------------------------------------------------

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
        return LearnerMastery(r.learner_id, [_estimate(e) for e in r.competencies], groups,
                              r.graph_version, r.model_version)

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
                events.extend(StoredEvent(s.sequence, s.event.event_id, s.event.learner_id,
                                          s.event.activity_id, s.event.outcome,
                                          s.event.timestamp_ms) for s in chunk.events)
        except self._pb.grpc.RpcError as error:
            _raise_rpc_error(error)
        return LearnerExport(learner, version, states, events)

    def delete_learner(self, learner_id: str) -> None:
        """Deletes a learner's events (ids included) and state for good."""
        self._call(self._learners.DeleteLearner,
                   self._pb.learner.DeleteLearnerRequest(learner_id=learner_id))

    # --- recommendations and pathways --------------------------------------------------------------

    def recommend(self, learner_id: str, goals: Union[str, Sequence[str], None] = None, *,
                  k: Optional[int] = None, excluded_activities: Optional[Sequence[str]] = None,
                  pinned_activities: Optional[Sequence[str]] = None,
                  time_budget_minutes: Optional[float] = None, now_ms: int = 0,
                  policy: Any = None, require_known_learner: bool = False,
                  allow_new_learner: bool = True) -> Recommendations:
        """Up to ``k`` (server default 5) activities for the learner, best first, each with its
        score, part-scores and reasons. The keywords are those of ``pathwise.RecommendRequest``;
        ``policy``: "mastery" (default), "zpdes", "random" or "curriculum" (the library's
        policies; zpdes's per-learner state is kept by the server). Cold start: a learner with no
        events gets the population-level recommendation, unless ``require_known_learner``, which
        raises NotFoundError instead. ``allow_new_learner`` is ignored (kept for old callers)."""
        pb = self._pb
        request = pb.recommendation.RecommendRequest(
            learner_id=learner_id, goals=_ids(goals, "goals"),
            excluded_activities=_ids(excluded_activities, "excluded_activities"),
            pinned_activities=_ids(pinned_activities, "pinned_activities"), now_ms=int(now_ms),
            policy=_policy(pb, policy), allow_new_learner=allow_new_learner,
            require_known_learner=require_known_learner)
        if k is not None:
            request.k = int(k)
        if time_budget_minutes is not None:
            request.time_budget_minutes = float(time_budget_minutes)
        r = self._call(self._recommendations.Recommend, request)
        policy_label = _enum_label(pb.recommendation.Policy, r.policy, "POLICY_", "mastery")
        return Recommendations((_recommendation(pb, x) for x in r.recommendations),
                               learner_id=r.learner_id,
                               policy=_core_enum(_core.PolicyKind, policy_label),
                               graph_version=r.graph_version, model_version=r.model_version)

    def plan(self, learner_id: str, goals: Union[str, Sequence[str]], *,
             require_known_learner: bool = False, allow_new_learner: bool = True) -> Pathway:
        """The pathway from the learner's state to ``goals`` (competency or group ids): ordered
        steps with expected opportunities and minutes, and the goals that cannot be reached, why.
        A learner with no events is planned from the priors unless ``require_known_learner``."""
        r = self._call(self._recommendations.PlanPathway,
                       self._pb.recommendation.PlanPathwayRequest(
                           learner_id=learner_id, goals=_ids(goals, "goals"),
                           allow_new_learner=allow_new_learner,
                           require_known_learner=require_known_learner))
        return _pathway(self._pb, r)

    # --- fitting -----------------------------------------------------------------------------------

    def fit(self, model_name: str = "active", *, job_id: Optional[str] = None,
            restarts: Optional[int] = None, seed: Optional[int] = None,
            max_iterations: Optional[int] = None, tolerance: Optional[float] = None,
            forgets: bool = False, multigs: bool = False, multilearn: bool = False,
            multiprior: Union[bool, str, None] = None, ibkt: bool = False,
            ibkt_l2: Optional[float] = None, wait: bool = False,
            wait_timeout: Optional[float] = None) -> FitJob:
        """Starts fitting a BKT model to the tenant's stored events, as a background job on the
        server; the result is stored as ``model_name`` ("active": the server then uses it). The
        options are ``pathwise.fit``'s (absent: the library defaults). Returns the queued job, or
        with ``wait`` the finished one (see :meth:`wait_for_job`)."""
        pb = self._pb
        options = pb.model.FitOptions(forgets=forgets, multigs=multigs, multilearn=multilearn,
                                      ibkt=ibkt)
        for name, value, cast in (("restarts", restarts, int), ("seed", seed, int),
                                  ("max_iterations", max_iterations, int),
                                  ("tolerance", tolerance, float), ("ibkt_l2", ibkt_l2, float)):
            if value is not None:
                setattr(options, name, cast(value))
        if multiprior is True:
            multiprior = "first_response"
        if multiprior not in (None, False):
            choice = check_choice("multiprior", multiprior, ("first_response", "learner_group"))
            options.multiprior = pb.model.PriorGroupSource.Value(
                "PRIOR_GROUP_SOURCE_" + choice.upper())
        request = pb.model.FitModelRequest(model_name=model_name, options=options,
                                           job_id=job_id or "")
        job = _fit_job(pb, self._call(self._models.FitModel, request))
        return self.wait_for_job(job, timeout=wait_timeout) if wait else job

    def job(self, job_id: str) -> FitJob:
        """A fit job's state. NotFoundError for an unknown job (or another tenant's)."""
        return _fit_job(self._pb, self._call(self._models.GetFitJob,
                                             self._pb.model.GetFitJobRequest(job_id=job_id)))

    def cancel_job(self, job: Union[str, FitJob]) -> FitJob:
        """Cancels a queued or running fit job and returns it once it stopped: "cancelled" (no
        model is stored), or the state it reached if it finished before the server saw the request.
        NotFoundError for an unknown job (or another tenant's); FailedPreconditionError for a job
        that had already finished."""
        job_id = job.job_id if isinstance(job, FitJob) else job
        return _fit_job(self._pb, self._call(self._models.CancelFitJob,
                                             self._pb.model.CancelFitJobRequest(job_id=job_id)))

    def wait_for_job(self, job: Union[str, FitJob], *, timeout: Optional[float] = None,
                     poll_interval: float = 0.05) -> FitJob:
        """Polls a job until it succeeded, failed or was cancelled, and returns it (a failed job's
        ``error_message`` says why). TimeoutError after ``timeout`` seconds (None: no limit)."""
        job_id = job.job_id if isinstance(job, FitJob) else job
        deadline = None if timeout is None else time.monotonic() + timeout
        interval = poll_interval
        while True:
            current = self.job(job_id)
            if current.done:
                return current
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"fit job {job_id!r} is still {current.state} after {timeout} s "
                                   f"(progress {current.progress:.0%})")
            time.sleep(interval)
            interval = min(interval * 1.5, 1.0)


def _problem_kind(problem: Any) -> str:
    """The core's name of a GraphProblem kind: DUPLICATE_ID -> 'duplicate-id'."""
    return _enum_label(type(problem).Kind, problem.kind, "", "unknown").replace("_", "-")


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
