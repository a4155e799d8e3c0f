"""Datagen on short episodes: labelled shards, suite weighting, extending data instead of regenerating it."""
import json
from dataclasses import replace

import numpy as np
import pytest

from lcc_plus.common.types import Perception
from lcc_plus.sim.ground_truth import GroundTruthParams
from lcc_plus.vla import datagen
from lcc_plus.vla import dataset as ds
from lcc_plus.vla.decode import LAYOUT, PATH_XY_SCALE_M
from lcc_plus.vla.preprocess import SPEED_SCALE_MPS


def _params(**kw):
    base = dict(out_dir="unused", scenarios="curve_speed", episodes=1, first_seed=500000, episode_duration_s=3.0,
                control_dt_s=0.05, frame_gap_s=0.1, num_frames=2, width=64, height=32, crop_top_frac=0.36,
                crop_bottom_frac=0.94, randomize_appearance=True, recovery_fraction=0.5,
                perturbation_rate_per_min=6.0, perturbation_lat_accel_mps2=1.5, perturbation_duration_s=1.0,
                curve_pace_fraction=0.0, curve_pace_min=0.7, curve_pace_max=1.5, curve_pace_hold_s=8.0,
                placement_fraction=0.0, placement_offset_max_m=0.7, placement_speed_min=0.3,
                placement_shift_rate_mps=0.3, placement_hold_s=8.0, placement_edge_margin_m=0.5,
                placement_clear_ahead_m=50.0,
                bend_variation_fraction=0.0, bend_radius_scale_min=0.8, bend_radius_scale_max=1.3, lane_change_rate_per_min=2.0, lane_change_hold_s=7.0, dagger_episodes=0, dagger_driver="path", dagger_takeover_m=1.0,
                workers=1, shard_samples=1000)
    base.update(kw)
    return datagen.DatagenParams(**base)


def test_suite_names_expand_and_repeat_weights():
    names = datagen.scenario_names(_params(scenarios="small_roads, small_roads,curve_speed"))
    assert names.count("parked_village") == 2 and names.count("curve_speed") == 1
    assert len(datagen.scenario_names(_params(scenarios="all"))) == 20
    with pytest.raises(ValueError, match="unknown scenario or suite 'no_such_road'"):
        datagen.scenario_names(_params(scenarios="all,no_such_road"))


def test_curve_pace_scales_the_curve_accel_and_is_redrawn_after_its_hold():
    base = GroundTruthParams.from_config()
    rng = np.random.default_rng(3)
    assert datagen._CurvePace(_params(), rng, False, base).params_at(0.0) is None
    pace = datagen._CurvePace(_params(curve_pace_hold_s=4.0), rng, True, base)
    first = pace.params_at(0.0)
    ratio = first.lat_accel_mps2 / base.lat_accel_mps2
    assert 0.7 ** 2 <= ratio <= 1.5 ** 2 and first.brake_plan_mps2 == base.brake_plan_mps2
    assert pace.params_at(1.9) is first           # held at least half of curve_pace_hold_s
    assert pace.params_at(4.0) is not first       # and at most all of it


def _episode_off_and_on(scenario: str, duration_s: float, fraction_key: str, **kw) -> dict:
    """The same expert episode with the option `fraction_key` off (0.0) and on (1.0): {fraction: samples}."""
    datagen._worker_init(_params(), datagen.input_manifest(_params()))
    job = datagen.EpisodeJob(scenario, 500002, 500002, "expert")
    runs = {}
    for fraction in (0.0, 1.0):
        datagen._WORKER["p"] = _params(episode_duration_s=duration_s, lane_change_rate_per_min=0.0,
                                       **{fraction_key: fraction}, **kw)
        runs[fraction] = datagen.run_episode(job)
    return runs


def test_a_paced_episode_takes_the_bend_faster_and_labels_the_experts_plan():
    """curve_speed at 1.5x the expert's curve speed: the car is faster in the bend, and the label's
    speed profile still brakes towards the expert's speed (it is the plan from where the car is)."""
    runs = _episode_off_and_on("curve_speed", 14.0, "curve_pace_fraction", curve_pace_min=1.5, curve_pace_max=1.5,
                               curve_pace_hold_s=60.0)
    speed = {f: r["state"][:, 0] * SPEED_SCALE_MPS for f, r in runs.items()}
    n = min(len(speed[0.0]), len(speed[1.0]))
    assert n > 100
    assert np.max(speed[1.0][:n] - speed[0.0][:n]) > 2.0
    # Label speed at 5 s relative to now: where the paced car is faster, the plan slows it more.
    dv_5s = {f: r["target"][:, LAYOUT.speed.stop - 1] for f, r in runs.items()}
    faster = speed[1.0][:n] - speed[0.0][:n] > 1.5
    assert faster.any() and np.mean(dv_5s[1.0][:n][faster]) < np.mean(dv_5s[0.0][:n][faster])


