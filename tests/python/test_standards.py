"""Standards imports from Python (pathwise.standards): the same library calls as `pathwise import`, on
the repository's fixtures and on the real files in ../shared/data/standards (counts as in
docs/standards.md)."""

import json

import pytest

import pathwise as pw
from pathwise import standards

from conftest import DATA, REPO, require

FIXTURES = REPO / "tests" / "data" / "standards"
STANDARDS = DATA / "standards"


def test_xapi_statements_map_to_observations_with_voiding_and_skips():
    imported = standards.read_xapi_statements(FIXTURES / "xapi_fractions.json",
                                              activity_map=FIXTURES / "xapi_activity_map.csv")
    report = imported.report
    assert (report.records_read, report.accepted, report.voiding) == (7, 3, 1)
    assert report.skipped == {"no-outcome": 1, "unmapped-activity": 1}
    assert report.voided_in_batch == ["6a1f0c52-1b7e-4c3a-9d2e-0f4b5a6c7d05"]
    first = imported.observations[0]
    assert first.activity_id == "act.partition.shapes"
    assert first.event_id == "6a1f0c52-1b7e-4c3a-9d2e-0f4b5a6c7d02"
    assert first.learner_id.startswith("sha1:") and "ana" not in first.learner_id
    assert first.outcome == 1.0
    # mbox and mbox_sha1sum of one address are one learner.
    assert imported.observations[1].learner_id == first.learner_id
    assert imported.observations[1].outcome == 0.0


def test_a_mapping_given_as_a_dict_and_account_home_page():
    text = (FIXTURES / "xapi_fractions.json").read_text()
    imported = pw.standards.parse_xapi_statements(
        text, "fractions", activity_map={"https://lms.example/activities/identify-shaded": "act.x"},
        account_home_page="https://lms.example")
    assert [(o.learner_id, o.activity_id, o.outcome) for o in imported.observations] == [("s-0042", "act.x", 0.75)]


def test_one_bad_statement_rejects_the_batch_naming_index_and_path():
    with pytest.raises(pw.InvalidArgumentError) as error:
        standards.read_xapi_statements(FIXTURES / "xapi_bad_batch.json")
    message = str(error.value)
    assert "xapi_bad_batch.json" in message and "[1].actor.mbox" in message
    assert "[1].result.score.scaled" in message
    with pytest.raises(pw.NotFoundError, match="nope.json"):
        standards.read_xapi_statements(FIXTURES / "nope.json")


def test_caliper_grade_event_is_an_answer():
    path = require(STANDARDS / "caliper" / "v1p2_fixtures" / "caliperEventGradeGraded.json")
    imported = standards.read_caliper_events(path)
    assert imported.report.accepted == 1
    assert imported.observations[0].outcome == pytest.approx(10 / 15)
    mixed = standards.read_caliper_events(STANDARDS / "caliper" / "v1p2_fixtures" / "caliperEnvelopeMixedBatch.json")
    assert (mixed.report.records_read, mixed.report.accepted) == (7, 1)
    assert mixed.report.skipped == {"entity": 4, "not-an-answer": 2}


def test_case_package_becomes_a_graph_with_its_report():
    path = require(STANDARDS / "case" / "frameworks" / "smarterbalanced_math_content_spec_case1p0.json")
    imported = standards.read_case_package(str(path), version="1.0")
    assert imported.graph.num_competencies == 585
    assert imported.graph.num_prerequisites == 419
    assert imported.graph.num_groups == 151
    report = imported.report
    assert report.items == 585 and report.associations == 3368
    assert report.associations_by_type["precedes"] == 423
    assert len(report.aliases) == 914 and len(report.notes) == 5
    assert all(report.uris[c] for c in imported.graph.competency_ids)
    # The TEKS package is CASE 1.0: the 1.1 schema names the field that differs.
    teks = require(STANDARDS / "case" / "frameworks" / "tx_teks_math_ch111_official_case1p0.json")
    with pytest.raises(pw.InvalidArgumentError, match=r"CFDocument\.subject: must be an array of strings"):
        standards.read_case_package(str(teks))
    with pytest.raises(pw.InvalidArgumentError, match="version: '2.0'"):
        standards.read_case_package(str(teks), version="2.0")


def test_case_cycle_is_a_failed_precondition():
    def uuid(n):
        return f"00000000-0000-4000-8000-{n:012d}"

    def node(n):
        return {"identifier": uuid(n), "uri": f"u:{n}", "title": str(n)}

    stamp = {"lastChangeDateTime": "2020-01-01T00:00:00Z"}
    package = {
        "CFDocument": {**node(0), "creator": "c", **stamp},
        "CFItems": [{"identifier": uuid(n), "uri": f"u:{n}", "fullStatement": str(n), **stamp} for n in (1, 2)],
        "CFAssociations": [
            {"identifier": uuid(10 + k), "uri": f"u:a{k}", "associationType": "precedes",
             "originNodeURI": node(o), "destinationNodeURI": node(d), **stamp}
            for k, (o, d) in enumerate(((1, 2), (2, 1)))],
    }
    with pytest.raises(pw.FailedPreconditionError, match="cycle"):
        standards.parse_case_package(json.dumps(package), "loop.json")
    package["CFAssociations"].pop()
    imported = standards.parse_case_package(json.dumps(package), "chain.json")
    assert imported.graph.num_prerequisites == 1 and imported.report.document_id == uuid(0)


def test_edfi_and_oneroster():
    edfi = standards.read_edfi_learning_standards(str(FIXTURES / "edfi_learning_standards.json"))
    assert edfi.standards == edfi.graph.num_competencies > 0
    assert edfi.graph.num_prerequisites > 0
    roster = standards.read_oneroster(str(require(STANDARDS / "oneroster" / "moodle_catalyst_v1p2_full_dataset")))
    assert [c.sourced_id for c in roster.classes] == ["cls-222-123456"]
    assert roster.classes[0].learners == ["usr-222-987654", "usr-222-1234561232"]
    assert roster.enrollments == 3 and any("tobedeleted" in n for n in roster.notes)
    with pytest.raises(pw.NotFoundError):
        standards.read_oneroster(str(FIXTURES))
