"""Errors: core statuses become one exception hierarchy with the core's message; bad columns, NaN and
unknown variant names raise clear exceptions; a missing extension fails the import loudly."""

import os
import pathlib
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import pathwise as pw
from pathwise.compat.pybkt import Model

# (numeric status code, exception class, builtin base it must also be)
MAPPING = [
    (3, pw.InvalidArgumentError, ValueError),
    (9, pw.FailedPreconditionError, ValueError),
    (6, pw.AlreadyExistsError, ValueError),
    (11, pw.OutOfRangeError, ValueError),
    (5, pw.NotFoundError, LookupError),
    (12, pw.UnimplementedError, NotImplementedError),
    (13, pw.InternalError, RuntimeError),
    (8, pw.InternalError, RuntimeError),
    (14, pw.InternalError, RuntimeError),
]


@pytest.mark.parametrize("code,cls,base", MAPPING)
def test_every_status_code_maps_to_one_exception(code, cls, base):
    with pytest.raises(cls) as info:
        pw._core._raise_status(code, "what went wrong: x")
    assert isinstance(info.value, base)
    assert isinstance(info.value, pw.PathwiseError)
    assert str(info.value) == "what went wrong: x"
    assert info.value.code == {3: "INVALID_ARGUMENT", 9: "FAILED_PRECONDITION", 6: "ALREADY_EXISTS",
                               11: "OUT_OF_RANGE", 5: "NOT_FOUND", 12: "UNIMPLEMENTED",
                               13: "INTERNAL", 8: "RESOURCE_EXHAUSTED", 14: "UNAVAILABLE"}[code]


def test_validation_errors_carry_the_core_message():
    with pytest.raises(pw.InvalidArgumentError, match="guess"):
        pw.BktParams(guess=0.6, slip=0.5).validate()
    model = pw.BktModel()
    model.competencies["fractions"] = pw.BktParams(slip=float("nan"))
    with pytest.raises(ValueError, match=r"competencies\[fractions\]\.slip: must be a probability"):
        model.validate()


def test_graph_errors():
    graph = pw.CompetencyGraph()
    graph.add_competency(pw.Competency("a"))
    graph.add_competency(pw.Competency("b"))
    graph.add_prerequisite(pw.Prerequisite("a", "b"))
    with pytest.raises(pw.FailedPreconditionError, match="cycle"):
        graph.add_prerequisite(pw.Prerequisite("b", "a"))
    with pytest.raises(pw.AlreadyExistsError):
        graph.add_competency(pw.Competency("a"))
    with pytest.raises(pw.NotFoundError, match="zzz"):
        graph.add_prerequisite(pw.Prerequisite("a", "zzz"))
    with pytest.raises(pw.NotFoundError):
        pw.CompetencyGraph.read("/nonexistent/graph.json")
    with pytest.raises(pw.InvalidArgumentError, match=r"<string>:1:\d+"):
        pw.CompetencyGraph.from_json("{not json")


def test_tracker_errors():
    graph = pw.CompetencyGraph.from_definition(pw.GraphDefinition(competencies=[pw.Competency("a")]))
    tracker = pw.MasteryTracker.create(graph)
    with pytest.raises(LookupError):
        tracker.mastery("nobody")
    with pytest.raises(pw.NotFoundError, match="nope"):
        tracker.record(pw.Observation("", "ann", "nope", 1.0, 0))
    with pytest.raises(pw.InvalidArgumentError, match="outcome"):
        tracker.record(pw.Observation("", "ann", "a", float("nan"), 0))
    with pytest.raises(pw.InvalidArgumentError, match=r"observations\[1\]"):
        tracker.record_arrays(["ann", "ann"], ["a", "a"], np.array([1.0, 2.0]))
    assert not tracker.has_learner("ann")  # the failed batch applied nothing


def test_bad_columns_and_nan_in_dataframes():
    frame = pd.DataFrame({"user_id": [1, 1, 2], "skill_name": ["x", "x", "y"],
                          "correct": [1, 0, 1]})
    with pytest.raises(pw.InvalidArgumentError, match="'kc' is not in the data; columns: user_id"):
        pw.log_from_dataframe(frame, competency="kc")
    with pytest.raises(pw.InvalidArgumentError, match="'correct' has NaN at row 1"):
        pw.log_from_dataframe(frame.assign(correct=[1.0, np.nan, 0.0]))
    with pytest.raises(pw.InvalidArgumentError, match="'correct' has 2 at row 2"):
        pw.log_from_dataframe(frame.assign(correct=[1, 0, 2]))
    with pytest.raises(pw.InvalidArgumentError, match="'skill_name' has a missing value at row 0"):
        pw.log_from_dataframe(frame.assign(skill_name=[None, "x", "y"]))
    with pytest.raises(pw.InvalidArgumentError, match=r"correct\[1\] = nan is not 0 or 1"):
        pw.ResponseLog.from_codes(np.zeros(2, np.int64), ["l"], np.zeros(2, np.int64), ["c"],
                                  np.array([1.0, np.nan]))
    with pytest.raises(pw.InvalidArgumentError, match=r"competency\[0\] is not an index"):
        pw.ResponseLog.from_codes(np.zeros(1, np.int64), ["l"], np.array([3]), ["c"], np.ones(1))


