"""A pyBKT-compatible ``Model`` running on the Pathwise C++ core.

Change ::

    from pyBKT.models import Model

to ::

    from pathwise.compat.pybkt import Model

and an existing pyBKT script runs: the same constructor arguments, methods (``fit``, ``partial_fit``,
``predict``, ``evaluate``, ``crossvalidate``, ``params``, ``coef_``, ``save``, ``load``), column-name
defaults (ASSISTments and Cognitive Tutor), return shapes and in-place sorting of the caller's
DataFrame; ``Roster`` and ``StateType`` too (on the core's ``MasteryTracker``). As in pyBKT, guess and
slip are unbounded by default (up to the core's guess + slip < 1). Fitted numbers differ from pyBKT's
(different random starts, a convergence test per row); every difference is listed in
``python/README.md``.

Errors keep pyBKT's types where scripts may catch them: ``ValueError`` for bad arguments and data,
``KeyError`` for a column that cannot be found. Messages name the column, the row or the accepted
values.
"""

from __future__ import annotations

import concurrent.futures
import numbers
import os
import pickle
import random
import re
import types
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .. import _core
from ..data import _log_from_columns
from ..fitting import params_dataframe

try:
    import pandas as pd
except ImportError as _error:  # pyBKT's API is built on DataFrames
    raise ImportError("pathwise.compat.pybkt needs pandas (Debian: apt-get install python3-pandas)"
                      ) from _error

__all__ = ["Model", "Roster", "State", "StateType", "metrics"]

# ---------------------------------------------------------------------------------------------------
# Metrics: pyBKT's names, computed by the core (AUC, RMSE, accuracy are exact and pooled).
# ---------------------------------------------------------------------------------------------------


def _core_metric(name: str) -> Callable[[Any, Any], float]:
    def metric(true_values, pred_values):
        true_values = np.asarray(true_values, dtype=np.float64)
        pred_values = np.asarray(pred_values, dtype=np.float64)
        if len(true_values) != len(pred_values):
            raise ValueError("preds and true values need to have same shape")
        if len(true_values) == 0:
            return float("nan")
        return getattr(_core.compute_metrics(true_values, pred_values), name)

    metric.__name__ = name
    metric.__doc__ = f"pyBKT's {name}: pooled over every row, computed by the Pathwise core."
    return metric


def _sklearn_metrics() -> Dict[str, Callable]:
    """scikit-learn's *_loss / *_score / *_error functions, as pyBKT offers them (when installed)."""
    try:
        import sklearn.metrics as sk
    except ImportError:
        return {}
    found = {}
    for name in dir(sk):
        if re.search("_loss$|_score$|_error$", name):
            function = getattr(sk, name)
            try:
                function([0, 1] * 5, [1, 0] * 5)
            except Exception:  # not a (y_true, y_pred) metric
                continue
            found[name] = function
    return found


metrics = types.SimpleNamespace(
    rmse=_core_metric("rmse"), auc=_core_metric("auc"), accuracy=_core_metric("accuracy"))
metrics.SUPPORTED_METRICS = {"accuracy": metrics.accuracy, "auc": metrics.auc, "rmse": metrics.rmse}

# The core keeps guess + slip below 1; pyBKT-like fits may reach up to this.
_GS_SUM = 1.0 - 1e-6
# Widenings of a skill's guess/slip box at most (each halves the distance to the line).
_WIDEN_ROUNDS = 8

_PAIR_CLASS = "<multipair>"  # the variant column name of the derived pair classes

_PARAM_NAMES = {"prior": "prior", "learns": "learn", "guesses": "guess", "slips": "slip",
                "forgets": "forget"}

# Column defaults of pyBKT's data helper: ASSISTments and Cognitive Tutor (DataShop) exports.
_AS_COLUMNS = {"order_id": "order_id", "skill_name": "skill_name", "correct": "correct",
               "user_id": "user_id", "multilearn": "template_id", "multiprior": "correct",
               "multipair": "template_id", "multigs": "template_id", "folds": "user_id"}
_CT_COLUMNS = {"order_id": "Row", "skill_name": "KC(Default)", "correct": "Correct First Attempt",
               "user_id": "Anon Student Id", "multilearn": "Problem Name",
               "multiprior": "Correct First Attempt", "multipair": "Problem Name",
               "multigs": "Problem Name", "folds": "Anon Student Id"}
_COLUMN_ROLES = {"user_id": "user id", "skill_name": "skill name", "correct": "correct",
                 "order_id": "order id"}


class _Prepared:
    """A DataFrame prepared as pyBKT prepares it, with the arrays a log is built from."""

    def __init__(self, df, columns: Dict[str, str], skill: np.ndarray, correct: np.ndarray,
                 skills: List[str]) -> None:
        self.df = df
        self.columns = columns
        self.skill = skill  # per row: skill name, or None when the cell is missing
        self.correct = correct  # per row: -1, 0 or 1
        self.skills = skills  # matching skills in order of first appearance
        self.pairs: Optional[np.ndarray] = None  # multipair classes, made when first needed

    def rows_of(self, skills: Sequence[str]) -> np.ndarray:
        """Positions of the answered rows (correct 0 or 1) of these skills."""
        mask = pd.Series(self.skill).isin(list(skills)).to_numpy() & (self.correct >= 0)
        return np.flatnonzero(mask)

    def column(self, role: str) -> np.ndarray:
        if role == "pair":
            return self.df[self.columns["multipair"]].to_numpy()
        return self.df[self.columns[role]].to_numpy()


