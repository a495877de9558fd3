# Type stubs of the pybind11 extension pathwise._core (kept in sync by tests/python/test_stubs.py).
from typing import (Any, Callable, Dict, ItemsView, Iterator, KeysView, List, Mapping, Optional,
                    Sequence, Set, Tuple, Union, ValuesView, overload)

import numpy as np
import numpy.typing as npt

__version__: str

# --- errors -----------------------------------------------------------------------------------------

class PathwiseError(Exception):
    code: str

class InvalidArgumentError(PathwiseError, ValueError): ...
class FailedPreconditionError(PathwiseError, ValueError): ...
class AlreadyExistsError(PathwiseError, ValueError): ...
class OutOfRangeError(PathwiseError, ValueError): ...
class NotFoundError(PathwiseError, LookupError): ...
class UnimplementedError(PathwiseError, NotImplementedError): ...
class InternalError(PathwiseError, RuntimeError): ...

def _raise_status(code: int, message: str) -> None: ...

# --- BKT parameters and models --------------------------------------------------------------------

class BktParams:
    prior: float
    learn: float
    forget: float
    guess: float
    slip: float
    def __init__(self, prior: float = 0.1, learn: float = 0.1, forget: float = 0.0,
                 guess: float = 0.2, slip: float = 0.1) -> None: ...
    def validate(self) -> None: ...
    def predict_correct(self, p_learned: float) -> float: ...
    def update(self, p_learned: float, credit: float, weight: float = 1.0) -> float: ...
    def update_log_odds(self, log_odds: float, credit: float, weight: float = 1.0) -> float: ...
    def mastery_ceiling(self) -> float: ...
    def expected_opportunities_to_mastery(self, p_learned: float, threshold: float) -> Optional[int]: ...
    def to_dict(self) -> Dict[str, float]: ...

class ActivityParams:
    guess: Optional[float]
    slip: Optional[float]
    learn: Optional[float]
    def __init__(self, guess: Optional[float] = None, slip: Optional[float] = None,
                 learn: Optional[float] = None) -> None: ...

class LearnerFactors:
    prior_offset: float
    learn_offset: float
    def __init__(self, prior_offset: float = 0.0, learn_offset: float = 0.0) -> None: ...

class PriorGroupSource:
    NONE: PriorGroupSource
    LEARNER_GROUP: PriorGroupSource
    FIRST_RESPONSE: PriorGroupSource
    name: str
    value: int
    def __init__(self, value: int) -> None: ...
    def __int__(self) -> int: ...

class _Map:
    def __getitem__(self, key: str) -> Any: ...
    def __setitem__(self, key: str, value: Any) -> None: ...
    def __delitem__(self, key: str) -> None: ...
    def __contains__(self, key: object) -> bool: ...
    def __iter__(self) -> Iterator[str]: ...
    def __len__(self) -> int: ...
    def __bool__(self) -> bool: ...
    def items(self) -> ItemsView[str, Any]: ...
    def keys(self) -> KeysView[str]: ...
    def values(self) -> ValuesView[Any]: ...

class BktParamsMap(_Map):
    def __getitem__(self, key: str) -> BktParams: ...
class ActivityParamsMap(_Map):
    def __getitem__(self, key: str) -> ActivityParams: ...
class CompetencyActivityParamsMap(_Map):
    def __getitem__(self, key: str) -> ActivityParamsMap: ...
class FloatMap(_Map):
    def __getitem__(self, key: str) -> float: ...
class GroupPriorsMap(_Map):
    def __getitem__(self, key: str) -> FloatMap: ...
class LearnerFactorsMap(_Map):
    def __getitem__(self, key: str) -> LearnerFactors: ...

class BktModel:
    defaults: BktParams
    competencies: BktParamsMap
    activities: ActivityParamsMap
    competency_activities: CompetencyActivityParamsMap
    competency_learn_classes: GroupPriorsMap
    prior_groups: PriorGroupSource
    group_priors: GroupPriorsMap
    learner_factors: LearnerFactorsMap
    @overload
    def __init__(self) -> None: ...
    @overload
    def __init__(self, other: BktModel) -> None: ...
    @overload
    def __init__(self, defaults: BktParams) -> None: ...
    def validate(self) -> None: ...
    def params_for(self, competency_id: str, activity_id: Optional[str] = None) -> BktParams: ...
    def to_json(self) -> str: ...
    @staticmethod
    def from_json(text: str, source_name: str = "<string>") -> BktModel: ...
    def save(self, path: str) -> None: ...
    @staticmethod
    def load(path: str) -> BktModel: ...
    def export_pybkt_params(self) -> str: ...

# --- competency graph -----------------------------------------------------------------------------

