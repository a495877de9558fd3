"""Response logs: reading files with the C++ readers, and building logs from NumPy arrays or pandas
DataFrames.

A :class:`ResponseLog` holds one row per (response, competency) in time order within each learner.
Every function here raises :class:`pathwise.InvalidArgumentError` (a ``ValueError``) naming the column
and row of bad input (a missing value, NaN, an outcome that is not 0/1) and never drops rows silently.
"""

from __future__ import annotations

import os
from typing import Any, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import _core
from ._util import check_choice, is_dataframe, optional_pandas, raise_invalid, require_pandas

ResponseLog = _core.ResponseLog
ReadOptions = _core.ReadOptions
ReadReport = _core.ReadReport

LOG_FORMATS = ("pybkt", "datashop", "dkvmn", "hmmsc")
_DKVMN_HEADERS = {
    "auto": _core.DkvmnHeader.AUTO,
    "length": _core.DkvmnHeader.LENGTH,
    "learner_id": _core.DkvmnHeader.LEARNER_ID,
    "learner-id": _core.DkvmnHeader.LEARNER_ID,
}

PathLike = Union[str, "os.PathLike[str]"]


def read_log(
    paths: Union[PathLike, Sequence[PathLike]],
    format: str = "pybkt",
    *,
    skip_bad_rows: bool = False,
    learner_column: str = "",
    competency_column: str = "",
    correct_column: str = "",
    activity_column: str = "",
    read_activities: bool = True,
    order_column: str = "",
    sort_by_order: bool = True,
    group_column: str = "",
    only_original: bool = True,
    delimiter: str = "",
    competency_separator: Optional[str] = None,
    dkvmn_header: str = "auto",
    return_report: bool = False,
) -> Union[ResponseLog, Tuple[ResponseLog, ReadReport]]:
    """Reads one or more response-log files of one format with the C++ readers (the GIL is released).

    Parameters
    ----------
    paths : path or list of paths
        Several files are read as one log, in order (train then test).
    format : {'pybkt', 'datashop', 'dkvmn', 'hmmsc'}
        pyBKT / ASSISTments CSV, PSLC DataShop TSV, DKT/DKVMN 3-line sequences, or hmm-scalable TSV.
    skip_bad_rows : bool
        Skip (and count in the report) malformed records instead of failing on the first one.
    learner_column, competency_column, correct_column, activity_column, order_column : str
        Column names; empty means the format's default (see ``pathwise/io/response_readers.h``).
    group_column : str
        Learner-group column for ``multiprior='learner_group'``.
    dkvmn_header : {'auto', 'length', 'learner_id'}
        What line 1 of a DKVMN group holds.
    return_report : bool
        Also return the :class:`ReadReport` (rows read, skipped, dropped).

    Returns
    -------
    ResponseLog, or (ResponseLog, ReadReport) when ``return_report``.

    Raises
    ------
    NotFoundError
        A file does not exist.
    InvalidArgumentError
        An unknown format, a missing column, or a malformed record ("file:line:column: what").
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    check_choice("log format", format, LOG_FORMATS)
    options = ReadOptions()
    options.skip_bad_rows = skip_bad_rows
    options.learner_column = learner_column
    options.competency_column = competency_column
    options.correct_column = correct_column
    options.activity_column = activity_column
    options.read_activities = read_activities
    options.order_column = order_column
    options.sort_by_order = sort_by_order
    options.group_column = group_column
    options.only_original = only_original
    options.delimiter = delimiter
    options.competency_separator = competency_separator
    options.dkvmn_header = _DKVMN_HEADERS[check_choice("dkvmn_header", dkvmn_header, _DKVMN_HEADERS)]
    log, report = _core.read_response_log([os.fspath(p) for p in paths], format, options)
    return (log, report) if return_report else log


def _missing_mask(values: np.ndarray) -> np.ndarray:
    pandas = optional_pandas()
    if pandas is not None:
        return np.asarray(pandas.isna(values), dtype=bool)
    if values.dtype.kind == "f":
        return np.isnan(values)
    if values.dtype.kind == "O":
        return np.fromiter(
            (v is None or (isinstance(v, float) and v != v) for v in values),
            dtype=bool,
            count=len(values),
        )
    return np.zeros(len(values), dtype=bool)


def _as_names(uniques: np.ndarray) -> list:
    """Stringifies ids; integral floats (an int column that pandas made float) print as ints."""
    names = []
    for value in uniques.tolist():
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        names.append(str(value))
    return names


def factorize(values: Any, column: str, *, allow_missing: bool = False) -> Tuple[np.ndarray, list]:
    """Codes (int64, first appearance order) and names of a column; -1 for a missing value.

    Raises InvalidArgumentError naming the column and the first row with a missing value unless
    ``allow_missing``.
    """
    values = np.asarray(values)
    if values.ndim != 1:
        raise_invalid(f"column {column!r} must be one-dimensional")
    missing = _missing_mask(values)
    if missing.any() and not allow_missing:
        raise_invalid(f"column {column!r} has a missing value at row {int(np.argmax(missing))}")
    pandas = optional_pandas()
    if pandas is not None:  # hash-based, first-appearance order, missing -> -1: faster than sorting
        codes, uniques = pandas.factorize(values, sort=False)
        return codes.astype(np.int64, copy=False), _as_names(np.asarray(uniques, dtype=object))
    codes = np.full(len(values), -1, dtype=np.int64)
    present = ~missing
    if not present.any():
        return codes, []
    kept = values[present]
    if kept.dtype.kind == "O":
        kept = kept.astype(str)
    uniques, first_index, inverse = np.unique(kept, return_index=True, return_inverse=True)
    order = np.argsort(first_index, kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order), dtype=np.int64)
    codes[present] = rank[inverse.reshape(-1)]
    return codes, _as_names(uniques[order])


def outcomes(values: Any, column: str) -> np.ndarray:
    """0/1 outcomes as float64; raises naming the row of NaN or of any other value."""
    array = np.asarray(values)
    if array.dtype.kind == "b":
        return array.astype(np.float64)
    try:
        numbers = array.astype(np.float64)
    except (TypeError, ValueError):
        raise_invalid(f"column {column!r} must hold numbers 0 or 1")
    nan = np.isnan(numbers)
    if nan.any():
        raise_invalid(f"column {column!r} has NaN at row {int(np.argmax(nan))}; outcomes must be 0 or 1")
    bad = (numbers != 0.0) & (numbers != 1.0)
    if bad.any():
        row = int(np.argmax(bad))
        raise_invalid(f"column {column!r} has {array[row]!r} at row {row}; outcomes must be 0 or 1")
    return numbers


def log_from_arrays(
    learner: Any,
    competency: Any,
    correct: Any,
    activity: Any = None,
    group: Any = None,
    order: Any = None,
) -> ResponseLog:
    """Builds a log from parallel per-row arrays (any dtype; ids are stringified).

    Parameters
    ----------
    learner, competency : array-like
        Learner and competency ids per row; missing values are errors.
    correct : array-like of 0/1 (or bool)
        NaN and other values are errors.
    activity : array-like, optional
        Activity (problem/item) per row; a missing value means "no activity".
    group : array-like, optional
        The learner's group per row (multiprior by learner group); a learner's first non-missing
        value is its group, and a different later value is an error.
    order : array-like, optional
        Time order; rows are sorted by it (stably) before building the log. Without it, row order is
        time order.

    Returns
    -------
    ResponseLog
    """
    log, _ = _log_from_columns(learner, competency, correct, activity, group, order)
    return log


def _log_from_columns(learner, competency, correct, activity=None, group=None, order=None,
                      names=("learner", "competency", "correct", "activity", "group"),
                      learn_class=None, learn_class_name="learn_class"):
    learner = np.asarray(learner)
    n = len(learner)
    columns = {"competency": competency, "correct": correct, "activity": activity, "group": group,
               "order": order, "learn_class": learn_class}
    for key, values in columns.items():
        if values is not None and len(values) != n:
            raise_invalid(f"column {key!r} has {len(values)} rows, learner has {n}")
    rows = np.arange(n, dtype=np.int64)
    if order is not None:
        order_values = np.asarray(order)
        if _missing_mask(order_values).any():
            raise_invalid(f"the order column has a missing value at row "
                          f"{int(np.argmax(_missing_mask(order_values)))}")
        rows = np.argsort(order_values, kind="stable")
    learner_codes, learner_names = factorize(learner[rows], names[0])
    competency_codes, competency_names = factorize(np.asarray(competency)[rows], names[1])
    correct_values = outcomes(np.asarray(correct)[rows], names[2])
    activity_codes, activity_names = None, []
    if activity is not None:
        activity_codes, activity_names = factorize(np.asarray(activity)[rows], names[3],
                                                   allow_missing=True)
    learn_class_codes, learn_class_names = None, []
    if learn_class is not None:
        learn_class_codes, learn_class_names = factorize(np.asarray(learn_class)[rows],
                                                         learn_class_name, allow_missing=True)
    learner_group, group_names = None, []
    if group is not None:
        group_codes, group_names = factorize(np.asarray(group)[rows], names[4], allow_missing=True)
        learner_group = np.full(len(learner_names), -1, dtype=np.int64)
        for row in np.flatnonzero(group_codes >= 0):
            lc, gc = learner_codes[row], group_codes[row]
            if learner_group[lc] == -1:
                learner_group[lc] = gc
            elif learner_group[lc] != gc:
                raise_invalid(
                    f"learner {learner_names[lc]!r} is in group {group_names[learner_group[lc]]!r} "
                    f"and, at row {int(rows[row])}, in group {group_names[gc]!r}")
    log = ResponseLog.from_codes(
        learner_codes, learner_names, competency_codes, competency_names, correct_values,
        activity_codes, activity_names, learner_group, group_names, learn_class_codes,
        learn_class_names)
    return log, rows


def log_from_dataframe(
    df: Any,
    learner: str = "user_id",
    competency: str = "skill_name",
    correct: str = "correct",
    activity: Optional[str] = None,
    group: Optional[str] = None,
    order: Optional[str] = None,
) -> ResponseLog:
    """Builds a log from a pandas DataFrame (or any mapping of column name to array).

    Column defaults are pyBKT's ASSISTments names. See :func:`log_from_arrays` for what each column
    means. Raises InvalidArgumentError naming a missing column and listing the columns present.
    """
    if not (is_dataframe(df) or isinstance(df, Mapping)):
        raise_invalid(f"expected a pandas DataFrame or a mapping of columns, got {type(df).__name__}")
    present = list(df.keys())

    def column(name: Optional[str], role: str):
        if name is None:
            return None
        if name not in present:
            raise_invalid(f"{role} column {name!r} is not in the data; columns: "
                          f"{', '.join(map(str, present))}")
        values = df[name]
        return values.to_numpy() if hasattr(values, "to_numpy") else np.asarray(values)

    log, _ = _log_from_columns(
        column(learner, "learner"), column(competency, "competency"), column(correct, "correct"),
        column(activity, "activity"), column(group, "group"), column(order, "order"),
        names=(learner, competency, correct, activity, group))
    return log


def as_log(data: Any, *, format: str = "pybkt", **columns: Any) -> ResponseLog:
    """A ResponseLog from a log, a file path (read with :func:`read_log` in ``format``), a DataFrame or
    a mapping of columns (:func:`log_from_dataframe` with ``columns``)."""
    if isinstance(data, ResponseLog):
        if columns:
            raise_invalid("column names apply to DataFrames, not to a ResponseLog")
        return data
    if isinstance(data, (str, os.PathLike)):
        return read_log(data, format, **columns)
    if is_dataframe(data) or isinstance(data, Mapping):
        return log_from_dataframe(data, **columns)
    raise_invalid(f"expected a ResponseLog, a path, a DataFrame or a mapping of columns, got "
                  f"{type(data).__name__}")


def log_to_dataframe(log: ResponseLog):
    """The log as a DataFrame with columns learner, competency, activity (None when absent), correct."""
    pandas = require_pandas("log_to_dataframe")
    learner_names = np.asarray(log.learner_names, dtype=object)
    competency_names = np.asarray(log.competency_names, dtype=object)
    activity_names = np.asarray(list(log.activity_names) + [None], dtype=object)
    activity = log.activity
    return pandas.DataFrame({
        "learner": learner_names[log.learner],
        "competency": competency_names[log.competency],
        "activity": activity_names[np.where(activity < 0, len(activity_names) - 1, activity)],
        "correct": log.correct,
    })