class Model:
    """pyBKT's ``Model`` API on the Pathwise core (see the module docstring).

    >>> model = Model(seed=42, num_fits=1)
    >>> model
    Model(parallel=True, num_fits=1, seed=42, defaults=None)
    """

    MODELS_BKT = ["multilearn", "multiprior", "multipair", "multigs"]
    MODEL_ARGS = ["parallel", "num_fits", "seed", "defaults"] + MODELS_BKT
    FIT_ARGS = ["skills", "num_fits", "defaults", "fixed", "parallel", "forgets", "preload"] + MODELS_BKT
    CV_ARGS = FIT_ARGS + ["folds", "seed"]
    # Pathwise extensions, accepted by the constructor, fit and crossvalidate.
    EXTENSION_ARGS = ["bounds", "max_iterations", "tolerance", "ibkt", "ibkt_l2"]
    DEFAULTS = {
        "num_fits": 5,
        "defaults": None,
        "parallel": True,
        "skills": ".*",
        "seed": lambda: random.randint(0, int(1e8)),
        "folds": 5,
        "forgets": False,
        "fixed": None,
        "model_type": [False] * len(MODELS_BKT),
    }
    DEFAULTS_BKT = {
        "order_id": "order_id",
        "skill_name": "skill_name",
        "correct": "correct",
        "user_id": "user_id",
        "multilearn": "template_id",
        "multiprior": "correct",
        "multipair": "problem_id",
        "multigs": "template_id",
        "folds": "template_id",
    }
    INITIALIZABLE_PARAMS = ["prior", "learns", "guesses", "slips", "forgets"]

    def __init__(self, **kwargs: Any) -> None:
        self.fit_model: Optional[Dict[str, Any]] = None
        self.manual_param_init = False
        self._check_args(Model.MODEL_ARGS + Model.EXTENSION_ARGS, kwargs)
        self.keep: Dict[str, bool] = {}
        self.defaults = None
        self._bkt: Optional[_core.BktModel] = None  # the fitted model, in Pathwise's form
        self._initial: Dict[str, Dict[str, Any]] = {}  # coef_ set by hand, by skill
        self._fit_columns: Dict[str, Any] = {}  # how the fitted model reads data (activity, groups)
        self._classes: Dict[str, List[str]] = {}  # per skill: the activity classes seen in fitting
        # per skill: the learn classes seen in fitting, when multilearn used a column of its own
        self._learn_classes: Dict[str, List[str]] = {}
        self._extensions = {k: kwargs[k] for k in Model.EXTENSION_ARGS if k in kwargs}
        self._update_param(["parallel", "num_fits", "seed", "defaults"], kwargs, keep=True)
        self._update_param("model_type", self._update_defaults(kwargs), keep=True)

    # -----------------------------------------------------------------------------------------------
    # The public API.
    # -----------------------------------------------------------------------------------------------

    def fit(self, data_path: Optional[str] = None, data: Any = None, **kwargs: Any) -> None:
        """Fits one BKT model per skill (EM on the Pathwise core, GIL released).

        Arguments as pyBKT: ``skills`` (regex or list), ``num_fits`` (restarts), ``defaults``
        (column names), ``fixed`` (per class too: one value per class of the skill), ``parallel``,
        ``forgets``, ``preload``, and the variants ``multilearn``, ``multiprior``, ``multipair``,
        ``multigs`` (True or a column name; multilearn / multipair and multigs may use different
        columns). Extensions: ``bounds`` (``{'guess': (0, 0.3), ...}``), ``max_iterations``,
        ``tolerance``, ``ibkt``, ``ibkt_l2``.
        """
        if not self.manual_param_init:
            self.fit_model = {}
            self._bkt = None
        self.partial_fit(data_path=data_path, data=data, **kwargs)

    def partial_fit(self, data_path: Optional[str] = None, data: Any = None, **kwargs: Any) -> None:
        """As fit, but EM starts from the current parameters (of a previous fit or of ``coef_``)."""
        self._check_data(data_path, data)
        self._check_args(Model.FIT_ARGS + Model.EXTENSION_ARGS, kwargs)
        self._update_param(["skills", "num_fits", "defaults", "fixed", "parallel", "forgets"], kwargs)
        self._update_extensions(kwargs)
        if not self.fit_model or self.manual_param_init:
            self._update_param("model_type", self._update_defaults(kwargs))
        continuing = bool(self.fit_model) and self._bkt is not None
        prepared = self._prepare(data_path, data, self.skills)
        self.skills = list(prepared.skills)
        if kwargs.get("preload", False):
            self._bkt = self._model_from_initial(prepared.skills)
        else:
            self._bkt = self._fit_skills(prepared, prepared.skills, continuing)
        self.fit_model = self.coef_
        self.manual_param_init = False

    def predict(self, data_path: Optional[str] = None, data: Any = None):
        """The prepared data (sorted, filtered as pyBKT does) with two columns added:
        ``correct_predictions`` (P(correct) one step ahead) and ``state_predictions`` (P(learned)
        before the row). Rows the model does not cover (other skills, missing skill, correct = -1)
        get pyBKT's "best effort" 0.5."""
        self._check_data(data_path, data)
        self._require_model()
        prepared = self._prepare(data_path, data, self.skills, require_match=False)
        df = prepared.df
        df["correct_predictions"] = 0.5
        df["state_predictions"] = 0.5
        rows, p_correct, p_learned = self._predict_rows(prepared, states=True)
        if len(rows):
            position = df.columns.get_loc("correct_predictions")
            df.iloc[rows, position] = p_correct
            df.iloc[rows, position + 1] = p_learned
        return df

    def evaluate(self, data: Any = None, data_path: Optional[str] = None, metric: Any = None):
        """The metric (default RMSE; 'auc', 'accuracy', a scikit-learn metric name, a callable, or
        a list of these) of the one-step-ahead predictions, pooled over every answered row of the
        fitted skills. Returns a float, or a list for a list of metrics."""
        self._check_data(data_path, data)
        resolved = self._resolve_metrics(metrics.rmse if metric is None else metric)
        self._require_model()
        prepared = self._prepare(data_path, data, self.skills)
        rows, p_correct = self._predict_rows(prepared)
        true_values = prepared.correct[rows].astype(np.float64)
        results = [_apply_metric(function, true_values, p_correct) for _, function in resolved]
        return results[0] if len(results) == 1 else results

    def crossvalidate(self, data: Any = None, data_path: Optional[str] = None, metric: Any = None,
                      **kwargs: Any):
        """Per-skill K-fold cross-validation over learners (or over the labels of a ``folds``
        column). Returns a DataFrame indexed by skill with one column per metric (its name), each
        the mean over folds, as pyBKT. The model is left unfitted afterwards, as in pyBKT."""
        resolved = self._resolve_metrics(metrics.rmse if metric is None else metric)
        if not _is_dataframe(data) and not isinstance(data_path, str):
            raise ValueError("no data specified")
        self._check_data(data_path, data)
        self._check_args(Model.CV_ARGS + Model.EXTENSION_ARGS, kwargs)
        self._update_param(["skills", "num_fits", "defaults", "parallel", "forgets", "seed", "folds"],
                           kwargs)
        self._update_extensions(kwargs)
        self._update_param("model_type", self._update_defaults(kwargs))
        if not self.manual_param_init:
            self.fit_model = {}
        labels = None
        if isinstance(self.folds, str):
            self._update_defaults({"folds": self.folds})
        elif not isinstance(self.folds, numbers.Integral) or self.folds < 2:
            raise ValueError(f"folds must be an integer >= 2 or a column name, got {self.folds!r}")
        prepared = self._prepare(data_path, data, self.skills,
                                 extra_roles=("folds",) if isinstance(self.folds, str) else ())
        if isinstance(self.folds, str):
            labels = prepared.column("folds")
        self.skills = list(prepared.skills)

        def one_skill(skill: str) -> List[float]:
            return self._crossvalidate_skill(prepared, skill, resolved, labels)

        if self.parallel and len(prepared.skills) > 1:
            with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
                values = list(pool.map(one_skill, prepared.skills))
        else:
            values = [one_skill(skill) for skill in prepared.skills]
        self.manual_param_init = False
        self.fit_model = {}
        self._bkt = None
        frame = pd.DataFrame(values, columns=[name for name, _ in resolved])
        frame.insert(0, "skill", prepared.skills)
        return frame.set_index("skill")

    @property
    def coef_(self) -> Dict[str, Dict[str, Any]]:
        """Parameters by skill: ``{'prior': float, 'learns': array, 'guesses': array, 'slips':
        array, 'forgets': array}``; arrays have one entry per class (sorted class names) with
        multilearn / multigs, else one."""
        if self._bkt is None and not self._initial:
            raise ValueError("model has not been trained or initialized")
        if self._bkt is None:
            return {skill: dict(values) for skill, values in self._initial.items()}
        out = {}
        for skill in self.skills:
            out[skill] = self._skill_coef(skill)
        return out

    @coef_.setter
    def coef_(self, values: Dict[str, Dict[str, Any]]) -> None:
        self.fit_model = {}
        self._bkt = None
        self._initial = {}
        for skill, params in values.items():
            if not self._check_params(params):
                raise ValueError("error in length, type or non-existent parameter")
            self._initial[skill] = dict(params)
            self.fit_model[skill] = dict(params)
        self.manual_param_init = True

    def params(self):
        """The fitted parameters as a DataFrame indexed by (skill, param, class) with a ``value``
        column, skills in fitting order. With multiprior the prior has one row per group
        ("first_correct"/"first_incorrect" or the group column's values)."""
        if self._bkt is None:
            raise ValueError("model has not been trained or initialized")
        frame = params_dataframe(self._bkt)
        # pyBKT lists only the classes of a per-class parameter; Pathwise's competency-level value
        # (used for rows without a class and for unseen classes) stays in to_pathwise().
        skill_param = frame.index.droplevel("class")
        classes_per = pd.Series(1, index=skill_param).groupby(level=[0, 1]).transform("size")
        is_class_default = (frame.index.get_level_values("class") == "default") & (
            frame.index.get_level_values("param") != "prior")
        frame = frame[~(is_class_default & (classes_per.to_numpy() > 1))]
        # A skill seen with a single class has no per-class entry in the core (its value is the
        # skill's); pyBKT names that class.
        per_class = set()
        if self.model_type[3]:
            per_class |= {"guesses", "slips"}
        if self.model_type[0] or self.model_type[2]:
            per_class |= {"learns", "forgets"}
        learn_classes = getattr(self, "_learn_classes", {})
        if per_class and (self._classes or learn_classes):
            labels = []
            for skill, param, label in frame.index:
                if param in ("learns", "forgets") and learn_classes:
                    single = learn_classes.get(skill, ())
                else:
                    single = self._classes.get(skill, ())
                if label == "default" and param in per_class and len(single) == 1:
                    label = single[0]
                labels.append((skill, param, label))
            frame.index = pd.MultiIndex.from_tuples(labels, names=frame.index.names)
        order = {skill: i for i, skill in enumerate(self.skills)}
        keys = frame.index.get_level_values("skill").map(lambda s: order.get(s, len(order)))
        return frame.iloc[np.argsort(np.asarray(keys), kind="stable")]

    def save(self, loc: str) -> None:
        """Saves the model with pickle (Pathwise pickles: not readable by pyBKT, and vice versa)."""
        with open(loc, "wb") as handle:
            pickle.dump(self, handle, protocol=pickle.HIGHEST_PROTOCOL)

    def load(self, loc: str) -> None:
        """Loads a model saved by :meth:`save` into this one."""
        with open(loc, "rb") as handle:
            loaded = pickle.load(handle)
        if not isinstance(loaded, Model):
            raise ValueError(f"{loc} does not hold a pathwise.compat.pybkt.Model")
        for name, value in vars(loaded).items():
            setattr(self, name, value)

    def fetch_dataset(self, link: str, loc: str) -> None:
        """Not available: Pathwise never downloads. Fetch the file yourself and pass its path."""
        raise NotImplementedError("fetch_dataset is not supported: download the file and pass data_path")

    def to_pathwise(self) -> _core.BktModel:
        """The fitted model as a :class:`pathwise.BktModel` (for the tracker, recommender, CLI)."""
        if self._bkt is None:
            raise ValueError("model has not been fitted yet")
        return _core.BktModel(self._bkt)

    def __repr__(self) -> str:
        shown = [f"{arg}={getattr(self, arg)}" for arg in Model.MODEL_ARGS if hasattr(self, arg)]
        return "Model(" + ", ".join(shown) + ")"

    # -----------------------------------------------------------------------------------------------
    # Arguments.
    # -----------------------------------------------------------------------------------------------

    def _check_args(self, expected: List[str], args: Dict[str, Any]) -> None:
        for arg in args:
            if arg not in expected:
                raise ValueError(f"provided argument {arg!r} is not recognized; arguments must be "
                                 f"one or more of: {', '.join(expected)}")

    def _update_param(self, params: Any, args: Any, keep: bool = False) -> None:
        if isinstance(params, str):
            setattr(self, params, args)
            self.keep[params] = keep
            return
        for param in params:
            if param in args:
                setattr(self, param, args[param])
            elif not self.keep.get(param, False):
                default = Model.DEFAULTS[param]
                setattr(self, param, default() if callable(default) else default)
            self.keep[param] = keep

    def _update_extensions(self, args: Dict[str, Any]) -> None:
        for name in Model.EXTENSION_ARGS:
            if name in args:
                self._extensions[name] = args[name]

    def _update_defaults(self, args: Dict[str, Any]) -> List[bool]:
        """Variant flags from the arguments; a variant given as a string names its column."""
        model_type = [False] * len(Model.MODELS_BKT)
        for name, value in args.items():
            if name in Model.MODELS_BKT:
                if isinstance(value, bool):
                    model_type[Model.MODELS_BKT.index(name)] = value
                elif isinstance(value, str):
                    self.defaults = dict(self.defaults or {})
                    self.defaults[name] = value
                    model_type[Model.MODELS_BKT.index(name)] = True
                else:
                    raise ValueError(f"model type {name} must either be boolean for automatic "
                                     f"column inference or string specifying column, got {value!r}")
            elif name in Model.DEFAULTS_BKT:
                self.defaults = dict(self.defaults or {})
                self.defaults[name] = value
        return model_type

    def _check_params(self, params: Dict[str, Any]) -> bool:
        valid = True
        for name, value in params.items():
            if name == "prior":
                valid = valid and isinstance(value, numbers.Number)
            else:
                valid = valid and isinstance(value, np.ndarray) and name in Model.INITIALIZABLE_PARAMS
        if "learns" in params and "forgets" in params:
            valid = valid and len(params["learns"]) == len(params["forgets"])
        if "guesses" in params and "slips" in params:
            valid = valid and len(params["guesses"]) == len(params["slips"])
        return valid

    def _check_data(self, data_path: Any, data: Any) -> None:
        if not isinstance(data_path, str) and not _is_dataframe(data):
            raise ValueError("no data specified")
        if isinstance(data_path, str) and _is_dataframe(data):
            raise ValueError("cannot specify both data location and data")
        if isinstance(data_path, str) and not os.path.exists(data_path):
            raise ValueError(f"data path is invalid or file not found: {data_path}")

    @staticmethod
    def _resolve_metrics(metric: Any) -> List[Tuple[str, Callable]]:
        listed = list(metric) if isinstance(metric, (tuple, list)) else [metric]
        resolved = []
        supported = None
        for m in listed:
            if isinstance(m, str):
                if m in metrics.SUPPORTED_METRICS:
                    resolved.append((m, metrics.SUPPORTED_METRICS[m]))
                    continue
                supported = supported if supported is not None else _sklearn_metrics()
                if m not in supported:
                    names = sorted(set(metrics.SUPPORTED_METRICS) | set(supported))
                    raise ValueError("metric must be one of: " + ", ".join(names))
                resolved.append((m, supported[m]))
            elif callable(m):
                resolved.append((getattr(m, "__name__", "metric"), m))
            else:
                raise ValueError("metric must either be a string, function or list/tuple of "
                                 "strings and functions")
        return resolved

    # -----------------------------------------------------------------------------------------------
    # Data.
    # -----------------------------------------------------------------------------------------------

    def _read(self, data_path: Optional[str], data: Any):
        if _is_dataframe(data):
            return data  # sorted and converted in place, as pyBKT does (see _prepare)
        try:
            df = pd.read_csv(data_path, low_memory=False, encoding="latin")
        except (pd.errors.ParserError, UnicodeDecodeError):
            return pd.read_csv(data_path, low_memory=False, encoding="latin", delimiter="\t")
        if len(df.columns) == 1 and "\t" in str(df.columns[0]):
            df = pd.read_csv(data_path, low_memory=False, encoding="latin", delimiter="\t")
        return df

    def _resolve_columns(self, df, extra_roles: Sequence[str]) -> Dict[str, str]:
        present = set(df.columns)
        columns: Dict[str, str] = {}
        for role, column in (self.defaults or {}).items():
            if role in _AS_COLUMNS and column not in present:
                needed = role in _COLUMN_ROLES or role in extra_roles or self._variant_on(role)
                if needed:
                    raise KeyError(f"the {role} column {column!r} given in defaults is not in the "
                                   f"data; columns: {', '.join(map(str, df.columns))}")
                continue
            columns[role] = column
        for table in (_AS_COLUMNS, _CT_COLUMNS):
            if any(c in present for c in table.values()):
                for role, column in table.items():
                    if role not in columns and column in present:
                        columns[role] = column
        for role in ("user_id", "correct", "skill_name"):
            if role not in columns:
                raise KeyError(f"{_COLUMN_ROLES[role]} default column not specified and not found "
                               f"among the columns: {', '.join(map(str, df.columns))}")
        return columns

    def _variant_on(self, role: str) -> bool:
        return role in Model.MODELS_BKT and self.model_type[Model.MODELS_BKT.index(role)]

    def _prepare(self, data_path: Optional[str], data: Any, skills: Any, *,
                 require_match: bool = True, extra_roles: Sequence[str] = ()) -> _Prepared:
        df = self._read(data_path, data)
        columns = self._resolve_columns(df, extra_roles)
        if "order_id" in columns:
            order = df[columns["order_id"]]
            if order.isna().any():
                row = int(np.argmax(order.isna().to_numpy()))
                raise ValueError(f"the order column {columns['order_id']!r} has a missing value at "
                                 f"row {df.index[row]}")
            df[columns["order_id"]] = order.apply(int)
            df.sort_values(columns["order_id"], kind="mergesort", inplace=True)
        # In place, as pyBKT: scripts that align the caller's frame with predict()'s output by
        # position depend on it.
        df.sort_values(columns["user_id"], kind="mergesort", inplace=True)
        if "original" in df.columns:
            df = df[df["original"] == 1].copy()

        skill_values = df[columns["skill_name"]]
        skill = np.where(skill_values.isna().to_numpy(), None,
                         skill_values.astype(str).to_numpy()).astype(object)
        df[columns["skill_name"]] = skill_values.where(skill_values.isna(), skill_values.astype(str))
        correct_values = df[columns["correct"]]
        if correct_values.isna().any():
            row = int(np.argmax(correct_values.isna().to_numpy()))
            raise ValueError(f"the correct column {columns['correct']!r} has a missing value (NaN) at "
                             f"row {df.index[row]}; correctness must be -1 (no response), 0 "
                             f"(incorrect), or 1 (correct)")
        try:
            if pd.api.types.is_numeric_dtype(correct_values):  # int() of each value, vectorized
                correct = np.trunc(correct_values.to_numpy(dtype=np.float64)).astype(np.int64)
            else:
                correct = np.asarray(correct_values.apply(int), dtype=np.int64)
        except (TypeError, ValueError):
            raise ValueError(f"Invalid Data In Specified Corrects Column {columns['correct']!r}: "
                             f"values must be -1, 0 or 1") from None
        bad = ~np.isin(correct, (-1, 0, 1))
        if bad.any():
            row = int(np.argmax(bad))
            raise ValueError(f"correctness must be -1 (no response), 0 (incorrect), or 1 (correct); "
                             f"the correct column has {correct_values.iloc[row]!r} at row {df.index[row]}")
        df[columns["correct"]] = correct

        in_order = pd.unique(skill[skill != None])  # noqa: E711 (elementwise)
        pattern = re.compile("^(" + _skills_pattern(skills) + ")$")
        matched = [s for s in in_order if pattern.match(s)]
        if not matched and require_match:
            raise ValueError("no matching skills")
        return _Prepared(df, columns, skill, correct, matched)

    # -----------------------------------------------------------------------------------------------
    # Fitting and prediction on the core.
    # -----------------------------------------------------------------------------------------------

    def _variant_columns(self, columns: Dict[str, str]) -> Dict[str, Any]:
        """Which class columns and learner-group source the variants need: "activity" holds the
        classes of multigs (and of multilearn / multipair when they use the same column);
        "learn_class" those of multilearn / multipair when they use another column (the core's
        ResponseLog.learn_class)."""
        multilearn, multiprior, multipair, multigs = self.model_type
        if multipair + multiprior + multilearn > 1:
            raise ValueError("cannot specify more than 1 resource handling")
        out: Dict[str, Any] = {"activity": None, "group": None, "multiprior": None, "pair": None,
                               "learn_class": None}
        for name, on in (("multipair", multipair), ("multilearn", multilearn), ("multigs", multigs)):
            if on and name not in columns:
                raise KeyError(f"{name} default column not specified")
        learn_column = None
        if multipair:
            # pyBKT's multipair is multilearn on a derived class: the (item, previous item) pair
            # of the learner's rows of the skill, "Default" on each learner's first row.
            out["pair"] = columns["multipair"]
            learn_column = _PAIR_CLASS
        elif multilearn:
            learn_column = columns["multilearn"]
        gs_column = columns["multigs"] if multigs else None
        if gs_column is not None and learn_column is not None and gs_column != learn_column:
            out["activity"], out["learn_class"] = gs_column, learn_column
        else:
            out["activity"] = gs_column if gs_column is not None else learn_column
        if multiprior:
            if "multiprior" not in columns:
                raise KeyError("multiprior default column not specified")
            if columns["multiprior"] == columns["correct"]:
                out["multiprior"] = "first_response"
            else:
                out["multiprior"] = "learner_group"
                out["group"] = columns["multiprior"]
        return out

    @staticmethod
    def _activity_values(prepared: _Prepared, variant: Dict[str, Any], role: str = "activity"
                         ) -> np.ndarray:
        """Per row, the class of the multigs / multilearn / multipair variant in `role`
        ("activity" or "learn_class")."""
        if variant[role] != _PAIR_CLASS:
            return prepared.df[variant[role]].to_numpy()
        if prepared.pairs is None:
            # Rows are grouped by learner in order, so the previous row of the same (skill,
            # learner) is the previous item; pyBKT names a pair "[item] [previous item]".
            items = pd.Series([str(np.array([v])) for v in prepared.column("pair")])
            keys = [pd.Series(prepared.skill).fillna("\0"), pd.Series(prepared.column("user_id"))]
            previous = items.groupby(keys, sort=False).shift(1)
            prepared.pairs = np.where(previous.isna(), "Default",
                                      items + " " + previous.fillna("")).astype(object)
        return prepared.pairs

    def _build_log(self, prepared: _Prepared, rows: np.ndarray, variant: Dict[str, Any]):
        df = prepared.df
        activity = group = learn_class = None
        if variant["activity"] is not None:
            activity = self._activity_values(prepared, variant)[rows]
        if variant.get("learn_class") is not None:
            learn_class = self._activity_values(prepared, variant, "learn_class")[rows]
        if variant["group"] is not None:
            group = df[variant["group"]].to_numpy()[rows]
        log, _ = _log_from_columns(
            prepared.column("user_id")[rows], prepared.skill[rows],
            prepared.correct[rows].astype(np.float64), activity, group,
            names=(prepared.columns["user_id"], prepared.columns["skill_name"],
                   prepared.columns["correct"], variant["activity"], variant["group"]),
            learn_class=learn_class, learn_class_name=str(variant.get("learn_class")))
        return log

    def _base_options(self) -> _core.FitOptions:
        options = _core.FitOptions()
        options.restarts = int(self.num_fits)
        options.seed = int(self.seed) % (1 << 64)
        options.threads = (os.cpu_count() or 1) if self.parallel else 1
        options.forgets = bool(self.forgets)
        ext = self._extensions
        if "max_iterations" in ext:
            options.max_iterations = int(ext["max_iterations"])
        if "tolerance" in ext:
            options.tolerance = float(ext["tolerance"])
        if "bounds" not in ext:
            # pyBKT has no bounds; the core keeps guess + slip below 1 (the degenerate model), so
            # the box starts at the even split and _fit_log widens it where a fit reaches it.
            options.bounds.guess = _core.ParamRange(0.0, 0.5)
            options.bounds.slip = _core.ParamRange(0.0, _GS_SUM - 0.5)
        for name, (lower, upper) in (ext.get("bounds") or {}).items():
            if name not in ("prior", "learn", "forget", "guess", "slip"):
                raise ValueError(f"unknown parameter {name!r} in bounds; expected prior, learn, "
                                 f"forget, guess or slip")
            setattr(options.bounds, name, _core.ParamRange(float(lower), float(upper)))
        options.ibkt = bool(ext.get("ibkt", False))
        if "ibkt_l2" in ext:
            options.ibkt_l2 = float(ext["ibkt_l2"])
        return options

    def _skill_settings(self, skill: str, continuing: bool) -> Tuple[Any, Any]:
        """(start, fixed) for a skill as hashable tuples: the initial values of coef_ or of the
        previous fit (partial_fit), and the fixed values of `fixed`."""
        start: Dict[str, float] = {}
        if continuing and self._bkt is not None and skill in self._bkt.competencies:
            current = self._bkt.competencies[skill]
            start = {name: getattr(current, name) for name in ("prior", "learn", "forget", "guess", "slip")}
        elif skill in self._initial:
            for name, value in self._initial[skill].items():
                # One start per skill in the core: per-class values start from their mean.
                start[_PARAM_NAMES[name]] = float(np.mean(np.asarray(value, dtype=np.float64)))
        fixed: Dict[str, float] = {}
        spec = getattr(self, "fixed", None)
        if spec is True:
            spec = {s: {name: True for name in values} for s, values in self._initial.items()}
        if spec is not None and not isinstance(spec, dict):
            raise ValueError("fixed parameter incorrectly specified")
        for name, value in ((spec or {}).get(skill) or {}).items():
            if name not in _PARAM_NAMES:
                raise ValueError(f"unknown parameter {name!r} in fixed[{skill!r}]; expected one of: "
                                 f"{', '.join(Model.INITIALIZABLE_PARAMS)}")
            if isinstance(value, bool):
                if not value:
                    continue
                if name not in self._initial.get(skill, {}):
                    raise ValueError(f"fixed[{skill!r}][{name!r}] is True but no value was set in coef_")
                fixed[_PARAM_NAMES[name]] = _fixed_value(name, self._initial[skill][name],
                                                         f"coef_[{skill!r}][{name!r}]")
            else:
                fixed[_PARAM_NAMES[name]] = _fixed_value(name, value, f"fixed[{skill!r}][{name!r}]")
        return tuple(sorted(start.items())), tuple(sorted(fixed.items()))

    def _options_for(self, base: _core.FitOptions, start: Tuple, fixed: Tuple,
                     variant: Dict[str, Any]) -> _core.FitOptions:
        options = _core.FitOptions()
        for name in ("restarts", "seed", "threads", "forgets", "max_iterations", "tolerance", "ibkt",
                     "ibkt_l2"):
            setattr(options, name, getattr(base, name))
        options.bounds = base.bounds
        options.multigs = bool(self.model_type[3])
        options.multilearn = bool(self.model_type[0] or self.model_type[2])
        options.multiprior = {
            None: _core.PriorGroupSource.NONE,
            "first_response": _core.PriorGroupSource.FIRST_RESPONSE,
            "learner_group": _core.PriorGroupSource.LEARNER_GROUP,
        }[variant["multiprior"]]
        if start:
            values = _core.BktParams(**dict(start))
            if options.forgets and "forget" not in dict(start):
                values.forget = 0.05
            options.start = values
        for name, value in fixed:
            if isinstance(value, tuple):  # per class: _fix_per_class
                continue
            setattr(options.fixed, name, value)
            # pyBKT has no bounds: a value fixed outside Pathwise's default bounds widens them.
            bound = getattr(options.bounds, name)
            setattr(options.bounds, name,
                    _core.ParamRange(min(bound.lower, value), max(bound.upper, value)))
            if name == "forget":
                options.forgets = False
        if self._pybkt_bounds():
            fixed_values = {n: v for n, v in fixed if not isinstance(v, tuple)}
            for name, partner in (("guess", "slip"), ("slip", "guess")):
                if name in fixed_values and partner not in fixed_values:
                    setattr(options.bounds, partner,
                            _core.ParamRange(0.0, max(0.0, _GS_SUM - fixed_values[name])))
        return options

    def _pybkt_bounds(self) -> bool:
        """True unless the caller gave `bounds`: then guess and slip are bounded only by the core's
        guess + slip < 1, as close as EM gets to pyBKT's unbounded fit."""
        return "bounds" not in self._extensions

    def _fit_log(self, make_log: Callable[[Sequence[str]], Any], skills: Sequence[str],
                 options: _core.FitOptions) -> Dict[str, Any]:
        """Fits `skills` (one core call), then, with pyBKT's bounds, widens the guess/slip box of
        each skill whose fit stopped on one side of it and refits that skill from where it stopped
        (restart 0) and from fresh random starts, until its guess and slip are inside the box (the
        unconstrained optimum pyBKT finds) or on the line guess + slip = 1 - 1e-6 (pyBKT's fit would
        cross it: the degenerate model, which the core refuses). Returns the FitResult per skill."""
        result = _core.fit_bkt(make_log(skills), options)
        chosen = {fit.competency: result for fit in result.competencies}
        if (not self._pybkt_bounds() or options.ibkt or options.fixed.guess is not None
                or options.fixed.slip is not None or len(options.fixed_classes)):
            return chosen
        boxes = {skill: (options.bounds.guess.upper, options.bounds.slip.upper) for skill in chosen}
        for _ in range(_WIDEN_ROUNDS):
            refits = {}
            for skill, (g_upper, s_upper) in boxes.items():
                guess, slip = _max_guess_slip(chosen[skill].model, skill)
                at_guess, at_slip = guess >= g_upper - 1e-9, slip >= s_upper - 1e-9
                if at_guess == at_slip:  # inside, or on the guess + slip line
                    continue
                if at_guess:
                    s_new = (slip + s_upper) / 2
                    refits[skill] = (_GS_SUM - s_new, s_new)
                else:
                    g_new = (guess + g_upper) / 2
                    refits[skill] = (g_new, _GS_SUM - g_new)
            if not refits:
                break
            for skill, (g_upper, s_upper) in refits.items():
                widened = _clone_options(options)
                widened.bounds.guess = _core.ParamRange(0.0, g_upper)
                widened.bounds.slip = _core.ParamRange(0.0, s_upper)
                fitted = chosen[skill].model.competencies[skill]
                widened.start = _core.BktParams(fitted.prior, fitted.learn, fitted.forget,
                                                fitted.guess, fitted.slip)
                chosen[skill] = _core.fit_bkt(make_log([skill]), widened)
            boxes = refits
        return chosen

    def _fit_skills(self, prepared: _Prepared, skills: Sequence[str], continuing: bool
                    ) -> _core.BktModel:
        """Fits the skills, one core call per distinct (start, fixed) setting (one call in all for
        the usual case), and merges the models."""
        variant = self._variant_columns(prepared.columns)
        base = self._base_options()
        settings: Dict[Tuple, List[str]] = {}
        for skill in skills:
            settings.setdefault(self._skill_settings(skill, continuing), []).append(skill)
        if base.ibkt and len(settings) > 1:
            raise ValueError("ibkt cannot be combined with per-skill fixed or initial values")
        chosen: Dict[str, Any] = {}

        def make_log(group: Sequence[str]):
            log = self._build_log(prepared, prepared.rows_of(group), variant)
            if len(log) == 0:
                raise ValueError(f"no answered rows (correct 0 or 1) for skills {list(group)[:3]}")
            return log

        self._classes = self._class_orders(prepared, skills, variant, "activity")
        self._learn_classes = self._class_orders(prepared, skills, variant, "learn_class")
        for (start, fixed), group in settings.items():
            options = self._options_for(base, start, fixed, variant)
            self._fix_per_class(options, group, fixed, variant, self._classes, self._learn_classes)
            chosen.update(self._fit_log(make_log, group, options))
        self._fit_columns = variant
        return _merge_models(chosen)

    def _class_orders(self, prepared: _Prepared, skills: Sequence[str], variant: Dict[str, Any],
                      role: str) -> Dict[str, List[str]]:
        """Per skill, the classes of `role` ("activity" or "learn_class") in its answered rows, in
        pyBKT's order (its coef_ arrays index them)."""
        if variant.get(role) is None:
            return {}
        rows = prepared.rows_of(skills)
        classes = pd.DataFrame({"skill": prepared.skill[rows],
                                "class": self._activity_values(prepared, variant, role)[rows]})
        classes = classes.dropna().drop_duplicates()
        return {skill: _pybkt_class_order(group["class"].to_numpy())
                for skill, group in classes.groupby("skill")}

    def _fix_per_class(self, options: _core.FitOptions, skills: Sequence[str], fixed: Tuple,
                       variant: Dict[str, Any], gs_orders: Dict[str, List[str]],
                       learn_orders: Dict[str, List[str]]) -> None:
        """Fixed values given per class (an array with different values, as pyBKT's README fixes
        ten slips) become the core's FitOptions.fixed_classes, entry i for the skill's i-th class in
        pyBKT's order; with pyBKT's bounds, the partner's box shrinks so that guess + slip stays
        below 1 for every class."""
        per_class = {name: values for name, values in fixed if isinstance(values, tuple)}
        if not per_class:
            return
        multilearn, _, multipair, multigs = self.model_type
        table: Dict[str, Dict[str, Any]] = {}
        for skill in skills:
            for name, values in per_class.items():
                if name == "learn":
                    if not (multilearn or multipair):
                        raise ValueError(f"fixed learns of {skill!r}: one value per class needs "
                                         f"multilearn")
                    classes = (learn_orders if variant.get("learn_class") is not None
                               else gs_orders).get(skill, [])
                else:
                    if not multigs:
                        raise ValueError(f"fixed {name}s of {skill!r}: one value per class needs "
                                         f"multigs")
                    classes = gs_orders.get(skill, [])
                if len(values) != len(classes):
                    raise ValueError(f"fixed {_PLURAL[name]} of {skill!r} has {len(values)} values "
                                     f"for {len(classes)} classes ({', '.join(classes[:10])})")
                for class_name, value in zip(classes, values):
                    table.setdefault(skill, {}).setdefault(class_name, {})[name] = value
        options.fixed_classes = {
            skill: {name: _core.ActivityParams(**values) for name, values in classes.items()}
            for skill, classes in table.items()}
        if self._pybkt_bounds():
            for name, partner in (("slip", "guess"), ("guess", "slip")):
                largest = max((max(v) for n, v in per_class.items() if n == name), default=None)
                if largest is not None and getattr(options.fixed, partner) is None:
                    bound = getattr(options.bounds, partner)
                    upper = max(0.0, min(bound.upper, _GS_SUM - largest))
                    setattr(options.bounds, partner, _core.ParamRange(min(bound.lower, upper), upper))

    def _require_model(self) -> None:
        """A fitted model, or one made from coef_ set by hand (pyBKT predicts with either)."""
        if self._bkt is not None:
            return
        if not self._initial:
            raise ValueError("model has not been fitted yet")
        self.skills = list(self._initial)
        self._bkt = self._model_from_initial(self.skills)

    def _model_from_initial(self, skills: Sequence[str]) -> _core.BktModel:
        model = _core.BktModel()
        for skill in skills:
            start, _ = self._skill_settings(skill, False)
            model.competencies[skill] = _core.BktParams(**dict(start))
        self._fit_columns = {"activity": None, "group": None, "multiprior": None, "pair": None,
                             "learn_class": None}
        return model

    def _predict_rows(self, prepared: _Prepared, states: bool = False):
        """Answered rows of the fitted skills, and their predictions (and P(learned))."""
        variant = dict(self._fit_columns)
        for role, column in (("activity", variant.get("activity")),
                             ("multilearn", variant.get("learn_class")),
                             ("multipair", variant.get("pair")), ("group", variant.get("group"))):
            if column == _PAIR_CLASS:
                continue
            if column is not None and column not in prepared.df.columns:
                raise KeyError(f"the {role} column {column!r} the model was fitted with is not in the "
                               f"data")
        fitted = [s for s in prepared.skills if s in self._bkt.competencies]
        rows = prepared.rows_of(fitted)
        if len(rows) == 0:
            empty = np.empty(0)
            return (rows, empty, empty) if states else (rows, empty)
        log = self._build_log(prepared, rows, variant)
        p_correct = _core.predict_one_step_ahead(self._bkt, log)
        if not states:
            return rows, p_correct
        from ..fitting import _state_predictions

        return rows, p_correct, _state_predictions(self._bkt, log, p_correct)

    def _crossvalidate_skill(self, prepared: _Prepared, skill: str,
                             resolved: List[Tuple[str, Callable]], labels: Optional[np.ndarray]
                             ) -> List[float]:
        variant = self._variant_columns(prepared.columns)
        rows = prepared.rows_of([skill])
        start, fixed = self._skill_settings(skill, False)
        options = self._options_for(self._base_options(), start, fixed, variant)
        self._fix_per_class(options, [skill], fixed, variant,
                            self._class_orders(prepared, [skill], variant, "activity"),
                            self._class_orders(prepared, [skill], variant, "learn_class"))
        if labels is not None:
            fold_of_row = labels[rows]
            folds = list(pd.unique(fold_of_row))
        else:
            learner_codes, _ = pd.factorize(prepared.column("user_id")[rows])
            learner_fold = _core.assign_learner_folds(int(learner_codes.max()) + 1, int(self.folds),
                                                      int(self.seed) % (1 << 64))
            fold_of_row = learner_fold[learner_codes]
            folds = list(range(int(self.folds)))
        totals = np.zeros(len(resolved))
        for fold in folds:
            test = fold_of_row == fold
            train_rows, test_rows = rows[~test], rows[test]
            if len(train_rows) == 0 or len(test_rows) == 0:
                totals += np.nan
                continue
            fitted = self._fit_log(lambda _, rows=train_rows: self._build_log(prepared, rows, variant),
                                   [skill], options)
            model = fitted[skill].model
            p_correct = _core.predict_one_step_ahead(model, self._build_log(prepared, test_rows, variant))
            true_values = prepared.correct[test_rows].astype(np.float64)
            totals += [_apply_metric(function, true_values, p_correct) for _, function in resolved]
        return list(totals / len(folds))

    def _skill_coef(self, skill: str) -> Dict[str, Any]:
        model = self._bkt
        params = model.competencies[skill]
        overrides = model.competency_activities[skill] if skill in model.competency_activities else {}
        # pyBKT's array order (sorted raw class values), which coef_ set by hand must follow too.
        order = {name: i for i, name in enumerate(self._classes.get(skill, []))}

        def ordered(names):
            return sorted(names, key=lambda name: (order.get(name, len(order)), name))

        learn_classes = ordered(a for a, o in overrides.items() if o.learn is not None)
        gs_classes = ordered(a for a, o in overrides.items() if o.guess is not None or o.slip is not None)

        def per_class(classes, field, fallback):
            if not classes:
                return np.array([fallback])
            values = [getattr(overrides[a], field) for a in classes]
            return np.array([fallback if v is None else v for v in values])

        learns = per_class(learn_classes, "learn", params.learn)
        if skill in model.competency_learn_classes:
            # multilearn on a column of its own: learns keyed by its classes, in pyBKT's order.
            by_class = dict(model.competency_learn_classes[skill])
            learn_order = {n: i for i, n in enumerate(getattr(self, "_learn_classes", {}).get(skill, []))}
            names = sorted(by_class, key=lambda n: (learn_order.get(n, len(learn_order)), n))
            learns = np.array([by_class[n] for n in names])
        return {
            "prior": params.prior,
            "learns": learns,
            "guesses": per_class(gs_classes, "guess", params.guess),
            "slips": per_class(gs_classes, "slip", params.slip),
            "forgets": np.full(len(learns), params.forget),
        }


