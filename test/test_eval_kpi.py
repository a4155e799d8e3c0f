"""KPI arithmetic on hand-made traces with known answers."""
from __future__ import annotations

import math

import numpy as np
import pytest

from lcc_plus.evaluation import kpi, params
from lcc_plus.evaluation.signals import averaged_jerk, butterworth_lowpass, moving_average
from lcc_plus.evaluation.trace import Event, EventKind, LaneChange, Trace

P = params.load()
DT = 0.05


def make_trace(n: int = 401, speed: float = 20.0, **over) -> Trace:
    t = np.arange(n) * DT
    fields = dict(
        scenario="hand", driver="test", seed=0, t_s=t, distance_m=speed * t,
        speed_mps=np.full(n, speed), allowed_speed_mps=np.full(n, 25.0),
        accel_lon_mps2=np.zeros(n), accel_lat_mps2=np.zeros(n), lateral_error_m=np.zeros(n),
        ttc_s=np.full(n, np.inf), engaged=np.ones(n, bool), lane_changing=np.zeros(n, bool),
        marked=np.ones(n, bool))
    fields.update(over)
    return Trace(**fields)


def test_lateral_error_rms_of_a_known_square_wave():
    n = 400
    err = np.where(np.arange(n) % 2 == 0, 0.3, -0.3)
    k = kpi.run_kpis(make_trace(n, lateral_error_m=err), P)
    assert k["lateral_error"]["rms_m"] == pytest.approx(0.3)
    assert k["lateral_error"]["p95_m"] == pytest.approx(0.3)
    assert k["lateral_error"]["n"] == n


def test_lateral_error_leaves_out_lane_changes_driver_control_and_settling():
    n = 400
    err = np.full(n, 0.1)
    changing = np.zeros(n, bool)
    changing[100:140] = True
    err[100:140] = 1.5
    engaged = np.ones(n, bool)
    engaged[300:320] = False
    err[300:320] = 2.0
    k = kpi.run_kpis(make_trace(n, lateral_error_m=err, lane_changing=changing, engaged=engaged), P)
    settle_n = round(P.lane_keep_settle_s / DT) - 1  # steps strictly inside the settle time
    assert k["lateral_error"]["rms_m"] == pytest.approx(0.1)
    assert k["lateral_error"]["n"] == n - 40 - 20 - 2 * settle_n


def test_marked_road_error_only_counts_marked_steps():
    n = 200
    marked = np.arange(n) < 100
    err = np.where(marked, 0.1, 0.5)
    k = kpi.run_kpis(make_trace(n, lateral_error_m=err, marked=marked), P)
    assert k["lateral_error_marked"]["rms_m"] == pytest.approx(0.1)
    assert k["lateral_error"]["rms_m"] == pytest.approx(math.sqrt((0.01 + 0.25) / 2))


def test_takeovers_and_distance_per_takeover():
    n = 401  # 20 s at 20 m/s = 400 m
    events = [Event(3.0, EventKind.TAKEOVER_SYSTEM, "lane end"), Event(9.0, EventKind.TAKEOVER_DRIVER, "ttc"),
              Event(15.0, EventKind.TAKEOVER_SYSTEM, "blocked")]
    k = kpi.run_kpis(make_trace(n, events=events), P)
    assert k["engaged_km"] == pytest.approx(0.4)
    assert k["takeovers"]["system"] == {"count": 2, "km_per_takeover": pytest.approx(0.2),
                                        "min_per_takeover": pytest.approx(20 / 60 / 2), "bound": "exact"}
    assert k["takeovers"]["driver"]["count"] == 1
    assert k["takeovers"]["total"]["km_per_takeover"] == pytest.approx(0.4 / 3)


def test_driver_driven_distance_is_not_credited_to_the_system():
    n = 401
    engaged = np.ones(n, bool)
    engaged[200:] = False  # the second half driven by the driver
    k = kpi.run_kpis(make_trace(n, engaged=engaged), P)
    assert k["distance_km"] == pytest.approx(0.4)
    assert k["engaged_km"] == pytest.approx(0.2)
    assert k["engaged_share"] == pytest.approx(0.5) and k["runs_never_engaged"] == 0
    never = kpi.run_kpis(make_trace(n, engaged=np.zeros(n, bool)), P)
    assert (never["engaged_km"], never["runs_never_engaged"], never["takeovers"]["total"]["count"]) == (0.0, 1, 0)


