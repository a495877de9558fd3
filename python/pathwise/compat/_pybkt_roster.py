"""pyBKT's ``Roster`` (online mastery of a cohort, per skill) on the Pathwise core.

Imported through :mod:`pathwise.compat.pybkt` (``from pathwise.compat.pybkt import Roster,
StateType``). The API is pyBKT's ``pyBKT.models.Roster``: the same constructor, methods, return
values and errors. What differs is where the state lives: each skill's students are learners of one
C++ :class:`pathwise.MasteryTracker`, which carries P(learned) (the core's representation, which
cannot saturate) and applies every response with the fitted model, including a multigs /
multilearn model's per-class parameters. Python only keeps names, the history needed to replay a
student under a new model, and the mastery threshold.

Differences from pyBKT (also in python/README.md):

- A response of -1 (no response) is refused with ``ValueError``: the tracker applies a learning
  transition only together with an observation.
- ``set_model`` on a roster whose students already answered replays each student's responses under
  the new model; pyBKT keeps P(learned) from the old model and only recomputes P(correct).
- ``get_correct_prob`` of a multigs model uses the skill's guess and slip (the next class is not
  known); pyBKT uses the first class's.
"""

from __future__ import annotations

import itertools
import numbers
from enum import Enum
from typing import Any, Dict, List, Optional

import numpy as np

from .. import _core

__all__ = ["Roster", "State", "StateType"]


class StateType(Enum):
    DEFAULT_STATE = "default"
    UNMASTERED = "unmastered"
    MASTERED = "mastered"


def _check_model(model: Any) -> None:
    from .pybkt import Model

    if not isinstance(model, Model):
        raise ValueError("invalid model, must be of type pathwise.compat.pybkt.Model")


class State:
    """One student's state for one skill: a view on the skill's tracker (pyBKT's ``State``).

    ``current_state`` is pyBKT's dictionary ``{'correct_prediction': ..., 'state_prediction': ...}``
    (P(correct) at the next response, P(learned) before it), -1 for both while the roster has no
    model."""

    def __init__(self, state_type: StateType = StateType.DEFAULT_STATE, state: Any = None,
                 roster: Optional["SkillRoster"] = None) -> None:
        self.state_type = state_type
        self.roster = roster
        self.tracked_states: List[Dict[str, float]] = []
        if state is not None:
            raise ValueError("an explicit state cannot be given: the Pathwise tracker starts every "
                             "student at the skill's prior")
        self._learner = roster._new_learner_id() if roster is not None else ""
        self._history: List[tuple] = []  # (activity id, outcome): replayed by set_model
        self.refresh()

    @property
    def current_state(self) -> Dict[str, float]:
        return {"correct_prediction": self.get_correct_prob(),
                "state_prediction": self.get_mastery_prob()}

    def get_mastery_prob(self) -> float:
        tracker = self.roster._tracker if self.roster is not None else None
        if tracker is None:
            return -1
        skill = self.roster.skill
        if tracker.has_learner(self._learner):
            return tracker.mastery(self._learner, skill).p_learned
        return tracker.prior_mastery(self._learner).competencies[0].p_learned

    def get_correct_prob(self) -> float:
        if self.roster is None or self.roster._tracker is None:
            return -1
        return self.roster._params.predict_correct(self.get_mastery_prob())

    def update(self, correct: Any, kwargs: Dict[str, Any], append: bool = True) -> None:
        roster = self.roster
        if roster._tracker is None:
            raise ValueError("model not specified")
        if isinstance(correct, (bool, numbers.Integral)):
            outcomes = np.array([int(correct)])
        elif isinstance(correct, (np.ndarray, list, tuple)):
            outcomes = np.asarray(correct).ravel()
        else:
            raise ValueError("need to pass int or np.ndarray")
        if outcomes.size and not np.issubdtype(outcomes.dtype, np.number):
            raise ValueError("data must be binary")
        values = set(outcomes.tolist())
        if values - {-1, 0, 1}:
            raise ValueError("data must be binary")
        if -1 in values:
            raise ValueError("a response of -1 (no response) is not supported by the pathwise "
                             "Roster: the tracker applies a learning transition only with an "
                             "observation; pass 0 or 1")
        activities = roster._activities_for(len(outcomes), kwargs)
        self._record(activities, outcomes)
        self._history.extend(zip(activities, outcomes.tolist()))
        if roster.track_progress:
            self.tracked_states.append(dict(self.current_state))
        self.refresh()

    def _record(self, activities: List[str], outcomes: np.ndarray) -> None:
        if not len(outcomes):
            return
        tracker = self.roster._tracker
        index = {a: tracker.activity_index(a) for a in set(activities)}
        tracker.record_sequence(self._learner,
                                np.array([index[a] for a in activities], dtype=np.uint32),
                                np.asarray(outcomes, dtype=np.float32))

    def refresh(self) -> None:
        p = self.get_mastery_prob()
        if p == -1:
            self.state_type = StateType.DEFAULT_STATE
        elif p >= self.roster.mastery_state:
            self.state_type = StateType.MASTERED
        else:
            self.state_type = StateType.UNMASTERED

    def __repr__(self) -> str:
        return "State(%s, %r, %s)" % (str(self.state_type), self.current_state, "Roster(...)")


