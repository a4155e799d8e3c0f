"""Renderer: markings where the projection says, dash patterns, wear, vehicles, clipping, determinism."""
import dataclasses

import numpy as np
import pytest

from lcc_plus.sim.appearance import Appearance, DirtPatch
from lcc_plus.sim.camera_scenes import CarOnLane, road_scene
from lcc_plus.sim.render import Renderer
from lcc_plus.sim.render_geometry import world_to_base
from lcc_plus.sim.scene import Boundary, BoundaryKind, Pose2D, Scene, VehicleBox

K = BoundaryKind


BARREL = {"distortion_model": "plumb_bob", "distortion_coeffs": [-0.10, 0.02, 0.0, 0.0, 0.0]}


@pytest.fixture(scope="module", params=["ideal lens", "barrel lens"])
def renderer(request) -> Renderer:
    """Every test runs with the default ideal lens and with a distorting one (rendered via a remap)."""
    return Renderer.from_config(BARREL if request.param == "barrel lens" else None)


def _pixels(renderer: Renderer, scene: Scene, world_xy: np.ndarray) -> np.ndarray:
    uv, ok = renderer.camera.ground_to_pixel(world_to_base(world_xy, scene.ego))
    assert ok.all()
    return np.round(uv).astype(int)


def _colour_at(img: np.ndarray, uv: np.ndarray) -> np.ndarray:
    return img[uv[:, 1], uv[:, 0]].astype(int)


def _is_paint(rgb: np.ndarray) -> np.ndarray:
    return rgb.min(axis=-1) > 170


def _line_points(scene: Scene, index: int, ahead_m: np.ndarray) -> np.ndarray:
    """World points on boundary `index` at the given distances ahead of the ego (straight road along +x)."""
    pts = scene.boundaries[index].points_xy
    return np.column_stack([scene.ego.x_m + ahead_m, np.full_like(ahead_m, pts[0, 1])])


def test_image_shape_and_type(renderer):
    img = renderer.render(road_scene())
    assert img.shape == (renderer.camera.height, renderer.camera.width, 3) and img.dtype == np.uint8


def test_marking_pixels_sit_where_the_projection_says(renderer):
    scene = road_scene(lanes=2, kinds=[K.SOLID, K.SOLID, K.SOLID])
    img = renderer.render(scene)
    ahead = np.array([12.0, 16.0, 20.0, 24.0])
    for i in range(3):
        assert _is_paint(_colour_at(img, _pixels(renderer, scene, _line_points(scene, i, ahead)))).all()
    # between the lines: asphalt, darker than paint and not green
    mid = np.column_stack([scene.ego.x_m + ahead, np.full(4, 1.75 + 0.9)])
    asphalt = _colour_at(img, _pixels(renderer, scene, mid))
    assert (asphalt.max(axis=1) < 140).all()
    assert (np.abs(asphalt[:, 1] - asphalt[:, 0]) < 15).all()
    # beyond the outer line: grass (green dominates)
    grass = _colour_at(img, _pixels(renderer, scene, np.column_stack([scene.ego.x_m + ahead + 4.0, np.full(4, 7.8)])))
    assert (grass[:, 1] > grass[:, 0] + 15).all()


def test_solid_and_dashed_lines_differ_along_the_line(renderer):
    scene = road_scene(lanes=2, kinds=[K.SOLID, K.DASHED, K.SOLID], dash_m=(3.0, 9.0))
    img = renderer.render(scene)
    ahead = np.arange(5.0, 25.0, 0.5)
    solid = _is_paint(_colour_at(img, _pixels(renderer, scene, _line_points(scene, 0, ahead))))
    dashed = _is_paint(_colour_at(img, _pixels(renderer, scene, _line_points(scene, 1, ahead))))
    assert solid.all()
    assert 0.15 < dashed.mean() < 0.45  # 3 m of paint every 12 m, blurred a little at the dash ends


def test_dashes_stay_fixed_to_the_ground_as_the_car_moves(renderer):
    ahead = np.arange(8.0, 20.0, 0.25)
    painted = []
    for ego_s in (20.0, 21.3):
        scene = road_scene(lanes=2, ego_s_m=ego_s, dash_m=(3.0, 3.0))
        world = np.column_stack([20.0 + ahead, np.full_like(ahead, 3.5)])
        painted.append(_is_paint(_colour_at(renderer.render(scene), _pixels(renderer, scene, world))))
    assert 0.3 < painted[0].mean() < 0.7
    assert (painted[0] == painted[1]).mean() > 0.9  # only the dash ends may blur differently


