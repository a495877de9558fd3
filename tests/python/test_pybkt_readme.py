"""Every example of pyBKT's README, run with only the import changed (and the downloaded files
replaced by the same local files), asserting what the example shows; plus the drop-in behaviours
scripts rely on: pyBKT's (absent) guess/slip bounds, in-place sorting, Roster on the core's tracker,
multipair."""

import numpy as np
import pandas as pd
import pytest

from pathwise.compat.pybkt import Model, Roster, StateType
from conftest import DATA, require

CT_SOURCE = DATA / "cognitive_tutor_pybkt" / "ct_channinghsu.csv"
RADICAL, PI, UNIT_RATE = "Plot imperfect radical", "Plot pi", "Calculate unit rate"


@pytest.fixture(scope="module")
def ct_csv(tmp_path_factory):
    """pyBKT's ct.csv: the shared copy names KCs with underscores, pyBKT's README with spaces."""
    df = pd.read_csv(require(CT_SOURCE), low_memory=False, encoding="latin")
    df["KC(Default)"] = df["KC(Default)"].str.replace("_", " ")
    path = tmp_path_factory.mktemp("pybkt") / "ct.csv"
    df.to_csv(path, index=False)
    return str(path)


def mae(true_vals, pred_vals):
    """Calculates the mean absolute error."""
    return np.mean(np.abs(true_vals - pred_vals))


def log_likelihood(model, data_path, skill):
    """A CT skill's training log-likelihood: the product of the one-step-ahead predictions is the
    sequence likelihood (chain rule)."""
    preds = model.predict(data_path=data_path)
    rows = preds[(preds["KC(Default)"] == skill) & (preds["Correct First Attempt"] >= 0)]
    y, p = rows["Correct First Attempt"].to_numpy(), rows["correct_predictions"].to_numpy()
    return float(np.sum(np.where(y == 1, np.log(p), np.log(1 - p))))


def test_readme_creating_and_training_models(ct_csv):
    model = Model(seed=42, num_fits=1)
    with pytest.raises(NotImplementedError, match="fetch_dataset"):
        model.fetch_dataset("https://raw.githubusercontent.com/CAHLR/pyBKT-examples/master/data/"
                            "as.csv", ".")
    model.fit(data_path=ct_csv)
    assert len(model.skills) == 12 and RADICAL in model.skills
    model.fit(data_path=ct_csv, skills=RADICAL)
    assert list(model.coef_) == [RADICAL]
    model.fit(data_path=ct_csv, skills=[RADICAL, PI])
    assert sorted(model.coef_) == sorted([RADICAL, PI])
    model.fit(data_path=ct_csv, skills=[RADICAL, PI], multigs=True)
    assert len(model.coef_[PI]["guesses"]) == 10  # Plot pi's ten problems
    model.fit(data_path=ct_csv, skills=[RADICAL, PI], multigs=True, forgets=True, multilearn=True)
    coef = model.coef_[PI]
    assert len(coef["learns"]) == len(coef["guesses"]) == 10 and (coef["forgets"] >= 0).all()
    # multilearn on another column than multigs: learns per student, guesses per problem.
    model.fit(data_path=ct_csv, skills=[RADICAL, PI], multigs=True, forgets=True,
              multilearn="Anon Student Id")
    learners = pd.read_csv(ct_csv, encoding="latin")
    pi_rows = learners[learners["KC(Default)"] == PI]
    pi_students = set(pi_rows["Anon Student Id"])
    params = model.params()
    assert params.index.names == ["skill", "param", "class"]
    assert params["value"].between(0, 1).all()
    assert set(params.sort_index().xs((PI, "learns")).index) == pi_students
    assert set(params.sort_index().xs((PI, "guesses")).index) == set(pi_rows["Problem Name"])
    coef = model.coef_[PI]
    assert len(coef["learns"]) == len(pi_students) and len(coef["guesses"]) == 10
    model.fit(data_path=ct_csv, skills=[RADICAL, PI], forgets=True, multilearn="Anon Student Id")
    params = model.params()
    assert set(params.sort_index().xs((PI, "learns")).index) == pi_students


