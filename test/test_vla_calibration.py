"""Confidence calibration (Platt scaling) without torch: it runs in CI."""
import numpy as np
import pytest

from lcc_plus.vla import metrics


def test_platt_fit_recovers_a_known_scaling():
    rng = np.random.default_rng(1)
    logits = rng.normal(0, 2, 4000)
    outcome = rng.uniform(size=4000) < 1 / (1 + np.exp(-(0.5 * logits - 1.0)))
    a, b = metrics.fit_platt(logits, outcome)
    assert a == pytest.approx(0.5, abs=0.1) and b == pytest.approx(-1.0, abs=0.15)


@pytest.mark.parametrize("offset", [0.0, 1e4])
def test_platt_fit_stays_finite_when_the_logits_separate_the_outcomes(offset):
    # A small validation split often separates perfectly and sits far from 0; an undamped
    # fit ran off to ~1e8 there and the exported model failed its float32 parity check.
    logits = offset + np.concatenate([np.linspace(-3, -1, 20), np.linspace(1, 3, 20)])
    outcome = np.concatenate([np.zeros(20), np.ones(20)])
    a, b = metrics.fit_platt(logits, outcome)
    assert np.isfinite([a, b]).all() and 0.0 < a < 50.0
    p = 1 / (1 + np.exp(-(a * logits + b)))
    assert p[:20].max() < 0.5 < p[20:].min()


def test_platt_fit_with_one_outcome_only_is_the_identity():
    assert metrics.fit_platt(np.array([0.1, 2.0]), np.array([1, 1])) == (1.0, 0.0)
