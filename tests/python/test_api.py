"""The Pythonic API over the core: graphs, models, logs from NumPy/pandas, fitting, the tracker and
engine, recommender and planner, GIL release."""

import copy
import pickle
import threading

import numpy as np
import pandas as pd
import pytest

import pathwise as pw

from conftest import FRACTIONS, FRACTIONS_EVENTS


def small_graph():
    definition = pw.GraphDefinition(
        groups=[pw.Group("g", "Topic")],
        competencies=[pw.Competency("add", "Addition", group="g"),
                      pw.Competency("mul", "Multiplication", group="g",
                                    params=pw.BktParams(prior=0.2, learn=0.3)),
                      pw.Competency("div", mastery_threshold=0.9)],
        prerequisites=[pw.Prerequisite("add", "mul"), pw.Prerequisite("mul", "div", strength=0.5)],
        activities=[pw.Activity("q1", competencies=["add"]),
                    pw.Activity("q2", competencies=[pw.PracticedCompetency("mul", 0.5), "add"])])
    return pw.CompetencyGraph.from_definition(definition)


def test_graph_queries_and_round_trips(tmp_path):
    graph = small_graph()
    assert graph.num_competencies == 3 and graph.num_prerequisites == 2
    assert graph.topological_order() == ["add", "mul", "div"]
    assert graph.ancestors(["div"]) == ["add", "mul"]
    assert graph.descendants(["add"]) == ["mul", "div"]
    assert graph.frontier({"add"}) == ["mul"]
    assert graph.frontier(lambda c: c in ("add", "mul")) == ["div"]
    assert graph.expand_goals(["g"]) == ["add", "mul"]
    assert graph.group_members("g") == ["add", "mul"]
    assert graph.find_competency("mul").params.learn == 0.3
    assert graph.find_competency("nope") is None
    assert [a.id for a in graph.activities_for("add")] == ["q1", "q2"]
    assert graph.prerequisites_of("div")[0].from_ == "mul"
    assert graph.subgraph_for_goals(["mul"]).num_competencies == 2
    assert 'digraph' in graph.to_dot(mastery={"add": 0.97})

    again = pw.CompetencyGraph.from_json(graph.to_json())
    assert again.to_json() == graph.to_json()
    assert pickle.loads(pickle.dumps(graph)).to_json() == graph.to_json()
    path = tmp_path / "g.json"
    graph.save(str(path))
    assert pw.CompetencyGraph.read(str(path)).to_json() == graph.to_json()
    copied = copy.deepcopy(graph)
    copied.remove_prerequisite("mul", "div")
    assert graph.num_prerequisites == 2 and copied.num_prerequisites == 1


def test_validate_graph_definition_lists_every_problem():
    definition = pw.GraphDefinition(
        competencies=[pw.Competency("a"), pw.Competency("a"), pw.Competency("b")],
        prerequisites=[pw.Prerequisite("b", "b"), pw.Prerequisite("a", "zz")])
    kinds = [p.kind for p in pw.validate_graph_definition(definition)]
    assert kinds == ["duplicate-id", "self-loop", "dangling-reference"]
    with pytest.raises(pw.InvalidArgumentError, match="prerequisites"):
        pw.CompetencyGraph.from_definition(definition)


def test_model_maps_have_reference_semantics_and_pickle():
    model = pw.BktModel()
    model.competencies["a"] = pw.BktParams(prior=0.3)
    model.competencies["a"].learn = 0.25  # changes the model, not a copy
    assert model.competencies["a"].learn == 0.25
    model.activities = {"q": pw.ActivityParams(guess=0.1)}
    model.group_priors = {"a": {"first_correct": 0.8}}
    model.prior_groups = pw.PriorGroupSource.FIRST_RESPONSE
    model.validate()
    assert model.params_for("a", "q").guess == 0.1
    assert pickle.loads(pickle.dumps(model)) == model
    assert pw.BktModel.from_json(model.to_json()) == model
    assert dict(model.group_priors["a"].items()) == {"first_correct": 0.8}