class Competency:
    id: str
    name: str
    description: str
    group: str
    params: Optional[BktParams]
    mastery_threshold: float
    mastery_min_opportunities: Optional[int]
    mastery_recent_correct: Optional[int]
    def __init__(self, id: str, name: str = "", description: str = "", group: str = "",
                 params: Optional[BktParams] = None, mastery_threshold: float = 0.95,
                 mastery_min_opportunities: Optional[int] = None,
                 mastery_recent_correct: Optional[int] = None) -> None: ...

class Group:
    id: str
    name: str
    parent: str
    def __init__(self, id: str, name: str = "", parent: str = "") -> None: ...

class Prerequisite:
    from_: str
    to: str
    strength: float
    def __init__(self, from_: str, to: str, strength: float = 1.0) -> None: ...

class PracticedCompetency:
    competency_id: str
    weight: float
    def __init__(self, competency_id: str, weight: float = 1.0) -> None: ...

class Activity:
    id: str
    name: str
    competencies: List[PracticedCompetency]
    difficulty: Optional[float]
    expected_minutes: float
    kind: str
    tags: List[str]
    def __init__(self, id: str, name: str = "",
                 competencies: Sequence[Union[PracticedCompetency, str]] = ...,
                 difficulty: Optional[float] = None, expected_minutes: float = 5.0, kind: str = "",
                 tags: Sequence[str] = ...) -> None: ...

class GraphDefinition:
    groups: List[Group]
    competencies: List[Competency]
    prerequisites: List[Prerequisite]
    activities: List[Activity]
    def __init__(self, groups: Sequence[Group] = ..., competencies: Sequence[Competency] = ...,
                 prerequisites: Sequence[Prerequisite] = ...,
                 activities: Sequence[Activity] = ...) -> None: ...
    def to_json(self) -> str: ...
    @staticmethod
    def from_json(text: str, source_name: str = "<string>") -> GraphDefinition: ...
    @staticmethod
    def read(path: str) -> GraphDefinition: ...

class GraphProblem:
    kind: str
    path: str
    message: str

def validate_graph_definition(definition: GraphDefinition) -> List[GraphProblem]: ...

class CompetencyGraph:
    num_competencies: int
    num_prerequisites: int
    num_activities: int
    num_groups: int
    competencies: List[Competency]
    activities: List[Activity]
    groups: List[Group]
    prerequisites: List[Prerequisite]
    competency_ids: List[str]
    def __init__(self) -> None: ...
    @staticmethod
    def from_definition(definition: GraphDefinition) -> CompetencyGraph: ...
    @staticmethod
    def read(path: str) -> CompetencyGraph: ...
    @staticmethod
    def from_json(text: str, source_name: str = "<string>") -> CompetencyGraph: ...
    def to_definition(self) -> GraphDefinition: ...
    def to_json(self) -> str: ...
    def save(self, path: str) -> None: ...
    def to_dot(self, mastery: Mapping[str, float] = ..., mastered_threshold: Optional[float] = None,
               group_clusters: bool = True, left_to_right: bool = True) -> str: ...
    def add_group(self, group: Group) -> None: ...
    def add_competency(self, competency: Competency) -> None: ...
    def add_prerequisite(self, prerequisite: Prerequisite) -> None: ...
    def add_activity(self, activity: Activity) -> None: ...
    def remove_competency(self, id: str) -> None: ...
    def remove_prerequisite(self, from_: str, to: str) -> None: ...
    def remove_activity(self, id: str) -> None: ...
    def remove_group(self, id: str) -> None: ...
    def find_competency(self, id: str) -> Optional[Competency]: ...
    def find_activity(self, id: str) -> Optional[Activity]: ...
    def find_group(self, id: str) -> Optional[Group]: ...
    def prerequisites_of(self, id: str) -> List[Prerequisite]: ...
    def dependents_of(self, id: str) -> List[Prerequisite]: ...
    def activities_for(self, competency_id: str) -> List[Activity]: ...
    def topological_order(self) -> List[str]: ...
    def ancestors(self, ids: Sequence[str]) -> List[str]: ...
    def descendants(self, ids: Sequence[str]) -> List[str]: ...
    def frontier(self, mastered: Union[Set[str], Sequence[str], Callable[[str], bool]]) -> List[str]: ...
    def expand_goals(self, goal_ids: Sequence[str]) -> List[str]: ...
    def subgraph_for_goals(self, goal_ids: Sequence[str]) -> CompetencyGraph: ...
    def group_members(self, group_id: str) -> List[str]: ...

class ImportProblem:
    kind: str
    file: str
    line: int
    message: str
    action: str

