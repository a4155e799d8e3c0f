"""Privileged perception from the true map and objects, in base_link (REP-103).

This is what a perfect driving model would output: the four lane lines around the
ego as cubic fits with a probability and LineType, the leads in the ego and
adjacent lanes, and a path along the driving line (lane centre, keep-right on a
two-way lanelet, nudged past parked cars and obstacles when the way is clear, or
towards the adjacent lane for a lane change) with a speed profile that respects
the speed limit, curves and the lead (IDM). It is the expert's input and the VLA's
training label.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lcc_plus.common import params
from lcc_plus.common.params import spec
from lcc_plus.common.types import (
    LEAD_RANGE_M,
    LINE_EGO_LEFT,
    LINE_EGO_RIGHT,
    LINE_LEFT_OUTER,
    LINE_RANGE_MAX_M,
    LINE_RIGHT_OUTER,
    ForkPreference,
    IntentKind,
    LaneLine,
    Lead,
    Perception,
)
from lcc_plus.sim.polyline import Polyline, to_frame
from lcc_plus.sim.road import line_type
from lcc_plus.sim.scene import BoundaryKind
from lcc_plus.sim.traffic import idm

FIT_TOLERANCE_M = 0.1
MIN_FIT_REACH_M = 15.0
FORK_TO_PREFERENCE = {ForkPreference.DEFAULT: 0, ForkPreference.MAIN: 0, ForkPreference.LEFT: 1,
                      ForkPreference.RIGHT: -1}


@dataclass(frozen=True)
class GroundTruthParams:
    horizon_s: float = spec("path length in time", unit="s", min=4.0, max=12.0)
    path_points: int = spec("number of path samples", min=10, max=100)
    line_range_m: float = spec("lane lines are fitted up to this far ahead", unit="m", min=20.0,
                                max=LINE_RANGE_MAX_M)
    line_behind_m: float = spec("lane lines start this far behind base_link", unit="m", min=0.0, max=30.0)
    lat_accel_mps2: float = spec("curve speed: lateral acceleration allowed", unit="m/s^2", min=0.5, max=4.0)
    brake_plan_mps2: float = spec("deceleration used to plan ahead for curves and stops", unit="m/s^2",
                                  min=0.5, max=4.0)
    time_gap_s: float = spec("IDM time gap to the lead", unit="s", min=0.5, max=3.0)
    min_gap_m: float = spec("IDM standstill gap", unit="m", min=1.0, max=10.0)
    max_accel_mps2: float = spec("IDM acceleration", unit="m/s^2", min=0.3, max=3.0)
    comfort_decel_mps2: float = spec("IDM comfortable deceleration", unit="m/s^2", min=0.5, max=4.0)
    lane_change_s: float = spec("duration of a planned lane change", unit="s", min=3.0, max=8.0)
    nudge_margin_m: float = spec("lateral clearance kept to parked cars and obstacles", unit="m",
                                 min=0.2, max=2.0)
    wait_behind_static_m: float = spec("extra gap kept behind a parked car or obstacle, room to swing out "
                                       "past it from standstill", unit="m", min=0.0, max=20.0)
    unknown_line_probability: float = spec("probability given to lines the map leaves untyped", min=0.0, max=1.0)

    @classmethod
    def from_config(cls, overrides: dict | None = None) -> GroundTruthParams:
        return params.load(cls, "sim.yaml", "sim_ground_truth", overrides)


def line_probability(kind: BoundaryKind, wear: float, unknown_p: float) -> float:
    if kind == BoundaryKind.VIRTUAL:
        return 0.0
    if kind == BoundaryKind.UNKNOWN:
        return unknown_p
    if kind in (BoundaryKind.ROAD_BORDER, BoundaryKind.CURBSTONE):
        return 1.0
    return float(np.clip(1.0 - wear, 0.0, 1.0))


def fit_line(points_ego: np.ndarray, x_lo: float, x_hi: float,
             max_turn_rad: float = 0.6) -> tuple[np.ndarray, float, float] | None:
    """Cubic y(x) through an ordered line in base_link, or None if too little of it is usable.

    Only the stretch around the nearest point where x keeps growing and the line turns
    less than max_turn_rad is used (a hairpin folds back: y(x) is no function there);
    nearer points weigh more, as the controller needs the near field most."""
    if len(points_ego) < 2:
        return None
    dense = Polyline(points_ego).resampled(2.0).points if len(points_ego) > 1 else points_ego
    i0 = int(np.argmin(np.hypot(dense[:, 0], dense[:, 1])))
    seg = np.diff(dense, axis=0)
    heading = np.arctan2(seg[:, 1], seg[:, 0])
    ok = (seg[:, 0] > 0.0) & (np.abs(heading) < max_turn_rad)
    lo = i0
    while lo > 0 and ok[lo - 1] and dense[lo - 1, 0] >= x_lo:
        lo -= 1
    hi = i0
    while hi < len(ok) and ok[hi] and dense[hi + 1, 0] <= x_hi:
        hi += 1
    pts = dense[lo:hi + 1]
    # Shorten the reach until the cubic follows the line within FIT_TOLERANCE_M (S-bends).
    while True:
        if len(pts) < 4 or np.ptp(pts[:, 0]) < 5.0:
            return None
        # Fit in a scaled variable for conditioning, then expand to plain coefficients.
        scale = max(abs(pts[:, 0]).max(), 1.0)
        weights = 1.0 / (1.0 + np.abs(pts[:, 0]) / 20.0)
        c = np.polynomial.polynomial.polyfit(pts[:, 0] / scale, pts[:, 1], 3, w=weights)
        coef = c / scale ** np.arange(4)
        resid = np.abs(np.polynomial.polynomial.polyval(pts[:, 0], coef) - pts[:, 1]).max()
        if resid <= FIT_TOLERANCE_M or pts[-1, 0] <= MIN_FIT_REACH_M:
            return coef, float(pts[:, 0].min()), float(pts[:, 0].max())
        pts = pts[pts[:, 0] <= max(MIN_FIT_REACH_M, 0.7 * pts[-1, 0])]


def lane_lines(world, chain: list[int], p: GroundTruthParams) -> list[LaneLine]:
    """LaneLines around the ego from the ego lane chain and its neighbours' chains."""
    net, st = world.net, world.vehicle.state
    pose = (st.x_m, st.y_m, st.yaw_rad)
    first = net.lanes[chain[0]]
    sources = [(LINE_EGO_LEFT, chain, "left", True), (LINE_EGO_RIGHT, chain, "right", True)]
    if first.left_id is not None:
        sources.append((LINE_LEFT_OUTER, _neighbour_chain(net, chain, "left_id"), "left", True))
    elif first.opposite_id is not None:
        # Two-way road: the far edge of the oncoming lane is its right bound (it runs the other way).
        sources.append((LINE_LEFT_OUTER, _neighbour_chain(net, chain, "opposite_id"), "right", False))
    if first.right_id is not None:
        sources.append((LINE_RIGHT_OUTER, _neighbour_chain(net, chain, "right_id"), "right", True))
    lines = [LaneLine() for _ in range(4)]
    for index, ch, side, side_forward in sources:
        if not ch:
            continue
        bounds = [getattr(net.lanes[i], side) for i in ch]
        pts = np.vstack([b.points_xy if side_forward else b.points_xy[::-1] for b in bounds])
        fit = fit_line(to_frame(pts, *pose), -p.line_behind_m, p.line_range_m)
        if fit is None:
            continue
        # The line the camera sees right beside the car decides its type.
        near = bounds[0] if len(bounds) == 1 else bounds[_nearest_bound(bounds, pose)]
        prob = line_probability(near.kind, near.wear, p.unknown_line_probability)
        lines[index] = LaneLine(fit[0], fit[1], fit[2], prob, line_type(near.kind))
    return lines


