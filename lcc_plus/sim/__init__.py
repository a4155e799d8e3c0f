"""Closed-loop driving simulator: lanelet2 roads, ego and traffic, sensors, driver, scenarios.

world.World is the entry point (see its docstring); maps (generator), road (lanelet2
lane graph), vehicle, traffic, radar, driver, ground_truth, scenarios (catalog and
suites) and log (the per-step trace) are its parts. camera/render/overlay draw images.
"""
