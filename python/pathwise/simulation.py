"""Simulated learners and policy comparison.

Define a cohort (groups of learners with their own learning and prior offsets) and the policies to
compare, run them on the same synthetic learners (paired comparison: learner i is the same person
under every policy), and get the results as arrays, DataFrames and a plot.

Example
-------
>>> graph = pathwise.CompetencyGraph.read("examples/curriculum/fractions.json")      # doctest: +SKIP
>>> report = pathwise.simulate(graph, policies=["mastery", "random", "curriculum"],
...                            learners=200, steps=150, seed=7,
...                            groups=[{"name": "typical"},
...                                    {"name": "slower", "learn_offset": -1.0}])  # doctest: +SKIP
>>> report.summary()                                                                # doctest: +SKIP
>>> report.plot()                                                                   # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Union

import numpy as np

from . import _core
from ._util import optional_pandas, raise_invalid

CohortGroup = _core.CohortGroup
LearnerModelOptions = _core.LearnerModelOptions
ScheduleOptions = _core.ScheduleOptions
SimulationOptions = _core.SimulationOptions
SimulationResult = _core.SimulationResult
Simulation = _core.Simulation
SyntheticCohort = _core.SyntheticCohort

CURVES = ("learned", "scope_learned", "reached_share")


def _set_fields(target: Any, values: Mapping[str, Any], what: str) -> None:
    for name, value in values.items():
        if name.startswith("_") or not hasattr(target, name):
            raise_invalid(f"unknown {what} option {name!r}")
        if isinstance(value, Mapping):
            # A nested options object ({"mastery": {"goal_weight": 0.0}}): set its fields one by
            # one, so that the ones not named keep their defaults.
            nested = getattr(target, name)
            _set_fields(nested, value, f"{what}.{name}")
            value = nested
        setattr(target, name, value)


def _cohort_group(value: Union[CohortGroup, Mapping[str, Any]]) -> CohortGroup:
    if isinstance(value, CohortGroup):
        return value
    if not isinstance(value, Mapping) or "name" not in value:
        raise_invalid("a cohort group is a CohortGroup or a dict with at least a 'name'")
    unknown = set(value) - {"name", "weight", "learn_offset", "prior_offset", "learn_spread",
                            "prior_spread"}
    if unknown:
        raise_invalid(f"unknown cohort group field {sorted(unknown)[0]!r}")
    return CohortGroup(**value)


def simulation_options(
    *,
    policies: Sequence[Union[str, "_core.PolicyKind"]] = ("mastery",),
    goals: Sequence[str] = (),
    learners: int = 100,
    steps: int = 200,
    seed: int = 1,
    threads: int = 1,
    model: Optional[_core.BktModel] = None,
    groups: Optional[Iterable[Union[CohortGroup, Mapping[str, Any]]]] = None,
    truth: Optional[Mapping[str, Any]] = None,
    online_model: Optional[_core.BktModel] = None,
    recommender: Union[_core.RecommenderOptions, Mapping[str, Any], None] = None,
    schedule: Optional[Mapping[str, Any]] = None,
    curve_points: int = 200,
) -> SimulationOptions:
    """Builds and validates :class:`SimulationOptions`.

    Parameters
    ----------
    policies : list of {'mastery', 'zpdes', 'random', 'curriculum'}
        Compared on the same learners. An unknown name raises InvalidArgumentError listing the
        valid ones.
    goals : list of str
        Competency or group ids; empty means every competency.
    learners, steps : int
        Learners per policy, attempts per learner.
    model : BktModel, optional
        The ground truth's population parameters (default: the graph's authored parameters, else
        BKT defaults).
    groups : list of CohortGroup or dicts
        The cohort, e.g. ``[{'name': 'typical'}, {'name': 'slower', 'learn_offset': -1.0}]``.
    truth : dict, optional
        Other ground-truth fields of LearnerModelOptions (``prerequisite_penalty``,
        ``forget_per_day``, ``competency_learn_spread``, ...).
    online_model : BktModel, optional
        What the tracker and policies believe (default: the truth's population parameters).
    recommender : RecommenderOptions or dict, optional
        Nested as the options are, one dict per policy, e.g.
        ``{'mastery': {'goal_weight': 0.0}, 'zpdes': {'window': 8}, 'seed': 7}``.
    schedule : dict, optional
        ScheduleOptions fields (``steps_per_session``, ``session_interval_minutes``, ``start_ms``).
    """
    options = SimulationOptions()
    options.policies = list(policies)
    options.goals = list(goals)
    options.learners = int(learners)
    options.steps = int(steps)
    options.seed = int(seed)
    options.threads = int(threads)
    options.curve_points = int(curve_points)
    truth_options = options.truth
    if model is not None:
        truth_options.model = model
    if groups is not None:
        truth_options.groups = [_cohort_group(g) for g in groups]
    _set_fields(truth_options, dict(truth or {}), "truth")
    options.truth = truth_options
    if online_model is not None:
        options.online_model = online_model
    if recommender is not None:
        if isinstance(recommender, Mapping):
            built = _core.RecommenderOptions()
            _set_fields(built, recommender, "recommender")
            recommender = built
        options.recommender = recommender
    schedule_options = options.schedule
    _set_fields(schedule_options, dict(schedule or {}), "schedule")
    options.schedule = schedule_options
    options.validate()
    return options


class SimulationReport:
    """The result of :func:`simulate`, with tabular and plotting views.

    Attributes
    ----------
    result : SimulationResult
        The raw C++ result (per-policy and per-group outcomes, curves, per-learner outcomes).
    """

    def __init__(self, result: SimulationResult) -> None:
        self.result = result

    @property
    def policies(self) -> List[str]:
        return [p.policy for p in self.result.policies]

    @property
    def curve_steps(self) -> np.ndarray:
        """Steps at which curves are sampled (0 first, the last step last)."""
        return self.result.curve_steps

    def curve(self, policy: str, curve: str = "scope_learned", group: Optional[str] = None
              ) -> np.ndarray:
        """One learning curve as an array aligned with :attr:`curve_steps`.

        ``curve`` is 'learned' (competencies learned), 'scope_learned' (goal-scope competencies
        learned) or 'reached_share' (share of learners who reached the goal); ``group`` a cohort group
        name (default: all learners).
        """
        if curve not in CURVES:
            raise_invalid(f"unknown curve {curve!r}; expected one of: {', '.join(CURVES)}")
        outcome = self._outcome(policy, group)
        return getattr(outcome, "curve_" + curve)

    def _outcome(self, policy: str, group: Optional[str]):
        for p in self.result.policies:
            if p.policy == policy:
                if group is None:
                    return p.all
                for g in p.groups:
                    if g.group == group:
                        return g
                raise_invalid(f"unknown group {group!r}; groups: {', '.join(self.result.group_names)}")
        raise_invalid(f"unknown policy {policy!r}; policies: {', '.join(self.policies)}")

    def summary_records(self) -> List[Dict[str, Any]]:
        """One dict per (policy, group), 'all' first, with the outcome figures and prediction AUC."""
        records = []
        for p in self.result.policies:
            for outcome in [p.all, *p.groups]:
                record = {"policy": p.policy, **outcome.to_dict()}
                record["prediction_auc"] = outcome.prediction.auc
                record["prediction_rmse"] = outcome.prediction.rmse
                records.append(record)
        return records

    def summary(self):
        """:meth:`summary_records` as a DataFrame indexed by (policy, group) (pandas required)."""
        pandas = optional_pandas()
        if pandas is None:
            raise ImportError("summary() needs pandas; summary_records() does not")
        return pandas.DataFrame(self.summary_records()).set_index(["policy", "group"])

    def curves(self):
        """All curves in long form: policy, group, step, learned, scope_learned, reached_share."""
        pandas = optional_pandas()
        if pandas is None:
            raise ImportError("curves() needs pandas; use curve() for arrays")
        frames = []
        steps = self.curve_steps
        for p in self.result.policies:
            for outcome in [p.all, *p.groups]:
                frames.append(pandas.DataFrame({
                    "policy": p.policy, "group": outcome.group, "step": steps,
                    "learned": outcome.curve_learned, "scope_learned": outcome.curve_scope_learned,
                    "reached_share": outcome.curve_reached_share}))
        return pandas.concat(frames, ignore_index=True)

    def learner_arrays(self) -> Dict[str, np.ndarray]:
        """Per-learner outcomes (policy-major) as NumPy arrays; ``policy_name`` and ``group_name``
        decode the indices."""
        columns = self.result.learner_outcome_columns()
        columns["policy_name"] = np.asarray(self.policies, dtype=object)[columns["policy"]]
        columns["group_name"] = np.asarray(self.result.group_names, dtype=object)[columns["group"]]
        return columns

    def learners(self):
        """:meth:`learner_arrays` as a DataFrame."""
        pandas = optional_pandas()
        if pandas is None:
            raise ImportError("learners() needs pandas; learner_arrays() does not")
        return pandas.DataFrame(self.learner_arrays())

    def plot(self, curve: str = "scope_learned", *, by_group: bool = False, ax: Any = None):
        """Plots one curve per policy (and per group with ``by_group``) against steps with matplotlib.

        Returns the matplotlib Axes. Raises ImportError when matplotlib is not installed.
        """
        try:
            import matplotlib.pyplot as plt
        except ImportError as error:  # matplotlib is optional
            raise ImportError("plot() needs matplotlib (Debian: apt-get install python3-matplotlib)"
                              ) from error
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4.5))
        steps = self.curve_steps
        for p in self.result.policies:
            outcomes = p.groups if by_group else [p.all]
            for outcome in outcomes:
                label = p.policy if not by_group else f"{p.policy} / {outcome.group}"
                ax.plot(steps, getattr(outcome, "curve_" + curve), label=label)
        ylabels = {"learned": "competencies learned (mean)",
                   "scope_learned": "goal-scope competencies learned (mean)",
                   "reached_share": "share of learners at the goal"}
        if curve not in ylabels:
            raise_invalid(f"unknown curve {curve!r}; expected one of: {', '.join(CURVES)}")
        ax.set_xlabel("step")
        ax.set_ylabel(ylabels[curve])
        ax.set_title(f"{self.result.learners} simulated learners, seed {self.result.seed}")
        ax.legend()
        ax.grid(True, alpha=0.3)
        return ax

    def __repr__(self) -> str:
        parts = ", ".join(f"{p.policy}: {p.all.mean_steps_to_goal:.1f} steps" for p in self.result.policies)
        return f"SimulationReport({self.result.learners} learners; mean steps to goal: {parts})"


def simulate(graph: _core.CompetencyGraph, *, options: Optional[SimulationOptions] = None,
             policies: Optional[Sequence[Any]] = None, **kwargs: Any) -> SimulationReport:
    """Runs a simulation (the GIL is released) and returns a :class:`SimulationReport`.

    ``kwargs`` are :func:`simulation_options`. ``policies`` may also hold ``(name, Policy)`` pairs
    built with :func:`pathwise.make_policy` (on ``Simulation.online_model``), to run policies with
    options of your own.
    """
    if options is not None and (kwargs or policies is not None):
        raise_invalid("give either options or keyword arguments, not both")
    custom = None
    if policies is not None:
        if any(isinstance(p, tuple) for p in policies):
            custom = [(str(name), policy) for name, policy in policies]
        else:
            kwargs["policies"] = policies
    if options is None:
        options = simulation_options(**kwargs)
    simulation = Simulation.create(graph, options)
    return SimulationReport(simulation.run(custom) if custom is not None else simulation.run())
