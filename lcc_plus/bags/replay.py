"""`lcc-plus replay`: process replay (as openpilot's) of a reference bag through the stack cores.

    lcc-plus replay [--bag DIR] [--reference FILE] [--update] [--report FILE]

The bag's inputs (vehicle state, driver input, rear objects, VlaAction, camera
headers) are fed in recorded order to the mode manager, the controller and the
safety monitor cores, exactly as the nodes would, stepping on every vehicle state.
Each step's outputs (mode, plan, proposed and gated command, safety level) are
compared with a stored reference within tolerance; `--update` rewrites the
reference instead. A Markdown diff report lists every output that changed, by how
much and from when. Exit status: 0 when the outputs match (or after --update), 1
when they differ.
"""
from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rclpy.serialization import deserialize_message
from rosbags.rosbag2 import Reader

from lcc_plus.bags.record import message_class
from lcc_plus.nodes import conversions as conv

REPO = Path(__file__).resolve().parents[2]
DEFAULT_BAG = REPO / "test" / "data" / "replay" / "highway_slow_truck_s0"
DEFAULT_REFERENCE = REPO / "test" / "data" / "replay" / "reference.json"
DEFAULT_REPORT = Path("out") / "replay" / "diff.md"
# Floats may move this much (absolute + relative) before they count as changed: well above
# floating-point noise across CPUs, well below any behaviour change.
ATOL, RTOL = 1e-4, 1e-4
EXACT = ("mode", "phase", "direction", "engaged", "source", "gated_source", "safety_level", "takeover_level",
         "vetoed", "traj_points")


@dataclass
class Diff:
    field: str
    rows: int          # rows that differ
    first_t_s: float
    reference: object  # values at the first difference
    replayed: object
    max_abs: float     # largest absolute difference (floats only, else nan)


def _at(t: np.ndarray, v: np.ndarray, at_s: float) -> float:
    return float(np.interp(at_s, t, v)) if len(t) >= 2 else float("nan")


class CoreStack:
    """Mode manager -> controller -> safety monitor, wired like the nodes (takeover fed back)."""

    def __init__(self):
        from lcc_plus.common.types import Perception, RearSensing, TakeoverDemand
        from lcc_plus.control.controller import Controller
        from lcc_plus.control.params import ControllerParams
        from lcc_plus.planning.mode_manager import ModeManager
        from lcc_plus.planning.params import ModeManagerParams
        from lcc_plus.safety.monitor import SafetyMonitor
        from lcc_plus.safety.params import load_safety_params

        self.mm = ModeManager(ModeManagerParams.from_config())
        self.ctl = Controller(ControllerParams.from_config())
        self.mon = SafetyMonitor(load_safety_params())
        self.ego = self.driver = None
        self.perception, self.rear, self.takeover = Perception(), RearSensing(available=False), TakeoverDemand()

    def feed(self, topic_kind: str, msg, t: float) -> dict | None:
        """One bag message; returns the outputs when it was a vehicle state (a step)."""
        m = self.mon
        if topic_kind == "image":
            m.on_image(conv.to_seconds(msg.header.stamp), msg.width, msg.height, msg.encoding, t)
        elif topic_kind == "jpeg":
            rgb = conv.compressed_to_rgb(msg)
            m.on_image(conv.to_seconds(msg.header.stamp), rgb.shape[1], rgb.shape[0], "rgb8", t)
        elif topic_kind == "driver":
            self.driver = conv.driver_from_msg(msg)
            m.on_driver(self.driver, t)
        elif topic_kind == "rear":
            self.rear = conv.rear_from_msg(msg)
            m.on_rear(self.rear, t)
        elif topic_kind == "perception":
            self.perception = conv.perception_from_msg(msg)
            m.on_perception(self.perception, t)
        elif topic_kind == "ego":
            self.ego = conv.ego_from_msg(msg)
            m.on_vehicle_state(self.ego, t)
            if self.driver is not None:
                return self._step(t)
        return None

    def _step(self, t: float) -> dict:
        traj, status, _ = self.mm.step(t, self.ego, self.driver, self.perception, self.rear, self.takeover)
        self.mon.on_mode(status, t)
        proposed = self.ctl.step(t, self.ego, traj)
        self.mon.on_command(proposed, t)
        out = self.mon.tick(t)
        self.takeover = out.takeover
        tt = np.asarray(traj.t_s, float)
        return {
            "t_s": round(t, 6), "mode": int(status.mode), "phase": int(status.lane_change_phase),
            "direction": int(status.lane_change_direction), "traj_points": len(tt),
            "traj_y_1s_m": _at(tt, np.asarray(traj.y_m, float), 1.0),
            "traj_y_3s_m": _at(tt, np.asarray(traj.y_m, float), 3.0),
            "traj_speed_1s_mps": _at(tt, np.asarray(traj.speed_mps, float), 1.0),
            "steer_rad": proposed.steering_angle_rad, "accel_mps2": proposed.accel_mps2,
            "engaged": bool(proposed.engaged), "source": int(proposed.source),
            "gated_steer_rad": out.command.steering_angle_rad, "gated_accel_mps2": out.command.accel_mps2,
            "gated_source": int(out.command.source), "safety_level": int(out.report.level),
            "takeover_level": int(out.takeover.level), "vetoed": bool(out.report.vetoed),
        }