def test_unknown_variant_and_option_names():
    log = pw.log_from_arrays(["a", "a", "b"], ["s", "s", "s"], [1, 0, 1])
    with pytest.raises(pw.InvalidArgumentError, match="unknown multiprior 'first'; expected one of"):
        pw.fit(log, multiprior="first")
    with pytest.raises(pw.InvalidArgumentError, match="unknown parameter in bounds 'gues'"):
        pw.fit(log, bounds={"gues": (0, 0.3)})
    with pytest.raises(TypeError):
        pw.fit(log, multigs_typo=True)
    with pytest.raises(pw.InvalidArgumentError, match="unknown log format 'csv'"):
        pw.read_log("whatever.csv", "csv")
    with pytest.raises(pw.InvalidArgumentError, match="mastery, zpdes, random or curriculum"):
        pw.parse_policy_kind("greedy")
    with pytest.raises(pw.InvalidArgumentError, match="ibkt"):
        pw.fit(log, ibkt=True, multilearn=True)  # the core rejects the combination


def test_missing_file_and_malformed_log(tmp_path):
    with pytest.raises(pw.NotFoundError):
        pw.read_log(tmp_path / "missing.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("user_id,skill_name,correct\n1,x,1\n2,y,maybe\n")
    with pytest.raises(pw.InvalidArgumentError, match=r"bad\.csv:3:\d+"):
        pw.read_log(bad)
    log, report = pw.read_log(bad, skip_bad_rows=True, return_report=True)
    assert len(log) == 1 and report.rows_skipped == 1


def test_pybkt_compat_errors(tmp_path, as_csv):
    with pytest.raises(ValueError, match="not recognized"):
        Model(multibogus=True)
    with pytest.raises(ValueError, match="no data specified"):
        Model().fit()
    with pytest.raises(ValueError, match="file not found"):
        Model().fit(data_path=str(tmp_path / "missing.csv"))
    with pytest.raises(ValueError, match="model has not been fitted"):
        Model().predict(data_path=str(as_csv))
    with pytest.raises(ValueError, match="no matching skills"):
        Model(num_fits=1).fit(data_path=str(as_csv), skills="Nothing like this")
    skill = str(pd.read_csv(as_csv, low_memory=False)["skill_name"].dropna().iloc[0])
    with pytest.raises(ValueError, match="forget is one value per skill"):
        Model(num_fits=1).fit(data_path=str(as_csv), skills=[skill], multilearn=True, forgets=True,
                              fixed={skill: {"forgets": np.array([0.1, 0.2])}})
    with pytest.raises(ValueError, match="model type multigs must either be boolean"):
        Model(num_fits=1).fit(data_path=str(as_csv), multigs=3)
    frame = pd.read_csv(as_csv, low_memory=False)
    with pytest.raises(KeyError, match="'skill' given in defaults is not in the data"):
        Model(num_fits=1).fit(data=frame, defaults={"skill_name": "skill"})
    with pytest.raises(KeyError, match="user id default column not specified"):
        Model(num_fits=1).fit(data=frame.drop(columns=["user_id"]))
    nan_frame = frame.copy()
    nan_frame.loc[nan_frame.index[5], "correct"] = np.nan
    with pytest.raises(ValueError, match="missing value \\(NaN\\) at row"):
        Model(num_fits=1).fit(data=nan_frame)
    bad_frame = frame.copy()
    bad_frame.loc[bad_frame.index[3], "correct"] = 2
    with pytest.raises(ValueError, match="correctness must be -1"):
        Model(num_fits=1).fit(data=bad_frame)


def test_import_without_extension_fails_clearly(tmp_path):
    package = pathlib.Path(pw.__file__).parent
    copy = tmp_path / "pathwise"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("_core*.so", "__pycache__"))
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    completed = subprocess.run([sys.executable, "-c", "import pathwise"], capture_output=True,
                               text=True, env=env, cwd=tmp_path)
    assert completed.returncode != 0
    assert "compiled extension pathwise._core could not be imported" in completed.stderr
