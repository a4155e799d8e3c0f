"""Synthetic evaluation traces for the report and pool tests (not a test module)."""
from __future__ import annotations

import numpy as np

from lcc_plus.evaluation.trace import Event, EventKind, LaneChange, Trace


def synthetic_trace(driver: str, takeovers: int, suite: str = "small_roads", scenario: str = "narrow",
                    seed: int = 3) -> Trace:
    """20 s at 10 m/s (0.2 km), engaged throughout, with `takeovers` system takeovers."""
    n = 401
    t = np.arange(n) * 0.05
    events = [Event(1.0 + i, EventKind.TAKEOVER_SYSTEM, "lane end") for i in range(takeovers)]
    return Trace(scenario=scenario, driver=driver, seed=seed, t_s=t, distance_m=10.0 * t,
                 speed_mps=np.full(n, 10.0), allowed_speed_mps=np.full(n, 14.0),
                 accel_lon_mps2=np.sin(t), accel_lat_mps2=0.5 * np.cos(t),
                 lateral_error_m=0.05 * np.sin(3 * t), ttc_s=np.full(n, np.inf), engaged=np.ones(n, bool),
                 lane_changing=np.zeros(n, bool), marked=np.ones(n, bool), events=events,
                 lane_changes=[LaneChange(2.0, 1, "driver", "refused", reason="solid line")], suite=suite)
