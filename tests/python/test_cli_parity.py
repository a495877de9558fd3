"""The Python API and the C++ CLI on the same data give identical parameters and metrics.

Both run the same core; these tests catch drift in how Python builds options, reads data and returns
results. Comparisons are exact: the CLI prints doubles with round-trip precision.
"""

import csv
import json
import pathlib
import subprocess

import numpy as np
import pytest

import pathwise as pw

from conftest import ASSIST2015, require


def run_cli(cli, *args):
    completed = subprocess.run([str(cli), *map(str, args)], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def cli_json(cli, *args):
    return json.loads(run_cli(cli, *args, "--report", "json"))


METRIC_FIELDS = ("count", "auc", "auc_competency_mean", "auc_competencies", "rmse", "accuracy",
                 "log_loss", "ece")


def assert_metrics_equal(report, metrics):
    for field in METRIC_FIELDS:
        expected = report[field]
        actual = getattr(metrics, field)
        if expected is None:
            assert np.isnan(actual), field
        else:
            assert actual == expected, field


# (format, data file fixture name, CLI fit flags, the same options for pathwise.fit)
CASES = [
    ("pybkt", "as_csv", ["--restarts", "3", "--seed", "7"], dict(restarts=3, seed=7)),
    ("pybkt", "as_csv", ["--forgets", "--multigs", "--seed", "3"],
     dict(forgets=True, multigs=True, seed=3)),
    ("pybkt", "as_csv", ["--multilearn", "--guess-bounds", "0,0.25", "--fix-forget", "0"],
     dict(multilearn=True, bounds={"guess": (0, 0.25)}, fixed={"forget": 0.0})),
    ("pybkt", "as_csv", ["--multiprior", "--start", "0.5,0.3,0,0.2,0.1"],
     dict(multiprior=True, start=(0.5, 0.3, 0.0, 0.2, 0.1))),
    ("datashop", "ct_tsv", ["--restarts", "2", "--seed", "11", "--threads", "2"],
     dict(restarts=2, seed=11, threads=2)),
]


@pytest.mark.parametrize("fmt,data,flags,options", CASES,
                         ids=["standard", "forgets-multigs", "multilearn-bounds", "multiprior", "ct"])
def test_fit_matches_cli(cli, tmp_path, request, fmt, data, flags, options):
    path = request.getfixturevalue(data)
    model_file = tmp_path / "model.json"
    report = cli_json(cli, "fit", "--data", path, "--format", fmt, *flags, "--model-out", model_file)

    log = pw.read_log(path, fmt)
    result = pw.fit(log, **options)

    assert report["rows"] == len(log)
    assert report["learners"] == len(log.learner_names)
    assert -result.log_likelihood == report["neg_log_likelihood"]
    assert result.iterations == report["iterations"]
    assert result.obs_iterations == report["obs_iterations"]
    assert sum(c.converged for c in result.competencies) == report["converged_competencies"]
    # Every parameter, per competency and per variant, written the same way.
    assert result.model.to_json() == model_file.read_text()
    assert pw.BktModel.load(str(model_file)) == result.model


def test_evaluate_and_predict_match_cli(cli, tmp_path, as_csv):
    model_file = tmp_path / "model.json"
    run_cli(cli, "fit", "--data", as_csv, "--format", "pybkt", "--forgets", "--model-out", model_file)
    report = cli_json(cli, "evaluate", "--data", as_csv, "--format", "pybkt", "--model", model_file)
    predictions_file = tmp_path / "predictions.csv"
    run_cli(cli, "predict", "--data", as_csv, "--format", "pybkt", "--model", model_file,
            "--out", predictions_file)

    model = pw.BktModel.load(str(model_file))
    log = pw.read_log(as_csv)
    assert_metrics_equal(report, pw.evaluate(model, log))

    with open(predictions_file, newline="") as f:
        rows = list(csv.DictReader(f))
    expected = np.array([float(r["p_correct"]) for r in rows])
    np.testing.assert_array_equal(pw.predict(model, log), expected)
    names = np.asarray(log.competency_names, dtype=object)[log.competency]
    assert list(names) == [r["competency"] for r in rows]


def test_crossvalidate_matches_cli(cli, ct_tsv):
    report = cli_json(cli, "crossvalidate", "--data", ct_tsv, "--format", "datashop", "--folds", "4",
                      "--seed", "5", "--forgets")
    result = pw.crossvalidate(pw.read_log(ct_tsv, "datashop"), folds=4, seed=5, forgets=True)
    assert_metrics_equal(report, result.pooled)
    assert result.mean_fold_auc == report["mean_fold_auc"]
    assert result.iterations == report["iterations"]
    assert len(result.folds) == len(report["per_fold"]) == 4
    for fold_report, fold in zip(report["per_fold"], result.folds):
        assert_metrics_equal(fold_report, fold)


def test_pybkt_params_export_matches_cli(cli, tmp_path, as_csv):
    export = tmp_path / "params.csv"
    run_cli(cli, "fit", "--data", as_csv, "--format", "pybkt", "--multigs", "--seed", "9",
            "--export-pybkt", export)
    model = pw.fit(pw.read_log(as_csv), multigs=True, seed=9).model
    assert model.export_pybkt_params() == export.read_text()


def test_dkvmn_assist2015_fit_matches_cli(cli, tmp_path):
    train = require(ASSIST2015 / "assist2015_train.csv")
    test = require(ASSIST2015 / "assist2015_test.csv")
    model_file = tmp_path / "model.json"
    report = cli_json(cli, "fit", "--data", train, "--data", test, "--format", "dkvmn",
                      "--start", "0.5,0.4,0,0.2,0.2", "--threads", "2", "--model-out", model_file)
    log = pw.read_log([train, test], "dkvmn")
    result = pw.fit(log, start=(0.5, 0.4, 0.0, 0.2, 0.2), threads=2)
    assert report["rows"] == len(log) == 683801
    assert -result.log_likelihood == report["neg_log_likelihood"]
    assert result.model.to_json() == pathlib.Path(model_file).read_text()