def test_logs_from_numpy_pandas_and_files_agree(as_csv):
    frame = pd.read_csv(as_csv, low_memory=False).sort_values("order_id", kind="stable")
    from_frame = pw.log_from_dataframe(frame, activity="template_id")
    from_arrays = pw.log_from_arrays(frame["user_id"].to_numpy(), frame["skill_name"].to_numpy(),
                                     frame["correct"].to_numpy(), frame["template_id"].to_numpy())
    from_file = pw.read_log(as_csv)
    assert len(from_frame) == len(from_arrays) == len(from_file) == len(frame)
    np.testing.assert_array_equal(from_frame.correct, from_arrays.correct)
    # Same sequences, so the same fit (learners may be numbered differently: allow rounding).
    a = pw.fit(from_frame, seed=3).model
    b = pw.fit(from_file, seed=3).model
    for skill in b.competencies.keys():
        np.testing.assert_allclose(a.competencies[skill].learn, b.competencies[skill].learn,
                                   rtol=1e-9)
    back = pw.log_to_dataframe(from_file)
    assert list(back.columns) == ["learner", "competency", "activity", "correct"]
    assert len(back) == len(from_file)


def test_fit_result_predict_states_and_trace(as_csv):
    log = pw.read_log(as_csv)
    fractions = []
    result = pw.fit(log, restarts=2, forgets=True, record_trace=True, progress=fractions.append)
    assert fractions and fractions[-1] == pytest.approx(1.0)
    assert all(b >= a for a, b in zip(fractions, fractions[1:]))
    for competency in result.competencies:
        assert all(b >= a - 1e-9 for a, b in zip(competency.trace, competency.trace[1:]))
    p_correct, p_learned = pw.predict(result.model, log, states=True)
    assert p_correct.dtype == np.float64 and p_correct.shape == (len(log),)
    assert ((p_learned >= 0) & (p_learned <= 1)).all()
    # P(correct) recomputed from the states matches the core's.
    names = np.asarray(log.competency_names)[log.competency]
    guess = np.array([result.model.competencies[n].guess for n in names])
    slip = np.array([result.model.competencies[n].slip for n in names])
    np.testing.assert_allclose(p_learned * (1 - slip) + (1 - p_learned) * guess, p_correct, rtol=1e-12)
    metrics = pw.evaluate(result.model, log)
    assert metrics.count == len(log)
    assert pw.compute_metrics(log.correct, p_correct).auc == metrics.auc


def test_progress_callback_errors_propagate(as_csv):
    def boom(fraction):
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        pw.fit(pw.read_log(as_csv), progress=boom)


def test_fit_releases_the_gil(as_csv):
    log = pw.read_log(as_csv)
    counter = [0]
    stop = threading.Event()

    def count():
        while not stop.is_set():
            counter[0] += 1

    worker = threading.Thread(target=count)
    worker.start()
    try:
        result = {}

        def long_fit():
            result["before"] = counter[0]
            pw.fit(log, restarts=20, max_iterations=400, tolerance=0.0)
            result["after"] = counter[0]

        long_fit()
    finally:
        stop.set()
        worker.join()
    # Holding the GIL through the fit would leave the counting thread frozen.
    assert result["after"] - result["before"] > 10000


def test_crossvalidate_folds_split_learners(as_csv):
    log = pw.read_log(as_csv)
    result = pw.crossvalidate(log, folds=4, seed=1)
    assert len(result.folds) == 4
    assert sum(f.count for f in result.folds) == result.pooled.count == len(log)
    np.testing.assert_array_equal(result.learner_fold, pw._core.assign_learner_folds(
        len(log.learner_names), 4, 1))


