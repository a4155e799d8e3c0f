"""Exact confidence intervals for km per takeover and for the ratio of two drivers' km per takeover.

Takeovers are rare counted events over engaged distance, so each driver's count is taken as
Poisson in its engaged km. With one to five takeovers per nine-seed set, a ratio such as
"stack / lcc = 17.6x" alone hides how little it pins down; the interval says what the counts
can and cannot tell.

- km per takeover: Garwood's exact interval for the Poisson mean (count 0 gives no upper limit).
- ratio a / b of km per takeover: the conditional method. Given n = count_a + count_b,
  count_a is Binomial(n, pi) with pi = km_a / (km_a + R * km_b) for the true ratio R; the
  Clopper-Pearson interval of pi maps to one of R. Exact (conservative) at any count,
  zeros included: a driver with no takeover bounds the ratio from one side only.

Plain math (no scipy on a ROS 2 pip install); quantiles by bisection on the exact CDFs.
An upper limit of None means "no upper limit".
"""
from __future__ import annotations

import math

LEVEL = 0.95
_BISECTIONS = 200


def _binom_cdf(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Binomial(n, p)."""
    if k < 0:
        return 0.0
    if k >= n or p <= 0.0:
        return 1.0
    if p >= 1.0:
        return 0.0
    log_p, log_q = math.log(p), math.log1p(-p)
    log_c = math.lgamma(n + 1)
    return min(1.0, sum(math.exp(log_c - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * log_p + (n - i) * log_q)
                        for i in range(k + 1)))


def _poisson_cdf(k: int, mu: float) -> float:
    """P(X <= k) for X ~ Poisson(mu)."""
    if k < 0:
        return 0.0
    if mu <= 0.0:
        return 1.0
    log_mu = math.log(mu)
    return min(1.0, sum(math.exp(i * log_mu - mu - math.lgamma(i + 1)) for i in range(k + 1)))


def _solve_decreasing(f, target: float, lo: float, hi: float) -> float:
    """x in [lo, hi] with f(x) = target, for f decreasing in x."""
    for _ in range(_BISECTIONS):
        mid = 0.5 * (lo + hi)
        if f(mid) > target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _check(count: int, what: str) -> None:
    if count < 0 or int(count) != count:
        raise ValueError(f"{what} must be a whole number >= 0, got {count}")


def clopper_pearson(successes: int, trials: int, level: float = LEVEL) -> tuple[float, float]:
    """Exact two-sided interval for a binomial proportion."""
    _check(successes, "successes")
    if trials < successes:
        raise ValueError(f"trials ({trials}) must be at least successes ({successes})")
    tail = (1.0 - level) / 2.0
    lo = 0.0 if successes == 0 else _solve_decreasing(
        lambda p: -(1.0 - _binom_cdf(successes - 1, trials, p)), -tail, 0.0, 1.0)
    hi = 1.0 if successes == trials else _solve_decreasing(
        lambda p: _binom_cdf(successes, trials, p), tail, 0.0, 1.0)
    return lo, hi


def poisson_mean_interval(count: int, level: float = LEVEL) -> tuple[float, float]:
    """Garwood's exact two-sided interval for a Poisson mean from one count."""
    _check(count, "count")
    tail = (1.0 - level) / 2.0
    top = count + 20.0 * math.sqrt(count + 1.0) + 20.0
    lo = 0.0 if count == 0 else _solve_decreasing(lambda mu: -(1.0 - _poisson_cdf(count - 1, mu)), -tail, 0.0, top)
    hi = _solve_decreasing(lambda mu: _poisson_cdf(count, mu), tail, 0.0, top)
    return lo, hi


def km_per_takeover_interval(count: int, km: float, level: float = LEVEL) -> tuple[float, float | None]:
    """Interval of km per takeover from `count` takeovers in `km` engaged km."""
    if not km > 0.0:
        raise ValueError(f"engaged km must be positive, got {km}")
    mu_lo, mu_hi = poisson_mean_interval(count, level)
    return km / mu_hi, (km / mu_lo if mu_lo > 0.0 else None)


def ratio_interval(count_a: int, km_a: float, count_b: int, km_b: float,
                   level: float = LEVEL) -> tuple[float, float | None] | None:
    """Interval of (km_a / count_a) / (km_b / count_b); None when neither had a takeover."""
    _check(count_a, "count_a")
    _check(count_b, "count_b")
    if not (km_a > 0.0 and km_b > 0.0):
        raise ValueError(f"engaged km must be positive, got {km_a} and {km_b}")
    n = count_a + count_b
    if n == 0:
        return None
    pi_lo, pi_hi = clopper_pearson(count_a, n, level)
    low = km_a * (1.0 - pi_hi) / (pi_hi * km_b)
    high = km_a * (1.0 - pi_lo) / (pi_lo * km_b) if pi_lo > 0.0 else None
    return low, high
