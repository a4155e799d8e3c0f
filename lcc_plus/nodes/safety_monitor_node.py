"""safety_monitor: the only publisher of the gated command wired to the actuators.

Inputs (all counted and judged by the core, lcc_plus/safety/monitor.py):
  ~/input/vehicle_state (VehicleState), ~/input/driver_input (DriverInput),
  ~/input/vla_action (VlaAction), ~/input/mode (ModeState), ~/input/command (the
  controller's proposed ControlCommand), ~/input/rear_objects (ObjectList),
  ~/input/image (sensor_msgs/Image, sensor-data QoS). The image is read only for its
  header stamp, width, height and encoding: a frozen camera (no new stamp) and a wrong
  size or encoding are faults of the source the model sees; CameraInfo would not show
  either, because it describes the calibration, not the frames actually sent.
Outputs, every timer tick at `rate_hz` on the node clock (sim time with use_sim_time):
  ~/output/command (gated ControlCommand), ~/output/safety_status (SafetyStatus),
  ~/output/heartbeat (Heartbeat); ~/output/takeover_request (TakeoverRequest) when it
  changes and once a second; ~/output/diagnostics (/diagnostics) once a second and on
  every level change. Parameters: SafetyParams (config/safety.yaml), read-only at run
  time: the limits of the gate are not something to tune on a moving car.
"""
from __future__ import annotations

import traceback

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.node import Node
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import Image

from lcc_plus.common.types import SafetyLevel
from lcc_plus.msg import (
    ControlCommand,
    DriverInput,
    Heartbeat,
    ModeState,
    ObjectList,
    SafetyStatus,
    TakeoverRequest,
    VehicleState,
    VlaAction,
)
from lcc_plus.nodes import conversions as conv
from lcc_plus.nodes import topics
from lcc_plus.nodes.node_params import declare_params
from lcc_plus.nodes.runner import run_node
from lcc_plus.safety.monitor import SafetyMonitor
from lcc_plus.safety.params import SafetyParams

NAME = "safety_monitor"
_HEARTBEAT_STATE = {SafetyLevel.OK: Heartbeat.STATE_OK, SafetyLevel.DEGRADED: Heartbeat.STATE_DEGRADED,
                    SafetyLevel.TAKEOVER: Heartbeat.STATE_DEGRADED}


class SafetyMonitorNode(Node):
    def __init__(self, **node_kwargs):
        super().__init__(NAME, **node_kwargs)
        self.params = declare_params(self, SafetyParams, "safety.yaml", NAME)
        self.monitor = SafetyMonitor(self.params)
        self._ticks = 0
        self._heartbeat_seq = 0
        self._last_takeover: tuple | None = None
        self._last_level: SafetyLevel | None = None

        def pub(msg_type, name):
            return self.create_publisher(msg_type, name, topics.qos_for(NAME, name))

        self.pub_command = pub(ControlCommand, "~/output/command")
        self.pub_status = pub(SafetyStatus, "~/output/safety_status")
        self.pub_takeover = pub(TakeoverRequest, "~/output/takeover_request")
        self.pub_heartbeat = pub(Heartbeat, "~/output/heartbeat")
        self.pub_diag = pub(DiagnosticArray, "~/output/diagnostics")

        m = self.monitor
        self._subscribe(VehicleState, "vehicle_state", conv.ego_from_msg, m.on_vehicle_state)
        self._subscribe(DriverInput, "driver_input", conv.driver_from_msg, m.on_driver)
        self._subscribe(VlaAction, "vla_action", conv.perception_from_msg, m.on_perception)
        self._subscribe(ModeState, "mode", conv.mode_from_msg, m.on_mode)
        self._subscribe(ControlCommand, "command", conv.command_from_msg, m.on_command)
        self._subscribe(ObjectList, "rear_objects", conv.rear_from_msg, m.on_rear)
        self.create_subscription(Image, "~/input/image", self._on_image, qos_profile_sensor_data)
        self.create_timer(1.0 / self.params.rate_hz, self._tick)

    def _now_s(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    def _subscribe(self, msg_type, topic: str, convert, handle) -> None:
        def callback(msg) -> None:
            now = self._now_s()
            try:
                value = convert(msg)
            except (conv.ConversionError, ValueError, TypeError, OverflowError) as err:
                self.monitor.reject(topic, f"conversion:{err}", now)
                return
            try:
                handle(value, now)
            except Exception:  # a defect in the core must not take the node (and the command stream) down
                self.get_logger().error(f"safety core failed on {topic}:\n{traceback.format_exc()}",
                                        throttle_duration_sec=1.0)
                self.monitor.reject(topic, "processing_failed", now)

        name = f"~/input/{topic}"
        self.create_subscription(msg_type, name, callback, topics.qos_for(NAME, name))

    def _on_image(self, msg: Image) -> None:
        self.monitor.on_image(conv.to_seconds(msg.header.stamp), int(msg.width), int(msg.height), msg.encoding,
                              self._now_s())

    def _tick(self) -> None:
        now = self._now_s()
        try:
            out = self.monitor.tick(now)
        except Exception:  # a defect in the core: hand control back, say so, keep the heartbeat honest
            self.get_logger().error(f"safety core failed, commanding disengage:\n{traceback.format_exc()}",
                                    throttle_duration_sec=1.0)
            self._publish_fault(now)
            return
        self.pub_command.publish(conv.command_to_msg(out.command))
        self.pub_status.publish(conv.safety_to_msg(out.report))
        self._publish_heartbeat(_HEARTBEAT_STATE.get(out.report.level, Heartbeat.STATE_FAULT))
        t = out.takeover
        key = (t.level, t.reason)
        if key != self._last_takeover or self._ticks % int(self.params.rate_hz) == 0:
            self.pub_takeover.publish(conv.takeover_to_msg(t))
            self._last_takeover = key
        if out.report.level != self._last_level or self._ticks % int(self.params.rate_hz) == 0:
            self._publish_diagnostics(out.diagnostics)
            self._last_level = out.report.level
        if out.report.vetoed and out.report.level >= SafetyLevel.TAKEOVER:
            self.get_logger().warning(f"veto: {out.report.veto_reason}", throttle_duration_sec=1.0)
        self._ticks += 1

    def _publish_heartbeat(self, state: int) -> None:
        self._heartbeat_seq += 1
        hb = Heartbeat(node_name=self.get_fully_qualified_name(), sequence=self._heartbeat_seq, state=state)
        hb.header.stamp = self.get_clock().now().to_msg()
        self.pub_heartbeat.publish(hb)

    def _publish_fault(self, now: float) -> None:
        idle = ControlCommand(source=ControlCommand.SOURCE_NONE, engaged=False)
        idle.header.stamp = self.get_clock().now().to_msg()
        self.pub_command.publish(idle)
        self._publish_heartbeat(Heartbeat.STATE_FAULT)

    def _publish_diagnostics(self, diagnostics) -> None:
        arr = DiagnosticArray()
        arr.header.stamp = self.get_clock().now().to_msg()
        hw = self.get_fully_qualified_name()
        for name, level, message, values in diagnostics:
            arr.status.append(DiagnosticStatus(level=bytes([level]), name=name, message=message, hardware_id=hw,
                                               values=[KeyValue(key=k, value=v) for k, v in values.items()]))
        self.pub_diag.publish(arr)


def main() -> int:
    return run_node(SafetyMonitorNode, NAME)


if __name__ == "__main__":
    raise SystemExit(main())
