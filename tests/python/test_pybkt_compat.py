"""pathwise.compat.pybkt.Model: pyBKT's API (arguments, column defaults, return shapes) on the real
ASSISTments and Cognitive Tutor files, and its numbers equal to the native API's on the same rows."""

import copy

import numpy as np
import pandas as pd
import pytest

import pathwise as pw
from pathwise.compat.pybkt import Model, metrics

BOX = "Box and Whisker"


@pytest.fixture(scope="module")
def as_frame(as_csv):
    return pd.read_csv(as_csv, low_memory=False, encoding="latin")


@pytest.fixture(scope="module")
def ct_frame(ct_tsv):
    return pd.read_csv(ct_tsv, low_memory=False, encoding="latin", delimiter="\t")


def test_repr_and_constructor_arguments():
    assert repr(Model(seed=42)) == "Model(parallel=True, num_fits=5, seed=42, defaults=None)"
    model = Model(num_fits=2, parallel=False, seed=3, multigs=True)
    assert (model.num_fits, model.parallel, model.seed) == (2, False, 3)
    assert model.model_type == [False, False, False, True]


def test_fit_params_coef_shapes(as_csv):
    model = Model(seed=42, num_fits=2)
    model.fit(data_path=str(as_csv), forgets=True, skills=BOX)
    assert model.skills == [BOX]
    coef = model.coef_
    assert list(coef) == [BOX]
    assert list(coef[BOX]) == ["prior", "learns", "guesses", "slips", "forgets"]
    assert isinstance(coef[BOX]["prior"], float)
    for name in ("learns", "guesses", "slips", "forgets"):
        assert isinstance(coef[BOX][name], np.ndarray) and coef[BOX][name].shape == (1,)
    assert coef[BOX]["forgets"][0] > 0  # forgets=True fits forget

    params = model.params()
    assert params.index.names == ["skill", "param", "class"]
    assert list(params.columns) == ["value"]
    assert list(params.index.get_level_values("param")) == ["prior", "learns", "guesses", "slips",
                                                            "forgets"]
    assert set(params.index.get_level_values("class")) == {"default"}
    assert params.loc[(BOX, "learns", "default"), "value"] == coef[BOX]["learns"][0]


def test_compat_numbers_equal_native_api(as_csv):
    """The compat layer only maps columns: the same rows, seed and restarts give the native fit."""
    model = Model(seed=13, num_fits=3, parallel=False,
                  bounds={"guess": (0, 0.3), "slip": (0, 0.3)})  # the native default bounds
    model.fit(data_path=str(as_csv))
    native = pw.fit(pw.read_log(as_csv, read_activities=False), restarts=3, seed=13)
    compat = model.to_pathwise()
    assert set(compat.competencies.keys()) == set(native.model.competencies.keys())
    for skill in native.model.competencies.keys():
        a, b = compat.competencies[skill], native.model.competencies[skill]
        np.testing.assert_allclose([a.prior, a.learn, a.forget, a.guess, a.slip],
                                   [b.prior, b.learn, b.forget, b.guess, b.slip], rtol=1e-9)
    native_metrics = pw.evaluate(native.model, pw.read_log(as_csv))
    # AUC ranks predictions, so last-bit differences between the two paths' row orders can flip
    # near-ties (seen: 2e-6 after the inline odds fast path); RMSE below stays at 1e-9.
    assert model.evaluate(data_path=str(as_csv), metric="auc") == pytest.approx(native_metrics.auc,
                                                                                 abs=1e-5)
    assert model.evaluate(data_path=str(as_csv)) == pytest.approx(native_metrics.rmse, rel=1e-9)


def test_evaluate_metric_forms(as_csv):
    model = Model(seed=1, num_fits=1)
    model.fit(data_path=str(as_csv))
    rmse, auc, accuracy = model.evaluate(data_path=str(as_csv), metric=["rmse", "auc", "accuracy"])
    assert 0 < rmse < 0.5 and 0.5 < auc < 1 and 0.5 < accuracy < 1
    assert model.evaluate(data_path=str(as_csv), metric=metrics.auc) == auc
    mae = model.evaluate(data_path=str(as_csv),
                         metric=lambda y, p: float(np.mean(np.abs(np.asarray(y) - p))))
    assert 0 < mae < rmse
    with pytest.raises(ValueError, match="metric must be one of"):
        model.evaluate(data_path=str(as_csv), metric="no_such_metric")