def test_readme_unfamiliar_columns(as_csv):
    df = pd.read_csv(as_csv, encoding="latin").rename(
        columns={"order_id": "row", "skill_name": "skill_t", "correct": "answer",
                 "template_id": "gs_classes"})
    model = Model(seed=42, num_fits=1)
    defaults = {"order_id": "row", "skill_name": "skill_t", "correct": "answer"}
    defaults["multigs"] = "gs_classes"
    model.fit(data=df, defaults=defaults)
    training_acc = model.evaluate(data=df, metric="accuracy")
    assert 0.6 < training_acc < 1
    assert df["row"].is_monotonic_increasing or df["user_id"].is_monotonic_increasing


def test_readme_prediction_and_evaluation(ct_csv):
    model = Model(seed=42, num_fits=1)
    ct_df = pd.read_csv(ct_csv, encoding="latin")
    model.fit(data_path=ct_csv)
    preds_df = model.predict(data_path=ct_csv)
    assert len(preds_df) == len(ct_df)
    assert preds_df["correct_predictions"].between(0, 1).all()
    assert preds_df["state_predictions"].between(0, 1).all()
    training_rmse = model.evaluate(data=ct_df)
    training_auc = model.evaluate(data_path=ct_csv, metric="auc")
    training_mae = model.evaluate(data_path=ct_csv, metric=mae)
    assert 0.3 < training_rmse < 0.5 and 0.65 < training_auc < 1 and 0 < training_mae < 0.5
    answered = preds_df[preds_df["Correct First Attempt"] >= 0]
    assert training_mae == pytest.approx(mae(answered["Correct First Attempt"],
                                             answered["correct_predictions"]))


def test_readme_crossvalidation(ct_csv):
    model = Model(seed=42, num_fits=1)
    crossvalidated_errors = model.crossvalidate(data_path=ct_csv, folds=5)
    assert len(crossvalidated_errors) == 12 and list(crossvalidated_errors.columns) == ["rmse"]
    assert crossvalidated_errors["rmse"].between(0.2, 0.6).all()
    crossvalidated_mae_errs = model.crossvalidate(data_path=ct_csv, skills=".*fraction.*",
                                                  folds=10, metric=mae)
    assert len(crossvalidated_mae_errs) == 4 and list(crossvalidated_mae_errs.columns) == ["mae"]
    assert all("fraction" in skill for skill in crossvalidated_mae_errs.index)
    crossvalidated_multigsf = model.crossvalidate(data_path=ct_csv, multigs=True, forgets=True)
    assert crossvalidated_multigsf["rmse"].between(0.2, 0.6).all()