def test_placement_moves_to_its_offset_at_its_rate_along_the_normal_and_slows_the_path():
    rng = np.random.default_rng(5)
    x = np.linspace(0.0, 40.0, 21)
    bend = Perception(path_t_s=np.linspace(0.0, 4.0, 21), path_x_m=x, path_y_m=0.02 * x ** 2,
                      path_speed_mps=np.full(21, 10.0))
    assert datagen._Placement(_params(), rng, False).apply(0.0, bend) is bend
    placement = datagen._Placement(_params(placement_hold_s=60.0), rng, True)
    assert np.allclose(placement.apply(0.0, bend).path_y_m, bend.path_y_m)  # no jump at the start
    target = placement.target_m
    assert 0.0 < abs(target) <= 0.7 and 0.3 <= placement.speed_factor <= 1.0
    moved = placement.apply(1.0, bend)
    offset = np.hypot(moved.path_x_m - bend.path_x_m, moved.path_y_m - bend.path_y_m)
    assert np.allclose(offset, min(abs(target), 0.3))                      # 0.3 m/s for 1 s
    heading = np.arctan2(np.gradient(bend.path_y_m), np.gradient(x))
    normal_component = ((moved.path_x_m - bend.path_x_m) * -np.sin(heading)
                        + (moved.path_y_m - bend.path_y_m) * np.cos(heading))
    assert np.allclose(normal_component, np.sign(target) * min(abs(target), 0.3))  # sideways, not along
    assert np.allclose(moved.path_speed_mps, 10.0 * placement.speed_factor)
    assert np.allclose(placement.apply(10.0, bend).path_y_m - bend.path_y_m,
                       target * np.cos(heading))                           # then held where drawn


def test_a_placement_episode_drives_off_centre_and_slower_and_labels_the_truth_from_there():
    runs = _episode_off_and_on("narrow_curves", 10.0, "placement_fraction")
    speed = {f: r["state"][:, 0] * SPEED_SCALE_MPS for f, r in runs.items()}
    assert np.max(speed[0.0] - speed[1.0]) > 3.0
    # The label path's first station, seen from the car: on it for the expert, off it when placed.
    y_first_m = {f: np.abs(r["target"][:, LAYOUT.geometry][:, 1]) * PATH_XY_SCALE_M[0] for f, r in runs.items()}
    assert np.max(y_first_m[0.0]) < 0.1 and np.max(y_first_m[1.0]) > 0.25


def test_placement_heads_for_the_drawn_offset_clipped_to_the_room_and_back_when_there_is_none():
    x = np.linspace(0.0, 40.0, 21)
    straight = Perception(path_t_s=np.linspace(0.0, 4.0, 21), path_x_m=x, path_y_m=np.zeros(21),
                          path_speed_mps=np.full(21, 10.0))
    placement = datagen._Placement(_params(placement_hold_s=60.0, placement_offset_max_m=1.5), np.random.default_rng(2), True)  # draws -0.72 m
    placement.apply(0.0, straight, 0.2, 0.1)
    target = placement.target_m
    assert abs(target) > 0.2
    held = placement.apply(20.0, straight, 0.2, 0.1).path_y_m
    assert np.allclose(held, np.clip(target, -0.1, 0.2))
    assert np.allclose(placement.apply(21.0, straight, 0.2, 0.5).path_y_m, -0.4)  # towards -0.5 at 0.3 m/s
    # No room on the side of the offset (negative: the path itself is already closer to the edge than
    # the margin): back to the path at the shift rate, not in a jump.
    assert np.allclose(placement.apply(21.5, straight, 0.2, -0.3).path_y_m, np.sign(target) * 0.25)
    assert np.allclose(placement.apply(23.0, straight, 0.2, -0.3).path_y_m, 0.0)