def _nearest_bound(bounds, pose) -> int:
    d = [float(np.min(np.hypot(b.points_xy[:, 0] - pose[0], b.points_xy[:, 1] - pose[1]))) for b in bounds]
    return int(np.argmin(d))


def _neighbour_chain(net, chain: list[int], attr: str) -> list[int]:
    out = []
    for lane_id in chain:
        nb = getattr(net.lanes[lane_id], attr)
        if nb is None:
            if out:
                break
            continue
        out.append(nb)
    return out


def perceive(world, intent: IntentKind | None = None, fork: ForkPreference = ForkPreference.DEFAULT,
             p: GroundTruthParams | None = None, nudge: bool = True) -> Perception:
    """Ground-truth Perception for the world's current instant (see `perceive_with_plan`)."""
    return perceive_with_plan(world, intent, fork, p, nudge)[0]


def perceive_with_plan(world, intent: IntentKind | None = None, fork: ForkPreference = ForkPreference.DEFAULT,
                       p: GroundTruthParams | None = None, nudge: bool = True) -> tuple[Perception, PathPlan]:
    """Ground-truth Perception for the world's current instant, and the plan it comes from.

    intent: a lane change to label (None: the lane change the world sees under way,
    else keep the lane). fork: which branch to take at a split. nudge: bend the path
    past parked cars and obstacles when no oncoming car is in the way, as a driver
    would (the default: what the model learns and the expert gets); with False they
    are leads and the speed plan stops behind them, leaving the pass to the planner. Lead distances are bumper to
    bumper (ego front to the object's rear), lateral offsets from the centre of the
    lead's lane (LeadEstimate.msg); the ego lane's lead is the nearest object in the
    corridor of the driving line."""
    p = p or world.gt_params
    plan = plan_path(world, intent, fork, p, nudge)
    st = world.vehicle.state
    pose = (st.x_m, st.y_m, st.yaw_rad)
    path_ego = to_frame(plan.xy, *pose)
    out = Perception(stamp_s=world.time_s, path_t_s=plan.t_s, path_x_m=path_ego[:, 0], path_y_m=path_ego[:, 1],
                     path_speed_mps=plan.speed_mps, lane_lines=lane_lines(world, plan.own_chain, p),
                     intent=plan.intent, fork_preference=fork, lane_change_progress=plan.lc_progress,
                     confidence=1.0, model_id="ground_truth")
    out.lead, out.lead_left, out.lead_right = leads(world, plan)
    return out, plan


