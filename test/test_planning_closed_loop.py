"""Mode manager + controller + the simulator's vehicle model on a curved three-lane road."""
from __future__ import annotations

import numpy as np
from planning_fixtures import Car, Road, driver, jerk_05s_max, rear

from lcc_plus.common.types import LaneChangePhase, LaneChangeTrigger, Lever, Mode, TakeoverDemand, TurnSignal
from lcc_plus.control.controller import Controller
from lcc_plus.control.params import ControllerParams
from lcc_plus.planning.mode_manager import ModeManager
from lcc_plus.planning.params import ModeManagerParams

DT = 0.05


def test_lane_changes_on_a_curved_road_meet_r79_r171_and_comfort_limits():
    road = Road([(0.0, 0.0), (100.0, 0.0), (160.0, 1 / 500), (450.0, 1 / 500), (570.0, -1 / 500),
                 (900.0, -1 / 500), (960.0, 0.0), (3000.0, 0.0)], n_lanes=3, length_m=1500.0)
    car = Car(speed=25.0)  # right lane
    mm = ModeManager(ModeManagerParams.from_config())
    ctl = Controller(ControllerParams.from_config())
    log = []
    for k in range(int(40.0 / DT)):
        now = k * DT
        lever = Lever.LEFT if 4.0 <= now < 4.3 else Lever.NONE
        per = road.perception(car.x, car.y, car.yaw)
        traj, st, intent = mm.step(now, car.ego(now), driver(engage_request=k == 2, lever=lever), per, rear(),
                                   TakeoverDemand())
        cmd = ctl.step(now, car.ego(now), traj)
        car.step(cmd.steering_angle_rad if cmd.engaged else car.steer, cmd.accel_mps2 if cmd.engaged else 0.0, DT)
        _, d, _ = road.frenet(car.x, car.y)
        log.append((now, st, traj.turn_signal, car.lat_accel, d))

    ay = np.array([r[3] for r in log])
    assert np.max(np.abs(ay)) <= 3.0
    assert jerk_05s_max(ay, DT) <= 5.0

    def first(pred, after=0.0):
        return next(t for t, st, sig, _, _ in log if t >= after and pred(st, sig))

    # Driver request to the left (R79 category C)
    t_req = 4.0
    t_exec = first(lambda st, s: st.lane_change_phase == LaneChangePhase.EXECUTE)
    t_done = first(lambda st, s: st.lane_change_phase == LaneChangePhase.COMPLETE)
    assert 1.0 <= t_exec - t_req <= 5.0 and t_done - t_exec <= 5.0
    assert all(sig == TurnSignal.LEFT for t, _, sig, _, _ in log if t_req + 0.1 <= t < t_done)
    d_after = [d for t, _, _, _, d in log if t_done + 1.0 <= t < t_done + 2.0]
    assert np.allclose(d_after, 3.5, atol=0.2)  # centred in the middle lane

    # Then the system goes back to the keep-right lane (R171: indicator >= 3 s before lateral motion)
    t_sys = first(lambda st, s: st.mode == Mode.LANE_CHANGE and st.lane_change_trigger == LaneChangeTrigger.KEEP_RIGHT,
                  after=t_done)
    t_sys_exec = first(lambda st, s: st.lane_change_phase == LaneChangePhase.EXECUTE, after=t_sys)
    assert t_sys_exec - t_sys >= 3.0
    assert all(sig == TurnSignal.RIGHT for t, _, sig, _, _ in log if t_sys <= t < t_sys_exec)
    assert abs(log[-1][4]) < 0.2  # back in the right lane
