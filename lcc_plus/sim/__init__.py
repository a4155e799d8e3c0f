"""Closed-loop driving simulator: lanelet2 roads, ego and traffic, sensors, driver, scenarios."""
