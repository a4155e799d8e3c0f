"""Exact intervals of km per takeover and of ratios between drivers (evaluation/intervals.py)."""
from __future__ import annotations

import numpy as np
import pytest

from lcc_plus.evaluation import intervals


@pytest.mark.parametrize("count, low, high", [
    # Garwood's table (chi-square quantiles / 2), 95 %.
    (0, 0.0, 3.6889), (1, 0.0253, 5.5716), (5, 1.6235, 11.6683), (14, 7.6539, 23.4896)])
def test_poisson_mean_interval_matches_garwood(count, low, high):
    lo, hi = intervals.poisson_mean_interval(count)
    assert lo == pytest.approx(low, abs=1e-4) and hi == pytest.approx(high, abs=1e-4)


def test_clopper_pearson_known_values_and_ends():
    assert intervals.clopper_pearson(1, 10) == pytest.approx((0.002529, 0.445016), abs=1e-6)
    assert intervals.clopper_pearson(0, 10)[0] == 0.0 and intervals.clopper_pearson(10, 10)[1] == 1.0
    with pytest.raises(ValueError):
        intervals.clopper_pearson(3, 2)


def test_km_per_takeover_without_takeover_has_no_upper_limit():
    lo, hi = intervals.km_per_takeover_interval(0, 13.3)
    assert hi is None and lo == pytest.approx(13.3 / 3.6889, rel=1e-4)
    with pytest.raises(ValueError):
        intervals.km_per_takeover_interval(1, 0.0)


def test_ratio_interval_holds_the_estimate_and_one_sided_at_zero():
    lo, hi = intervals.ratio_interval(4, 11.81, 72, 9.18)
    estimate = (11.81 / 4) / (9.18 / 72)
    assert lo < estimate < hi
    lo0, hi0 = intervals.ratio_interval(0, 11.0, 5, 9.0)
    assert hi0 is None and lo0 > 0.0
    lo1, hi1 = intervals.ratio_interval(5, 11.0, 0, 9.0)
    assert lo1 == 0.0 and hi1 > (11.0 / 5) / 9.0
    assert intervals.ratio_interval(0, 1.0, 0, 1.0) is None
    with pytest.raises(ValueError):
        intervals.ratio_interval(-1, 1.0, 2, 1.0)


def test_more_of_the_same_counts_narrow_the_interval():
    one = intervals.ratio_interval(3, 11.0, 72, 9.0)
    five = intervals.ratio_interval(15, 55.0, 360, 45.0)
    assert five[0] > one[0] and five[1] < one[1]


def test_ratio_interval_covers_the_true_ratio_at_least_95_percent():
    # A small stack count against a large baseline one, as in the small-roads sets: exact methods
    # may over-cover, never under-cover (beyond Monte Carlo noise, 2000 draws: sd 0.5 %).
    rng = np.random.default_rng(0)
    km_a, km_b, rate_a, rate_b = 11.5, 9.1, 0.3, 8.0
    true_ratio = rate_b / rate_a
    hits = 0
    draws = 2000
    for a, b in zip(rng.poisson(rate_a * km_a, draws), rng.poisson(rate_b * km_b, draws)):
        lo, hi = intervals.ratio_interval(int(a), km_a, int(b), km_b)
        hits += lo <= true_ratio and (hi is None or true_ratio <= hi)
    assert hits / draws >= 0.94