def lane_leads(world, intent: IntentKind | None = None, fork: ForkPreference = ForkPreference.DEFAULT,
               p: GroundTruthParams | None = None) -> tuple[Lead, Lead, Lead]:
    """`leads` of the lane's own driving line, not nudged past parked cars: a parked car the
    nudged path passes is still the lead (what `perceive(..., nudge=False)` reports, without its
    lane lines)."""
    return leads(world, plan_path(world, intent, fork, p or world.gt_params, nudge=False))


def driving_line_ahead(world, plan: PathPlan, stations_m: np.ndarray) -> np.ndarray:
    """The plan's driving line at arc lengths `stations_m` ahead of the ego's projection, (N, 2) in
    base_link; NaN rows where the line ends before the station (a dead end, the map's edge)."""
    st = world.vehicle.state
    s = plan.s0_m + np.asarray(stations_m, dtype=float)
    xy = to_frame(plan.line.xy_at(s, np.interp(s, plan.line.s, plan.offset_m)), st.x_m, st.y_m, st.yaw_rad)
    xy[s > plan.line.length] = np.nan
    return xy


@dataclass
class PathPlan:
    """The driving line and speed plan in the world frame."""

    t_s: np.ndarray
    xy: np.ndarray
    speed_mps: np.ndarray
    line: Polyline              # centre line of the chain the path follows
    s0_m: float                 # ego position along `line`
    offset_m: np.ndarray        # lateral offset of the driving line at line.s samples
    own_chain: list[int]
    intent: IntentKind
    lc_progress: float
    lead_gap_m: float
    lead_speed_mps: float