class SkillRoster:
    """The students of one skill, tracked by one :class:`pathwise.MasteryTracker`."""

    _learner_ids = itertools.count()

    def __init__(self, students: Any, skill: str, mastery_state: float = 0.95,
                 track_progress: bool = False, model: Any = None) -> None:
        self.model = None
        self.students: Dict[Any, State] = {}
        self.mastery_state = mastery_state
        self.track_progress = track_progress
        self.skill = skill
        self._tracker = None
        self._params = None
        self._gs_classes: List[str] = []
        self._learn_classes: List[str] = []
        if model is not None:
            self._build_tracker(model)
        if isinstance(students, numbers.Integral) and not isinstance(students, bool):
            self.add_students(list(range(1, students + 1)))
        elif isinstance(students, list):
            self.add_students(students)

    def _new_learner_id(self) -> str:
        # Never reused, so a removed and re-added student starts from the prior.
        return f"{self.skill}#{next(SkillRoster._learner_ids)}"

    def _build_tracker(self, model: Any) -> None:
        """A tracker with the skill and one activity per fitted class (multigs / multilearn)."""
        _check_model(model)
        model._require_model()
        bkt = model.to_pathwise()
        if self.skill not in bkt.competencies:
            raise ValueError(f"skill {self.skill!r} is not in the model; fitted skills: "
                             f"{', '.join(list(bkt.competencies.keys())[:10])}")
        if self.skill in bkt.competency_learn_classes:
            raise NotImplementedError(
                f"skill {self.skill!r} was fitted with multilearn and multigs on different columns; "
                "a Roster applies one class per response (the tracker's activity), so it cannot "
                "use both: fit them on one column for a Roster")
        graph = _core.CompetencyGraph()
        graph.add_competency(_core.Competency(self.skill))
        classes = list(model._classes.get(self.skill, []))
        overrides = (bkt.competency_activities[self.skill]
                     if self.skill in bkt.competency_activities else {})
        for name in sorted(set(classes) | set(overrides.keys())):
            if name != self.skill:
                graph.add_activity(_core.Activity(
                    name, competencies=[_core.PracticedCompetency(self.skill, 1.0)]))
        self.model = model
        self._tracker = _core.MasteryTracker.create(graph, bkt)
        self._params = bkt.competencies[self.skill]
        multilearn, _, _, multigs = model.model_type
        self._gs_classes = classes if multigs else []
        self._learn_classes = classes if multilearn else []

    def _activities_for(self, n: int, kwargs: Dict[str, Any]) -> List[str]:
        """The activity of each of n responses: the class named by ``multigs=`` / ``multilearn=``
        (one name, or a list of one per response), else the skill itself."""
        from .pybkt import _class_names

        chosen: Optional[List[str]] = None
        for key, classes, what in (("multigs", self._gs_classes, "guess/slip"),
                                   ("multilearn", self._learn_classes, "learn")):
            value = kwargs.get(key, False)
            if value is False or value is None:
                continue
            names = value if isinstance(value, (list, tuple, np.ndarray)) else [value] * n
            if len(names) != n:
                raise ValueError(f"{key} needs one class per response: got {len(names)} classes "
                                 f"for {n} responses")
            names = _class_names(np.asarray(list(names), dtype=object))
            unknown = [c for c in names if c not in classes]
            if unknown:
                raise ValueError(f"specified {what} class must be one of: {classes} "
                                 f"(got {unknown[0]!r})")
            if chosen is not None and chosen != names:
                raise ValueError("multigs and multilearn name different classes; the model has "
                                 "one class per response")
            chosen = names
        for key in kwargs:
            if key not in ("multigs", "multilearn"):
                raise ValueError(f"unknown argument {key!r}; expected multigs or multilearn")
        return chosen if chosen is not None else [self.skill] * n

    # State-based methods (pyBKT's).

    def _student(self, student_name: Any) -> State:
        if student_name not in self.students:
            raise ValueError("student name not found in roster for this skill")
        return self.students[student_name]

    def reset_state(self, student_name: Any) -> None:
        old = self._student(student_name)
        if self._tracker is not None and self._tracker.has_learner(old._learner):
            self._tracker.remove_learner(old._learner)
        self.students[student_name] = State(StateType.DEFAULT_STATE, roster=self)

    def reset_states(self) -> None:
        for s in list(self.students):
            self.reset_state(s)

    def get_mastery_prob(self, student_name: Any) -> float:
        return self._student(student_name).get_mastery_prob()

    def get_mastery_probs(self) -> Dict[Any, float]:
        return {s: state.get_mastery_prob() for s, state in self.students.items()}

    def get_correct_prob(self, student_name: Any) -> float:
        return self._student(student_name).get_correct_prob()

    def get_correct_probs(self) -> Dict[Any, float]:
        return {s: state.get_correct_prob() for s, state in self.students.items()}

    def get_state(self, student_name: Any) -> State:
        return self._student(student_name)

    def get_states(self) -> Dict[Any, State]:
        return self.students

    def get_state_type(self, student_name: Any) -> StateType:
        return self._student(student_name).state_type

    def get_state_types(self) -> Dict[Any, StateType]:
        return {s: self.get_state_type(s) for s in self.students}

    def update_state(self, student_name: Any, correct: Any, **kwargs: Any) -> State:
        self._student(student_name).update(correct, kwargs)
        return self.get_state(student_name)

    def update_states(self, corrects: Dict[Any, Any], **kwargs: Any) -> Dict[Any, State]:
        if any(s not in self.students for s in corrects):
            raise ValueError("student name not found in roster for this skill")
        for s in corrects:
            self.update_state(s, corrects[s], **kwargs)
        return self.get_states()

    # Student-based methods.

    def add_student(self, student_name: Any, initial_state: StateType = StateType.DEFAULT_STATE
                    ) -> None:
        if student_name in self.students:
            self.remove_student(student_name)
        self.students[student_name] = State(initial_state, roster=self)

    def add_students(self, student_names: List[Any],
                     initial_states: Any = StateType.DEFAULT_STATE) -> None:
        if not isinstance(student_names, list):
            raise ValueError("student names must be a list")
        if not isinstance(initial_states, list):
            initial_states = [initial_states] * len(student_names)
        for name, state in zip(student_names, initial_states):
            self.add_student(name, state)

    def remove_student(self, student_name: Any) -> None:
        state = self._student(student_name)
        if self._tracker is not None and self._tracker.has_learner(state._learner):
            self._tracker.remove_learner(state._learner)
        del self.students[student_name]

    def remove_students(self, student_names: List[Any]) -> None:
        for s in student_names:
            self.remove_student(s)

    # Miscellaneous.

    def get_model(self) -> Any:
        return self.model

    def set_model(self, model: Any) -> None:
        """Uses `model` from now on; students who answered are replayed under it."""
        self._build_tracker(model)
        for state in self.students.values():
            if state._history:
                activities, outcomes = zip(*state._history)
                state._record(list(activities), np.array(outcomes))
            state.refresh()

    def get_mastery_state(self) -> float:
        return self.mastery_state

    def set_mastery_state(self, mastery_state: float) -> None:
        self.mastery_state = mastery_state
        for state in self.students.values():
            state.refresh()

    def __repr__(self) -> str:
        return "SkillRoster(%r, %r, %r, %r, %r)" % (len(self.students), self.skill,
                                                     self.mastery_state, self.track_progress,
                                                     self.model)