def test_tracker_bulk_paths_agree():
    graph = small_graph()
    model = pw.BktModel()
    learners = ["ann", "bob", "ann", "ann", "bob", "cy"]
    activities = ["q1", "q2", "q2", "mul", "q1", "div"]
    outcomes = np.array([1.0, 0.0, 1.0, 0.5, 1.0, 0.0])
    one_by_one = pw.MasteryTracker.create(graph, model)
    for l, a, o in zip(learners, activities, outcomes):
        one_by_one.record(pw.Observation("", l, a, o, 0))
    bulk = pw.MasteryTracker.create(graph, model)
    assert bulk.record_arrays(learners, activities, outcomes) == 6
    batch = pw.MasteryTracker.create(graph, model)
    batch.record_batch([pw.Observation("", l, a, o, 0) for l, a, o in zip(learners, activities, outcomes)])
    for learner in ("ann", "bob", "cy"):
        expected = one_by_one.mastery(learner).p_learned
        np.testing.assert_array_equal(bulk.mastery(learner).p_learned, expected)
        np.testing.assert_array_equal(batch.mastery(learner).p_learned, expected)
    matrix = bulk.mastery_matrix(["ann", "cy"])
    assert matrix.shape == (2, 3)
    assert bulk.learner_ids() == ["ann", "bob", "cy"]

    sequence = pw.MasteryTracker.create(graph, model)
    indices = np.array([sequence.activity_index(a) for a in ("q1", "q2", "mul")], dtype=np.uint32)
    sequence.record_sequence("ann", indices, np.array([1.0, 1.0, 0.5], dtype=np.float32))
    np.testing.assert_allclose(sequence.mastery("ann").p_learned, one_by_one.mastery("ann").p_learned,
                               rtol=1e-6)


def test_mastery_estimate_is_a_value_built_by_hand_or_by_the_tracker():
    tracker = pw.MasteryTracker.create(small_graph(), pw.BktModel())
    tracker.record(pw.Observation("e1", "ann", "q1", 1.0, 7))
    tracked = tracker.mastery("ann", "add")
    assert not np.isnan(tracked.log_odds)
    copy_of = pw.MasteryEstimate(tracked.competency_id, tracked.p_learned, tracked.mastered,
                                 tracked.opportunities, tracked.last_practiced_ms, tracked.log_odds)
    assert copy_of == tracked and hash(copy_of) == hash(tracked)
    assert pickle.loads(pickle.dumps(tracked)) == tracked
    # One answer, right: the last answers as bits (what stalls and evidence read), kept by pickle.
    assert tracked.recent_answers == 1 and copy_of.recent_answers == -1
    assert pickle.loads(pickle.dumps(tracked)).recent_answers == 1
    # Built without log-odds (as pathwise.Client does: the wire carries none): NaN, "not known".
    by_hand = pw.MasteryEstimate("add", 0.5, False, 2, 7)
    assert np.isnan(by_hand.log_odds) and by_hand.recent_answers == -1
    assert by_hand == pw.MasteryEstimate("add", 0.5, False, opportunities=2, last_practiced_ms=7)
    assert by_hand != pw.MasteryEstimate("add", 0.5, True, 2, 7)
    assert by_hand != tracked and by_hand != "add" and by_hand is not None
    assert np.isnan(pickle.loads(pickle.dumps(by_hand)).log_odds)


