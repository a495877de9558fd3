"""Consistency between C++ and Python (LightGBM's test_consistency idea): the same observation sequence
through the C++ programs and through the Python bindings gives the same mastery trajectories."""

import csv
import re
import subprocess

import numpy as np

import pathwise as pw

from conftest import FRACTIONS, FRACTIONS_EVENTS


def test_tracker_replay_matches_cli_predictions(cli, tmp_path, as_csv):
    """C++: `pathwise predict` (the forward filter over the log). Python: the online MasteryTracker fed
    the same rows one by one, reading P(learned) before each. Both trajectories must agree."""
    model_file = tmp_path / "model.json"
    predictions_file = tmp_path / "predictions.csv"
    fit = subprocess.run([str(cli), "fit", "--data", str(as_csv), "--format", "pybkt", "--forgets",
                          "--seed", "4", "--model-out", str(model_file)], capture_output=True, text=True)
    assert fit.returncode == 0, fit.stderr
    predict = subprocess.run([str(cli), "predict", "--data", str(as_csv), "--format", "pybkt",
                              "--model", str(model_file), "--out", str(predictions_file)],
                             capture_output=True, text=True)
    assert predict.returncode == 0, predict.stderr
    with open(predictions_file, newline="") as f:
        rows = list(csv.DictReader(f))

    model = pw.BktModel.load(str(model_file))
    competencies = sorted({r["competency"] for r in rows})
    graph = pw.CompetencyGraph.from_definition(
        pw.GraphDefinition(competencies=[pw.Competency(c) for c in competencies]))
    tracker = pw.MasteryTracker.create(graph, model)
    p_learned_before = np.empty(len(rows))
    p_learned_after = np.empty(len(rows))
    for i, row in enumerate(rows):
        learner, competency = row["learner"], row["competency"]
        if tracker.has_learner(learner):
            before = tracker.mastery(learner, competency).p_learned
        else:
            before = model.competencies[competency].prior
        p_learned_before[i] = before
        result = tracker.record(pw.Observation("", learner, competency, float(row["correct"]), 0))
        (updated,) = result.updated
        p_learned_after[i] = updated.p_learned

    params = [model.competencies[r["competency"]] for r in rows]
    guess = np.array([p.guess for p in params])
    slip = np.array([p.slip for p in params])
    cpp_p_correct = np.array([float(r["p_correct"]) for r in rows])
    cpp_p_learned = (cpp_p_correct - guess) / (1.0 - slip - guess)
    np.testing.assert_allclose(p_learned_before, cpp_p_learned, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(p_learned_before * (1 - slip) + (1 - p_learned_before) * guess,
                               cpp_p_correct, rtol=1e-12)
    # The Python batch prediction is the same trajectory again.
    log = pw.read_log(as_csv)
    p_correct, p_learned = pw.predict(model, log, states=True)
    np.testing.assert_allclose(p_correct, cpp_p_correct, rtol=0, atol=0)
    np.testing.assert_allclose(p_learned, p_learned_before, rtol=1e-9, atol=1e-12)
    # After the last answer of a (learner, competency), the state is the next prediction's.
    assert ((p_learned_after >= 0) & (p_learned_after <= 1)).all()


def test_engine_matches_the_cpp_demo(demo):
    """C++: pathwise_demo replays the example events with an Engine and prints mastery (to 0.1 %),
    roll-ups and frontiers. Python: the same through pathwise.Engine, printed the same way."""
    completed = subprocess.run([str(demo), str(FRACTIONS), str(FRACTIONS_EVENTS)],
                               capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
    output = completed.stdout

    graph = pw.CompetencyGraph.read(str(FRACTIONS))
    engine = pw.Engine.create(graph)
    events = pw.read_observations_csv(str(FRACTIONS_EVENTS))
    applied = engine.record_batch(events)
    assert f"Replayed {len(events)} events: {applied} applied." in output
    assert f"Re-delivered the same {len(events)} events: {engine.record_batch(events)} applied." in output

    sections = re.split(r"^=== (\S+) \(\d+ events\)$", output, flags=re.M)[1:]
    learners = sections[0::2]
    assert learners == list(dict.fromkeys(e.learner_id for e in events))
    names = {c.id: c.name for c in graph.competencies}
    for learner, text in zip(learners, sections[1::2]):
        printed = dict(re.findall(r"^  (.+?)\s+[#.]{20}\s+([\d.]+)%", text, flags=re.M))
        mastery = engine.mastery(learner)
        assert len(printed) == len(mastery.competencies)
        for estimate in mastery.competencies:
            assert printed[names[estimate.competency_id]] == f"{100 * estimate.p_learned:.1f}"
        frontier = re.findall(r"^    - (.+)$", text.split("Ready to learn next:")[1], flags=re.M)
        assert frontier == [names[c] for c in engine.frontier(learner)]


def _cli_report(cli, *args):
    completed = subprocess.run([str(cli), *map(str, args), "--report", "json"], capture_output=True,
                               text=True)
    assert completed.returncode == 0, completed.stderr
    import json

    return json.loads(completed.stdout)


def _learner_state(graph, model, events, learner, policy):
    """What `pathwise recommend` derives from an events file, done with the Python API."""
    own = [e for e in events if e.learner_id == learner]
    tracker = pw.MasteryTracker.create(graph, model)
    tracker.record_batch(own)
    mastery = tracker.mastery(learner) if tracker.has_learner(learner) else tracker.prior_mastery(learner)
    last, latest = "", 0
    for e in own:
        if e.timestamp_ms >= latest:
            latest, last = e.timestamp_ms, e.activity_id
    if policy is not None:
        for e in own:
            policy.observe(e)
    return mastery, last, max(e.timestamp_ms for e in events)


def test_recommendations_and_plans_match_the_cli(cli):
    """C++: `pathwise recommend|plan --report json`. Python: the same events through the tracker and
    a policy / planner. The same activities, scores, reasons and plan."""
    graph = pw.CompetencyGraph.read(str(FRACTIONS))
    model = pw.BktModel()
    events = pw.read_observations_csv(str(FRACTIONS_EVENTS))
    goal = graph.topological_order()[-1]
    for learner in dict.fromkeys(e.learner_id for e in events):
        for kind in ("mastery", "zpdes", "random", "curriculum"):
            report = _cli_report(cli, "recommend", "--graph", FRACTIONS, "--events", FRACTIONS_EVENTS,
                                 "--learner", learner, "--goal", goal, "--policy", kind, "-k", 4)
            policy = pw.make_policy(kind, graph, model)
            mastery, last, now = _learner_state(graph, model, events, learner, policy)
            state = policy.state_from_mastery(mastery)
            state.last_activity_id = last
            recs = policy.recommend(state, pw.RecommendRequest(goals=[goal], k=4, now_ms=now))
            expected = report["recommendations"]
            assert [r.activity_id for r in recs] == [r["activity_id"] for r in expected], (learner, kind)
            assert [r.score for r in recs] == [r["score"] for r in expected]
            assert [r.reasons for r in recs] == [r["reasons"] for r in expected]

        report = _cli_report(cli, "plan", "--graph", FRACTIONS, "--events", FRACTIONS_EVENTS,
                             "--learner", learner, "--goal", goal)
        mastery, _, _ = _learner_state(graph, model, events, learner, None)
        plan = pw.PathwayPlanner.create(graph, model).plan(mastery, [goal])
        assert [s.competency_id for s in plan.steps] == [s["competency_id"] for s in report["steps"]]
        assert plan.total_expected_opportunities == report["total_expected_opportunities"]
        assert plan.total_expected_minutes == report["total_expected_minutes"]
        assert plan.reachable == report["reachable"]
