"""Other road users: IDM car following, MOBIL lane changes and scripted events.

Every agent drives along its own route (a chain of lane centre lines, reversed for
oncoming traffic on a two-way lanelet) at arc length `s_m` with a lateral offset
`d_m`. Leaders are found by projecting everyone (the ego included) onto the route.
Scripts make the scenario events happen: a cut-in in front of the ego, a hard
brake, a merge from an ending lane. Parked cars and obstacles never move.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from lcc_plus.common.params import spec
from lcc_plus.sim.polyline import Polyline, wrap_angle
from lcc_plus.sim.road import RoadNetwork

ROUTE_AHEAD_M = 3000.0
LOOK_AHEAD_M = 150.0
LOOK_BEHIND_M = 60.0
STATIC_KINDS = ("parked", "stopped", "obstacle")
SLOW_TRIGGER_GAP_M = 50.0


@dataclass(frozen=True)
class Script:
    """A scripted behaviour. kind: cut_in | hard_brake | merge | slow | none.

    trigger_gap_m: fires when the agent is this far ahead of the ego along its route
    (cut_in, hard_brake); decel_mps2 / target_speed_mps: the brake, after which the
    agent holds for hold_s and drives on (at target_speed_mps if that is above 0);
    duration_s: the lateral manoeuvre; direction: +1 left, -1 right."""

    kind: str = "none"
    trigger_gap_m: float = 20.0
    decel_mps2: float = 6.0
    target_speed_mps: float = 0.0
    duration_s: float = 2.5
    direction: int = 0
    hold_s: float = 3.0


@dataclass
class Agent:
    id: int
    kind: str                  # car | truck | parked | obstacle
    route: Polyline
    route_lanes: list[int]
    route_starts: np.ndarray   # arc length where each route lane starts
    reverse: bool
    s_m: float
    d_m: float
    speed_mps: float
    desired_speed_mps: float
    length_m: float = 4.5
    width_m: float = 1.8
    color_rgb: tuple[int, int, int] = (40, 80, 160)
    script: Script = field(default_factory=Script)
    accel_mps2: float = 0.0
    d_keep_m: float = 0.0      # resting lateral offset (keep right, parking)
    lc_from_d_m: float = 0.0
    lc_t0_s: float | None = None
    lc_duration_s: float = 4.0
    lane_end_s: float = math.inf  # where the route's lane ends with a neighbour to merge into
    oncoming: bool = False     # drives against the ego's direction of travel
    fired: bool = False
    done: bool = False
    braking: bool = False
    release_s: float = math.inf
    x_m: float = 0.0
    y_m: float = 0.0
    yaw_rad: float = 0.0

    @property
    def static(self) -> bool:
        return self.kind in STATIC_KINDS

    def lane_id(self) -> int:
        i = int(np.searchsorted(self.route_starts, self.s_m, side="right")) - 1
        return self.route_lanes[max(0, min(i, len(self.route_lanes) - 1))]


@dataclass(frozen=True)
class TrafficParams:
    """IDM / MOBIL constants (values in config/sim.yaml, section sim_traffic)."""

    time_gap_s: float = spec("IDM desired time gap", unit="s", min=0.5, max=4.0)
    min_gap_m: float = spec("IDM standstill gap", unit="m", min=0.5, max=10.0)
    max_accel_mps2: float = spec("IDM maximum acceleration", unit="m/s^2", min=0.3, max=4.0)
    comfort_decel_mps2: float = spec("IDM comfortable deceleration", unit="m/s^2", min=0.5, max=5.0)
    politeness: float = spec("MOBIL politeness factor", min=0.0, max=1.0)
    change_threshold_mps2: float = spec("MOBIL acceleration gain needed to change lanes", unit="m/s^2",
                                        min=0.0, max=2.0)
    safe_decel_mps2: float = spec("MOBIL: the new follower must not need to brake harder", unit="m/s^2",
                                  min=1.0, max=9.0)
    keep_right_bias_mps2: float = spec("MOBIL bonus for moving right (keep-right rule)", unit="m/s^2",
                                       min=0.0, max=2.0)
    lane_change_s: float = spec("duration of a traffic lane change", unit="s", min=2.0, max=10.0)
    mobil_period_s: float = spec("how often each agent considers a lane change", unit="s", min=0.1, max=10.0)


class Traffic:
    """All agents; `step(dt_s, t_s, ego)` advances them and returns fired script events."""

    def __init__(self, net: RoadNetwork, params: TrafficParams):
        self.net = net
        self.p = params
        self.agents: list[Agent] = []
        self._routes: dict[tuple[int, bool], tuple[Polyline, list[int], np.ndarray]] = {}

    # --- spawning -------------------------------------------------------------------------
    def route(self, lane_id: int, reverse: bool) -> tuple[Polyline, list[int], np.ndarray]:
        key = (lane_id, reverse)
        if key not in self._routes:
            net = self.net
            if not reverse:
                chain = net.lane_chain(lane_id, ROUTE_AHEAD_M)
                line = net.chain_polyline(chain)
                lengths = [net.lanes[i].length for i in chain]
            else:
                chain = [lane_id]
                while net.lanes[chain[-1]].predecessors and len(chain) < 200:
                    prev = min(net.lanes[chain[-1]].predecessors)
                    if prev in chain:
                        break
                    chain.append(prev)
                line = Polyline(np.vstack([net.lanes[i].centre.points[::-1] for i in chain]))
                lengths = [net.lanes[i].length for i in chain]
            self._routes[key] = (line, chain, np.r_[0.0, np.cumsum(lengths)[:-1]])
        return self._routes[key]

    def spawn(self, x_m: float, y_m: float, yaw_rad: float, *, kind: str = "car", speed_mps: float = 0.0,
              desired_speed_mps: float = 0.0, d_m: float | None = None, length_m: float = 4.5,
              width_m: float = 1.8, color_rgb: tuple[int, int, int] = (40, 80, 160),
              script: Script | None = None, oncoming: bool = False) -> Agent:
        """Put an agent on the lane under (x, y), driving along yaw (against the lanelet
        direction means oncoming traffic). d_m: resting offset from the route centre."""
        pos = self.net.locate(x_m, y_m, yaw_rad)
        if pos is None:
            raise ValueError(f"cannot spawn {kind} at ({x_m:.1f}, {y_m:.1f}): no lane there")
        lane = self.net.lanes[pos.lane_id]
        reverse = abs(pos.heading_error_rad) > math.pi / 2
        line, chain, starts = self.route(pos.lane_id, reverse)
        s = lane.length - pos.s_m if reverse else pos.s_m
        if d_m is None:
            d_m = self._keep_offset(lane, pos.s_m, width_m)
        agent = Agent(len(self.agents) + 1, kind, line, chain, starts, reverse, s, d_m, speed_mps,
                      desired_speed_mps, length_m, width_m, color_rgb, script or Script(), d_keep_m=d_m)
        agent.lane_end_s = self._lane_end(chain, starts, line)
        agent.oncoming = oncoming or reverse
        self._pose(agent)
        self.agents.append(agent)
        return agent

    def _keep_offset(self, lane, s_on_lane: float, width_m: float) -> float:
        if lane.one_way:
            return 0.0
        mid = 0.5 * (sum(lane.offsets_at(s_on_lane)))
        return float(lane.driving_offset_at(s_on_lane, width_m)) - mid

    def _lane_end(self, chain: list[int], starts: np.ndarray, line: Polyline) -> float:
        return line.length if self.net.lane_ends(chain[-1]) else math.inf

    # --- stepping -------------------------------------------------------------------------
    def step(self, dt_s: float, t_s: float, ego_xy: np.ndarray, ego_yaw: float, ego_speed: float,
             ego_size: tuple[float, float]) -> list[tuple[int, str, str]]:
        """Advance every agent by dt_s. Returns (agent id, script kind, phase) events."""
        events: list[tuple[int, str, str]] = []
        movers = [a for a in self.agents if not a.static]
        events += self._passing(ego_xy)
        if not movers:
            return events
        others_xy = np.array([[a.x_m, a.y_m] for a in self.agents] + [list(ego_xy)])
        others_yaw = np.array([a.yaw_rad for a in self.agents] + [ego_yaw])
        others_v = np.array([a.speed_mps for a in self.agents] + [ego_speed])
        others_len = np.array([a.length_m for a in self.agents] + [ego_size[0]])
        others_w = np.array([a.width_m for a in self.agents] + [ego_size[1]])
        ego_index = len(self.agents)
        for a in movers:
            idx = self.agents.index(a)
            s_o, d_o = a.route.project(others_xy, a.s_m - LOOK_BEHIND_M, a.s_m + LOOK_AHEAD_M)
            ego_gap = float(s_o[ego_index] - a.s_m)
            events += self._script(a, t_s, ego_gap, ego_index, s_o, d_o)
            acc = self._idm_with_leaders(a, idx, s_o, d_o, others_yaw, others_v, others_len, others_w)
            if a.braking:
                acc = -a.script.decel_mps2 if a.speed_mps > a.script.target_speed_mps else min(acc, 0.0)
            a.accel_mps2 = acc
            if a.lc_t0_s is None and (t_s + 0.1 * a.id) % self.p.mobil_period_s < dt_s:
                self._mobil(a, t_s, others_xy, others_v, others_len, others_w, idx)
        for a in movers:
            v1 = max(0.0, a.speed_mps + a.accel_mps2 * dt_s)
            a.s_m += 0.5 * (a.speed_mps + v1) * dt_s
            a.speed_mps = v1
            if a.lc_t0_s is not None:
                tau = min(1.0, (t_s + dt_s - a.lc_t0_s) / a.lc_duration_s)
                blend = tau * tau * (3.0 - 2.0 * tau)
                a.d_m = a.lc_from_d_m + (a.d_keep_m - a.lc_from_d_m) * blend
                if tau >= 1.0:
                    a.lc_t0_s = None
                    if a.script.kind == "merge" and not a.done:
                        a.done = True
                        events.append((a.id, "merge", "done"))
            self._pose(a)
        self.agents = [a for a in self.agents if a.static or a.s_m < a.route.length - 1.0
                       or a.lane_end_s < math.inf]
        return events

    def _passing(self, ego_xy: np.ndarray) -> list[tuple[int, str, str]]:
        """Events for static and oncoming agents: the ego drove past them ('done')."""
        out = []
        for a in self.agents:
            if a.done or not (a.static or a.oncoming or a.script.kind == "slow"):
                continue
            s_e = float(a.route.project(ego_xy[None, :], a.s_m - 300.0, a.s_m + 300.0)[0][0])
            ahead_of_ego = (s_e - a.s_m) * (-1.0 if a.oncoming else 1.0) < 0.0
            kind = "oncoming" if a.oncoming else ("slow" if a.script.kind == "slow" else a.kind)
            gap = abs(s_e - a.s_m)
            if not a.fired and ahead_of_ego and gap < SLOW_TRIGGER_GAP_M:
                a.fired = True
                out.append((a.id, kind, "triggered"))
            if a.fired and not ahead_of_ego and gap > 0.5 * a.length_m:
                a.done = True
                out.append((a.id, kind, "done"))
        return out

    def _script(self, a: Agent, t_s: float, ego_gap: float, ego_index: int, s_o, d_o) -> list:
        sc = a.script
        out = []
        if sc.kind == "cut_in" and not a.fired and -a.length_m < -ego_gap < sc.trigger_gap_m:
            target = self._adjacent(a, sc.direction)
            if target is not None:
                a.fired = True
                out.append((a.id, "cut_in", "triggered"))
                self._change_to(a, target, t_s, sc.duration_s)
        elif sc.kind == "cut_in" and a.fired and not a.done and a.lc_t0_s is None:
            a.done = True
            out.append((a.id, "cut_in", "done"))
        if sc.kind == "hard_brake" and not a.fired and 0.0 < -ego_gap < sc.trigger_gap_m:
            a.fired = a.braking = True
            out.append((a.id, "hard_brake", "triggered"))
        elif sc.kind == "hard_brake" and a.braking and not a.done and a.speed_mps <= sc.target_speed_mps + 0.1:
            a.done = True
            a.release_s = t_s + sc.hold_s
            out.append((a.id, "hard_brake", "done"))
        elif sc.kind == "hard_brake" and a.braking and a.done and t_s >= a.release_s:
            a.braking = False
            if sc.target_speed_mps > 0.0:
                a.desired_speed_mps = sc.target_speed_mps
        if sc.kind == "merge" and not a.fired and a.lc_t0_s is not None:
            a.fired = True
            out.append((a.id, "merge", "triggered"))
        return out

    def _idm_with_leaders(self, a: Agent, idx: int, s_o, d_o, yaw_o, v_o, len_o, w_o) -> float:
        gap, v_lead = math.inf, a.desired_speed_mps
        route_heading = float(a.route.heading_at(a.s_m))
        for j in range(len(s_o)):
            if j == idx:
                continue
            ds = s_o[j] - a.s_m
            if ds <= 0 or ds > LOOK_AHEAD_M:
                continue
            if abs(d_o[j] - a.d_m) > 0.5 * (w_o[j] + a.width_m) + 0.3:
                continue
            g = ds - 0.5 * (len_o[j] + a.length_m)
            if g < gap:
                gap = g
                v_lead = v_o[j] * math.cos(float(wrap_angle(yaw_o[j] - route_heading)))
        if a.lane_end_s < math.inf:
            g_end = a.lane_end_s - a.s_m - 0.5 * a.length_m
            if g_end < gap:
                gap, v_lead = g_end, 0.0
        return idm(a.speed_mps, a.desired_speed_mps, gap, v_lead, self.p)

    def _adjacent(self, a: Agent, direction: int) -> int | None:
        lane = self.net.lanes[a.lane_id()]
        if a.reverse:
            return None
        return lane.left_id if direction > 0 else lane.right_id

    def _change_to(self, a: Agent, lane_id: int, t_s: float, duration_s: float) -> None:
        line, chain, starts = self.route(lane_id, False)
        s_new, d_new = line.project(np.array([[a.x_m, a.y_m]]))
        a.route, a.route_lanes, a.route_starts = line, chain, starts
        a.s_m, a.d_m = float(s_new[0]), float(d_new[0])
        a.lc_from_d_m, a.lc_t0_s, a.lc_duration_s = a.d_m, t_s, duration_s
        a.d_keep_m = 0.0
        a.lane_end_s = self._lane_end(chain, starts, line)

    def _mobil(self, a: Agent, t_s: float, xy, v, length, width, idx: int) -> None:
        """MOBIL: change if the own gain beats the followers' losses (politeness) and is safe."""
        if a.reverse or a.script.kind in ("cut_in", "hard_brake"):
            return
        lane = self.net.lanes[a.lane_id()]
        mandatory = a.lane_end_s - a.s_m < 200.0
        best, best_gain = None, -math.inf
        a_here = a.accel_mps2
        for direction, target, allowed in ((1, lane.left_id, lane.left_change_ok),
                                           (-1, lane.right_id, lane.right_change_ok)):
            if target is None or not (allowed or mandatory):
                continue
            line, _, _ = self.route(target, False)
            s_me = float(line.project(np.array([[a.x_m, a.y_m]]))[0][0])
            s_o, d_o = line.project(xy, s_me - LOOK_BEHIND_M, s_me + LOOK_AHEAD_M)
            lead_gap, lead_v, fol_gap, fol_v, fol_j = math.inf, a.desired_speed_mps, math.inf, 0.0, None
            for j in range(len(s_o)):
                if j == idx or abs(d_o[j]) > 0.5 * (width[j] + a.width_m):
                    continue
                g = abs(s_o[j] - s_me) - 0.5 * (length[j] + a.length_m)
                if s_o[j] >= s_me and g < lead_gap:
                    lead_gap, lead_v = g, v[j]
                elif s_o[j] < s_me and g < fol_gap:
                    fol_gap, fol_v, fol_j = g, v[j], j
            if lead_gap < 1.0 or fol_gap < 1.0:
                continue
            a_new = idm(a.speed_mps, a.desired_speed_mps, lead_gap, lead_v, self.p)
            a_fol_new = idm(fol_v, fol_v + 1.0, fol_gap, a.speed_mps, self.p) if fol_j is not None else 0.0
            if a_fol_new < -self.p.safe_decel_mps2:
                continue
            gain = a_new - a_here + self.p.politeness * min(0.0, a_fol_new)
            if mandatory:
                gain += 10.0
            elif direction < 0:
                gain += self.p.keep_right_bias_mps2
            if gain > self.p.change_threshold_mps2 and gain > best_gain:
                best, best_gain = target, gain
        if best is not None:
            self._change_to(a, best, t_s, self.p.lane_change_s)

    def _pose(self, a: Agent) -> None:
        xy = a.route.xy_at(a.s_m, a.d_m)
        a.x_m, a.y_m = float(xy[0]), float(xy[1])
        heading = float(a.route.heading_at(a.s_m))
        d_rate = 0.0
        if a.lc_t0_s is not None:
            d_rate = (a.d_keep_m - a.lc_from_d_m) * 1.5 / a.lc_duration_s
        a.yaw_rad = heading + math.atan2(d_rate, max(a.speed_mps, 1.0)) if not a.static else heading


def idm(v: float, v0: float, gap_m: float, v_lead: float, p) -> float:
    """Intelligent Driver Model acceleration (m/s^2); gap is bumper to bumper. `p` has
    time_gap_s, min_gap_m, max_accel_mps2 and comfort_decel_mps2 (TrafficParams,
    GroundTruthParams)."""
    free = 1.0 - (v / max(v0, 0.1)) ** 4 if v0 > 0.1 else -1.0
    if not math.isfinite(gap_m):
        return p.max_accel_mps2 * free
    s_star = p.min_gap_m + max(0.0, v * p.time_gap_s + v * (v - v_lead) / (2.0 * math.sqrt(
        p.max_accel_mps2 * p.comfort_decel_mps2)))
    acc = p.max_accel_mps2 * (free - (s_star / max(gap_m, 0.1)) ** 2)
    return max(acc, -9.0)
