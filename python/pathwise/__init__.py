"""Pathwise: competency graphs, BKT mastery, fitting, recommendation and simulation.

The C++ core is the extension module ``pathwise._core``; this package re-exports it and adds NumPy /
pandas conveniences. There is no pure-Python fallback: without the compiled extension, importing
``pathwise`` fails.

Errors: a failing core call raises a subclass of :class:`PathwiseError` carrying the core's message
(``str(e)``) and its status code name (``e.code``):

=========================  =========================================  ============================
Core status                Exception                                  Also an instance of
=========================  =========================================  ============================
INVALID_ARGUMENT           :class:`InvalidArgumentError`              ``ValueError``
FAILED_PRECONDITION        :class:`FailedPreconditionError`           ``ValueError``
ALREADY_EXISTS             :class:`AlreadyExistsError`                ``ValueError``
OUT_OF_RANGE               :class:`OutOfRangeError`                   ``ValueError``
NOT_FOUND                  :class:`NotFoundError`                     ``LookupError``
UNIMPLEMENTED              :class:`UnimplementedError`                ``NotImplementedError``
anything else              :class:`InternalError`                     ``RuntimeError``
=========================  =========================================  ============================

:class:`Client` talks to the gRPC service ``pathwised`` in the same words (``put_graph``, ``record``,
``mastery``, ``recommend``, ``plan``, ``fit``); see :mod:`pathwise.client`. It needs grpcio and the
generated stubs ``pathwise.v1`` only when one is created.
"""

try:
    from . import _core
except ImportError as _error:  # no slow fallback: say what is missing and how to get it
    raise ImportError(
        "pathwise: the compiled extension pathwise._core could not be imported "
        f"({_error}). Build it with the README's commands (it lands in build/python/pathwise/; "
        "put build/python on PYTHONPATH) or install the package with "
        "`pip install --no-build-isolation ./python`, using the same Python "
        "(e.g. /usr/bin/python3) that built it."
    ) from _error

from ._core import (  # noqa: F401  (re-exports)
    Activity,
    ActivityParams,
    AlreadyExistsError,
    BktModel,
    BktParams,
    Competency,
    CompetencyGraph,
    CompetencyState,
    CrossValidationOptions,
    CrossValidationResult,
    Engine,
    EngineOptions,
    FailedPreconditionError,
    NOW,
    BetaPrior,
    FitOptions,
    FitResult,
    FitWarning,
    FitWarningCode,
    FitWarningThresholds,
    ParamPriors,
    Gating,
    GraphDefinition,
    GraphProblem,
    Group,
    GroupMastery,
    ImportedGraph,
    InternalError,
    InvalidArgumentError,
    LearnerFactors,
    LearnerMastery,
    LearnerState,
    CurriculumPolicyOptions,
    MasteryEstimate,
    MasteryPolicyOptions,
    MasteryTracker,
    Metrics,
    NotFoundError,
    Observation,
    OutOfRangeError,
    PartScore,
    PathwiseError,
    PlannerOptions,
    Policy,
    PolicyKind,
    PracticedCompetency,
    Prerequisite,
    PriorGroupSource,
    ReadOptions,
    RandomPolicyOptions,
    ReadReport,
    RecommendRequest,
    Recommendation,
    RecommenderOptions,
    RecordResult,
    ResponseLog,
    ScorePart,
    TrackerOptions,
    UnimplementedError,
    ZpdesPolicyOptions,
    import_eedi,
    import_junyi,
    is_stalled,
    make_policy,
    log_odds_to_mastery,
    mastery_to_log_odds,
    parse_observations_csv,
    parse_policy_kind,
    read_mastery_csv,
    read_observations_csv,
    validate_graph_definition,
    mastery_statements,
    class_report_html,
)
from .data import as_log, log_from_arrays, log_from_dataframe, log_to_dataframe, read_log  # noqa: F401
from .fitting import (  # noqa: F401
    compute_metrics,
    crossvalidate,
    evaluate,
    fit,
    fit_options,
    fit_warnings,
    params_dataframe,
    predict,
)

__version__ = _core.__version__

from ._core import (  # noqa: F401
    CohortGroup,
    LearnerModelOptions,
    Pathway,
    PathwayPlanner,
    PathwayStep,
    ScheduleOptions,
    Simulation,
    SimulationOptions,
    SimulationResult,
    SyntheticCohort,
    SyntheticLearner,
    UnreachableGoal,
)
from .simulation import SimulationReport, simulate, simulation_options  # noqa: F401
from . import standards  # noqa: F401  (pw.standards.read_xapi_statements, ...)

# The gRPC client of pathwised; grpc and the generated stubs are imported when a Client is created.
from .client import (  # noqa: F401
    Client,
    DeadlineExceededError,
    PermissionDeniedError,
    UnauthenticatedError,
    UnavailableError,
)

__all__ = [
    "NOW",
    "Activity",
    "ActivityParams",
    "AlreadyExistsError",
    "BktModel",
    "BktParams",
    "Client",
    "CohortGroup",
    "Competency",
    "CompetencyGraph",
    "CompetencyState",
    "CrossValidationOptions",
    "CrossValidationResult",
    "CurriculumPolicyOptions",
    "DeadlineExceededError",
    "Engine",
    "EngineOptions",
    "FailedPreconditionError",
    "BetaPrior",
    "FitOptions",
    "FitResult",
    "FitWarning",
    "FitWarningCode",
    "FitWarningThresholds",
    "ParamPriors",
    "Gating",
    "GraphDefinition",
    "GraphProblem",
    "Group",
    "GroupMastery",
    "ImportedGraph",
    "InternalError",
    "InvalidArgumentError",
    "LearnerFactors",
    "LearnerMastery",
    "LearnerModelOptions",
    "LearnerState",
    "MasteryEstimate",
    "MasteryPolicyOptions",
    "MasteryTracker",
    "Metrics",
    "NotFoundError",
    "Observation",
    "OutOfRangeError",
    "PartScore",
    "Pathway",
    "PathwayPlanner",
    "PathwayStep",
    "PathwiseError",
    "PermissionDeniedError",
    "PlannerOptions",
    "Policy",
    "PolicyKind",
    "PracticedCompetency",
    "Prerequisite",
    "PriorGroupSource",
    "RandomPolicyOptions",
    "ReadOptions",
    "ReadReport",
    "RecommendRequest",
    "Recommendation",
    "RecommenderOptions",
    "RecordResult",
    "ResponseLog",
    "ScheduleOptions",
    "ScorePart",
    "Simulation",
    "SimulationOptions",
    "SimulationReport",
    "SimulationResult",
    "SyntheticCohort",
    "SyntheticLearner",
    "TrackerOptions",
    "UnauthenticatedError",
    "UnavailableError",
    "UnimplementedError",
    "UnreachableGoal",
    "ZpdesPolicyOptions",
    "as_log",
    "compute_metrics",
    "crossvalidate",
    "evaluate",
    "fit",
    "fit_options",
    "fit_warnings",
    "import_eedi",
    "import_junyi",
    "is_stalled",
    "log_from_arrays",
    "log_from_dataframe",
    "log_to_dataframe",
    "make_policy",
    "params_dataframe",
    "parse_observations_csv",
    "parse_policy_kind",
    "predict",
    "read_log",
    "read_mastery_csv",
    "read_observations_csv",
    "mastery_statements",
    "class_report_html",
    "simulate",
    "standards",
    "simulation_options",
    "validate_graph_definition",
    "__version__",
    "log_odds_to_mastery",
    "mastery_to_log_odds",
]