def test_is_stalled_is_the_policys_rule_on_the_last_answers():
    options = pw.MasteryPolicyOptions()
    options.stall_min_attempts, options.stall_max_recent_correct = 4, 1
    # Newest answer in bit 0: wrong, wrong, right, wrong (0b0100): one right of the last four.
    assert pw.is_stalled(pw.MasteryEstimate("add", 0.2, False, 4, 7, recent_answers=0b0100), options)
    assert not pw.is_stalled(pw.MasteryEstimate("add", 0.2, False, 3, 7, recent_answers=0b100),
                             options)  # three answers: too few to tell
    assert not pw.is_stalled(pw.MasteryEstimate("add", 0.2, False, 4, 7, recent_answers=0b0101),
                             options)  # two right
    assert not pw.is_stalled(pw.MasteryEstimate("add", 0.97, True, 4, 7, recent_answers=0),
                             options)  # mastered
    assert not pw.is_stalled(pw.MasteryEstimate("add", 0.2, False, 4, 7), options)  # not known
    tracker = pw.MasteryTracker.create(small_graph(), pw.BktModel())
    for i in range(6):
        tracker.record(pw.Observation("e%d" % i, "ann", "q1", 0.0, i))
    assert pw.is_stalled(tracker.mastery("ann", "add"))  # the default rule: 0 of the last 6
    # How long the policy moves a learner off a stall (the report's rule does not read it).
    assert pw.MasteryPolicyOptions().stall_pause_hours == 168.0
    options.stall_pause_hours = 0.0
    with pytest.raises(ValueError, match="stall_pause_hours must be a number > 0"):
        options.validate()


def test_individual_pace_is_estimated_and_can_be_fixed():
    graph = small_graph()
    options = pw.TrackerOptions(individual_pace=True)
    assert options.individual_pace and options.pace_prior_sd == 1.0
    tracker = pw.MasteryTracker.create(graph, pw.BktModel(), options)
    for i in range(8):
        for activity in ("q1", "q2", "mul"):
            tracker.record(pw.Observation("", "slow", activity, 0.0, 1000 + i))
            tracker.record(pw.Observation("", "fast", activity, 1.0, 1000 + i))
    assert tracker.pace("slow").learn_offset < 0 < tracker.pace("fast").learn_offset
    assert tracker.pace("slow").prior_offset < 0 < tracker.pace("fast").prior_offset

    standard = pw.MasteryTracker.create(graph)
    standard.record(pw.Observation("", "ann", "q1", 0.0, 0))
    assert standard.pace("ann").learn_offset == 0.0
    standard.set_pace("bob", pw.LearnerFactors(-1.0, -1.0))
    standard.record(pw.Observation("", "bob", "q1", 0.0, 0))
    assert standard.mastery("bob", "add").p_learned < standard.mastery("ann", "add").p_learned
    with pytest.raises(ValueError, match="learn_offset"):
        standard.set_pace("cy", pw.LearnerFactors(0.0, float("nan")))
    with pytest.raises(ValueError, match="pace_prior_sd"):
        pw.MasteryTracker.create(graph, pw.BktModel(), pw.TrackerOptions(pace_prior_sd=0.0))


def test_pace_round_trips_through_bytes_and_keeps_being_estimated():
    graph = small_graph()
    options = pw.TrackerOptions(individual_pace=True)
    original = pw.MasteryTracker.create(graph, pw.BktModel(), options)
    restored = pw.MasteryTracker.create(graph, pw.BktModel(), options)
    for i in range(4):
        original.record(pw.Observation("", "slow", "q1", 0.0, i))
    saved = original.save_pace("slow")
    assert saved.startswith(b"pace/1\n")
    assert original.save_pace("nobody") == b""
    restored.restore_pace("slow", saved)
    assert restored.pace("slow") == original.pace("slow")
    assert restored.save_pace("slow") == saved
    # Still estimated after the restore: the same first answer on another competency moves both
    # alike (the pace travels in the bytes, the competencies' states do not).
    for tracker in (original, restored):
        tracker.record(pw.Observation("", "slow", "div", 0.0, 10))
    assert restored.save_pace("slow") == original.save_pace("slow")
    assert restored.pace("slow").learn_offset != 0.0
    with pytest.raises(ValueError, match="at byte"):
        restored.restore_pace("slow", saved[:-1])
    assert restored.save_pace("slow") == original.save_pace("slow")


def test_competency_evidence_settings_are_exposed():
    c = pw.Competency("a", mastery_min_opportunities=3)
    assert c.mastery_min_opportunities == 3 and c.mastery_recent_correct is None
    c.mastery_recent_correct = 2
    assert c.mastery_recent_correct == 2