def test_cropped_boundary_with_arc_start_renders_the_same(renderer):
    scene = road_scene(lanes=2, dash_m=(3.0, 3.0))
    line = scene.boundaries[1]
    cropped = dataclasses.replace(line, points_xy=line.points_xy[7:], arc_start_m=7.0)
    img_full = renderer.render(scene)
    img_crop = renderer.render(dataclasses.replace(scene, boundaries=[*scene.boundaries[:1], cropped,
                                                                      *scene.boundaries[2:]]))
    assert np.abs(img_full.astype(int) - img_crop).max() <= 2


def _paint_count(img: np.ndarray) -> int:
    return int(_is_paint(img[250:].astype(int)).sum())


def test_worn_markings_have_fewer_marking_pixels(renderer):
    counts = [_paint_count(renderer.render(road_scene(lanes=3, wear=w))) for w in (0.0, 0.5, 1.0)]
    assert counts[0] > 1.5 * counts[1] > 0
    assert counts[2] == 0
    look = Appearance(marking_wear=0.5)
    assert _paint_count(renderer.render(road_scene(lanes=3), look)) < 0.7 * counts[0]


def test_virtual_and_unknown_lines_draw_nothing(renderer):
    scene = road_scene(lanes=2, kinds=[K.VIRTUAL, K.UNKNOWN, K.VIRTUAL])
    assert _paint_count(renderer.render(scene)) == 0


def test_yellow_and_double_lines(renderer):
    scene = road_scene(lanes=2, kinds=[K.SOLID, K.DOUBLE_SOLID, K.SOLID], colors=["white", "yellow", "white"])
    img = renderer.render(scene)
    ahead = np.array([8.0, 12.0])
    centre = _colour_at(img, _pixels(renderer, scene, _line_points(scene, 1, ahead)))
    assert not _is_paint(centre).any()  # the gap between the two lines
    offset = 0.5 * (renderer.p.marking_width_m + renderer.p.double_line_gap_m)
    for side in (1.0, -1.0):
        pts = _line_points(scene, 1, ahead) + (0.0, side * offset)
        rgb = _colour_at(img, _pixels(renderer, scene, pts))
        assert (rgb[:, 0] > 170).all() and (rgb[:, 2] < rgb[:, 0] - 80).all()  # yellow


def test_curbstone_is_a_light_raised_band(renderer):
    scene = road_scene(lanes=1, kinds=[K.CURBSTONE, K.ROAD_BORDER])
    img = renderer.render(scene)
    ahead = np.array([8.0, 12.0])
    top = np.column_stack([scene.ego.x_m + ahead, np.zeros(2)])
    uv, ok = renderer.camera.project_base_link(
        np.column_stack([world_to_base(top, scene.ego), np.full(2, renderer.p.curb_height_m)]))
    rgb = _colour_at(img, np.round(uv).astype(int))
    np.testing.assert_allclose(rgb, np.tile(renderer.p.curb_top_rgb, (2, 1)), atol=25)


def test_vehicle_box_appears_at_its_projected_position(renderer):
    car = CarOnLane(lane=0, s_m=40.0, color_rgb=(20, 40, 220))
    scene = road_scene(lanes=2, cars=[car])
    img = renderer.render(scene)
    empty = renderer.render(dataclasses.replace(scene, vehicles=[]))
    v = scene.vehicles[0]
    rear_centre = np.array([[v.x_m - 0.5 * v.length_m, v.y_m]])
    base = world_to_base(rear_centre, scene.ego)
    uv, ok = renderer.camera.project_base_link(np.column_stack([base, [0.4 * v.height_m]]))
    u, vv = np.round(uv[0]).astype(int)
    rgb = img[vv, u].astype(int)
    assert rgb[2] > rgb[0] + 40  # the blue car's rear face
    assert np.abs(empty[vv, u].astype(int) - rgb).max() > 40
    # the box covers a blob around that point and nothing far to the side of it
    changed = np.abs(img.astype(int) - empty).max(axis=2) > 30
    ys, xs = np.nonzero(changed[:, :])
    assert abs(np.median(xs) - u) < 15