def test_placement_room_is_the_lane_less_the_margin_from_the_path_and_none_in_a_lane_change():
    from lcc_plus.common.types import IntentKind
    from lcc_plus.sim import ground_truth, scenarios
    from lcc_plus.sim.world import World

    p = _params()
    highway = World(scenarios.get("highway_cut_in"), 0, render=False)  # 3.5 m lane, the path on its middle
    room = datagen._placement_room(highway, ground_truth.perceive_with_plan(highway, IntentKind.KEEP_LANE)[1], p)
    assert room == pytest.approx((1.75 - 0.925 - 0.5,) * 2)
    for change in (IntentKind.CHANGE_LEFT, IntentKind.CHANGE_RIGHT):
        assert datagen._placement_room(highway, ground_truth.perceive_with_plan(highway, change)[1], p) == (0.0, 0.0)
    # A two-way 5 m road: the keep-right path leaves the room on its left; to its right the car is
    # already nearer the edge than the margin, so there is none.
    narrow = World(scenarios.get("narrow_curves"), 0, render=False)
    left, right = datagen._placement_room(narrow, ground_truth.perceive_with_plan(narrow, IntentKind.KEEP_LANE)[1], p)
    assert left + right == pytest.approx(2 * (2.5 - 0.925 - 0.5)) and right < 0.0 < left


def test_a_placed_parked_village_keeps_off_the_curb_and_the_parked_cars(monkeypatch):
    """Offsets up to 1.5 m: unbounded, the simulated driver took over twice in this episode (the
    curb at 2.2 s, a parked car at TTC 1.1 s); within the road's room and none beside parked cars, never."""
    from lcc_plus.sim import world as world_module

    worlds = []

    class Recorded(world_module.World):
        def __init__(self, *args, **kw):
            super().__init__(*args, **kw)
            worlds.append(self)

    monkeypatch.setattr(world_module, "World", Recorded)
    runs = _episode_off_and_on("parked_village", 40.0, "placement_fraction", recovery_fraction=0.0,
                               placement_offset_max_m=1.5, placement_hold_s=6.0)
    y_first_m = np.abs(runs[1.0]["target"][:, LAYOUT.geometry][:, 1]) * PATH_XY_SCALE_M[0]
    assert len(worlds) == 2 and np.max(y_first_m) > 0.25   # it was placed
    assert [e for e in worlds[1].log.events if e.kind in ("takeover_driver", "lane_departure", "collision")] == []


def test_bend_variation_draws_the_episodes_road_from_the_scenarios_own(monkeypatch):
    from lcc_plus.sim import scenarios

    drawn = []
    real = scenarios.with_varied_bends

    def spy(scenario, rng, lo, hi):
        drawn.append((scenario.name, lo, hi))
        return real(scenario, rng, lo, hi)

    monkeypatch.setattr(scenarios, "with_varied_bends", spy)
    runs = _episode_off_and_on("narrow_curves", 12.0, "bend_variation_fraction")
    assert drawn == [("narrow_curves", 0.8, 1.3)]
    assert len(runs[1.0]["frames"]) == len(runs[0.0]["frames"]) == 120
    assert not np.allclose(runs[1.0]["target"][:, LAYOUT.geometry], runs[0.0]["target"][:, LAYOUT.geometry])


def test_more_episodes_extend_the_data_and_another_config_regenerates(tmp_path):
    p = _params()
    first = datagen.generate(p, tmp_path)
    assert first["episodes_done"] == [500000] and not first["failures"]
    shard = tmp_path / "expert-0000.npz"
    before = shard.read_bytes()
    data = ds.load(tmp_path)
    assert len(data) == first["scenarios"]["curve_speed"] == 30  # 3 s of 10 Hz frames
    assert data.frames.shape[1:] == (32, 64, 3) and np.all(np.isfinite(data.target))

    more = datagen.generate(replace(p, episodes=2), tmp_path)
    assert more["episodes_done"] == [500000, 500001]
    assert shard.read_bytes() == before          # the first episode was not run again
    assert sorted(f.name for f in tmp_path.glob("*.npz")) == ["expert-0000.npz", "expert1-0000.npz"]
    assert sorted(np.unique(ds.load(tmp_path).episode)) == [500000, 500001]

    other = datagen.generate(replace(p, width=48), tmp_path)
    assert other["episodes_done"] == [500000]
    assert [f.name for f in tmp_path.glob("*.npz")] == ["expert-0000.npz"]
    assert json.loads((tmp_path / ds.MANIFEST).read_text())["config"]["width"] == 48


