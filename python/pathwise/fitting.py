"""Fitting BKT models by EM, one-step-ahead prediction, evaluation and cross-validation.

Every function takes its data as a :class:`ResponseLog`, a file path (read with
:func:`pathwise.read_log`), a pandas DataFrame or a mapping of columns (see
:func:`pathwise.as_log`). Long calls release the GIL, so other Python threads keep running. Options
are keyword arguments with the C++ defaults (``fit.h``); a bad value raises
:class:`pathwise.InvalidArgumentError` naming it.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Optional, Tuple, Union

import numpy as np

from . import _core
from ._util import check_choice, raise_invalid, require_pandas
from .data import ResponseLog, as_log

BktModel = _core.BktModel
BktParams = _core.BktParams
FitOptions = _core.FitOptions
FitResult = _core.FitResult
Metrics = _core.Metrics
CrossValidationResult = _core.CrossValidationResult

PARAMETERS = ("prior", "learn", "forget", "guess", "slip")
WARNING_THRESHOLDS = ("bound_tolerance", "guess_plus_slip", "no_learning", "min_learners",
                      "min_rows")
MULTIPRIOR = {
    "none": _core.PriorGroupSource.NONE,
    "first_response": _core.PriorGroupSource.FIRST_RESPONSE,
    "learner_group": _core.PriorGroupSource.LEARNER_GROUP,
}


def _params(value: Any, what: str) -> BktParams:
    if isinstance(value, BktParams):
        return value
    if isinstance(value, Mapping):
        unknown = set(value) - set(PARAMETERS)
        if unknown:
            raise_invalid(f"unknown parameter {sorted(unknown)[0]!r} in {what}; expected: "
                          f"{', '.join(PARAMETERS)}")
        return BktParams(**{k: float(v) for k, v in value.items()})
    values = list(value)
    if len(values) != 5:
        raise_invalid(f"{what} needs 5 numbers (prior, learn, forget, guess, slip), got {len(values)}")
    return BktParams(*map(float, values))


def fit_options(
    *,
    restarts: int = 1,
    seed: int = 42,
    threads: int = 1,
    max_iterations: int = 200,
    tolerance: float = 1e-6,
    start: Any = None,
    bounds: Optional[Mapping[str, Tuple[float, float]]] = None,
    fixed: Optional[Mapping[str, float]] = None,
    forgets: bool = False,
    multigs: bool = False,
    multilearn: bool = False,
    multiprior: Union[bool, str, None] = None,
    ibkt: bool = False,
    ibkt_l2: float = 1.0,
    record_trace: bool = False,
    priors: Union[bool, Mapping[str, Tuple[float, float]], None] = None,
    warnings: Optional[Mapping[str, float]] = None,
) -> FitOptions:
    """Builds and validates a :class:`FitOptions` from keyword arguments.

    Parameters
    ----------
    restarts : int
        Fits per competency from different random starts; the best log-likelihood is kept.
    seed : int
        Seeds the random starts. Results are reproducible for a given seed, whatever ``threads``.
    threads : int
        Worker threads; results do not depend on it.
    max_iterations, tolerance
        EM stops after ``max_iterations`` E-steps or when an iteration gains less than
        ``tolerance`` log-likelihood per row.
    start : BktParams, dict or 5-tuple (prior, learn, forget, guess, slip), optional
        The start of restart 0 (otherwise random).
    bounds : dict, optional
        ``{'guess': (0, 0.3), ...}``: parameter -> (lower, upper). Defaults: guess and slip in
        [0, 0.3], the rest in [0, 1].
    fixed : dict, optional
        ``{'forget': 0.0, ...}``: parameters held at a value instead of fitted.
    forgets, multigs, multilearn, ibkt : bool
        The variants: fitted forget, per-activity guess/slip, per-activity learn, per-learner
        (iBKT) prior and learn offsets.
    multiprior : {None, False, True, 'first_response', 'learner_group'}
        Per-group priors, the group being the learner's first response (True: as pyBKT) or the log's
        learner-group column. With first responses, the first answer is predicted and scored
        with the competency prior and the group prior is P(learned) at the second answer (fit.h).
    priors : {None, False, True} or dict, optional
        MAP-EM with Beta priors: True uses the weak defaults of ``fit.h`` (prior Beta(2, 2), learn
        Beta(2, 6), forget Beta(1, 11), guess Beta(2, 6), slip Beta(2, 6)); a dict such as
        ``{'guess': (2, 20)}`` turns them on and replaces those named. Off by default (maximum
        likelihood).
    warnings : dict, optional
        Thresholds of the per-competency warnings (``CompetencyFit.warnings``):
        ``bound_tolerance``, ``guess_plus_slip``, ``no_learning``, ``min_learners``, ``min_rows``.
    """
    options = FitOptions()
    options.restarts = int(restarts)
    options.seed = int(seed)
    options.threads = int(threads)
    options.max_iterations = int(max_iterations)
    options.tolerance = float(tolerance)
    if start is not None:
        options.start = _params(start, "start")
    for name, (lower, upper) in (bounds or {}).items():
        check_choice("parameter in bounds", name, PARAMETERS)
        setattr(options.bounds, name, _core.ParamRange(float(lower), float(upper)))
    for name, value in (fixed or {}).items():
        check_choice("parameter in fixed", name, PARAMETERS)
        setattr(options.fixed, name, float(value))
    options.forgets = bool(forgets)
    options.multigs = bool(multigs)
    options.multilearn = bool(multilearn)
    if multiprior is True:
        multiprior = "first_response"
    elif multiprior is None or multiprior is False:
        multiprior = "none"
    options.multiprior = MULTIPRIOR[check_choice("multiprior", multiprior, MULTIPRIOR)]
    options.ibkt = bool(ibkt)
    options.ibkt_l2 = float(ibkt_l2)
    options.record_trace = bool(record_trace)
    if priors is not None and priors is not False:
        options.priors.enabled = True
        if priors is not True:
            for name, (a, b) in priors.items():
                check_choice("parameter in priors", name, PARAMETERS)
                setattr(options.priors, name, _core.BetaPrior(float(a), float(b)))
    for name, value in (warnings or {}).items():
        check_choice("warning threshold", name, WARNING_THRESHOLDS)
        setattr(options.warnings, name,
                int(value) if name in ("min_learners", "min_rows") else float(value))
    options.validate()
    return options


def fit(
    data: Any,
    *,
    options: Optional[FitOptions] = None,
    progress: Optional[Callable[[float], None]] = None,
    **kwargs: Any,
) -> FitResult:
    """Fits a BKT model to every competency of ``data`` by EM (the GIL is released).

    Parameters
    ----------
    data : ResponseLog, path, DataFrame or mapping of columns
    options : FitOptions, optional
        Ready-made options; otherwise ``kwargs`` are passed to :func:`fit_options`.
    progress : callable, optional
        Called with the fraction of work done, from worker threads (holding the GIL).

    Returns
    -------
    FitResult
        ``.model`` is the fitted :class:`BktModel`; ``.log_likelihood``, per-competency
        ``.competencies`` and iteration counts describe the fit. Each competency's ``.warnings``
        lists degenerate or weakly identified fits (:func:`fit_warnings` gathers them).

    Examples
    --------
    >>> result = pathwise.fit("as.csv", restarts=5, forgets=True)      # doctest: +SKIP
    >>> result.model.competencies["Box and Whisker"]                     # doctest: +SKIP
    """
    if options is not None and kwargs:
        raise_invalid("give either options or keyword arguments, not both")
    return _core.fit_bkt(as_log(data), options or fit_options(**kwargs), progress)


def fit_warnings(result: FitResult) -> list:
    """Every competency's warnings as ``(competency, code name, message)`` tuples, in competency
    order; an empty list when every fit looks sound."""
    return [(c.competency, w.name, w.message) for c in result.competencies for w in c.warnings]


def predict(model: BktModel, data: Any, *, states: bool = False
            ) -> Union[np.ndarray, Tuple[np.ndarray, np.ndarray]]:
    """One-step-ahead P(correct) of every row of ``data`` (index = row of the log).

    The prediction for a row uses only the earlier rows of the same learner and competency.
    Competencies, activities and learners unknown to the model fall back to the model's defaults
    (never an error).

    With ``states=True`` also returns P(learned) before each row (pyBKT's ``state_predictions``).
    """
    log = as_log(data)
    p_correct = _core.predict_one_step_ahead(model, log)
    if not states:
        return p_correct
    return p_correct, _state_predictions(model, log, p_correct)


def _state_predictions(model: BktModel, log: ResponseLog, p_correct: np.ndarray) -> np.ndarray:
    """P(learned) before each row, from P(correct) = p (1 - slip) + (1 - p) guess with the row's own
    guess and slip (resolved as the core does: competency, then the activity's overrides, then the
    (competency, activity) overrides)."""
    competency_names = log.competency_names
    activity_names = log.activity_names
    guess = np.empty(len(competency_names))
    slip = np.empty(len(competency_names))
    for c, name in enumerate(competency_names):
        params = model.params_for(name)
        guess[c], slip[c] = params.guess, params.slip
    row_competency = log.competency.astype(np.int64)
    row_activity = log.activity
    row_guess = guess[row_competency]
    row_slip = slip[row_competency]
    pair_overrides = model.competency_activities
    activity_overrides = model.activities
    if len(pair_overrides) or len(activity_overrides):
        with_activity = np.flatnonzero(row_activity >= 0)
        keys = row_competency[with_activity] * (len(activity_names) + 1) + row_activity[with_activity]
        unique_keys, inverse = np.unique(keys, return_inverse=True)
        for k, key in enumerate(unique_keys):
            c, a = divmod(int(key), len(activity_names) + 1)
            competency, activity = competency_names[c], activity_names[a]
            override = None
            if competency in pair_overrides and activity in pair_overrides[competency]:
                override = pair_overrides[competency][activity]
            elif activity in activity_overrides:
                override = activity_overrides[activity]
            if override is None:
                continue
            rows = with_activity[inverse == k]
            if override.guess is not None:
                row_guess[rows] = override.guess
            if override.slip is not None:
                row_slip[rows] = override.slip
    with np.errstate(divide="ignore", invalid="ignore"):
        learned = (p_correct - row_guess) / (1.0 - row_slip - row_guess)
    return np.clip(learned, 0.0, 1.0)


def evaluate(model: BktModel, data: Any, *, calibration_bins: int = 10) -> Metrics:
    """Metrics of the one-step-ahead predictions on ``data``: pooled AUC, the per-competency mean AUC
    pyBKT reports, RMSE, accuracy, log-loss and expected calibration error."""
    options = _core.MetricsOptions()
    options.calibration_bins = int(calibration_bins)
    return _core.evaluate_model(model, as_log(data), options)


def compute_metrics(correct: Any, p_correct: Any, competency: Any = None) -> Metrics:
    """Metrics of predictions ``p_correct`` against 0/1 outcomes ``correct``."""
    return _core.compute_metrics(np.asarray(correct, dtype=np.float64),
                                 np.asarray(p_correct, dtype=np.float64),
                                 None if competency is None else np.asarray(competency, np.int64))


def crossvalidate(
    data: Any,
    *,
    folds: int = 5,
    seed: int = 42,
    options: Optional[FitOptions] = None,
    **kwargs: Any,
) -> CrossValidationResult:
    """K-fold cross-validation that splits learners, never single rows (the GIL is released).

    Fold k's model is fitted on the other folds' learners and predicts fold k's rows one step ahead.
    ``seed`` assigns learners to folds and seeds the fits' restarts. ``kwargs`` are
    :func:`fit_options`.

    Returns
    -------
    CrossValidationResult
        ``.folds`` (Metrics per fold), ``.pooled`` (all held-out rows), ``.mean_fold_auc``.
    """
    if options is not None and kwargs:
        raise_invalid("give either options or keyword arguments, not both")
    if options is None:
        kwargs.setdefault("seed", seed)
        options = fit_options(**kwargs)
    return _core.cross_validate(as_log(data), options, _core.CrossValidationOptions(int(folds), int(seed)))


def params_dataframe(model: BktModel):
    """The parameters as a DataFrame indexed by (skill, param, class) with a ``value`` column, in the
    layout of pyBKT's ``Model.params()``."""
    import io

    pandas = require_pandas("params_dataframe")
    frame = pandas.read_csv(io.StringIO(model.export_pybkt_params()), dtype={"skill": str, "param": str,
                                                                           "class": str},
                            keep_default_na=False, float_precision="round_trip")
    return frame.set_index(["skill", "param", "class"])