def test_predict_adds_columns_and_keeps_rows(as_csv, as_frame):
    model = Model(seed=5, num_fits=1)
    model.fit(data=as_frame, skills=BOX)
    predicted = model.predict(data=as_frame)
    assert list(predicted.columns[-2:]) == ["correct_predictions", "state_predictions"]
    assert len(predicted) == len(as_frame)  # every row of as.csv is original == 1
    assert sorted(predicted.index) == sorted(as_frame.index)  # the caller's row labels
    assert predicted["order_id"].is_monotonic_increasing or predicted["user_id"].is_monotonic_increasing
    box = predicted[predicted["skill_name"] == BOX]
    table = predicted[predicted["skill_name"] == "Table"]
    assert ((box["correct_predictions"] > 0) & (box["correct_predictions"] < 1)).all()
    assert (box["correct_predictions"] != 0.5).all()
    assert (table["correct_predictions"] == 0.5).all()  # not fitted: pyBKT's "best effort" 0.5
    # The first row of each learner is predicted from the prior.
    prior = model.coef_[BOX]["prior"]
    first = box.groupby("user_id").head(1)
    np.testing.assert_allclose(first["state_predictions"], prior, rtol=1e-12)
    # as.csv has an `original` column: as in pyBKT, predict returns a filtered copy.
    assert "correct_predictions" not in as_frame.columns


def test_data_path_and_dataframe_agree(as_csv, as_frame):
    a, b = Model(seed=8, num_fits=1), Model(seed=8, num_fits=1)
    a.fit(data_path=str(as_csv))
    b.fit(data=as_frame)
    assert a.to_pathwise() == b.to_pathwise()


def test_seed_reproducibility(as_csv):
    runs = []
    for _ in range(2):
        model = Model(seed=99, num_fits=3)
        model.fit(data_path=str(as_csv))
        runs.append(model.to_pathwise())
    assert runs[0] == runs[1]


def test_crossvalidate_returns_dataframe_per_skill(as_csv):
    model = Model(seed=2, num_fits=1)
    result = model.crossvalidate(data_path=str(as_csv), folds=3, metric=["rmse", "auc"])
    assert result.index.name == "skill"
    assert list(result.columns) == ["rmse", "auc"]
    assert sorted(result.index) == ["Box and Whisker", "Table"]
    assert result.notna().all().all()
    assert ((result["auc"] > 0.5) & (result["auc"] < 1)).all()
    # As in pyBKT, the model is not left fitted.
    with pytest.raises(ValueError, match="not been fitted"):
        model.evaluate(data_path=str(as_csv))
    default_metric = Model(seed=2, num_fits=1).crossvalidate(data_path=str(as_csv), skills=BOX)
    assert list(default_metric.columns) == ["rmse"]


def test_crossvalidate_with_fold_column(as_frame):
    frame = as_frame.copy()
    frame["fold"] = frame["user_id"] % 3
    result = Model(seed=4, num_fits=1).crossvalidate(data=frame, folds="fold", metric="auc")
    assert list(result.columns) == ["auc"] and len(result) == 2


def test_variants_on_assistments(as_csv):
    model = Model(seed=3, num_fits=1)
    model.fit(data_path=str(as_csv), multigs=True, skills=BOX)
    params = model.params().sort_index()
    guess_classes = params.xs((BOX, "guesses")).index
    assert len(guess_classes) > 1 and "30799" in guess_classes  # template ids, as pyBKT names them
    assert len(model.coef_[BOX]["guesses"]) == len(model.coef_[BOX]["slips"]) > 1

    model.fit(data_path=str(as_csv), multilearn=True, forgets=True, skills=BOX)
    coef = model.coef_[BOX]
    assert len(coef["learns"]) == len(coef["forgets"]) > 1

    model.fit(data_path=str(as_csv), multiprior=True, skills=BOX)
    priors = model.params().sort_index().xs((BOX, "prior"))
    assert {"first_correct", "first_incorrect"} <= set(priors.index)
    predicted = model.predict(data_path=str(as_csv))
    assert predicted["correct_predictions"].between(0, 1).all()