def test_a_parked_car_the_expert_passes_is_still_the_labelled_lead():
    from sim_helpers import follow_command

    from lcc_plus.common.types import Intent, TakeoverDemand
    from lcc_plus.sim import ground_truth, scenarios
    from lcc_plus.sim.world import World

    world = World(scenarios.get("parked_village"), 0, render=False)
    passing = None
    while passing is None and world.time_s < 30.0:
        world.step(follow_command(world), TakeoverDemand())
        gt = ground_truth.perceive(world)
        if np.max(np.abs(gt.path_y_m)) > 1.5 and gt.lead.probability == 0.0:  # the path bends round a car
            passing = gt
    assert passing is not None
    labelled = datagen._with_lane_leads(passing, world, Intent())
    st = world.vehicle.state
    parked = [a for a in world.traffic.agents if a.static]
    ahead = min(np.hypot(a.x_m - st.x_m, a.y_m - st.y_m) for a in parked
                if np.cos(st.yaw_rad) * (a.x_m - st.x_m) + np.sin(st.yaw_rad) * (a.y_m - st.y_m) > 0.0)
    assert labelled.lead.probability == 1.0 and labelled.lead.relative_speed_mps < -1.0
    assert labelled.lead.distance_m < ahead  # bumper to bumper, the nearest parked car ahead
    assert labelled.path_y_m is passing.path_y_m  # the path label still passes it


@pytest.mark.parametrize("scenario", ["narrow_curves", "urban_two_way_slow_lead"])
def test_an_oncoming_car_is_the_labelled_left_lead(scenario):
    """One lanelet both ways share (narrow_curves) or an opposite lanelet (urban): the oncoming car
    is the left lead, closing faster than the ego drives, and never the ego lane's lead."""
    from sim_helpers import follow_command

    from lcc_plus.common.types import TakeoverDemand
    from lcc_plus.sim import ground_truth, scenarios
    from lcc_plus.sim.world import World

    world = World(scenarios.get(scenario), 0, render=False)
    seen = []
    while world.time_s < 14.0:
        world.step(follow_command(world), TakeoverDemand())
        lead, left, _ = ground_truth.lane_leads(world)
        if left.probability == 1.0:
            seen.append(left.distance_m)
            assert left.relative_speed_mps < -world.vehicle.state.speed_mps - 5.0
            if left.distance_m < 100.0:  # (further on, round a bend, the projection on our line is rough)
                assert abs(left.lateral_offset_m) < 0.5  # in the middle of the oncoming side
        assert lead.probability == 0.0 or lead.relative_speed_mps > -world.vehicle.state.speed_mps - 1.0
    assert len(seen) > 20 and seen[-1] < seen[0] - 50.0


def test_dagger_episodes_are_driven_by_the_evaluated_stack(monkeypatch):
    """Every command the world gets in a DAgger episode is the stack pipeline's (model, ModeManager,
    Controller, SafetyMonitor), the model sees each rendered frame, and every sample is labelled."""
    from lcc_plus.sim.world import World
    from lcc_plus.vla.runtime import load_params

    p = _params(width=160, height=80, episode_duration_s=4.0, dagger_driver="stack")
    datagen._worker_init(p, datagen.input_manifest(p))
    issued, applied, frames = [], [], []
    real_stack = datagen._stack

    def spied_stack(model_path):
        stack = real_stack(model_path)
        act = stack.act

        def spied_act(obs):
            frames.append(obs.image_rgb)
            out = act(obs)
            issued.append(out[0])
            return out

        stack.act = spied_act
        return stack

    real_step = World.step

    def spied_step(self, command, takeover=None, dt_s=None):
        applied.append(command)
        return real_step(self, command, takeover, dt_s)

    monkeypatch.setattr(datagen, "_stack", spied_stack)
    monkeypatch.setattr(World, "step", spied_step)
    ep = datagen.run_episode(datagen.EpisodeJob("curve_speed", 500003, 500003, "dagger",
                                                str(load_params().resolved_model_path())))
    assert len(ep["frames"]) == 40 and set(ep["source"]) == {datagen.SOURCE_INDEX["dagger"]}
    assert len(applied) == len(issued) == 80
    assert all(a is b for a, b in zip(applied, issued))
    # 20 Hz control, 10 Hz camera: each frame reaches the model on two steps, then the next one.
    assert all(f is not None for f in frames) and len({id(f) for f in frames}) == 40
    assert np.all(np.isfinite(ep["target"])) and np.all(ep["mask"][:, LAYOUT.path] == 1.0)