class ImportReport:
    problems: List[ImportProblem]
    rows_read: int
    references_read: int

class ImportedGraph:
    graph: CompetencyGraph
    report: ImportReport

def import_junyi(path: str, repair: bool = False) -> ImportedGraph: ...
def import_eedi(subject_csv: str, question_csv: Optional[str] = None,
                repair: bool = False) -> ImportedGraph: ...
def read_mastery_csv(path: str, graph: Optional[CompetencyGraph] = None) -> Dict[str, float]: ...

# --- observations, tracker, engine ----------------------------------------------------------------

class _Now: ...

# Pass as Observation.timestamp_ms to stamp an observation with the current wall-clock time.
NOW: _Now

class Observation:
    event_id: str
    learner_id: str
    activity_id: str
    outcome: float
    timestamp_ms: int
    # timestamp_ms is required (milliseconds since the Unix epoch, or NOW); omitting it raises
    # TypeError.
    def __init__(self, event_id: str = "", learner_id: str = "", activity_id: str = "",
                 outcome: float = 0.0, timestamp_ms: Union[int, _Now, None] = None) -> None: ...

def read_observations_csv(path: str) -> List[Observation]: ...
def parse_observations_csv(text: str, source_name: str = "<string>") -> List[Observation]: ...
def mastery_statements(graph: CompetencyGraph, model: BktModel, events: List[Observation],
                       home_page: str, iri_base: str = "urn:pathwise:competency:",
                       progressed: bool = True) -> str: ...
def class_report_html(graph: CompetencyGraph, model: BktModel, events: List[Observation],
                      learners: List[str] = ..., cohorts: Dict[str, List[str]] = ...,
                      goals: List[str] = ..., title: str = "Class report") -> str: ...
def log_odds_to_mastery(log_odds: float) -> float: ...
def mastery_to_log_odds(p_learned: float) -> float: ...
def parse_timestamp(text: str) -> int: ...

class MasteryEstimate:
    competency_id: str
    p_learned: float
    log_odds: float
    mastered: bool
    opportunities: int
    last_practiced_ms: int
    recent_answers: int
    def __init__(self, competency_id: str, p_learned: float, mastered: bool, opportunities: int = 0,
                 last_practiced_ms: int = 0, log_odds: float = ...,
                 recent_answers: int = -1) -> None: ...
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class LearnerMastery:
    learner_id: str
    competencies: List[MasteryEstimate]
    p_learned: npt.NDArray[np.float64]
    competency_ids: List[str]
    def __init__(self, learner_id: str, competencies: Sequence[MasteryEstimate] = ...) -> None: ...
    def to_dict(self) -> Dict[str, float]: ...
    def __eq__(self, other: object) -> bool: ...

class RecordResult:
    applied: bool
    updated: List[MasteryEstimate]

class TrackerOptions:
    num_shards: int
    individual_pace: bool
    pace_prior_sd: float
    mastery_min_opportunities: int
    mastery_recent_correct: int
    def __init__(
        self, num_shards: int = 64, individual_pace: bool = False, pace_prior_sd: float = 1.0,
        mastery_min_opportunities: int = 1, mastery_recent_correct: int = 0
    ) -> None: ...

class TrackerMemoryUsage:
    learners: int
    states: int
    event_ids: int
    bytes: int

class MasteryTracker:
    num_learners: int
    @staticmethod
    def create(graph: CompetencyGraph, model: BktModel = ...,
               options: TrackerOptions = ...) -> MasteryTracker: ...
    def record(self, observation: Observation) -> RecordResult: ...
    def record_batch(self, observations: Sequence[Observation]) -> int: ...
    def record_arrays(self, learner_ids: Sequence[str], activity_ids: Sequence[str],
                      outcomes: npt.ArrayLike, timestamps_ms: Optional[npt.ArrayLike] = None,
                      event_ids: Optional[Sequence[str]] = None) -> int: ...
    def activity_index(self, activity_id: str) -> int: ...
    def record_sequence(self, learner_id: str, activity_indices: npt.ArrayLike,
                        outcomes: npt.ArrayLike, timestamps_ms: Optional[npt.ArrayLike] = None) -> None: ...
    @overload
    def mastery(self, learner_id: str) -> LearnerMastery: ...
    @overload
    def mastery(self, learner_id: str, competency_id: str) -> MasteryEstimate: ...
    def mastery_matrix(self, learner_ids: Sequence[str]) -> npt.NDArray[np.float64]: ...
    def prior_mastery(self, learner_id: str) -> LearnerMastery: ...
    def pace(self, learner_id: str) -> LearnerFactors: ...
    def set_mastery_evidence(self, min_opportunities: int, recent_correct: int) -> None: ...
    def set_pace(self, learner_id: str, factors: LearnerFactors) -> None: ...
    def save_pace(self, learner_id: str) -> bytes: ...
    def restore_pace(self, learner_id: str, state: bytes) -> None: ...
    def has_learner(self, learner_id: str) -> bool: ...
    def remove_learner(self, learner_id: str) -> None: ...
    def learner_ids(self) -> List[str]: ...
    def estimate_memory(self) -> TrackerMemoryUsage: ...

