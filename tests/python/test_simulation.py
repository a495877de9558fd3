"""Simulation from Python: cohorts and policies in, arrays / DataFrames / a plot out."""

import matplotlib
import numpy as np
import pytest

import pathwise as pw

from conftest import FRACTIONS

matplotlib.use("Agg")

GROUPS = [{"name": "typical"}, {"name": "slower", "learn_offset": -1.0, "weight": 0.5}]


@pytest.fixture(scope="module")
def graph():
    return pw.CompetencyGraph.read(str(FRACTIONS))


def run(graph, **overrides):
    options = dict(policies=["mastery", "random", "curriculum"], learners=40, steps=80, seed=7,
                   groups=GROUPS, threads=2)
    options.update(overrides)
    try:
        return pw.simulate(graph, **options)
    except pw.UnimplementedError:
        pytest.skip("the recommender is not implemented in this build")


def test_report_views(graph):
    report = run(graph)
    assert report.policies == ["mastery", "random", "curriculum"]
    summary = report.summary()
    assert summary.index.names == ["policy", "group"]
    assert set(summary.index.get_level_values("group")) == {"all", "typical", "slower"}
    for policy in report.policies:
        assert summary.loc[(policy, "all"), "learners"] == 40
        assert summary.loc[(policy, "typical"), "learners"] + \
            summary.loc[(policy, "slower"), "learners"] == 40
    curves = report.curves()
    assert list(curves.columns) == ["policy", "group", "step", "learned", "scope_learned",
                                    "reached_share"]
    steps = report.curve_steps
    assert steps[0] == 0 and steps[-1] == 80
    curve = report.curve("mastery", "learned")
    assert curve.shape == steps.shape and np.all((curve >= 0) & (curve <= graph.num_competencies))
    learners = report.learners()
    assert len(learners) == 3 * 40
    assert set(learners["policy_name"]) == set(report.policies)
    assert (learners["steps_to_goal"] <= 80).all()
    arrays = report.learner_arrays()
    assert arrays["reached_goal"].dtype == bool


def test_paired_learners_and_determinism(graph):
    a, b = run(graph), run(graph, threads=1)
    np.testing.assert_array_equal(a.learner_arrays()["steps_to_goal"],
                                  b.learner_arrays()["steps_to_goal"])
    columns = a.learner_arrays()
    # Learner i is the same person under every policy (same group, same offsets).
    for field in ("group", "learn_offset", "prior_offset", "start_learned"):
        by_policy = columns[field].reshape(3, 40)
        np.testing.assert_array_equal(by_policy[0], by_policy[1])
        np.testing.assert_array_equal(by_policy[0], by_policy[2])
    slower = columns["group_name"] == "slower"
    assert columns["learn_offset"][slower].mean() < columns["learn_offset"][~slower].mean()


def test_plot(graph):
    report = run(graph, learners=10, steps=30)
    ax = report.plot("reached_share")
    assert len(ax.get_lines()) == 3
    ax = report.plot(by_group=True)
    assert len(ax.get_lines()) == 3 * 2  # a new figure: policies x groups


def test_custom_policy_objects(graph):
    options = pw.simulation_options(learners=10, steps=20, seed=3)
    simulation = pw.Simulation.create(graph, options)
    try:
        settings = pw.RecommenderOptions()
        settings.mastery.goal_weight = 0.0
        policy = pw.make_policy("mastery", graph, simulation.online_model, settings)
    except pw.UnimplementedError:
        pytest.skip("the recommender is not implemented in this build")
    report = pw.simulate(graph, policies=[("no-goal-mastery", policy)], learners=10, steps=20, seed=3)
    assert report.policies == ["no-goal-mastery"]


def test_recommender_options_from_nested_dicts(graph):
    options = pw.simulation_options(
        recommender={"mastery": {"goal_weight": 0.0, "advance_threshold": 0.9},
                     "zpdes": {"window": 8}, "seed": 9})
    assert options.recommender.mastery.goal_weight == 0.0
    assert options.recommender.mastery.advance_threshold == 0.9
    assert pw.MasteryPolicyOptions().advance_threshold == 0.85
    assert options.recommender.mastery.review_weight == pw.MasteryPolicyOptions().review_weight
    assert options.recommender.zpdes.window == 8 and options.recommender.seed == 9
    with pytest.raises(pw.InvalidArgumentError, match="unknown recommender option 'goal_weight'"):
        pw.simulation_options(recommender={"goal_weight": 0.0})
    with pytest.raises(pw.InvalidArgumentError,
                       match="unknown recommender.zpdes option 'zpdes_window'"):
        pw.simulation_options(recommender={"zpdes": {"zpdes_window": 8}})


def test_bad_simulation_options(graph):
    with pytest.raises(pw.InvalidArgumentError, match="greedy"):
        pw.simulate(graph, policies=["greedy"])
    with pytest.raises(pw.InvalidArgumentError, match="unknown truth option"):
        pw.simulate(graph, truth={"prerequisite_penalties": 0.5})
    with pytest.raises(pw.InvalidArgumentError, match="unknown cohort group field 'learn'"):
        pw.simulate(graph, groups=[{"name": "x", "learn": 1.0}])
    with pytest.raises(pw.InvalidArgumentError):
        pw.simulate(graph, learners=0)
    with pytest.raises(pw.NotFoundError):
        pw.simulate(graph, goals=["no.such.competency"], learners=2, steps=2)


def test_synthetic_cohort_learners(graph):
    cohort = pw.SyntheticCohort.create(graph, pw.LearnerModelOptions(), seed=5)
    learner = cohort.make_learner(0)
    activity = cohort.activity_index(graph.activities[0].id)
    assert 0.0 <= learner.correct_probability(activity) <= 1.0
    outcomes = [learner.attempt(activity, minutes=float(t)) for t in range(20)]
    assert all(isinstance(o, bool) for o in outcomes)
    again = cohort.make_learner(0)
    assert [again.attempt(activity, minutes=float(t)) for t in range(20)] == outcomes