def test_zero_takeovers_is_a_lower_bound_and_ratios_say_so():
    none = kpi.per_takeover(0, 5.0, 10.0)
    assert none["bound"] == "lower" and none["km_per_takeover"] == 5.0
    some = kpi.per_takeover(4, 2.0, 3.0)
    assert kpi.takeover_ratio(none, some) == {"value": pytest.approx(10.0), "bound": "lower"}
    assert kpi.takeover_ratio(some, none) == {"value": pytest.approx(0.1), "bound": "upper"}
    assert kpi.takeover_ratio(none, none)["value"] is None
    assert kpi.format_bounded(10.0, "lower") == ">= 10.00"
    assert kpi.format_bounded(None, "undefined") == "n/a"
    with pytest.raises(ValueError):
        kpi.per_takeover(-1, 1.0, 1.0)


def test_collisions_and_departures_split_by_fault_and_engagement():
    events = [Event(1.0, EventKind.COLLISION, "rear-ended by 7", at_fault=False),
              Event(2.0, EventKind.COLLISION, "hit 3"),
              Event(3.0, EventKind.LANE_DEPARTURE, "left edge"),
              Event(4.0, EventKind.LANE_DEPARTURE, "driver", engaged=False),
              Event(10.0, EventKind.TAKEOVER_DRIVER, "ttc"),
              Event(10.0 + 0.5 * P.handover_blame_s, EventKind.COLLISION, "too late", engaged=False),
              Event(15.0, EventKind.COLLISION, "the driver's own", engaged=False)]
    k = kpi.run_kpis(make_trace(events=events), P)
    assert (k["collisions"], k["collisions_at_fault"], k["collisions_at_fault_manual"]) == (4, 2, 1)
    assert (k["lane_departures"], k["lane_departures_engaged"]) == (2, 1)


def test_lateral_accel_max_and_known_constant_jerk():
    # A lateral-acceleration ramp of 2 m/s^3 from 0 to 4 m/s^2, then held.
    n = 400
    t = np.arange(n) * DT
    acc = np.clip(2.0 * (t - 5.0), 0.0, 4.0)
    k = kpi.run_kpis(make_trace(n, accel_lat_mps2=acc), P)
    assert k["lateral"]["max_accel_mps2"] == pytest.approx(4.0)
    assert not k["lateral"]["accel_ok"]
    # The filtered slope is the filter's step response times 2 m/s^3: a 4th-order
    # Butterworth overshoots by about 11 %.
    assert k["lateral"]["max_jerk_mps3"] == pytest.approx(2.0 * 1.11, rel=0.02)
    assert k["lateral"]["max_jerk_unfiltered_mps3"] == pytest.approx(2.0)
    assert k["lateral"]["jerk_ok"]


def test_jerk_of_a_step_is_spread_by_the_half_second_average():
    n = 200
    acc = np.where(np.arange(n) >= 100, 1.0, 0.0)
    t = np.arange(n) * DT
    raw = averaged_jerk(acc, t, 0.5, 0.0, 2)
    # A 1 m/s^2 step seen over one 0.05 s step = 20 m/s^3, averaged over 10 samples = 2 m/s^3.
    assert np.max(raw) == pytest.approx(2.0)


def test_butterworth_passes_dc_and_attenuates_fast_oscillation():
    fs = 20.0
    t = np.arange(2000) / fs
    assert np.allclose(butterworth_lowpass(np.full(50, 3.0), fs, 0.5, 4), 3.0)
    fast = np.sin(2 * np.pi * 5.0 * t)
    out = butterworth_lowpass(fast, fs, 0.5, 4)
    assert np.max(np.abs(out[200:])) < 1e-3  # 4th order, a decade above cut-off: -80 dB
    slow = np.sin(2 * np.pi * 0.05 * t)
    assert np.max(np.abs(butterworth_lowpass(slow, fs, 0.5, 4)[400:])) == pytest.approx(1.0, abs=0.01)
    with pytest.raises(ValueError):
        butterworth_lowpass(fast, fs, 12.0, 4)
    assert moving_average(np.array([1.0, 2.0, 3.0, 4.0]), 2).tolist() == [1.0, 1.5, 2.5, 3.5]