# ---------------------------------------------------------------------------------------------------
# Helpers.
# ---------------------------------------------------------------------------------------------------


def _is_dataframe(value: Any) -> bool:
    return isinstance(value, pd.DataFrame)


def _skills_pattern(skills: Any) -> str:
    """pyBKT's skill selector as one regular expression: a string is a regex; a list names skills
    literally (escaped, so names with parentheses or '+' match themselves)."""
    if isinstance(skills, str):
        return skills
    return "|".join(re.escape(str(s)) for s in skills)


def _class_names(values: np.ndarray) -> List[str]:
    """Class names as the log names activities (see pathwise.data)."""
    from ..data import _as_names

    return _as_names(np.asarray(values, dtype=object))


_PLURAL = {"learn": "learns", "guess": "guesses", "slip": "slips"}


def _fixed_value(name: str, value: Any, what: str) -> Any:
    """A fixed value: one float when every class gets the same one (FitOptions.fixed), else a tuple
    of one per class (learns, guesses, slips; FitOptions.fixed_classes)."""
    values = np.asarray(value, dtype=np.float64).ravel()
    if values.size == 0:
        raise ValueError(f"{what} is empty")
    if np.all(values == values[0]):
        return float(values[0])
    if name not in ("learns", "guesses", "slips"):
        raise ValueError(f"{what}: {_PARAM_NAMES.get(name, name)} is one value per skill in "
                         f"pathwise, not one per class; got different values {values.tolist()[:5]}")
    return tuple(float(v) for v in values)