class EngineOptions:
    tracker: TrackerOptions
    def __init__(self, tracker: TrackerOptions = ...) -> None: ...

class GroupMastery:
    group_id: str
    p_learned: float
    mastered: bool
    members: int
    members_mastered: int
    def __init__(self, group_id: str, p_learned: float, mastered: bool, members: int,
                 members_mastered: int) -> None: ...
    def __eq__(self, other: object) -> bool: ...

class Engine:
    graph: CompetencyGraph
    model: BktModel
    tracker: MasteryTracker
    @staticmethod
    def create(graph: CompetencyGraph, model: BktModel = ...,
               options: EngineOptions = ...) -> Engine: ...
    def record(self, observation: Observation) -> RecordResult: ...
    def record_batch(self, observations: Sequence[Observation]) -> int: ...
    def record_arrays(self, learner_ids: Sequence[str], activity_ids: Sequence[str],
                      outcomes: npt.ArrayLike, timestamps_ms: Optional[npt.ArrayLike] = None,
                      event_ids: Optional[Sequence[str]] = None) -> int: ...
    def mastery(self, learner_id: str) -> LearnerMastery: ...
    def frontier(self, learner_id: str) -> List[str]: ...
    def group_rollup(self, learner_id: str) -> List[GroupMastery]: ...
    def recommend(self, learner_id: str, request: RecommendRequest = ...,
                  policy: Union[str, PolicyKind] = "mastery") -> List[Recommendation]: ...
    def plan(self, learner_id: str, goals: Sequence[str]) -> Pathway: ...
    def set_recommender_options(self, options: RecommenderOptions) -> None: ...
    def recommender_options(self) -> RecommenderOptions: ...
    def save_learner_state(self, policy: Union[str, PolicyKind], learner_id: str) -> bytes: ...
    def restore_learner_state(self, policy: Union[str, PolicyKind], learner_id: str,
                              state: bytes) -> None: ...

# --- response logs --------------------------------------------------------------------------------

class ResponseLog:
    num_rows: int
    learner_names: List[str]
    competency_names: List[str]
    activity_names: List[str]
    group_names: List[str]
    learn_class_names: List[str]
    learn_class: npt.NDArray[np.int64]
    learner: npt.NDArray[np.uint32]
    competency: npt.NDArray[np.uint32]
    activity: npt.NDArray[np.int64]
    correct: npt.NDArray[np.uint8]
    learner_group: npt.NDArray[np.int64]
    def __init__(self) -> None: ...
    @staticmethod
    def from_codes(learner: npt.ArrayLike, learner_names: Sequence[str], competency: npt.ArrayLike,
                   competency_names: Sequence[str], correct: npt.ArrayLike,
                   activity: Optional[npt.ArrayLike] = None, activity_names: Sequence[str] = ...,
                   learner_group: Optional[npt.ArrayLike] = None,
                   group_names: Sequence[str] = ..., learn_class: Optional[npt.ArrayLike] = None,
                   learn_class_names: Sequence[str] = ...) -> ResponseLog: ...
    def __len__(self) -> int: ...
    def append(self, other: ResponseLog) -> None: ...
    def select_learners(self, keep: npt.ArrayLike) -> ResponseLog: ...

class DkvmnHeader:
    AUTO: DkvmnHeader
    LENGTH: DkvmnHeader
    LEARNER_ID: DkvmnHeader
    name: str
    value: int
    def __init__(self, value: int) -> None: ...
    def __int__(self) -> int: ...

class ReadOptions:
    skip_bad_rows: bool
    learner_column: str
    competency_column: str
    correct_column: str
    activity_column: str
    read_activities: bool
    order_column: str
    sort_by_order: bool
    group_column: str
    only_original: bool
    delimiter: str
    competency_separator: Optional[str]
    dkvmn_header: DkvmnHeader
    def __init__(self) -> None: ...
    def validate(self) -> None: ...

class ReadReport:
    rows_read: int
    rows_added: int
    rows_skipped: int
    skipped: List[str]
    records_without_competency: int
    records_not_original: int
    records_without_response: int
    learners_reordered: int
    files: List[str]
    rows_per_file: List[int]
    def summary(self) -> str: ...