def test_longitudinal_accel_decel_and_progress():
    n = 401
    acc = np.zeros(n)
    acc[50:60] = 1.5
    acc[200:210] = -4.0
    k = kpi.run_kpis(make_trace(n, accel_lon_mps2=acc), P)
    assert k["longitudinal"]["max_accel_mps2"] == pytest.approx(1.5)
    assert k["longitudinal"]["max_decel_mps2"] == pytest.approx(4.0)
    assert k["longitudinal"]["accel_ok"] and not k["longitudinal"]["decel_ok"]
    # 400 m driven while 25 m/s was allowed for 20.05 s (the last step counts zero length).
    assert k["progress"] == pytest.approx(400.0 / (25.0 * 20.0))


def test_min_ttc_and_critical_time_only_while_engaged():
    n = 100
    ttc = np.full(n, np.inf)
    ttc[10:20] = 1.0
    ttc[50:60] = 0.5
    engaged = np.ones(n, bool)
    engaged[50:60] = False
    k = kpi.run_kpis(make_trace(n, ttc_s=ttc, engaged=engaged), P)
    assert k["min_ttc_s"] == pytest.approx(1.0)
    assert k["ttc_below_critical_s"] == pytest.approx(10 * DT)
    assert kpi.run_kpis(make_trace(n), P)["min_ttc_s"] is None


def test_lane_change_outcomes_and_r79_windows():
    changes = [LaneChange(1.0, +1, "driver", "completed", t_start_s=2.5, t_end_s=6.0),
               LaneChange(10.0, -1, "driver", "completed", t_start_s=10.2, t_end_s=12.0),  # started too soon
               LaneChange(20.0, +1, "driver", "refused", reason="solid line"),
               LaneChange(30.0, +1, "slow_lead", "aborted", t_start_s=33.0, t_end_s=35.0, reason="gap"),
               LaneChange(40.0, -1, "keep_right", "completed", t_start_s=43.0, t_end_s=47.0)]
    lc = kpi.run_kpis(make_trace(events=[], lane_changes=changes), P)["lane_changes"]
    assert (lc["requested"], lc["requested_by_driver"], lc["requested_by_system"]) == (5, 3, 2)
    assert (lc["completed"], lc["refused"], lc["aborted"]) == (3, 1, 1)
    assert lc["driver_completed_in_r79_window"] == 1
    assert lc["duration_s"]["max"] == pytest.approx(4.0)
    assert lc["duration_s"]["mean"] == pytest.approx((3.5 + 1.8 + 4.0) / 3)
    assert lc["refusal_reasons"] == ["solid line"]


def test_suite_pools_runs():
    a = make_trace(401, events=[Event(3.0, EventKind.TAKEOVER_SYSTEM)], lateral_error_m=np.full(401, 0.1))
    b = make_trace(401, lateral_error_m=np.full(401, 0.3))
    s = kpi.suite_kpis([a, b], P)
    assert s["runs"] == 2
    assert s["engaged_km"] == pytest.approx(0.8)
    assert s["takeovers"]["total"] == {"count": 1, "km_per_takeover": pytest.approx(0.8),
                                       "min_per_takeover": pytest.approx(40 / 60), "bound": "exact"}
    assert s["lateral_error"]["rms_m"] == pytest.approx(math.sqrt((0.01 + 0.09) / 2))
    with pytest.raises(ValueError):
        kpi.suite_kpis([], P)


def test_trace_rejects_ragged_arrays():
    with pytest.raises(ValueError, match="speed_mps"):
        make_trace(10, speed_mps=np.zeros(9))