def test_readme_roster(ct_csv):
    model = Model()
    model.fit(data_path=ct_csv)
    roster = Roster(students=["Jeff", "Bob"], skills=UNIT_RATE, model=model)
    prior = model.coef_[UNIT_RATE]["prior"]
    assert roster.get_state_type(UNIT_RATE, "Jeff") == StateType.UNMASTERED
    assert roster.get_mastery_prob(UNIT_RATE, "Jeff") == pytest.approx(prior, abs=1e-12)
    jeff_new_state = roster.update_state(UNIT_RATE, "Jeff", 1)
    after_one = roster.get_mastery_prob(UNIT_RATE, "Jeff")
    assert jeff_new_state.get_mastery_prob() == after_one > prior
    roster.update_state(UNIT_RATE, "Jeff", np.ones(10))
    assert roster.get_state_type(UNIT_RATE, "Jeff") == StateType.MASTERED
    assert roster.get_mastery_prob(UNIT_RATE, "Jeff") >= 0.95
    roster.update_state(UNIT_RATE, "Bob", np.ones(2))
    bob = roster.get_mastery_prob(UNIT_RATE, "Bob")
    assert prior < bob < roster.get_mastery_prob(UNIT_RATE, "Jeff")
    correct, mastery = roster.get_correct_probs(UNIT_RATE), roster.get_mastery_probs(UNIT_RATE)
    assert list(correct) == list(mastery) == ["Jeff", "Bob"]
    assert correct["Jeff"] > correct["Bob"]
    roster.add_student(UNIT_RATE, "Sarah")
    sarah_new_state = roster.update_state(UNIT_RATE, "Sarah", np.array([1, 0, 1, 0, 1, 1, 1]))
    assert 0 < sarah_new_state.get_correct_prob() < 1
    assert 0 < sarah_new_state.get_mastery_prob() < 1
    roster.remove_student(UNIT_RATE, "Bob")
    with pytest.raises(ValueError, match="student name not found"):
        roster.get_mastery_prob(UNIT_RATE, "Bob")
    roster.reset_state(UNIT_RATE, "Jeff")
    assert roster.get_state_type(UNIT_RATE, "Jeff") == StateType.UNMASTERED
    assert roster.get_mastery_prob(UNIT_RATE, "Jeff") == pytest.approx(prior, abs=1e-12)