def test_mastered_needs_the_evidence_of_tracker_and_engine_alike():
    # A competency with guess 0.05: one right answer takes it over its threshold of 0.5.
    definition = pw.GraphDefinition(
        competencies=[pw.Competency("a", params=pw.BktParams(prior=0.1, learn=0.3, guess=0.05,
                                                               slip=0.05),
                                    mastery_threshold=0.5)])
    graph = pw.CompetencyGraph.from_definition(definition)
    options = pw.TrackerOptions(mastery_min_opportunities=3, mastery_recent_correct=1)
    assert (options.mastery_min_opportunities, options.mastery_recent_correct) == (3, 1)
    tracker = pw.MasteryTracker.create(graph, pw.BktModel(), options)
    plain = pw.MasteryTracker.create(graph)
    for t in (tracker, plain):
        t.record(pw.Observation("", "ann", "a", 1.0, 0))
    assert plain.mastery("ann", "a").mastered
    assert tracker.mastery("ann", "a").p_learned >= 0.5
    assert not tracker.mastery("ann", "a").mastered
    for i in range(2):
        tracker.record(pw.Observation("", "ann", "a", 1.0, i + 1))
    assert tracker.mastery("ann", "a").mastered
    tracker.set_mastery_evidence(4, 0)
    assert not tracker.mastery("ann", "a").mastered
    with pytest.raises(ValueError, match="mastery_recent_correct"):
        tracker.set_mastery_evidence(1, 9)
    with pytest.raises(ValueError, match="mastery_min_opportunities"):
        pw.MasteryTracker.create(graph, pw.BktModel(),
                                 pw.TrackerOptions(mastery_min_opportunities=0))

    # The engine keeps its tracker on its policies' evidence.
    engine = pw.Engine.create(graph, pw.BktModel())
    settings = pw.RecommenderOptions()
    settings.mastery.mastery_min_opportunities = 2
    engine.set_recommender_options(settings)
    engine.record(pw.Observation("", "bob", "a", 1.0, 0))
    assert not engine.mastery("bob").competencies[0].mastered
    engine.record(pw.Observation("", "bob", "a", 1.0, 1))
    assert engine.mastery("bob").competencies[0].mastered


def test_event_ids_make_recording_idempotent():
    graph = small_graph()
    tracker = pw.MasteryTracker.create(graph)
    first = tracker.record(pw.Observation("e1", "ann", "q1", 1.0, 1000))
    again = tracker.record(pw.Observation("e1", "ann", "q1", 1.0, 1000))
    assert first.applied and not again.applied
    assert tracker.mastery("ann", "add").opportunities == 1


def test_mastery_does_not_saturate_after_a_streak():
    # Issue 12: prior .3, learn .2, guess .2, slip .1; 30 correct then 30 wrong answers. Exact
    # arithmetic gives 0.2345; a probability carried as a double stuck at 1.0.
    definition = pw.GraphDefinition(competencies=[pw.Competency(
        "c", params=pw.BktParams(prior=0.3, learn=0.2, guess=0.2, slip=0.1))])
    engine = pw.Engine.create(pw.CompetencyGraph.from_definition(definition))
    for i in range(60):
        engine.record(pw.Observation(f"e{i}", "ann", "c", 1.0 if i < 30 else 0.0, i))
        estimate = engine.mastery("ann").competencies[0]
        if i == 29:
            assert estimate.p_learned == 1.0 and estimate.log_odds > 40
    assert abs(estimate.p_learned - 0.2345) < 5e-5
    assert abs(pw.log_odds_to_mastery(estimate.log_odds) - estimate.p_learned) < 1e-15
    # The single-step helper on the carried log-odds agrees.
    params = pw.BktParams(prior=0.3, learn=0.2, guess=0.2, slip=0.1)
    x = pw.mastery_to_log_odds(0.3)
    for i in range(60):
        x = params.update_log_odds(x, 1.0 if i < 30 else 0.0)
    assert abs(pw.log_odds_to_mastery(x) - 0.2345) < 5e-5


