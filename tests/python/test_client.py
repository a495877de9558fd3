"""pathwise.Client against the real pathwised: a child process on 127.0.0.1 (port 0, the address read
from its start-up line) with a temporary SQLite data directory and two tenants, stopped with SIGTERM
at the end, which must exit cleanly.

The server's answers are checked against the in-process engine (the same core through the bindings):
the same events give the same mastery, recommendations and pathway."""

import os
import pathlib
import pickle
import selectors
import shutil
import signal
import socket
import subprocess
import sys

import numpy as np
import pytest

import pathwise as pw
from pathwise import client as pwc

from conftest import DATA, FRACTIONS, FRACTIONS_EVENTS

KEY_A = "tenant-a-key-0123456789abcdef"
KEY_B = "tenant-b-key-0123456789abcdef"
GOAL = "fractions.add_unlike"


# --- the server -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def client_stubs():
    """The generated stubs and grpcio: a failure under ctest (which generated them), else a skip."""
    try:
        pwc._load()
    except ImportError as error:
        (pytest.fail if "PATHWISE_GRPC_STUBS" in os.environ else pytest.skip)(str(error))


class Server:
    def __init__(self, binary: pathlib.Path, data_dir: pathlib.Path, log: pathlib.Path,
                 extra_args=()) -> None:
        self.log = log
        with open(log, "w") as stderr:
            self.process = subprocess.Popen(
                [str(binary), "--data-dir", str(data_dir), "--listen", "127.0.0.1:0",
                 "--api-key", f"tenant-a={KEY_A}", "--api-key", f"tenant-b={KEY_B}",
                 "--shutdown-grace-seconds", "2", "--log-level", "info", *extra_args],
                stdout=subprocess.PIPE, stderr=stderr, text=True)
        self.address = self._read_address(timeout=30)

    def _read_address(self, timeout: float) -> str:
        # "pathwised listening on 127.0.0.1:PORT, data directory DIR"
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            if not selector.select(timeout):
                self.process.kill()
                pytest.fail(f"pathwised printed no address in {timeout} s: {self.log.read_text()}")
        line = self.process.stdout.readline()
        prefix = "pathwised listening on "
        if not line.startswith(prefix):
            self.process.kill()
            pytest.fail(f"unexpected start-up line {line!r}: {self.log.read_text()}")
        return line[len(prefix):].split(",")[0]

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=20)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            self.process.stdout.close()


@pytest.fixture(scope="module")
def server(client_stubs, pathwised_binary, tmp_path_factory):
    directory = tmp_path_factory.mktemp("pathwised")
    running = Server(pathwised_binary, directory / "data", directory / "pathwised.log")
    yield running
    returncode = running.stop()
    assert returncode == 0, f"pathwised exited with {returncode}: {running.log.read_text()}"
    assert 'msg=stopped' in running.log.read_text()


@pytest.fixture(scope="module")
def observations():
    return pw.read_observations_csv(str(FRACTIONS_EVENTS))


@pytest.fixture(scope="module")
def engine(observations):
    """The in-process reference: the same graph (its authored parameters) and events."""
    engine = pw.Engine.create(pw.CompetencyGraph.read(str(FRACTIONS)))
    engine.record_batch(observations)
    return engine


@pytest.fixture(scope="module")
def loaded(server, observations):
    """Tenant A's client with the fractions curriculum and its class's events."""
    with pw.Client(server.address, KEY_A, timeout=10) as client:
        put = client.put_graph(str(FRACTIONS))
        assert (put.version, put.competencies, put.activities, put.groups) == (1, 15, 31, 3)
        recorded = client.record(observations)
        assert (recorded.recorded, recorded.duplicates, recorded.batches) == (len(observations), 0, 1)
        yield client


def learners_of(observations):
    return sorted({o.learner_id for o in observations})


# --- curriculum -----------------------------------------------------------------------------------


def test_health_needs_no_key(server):
    with pw.Client(server.address) as client:
        assert client.health() == "SERVING"


