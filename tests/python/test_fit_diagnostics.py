"""Fit warnings and MAP-EM Beta priors through the Python API (fit.h states the rules)."""

import math

import pytest

import pathwise as pw


def test_warnings_name_the_parameter_at_its_bound(as_csv):
    log = pw.read_log(as_csv)
    result = pw.fit(log, bounds={"guess": (0.0, 0.05)})
    found = pw.fit_warnings(result)
    assert len(found) >= 2
    competencies = {c for c, _, _ in found}
    assert competencies == set(log.competency_names)
    for competency, name, message in found:
        if name == "parameter_at_bound" and message.startswith("guess"):
            assert message == "guess = 0.05 is at its upper bound 0.05"
    first = result.competencies[0].warnings[0]
    assert first.code == pw.FitWarningCode.PARAMETER_AT_BOUND
    assert first.name == "parameter_at_bound"


def test_warning_thresholds_are_options(as_csv):
    log = pw.read_log(as_csv)
    strict = pw.fit(log, warnings={"min_learners": 10**6, "min_rows": 10**7})
    names = {name for _, name, _ in pw.fit_warnings(strict)}
    assert {"few_learners", "few_rows"} <= names
    lenient = pw.fit(log, warnings={"min_learners": 0, "min_rows": 0})
    assert not {"few_learners", "few_rows"} & {n for _, n, _ in pw.fit_warnings(lenient)}
    with pytest.raises(pw.InvalidArgumentError, match="warning threshold"):
        pw.fit_options(warnings={"min_lerners": 3})


def test_beta_priors_are_off_by_default_and_pull_toward_their_mode(as_csv):
    log = pw.read_log(as_csv)
    ml = pw.fit(log)
    assert pw.fit_options().priors.enabled is False
    assert ml.penalized_log_likelihood == ml.log_likelihood
    weak = pw.fit(log, priors=True)
    assert weak.penalized_log_likelihood < weak.log_likelihood  # the log prior is negative here
    # A strong prior at slip = 0.02 moves every competency's slip toward it.
    strong = pw.fit(log, priors={"slip": (1 + 0.02 * 1e6, 1 + 0.98 * 1e6)})
    for name in log.competency_names:
        assert abs(strong.model.competencies[name].slip - 0.02) < abs(
            ml.model.competencies[name].slip - 0.02)
        assert strong.model.competencies[name].slip == pytest.approx(0.02, abs=1e-3)
    assert math.isfinite(strong.penalized_log_likelihood)


def test_bad_beta_prior_names_the_field():
    with pytest.raises(pw.InvalidArgumentError, match=r"priors\.guess\.a"):
        pw.fit_options(priors={"guess": (0.5, 2.0)})
    with pytest.raises(pw.InvalidArgumentError, match="parameter in priors"):
        pw.fit_options(priors={"guesses": (2.0, 2.0)})