def test_geometry_behind_the_camera_does_not_wrap_around(renderer):
    road = road_scene(lanes=2, ego_s_m=0.0, cars=[CarOnLane(0, 15.0)])
    backwards = dataclasses.replace(road, ego=Pose2D(road.ego.x_m - 0.2, road.ego.y_m, np.pi))
    nothing = Scene(ego=backwards.ego, boundaries=[])
    # everything lies behind the camera, apart from the car's shadow that reaches a little past it
    diff = np.abs(renderer.render(backwards).astype(int) - renderer.render(nothing))
    assert diff.max() == 0


def test_vehicle_cut_by_the_near_plane_renders(renderer):
    scene = road_scene(lanes=2, ego_lane=0)
    car = VehicleBox(x_m=scene.ego.x_m + 1.5, y_m=scene.ego.y_m + 1.8, yaw_rad=0.0)
    img = renderer.render(dataclasses.replace(scene, vehicles=[car]))
    assert img.shape[2] == 3


def test_non_finite_ego_pose_is_a_clear_error(renderer):
    scene = road_scene(lanes=1)
    with pytest.raises(ValueError, match="ego pose"):
        renderer.render(dataclasses.replace(scene, ego=Pose2D(np.nan, 0.0, 0.0)))


def test_bad_boundaries_are_skipped_not_fatal(renderer):
    scene = road_scene(lanes=1)
    bad = [Boundary(np.zeros((1, 2)), K.SOLID), Boundary(np.full((5, 2), np.nan), K.DASHED),
           Boundary(np.zeros((4, 2)), K.SOLID)]
    img = renderer.render(dataclasses.replace(scene, boundaries=scene.boundaries + bad))
    assert np.array_equal(img, renderer.render(scene))


def test_rendering_is_deterministic_for_a_seed(renderer):
    scene = road_scene(lanes=3, ego_lane=1, cars=[CarOnLane(1, 45.0)])

    def draw(seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        return renderer.render(scene, Appearance.randomized(rng), rng)

    assert np.array_equal(draw(7), draw(7))
    assert not np.array_equal(draw(7), draw(8))


def test_every_randomization_effect_changes_the_image(renderer):
    scene = road_scene(lanes=2, cars=[CarOnLane(0, 40.0)])
    base = renderer.render(scene, Appearance(), np.random.default_rng(0)).astype(int)
    looks = [Appearance(brightness=1.3), Appearance(contrast=0.7), Appearance(temperature=0.1),
             Appearance(asphalt_offset=20.0), Appearance(vegetation_offset=-20.0), Appearance(haze=0.5),
             Appearance(noise_sigma=6.0), Appearance(motion_blur_px=5.0, motion_blur_angle_rad=0.3),
             Appearance(defocus_sigma_px=1.5), Appearance(shadow_density=1.5, shadow_strength=0.5, shadow_seed=3),
             Appearance(dirt=(DirtPatch(0.3, 0.7, 0.05, 0.07, 20.0, 40),)),
             Appearance(wiper_frame_probability=1.0)]
    for look in looks:
        img = renderer.render(scene, look, np.random.default_rng(0))
        assert np.abs(img.astype(int) - base).mean() > 0.2, look


def test_randomized_appearance_varies_and_stays_in_range():
    looks = [Appearance.randomized(np.random.default_rng(s)) for s in range(40)]
    assert len({a.brightness for a in looks}) == 40
    assert all(0.0 <= a.marking_wear <= 1.0 and a.noise_sigma >= 0.0 for a in looks)
    assert any(a.shadow_density > 0 for a in looks) and any(a.shadow_density == 0 for a in looks)


def test_far_away_map_parts_do_not_change_the_image(renderer):
    scene = road_scene(lanes=2)
    far = road_scene(lanes=2, ego_s_m=0.0)
    shift = np.array([5000.0, 0.0])
    extra = [dataclasses.replace(b, points_xy=b.points_xy + shift) for b in far.boundaries * 50]
    busy = dataclasses.replace(scene, boundaries=scene.boundaries + extra,
                               road_polygons=scene.road_polygons + [p + shift for p in far.road_polygons])
    assert np.array_equal(renderer.render(busy), renderer.render(scene))