def test_readme_parameter_fixing(ct_csv):
    model = Model()
    model.coef_ = {RADICAL: {"prior": 0.1, "learns": np.array([0.1])}}
    model.fit(data_path=ct_csv, skills=RADICAL, fixed=True)
    params = model.params()
    assert params.loc[(RADICAL, "prior", "default"), "value"] == 0.1
    assert params.loc[(RADICAL, "learns", "default"), "value"] == 0.1
    assert params.loc[(RADICAL, "guesses", "default"), "value"] != 0.1
    # The Plot pi skill's ten guess/slip classes fixed to slips 0, 0.1, ..., 0.9: they come back
    # exactly, in pyBKT's class order, and the guesses are fitted around them.
    slips = np.array([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
    model.coef_ = {PI: {"slips": slips}}
    model.fit(data_path=ct_csv, skills=PI, multigs=True, fixed=True)
    params = model.params()
    coef = model.coef_[PI]
    assert np.array_equal(coef["slips"], slips)
    assert len(coef["guesses"]) == 10 and (coef["guesses"] + slips < 1).all()
    assert len(set(np.round(coef["guesses"], 6))) > 1  # fitted per class
    assert sorted(params.sort_index().xs((PI, "slips"))["value"]) == sorted(slips)
    # A table that does not match the classes names the count.
    model.coef_ = {PI: {"slips": slips[:3]}}
    with pytest.raises(ValueError, match="3 values for 10 classes"):
        model.fit(data_path=ct_csv, skills=PI, multigs=True, fixed=True)
    model.coef_ = {PI: {"slips": np.full(10, 0.05)}}
    model.fit(data_path=ct_csv, skills=PI, multigs=True, fixed=True)
    assert (model.coef_[PI]["slips"] == 0.05).all() and len(model.coef_[PI]["guesses"]) == 10


# --- Drop-in behaviours beyond the README -----------------------------------------------------------


def test_multilearn_by_learner_and_multigs_by_problem_fit_better_than_plain(ct_csv):
    """Learn per student and guess/slip per problem (two class columns in the core): each student
    gets a learn of their own, each problem its guess, and the training likelihood beats plain
    BKT's; predictions use the student's learn."""
    plain = Model(seed=5, num_fits=2)
    plain.fit(data_path=ct_csv, skills=PI)
    both = Model(seed=5, num_fits=2)
    both.fit(data_path=ct_csv, skills=PI, multigs=True, multilearn="Anon Student Id")
    coef = both.coef_[PI]
    assert len(coef["guesses"]) == 10 and len(set(np.round(coef["guesses"], 6))) > 1
    assert len(coef["learns"]) > 10 and coef["learns"].std() > 0.01
    assert log_likelihood(both, ct_csv, PI) > log_likelihood(plain, ct_csv, PI) + 10
    assert both.to_pathwise().competency_learn_classes[PI]
    # The per-class learns can be fixed too, one per student in pyBKT's (sorted) order.
    students = sorted(pd.read_csv(ct_csv, encoding="latin").query("`KC(Default)` == @PI")
                      ["Anon Student Id"].unique())
    learns = np.linspace(0.01, 0.5, len(students))
    fixed = Model(seed=5, num_fits=1)
    fixed.coef_ = {PI: {"learns": learns}}
    fixed.fit(data_path=ct_csv, skills=PI, multigs=True, multilearn="Anon Student Id", fixed=True)
    assert np.array_equal(fixed.coef_[PI]["learns"], learns)
    learned = fixed.params().sort_index().xs((PI, "learns"))["value"]
    assert learned[students[-1]] == 0.5 and learned[students[0]] == 0.01
    with pytest.raises(NotImplementedError, match="different columns"):
        Roster(students=["a"], skills=PI, model=both)


def test_default_bounds_are_pybkts_and_fit_better_than_the_native_cap(ct_csv):
    """pyBKT bounds nothing: where the data put guess above the native 0.3 cap, the compat default
    goes there and the training likelihood is higher; bounds= restores the cap."""
    capped = Model(seed=3, num_fits=2)
    capped.fit(data_path=ct_csv, bounds={"guess": (0, 0.3), "slip": (0, 0.3)})
    free = Model(seed=3, num_fits=2)
    free.fit(data_path=ct_csv)
    coef, capped_coef = free.coef_, capped.coef_
    at_cap = [s for s in capped.skills
              if max(capped_coef[s]["guesses"][0], capped_coef[s]["slips"][0]) >= 0.3 - 1e-9]
    assert len(at_cap) >= 3, "CT skills reach the 0.3 cap"
    for skill in at_cap:  # where the cap binds, the uncapped fit explains the data better
        assert coef[skill]["guesses"][0] + coef[skill]["slips"][0] < 1
        assert log_likelihood(free, ct_csv, skill) > log_likelihood(capped, ct_csv, skill) + 1e-3
        if capped_coef[skill]["slips"][0] < 0.3 - 1e-9:
            assert coef[skill]["guesses"][0] > 0.3
    assert free.evaluate(data_path=ct_csv) < capped.evaluate(data_path=ct_csv)
    assert free.evaluate(data_path=ct_csv, metric="auc") > capped.evaluate(data_path=ct_csv,
                                                                           metric="auc")


def test_predict_sorts_the_callers_frame_in_place(as_csv):
    """pyBKT sorts the caller's DataFrame in place (and, without an `original` column to filter
    on, returns that very frame with the prediction columns): scripts that align the caller's frame
    with the predictions by position depend on it."""
    shuffled = pd.read_csv(as_csv, encoding="latin").sample(frac=1, random_state=0)
    assert "original" in shuffled.columns and not shuffled["user_id"].is_monotonic_increasing
    for df in (shuffled, shuffled.drop(columns=["original"])):
        model = Model(seed=1, num_fits=1)
        model.fit(data=df, skills="Box and Whisker")
        assert df["user_id"].is_monotonic_increasing
        preds = model.predict(data=df)
        assert (preds is df) == ("original" not in df.columns)
        assert ("correct_predictions" in df.columns) == ("original" not in df.columns)
        for _, rows in df.groupby("user_id"):  # within a learner, in answer order
            assert rows["order_id"].is_monotonic_increasing
        np.testing.assert_array_equal(df.index, preds.index)  # position == label alignment
        by_position = df["correct"].to_numpy() - preds["correct_predictions"].to_numpy()
        by_label = (df["correct"] - preds["correct_predictions"]).to_numpy()
        np.testing.assert_array_equal(by_position, by_label)


def test_roster_follows_the_models_predictions(as_csv):
    """The roster's state after each response equals predict()'s state for the next row of the
    same learner: the tracker and the fitted model agree."""
    skill = "Box and Whisker"
    model = Model(seed=2, num_fits=1)
    model.fit(data_path=str(as_csv), skills=skill, forgets=True)
    preds = model.predict(data_path=str(as_csv))
    rows = preds[preds["skill_name"] == skill]
    learner = rows["user_id"].value_counts().index[0]
    history = rows[rows["user_id"] == learner]
    roster = Roster(students=1, skills=skill, model=model, track_progress=True)
    assert roster.get_mastery_prob(skill, 1) == pytest.approx(history["state_predictions"].iloc[0])
    for i, answer in enumerate(history["correct"].iloc[:-1]):
        state = roster.update_state(skill, 1, int(answer))
        assert state.get_mastery_prob() == pytest.approx(history["state_predictions"].iloc[i + 1],
                                                         rel=1e-9)
        assert state.get_correct_prob() == pytest.approx(
            history["correct_predictions"].iloc[i + 1], rel=1e-9)
    assert len(roster.get_state(skill, 1).tracked_states) == len(history) - 1
    with pytest.raises(ValueError, match="-1"):
        roster.update_state(skill, 1, np.array([1, -1]))
    with pytest.raises(ValueError, match="skill not found"):
        roster.get_state(skill + "x", 1)
    with pytest.raises(ValueError, match="mastery state"):
        Roster(students=1, skills=skill, mastery_state=1)
    unfitted = Roster(["a"], skill)
    assert unfitted.get_state_type(skill, "a") == StateType.DEFAULT_STATE
    assert unfitted.get_mastery_prob(skill, "a") == -1
    unfitted.set_model(model)
    assert unfitted.get_state_type(skill, "a") == StateType.UNMASTERED


def test_roster_multigs_classes(as_csv):
    skill = "Box and Whisker"
    model = Model(seed=2, num_fits=1)
    model.fit(data_path=str(as_csv), skills=skill, multigs=True)
    classes = model.params().sort_index().xs((skill, "guesses")).index
    roster = Roster(["a", "b"], skill, model=model)
    roster.update_state(skill, "a", 1, multigs=int(classes[0]))
    roster.update_state(skill, "b", 1, multigs=int(classes[1]))
    guesses = model.params()["value"]
    if guesses[(skill, "guesses", classes[0])] != guesses[(skill, "guesses", classes[1])]:
        assert roster.get_mastery_prob(skill, "a") != roster.get_mastery_prob(skill, "b")
    with pytest.raises(ValueError, match="guess/slip class must be one of"):
        roster.update_state(skill, "a", 1, multigs="no such problem")


def test_multipair_is_multilearn_on_item_pairs(as_csv):
    model = Model(seed=4, num_fits=1)
    model.fit(data_path=str(as_csv), skills="Box and Whisker", multipair=True)
    learns = model.params().sort_index().xs(("Box and Whisker", "learns"))
    assert "Default" in learns.index and len(learns) > 2
    assert all(name == "Default" or name.count("[") == 2 for name in learns.index)
    assert 0.5 < model.evaluate(data_path=str(as_csv), metric="auc") < 1
    with pytest.raises(ValueError, match="more than 1 resource"):
        model.fit(data_path=str(as_csv), multipair=True, multilearn=True)
    # With multigs on its own column (template_id): learns per item pair, guesses per template.
    model.fit(data_path=str(as_csv), skills="Box and Whisker", multipair=True, multigs=True)
    params = model.params().sort_index()
    assert set(params.xs(("Box and Whisker", "learns")).index) == set(learns.index)
    templates = pd.read_csv(as_csv, low_memory=False)
    templates = templates[(templates["skill_name"] == "Box and Whisker") & (templates["correct"] >= 0)]
    assert len(params.xs(("Box and Whisker", "guesses"))) == templates["template_id"].nunique()
