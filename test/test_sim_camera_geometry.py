"""Renderer geometry helpers: clipping, interval arithmetic, ribbons, hashing."""
import numpy as np
import pytest

from lcc_plus.sim import render_geometry as geo
from lcc_plus.sim.scene import Pose2D


def _area(poly: np.ndarray) -> float:
    x, y = poly[:, 0], poly[:, 1]
    return 0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def test_world_to_base_rotates_and_translates():
    ego = Pose2D(10.0, 5.0, np.pi / 2)
    np.testing.assert_allclose(geo.world_to_base(np.array([[10.0, 8.0], [9.0, 5.0]]), ego), [[3.0, 0.0], [0.0, 1.0]],
                               atol=1e-12)


def test_clip_polygon_keeps_the_inside_part():
    square = np.array([[0.0, 0.0, 0.0], [2.0, 0.0, 0.0], [2.0, 2.0, 0.0], [0.0, 2.0, 0.0]])
    half = geo.clip_polygon(square, np.array([[-1.0, 0.0, 0.0, 1.5]]))  # x <= 1.5
    assert _area(half) == 3.0
    corner = geo.clip_polygon(square, np.array([[-1.0, 0.0, 0.0, 1.0], [0.0, -1.0, 0.0, 1.0]]))
    assert _area(corner) == 1.0
    assert len(geo.clip_polygon(square, np.array([[1.0, 0.0, 0.0, -5.0]]))) == 0
    assert np.array_equal(geo.clip_polygon(square, np.array([[1.0, 0.0, 0.0, 5.0]])), square)


def test_clip_batch_drops_outside_and_reports_indices():
    quad = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 1.0, 0.0]])
    verts = np.concatenate([quad - (5.0, 0.0, 0.0), quad, quad - (0.5, 0.0, 0.0)])
    out, sizes, kept = geo.clip_batch(verts, np.array([4, 4, 4]), np.array([[1.0, 0.0, 0.0, 0.0]]))  # x >= 0
    assert kept.tolist() == [1, 2]
    polys = np.split(out, np.cumsum(sizes)[:-1])
    assert _area(polys[0]) == 1.0 and _area(polys[1]) == 0.5


def test_clip_polygon_degenerate_cases_come_back_empty():
    # Regression (narrow_curves seed 5, tree shadows): a blob clipped away by the first plane must stay
    # empty through the remaining planes instead of reaching the crossing-edge arithmetic.
    square = np.array([[0.0, 0.0, 0.0], [2.0, 0.0, 0.0], [2.0, 2.0, 0.0], [0.0, 2.0, 0.0]])
    planes = np.array([[1.0, 0.0, 0.0, -5.0], [0.0, 1.0, 0.0, -1.0], [0.0, -1.0, 0.0, 1.5]])
    assert geo.clip_polygon(square, planes).shape == (0, 3)
    assert geo.clip_polygon(square[:0], planes).shape == (0, 3)
    sliver = geo.clip_polygon(square, np.array([[1.0, 0.0, 0.0, -2.0], [0.0, 1.0, 0.0, -1.0]]))
    assert _area(sliver) == 0.0  # only the x = 2 edge is left: nothing to fill, and no error
    bad = square.copy()
    bad[2, 0] = np.nan
    assert geo.clip_polygon(bad, planes[1:]).shape == (0, 3)
    bad[2, 0] = np.inf
    assert geo.clip_polygon(bad, planes[1:]).shape == (0, 3)


def test_clip_batch_drops_empty_and_non_finite_polygons():
    quad = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 1.0, 0.0]])
    x_ge_0 = np.array([[1.0, 0.0, 0.0, 0.0]])
    broken = quad.copy()
    broken[1] = np.nan
    verts = np.concatenate([quad, broken, quad - (0.5, 0.0, 0.0)])
    out, sizes, kept = geo.clip_batch(verts, np.array([0, 4, 0, 4, 4, 0]), x_ge_0)
    assert kept.tolist() == [1, 4] and sizes.tolist() == [4, 4] and np.all(np.isfinite(out))
    polys = np.split(out, np.cumsum(sizes)[:-1])
    assert _area(polys[0]) == 1.0 and _area(polys[1]) == 0.5
    out, sizes, kept = geo.clip_batch(quad[:0], np.zeros(3, int), x_ge_0)
    assert out.shape == (0, 3) and len(sizes) == 0 and len(kept) == 0
    with pytest.raises(ValueError, match="partition"):
        geo.clip_batch(quad, np.array([3]), x_ge_0)


def test_intervals():
    a = np.array([[0.0, 3.0], [12.0, 15.0], [24.0, 27.0]])
    b = np.array([[2.0, 13.0], [26.0, 40.0]])
    np.testing.assert_allclose(geo.intersect_intervals(a, b), [[2.0, 3.0], [12.0, 13.0], [26.0, 27.0]])
    np.testing.assert_allclose(geo.periodic_intervals(np.array([[1.0, 26.0]]), 3.0, 12.0),
                               [[1.0, 3.0], [12.0, 15.0], [24.0, 26.0]])
    np.testing.assert_allclose(geo.merge_runs(np.array([0.0, 1.0, 3.0]), np.array([1.0, 2.0, 4.0])),
                               [[0.0, 2.0], [3.0, 4.0]])
    s = np.arange(6.0)
    np.testing.assert_allclose(geo.visible_spans(s, np.array([0, 0, 1, 1, 0, 0], bool)), [[1.0, 4.0]])


def test_ribbon_has_the_requested_width_and_length():
    line = np.array([[0.0, 0.0], [10.0, 0.0], [20.0, 0.0]])
    verts, sizes = geo.ribbon_batch(line, np.array([0.0, 10.0, 20.0]), np.array([[2.0, 5.0], [8.0, 14.0]]),
                                    0.5, 0.2, 1.0)
    polys = np.split(verts, np.cumsum(sizes)[:-1])
    assert [round(_area(p), 9) for p in polys] == [0.6, 1.2]
    np.testing.assert_allclose([polys[0][:, 1].min(), polys[0][:, 1].max()], [0.4, 0.6])


def test_densify_splits_long_edges_only():
    square = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    out, sizes = geo.densify_batch(square, np.array([4]), 0.25)
    assert sizes.tolist() == [16] and _area(out) == 1.0
    same, sizes = geo.densify_batch(square, np.array([4]), 2.0)
    assert sizes.tolist() == [4] and np.array_equal(same, square)


def test_hash_is_deterministic_and_uniform():
    k = np.arange(20000)
    h = geo.hash01(k, np.full_like(k, 7))
    assert np.array_equal(h, geo.hash01(k, np.full_like(k, 7)))
    assert 0.0 <= h.min() and h.max() < 1.0 and abs(h.mean() - 0.5) < 0.01
    assert not np.array_equal(h, geo.hash01(k, np.full_like(k, 8)))


def test_hash_fields_are_four_independent_uniforms():
    k = np.arange(20000)
    u = geo.hash_fields(k, 3)
    assert u.shape == (20000, 4) and 0.0 <= u.min() and u.max() < 1.0
    assert np.all(np.abs(u.mean(axis=0) - 0.5) < 0.01)
    assert abs(np.corrcoef(u[:, 0], u[:, 1])[0, 1]) < 0.03