def plan_path(world, intent: IntentKind | None, fork: ForkPreference, p: GroundTruthParams,
              nudge: bool = True) -> PathPlan:
    net, st, vp = world.net, world.vehicle.state, world.vp
    pos = world.drive_pos()  # off the road or in the oncoming lane: the way back
    pref = FORK_TO_PREFERENCE[ForkPreference(fork)]
    horizon_m = max(150.0, st.speed_mps * p.horizon_s * 1.5 + 60.0)
    own_chain = net.lane_chain(pos.lane_id, horizon_m, pos.s_m, pref)
    lc = world.lane_change
    target_id, progress, lc_intent = None, 0.0, IntentKind.KEEP_LANE
    if lc is not None and lc.started:
        target_id, lc_intent, progress = lc.target_lane_id, lc.intent, lc.progress(world)
    elif intent in (IntentKind.CHANGE_LEFT, IntentKind.CHANGE_RIGHT):
        lane = net.lanes[pos.lane_id]
        target_id = lane.left_id if intent == IntentKind.CHANGE_LEFT else lane.right_id
        lc_intent = intent if target_id is not None else IntentKind.KEEP_LANE
    if target_id == pos.lane_id or (target_id is not None and target_id == net.lanes[pos.lane_id].opposite_id):
        # Already crossed over; or an overtake through the oncoming lane, which the
        # driving line of our lane still describes (the planner adds the offset).
        target_id = None
    chain = net.lane_chain(target_id, horizon_m, 0.0, pref, behind_m=0.0) if target_id is not None else own_chain
    # Include the lane behind so that the projection of the ego is always inside the line.
    ids = _with_predecessor(net, chain)
    line = net.chain_polyline(ids)
    s0 = float(line.project(np.array([[st.x_m, st.y_m]]), -1e9, 1e9)[0][0])
    s_grid = line.s
    base = _driving_offsets(net, ids, line, vp.width_m)
    offset = base.copy()
    if target_id is not None:
        d_now = float(line.project(np.array([[st.x_m, st.y_m]]))[1][0])
        ramp = max(25.0, st.speed_mps * p.lane_change_s * max(0.2, 1.0 - progress))
        tau = np.clip((s_grid - s0) / ramp, 0.0, 1.0)
        offset = d_now + (base - d_now) * tau * tau * (3.0 - 2.0 * tau)
    if nudge:
        offset, blockers = _nudge(world, line, s0, offset, p)
    else:
        blockers = {a.id for a in world.traffic.agents if a.static}
    gap, v_lead = _lead_on_line(world, line, s0, offset, blockers)
    end_gap = _lane_end_gap(net, chain, line, s0)
    t, s, v = _speed_plan(world, line, ids, s0, gap, v_lead, end_gap, p)
    d = np.interp(s, s_grid, offset)
    xy = line.xy_at(s, d)
    return PathPlan(t, xy, v, line, s0, offset, own_chain, lc_intent, progress, gap, v_lead)


def _with_predecessor(net, chain: list[int]) -> list[int]:
    preds = net.lanes[chain[0]].predecessors
    return ([min(preds)] + chain) if preds and min(preds) not in chain else chain


def _driving_offsets(net, ids: list[int], line: Polyline, width_m: float) -> np.ndarray:
    """Driving line offset from the chain centre at each sample of line.s."""
    out = np.zeros(len(line.s))
    starts = net.chain_start_s(ids)
    for lane_id in ids:
        lane = net.lanes[lane_id]
        if lane.one_way:
            continue
        m = (line.s >= starts[lane_id]) & (line.s <= starts[lane_id] + lane.length)
        s_loc = line.s[m] - starts[lane_id]
        left, right = lane.offsets_at(s_loc)
        out[m] = lane.driving_offset_at(s_loc, width_m) - 0.5 * (left + right)
    return out


def agents_on_line(world, line: Polyline, s0: float):
    """Agents with their (s, d) on the line, cached for the line within one world step."""
    key = (id(line), s0, world.time_s)
    cache = world.agents_on_line_cache
    if key not in cache:
        cache.clear()
        agents = world.traffic.agents
        if not agents:
            cache[key] = (agents, np.zeros(0), np.zeros(0))
        else:
            xy = np.array([[a.x_m, a.y_m] for a in agents])
            s, d = line.project(xy, s0 - 30.0, s0 + 250.0)
            cache[key] = (agents, s, d)
    return cache[key]


def _smoothstep(u: np.ndarray) -> np.ndarray:
    u = np.clip(u, 0.0, 1.0)
    return u * u * (3.0 - 2.0 * u)


# Below this speed a pass starts as a pull-out from behind the obstacle (waiting for oncoming traffic).
PULL_OUT_SPEED_MPS = 3.0


