"""The curriculum: storing, reading and validating the tenant's graph."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List, Optional

from .. import _core
from ._connection import _Connection
from ._convert import _definition_json, _enum_label


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


def _graph_definition(request: Any, graph: Any) -> Any:
    kind, value = _definition_json(graph, "graph")
    if kind == "json":
        request.graph_json = value
    else:
        request.graph.CopyFrom(value)
    return request


def _problem_kind(problem: Any) -> str:
    """The core's name of a GraphProblem kind: DUPLICATE_ID -> 'duplicate-id'."""
    return _enum_label(type(problem).Kind, problem.kind, "", "unknown").replace("_", "-")


class _CurriculumCalls(_Connection):
    """CurriculumService: the tenant's graph."""

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