def test_engine_demo_curriculum():
    graph = pw.CompetencyGraph.read(str(FRACTIONS))
    engine = pw.Engine.create(graph)
    events = pw.read_observations_csv(str(FRACTIONS_EVENTS))
    assert engine.record_batch(events) == len(events)
    assert engine.record_batch(events) == 0
    mastery = engine.mastery("ana")
    assert mastery.competency_ids == graph.competency_ids
    assert set(engine.frontier("ana")) <= set(graph.competency_ids)
    assert [g.group_id for g in engine.group_rollup("ana")] == [g.id for g in graph.groups]
    assert engine.tracker.num_learners == len({e.learner_id for e in events})


def _policy_or_skip(kind, graph, model):
    try:
        return pw.make_policy(kind, graph, model)
    except pw.UnimplementedError:
        pytest.skip("the recommender is not implemented in this build")


def test_recommendations_and_plans():
    graph = pw.CompetencyGraph.read(str(FRACTIONS))
    model = pw.BktModel()
    engine = pw.Engine.create(graph, model)
    engine.record_batch(pw.read_observations_csv(str(FRACTIONS_EVENTS)))
    policy = _policy_or_skip("mastery", graph, model)
    assert policy.kind == pw.PolicyKind.MASTERY
    goal = graph.topological_order()[-1]
    recs = policy.recommend(engine.mastery("ana"), pw.RecommendRequest(goals=[goal], k=3))
    assert 1 <= len(recs) <= 3
    assert all(graph.find_activity(r.activity_id) is not None for r in recs)
    assert [p.part for p in recs[0].parts][0] == pw.ScorePart.READINESS
    state = policy.state_from_mastery(engine.mastery("ana"))
    assert [r.activity_id for r in policy.recommend(state, pw.RecommendRequest(goals=[goal], k=3))] == \
        [r.activity_id for r in recs]
    with pytest.raises(pw.NotFoundError):
        policy.recommend(state, pw.RecommendRequest(goals=["no.such.goal"]))
    planner = pw.PathwayPlanner.create(graph, model)
    plan = planner.plan(engine.mastery("ana"), [goal])
    assert plan.goals == [goal]
    assert [s.competency_id for s in plan.steps] == [
        c for c in graph.topological_order() if c in {s.competency_id for s in plan.steps}]