def _nudge(world, line: Polyline, s0: float, offset: np.ndarray, p: GroundTruthParams):
    """Shift the driving line left past static objects that intrude on it, when the road
    is wide enough and no oncoming car is in the way; else they block (returned)."""
    agents, s, d = agents_on_line(world, line, s0)
    st = world.vehicle.state
    d0 = float(line.project(np.array([[st.x_m, st.y_m]]))[1][0])
    half_w = 0.5 * world.vp.width_m
    blockers = set()
    base_offset = offset.copy()
    front = world.vp.length_m - world.vp.rear_overhang_m
    ramp = max(20.0, 3.0 * world.vehicle.state.speed_mps)
    for a, sa, da in zip(agents, s, d):
        if not a.static or sa - s0 > 120.0:
            continue
        passed = sa + 0.5 * a.length_m < s0
        if passed and (not world.nudging.get(a.id, False) or sa + 0.5 * a.length_m + 8.0 + 1.5 * ramp < s0):
            continue
        d_here = float(np.interp(sa, line.s, base_offset))
        if abs(da - d_here) >= 0.5 * a.width_m + half_w + p.nudge_margin_m:
            continue
        need = da + 0.5 * a.width_m + half_w + p.nudge_margin_m
        left_room = _left_room(world, line, sa)
        fits = need + half_w + 0.1 <= left_room
        # Once too close to stop comfortably behind it (or alongside), keep the nudge even if an
        # oncoming car shows up: stopping is worse.
        v = world.vehicle.state.speed_mps
        committed = world.nudging.get(a.id, False) and sa - s0 < front + 0.5 * a.length_m + 5.0 + v * v / 4.0
        if fits and (committed or passed or not _oncoming_conflict(world, line, s0, sa + 8.0 + 1.5 * ramp, a.length_m, p)):
            # Ramp over ~3 s of travel so the swerve stays well under 1 m/s^2 lateral, and be out
            # ~1.5 s before the obstacle as a driver is (its time-to-collision never runs short).
            # Back in more gently still: the return heads for the road edge.
            # line.s is where the rear axle will be: out by the time the front bumper is that close.
            out_at = sa - 0.5 * a.length_m - front - max(2.0, 1.5 * v)
            back_at = sa + 0.5 * a.length_m + 8.0
            w_out = _smoothstep((back_at + 1.5 * ramp - line.s) / (1.5 * ramp))
            if v < PULL_OUT_SPEED_MPS and s0 > out_at - ramp:
                # Pulling out from (nearly) standstill behind it: from where the car was when it
                # began, over the room left then. Started afresh from the car every step, the curve
                # began flat each time and the car crept out (unmarked_lane: still 0.4 m short 3.5 m
                # before the parked car, TTC 1.0 s).
                if a.id not in world.pull_out_from:
                    base_here = float(np.interp(s0, line.s, base_offset))
                    done = float(np.clip((d0 - base_here) / max(need - base_here, 1e-3), 0.0, 1.0))
                    world.pull_out_from[a.id] = (s0, done)
                s_from, done = world.pull_out_from[a.id]
                w_in = done + (1.0 - done) * _smoothstep((line.s - s_from) / max(out_at - s_from, 3.0))
            else:
                w_in = _smoothstep((line.s - (out_at - ramp)) / ramp)
            w = np.minimum(w_in, w_out)
            offset = np.maximum(offset, base_offset + w * (need - base_offset))
            world.nudging[a.id] = True
        else:
            blockers.add(a.id)
            world.nudging[a.id] = False
            world.pull_out_from.pop(a.id, None)
    return offset, blockers


def _left_room(world, line: Polyline, s_m: float) -> float:
    """Lateral offset (from the line) of the left bound of the lane at s_m: nudges stay
    inside the own lanelet (a two-way lanelet is the whole road); wider detours are
    lane changes."""
    xy = line.xy_at(s_m)
    heading = float(line.heading_at(s_m))
    pos = world.net.locate(float(xy[0]), float(xy[1]), heading, world.lane_pos.lane_id if world.lane_pos else None)
    if pos is None:
        return 0.0
    left, _ = world.net.lanes[pos.lane_id].offsets_at(pos.s_m)
    return float(left) - pos.d_m


