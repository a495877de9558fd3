"""A client of pathwised, the Pathwise gRPC service, in the words of the core API.

    import pathwise as pw

    with pw.Client("127.0.0.1:50051", "demo-key-change-me-0123456789") as client:
        client.put_graph("examples/curriculum/fractions.json")
        client.record(pw.read_observations_csv("examples/curriculum/fractions_events.csv"))
        client.mastery("ana").to_dict()                          # {competency id: P(learned)}
        client.recommend("ana", goals=["fractions.add_unlike"], k=3)
        client.plan("ana", ["fractions.add_unlike"]).steps
        client.import_xapi("statements.json", activity_map="map.csv")   # xAPI, Caliper, CASE, ...
        client.class_report("cls-1").write("class.html")

Every method is one RPC of ``proto/pathwise/v1`` (``record`` one per batch). What the core has a
class for comes back as that class, built from the wire: ``pathwise.MasteryEstimate`` (its
``log_odds`` NaN: the wire does not carry it), ``pathwise.LearnerMastery``, ``pathwise.GroupMastery``,
``pathwise.Recommendation``, ``pathwise.Pathway`` (the names ``pathwise.client.LearnerMastery``,
... are the same classes). What only the service has (stored versions, jobs, the versions an answer
was computed from) comes in frozen dataclasses named after the RPC: :meth:`Client.mastery` returns a
:class:`GetMasteryResult` holding the core ``LearnerMastery``, the groups and ``graph_version`` /
``model_version``; :meth:`Client.plan` a :class:`PlanPathwayResult` holding the core ``Pathway``;
both read the core object's attributes through (``client.plan(...).steps``). :meth:`Client.recommend`
returns :class:`Recommendations`, a list of the core's ``Recommendation`` with the versions.

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

# One module per area, each with its result types, conversions and a mixin of the Client's calls;
# _connection holds what every call goes through.
from ._curriculum import (GraphProblem, PutGraphResult, StoredGraph, ValidateGraphResult,
                          _CurriculumCalls)
from ._errors import (_REMOTE_ERRORS, DeadlineExceededError, PermissionDeniedError,  # noqa: F401
                      UnauthenticatedError, UnavailableError, _raise_rpc_error)
from ._learners import (GetMasteryResult, GroupMastery, LearnerExport, LearnerMastery,
                        MasteryEstimate, RecordEventsResult, StoredObservation, _LearnerCalls)
from ._models import FitJob, PutModelResult, StoredModel, _ModelCalls
from ._recommendations import (PartScore, Pathway, PathwayStep, PlanPathwayResult, Recommendation,
                               Recommendations, UnreachableGoal, _RecommendationCalls)
from ._standards import (ClassReportResult, ImportFrameworkResult, ImportRecordsResult,
                         ImportRosterResult, RosterClass, VoidedEvent, _StandardsCalls)
from ._stubs import _load  # noqa: F401  (_load, _raise_rpc_error, _REMOTE_ERRORS: for the tests)

__all__ = [
    "ClassReportResult",
    "Client",
    "DeadlineExceededError",
    "FitJob",
    "GetMasteryResult",
    "GraphProblem",
    "GroupMastery",
    "ImportFrameworkResult",
    "ImportRecordsResult",
    "ImportRosterResult",
    "LearnerExport",
    "LearnerMastery",
    "MasteryEstimate",
    "PartScore",
    "Pathway",
    "PathwayStep",
    "PermissionDeniedError",
    "PlanPathwayResult",
    "PutGraphResult",
    "PutModelResult",
    "Recommendation",
    "Recommendations",
    "RecordEventsResult",
    "RosterClass",
    "StoredObservation",
    "StoredGraph",
    "StoredModel",
    "UnauthenticatedError",
    "UnavailableError",
    "UnreachableGoal",
    "ValidateGraphResult",
    "VoidedEvent",
]


class Client(_CurriculumCalls, _ModelCalls, _LearnerCalls, _RecommendationCalls,
             _StandardsCalls):
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
