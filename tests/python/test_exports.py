"""Exports from Python (standards_export.h, class_report.h): the same records and page as the CLI's
`pathwise export xapi` and `pathwise report class` on the fractions example."""

import json
import subprocess

import pytest

import pathwise as pw

from conftest import FRACTIONS, FRACTIONS_EVENTS


@pytest.fixture(scope="module")
def fractions():
    return (pw.CompetencyGraph.read(str(FRACTIONS)), pw.BktModel(),
            pw.read_observations_csv(str(FRACTIONS_EVENTS)))


def test_mastery_statements_match_the_cli(fractions, cli):
    graph, model, events = fractions
    statements = json.loads(pw.mastery_statements(graph, model, events, "https://lms.example"))
    verbs = [s["verb"]["display"]["en-US"] for s in statements]
    assert "mastered" in verbs and "progressed" in verbs
    run = subprocess.run([str(cli), "export", "xapi", "--graph", str(FRACTIONS), "--events",
                          str(FRACTIONS_EVENTS), "--home-page", "https://lms.example"],
                         capture_output=True, text=True, check=True)
    assert json.loads(run.stdout) == statements
    only = json.loads(pw.mastery_statements(graph, model, events, "https://lms.example",
                                            progressed=False))
    assert len(only) == verbs.count("mastered")


def test_mastery_statements_errors_are_value_errors(fractions):
    graph, model, events = fractions
    with pytest.raises(ValueError, match="account home page"):
        pw.mastery_statements(graph, model, events, "lms")
    bad = [pw.Observation("x", "ana", "act.nope", 1.0, 1)]
    with pytest.raises(pw.NotFoundError, match=r"events\[0\] \(id .x.\): activity_id .act.nope."):
        pw.mastery_statements(graph, model, bad, "https://lms.example")


def test_class_report_html(fractions):
    graph, model, events = fractions
    page = pw.class_report_html(graph, model, events, cohorts={"pair": ["ana", "ben"]},
                                goals=["fractions.add_unlike"], title="Fractions <5B>")
    assert page.startswith("<!DOCTYPE html>")
    assert "<title>Fractions &lt;5B&gt;</title>" in page
    assert 'data-cohort="pair"' in page and "<script" not in page
    with pytest.raises(pw.NotFoundError, match="unknown competency or group .nope."):
        pw.class_report_html(graph, model, events, goals=["nope"])