def read_response_log(paths: Sequence[str], format: str,
                      options: ReadOptions = ...) -> Tuple[ResponseLog, ReadReport]: ...

# --- fitting and evaluation -----------------------------------------------------------------------

class ParamRange:
    lower: float
    upper: float
    def __init__(self, lower: float = 0.0, upper: float = 1.0) -> None: ...

class ParamBounds:
    prior: ParamRange
    learn: ParamRange
    forget: ParamRange
    guess: ParamRange
    slip: ParamRange
    def __init__(self) -> None: ...

class FixedParams:
    prior: Optional[float]
    learn: Optional[float]
    forget: Optional[float]
    guess: Optional[float]
    slip: Optional[float]
    def __init__(self) -> None: ...

class BetaPrior:
    a: float
    b: float
    def __init__(self, a: float = 1.0, b: float = 1.0) -> None: ...

class ParamPriors:
    enabled: bool
    prior: BetaPrior
    learn: BetaPrior
    forget: BetaPrior
    guess: BetaPrior
    slip: BetaPrior
    def __init__(self) -> None: ...

class FitWarningThresholds:
    bound_tolerance: float
    guess_plus_slip: float
    no_learning: float
    min_learners: int
    min_rows: int
    def __init__(self) -> None: ...

class FitWarningCode:
    PARAMETER_AT_BOUND: FitWarningCode
    GUESS_PLUS_SLIP_NEAR_ONE: FitWarningCode
    NO_LEARNING: FitWarningCode
    FEW_LEARNERS: FitWarningCode
    FEW_ROWS: FitWarningCode
    name: str
    value: int
    def __init__(self, value: int) -> None: ...

class FitWarning:
    code: FitWarningCode
    name: str
    message: str

class FitOptions:
    max_iterations: int
    tolerance: float
    restarts: int
    seed: int
    threads: int
    start: Optional[BktParams]
    bounds: ParamBounds
    fixed: FixedParams
    fixed_classes: CompetencyActivityParamsMap
    forgets: bool
    multigs: bool
    multilearn: bool
    multiprior: PriorGroupSource
    ibkt: bool
    ibkt_l2: float
    record_trace: bool
    priors: ParamPriors
    warnings: FitWarningThresholds
    def __init__(self) -> None: ...
    def validate(self) -> None: ...

class CompetencyFit:
    competency: str
    rows: int
    sequences: int
    log_likelihood: float
    iterations: int
    best_restart: int
    converged: bool
    trace: List[float]
    warnings: List[FitWarning]

class FitResult:
    model: BktModel
    log_likelihood: float
    penalized_log_likelihood: float
    iterations: int
    obs_iterations: int
    rows: int
    learners: int
    competencies: List[CompetencyFit]
    trace: List[float]

def fit_bkt(log: ResponseLog, options: FitOptions = ...,
            progress: Optional[Callable[[float], None]] = None) -> FitResult: ...
def predict_one_step_ahead(model: BktModel, log: ResponseLog) -> npt.NDArray[np.float64]: ...
def validate_fitted_variants(model: BktModel) -> None: ...

class MetricsOptions:
    calibration_bins: int
    log_loss_epsilon: float
    def __init__(self) -> None: ...

class Metrics:
    count: int
    auc: float
    auc_competency_mean: float
    auc_competencies: int
    rmse: float
    accuracy: float
    log_loss: float
    ece: float
    def __init__(self) -> None: ...
    def to_dict(self) -> Dict[str, float]: ...

def compute_metrics(correct: npt.ArrayLike, p_correct: npt.ArrayLike,
                    competency: Optional[npt.ArrayLike] = None,
                    options: MetricsOptions = ...) -> Metrics: ...
def evaluate_model(model: BktModel, log: ResponseLog, options: MetricsOptions = ...) -> Metrics: ...

class CrossValidationOptions:
    folds: int
    seed: int
    metrics: MetricsOptions
    def __init__(self, folds: int = 5, seed: int = 42) -> None: ...

class CrossValidationResult:
    folds: List[Metrics]
    pooled: Metrics
    mean_fold_auc: float
    learner_fold: npt.NDArray[np.uint32]
    iterations: int
    obs_iterations: int

def cross_validate(log: ResponseLog, fit_options: FitOptions = ...,
                   options: CrossValidationOptions = ...) -> CrossValidationResult: ...
def assign_learner_folds(num_learners: int, folds: int, seed: int) -> npt.NDArray[np.uint32]: ...

# --- recommender and planner ----------------------------------------------------------------------

