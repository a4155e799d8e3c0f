"""Trajectory tracking: lateral (curvature feed-forward + feedback) and longitudinal control."""