def test_get_graph_returns_the_stored_graph(loaded):
    stored = loaded.get_graph()
    assert stored.version == 1
    assert isinstance(stored.graph, pw.CompetencyGraph)
    assert stored.graph.competency_ids == pw.CompetencyGraph.read(str(FRACTIONS)).competency_ids
    assert loaded.get_graph(version=1).graph_json == stored.graph_json


def test_validate_graph_lists_problems_and_stores_nothing(loaded):
    bad = {"format": "pathwise.graph", "version": 1,
           "competencies": [{"id": "a"}, {"id": "b"}, {"id": "a"}],
           "prerequisites": [{"from": "a", "to": "b"}, {"from": "b", "to": "a"}]}
    result = loaded.validate_graph(bad)
    assert not result.valid
    assert {p.kind for p in result.problems} == {"duplicate-id", "cycle"}
    assert all(p.path and p.message for p in result.problems)
    assert loaded.validate_graph(pw.CompetencyGraph.read(str(FRACTIONS))).valid
    assert loaded.get_graph().version == 1


def test_cyclic_graph_is_a_failed_precondition_naming_the_cycle(loaded):
    cyclic = {"format": "pathwise.graph", "version": 1, "competencies": [{"id": "a"}, {"id": "b"}],
              "prerequisites": [{"from": "a", "to": "b"}, {"from": "b", "to": "a"}]}
    with pytest.raises(pw.FailedPreconditionError, match="cycle") as error:
        loaded.put_graph(cyclic)
    assert error.value.code == "FAILED_PRECONDITION"
    with pytest.raises(pw.PathwiseError) as stale:  # optimistic concurrency: version 1 is stored
        loaded.put_graph(str(FRACTIONS), expected_version=0)
    assert stale.value.code == "ABORTED"
    assert loaded.get_graph().version == 1


# --- learners -------------------------------------------------------------------------------------


def test_mastery_equals_the_in_process_engine(loaded, engine, observations):
    for learner in learners_of(observations):
        remote = loaded.mastery(learner)
        local = engine.mastery(learner)
        assert remote.learner_id == learner
        assert remote.competency_ids == local.competency_ids
        assert remote.to_dict() == pytest.approx(local.to_dict(), rel=1e-12, abs=1e-15)
        for r, c in zip(remote.competencies, local.competencies):
            assert (r.mastered, r.opportunities, r.last_practiced_ms, r.recent_answers) == (
                c.mastered, c.opportunities, c.last_practiced_ms, c.recent_answers)
        assert (remote.graph_version, remote.model_version) == (1, 0)
        # The core's class, not a mirror: one LearnerMastery, which the core's planner takes.
        assert isinstance(remote.mastery, pw.LearnerMastery) and pwc.LearnerMastery is pw.LearnerMastery
        assert remote.mastery == pw.LearnerMastery(learner, remote.competencies)


def test_mastery_of_some_competencies_and_groups(loaded, engine):
    picked = ["fractions.unit", "fractions.partition"]
    mastery = loaded.mastery("ana", picked, include_groups=True)
    assert mastery.competency_ids == picked
    groups = {g.group_id: g for g in mastery.groups}
    local = {g.group_id: g for g in engine.group_rollup("ana")}
    assert groups.keys() == local.keys()
    for group_id, g in groups.items():
        assert g.p_learned == pytest.approx(local[group_id].p_learned, rel=1e-12)
        assert (g.members, g.members_mastered) == (local[group_id].members,
                                                   local[group_id].members_mastered)
        assert isinstance(g, pw.GroupMastery) and pwc.GroupMastery is pw.GroupMastery