KINDS = {"/camera/image_raw": "image", "/camera/image_raw/compressed": "jpeg", "/vehicle/state": "ego",
         "/vehicle/driver_input": "driver", "/sensing/rear_objects": "rear", "/lcc/vla_action": "perception"}


def replay(bag: Path) -> list[dict]:
    """Run `bag` through the cores; one output row per vehicle state."""
    stack = CoreStack()
    rows = []
    with Reader(bag) as reader:
        conns = [c for c in reader.connections if c.topic in KINDS]
        classes = {c.id: message_class(c.msgtype) for c in conns}
        for c, stamp_ns, raw in reader.messages(connections=conns):
            row = stack.feed(KINDS[c.topic], deserialize_message(bytes(raw), classes[c.id]), stamp_ns * 1e-9)
            if row is not None:
                rows.append(row)
    return rows


def _same(field: str, a, b) -> bool:
    if field in EXACT:
        return a == b
    if a is None or b is None or (isinstance(a, float) and math.isnan(a)):
        return (a is None or math.isnan(a)) and (b is None or math.isnan(b))
    return abs(a - b) <= ATOL + RTOL * abs(b)


def diff(reference: list[dict], replayed: list[dict]) -> list[Diff]:
    """Fields whose values changed beyond tolerance (row count changes show as field `rows`)."""
    out = []
    if len(reference) != len(replayed):
        out.append(Diff("rows", abs(len(reference) - len(replayed)), 0.0, len(reference), len(replayed), math.nan))
    fields = sorted({k for r in reference[:1] + replayed[:1] for k in r} - {"t_s"})
    for field in fields:
        bad = [(r, n) for r, n in zip(reference, replayed) if not _same(field, r.get(field), n.get(field))]
        if not bad:
            continue
        numeric = [abs(n[field] - r[field]) for r, n in bad if field not in EXACT
                   and isinstance(r.get(field), float) and isinstance(n.get(field), float)]
        out.append(Diff(field, len(bad), bad[0][0]["t_s"], bad[0][0].get(field), bad[0][1].get(field),
                        max((x for x in numeric if not math.isnan(x)), default=math.nan)))
    return out


def report_markdown(bag: Path, diffs: list[Diff], n_rows: int) -> str:
    lines = ["# Process replay", "", f"Bag: `{bag}`, {n_rows} steps; tolerance {ATOL:g} + {RTOL:g} x |reference|.",
             ""]
    if not diffs:
        return "\n".join([*lines, "All outputs match the reference.", ""])
    lines += ["| output | steps changed | first at t [s] | reference | replayed | max abs diff |",
              "|---|---|---|---|---|---|"]
    for d in diffs:
        lines.append(f"| {d.field} | {d.rows} | {d.first_t_s:.2f} | {d.reference} | {d.replayed} | "
                     f"{'' if math.isnan(d.max_abs) else f'{d.max_abs:.6g}'} |")
    lines += ["", "If the change is intended, accept it with `lcc-plus replay --update`.", ""]
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bag", default=str(DEFAULT_BAG), help="reference bag (default: the committed one)")
    parser.add_argument("--reference", default=str(DEFAULT_REFERENCE), help="stored reference outputs (JSON)")
    parser.add_argument("--update", action="store_true", help="rewrite the reference from this replay")
    parser.add_argument("--report", default=str(DEFAULT_REPORT), help="where the Markdown diff report goes")


def run(args: argparse.Namespace) -> int:
    bag, ref_path, report_path = Path(args.bag), Path(args.reference), Path(args.report)
    if not (bag / "metadata.yaml").is_file():
        raise SystemExit(f"lcc-plus replay: {bag} is not a rosbag2 folder")
    rows = replay(bag)
    if args.update:
        ref_path.parent.mkdir(parents=True, exist_ok=True)
        ref_path.write_text(json.dumps({"bag": bag.name, "rows": rows}, indent=0, allow_nan=True) + "\n")
        print(f"reference rewritten: {ref_path} ({len(rows)} steps)")
        return 0
    if not ref_path.is_file():
        raise SystemExit(f"lcc-plus replay: no reference at {ref_path}; create it with --update")
    diffs = diff(json.loads(ref_path.read_text())["rows"], rows)
    report_path.parent.mkdir(parents=True, exist_ok=True)
    report_path.write_text(report_markdown(bag, diffs, len(rows)))
    print(report_path.read_text())
    return 1 if diffs else 0