class Roster:
    """pyBKT's ``Roster``: students tracked on one or more skills with a fitted ``Model``.

    >>> roster = Roster(['Jeff', 'Bob'], 'Calculate unit rate', model=model)   # doctest: +SKIP
    >>> roster.update_state('Calculate unit rate', 'Jeff', 1)                  # doctest: +SKIP
    State(StateType.UNMASTERED, {'correct_prediction': ..., 'state_prediction': ...}, Roster(...))
    """

    def __init__(self, students: Any, skills: Any, mastery_state: float = 0.95,
                 track_progress: bool = False, model: Any = None) -> None:
        self.skill_rosters: Dict[str, SkillRoster] = {}
        self.students = students
        if isinstance(skills, str):
            skills = [skills]
        elif not isinstance(skills, list):
            raise ValueError("skills must be a list or string")
        if model is not None:
            _check_model(model)
        if not isinstance(mastery_state, float) or not (0 <= mastery_state <= 1):
            raise ValueError("invalid mastery state, must be between 0 and 1")
        if not isinstance(track_progress, bool):
            raise ValueError("track progress must be a boolean")
        for s in skills:
            self.skill_rosters[s] = SkillRoster(students, s, mastery_state=mastery_state,
                                                track_progress=track_progress, model=model)
        self.model = model
        self.mastery_state = mastery_state
        self.track_progress = track_progress

    def _skill(self, skill_name: str) -> SkillRoster:
        if skill_name not in self.skill_rosters:
            raise ValueError("skill not found in roster")
        return self.skill_rosters[skill_name]

    # State-based methods.

    def reset_state(self, skill_name: str, student_name: Any) -> None:
        self._skill(skill_name).reset_state(student_name)

    def reset_states(self, skill_name: str) -> None:
        self._skill(skill_name).reset_states()

    def get_mastery_prob(self, skill_name: str, student_name: Any) -> float:
        return self._skill(skill_name).get_mastery_prob(student_name)

    def get_mastery_probs(self, skill_name: str) -> Dict[Any, float]:
        return self._skill(skill_name).get_mastery_probs()

    def get_correct_prob(self, skill_name: str, student_name: Any) -> float:
        return self._skill(skill_name).get_correct_prob(student_name)

    def get_correct_probs(self, skill_name: str) -> Dict[Any, float]:
        return self._skill(skill_name).get_correct_probs()

    def get_state(self, skill_name: str, student_name: Any) -> State:
        return self._skill(skill_name).get_state(student_name)

    def get_states(self, skill_name: str) -> Dict[Any, State]:
        return self._skill(skill_name).get_states()

    def get_state_type(self, skill_name: str, student_name: Any) -> StateType:
        return self._skill(skill_name).get_state_type(student_name)

    def get_state_types(self, skill_name: str) -> Dict[Any, StateType]:
        return self._skill(skill_name).get_state_types()

    def update_state(self, skill_name: str, student_name: Any, correct: Any, **kwargs: Any
                     ) -> State:
        """Applies one response (0 / 1) or an array of them in order; ``multigs=`` /
        ``multilearn=`` name each response's class for a multigs / multilearn model."""
        return self._skill(skill_name).update_state(student_name, correct, **kwargs)

    def update_states(self, skill_name: str, corrects: Dict[Any, Any], **kwargs: Any
                      ) -> Dict[Any, State]:
        return self._skill(skill_name).update_states(corrects, **kwargs)

    # Student-based methods.

    def add_student(self, skill_name: str, student_name: Any,
                    initial_state: StateType = StateType.DEFAULT_STATE) -> None:
        self._skill(skill_name).add_student(student_name, initial_state)

    def add_students(self, skill_name: str, student_names: List[Any],
                     initial_states: Any = StateType.DEFAULT_STATE) -> None:
        self._skill(skill_name).add_students(student_names, initial_states)

    def remove_student(self, skill_name: str, student_name: Any) -> None:
        self._skill(skill_name).remove_student(student_name)

    def remove_students(self, skill_name: str, student_names: List[Any]) -> None:
        self._skill(skill_name).remove_students(student_names)

    # Miscellaneous.

    def get_model(self) -> Any:
        return self.model

    def set_model(self, model: Any) -> None:
        _check_model(model)
        self.model = model
        for roster in self.skill_rosters.values():
            roster.set_model(model)

    def get_mastery_state(self) -> float:
        return self.mastery_state

    def set_mastery_state(self, mastery_state: float) -> None:
        self.mastery_state = mastery_state
        for roster in self.skill_rosters.values():
            roster.set_mastery_state(mastery_state)

    def __repr__(self) -> str:
        count = self.students if isinstance(self.students, numbers.Integral) else len(self.students)
        return "Roster(%r, %r, %r, %r, %r)" % (count, self.skill_rosters.keys(), self.mastery_state,
                                               self.track_progress, self.model)