def test_results_are_values_built_by_hand_or_by_the_engine():
    # pathwise.Client builds these from the wire, so they must be constructible, compare by value
    # and pickle as the dataclasses they replaced did.
    graph = pw.CompetencyGraph.read(str(FRACTIONS))
    engine = pw.Engine.create(graph, pw.BktModel())
    engine.record_batch(pw.read_observations_csv(str(FRACTIONS_EVENTS)))
    goal = graph.topological_order()[-1]
    mastery = engine.mastery("ana")
    recs = engine.recommend("ana", pw.RecommendRequest(goals=[goal], k=3))
    plan = engine.plan("ana", [goal])
    groups = engine.group_rollup("ana")
    for value in [mastery, plan, *recs, *recs[0].parts, *plan.steps, *groups]:
        assert pickle.loads(pickle.dumps(value)) == value
        assert copy.deepcopy(value) == value
    rebuilt = pw.Pathway(plan.learner_id, plan.goals, plan.goals_mastered, plan.steps,
                         plan.unreachable, plan.total_expected_opportunities,
                         plan.total_expected_minutes)
    assert rebuilt == plan and rebuilt.reachable and rebuilt != engine.plan("bob", [goal])
    assert pw.LearnerMastery(mastery.learner_id, mastery.competencies) == mastery
    assert pw.LearnerMastery("ana", mastery.competencies[1:]) != mastery
    assert mastery != "ana" and mastery is not None
    with pytest.raises(TypeError):
        hash(mastery)

    top = recs[0]
    assert top.predicted_correct is not None and 0 <= top.predicted_correct <= 1
    by_hand = pw.Recommendation(top.activity_id, top.score, top.parts, top.reasons,
                                top.competency_ids, top.expected_minutes, top.predicted_correct,
                                top.pinned)
    assert by_hand == top
    baseline = pw.Recommendation("act", parts=[pw.PartScore(pw.ScorePart.REVIEW_DUE, 0.5, 0.4)])
    assert baseline.predicted_correct is None and not baseline.pinned and baseline != top
    assert baseline.parts[0].contribution == pytest.approx(0.2)
    with pytest.raises(pw.InvalidArgumentError, match="predicted_correct"):
        pw.Recommendation("act", predicted_correct=1.5)

    step = pw.PathwayStep("c", 0.3, 0.95, unreachable="no_activity", unreachable_message="none")
    assert step.unreachable == "no_activity" and step.expected_opportunities == 0
    blocked = pw.UnreachableGoal("g", "blocked_by_prerequisite", "c", "c cannot be mastered")
    unreachable = pw.Pathway("ana", ["g"], [], [step], [blocked])
    assert not unreachable.reachable and unreachable.unreachable[0].reason == "blocked_by_prerequisite"
    with pytest.raises(pw.InvalidArgumentError, match="unreachable: unknown reason 'nope'"):
        pw.PathwayStep("c", 0.3, 0.95, unreachable="nope")
    with pytest.raises(pw.InvalidArgumentError, match="reason: unknown reason"):
        pw.UnreachableGoal("g", "far away")
    rollup = pw.GroupMastery("g", 0.5, False, 4, 2)
    assert rollup == pw.GroupMastery("g", 0.5, False, 4, 2) != pw.GroupMastery("g", 0.5, False, 4, 3)


def test_recommender_options_nest_one_object_per_policy():
    options = pw.RecommenderOptions()
    # Each nested object is the one the RecommenderOptions holds, not a copy.
    options.mastery.goal_weight = 0.5
    options.mastery.gating = pw.Gating.SOFT
    options.zpdes.window = 8
    options.random.restrict_to_goal = True
    options.curriculum.opportunities = 2
    options.planner.activities_per_competency = 1
    options.seed = 7
    assert options.mastery.goal_weight == 0.5 and options.zpdes.window == 8
    options.validate()

    # C++ -> Python -> C++: the engine keeps exactly what Python set.
    graph = pw.CompetencyGraph.read(str(FRACTIONS))
    engine = pw.Engine.create(graph, pw.BktModel())
    engine.set_recommender_options(options)
    back = engine.recommender_options()
    assert (back.mastery.goal_weight, back.mastery.gating, back.zpdes.window,
            back.random.restrict_to_goal, back.curriculum.opportunities,
            back.planner.activities_per_competency, back.seed) == \
        (0.5, pw.Gating.SOFT, 8, True, 2, 1, 7)
    goal = graph.topological_order()[-1]
    assert all(len(step.activity_ids) <= 1 for step in engine.plan("ann", [goal]).steps)

    bad = pw.RecommenderOptions()
    bad.zpdes.window = 3
    with pytest.raises(pw.InvalidArgumentError, match=r"zpdes\.window must be even"):
        bad.validate()
    with pytest.raises(pw.InvalidArgumentError, match=r"^window must be even"):
        bad.zpdes.validate()
    with pytest.raises(pw.InvalidArgumentError, match=r"zpdes\.window"):
        engine.set_recommender_options(bad)


def test_observation_timestamp_is_required_or_explicitly_now():
    with pytest.raises(TypeError, match="timestamp_ms is required"):
        pw.Observation("e1", "ann", "q1", 1.0)
    assert pw.Observation("e1", "ann", "q1", 1.0, 1234).timestamp_ms == 1234
    import time
    before = int(time.time() * 1000)
    stamped = pw.Observation("e1", "ann", "q1", 1.0, pw.NOW).timestamp_ms
    assert before <= stamped <= int(time.time() * 1000) + 1
    assert repr(pw.NOW) == "pathwise.NOW"