class PolicyKind:
    MASTERY: PolicyKind
    ZPDES: PolicyKind
    RANDOM: PolicyKind
    CURRICULUM: PolicyKind
    label: str
    name: str
    value: int
    def __init__(self, value: int) -> None: ...
    def __int__(self) -> int: ...

def parse_policy_kind(name: str) -> PolicyKind: ...

class Gating:
    SOFT: Gating
    HARD: Gating
    name: str
    value: int
    def __init__(self, value: int) -> None: ...
    def __int__(self) -> int: ...

class ScorePart:
    READINESS: ScorePart
    GOAL_RELEVANCE: ScorePart
    DIFFICULTY_FIT: ScorePart
    REMEDIATION: ScorePart
    REVIEW_DUE: ScorePart
    CONTINUITY: ScorePart
    LEARNING_PROGRESS: ScorePart
    label: str
    name: str
    value: int
    def __init__(self, value: int) -> None: ...
    def __int__(self) -> int: ...

class MasteryPolicyOptions:
    readiness_weight: float
    goal_weight: float
    difficulty_weight: float
    remediation_weight: float
    review_weight: float
    continuity_weight: float
    gating: Gating
    soft_min_readiness: float
    advance_threshold: float
    target_success: float
    difficulty_logit_scale: float
    review_half_life_days: float
    review_recall_threshold: float
    max_review_candidates: int
    review_only_goal_path: bool
    remediation_min_opportunities: int
    remediation_max_p: float
    max_named_prerequisites: int
    mastery_min_opportunities: int
    mastery_recent_correct: int
    stall_min_attempts: int
    stall_max_recent_correct: int
    stall_pause_hours: float
    progress_weight: float
    def __init__(self) -> None: ...
    def validate(self) -> None: ...

class ZpdesPolicyOptions:
    window: int
    mastery_rate: float
    exploration: float
    zone_size: int
    def __init__(self) -> None: ...
    def validate(self) -> None: ...

class RandomPolicyOptions:
    restrict_to_goal: bool
    def __init__(self) -> None: ...

class CurriculumPolicyOptions:
    opportunities: int
    def __init__(self) -> None: ...
    def validate(self) -> None: ...

class PlannerOptions:
    activities_per_competency: int
    def __init__(self) -> None: ...
    def validate(self) -> None: ...

class RecommenderOptions:
    mastery: MasteryPolicyOptions
    zpdes: ZpdesPolicyOptions
    random: RandomPolicyOptions
    curriculum: CurriculumPolicyOptions
    planner: PlannerOptions
    hard_prerequisite_strength: float
    seed: int
    def __init__(self) -> None: ...
    def validate(self) -> None: ...

class PartScore:
    part: ScorePart
    weight: float
    value: float
    reason: str
    contribution: float
    def __init__(self, part: ScorePart, weight: float, value: float, reason: str = "") -> None: ...
    def __eq__(self, other: object) -> bool: ...

class Recommendation:
    activity_id: str
    score: float
    parts: List[PartScore]
    reasons: List[str]
    competency_ids: List[str]
    expected_minutes: float
    predicted_correct: Optional[float]  # None when the policy does not predict
    pinned: bool
    def __init__(self, activity_id: str, score: float = 0.0, parts: Sequence[PartScore] = ...,
                 reasons: Sequence[str] = ..., competency_ids: Sequence[str] = ...,
                 expected_minutes: float = 0.0, predicted_correct: Optional[float] = None,
                 pinned: bool = False) -> None: ...
    def __eq__(self, other: object) -> bool: ...

class RecommendRequest:
    goals: List[str]
    k: int
    excluded_activities: List[str]
    pinned_activities: List[str]
    time_budget_minutes: Optional[float]
    now_ms: int
    def __init__(self, goals: Sequence[str] = ..., k: int = 5,
                 excluded_activities: Sequence[str] = ..., pinned_activities: Sequence[str] = ...,
                 time_budget_minutes: Optional[float] = None, now_ms: int = 0) -> None: ...

class CompetencyState:
    competency: int
    p_learned: float
    opportunities: int
    last_practiced_ms: int
    recent_answers: int
    def __init__(self, competency: int, p_learned: float, opportunities: int = 0,
                 last_practiced_ms: int = 0, recent_answers: int = -1) -> None: ...

class LearnerState:
    learner_id: str
    competencies: List[CompetencyState]
    last_activity_id: str
    pace: Optional[LearnerFactors]
    def __init__(self, learner_id: str = "", competencies: Sequence[CompetencyState] = ...,
                 last_activity_id: str = "", pace: Optional[LearnerFactors] = None) -> None: ...

