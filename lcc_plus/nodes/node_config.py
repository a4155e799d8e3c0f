"""Parameters of the node glue itself (rates, buffers, outputs); values in config/nodes.yaml.

The cores' own parameters (model, planner, controller, safety, simulator) stay in
their files; these are what only the ROS wrapper needs.
"""
from __future__ import annotations

from dataclasses import dataclass

from lcc_plus.common.params import spec

NODES_YAML = "nodes.yaml"


@dataclass(frozen=True)
class VlaNodeParams:
    process_rate_hz: float = spec("how often the newest camera frame is run through the model; frames "
                                  "arriving in between replace the waiting one", unit="Hz", min=1.0, max=200.0)
    max_frame_age_s: float = spec("a frame older than this when its turn comes is dropped, not processed",
                                  unit="s", min=0.01, max=5.0)
    state_timeout_s: float = spec("vehicle state older than this is not used for inference", unit="s",
                                  min=0.01, max=5.0)
    debug_image: bool = spec("publish the camera frame with the model's lanes and path drawn on it")
    debug_every_n: int = spec("draw the debug image on every n-th processed frame", min=1, max=100)


@dataclass(frozen=True)
class LoopNodeParams:
    """Nodes that run their core on a timer (mode_manager, controller)."""

    rate_hz: float = spec("rate of the core step", unit="Hz", min=1.0, max=500.0)
    input_timeout_s: float = spec("no vehicle state for this long: the step is skipped and reported",
                                  unit="s", min=0.01, max=5.0)


@dataclass(frozen=True)
class SimNodeParams:
    """The simulator bridge; the world's own step and models are in config/sim.yaml."""

    scenario: str = spec("scenario name from the catalog (lcc_plus/sim/scenarios.py)")
    seed: int = spec("random seed of the scenario (traffic, appearance, driver)", min=0, max=2**31 - 1)
    duration_s: float = spec("end the drive after this much simulated time; 0: the scenario's own length",
                             unit="s", min=0.0, max=3600.0)
    rate_factor: float = spec("simulated seconds per wall-clock second (2 = twice real time); the "
                              "simulator runs slower when the CPU cannot keep up", min=0.05, max=20.0)
    command_timeout_s: float = spec("simulated time without a gated command after which the car treats "
                                    "the system as silent and the driver takes over", unit="s",
                                    min=0.05, max=5.0)
    lockstep_timeout_s: float = spec("lockstep with the stack: before each step wait (at most this long, wall "
                                     "clock) until the model, controller and safety monitor have answered the "
                                     "previous steps; 0 runs free", unit="s", min=0.0, max=10.0)
    wait_for_stack_s: float = spec("wall-clock time to wait for the stack's nodes to appear before the "
                                   "clock starts anyway", unit="s", min=0.0, max=300.0)
    report_dir: str = spec("folder for the KPI report written at the end of the scenario; empty: none")
    exit_when_done: bool = spec("end the node when the scenario ends")


@dataclass(frozen=True)
class TwistAdapterParams:
    wheelbase_m: float = spec("wheelbase for yaw rate = v * tan(steering) / L", unit="m", min=0.5, max=10.0)
    frame_id: str = spec("frame_id written into the TwistStamped header")


@dataclass(frozen=True)
class AckermannAdapterParams:
    jerk_limit_mps3: float = spec("jerk limit written into every AckermannDrive (a limit, not a set-point)",
                                  unit="m/s^3", min=0.0, max=50.0)
    frame_id: str = spec("frame_id written into the AckermannDriveStamped header")