def test_engine_record_feeds_every_policy_it_serves():
    graph = pw.CompetencyGraph.read(str(FRACTIONS))
    engine = pw.Engine.create(graph)
    request = pw.RecommendRequest(k=10)
    # Cold start: a learner with no events gets the population's recommendation, for every policy.
    prior = engine.recommend("newcomer", request)
    assert prior and [r.activity_id for r in prior] == \
        [r.activity_id for r in engine.recommend("someone-else", request)]
    policy = pw.make_policy("mastery", graph)
    assert [r.activity_id for r in prior] == \
        [r.activity_id for r in policy.recommend(engine.tracker.prior_mastery("x"), request)]
    start = {r.competency_ids[0] for r in engine.recommend("zoe", request, policy="zpdes")}
    assert start
    # One channel: recording through the engine moves zpdes's zone; a duplicate changes nothing.
    first = sorted(start)[0]
    activity = next(r.activity_id for r in engine.recommend("zoe", request, policy="zpdes")
                    if r.competency_ids[0] == first)
    for i in range(6):
        engine.record(pw.Observation(f"z{i}", "zoe", activity, 1.0, 1000 + i))
    state = engine.save_learner_state("zpdes", "zoe")
    assert state.startswith(b"zpdes/2\n")
    engine.record(pw.Observation("z0", "zoe", activity, 0.0, 2000))
    assert engine.save_learner_state("zpdes", "zoe") == state
    after = {r.competency_ids[0] for r in engine.recommend("zoe", request, policy=pw.PolicyKind.ZPDES)}
    assert first not in after and after != start
    # The same bytes in another engine give the same recommendations.
    other = pw.Engine.create(graph)
    other.restore_learner_state("zpdes", "zoe", state)
    assert [r.activity_id for r in other.recommend("zoe", request, policy="zpdes")] == \
        [r.activity_id for r in engine.recommend("zoe", request, policy="zpdes")]
    # The mastery policy keeps the learner's last activity, for continuity and for which activity
    # of a stall gives way.
    kept = engine.save_learner_state("mastery", "zoe")
    assert kept.startswith(b"mastery/2\n") and activity.encode() in kept
    assert engine.save_learner_state("mastery", "newcomer") == b""
    with pytest.raises(pw.InvalidArgumentError):
        other.restore_learner_state("mastery", "zoe", state)
    other.restore_learner_state("mastery", "zoe", kept)
    assert other.save_learner_state("mastery", "zoe") == kept


def test_reasons_name_a_pace_far_from_the_population():
    graph = pw.CompetencyGraph.read(str(FRACTIONS))
    policy = pw.make_policy("mastery", graph)
    request = pw.RecommendRequest(k=3)

    def reasons(pace):
        state = pw.LearnerState("ann", [], "", pace)
        return [reason for r in policy.recommend(state, request) for reason in r.reasons]

    slow = reasons(pw.LearnerFactors(0.0, -1.2))
    assert any("at this learner's pace (learns at about 0.30 times the typical pace)" in r
               for r in slow), slow
    assert not any("pace" in r for r in reasons(None))
    assert not any("pace" in r for r in reasons(pw.LearnerFactors(0.1, 0.2)))
    engine = pw.Engine.create(graph)
    engine.tracker.set_pace("bo", pw.LearnerFactors(0.0, 1.0))
    assert any("2.72 times the typical pace" in reason
               for r in engine.recommend("bo", request) for reason in r.reasons)


def test_policy_docstrings_say_what_they_do():
    assert "index" in pw.make_policy.__doc__ and "fork" in pw.make_policy.__doc__
    assert "best first" in pw.Policy.recommend.__doc__
    assert "independent" in pw.Policy.fork.__doc__
    assert "Cold start" in pw.Engine.recommend.__doc__
