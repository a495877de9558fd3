"""Recommendations: the next activities for a learner and the pathway to goals."""

from __future__ import annotations

import types
from dataclasses import dataclass
from typing import Any, Iterable, List, Optional, Sequence, Union

from .. import _core
# The core's classes, not mirrors: one class per concept in Python.
from .._core import PartScore, Pathway, PathwayStep, Recommendation, UnreachableGoal
from .._util import check_choice
from ._connection import _Connection
from ._convert import _core_enum, _enum_label, _ids, _known_label, _WithVersions


class Recommendations(List[Recommendation]):
    """The ranked recommendations (a list of the core's ``pathwise.Recommendation``, best first) and
    what they were computed from."""

    def __init__(self, items: Iterable[Recommendation], *, learner_id: str, policy: Any,
                 graph_version: int, model_version: int) -> None:
        super().__init__(items)
        self.learner_id = learner_id
        self.policy = policy  # pathwise.PolicyKind
        self.graph_version = graph_version
        self.model_version = model_version


@dataclass(frozen=True)
class PlanPathwayResult(_WithVersions):
    """What :meth:`Client.plan` returns: the core's ``pathwise.Pathway`` (``pathway``; its
    ``steps``, ``goals``, ``reachable``, ... read through) and the versions the server planned
    from."""

    value_name = "pathway"
    pathway: Pathway
    graph_version: int = 0
    model_version: int = 0


_POLICIES = ("mastery", "zpdes", "random", "curriculum")


def _policy(pb: types.SimpleNamespace, policy: Any) -> int:
    if policy is None:
        return pb.recommendation.POLICY_UNSPECIFIED
    if isinstance(policy, _core.PolicyKind):
        policy = policy.label
    name = check_choice("policy", policy.lower() if isinstance(policy, str) else policy, _POLICIES)
    return pb.recommendation.Policy.Value("POLICY_" + name.upper())


def _recommendation(pb: types.SimpleNamespace, r: Any) -> Recommendation:
    parts_by_label = {name.lower(): part for name, part in _core.ScorePart.__members__.items()}

    def part(value: int) -> Any:
        label = _enum_label(pb.recommendation.ScorePart, value, "SCORE_PART_", "unspecified")
        return parts_by_label[_known_label(label, parts_by_label, "score part")]

    # The core computes each part's contribution (weight * value), as the server did.
    parts = [PartScore(part(p.part), p.weight, p.value, p.reason) for p in r.parts]
    predicted = r.predicted_correct if r.HasField("predicted_correct") else None
    return Recommendation(r.activity_id, r.score, parts, list(r.reasons), list(r.competency_ids),
                          r.expected_minutes, predicted, r.pinned)


_UNREACHABLE_REASONS = ("none", "forgetting_ceiling", "no_activity", "blocked_by_prerequisite")


def _pathway(pb: types.SimpleNamespace, response: Any) -> PlanPathwayResult:
    p = response.pathway
    reason = pb.recommendation.UnreachableReason

    def label(value: int) -> str:
        return _known_label(_enum_label(reason, value, "UNREACHABLE_REASON_", "none"),
                            _UNREACHABLE_REASONS, "unreachable reason")

    steps = [PathwayStep(s.competency_id, s.p_learned, s.mastery_threshold, s.is_goal,
                         list(s.prerequisites_in_plan), list(s.activity_ids),
                         s.expected_opportunities, s.expected_minutes, label(s.unreachable),
                         s.unreachable_message) for s in p.steps]
    unreachable = [UnreachableGoal(u.goal_id, label(u.reason), u.cause_competency_id, u.message)
                   for u in p.unreachable]
    pathway = Pathway(p.learner_id, list(p.goals), list(p.goals_mastered), steps, unreachable,
                      p.total_expected_opportunities, p.total_expected_minutes)
    return PlanPathwayResult(pathway, response.graph_version, response.model_version)


class _RecommendationCalls(_Connection):
    """RecommendationService: the next activities and the pathway to goals."""

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
             require_known_learner: bool = False,
             allow_new_learner: bool = True) -> PlanPathwayResult:
        """The pathway from the learner's state to ``goals`` (competency or group ids): ordered
        steps with expected opportunities and minutes, and the goals that cannot be reached, why.
        A learner with no events is planned from the priors unless ``require_known_learner``."""
        r = self._call(self._recommendations.PlanPathway,
                       self._pb.recommendation.PlanPathwayRequest(
                           learner_id=learner_id, goals=_ids(goals, "goals"),
                           allow_new_learner=allow_new_learner,
                           require_known_learner=require_known_learner))
        return _pathway(self._pb, r)