def test_cognitive_tutor_defaults_and_multigs(ct_tsv, ct_frame):
    model = Model(seed=6, num_fits=1)
    model.fit(data_path=str(ct_tsv), multigs=True)
    skills = ct_frame["KC(Default)"].dropna().unique()
    assert sorted(model.skills) == sorted(skills)  # CT columns found without `defaults`
    problems = model.params().xs("guesses", level="param").index.get_level_values("class")
    assert set(problems) <= set(ct_frame["Problem Name"].astype(str))
    assert model.params().index.is_unique
    predicted = model.predict(data_path=str(ct_tsv))
    assert len(predicted) == len(ct_frame)
    missing_kc = predicted["KC(Default)"].isna()
    assert missing_kc.any() and (predicted.loc[missing_kc, "correct_predictions"] == 0.5).all()
    assert 0.5 < model.evaluate(data_path=str(ct_tsv), metric="auc") < 1


def test_skill_list_matches_names_literally(ct_tsv, ct_frame):
    names = [s for s in ct_frame["KC(Default)"].dropna().unique() if "(" in s][:2]
    assert names, "the CT file has KC names with regex metacharacters"
    model = Model(seed=6, num_fits=1)
    model.fit(data_path=str(ct_tsv), skills=names)
    assert sorted(model.skills) == sorted(names)


def test_custom_column_names(as_frame):
    renamed = as_frame.rename(columns={"user_id": "student", "skill_name": "kc", "correct": "right",
                                       "order_id": "t"})
    model = Model(seed=1, num_fits=1)
    model.fit(data=renamed, defaults={"user_id": "student", "skill_name": "kc", "correct": "right",
                                      "order_id": "t"})
    reference = Model(seed=1, num_fits=1)
    reference.fit(data=as_frame)
    assert model.to_pathwise() == reference.to_pathwise()


def test_coef_initialisation_and_fixed(as_csv):
    model = Model(seed=7, num_fits=1)
    model.coef_ = {BOX: {"prior": 0.5, "slips": np.array([0.1]), "guesses": np.array([0.2])}}
    model.fit(data_path=str(as_csv), skills=BOX, fixed={BOX: {"slips": True}})
    assert model.coef_[BOX]["slips"][0] == 0.1
    model.fit(data_path=str(as_csv), skills=BOX, fixed={BOX: {"guesses": np.array([0.35])}})
    assert model.coef_[BOX]["guesses"][0] == 0.35  # outside the default bound: widened, as pyBKT
    with pytest.raises(ValueError, match="error in length, type"):
        model.coef_ = {BOX: {"learns": 0.2}}  # arrays required, as pyBKT


def test_partial_fit_continues(as_csv):
    model = Model(seed=7, num_fits=1)
    model.partial_fit(data_path=str(as_csv), skills=BOX)
    first = copy.copy(model.to_pathwise())
    model.partial_fit(data_path=str(as_csv), skills=BOX, max_iterations=1)
    after = model.to_pathwise().competencies[BOX]
    # One more EM step from the converged point moves nothing noticeably.
    np.testing.assert_allclose(after.prior, first.competencies[BOX].prior, atol=1e-3)


def test_save_and_load_round_trip(tmp_path, as_csv):
    model = Model(seed=11, num_fits=1)
    model.fit(data_path=str(as_csv), multigs=True)
    path = tmp_path / "model.pkl"
    model.save(str(path))
    loaded = Model()
    loaded.load(str(path))
    assert loaded.to_pathwise() == model.to_pathwise()
    np.testing.assert_array_equal(loaded.predict(data_path=str(as_csv))["correct_predictions"],
                                  model.predict(data_path=str(as_csv))["correct_predictions"])


def test_ibkt_extension(as_csv):
    model = Model(seed=3, num_fits=1)
    model.fit(data_path=str(as_csv), ibkt=True)
    assert len(model.to_pathwise().learner_factors) > 100
    assert 0.5 < model.evaluate(data_path=str(as_csv), metric="auc") < 1