def _apply_metric(function: Callable, true_values: np.ndarray, pred_values: np.ndarray) -> float:
    try:
        return function(true_values, pred_values)
    except ValueError:  # a classification metric given probabilities: pyBKT rounds them
        return function(true_values, pred_values.round(0))


def _merge_models(chosen: Dict[str, Any]) -> _core.BktModel:
    """One model from the FitResult of each skill (several skills may share one result)."""
    results = list({id(r): r for r in chosen.values()}.values())
    if len(results) == 1:
        return _core.BktModel(results[0].model)
    merged = _core.BktModel()
    rows = 0
    totals = dict.fromkeys(("prior", "learn", "forget", "guess", "slip"), 0.0)
    for result in results:
        model = result.model
        for skill_fit in result.competencies:
            skill = skill_fit.competency
            if chosen.get(skill) is not result:
                continue
            params = model.competencies[skill]
            merged.competencies[skill] = params
            for name in totals:
                totals[name] += getattr(params, name) * skill_fit.rows
            rows += skill_fit.rows
            if skill in model.competency_activities:
                merged.competency_activities[skill] = model.competency_activities[skill]
            if skill in model.competency_learn_classes:
                merged.competency_learn_classes[skill] = model.competency_learn_classes[skill]
            if skill in model.group_priors:
                merged.group_priors[skill] = model.group_priors[skill]
        merged.prior_groups = model.prior_groups
    if rows:
        merged.defaults = _core.BktParams(**{k: v / rows for k, v in totals.items()})
    return merged


