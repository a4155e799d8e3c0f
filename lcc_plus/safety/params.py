"""Parameters of the safety monitor core; values live in config/safety.yaml (node `safety_monitor`)."""
from __future__ import annotations

from dataclasses import dataclass

from lcc_plus.common.params import load, spec

SPEED_TABLES = ("steer_max_rad", "steer_rate_max_radps", "lat_accel_max_mps2", "lat_jerk_max_mps3",
                "lon_accel_max_mps2", "lon_decel_max_mps2", "lon_jerk_max_mps3")


@dataclass(frozen=True)
class SafetyParams:
    rate_hz: float = spec("rate of the gated command, status and heartbeat", unit="Hz", min=10.0, max=200.0)
    wheelbase_m: float = spec("wheelbase for the bicycle relation a_y = v^2 tan(delta) / L", unit="m",
                              min=1.5, max=6.0)
    vehicle_width_m: float = spec("ego width for the footprint in the lane-departure check", unit="m",
                                  min=1.0, max=3.0)

    # Speed-dependent gate limits (vehicle_cmd_gate style), linearly interpolated on |speed|.
    limit_speeds_mps: tuple[float, ...] = spec("speed breakpoints of the limit tables, ascending", unit="m/s",
                                               min=0.0, max=80.0)
    steer_max_rad: tuple[float, ...] = spec("road-wheel angle limit per breakpoint", unit="rad", min=0.0, max=1.0)
    steer_rate_max_radps: tuple[float, ...] = spec("road-wheel angle rate limit per breakpoint", unit="rad/s",
                                                   min=0.0, max=1.0)
    lat_accel_max_mps2: tuple[float, ...] = spec("lateral acceleration limit per breakpoint", unit="m/s^2",
                                                 min=0.0, max=3.0)
    lat_jerk_max_mps3: tuple[float, ...] = spec("lateral jerk limit per breakpoint", unit="m/s^3", min=0.0, max=5.0)
    lon_accel_max_mps2: tuple[float, ...] = spec("longitudinal acceleration limit per breakpoint", unit="m/s^2",
                                                 min=0.0, max=5.0)
    lon_decel_max_mps2: tuple[float, ...] = spec("longitudinal deceleration limit (positive) per breakpoint",
                                                 unit="m/s^2", min=0.0, max=5.0)
    lon_jerk_max_mps3: tuple[float, ...] = spec("longitudinal jerk limit per breakpoint", unit="m/s^3",
                                                min=0.0, max=10.0)

    # Watchdog: expected period of each input; stale when older than max(stale_periods * period, stale_min_s).
    stale_periods: float = spec("periods without a valid message before a topic is stale", min=1.0, max=20.0)
    stale_min_s: float = spec("shortest stale timeout, against scheduling jitter", unit="s", min=0.0, max=2.0)
    period_vehicle_state_s: float = spec("expected period of VehicleState", unit="s", min=0.001, max=5.0)
    period_driver_s: float = spec("expected period of DriverInput", unit="s", min=0.001, max=5.0)
    period_perception_s: float = spec("expected period of VlaAction", unit="s", min=0.001, max=5.0)
    period_image_s: float = spec("expected period of the camera image", unit="s", min=0.001, max=5.0)
    period_rear_s: float = spec("expected period of the rear ObjectList", unit="s", min=0.001, max=5.0)
    period_mode_s: float = spec("expected period of ModeState", unit="s", min=0.001, max=5.0)
    period_command_s: float = spec("expected period of the proposed ControlCommand", unit="s", min=0.001, max=5.0)

    # Message admission.
    max_stamp_age_s: float = spec("a message stamped older than this is stale on arrival and rejected",
                                  unit="s", min=0.01, max=10.0)
    max_stamp_future_s: float = spec("a message stamped further ahead of the clock is rejected", unit="s",
                                     min=0.0, max=10.0)
    clock_jump_forward_s: float = spec("a clock step between ticks above this is a forward jump", unit="s",
                                       min=0.05, max=60.0)
    rejected_window_s: float = spec("window over which rejected messages are counted", unit="s",
                                    min=0.1, max=60.0)
    rejected_max_per_window: int = spec("rejections per topic and window above which the check fails",
                                        min=0, max=1000)
    plausible_speed_max_mps: float = spec("largest plausible speed in any input", unit="m/s", min=10.0,
                                          max=150.0)
    plausible_accel_max_mps2: float = spec("largest plausible acceleration in any input", unit="m/s^2",
                                           min=5.0, max=100.0)
    plausible_steer_max_rad: float = spec("largest plausible road-wheel angle in any input", unit="rad",
                                          min=0.3, max=1.6)
    plausible_rate_max_radps: float = spec("largest plausible yaw or steering rate in any input", unit="rad/s",
                                           min=0.5, max=20.0)
    plausible_distance_max_m: float = spec("largest plausible coordinate or distance in any input", unit="m",
                                           min=50.0, max=10000.0)
    plausible_torque_max_nm: float = spec("largest plausible driver steering torque", unit="N m", min=5.0,
                                          max=200.0)
    image_width_px: int = spec("expected camera image width", unit="px", min=1, max=10000)
    image_height_px: int = spec("expected camera image height", unit="px", min=1, max=10000)
    image_encoding: str = spec("expected camera image encoding", choices=("rgb8", "bgr8", "mono8", "yuv422"))

    # Checks.
    min_confidence: float = spec("model confidence below this fails the confidence check", min=0.0, max=1.0)
    confidence_debounce_s: float = spec("confidence must stay low this long before the check fails", unit="s",
                                        min=0.0, max=5.0)
    lane_departure_horizon_s: float = spec("horizon of the predicted ego footprint", unit="s", min=0.2, max=5.0)
    lane_departure_margin_m: float = spec("footprint may overlap a lane line by this much", unit="m",
                                          min=-1.0, max=1.0)
    lane_departure_debounce_s: float = spec("departure must be predicted this long before the check fails",
                                            unit="s", min=0.0, max=5.0)
    lane_line_min_probability: float = spec("lane lines less probable than this are ignored", min=0.0, max=1.0)
    lead_min_probability: float = spec("leads less probable than this are ignored", min=0.0, max=1.0)
    ttc_emergency_s: float = spec("time to collision with the lead below which the monitor brakes", unit="s",
                                  min=0.2, max=5.0)
    lead_range_window_s: float = spec("the lead's range must have shrunk over this window to confirm a TTC "
                                      "below the limit", unit="s", min=0.05, max=2.0)
    lead_range_fraction: float = spec("... by at least this share of what the model's closing speed makes it",
                                      min=0.0, max=1.0)
    lead_width_m: float = spec("assumed width of a lead vehicle, to tell a lead passed beside from one ahead",
                               unit="m", min=1.0, max=3.0)
    lead_beside_margin_m: float = spec("a lead whose body is this far clear of the ego's side is passed, not "
                                       "closed on: no TTC or RSS check", unit="m", min=0.0, max=2.0)
    rss_response_time_s: float = spec("RSS ego response time rho", unit="s", min=0.0, max=3.0)
    rss_accel_max_mps2: float = spec("RSS worst-case ego acceleration during rho", unit="m/s^2", min=0.0,
                                     max=5.0)
    rss_brake_min_mps2: float = spec("RSS ego minimum braking", unit="m/s^2", min=1.0, max=10.0)
    rss_brake_max_mps2: float = spec("RSS lead maximum braking", unit="m/s^2", min=1.0, max=12.0)
    excessive_actuation_s: float = spec("a proposal outside the absolute limits this long fails the check",
                                        unit="s", min=0.05, max=10.0)

    # Driver.
    override_torque_nm: float = spec("driver steering torque above this yields at once", unit="N m", min=0.1,
                                     max=10.0)
    override_release_s: float = spec("keep yielding this long after the torque drops", unit="s", min=0.0,
                                     max=5.0)
    brake_pedal_takeover: float = spec("brake pedal position above this is a driver takeover", min=0.0, max=1.0)
    standstill_speed_mps: float = spec("below this speed the vehicle is at standstill", unit="m/s", min=0.0,
                                       max=1.0)
    hands_off_visual_s: float = spec("hands off this long: optical warning (R79: <= 15 s)", unit="s",
                                     min=0.0, max=15.0)
    hands_off_audible_s: float = spec("hands off this long: acoustic warning (R79: <= 30 s)", unit="s",
                                      min=0.0, max=30.0)
    hands_off_mrm_s: float = spec("hands off this long: minimal-risk manoeuvre", unit="s", min=0.0, max=60.0)
    eyes_off_visual_s: float = spec("eyes off the road this long: optical warning", unit="s", min=0.0, max=15.0)
    eyes_off_audible_s: float = spec("eyes off the road this long: acoustic warning", unit="s", min=0.0,
                                     max=30.0)
    eyes_off_mrm_s: float = spec("eyes off the road this long: minimal-risk manoeuvre", unit="s", min=0.0,
                                 max=60.0)

    # Escalation and manoeuvres.
    takeover_audible_s: float = spec("non-critical fault: optical, then acoustic after this", unit="s",
                                     min=0.0, max=30.0)
    takeover_mrm_s: float = spec("non-critical fault: MRM after this much takeover demand (R157: >= 10 s)",
                                 unit="s", min=10.0, max=60.0)
    hold_decel_mps2: float = spec("deceleration while holding the lane on a silent planner", unit="m/s^2",
                                  min=0.1, max=4.0)
    mrm_decel_mps2: float = spec("minimal-risk manoeuvre deceleration (R157: <= 4 m/s^2)", unit="m/s^2",
                                 min=0.5, max=4.0)
    mrm_jerk_mps3: float = spec("jerk towards the hold and MRM deceleration", unit="m/s^3", min=0.1, max=10.0)
    emergency_decel_mps2: float = spec("emergency braking deceleration", unit="m/s^2", min=2.0, max=10.0)
    emergency_jerk_mps3: float = spec("jerk towards the emergency deceleration", unit="m/s^3", min=1.0,
                                      max=100.0)
    hold_lookahead_s: float = spec("pure-pursuit lookahead on the held path, in time", unit="s", min=0.2,
                                   max=5.0)
    hold_lookahead_min_m: float = spec("shortest pure-pursuit lookahead on the held path", unit="m", min=1.0,
                                       max=50.0)

    def validate(self) -> None:
        n = len(self.limit_speeds_mps)
        if list(self.limit_speeds_mps) != sorted(set(self.limit_speeds_mps)):
            raise ValueError("limit_speeds_mps must be strictly ascending")
        for name in SPEED_TABLES:
            if len(getattr(self, name)) != n:
                raise ValueError(f"{name} has {len(getattr(self, name))} values, limit_speeds_mps has {n}")
        if not self.hands_off_visual_s <= self.hands_off_audible_s <= self.hands_off_mrm_s:
            raise ValueError("hands_off_visual_s <= hands_off_audible_s <= hands_off_mrm_s is required")
        if not self.eyes_off_visual_s <= self.eyes_off_audible_s <= self.eyes_off_mrm_s:
            raise ValueError("eyes_off_visual_s <= eyes_off_audible_s <= eyes_off_mrm_s is required")
        if self.takeover_audible_s > self.takeover_mrm_s:
            raise ValueError("takeover_audible_s must not exceed takeover_mrm_s")


def load_safety_params(overrides: dict | None = None) -> SafetyParams:
    """SafetyParams from config/safety.yaml, section `safety_monitor`, with optional overrides."""
    return load(SafetyParams, "safety.yaml", "safety_monitor", overrides)

