"""Polyline Frenet projection against brute force."""
import numpy as np

from lcc_plus.sim.polyline import Polyline


def brute(points, q):
    best = None
    seg = np.diff(points, axis=0)
    lengths = np.hypot(seg[:, 0], seg[:, 1])
    s0 = np.r_[0.0, np.cumsum(lengths)]
    for k in range(len(seg)):
        u = seg[k] / lengths[k]
        r = q - points[k]
        t = float(np.clip(r @ u, 0.0, lengths[k]))
        dist = float(np.hypot(*(r - t * u)))
        if best is None or dist < best[0] - 1e-12:
            best = (dist, s0[k] + t, float(u[0] * r[1] - u[1] * r[0]))
    return best


def test_projection_matches_brute_force_on_a_curved_line():
    rng = np.random.default_rng(0)
    a = np.linspace(0.0, 2.5, 120)
    line = np.c_[40.0 * np.sin(a), 40.0 * (1 - np.cos(a))]
    pl = Polyline(line)
    q = rng.uniform([-5.0, -5.0], [45.0, 60.0], size=(300, 2))
    s, d = pl.project(q)
    for i in range(len(q)):
        dist, s_true, _ = brute(line, q[i])
        if 1e-3 < s[i] < pl.length - 1e-3:
            assert abs(s[i] - s_true) < 1e-6 or dist > 15.0  # far points may snap to another arc
            if dist < 15.0:
                # d is the offset normal to the segment: off by a hair at outer corners.
                assert abs(abs(d[i]) - dist) < 0.01


def test_ends_extrapolate_and_windows_restrict():
    pl = Polyline(np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 10.0]]))
    s, d = pl.project(np.array([[-5.0, 1.0], [5.0, -1.0], [11.0, 5.0], [10.0, 20.0]]))
    np.testing.assert_allclose(s, [-5.0, 5.0, 15.0, 30.0])
    np.testing.assert_allclose(d, [1.0, -1.0, -1.0, 0.0])
    s_w, _ = pl.project(np.array([[5.0, 1.0]]), s_lo=12.0, s_hi=20.0)
    assert s_w[0] >= 10.0
    np.testing.assert_allclose(pl.xy_at(15.0, 1.0), [9.0, 5.0])
    np.testing.assert_allclose(pl.xy_at(np.array([15.0]), 1.0), [[9.0, 5.0]])