def test_resending_the_same_events_changes_nothing(loaded, observations):
    before = {learner: loaded.mastery(learner) for learner in learners_of(observations)}
    versions = {learner: loaded.export_learner(learner).state_version for learner in before}
    again = loaded.record(observations, batch_size=7)
    assert (again.recorded, again.duplicates) == (0, len(observations))
    assert again.duplicate_indices == list(range(len(observations)))
    assert again.batches == -(-len(observations) // 7)
    streamed = loaded.record_stream(iter(observations), batch_size=10)
    assert (streamed.recorded, streamed.duplicates, streamed.batches) == (0, len(observations), 5)
    for learner, mastery in before.items():
        assert loaded.mastery(learner) == mastery
        assert loaded.export_learner(learner).state_version == versions[learner]


def test_export_lists_events_in_commit_order_and_replays_to_the_same_mastery(loaded, observations):
    exported = loaded.export_learner("ana")
    mine = [o for o in observations if o.learner_id == "ana"]
    assert [e.event_id for e in exported.events] == [o.event_id for o in mine]
    assert all(isinstance(e, pwc.StoredObservation) for e in exported.events)
    assert [e.sequence for e in exported.events] == sorted(e.sequence for e in exported.events)
    replay = pw.Engine.create(loaded.get_graph().graph)
    replay.record_batch(exported.observations())
    assert loaded.mastery("ana").to_dict() == pytest.approx(replay.mastery("ana").to_dict(),
                                                            rel=1e-12, abs=1e-15)


def test_record_accepts_dicts_tuples_and_dataframes(loaded, engine):
    pandas = pytest.importorskip("pandas")
    events = [("t-1", "tuple-learner", "act.partition.shapes", 1, "2026-09-01T09:00:00Z"),
              ("t-2", "tuple-learner", "act.partition.shapes", 0.0, 1788253500000)]
    dicts = [{"event_id": e[0], "learner_id": "dict-learner", "activity_id": e[2], "outcome": e[3],
              "timestamp": e[4]} for e in events]
    frame = pandas.DataFrame(dicts).assign(learner_id="frame-learner")
    result = loaded.record(events + dicts, return_mastery=True)
    assert result.recorded == 4 and set(result.learners) == {"tuple-learner", "dict-learner"}
    assert loaded.record(frame).recorded == 2
    expected = loaded.mastery("tuple-learner").to_dict()
    assert loaded.mastery("dict-learner").to_dict() == expected
    assert loaded.mastery("frame-learner").to_dict() == expected
    (changed,) = result.learners["tuple-learner"]
    assert isinstance(changed, pw.MasteryEstimate)  # the core's class: one MasteryEstimate
    assert pwc.MasteryEstimate is pw.MasteryEstimate and np.isnan(changed.log_odds)
    assert changed.competency_id == "fractions.partition"
    assert changed.p_learned == expected["fractions.partition"]
    for learner in ("tuple-learner", "dict-learner", "frame-learner"):
        loaded.delete_learner(learner)


def test_nan_outcome_is_a_value_error_naming_the_field_and_stores_nothing(loaded):
    events = [("n-1", "nan-learner", "act.partition.shapes", 1.0),
              ("n-2", "nan-learner", "act.partition.shapes", float("nan"))]
    with pytest.raises(ValueError, match=r"events\[1\]\.outcome") as error:
        loaded.record(events)
    assert isinstance(error.value, pw.InvalidArgumentError)
    assert error.value.code == "INVALID_ARGUMENT"
    with pytest.raises(LookupError):  # the batch was rejected as a whole
        loaded.mastery("nan-learner")


def test_a_failing_later_batch_names_the_callers_index(loaded):
    events = [(f"b-{i}", "batch-learner", "act.partition.shapes", 1.0) for i in range(3)]
    events.append(("b-3", "batch-learner", "no.such.activity", 1.0))
    with pytest.raises(LookupError, match=r"events\[3\]\.activity_id.*before events\[2\]"):
        loaded.record(events, batch_size=2)
    assert loaded.mastery("batch-learner", ["fractions.partition"]).competencies[0].opportunities == 2
    loaded.delete_learner("batch-learner")


def test_bad_python_values_are_rejected_before_sending(loaded):
    with pytest.raises(pw.InvalidArgumentError, match=r"events\[0\]\.outcome"):
        loaded.record([("x-1", "someone", "act.partition.shapes", "correct")])
    with pytest.raises(pw.InvalidArgumentError, match=r"events\[0\]\.learner_id"):
        loaded.record_stream([("x-1", 3.5, "act.partition.shapes", 1.0)])
    with pytest.raises(pw.InvalidArgumentError, match="policy"):
        loaded.recommend("ana", policy="bandit")


def test_unknown_learner_is_a_lookup_error(loaded):
    with pytest.raises(LookupError, match="nobody") as error:
        loaded.mastery("nobody")
    assert isinstance(error.value, pw.NotFoundError) and error.value.code == "NOT_FOUND"
    with pytest.raises(pw.NotFoundError):
        loaded.recommend("nobody", require_known_learner=True)
    # Cold start (the default): the population-level recommendation, for every policy.
    for policy in ("mastery", "zpdes", "random", "curriculum"):
        assert len(loaded.recommend("nobody", policy=policy)) > 0
    with pytest.raises(pw.NotFoundError, match=r"competency_ids\[0\]"):
        loaded.mastery("ana", ["no.such.competency"])


def test_delete_learner_then_mastery_is_a_lookup_error(loaded):
    loaded.record([("d-1", "leaver", "act.unit.pizza", 1.0), ("d-2", "leaver", "act.unit.pizza", 0.0)])
    assert loaded.mastery("leaver").learner_id == "leaver"
    loaded.delete_learner("leaver")
    with pytest.raises(LookupError):
        loaded.mastery("leaver")
    with pytest.raises(LookupError):
        loaded.export_learner("leaver")


# --- keys and tenants -----------------------------------------------------------------------------


def test_unknown_or_missing_key_is_a_permission_error(server, loaded):
    for key in ("not-a-key-0123456789abcdef", None):
        with pw.Client(server.address, key) as stranger:
            with pytest.raises(PermissionError) as error:
                stranger.mastery("ana")
            assert isinstance(error.value, pw.UnauthenticatedError)
            assert error.value.code == "UNAUTHENTICATED"


def test_another_tenants_learner_is_not_found(server, loaded):
    with pw.Client(server.address, KEY_B) as other:
        with pytest.raises(pw.NotFoundError):
            other.get_graph()
        with pytest.raises(LookupError, match="ana"):
            other.mastery("ana")


def make_certificates(directory: pathlib.Path) -> None:
    """A CA, a server certificate for 127.0.0.1 and a client certificate (as loopback_test.cc)."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    (directory / "san.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    for command in (
            ["req", "-x509", *ec, "-days", "2", "-subj", "/CN=test-ca", "-keyout", "ca.key",
             "-out", "ca.crt"],
            ["req", *ec, "-subj", "/CN=localhost", "-keyout", "server.key", "-out", "server.csr"],
            ["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
             "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", "server.crt"],
            ["req", *ec, "-subj", "/CN=client", "-keyout", "client.key", "-out", "client.csr"],
            ["x509", "-req", "-in", "client.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
             "-CAcreateserial", "-days", "2", "-out", "client.crt"]):
        run = subprocess.run(["openssl", *command], cwd=directory, capture_output=True, text=True)
        assert run.returncode == 0, run.stderr


def test_tls_with_client_certificates(client_stubs, pathwised_binary, tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not available to make test certificates")
    make_certificates(tmp_path)
    tls = Server(pathwised_binary, tmp_path / "data", tmp_path / "pathwised.log",
                 ["--tls-cert", str(tmp_path / "server.crt"), "--tls-key", str(tmp_path / "server.key"),
                  "--tls-client-ca", str(tmp_path / "ca.crt")])
    try:
        with pw.Client(tls.address, KEY_A, root_certificates=tmp_path / "ca.crt",
                       certificate_chain=tmp_path / "client.crt", private_key=tmp_path / "client.key",
                       timeout=10) as client:
            assert client.tls and client.health() == "SERVING"
            assert client.validate_graph(pw.CompetencyGraph.read(str(FRACTIONS))).valid
        ca = (tmp_path / "ca.crt").read_bytes()
        with pw.Client(tls.address, KEY_A, root_certificates=ca, timeout=10) as no_certificate:
            with pytest.raises(ConnectionError):
                no_certificate.health()
        with pw.Client(tls.address, KEY_A, timeout=10) as plaintext:
            with pytest.raises(ConnectionError):
                plaintext.health()
    finally:
        assert tls.stop() == 0, tls.log.read_text()


def test_unreachable_server_is_a_connection_error(client_stubs):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pw.Client(f"127.0.0.1:{port}", KEY_A, timeout=5) as client:
        with pytest.raises(ConnectionError) as error:
            client.health()
    assert isinstance(error.value, pw.UnavailableError) and error.value.code == "UNAVAILABLE"


# --- recommendations and pathways -----------------------------------------------------------------


def test_recommend_ranks_activities_with_reasons_as_the_engine_does(loaded, engine):
    recommendations = loaded.recommend("ana", goals=[GOAL], k=3)
    assert 1 <= len(recommendations) <= 3
    assert recommendations.learner_id == "ana" and recommendations.policy == pw.PolicyKind.MASTERY
    scores = [r.score for r in recommendations]
    assert scores == sorted(scores, reverse=True)
    for r in recommendations:
        assert isinstance(r, pw.Recommendation) and all(isinstance(p, pw.PartScore) for p in r.parts)
        assert r.reasons and r.competency_ids and r.expected_minutes > 0
        assert r.predicted_correct is not None and 0 <= r.predicted_correct <= 1
        assert {p.part for p in r.parts} >= {pw.ScorePart.READINESS, pw.ScorePart.GOAL_RELEVANCE}
        assert sum(p.contribution for p in r.parts) == pytest.approx(r.score)
    policy = pw.make_policy("mastery", engine.graph, engine.model)
    local = policy.recommend(engine.mastery("ana"), pw.RecommendRequest(goals=[GOAL], k=3))
    assert [r.activity_id for r in recommendations] == [r.activity_id for r in local]
    assert scores == pytest.approx([r.score for r in local], rel=1e-12)
    assert recommendations.graph_version == 1 and pwc.Recommendation is pw.Recommendation
    # The baselines do not predict P(correct): None on the wire and in the core alike.
    assert all(r.predicted_correct is None for r in loaded.recommend("ana", policy="random"))


def test_recommend_options(loaded):
    first = loaded.recommend("ana", goals=GOAL, k=3)
    pinned = "act.partition.shapes"
    shaped = loaded.recommend("ana", goals=GOAL, k=3, excluded_activities=[first[0].activity_id],
                              pinned_activities=[pinned])
    assert shaped[0].activity_id == pinned and shaped[0].pinned
    assert first[0].activity_id not in [r.activity_id for r in shaped]
    baseline = loaded.recommend("ana", k=2, policy="curriculum")
    assert baseline.policy == pw.PolicyKind.CURRICULUM and len(baseline) <= 2
    newcomer = loaded.recommend("newcomer", goals=GOAL)
    assert newcomer and newcomer.learner_id == "newcomer"
    with pytest.raises(ValueError, match="excluded|pinned"):
        loaded.recommend("ana", excluded_activities=[pinned], pinned_activities=[pinned])


def test_plan_returns_the_engines_steps_to_the_goal(loaded, engine):
    pathway = loaded.plan("ana", [GOAL])
    assert pathway.reachable and pathway.steps and pathway.goals == [GOAL]
    assert pathway.steps[-1].competency_id == GOAL and pathway.steps[-1].is_goal
    assert all(s.unreachable == "none" and s.activity_ids for s in pathway.steps)
    local = pw.PathwayPlanner.create(engine.graph, engine.model).plan(engine.mastery("ana"), [GOAL])
    assert [s.competency_id for s in pathway.steps] == [s.competency_id for s in local.steps]
    assert [s.expected_opportunities for s in pathway.steps] == [
        s.expected_opportunities for s in local.steps]
    assert pathway.total_expected_minutes == pytest.approx(local.total_expected_minutes)
    assert isinstance(pathway.pathway, pw.Pathway) and pwc.Pathway is pw.Pathway
    assert (pathway.graph_version, pathway.model_version) == (1, 0)
    assert all(isinstance(s, pw.PathwayStep) for s in pathway.steps)
    # The server's mastery, planned in process, gives the server's plan.
    from_remote = pw.PathwayPlanner.create(engine.graph, engine.model).plan(
        loaded.mastery("ana").mastery, [GOAL])
    assert [s.competency_id for s in from_remote.steps] == [s.competency_id for s in pathway.steps]
    assert pickle.loads(pickle.dumps(pathway)) == pathway


def test_a_value_newer_than_the_client_is_named_not_guessed(client_stubs):
    # The core's classes hold only the parts and reasons the core knows; a newer server's are an
    # error that says so, rather than a recommendation or pathway that silently drops them.
    from pathwise.client import _recommendations
    pb = pwc._load()
    message = pb.recommendation.Recommendation(
        activity_id="a", parts=[pb.recommendation.PartScore(part=99, weight=1, value=0.5)])
    with pytest.raises(pw.UnimplementedError, match="score part '99'") as error:
        _recommendations._recommendation(pb, message)
    assert error.value.code == "UNIMPLEMENTED"
    known = pb.recommendation.Recommendation(activity_id="a", parts=[
        pb.recommendation.PartScore(part=pb.recommendation.SCORE_PART_REVIEW_DUE, weight=0.5,
                                    value=0.4, contribution=0.2, reason="due")])
    (part,) = _recommendations._recommendation(pb, known).parts
    assert part == pw.PartScore(pw.ScorePart.REVIEW_DUE, 0.5, 0.4, "due")
    assert part.contribution == pytest.approx(0.2)
    response = pb.recommendation.PlanPathwayResponse(
        pathway=pb.recommendation.Pathway(learner_id="ana", unreachable=[
            pb.recommendation.UnreachableGoal(goal_id="g", reason=42)]))
    with pytest.raises(pw.UnimplementedError, match="unreachable reason '42'"):
        _recommendations._pathway(pb, response)


# --- models and fitting ---------------------------------------------------------------------------


def test_fit_job_completes_and_stores_the_model(loaded, observations):
    job = loaded.fit("fitted", seed=1, restarts=2)
    assert job.job_id and job.model_name == "fitted"
    done = loaded.wait_for_job(job, timeout=30)
    assert done.succeeded, done.error_message
    # Rows: one per (event, competency practised); other tests' learners may be stored too.
    assert done.model_version >= 1 and done.rows >= len(observations)
    assert done.learners >= len(learners_of(observations))
    assert loaded.job(job.job_id) == done
    stored = loaded.get_model("fitted")
    assert isinstance(stored.model, pw.BktModel) and stored.version == done.model_version
    # Not the active model: mastery still comes from the graph's parameters.
    assert loaded.mastery("ana").model_version == 0
    with pytest.raises(pw.NotFoundError):
        loaded.get_model("active")


def test_cancel_job_stops_a_long_fit_and_stores_no_model(loaded):
    # 100 restarts x 10000 iterations without a tolerance: seconds of work, so still queued or
    # running when the cancel arrives.
    job = loaded.fit("cancelled-fit", restarts=100, max_iterations=10000, tolerance=0.0)
    cancelled = loaded.cancel_job(job)
    assert cancelled.state == "cancelled", cancelled
    assert cancelled.done and cancelled.model_version == 0 and cancelled.progress < 1
    assert loaded.job(job.job_id).state == "cancelled"
    with pytest.raises(pw.NotFoundError):
        loaded.get_model("cancelled-fit")
    with pytest.raises(pw.FailedPreconditionError, match="already finished"):
        loaded.cancel_job(job.job_id)
    with pytest.raises(pw.NotFoundError):
        loaded.cancel_job("no-such-job")


def test_put_and_get_model(loaded):
    model = pw.BktModel(pw.BktParams(0.2, 0.15, 0.0, 0.2, 0.1))
    put = loaded.put_model(model, name="candidate")
    assert (put.name, put.active) == ("candidate", False)
    again = loaded.put_model(model.to_json(), name="candidate")
    assert again.version == put.version + 1
    assert loaded.get_model("candidate", version=put.version).model.defaults.prior == 0.2
    with pytest.raises(ValueError):
        loaded.put_model({"format": "pathwise.bkt_model", "version": 1,
                          "defaults": {"prior": 2.0}}, name="candidate")


# --- without a server -----------------------------------------------------------------------------


def test_status_codes_map_as_the_bindings_do():
    grpc = pytest.importorskip("grpc")

    class FakeError(Exception):
        def __init__(self, code):
            self._code = code

        def code(self):
            return self._code

        def details(self):
            return "what the server said"

    for code in grpc.StatusCode:
        if code == grpc.StatusCode.OK:
            continue
        with pytest.raises(pw.PathwiseError) as remote:
            pwc._raise_rpc_error(FakeError(code))
        assert str(remote.value) == "what the server said" and remote.value.code == code.name
        if code.name in pwc._REMOTE_ERRORS:
            assert type(remote.value) is pwc._REMOTE_ERRORS[code.name]
            continue
        with pytest.raises(pw.PathwiseError) as local:
            pw._core._raise_status(code.value[0], "what the server said")
        assert type(remote.value) is type(local.value)
    assert issubclass(pw.UnauthenticatedError, PermissionError)
    assert issubclass(pw.PermissionDeniedError, PermissionError)
    assert issubclass(pw.DeadlineExceededError, TimeoutError)


def test_import_pathwise_works_without_grpc():
    code = ("import sys; sys.modules['grpc'] = None\n"
            "import pathwise\n"
            "try:\n"
            "    pathwise.Client('127.0.0.1:1', 'key')\n"
            "except ImportError as e:\n"
            "    print('ImportError:', e)\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert run.returncode == 0, run.stderr
    assert "ImportError: pathwise.Client needs grpcio" in run.stdout


# --- standards (StandardsService), on a server of their own -----------------------------------------

STANDARDS = pathlib.Path(__file__).resolve().parents[1] / "data" / "standards"
REPORT = pathlib.Path(__file__).resolve().parents[1] / "data" / "report"
ANA = "sha1:ac2b798a936e633547c4c3d04210db14fc26fa34"


@pytest.fixture(scope="module")
def standards_server(client_stubs, pathwised_binary, tmp_path_factory):
    directory = tmp_path_factory.mktemp("pathwised_standards")
    running = Server(pathwised_binary, directory / "data", directory / "pathwised.log")
    yield running
    assert running.stop() == 0, running.log.read_text()


def test_import_xapi_dry_run_accept_skip_void_and_reimport(standards_server):
    with pw.Client(standards_server.address, KEY_A, timeout=30) as client:
        client.put_graph(str(FRACTIONS))
        statements = STANDARDS / "xapi_fractions.json"
        mapping = STANDARDS / "xapi_activity_map.csv"
        dry = client.import_xapi(str(statements), activity_map=str(mapping),
                                 account_home_page="https://lms.example", dry_run=True)
        assert (dry.dry_run, dry.recorded, dry.new_learner_ids) == (True, 3, ["s-0042", ANA])
        with pytest.raises(pw.NotFoundError):
            client.mastery(ANA)
        # The same counts as the library's own import of the file.
        local = pw.standards.read_xapi_statements(str(statements), activity_map=str(mapping),
                                                  account_home_page="https://lms.example")
        done = client.import_xapi(str(statements), activity_map=str(mapping),
                                  account_home_page="https://lms.example")
        assert done.accepted == local.report.accepted == 3
        assert done.skipped == dict(local.report.skipped) == {"no-outcome": 1,
                                                              "unmapped-activity": 1}
        assert (done.voiding, done.recorded, done.duplicates) == (1, 3, 0)
        assert done.voided_in_batch == ["6a1f0c52-1b7e-4c3a-9d2e-0f4b5a6c7d05"]
        engine = pw.Engine.create(pw.CompetencyGraph.read(str(FRACTIONS)))
        engine.record_batch(local.observations)
        assert client.mastery(ANA).to_dict() == pytest.approx(engine.mastery(ANA).to_dict(),
                                                              abs=1e-12)
        again = client.import_xapi(str(statements), activity_map=str(mapping),
                                   account_home_page="https://lms.example")
        assert (again.recorded, again.duplicates) == (0, 3)

        # A voiding statement in a later batch removes the stored answer and re-derives ana.
        voiding = {"id": "6a1f0c52-1b7e-4c3a-9d2e-0f4b5a6c7f09",
                   "actor": {"mbox": "mailto:teacher@school.example"},
                   "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
                   "object": {"objectType": "StatementRef",
                              "id": "6a1f0c52-1b7e-4c3a-9d2e-0f4b5a6c7d03"}}
        voided = client.import_xapi(voiding)
        assert voided.voided_events == [pwc.VoidedEvent(ANA, "6a1f0c52-1b7e-4c3a-9d2e-0f4b5a6c7d03")]
        assert voided.learners_rescored == 1
        assert [e.event_id for e in client.export_learner(ANA).events] == [
            "6a1f0c52-1b7e-4c3a-9d2e-0f4b5a6c7d02"]
        kept = pw.Engine.create(pw.CompetencyGraph.read(str(FRACTIONS)))
        kept.record_batch([o for o in local.observations if o.learner_id == ANA][:1])
        assert client.mastery(ANA).to_dict() == pytest.approx(kept.mastery(ANA).to_dict(),
                                                              abs=1e-12)
        assert client.import_xapi(voiding).voided_not_found == [
            "6a1f0c52-1b7e-4c3a-9d2e-0f4b5a6c7d03"]


def test_import_xapi_rejects_the_batch_naming_statement_and_path(standards_server):
    with pw.Client(standards_server.address, KEY_B, timeout=30) as client:
        client.put_graph(str(FRACTIONS))
        with pytest.raises(pw.InvalidArgumentError, match=r"statement 1: \[1\]\.actor\.mbox"):
            client.import_xapi(str(STANDARDS / "xapi_bad_batch.json"),
                               activity_map=str(STANDARDS / "xapi_activity_map.csv"))
        with pytest.raises(pw.NotFoundError):
            client.mastery(ANA)


def test_import_frameworks_and_roster_then_the_class_report(standards_server):
    with pw.Client(standards_server.address, KEY_B, timeout=60) as client:
        sbac = DATA / "standards" / "case" / "frameworks" / \
            "smarterbalanced_math_content_spec_case1p0.json"
        dry = client.import_case(str(sbac), dry_run=True)
        assert (dry.version, dry.competencies, dry.prerequisites, dry.groups) == (0, 585, 419, 151)
        assert (dry.aliases, dry.related, len(dry.warnings)) == (914, 1460, 5)
        edfi = client.import_edfi(str(STANDARDS / "edfi_learning_standards.json"), dry_run=True)
        assert edfi.competencies > 0 and edfi.version == 0

        client.put_graph(str(REPORT / "graph.json"))
        client.put_model(str(REPORT / "model.json"))
        client.record(pw.read_observations_csv(str(REPORT / "events.csv")))
        roster = client.import_oneroster(str(REPORT / "roster"))
        assert [(c.sourced_id, c.learner_ids) for c in roster.classes] == [
            ("cls-a", ["s1", "s2", "s3"]), ("cls-b", ["s4", "s5"])]
        report = client.class_report("cls-a", title="Maths 2A")
        assert (report.learners, report.cohorts) == (3, 2)
        assert report.html.startswith("<!DOCTYPE html>")
        by_learners = client.class_report(learners=["s3", "s4"])
        assert by_learners.learners == 2
    with pw.Client(standards_server.address, KEY_A, timeout=30) as other:
        with pytest.raises(pw.NotFoundError):
            other.class_report("cls-a")
        with pytest.raises(pw.NotFoundError):
            other.class_report(learners=["s4"])


def test_class_report_is_the_cli_page(standards_server, cli, tmp_path):
    """The service's page for a class is byte for byte what `pathwise report class` writes."""
    out = tmp_path / "cli.html"
    subprocess.run([str(cli), "report", "class", "--graph", str(REPORT / "graph.json"),
                    "--model", str(REPORT / "model.json"), "--events", str(REPORT / "events.csv"),
                    "--roster", str(REPORT / "roster"), "--class", "cls-b", "--title", "2B",
                    "-o", str(out)], check=True, capture_output=True)
    with pw.Client(standards_server.address, KEY_B, timeout=60) as client:
        client.put_graph(str(REPORT / "graph.json"))
        client.put_model(str(REPORT / "model.json"))
        client.record(pw.read_observations_csv(str(REPORT / "events.csv")))
        client.import_oneroster(str(REPORT / "roster"))
        assert client.class_report("cls-b", title="2B").html == out.read_text()