class Policy:
    kind: PolicyKind
    @overload
    def recommend(self, state: LearnerState, request: RecommendRequest = ...) -> List[Recommendation]: ...
    @overload
    def recommend(self, mastery: LearnerMastery, request: RecommendRequest = ...) -> List[Recommendation]: ...
    keeps_learner_state: bool
    def observe(self, observation: Observation) -> None: ...
    def fork(self, stream: int) -> Policy: ...
    def save_learner_state(self, learner_id: str) -> bytes: ...
    def restore_learner_state(self, learner_id: str, state: bytes) -> None: ...
    def state_from_mastery(self, mastery: LearnerMastery) -> LearnerState: ...
    def competency_index(self, competency_id: str) -> int: ...

def make_policy(kind: Union[str, PolicyKind], graph: CompetencyGraph, model: BktModel = ...,
                options: RecommenderOptions = ...) -> Policy: ...

def is_stalled(estimate: MasteryEstimate, options: MasteryPolicyOptions = ...) -> bool: ...

class PathwayStep:
    competency_id: str
    p_learned: float
    mastery_threshold: float
    is_goal: bool
    prerequisites_in_plan: List[str]
    activity_ids: List[str]
    expected_opportunities: int
    expected_minutes: float
    unreachable: str
    unreachable_message: str
    def __init__(self, competency_id: str, p_learned: float, mastery_threshold: float,
                 is_goal: bool = False, prerequisites_in_plan: Sequence[str] = ...,
                 activity_ids: Sequence[str] = ..., expected_opportunities: int = 0,
                 expected_minutes: float = 0.0, unreachable: str = "none",
                 unreachable_message: str = "") -> None: ...
    def __eq__(self, other: object) -> bool: ...

class UnreachableGoal:
    goal_id: str
    reason: str
    cause_competency_id: str
    message: str
    def __init__(self, goal_id: str, reason: str, cause_competency_id: str = "",
                 message: str = "") -> None: ...
    def __eq__(self, other: object) -> bool: ...

class Pathway:
    learner_id: str
    goals: List[str]
    goals_mastered: List[str]
    steps: List[PathwayStep]
    unreachable: List[UnreachableGoal]
    total_expected_opportunities: int
    total_expected_minutes: float
    reachable: bool
    def __init__(self, learner_id: str, goals: Sequence[str] = ..., goals_mastered: Sequence[str] = ...,
                 steps: Sequence[PathwayStep] = ..., unreachable: Sequence[UnreachableGoal] = ...,
                 total_expected_opportunities: int = 0,
                 total_expected_minutes: float = 0.0) -> None: ...
    def __eq__(self, other: object) -> bool: ...

class PathwayPlanner:
    @staticmethod
    def create(graph: CompetencyGraph, model: BktModel = ...,
               options: RecommenderOptions = ...) -> PathwayPlanner: ...
    @overload
    def plan(self, state: LearnerState, goals: Sequence[str]) -> Pathway: ...
    @overload
    def plan(self, mastery: LearnerMastery, goals: Sequence[str]) -> Pathway: ...

# --- simulation -----------------------------------------------------------------------------------

class CohortGroup:
    name: str
    weight: float
    learn_offset: float
    prior_offset: float
    learn_spread: float
    prior_spread: float
    def __init__(self, name: str, weight: float = 1.0, learn_offset: float = 0.0,
                 prior_offset: float = 0.0, learn_spread: float = 0.5,
                 prior_spread: float = 0.5) -> None: ...

class LearnerModelOptions:
    model: BktModel
    competency_learn_spread: float
    competency_prior_spread: float
    prerequisite_penalty: float
    forget_per_day: float
    review_stability: float
    prior_knowledge_practices: int
    groups: List[CohortGroup]
    def __init__(self) -> None: ...
    def validate(self) -> None: ...

class ScheduleOptions:
    steps_per_session: int
    session_interval_minutes: float
    start_ms: int
    def __init__(self) -> None: ...

class SimulationOptions:
    policies: List[PolicyKind]
    recommender: RecommenderOptions
    goals: List[str]
    learners: int
    steps: int
    seed: int
    threads: int
    truth: LearnerModelOptions
    online_model: Optional[BktModel]
    schedule: ScheduleOptions
    curve_points: int
    def __init__(self) -> None: ...
    def validate(self) -> None: ...

class CohortOutcome:
    group: str
    learners: int
    mean_steps_to_goal: float
    median_steps_to_goal: float
    reached_goal_share: float
    mean_steps_among_reached: float
    mean_final_learned: float
    mean_final_scope_learned: float
    stopped_early_share: float
    prediction: Metrics
    curve_learned: npt.NDArray[np.float64]
    curve_scope_learned: npt.NDArray[np.float64]
    curve_reached_share: npt.NDArray[np.float64]
    def to_dict(self) -> Dict[str, Any]: ...