def _time_to_drive_s(distance_m: float, speed_mps: float, target_speed_mps: float, p: GroundTruthParams) -> float:
    """Seconds to drive `distance_m` from `speed_mps` on a free road, speeding up as the expert's IDM
    does towards `target_speed_mps` (at most a minute: longer counts as never)."""
    t, s, v, dt = 0.0, 0.0, max(speed_mps, 0.0), 0.1
    while s < distance_m and t < 60.0:
        v_next = max(v + idm(v, target_speed_mps, math.inf, 0.0, p) * dt, 0.0)
        s, v, t = s + 0.5 * (v + v_next) * dt, v_next, t + dt
    return t


def _oncoming_conflict(world, line: Polyline, s0: float, s_back_m: float, length_m: float,
                       p: GroundTruthParams) -> bool:
    """Would an oncoming car meet us before we are back on our side, at `s_back_m`?

    The time to get there is the expert's own: from its speed now, speeding up to the road's
    speed once it pulls out. Timed at the speed it crawls at behind the obstacle instead, a
    pass needed some 220 m of clear road, further than the camera resolves an oncoming car
    (the model finds 73 % of them at 160-200 m, docs/results/README.md): whether the expert
    passed turned on a car the model could not see, and the model's path hedged between the two.
    """
    agents, s, d = agents_on_line(world, line, s0)
    heading = line.heading_at(np.clip(s, 0, line.length)) if len(s) else np.zeros(0)
    t_clear = None  # timed once an oncoming car needs it: most steps there is none
    for a, sa, h in zip(agents, s, heading):
        if a.static or sa < s0:
            continue
        closing = -a.speed_mps * math.cos(a.yaw_rad - float(h))
        if closing <= 0.5:
            continue
        if t_clear is None:
            t_clear = _time_to_drive_s(s_back_m + 0.5 * length_m - s0, world.vehicle.state.speed_mps,
                                       world.allowed_speed_mps() * world.desired_speed_factor, p)
        # It reaches the far end of the obstacle before we have cleared it.
        if sa - closing * t_clear < s_back_m + 0.5 * length_m + 15.0:
            return True
    return False


def _lead_on_line(world, line: Polyline, s0: float, offset: np.ndarray, blockers: set) -> tuple[float, float]:
    """Bumper gap (m) and speed along the line of the nearest object in the driving corridor."""
    agents, s, d = agents_on_line(world, line, s0)
    vp = world.vp
    front = vp.length_m - vp.rear_overhang_m
    gap, v_lead = math.inf, 0.0
    for a, sa, da in zip(agents, s, d):
        g = sa - 0.5 * a.length_m - (s0 + front)
        if g < -a.length_m - front or g > LEAD_RANGE_M:
            continue
        d_here = float(np.interp(sa, line.s, offset))
        if a.static and a.id not in blockers:
            continue
        if abs(da - d_here) >= 0.5 * (a.width_m + vp.width_m) + 0.2:
            continue
        v_along = a.speed_mps * math.cos(a.yaw_rad - float(line.heading_at(sa)))
        if a.static:
            g -= world.gt_params.wait_behind_static_m
        if g < gap:
            gap, v_lead = g, v_along
    return gap, v_lead


def _lane_end_gap(net, chain: list[int], line: Polyline, s0: float) -> float:
    """Distance to the end of the chain if the lane ends there (a neighbour goes on)."""
    return line.length - s0 if net.lane_ends(chain[-1]) else math.inf


