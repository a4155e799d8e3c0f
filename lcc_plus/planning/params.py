"""Mode manager parameters (values in config/planning.yaml, node `mode_manager`)."""
from __future__ import annotations

from dataclasses import dataclass

from lcc_plus.common import params
from lcc_plus.common.params import spec


@dataclass(frozen=True)
class ModeManagerParams:
    # Trajectory output
    horizon_s: float = spec("length of the planned trajectory", unit="s", min=1.0, max=15.0)
    sample_dt_s: float = spec("time between trajectory points", unit="s", min=0.02, max=0.5)
    # Lane geometry from perception
    lane_width_default_m: float = spec("lane width assumed until one is measured", unit="m", min=2.0, max=5.0)
    lane_width_min_m: float = spec("narrowest plausible lane", unit="m", min=1.5, max=4.0)
    lane_width_max_m: float = spec("widest plausible lane", unit="m", min=3.0, max=7.0)
    line_probability_min: float = spec("lane line used at all from this probability", min=0.0, max=1.0)
    line_probability_full: float = spec("lane line fully trusted from this probability", min=0.0, max=1.0)
    path_confidence_min: float = spec("model path usable from this confidence", min=0.0, max=1.0)
    lane_path_max_gap_m: float = spec("lane reference further than this from the model path: lines distrusted",
                                      unit="m", min=0.2, max=10.0)
    lane_path_check_range_m: float = spec("range over which lanes and model path are compared", unit="m",
                                          min=5.0, max=100.0)
    two_way_min_width_m: float = spec("an unmarked road at least this wide is two-way: keep to the keep side",
                                      unit="m", min=3.0, max=10.0)
    two_way_max_width_m: float = spec("widest unmarked road taken as one two-way carriageway (between bare edges)",
                                      unit="m", min=4.0, max=12.0)
    two_way_edge_clearance_m: float = spec("on an empty unmarked two-way road, keep this clear of the keep-side edge "
                                           "(nearer the middle, never over it)", unit="m", min=0.0, max=2.0)
    two_way_oncoming_s: float = spec("back to the middle of the keep-side half when an oncoming vehicle is "
                                     "this many seconds away", unit="s", min=1.0, max=30.0)
    two_way_oncoming_hold_s: float = spec("stay there this long after the oncoming vehicle was last seen",
                                          unit="s", min=0.0, max=10.0)
    two_way_shift_rate_mps: float = spec("how fast the place on a two-way road moves sideways", unit="m/s",
                                         min=0.05, max=2.0)
    lane_loss_takeover_s: float = spec("no usable lane reference for this long -> takeover request",
                                       unit="s", min=0.0, max=10.0)
    fallback_decel_mps2: float = spec("deceleration while no lane reference is usable", unit="m/s^2",
                                      min=0.1, max=4.0)
    vehicle_width_m: float = spec("ego vehicle width", unit="m", min=1.0, max=3.0)
    vehicle_length_m: float = spec("ego vehicle length", unit="m", min=2.0, max=8.0)
    rear_overhang_m: float = spec("rear bumper behind base_link", unit="m", min=0.0, max=3.0)
    # Driver interaction
    override_torque_nm: float = spec("steering torque above which the driver overrides", unit="Nm",
                                     min=0.1, max=10.0)
    override_release_s: float = spec("torque below the threshold this long ends the override", unit="s",
                                     min=0.0, max=5.0)
    brake_disengage: float = spec("brake pedal above this disengages to STANDBY", min=0.0, max=1.0)
    # Lane change (R79 category C / R171)
    lane_change_speed_min_mps: float = spec("slowest speed for any lane change", unit="m/s", min=0.0, max=40.0)
    lane_change_confidence_min: float = spec("lowest model confidence for a lane change", min=0.0, max=1.0)
    driver_prepare_min_s: float = spec("lever to lateral motion, at least (R79 >= 1 s)", unit="s",
                                       min=1.0, max=5.0)
    driver_start_deadline_s: float = spec("lever to lateral motion, at most (R79 <= 5 s)", unit="s",
                                          min=1.0, max=5.0)
    system_prepare_min_s: float = spec("indicator to lateral motion, at least (R171 >= 3 s)", unit="s",
                                       min=3.0, max=10.0)
    system_start_deadline_s: float = spec("indicator to lateral motion, at most (R171 ~7 s)", unit="s",
                                          min=3.0, max=15.0)
    lane_change_duration_max_s: float = spec("longest lateral motion (R79: completes in < 5 s)", unit="s",
                                             min=2.0, max=10.0)
    lane_change_duration_min_s: float = spec("shortest lateral motion", unit="s", min=1.0, max=10.0)
    lane_change_lat_accel_mps2: float = spec("lateral acceleration of the manoeuvre beyond the curve need",
                                             unit="m/s^2", min=0.1, max=3.0)
    lane_change_lat_jerk_mps3: float = spec("peak lateral jerk of the manoeuvre", unit="m/s^3", min=0.5, max=5.0)
    complete_hold_s: float = spec("COMPLETE phase with the indicator going off (R79 <= 0.5 s)", unit="s",
                                  min=0.0, max=0.5)
    unsafe_cycles_to_cancel: int = spec("consecutive unsafe gap checks before cancel or abort", min=1, max=50)
    lane_reindex_fraction: float = spec("the crossed line moving this many lane widths away from the nearest it "
                                        "came marks the perception's switch to the new lane", min=0.2, max=0.9)
    abort_max_progress: float = spec("abort only if the return keeps the offset below this fraction of a lane",
                                     min=0.0, max=1.0)
    return_lat_accel_mps2: float = spec("lateral acceleration of a cancel or abort back to the origin lane",
                                        unit="m/s^2", min=0.5, max=3.5)
    traffic_rules_location: str = spec("lanelet2 traffic-rules country", choices=("Germany",))
    # System-initiated lane changes (R171)
    system_lane_change_enabled: bool = spec("allow system-initiated lane changes")
    discretionary_speed_min_mps: float = spec("slowest speed for overtaking and keep-side lane changes",
                                              unit="m/s", min=0.0, max=40.0)
    keep_side: str = spec("lane-use convention: return to this side after an overtake", choices=("right", "left"))
    slow_lead_gain_mps: float = spec("overtake when the lead is this much slower than wanted", unit="m/s",
                                     min=0.5, max=20.0)
    slow_lead_hysteresis_mps: float = spec("return only when the keep-side lane is this much faster again",
                                           unit="m/s", min=0.0, max=10.0)
    slow_lead_range_m: float = spec("slow leads farther than this are ignored", unit="m", min=10.0, max=200.0)
    trigger_hold_s: float = spec("a trigger must hold this long before a system lane change", unit="s",
                                 min=0.0, max=20.0)
    prepare_refusal_hold_s: float = spec("a reason not to go must hold this long before a prepared lane change "
                                         "is dropped (noisy perception)", unit="s", min=0.0, max=5.0)
    system_cooldown_s: float = spec("no system lane change this long after the last one ended", unit="s",
                                    min=0.0, max=60.0)
    keep_side_clear_m: float = spec("keep-side lane free of slow leads this far to return", unit="m",
                                    min=10.0, max=300.0)
    lane_end_width_m: float = spec("ego lane narrower than this counts as ending", unit="m", min=0.5, max=3.5)
    lane_end_trigger_m: float = spec("react to a lane end closer than this", unit="m", min=20.0, max=500.0)
    lane_end_confirm_m: float = spec("a lane end counts once the car has driven this far toward it and it "
                                     "stayed in place on the road (planning/lane_end.py)", unit="m",
                                     min=1.0, max=100.0)
    lane_end_speed_mps: float = spec("until the lane change has begun, arrive at a confirmed lane end "
                                     "no faster than this (slowing at "
                                     "curve_anticipation_decel_mps2); above lane_change_speed_min_mps, or "
                                     "the slowing would cancel the change", unit="m/s", min=1.0, max=40.0)
    stopped_speed_mps: float = spec("a lead slower than this over ground is stopped", unit="m/s",
                                    min=0.0, max=5.0)
    blocked_range_m: float = spec("react to a stopped vehicle closer than this", unit="m", min=10.0, max=200.0)
    # Gap acceptance (RSS ahead, EC JRC critical distance behind)
    rss_response_time_s: float = spec("RSS rho of the ego", unit="s", min=0.0, max=3.0)
    rss_accel_max_mps2: float = spec("RSS a_max,accel during the response time", unit="m/s^2", min=0.0, max=10.0)
    rss_brake_min_mps2: float = spec("RSS a_min,brake of the rear car", unit="m/s^2", min=1.0, max=10.0)
    rss_brake_max_mps2: float = spec("RSS a_max,brake of the front car", unit="m/s^2", min=1.0, max=15.0)
    rear_brake_max_mps2: float = spec("braking an approaching rear car may need at most", unit="m/s^2",
                                      min=0.5, max=8.0)
    rear_reaction_s: float = spec("JRC tB: rear driver reaction time", unit="s", min=0.0, max=3.0)
    rear_time_gap_s: float = spec("JRC tG: time gap left to the rear car", unit="s", min=0.0, max=3.0)
    rear_range_min_m: float = spec("rear sensing must reach this far for a lane change (R79 >= 55 m)",
                                   unit="m", min=10.0, max=200.0)
    gap_min_m: float = spec("least bumper gap to any car in the target lane", unit="m", min=0.0, max=50.0)
    lead_probability_min: float = spec("a lead estimate counts from this probability", min=0.0, max=1.0)
    # Speed policy
    speed_limit_mps: float = spec("fixed legal speed limit; 0 = unknown", unit="m/s", min=0.0, max=70.0)
    curve_lat_accel_mps2: float = spec("comfort lateral acceleration for the curve speed limit",
                                       unit="m/s^2", min=0.5, max=3.0)
    curve_anticipation_decel_mps2: float = spec("deceleration planned ahead of curves", unit="m/s^2",
                                                min=0.3, max=3.5)
    accel_max_mps2: float = spec("largest planned acceleration", unit="m/s^2", min=0.1, max=3.0)
    decel_comfort_mps2: float = spec("largest planned deceleration", unit="m/s^2", min=0.5, max=5.0)
    jerk_max_mps3: float = spec("largest planned longitudinal jerk", unit="m/s^3", min=0.5, max=10.0)
    time_gap_s: float = spec("time gap to the lead", unit="s", min=0.5, max=4.0)
    time_gap_min_s: float = spec("smallest time gap the driver may choose", unit="s", min=0.5, max=4.0)
    standstill_gap_m: float = spec("gap to a stopped lead", unit="m", min=1.0, max=20.0)
    speed_gain_1ps: float = spec("speed error to acceleration", unit="1/s", min=0.05, max=3.0)
    gap_gain_1ps2: float = spec("gap error to acceleration", unit="1/s^2", min=0.01, max=2.0)
    gap_speed_gain_1ps: float = spec("lead relative speed to acceleration", unit="1/s", min=0.05, max=3.0)
    closing_decel_min_mps2: float = spec("closing on a slower lead brakes at least as hard as it needs once "
                                         "that need reaches this", unit="m/s^2", min=0.0, max=3.0)
    mrm_decel_mps2: float = spec("in-lane stop deceleration of the minimal risk manoeuvre (R157 <= 4)",
                                 unit="m/s^2", min=0.5, max=4.0)
    # Small-road nudging
    nudge_enabled: bool = spec("pass stopped vehicles by offsetting")
    nudge_clearance_m: float = spec("lateral clearance kept to a vehicle passed at nudge_speed_mps", unit="m",
                                    min=0.2, max=2.0)
    nudge_slow_clearance_m: float = spec("lateral clearance kept to a vehicle passed at a crawl (a pull-out from a "
                                         "standstill); it grows to nudge_clearance_m at nudge_speed_mps",
                                         unit="m", min=0.2, max=2.0)
    nudge_edge_clearance_m: float = spec("room kept to the road's far edge when passing into the free road",
                                         unit="m", min=0.1, max=2.0)
    nudge_obstacle_width_m: float = spec("width assumed for a stopped lead", unit="m", min=0.5, max=3.5)
    nudge_obstacle_length_m: float = spec("length assumed for a stopped lead", unit="m", min=1.0, max=20.0)
    nudge_speed_mps: float = spec("speed while passing a stopped vehicle", unit="m/s", min=1.0, max=20.0)
    nudge_lat_accel_mps2: float = spec("lateral acceleration of the nudge", unit="m/s^2", min=0.2, max=2.0)
    nudge_return_lat_accel_mps2: float = spec("lateral acceleration of the way back into the lane after a pass",
                                              unit="m/s^2", min=0.1, max=2.0)
    nudge_out_before_s: float = spec("the pass reaches its full offset this long (at the pass speed) before "
                                     "the stopped vehicle", unit="s", min=0.0, max=4.0)
    nudge_wait_max_s: float = spec("stopped behind a vehicle to pass while the passing side is in use: wait this "
                                   "long before asking the driver", unit="s", min=0.0, max=60.0)
    nudge_drop_hold_s: float = spec("a planned pass that has not begun is dropped once its stopped vehicle "
                                    "has been gone (or the bend too sharp) this long; the place to wait at "
                                    "is kept as long", unit="s", min=0.0, max=5.0)
    nudge_max_curvature_1pm: float = spec("no pass where the lane bends sharper than this before the stopped "
                                          "vehicle is passed", unit="1/m", min=0.001, max=0.2)
    nudge_line_overlap_m: float = spec("how far the car may cover its own lane line inside the lane nudge",
                                       unit="m", min=0.0, max=1.0)
    traffic_memory_s: float = spec("a stopped lead read as moving (2 m/s or more) this recently is traffic that "
                                   "stopped, not a vehicle that stands: no waiting place far back",
                                   unit="s", min=0.0, max=60.0)
    oncoming_time_min_s: float = spec("oncoming traffic must be this many seconds away to use its lane",
                                      unit="s", min=2.0, max=30.0)
    oncoming_memory_s: float = spec("an oncoming vehicle the perception lost is carried on this long at most "
                                    "(until it would have met the car)", unit="s", min=0.0, max=15.0)
    lead_check_s: float = spec("the own lane's lead within 40 m is taken at the speed its places along the road "
                               "show over this long where that is 2 m/s or more below the reported one",
                               unit="s", min=0.5, max=5.0)
    oncoming_confirm_s: float = spec("an oncoming vehicle's ranges over this long must shrink at half its reported "
                                     "closing speed, else it is taken at theirs where they are near enough to tell "
                                     "it (planning/oncoming.py)", unit="s", min=0.5, max=10.0)
    # Forks and intersections
    fork_preference: str = spec("branch taken at forks with no route", choices=("default", "main", "left", "right"))
    fork_width_ratio: float = spec("ego lane wider than this times its width at the car is a fork",
                                   min=1.1, max=3.0)
    fork_commit_distance_m: float = spec("branch choice frozen this close to the gore point", unit="m",
                                         min=0.0, max=300.0)
    max_events: int = spec("transition events kept for publishing and logging", min=1, max=1000)

    def validate(self) -> None:
        if self.time_gap_s < self.time_gap_min_s:
            raise ValueError(f"time_gap_s {self.time_gap_s} is below time_gap_min_s {self.time_gap_min_s}")
        if self.driver_start_deadline_s <= self.driver_prepare_min_s:
            raise ValueError("driver_start_deadline_s must exceed driver_prepare_min_s")
        if self.system_start_deadline_s <= self.system_prepare_min_s:
            raise ValueError("system_start_deadline_s must exceed system_prepare_min_s")
        if self.lane_change_duration_min_s > self.lane_change_duration_max_s:
            raise ValueError("lane_change_duration_min_s exceeds lane_change_duration_max_s")
        if self.line_probability_full < self.line_probability_min:
            raise ValueError("line_probability_full is below line_probability_min")
        if self.two_way_max_width_m < self.two_way_min_width_m:
            raise ValueError("two_way_max_width_m is below two_way_min_width_m")
        if self.nudge_slow_clearance_m > self.nudge_clearance_m:
            raise ValueError("nudge_slow_clearance_m exceeds nudge_clearance_m")
        if not self.lane_width_min_m < self.lane_width_default_m < self.lane_width_max_m:
            raise ValueError("lane_width_default_m must lie between lane_width_min_m and lane_width_max_m")

    @classmethod
    def from_config(cls, overrides: dict | None = None) -> ModeManagerParams:
        return params.load(cls, "planning.yaml", "mode_manager", overrides)
