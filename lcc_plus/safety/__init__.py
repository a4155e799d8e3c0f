"""Safety monitor core: command gate, checks, watchdogs, takeover escalation, MRM (no rclpy)."""