class PolicyResult:
    policy: str
    all: CohortOutcome
    groups: List[CohortOutcome]

class LearnerOutcome:
    policy: int
    learner: int
    group: int
    learn_offset: float
    prior_offset: float
    steps_to_goal: int
    reached_goal: bool
    steps_taken: int
    start_learned: int
    final_learned: int
    final_scope_learned: int

class SimulationResult:
    seed: int
    learners: int
    steps: int
    goal_competencies: List[str]
    goal_scope_size: int
    num_competencies: int
    group_names: List[str]
    curve_steps: npt.NDArray[np.int32]
    policies: List[PolicyResult]
    learner_outcomes: List[LearnerOutcome]
    def learner_outcome_columns(self) -> Dict[str, np.ndarray]: ...

class SyntheticLearner:
    index: int
    group: int
    learn_offset: float
    prior_offset: float
    num_learned: int
    def is_learned(self, competency: int) -> bool: ...
    def learn_probability(self, activity: int, competency: int) -> float: ...
    def correct_probability(self, activity: int) -> float: ...
    def advance_to(self, minutes: float) -> None: ...
    def attempt(self, activity: int, minutes: float) -> bool: ...

class SyntheticCohort:
    num_competencies: int
    num_activities: int
    competency_ids: List[str]
    activity_ids: List[str]
    group_names: List[str]
    @staticmethod
    def create(graph: CompetencyGraph, options: LearnerModelOptions = ...,
               seed: int = 1) -> SyntheticCohort: ...
    def make_learner(self, index: int) -> SyntheticLearner: ...
    def activity_index(self, activity_id: str) -> int: ...
    def competency_index(self, competency_id: str) -> int: ...
    def population_params(self, competency: int) -> BktParams: ...
    def population_model(self) -> BktModel: ...

class Simulation:
    options: SimulationOptions
    cohort: SyntheticCohort
    online_model: BktModel
    @staticmethod
    def create(graph: CompetencyGraph, options: SimulationOptions = ...) -> Simulation: ...
    @overload
    def run(self) -> SimulationResult: ...
    @overload
    def run(self, policies: Sequence[Tuple[str, Policy]]) -> SimulationResult: ...

def run_simulation(graph: CompetencyGraph, options: SimulationOptions = ...) -> SimulationResult: ...

# ---- Standards imports (standards_bindings.cc; read_* that open files are in pathwise.standards)

class LearningRecordReport:
    records_read: int
    accepted: int
    skipped: Dict[str, int]
    skipped_by_verb: Dict[str, int]
    voiding: int
    voided_in_batch: List[str]
    voided_elsewhere: List[str]

class ImportedObservations:
    observations: List[Observation]
    report: LearningRecordReport

def parse_xapi_statements(text: str, source_name: str = "<string>", *,
                          activity_map: Optional[Mapping[str, str]] = None,
                          completion_as_outcome: bool = False,
                          account_home_page: str = "") -> ImportedObservations: ...
def parse_caliper_events(text: str, source_name: str = "<string>", *,
                         activity_map: Optional[Mapping[str, str]] = None) -> ImportedObservations: ...
def read_activity_map_csv(path: str) -> Dict[str, str]: ...

class CaseLink:
    competency_id: str
    other_id: str
    other_uri: str

class CaseNote:
    path: str
    message: str

class CaseImportReport:
    document_id: str
    document_title: str
    items: int
    uris: Dict[str, str]
    associations: int
    associations_by_type: Dict[str, int]
    aliases: List[CaseLink]
    related: List[CaseLink]
    notes: List[CaseNote]

class ImportedCase:
    graph: CompetencyGraph
    report: CaseImportReport

def parse_case_package(text: str, source_name: str = "<string>", *,
                       version: str = "1.1") -> ImportedCase: ...
def read_case_package(path: str, *, version: str = "1.1") -> ImportedCase: ...

class RosterClass:
    sourced_id: str
    title: str
    course_sourced_id: str
    school_sourced_id: str
    learners: List[str]
    teachers: List[str]

class Roster:
    classes: List[RosterClass]
    learners: List[str]
    orgs: int
    courses: int
    users: int
    enrollments: int
    other_roles: int
    notes: List[str]

def read_oneroster(directory: str) -> Roster: ...

class ImportedEdFi:
    graph: CompetencyGraph
    standards: int
    notes: List[str]
    equivalences: List[Tuple[str, str]]

def parse_edfi_learning_standards(text: str, source_name: str = "<string>") -> ImportedEdFi: ...
def read_edfi_learning_standards(path: str) -> ImportedEdFi: ...