def _speed_plan(world, line: Polyline, ids: list[int], s0: float, gap: float, v_lead: float, end_gap: float,
                p: GroundTruthParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Time samples, arc lengths and speeds: IDM behind the lead, capped by limits."""
    st = world.vehicle.state
    s_ahead = s0 + np.arange(0.0, 300.0, 2.0)
    v_cap = _speed_cap(world, line, ids, s_ahead, p)
    t = np.linspace(0.0, p.horizon_s, p.path_points)
    dt = t[1] - t[0]
    s, v = s0, st.speed_mps
    ss, vs = [s], [v]
    lead_pos = gap
    for _ in t[1:]:
        v0 = float(np.interp(s, s_ahead, v_cap))
        g = min(lead_pos - (s - s0), end_gap - (s - s0) - 1.0)
        vl = v_lead if lead_pos - (s - s0) <= end_gap - (s - s0) - 1.0 else 0.0
        a = _idm(v, v0, g, vl, p)
        v_next = max(0.0, v + a * dt)
        s += 0.5 * (v + v_next) * dt
        v = v_next
        lead_pos += max(v_lead, 0.0) * dt
        ss.append(s)
        vs.append(v)
    return t, np.array(ss), np.array(vs)


def _speed_cap(world, line: Polyline, ids: list[int], s_ahead: np.ndarray, p: GroundTruthParams) -> np.ndarray:
    """Speed limit and curve speed, looked ahead with the planning deceleration."""
    starts = world.net.chain_start_s(ids)
    edges = np.array([starts[i] for i in ids])
    limits = np.array([world.net.lanes[i].speed_limit_mps for i in ids])
    limit = limits[np.clip(np.searchsorted(edges, s_ahead, side="right") - 1, 0, len(ids) - 1)]
    kappa = np.abs(line.curvature_at(s_ahead, 6.0))
    curve = np.sqrt(p.lat_accel_mps2 / np.maximum(kappa, 1e-4))
    cap = np.minimum(limit * world.desired_speed_factor, curve)
    # v(s)^2 <= min over s' >= s of v_cap(s')^2 + 2 b (s' - s): a reversed running minimum.
    b2 = 2.0 * p.brake_plan_mps2
    reach = np.minimum.accumulate((cap ** 2 + b2 * s_ahead)[::-1])[::-1]
    return np.sqrt(np.maximum(reach - b2 * s_ahead, 0.0))


def _idm(v: float, v0: float, gap: float, v_lead: float, p: GroundTruthParams) -> float:
    """IDM (same constants' names as the traffic's), and above the speed cap slow down
    at up to the comfortable deceleration."""
    acc = idm(v, v0, gap, v_lead, p)
    if v0 < v:
        acc = min(acc, -min(p.comfort_decel_mps2, v - v0))
    return acc


def leads(world, plan: PathPlan) -> tuple[Lead, Lead, Lead]:
    """Nearest object ahead in the ego's driving corridor, and in the left and right lanes."""
    net = world.net
    agents, s, d = agents_on_line(world, plan.line, plan.s0_m)
    vp = world.vp
    front = vp.length_m - vp.rear_overhang_m
    lane = net.lanes[plan.own_chain[0]]
    width = float(lane.width_at(world.lane_pos.s_m)) if world.lane_pos else 3.5
    sides = {1: lane.left_id is not None, -1: lane.right_id is not None}
    # A two-way road's left slot is the oncoming side: the opposite lanelet, or the far half of a
    # lanelet both directions share. The planner needs its vehicles before it uses that side
    # (passes, lane changes); left out, the model never learnt to report oncoming cars.
    shared = not lane.one_way and lane.left_id is None
    opposite = lane.left_id is None and lane.opposite_id is not None
    best: dict[int, Lead | None] = {0: None, 1: None, -1: None}
    for a, sa, da in zip(agents, s, d):
        g = sa - 0.5 * a.length_m - (plan.s0_m + front)
        if g < 0 or g > LEAD_RANGE_M:
            continue
        d_rel = da - float(np.interp(sa, plan.line.s, plan.offset_m))
        centre = 0.0  # of the lead's lane, from the ego lanelet's centre line
        if abs(d_rel) < 0.5 * (a.width_m + vp.width_m) + 0.3:
            k = 0
        elif shared and d_rel > 0.0 and da <= 0.5 * width + 0.5:
            k, centre = 1, 0.25 * width
        elif opposite and d_rel > 0.0 and abs(da - width) <= 0.5 * width:
            k, centre = 1, width
        else:
            k = int(round(d_rel / width))
            if k not in (1, -1) or not sides[k] or abs(d_rel - k * width) > 0.5 * width:
                continue
            centre = k * width
        v_rel = a.speed_mps * math.cos(a.yaw_rad - float(plan.line.heading_at(sa))) - world.vehicle.state.speed_mps
        if best[k] is None or g < best[k].distance_m:
            # LeadEstimate.msg: the lead's centre relative to that lane's centre line.
            best[k] = Lead(float(g), float(v_rel), float(da - centre), 1.0)
    return tuple(best[k] or Lead() for k in (0, 1, -1))