def _max_guess_slip(model: _core.BktModel, skill: str) -> Tuple[float, float]:
    """The largest guess and slip of a skill over its classes."""
    params = model.competencies[skill]
    guesses, slips = [params.guess], [params.slip]
    if skill in model.competency_activities:
        for overrides in model.competency_activities[skill].values():
            if overrides.guess is not None:
                guesses.append(overrides.guess)
            if overrides.slip is not None:
                slips.append(overrides.slip)
    return max(guesses), max(slips)


def _clone_options(options: _core.FitOptions) -> _core.FitOptions:
    out = _core.FitOptions()
    for name in ("restarts", "seed", "threads", "forgets", "max_iterations", "tolerance", "ibkt",
                 "ibkt_l2", "multigs", "multilearn", "multiprior", "start"):
        setattr(out, name, getattr(options, name))
    out.bounds = options.bounds
    out.fixed = options.fixed
    out.fixed_classes = {skill: dict(classes) for skill, classes in options.fixed_classes.items()}
    return out


def _pybkt_class_order(values: np.ndarray) -> List[str]:
    """Class names in pyBKT's order (its arrays index the sorted raw values: 9 before 10)."""
    unique = pd.unique(values)
    try:
        unique = np.sort(unique)
    except TypeError:  # mixed types: by name
        pass
    names = _class_names(unique)
    return names if len(set(names)) == len(names) else sorted(set(names))


# pyBKT exports these from pyBKT.models too; they need Model, hence the import at the end.
from ._pybkt_roster import Roster, State, StateType  # noqa: E402
