"""Catalog, part 1 (small roads, urban, forks): every scripted event happens, and a
competent human (the driver model) drives it without collisions or departures."""
import pytest
from sim_helpers import run_scenario_events

from lcc_plus.sim import scenarios

NAMES = [sc.name for s in ("small_roads", "urban", "forks") for sc in scenarios.suite(s)]


@pytest.mark.parametrize("name", NAMES)
def test_scripted_events_happen(name):
    sc = scenarios.get(name)
    assert sc.description and sc.expected_events
    world = run_scenario_events(name)
    missing = [e for e in sc.expected_events if not scenarios.event_happened(e, world)]
    assert not missing, f"{name}: {missing} did not happen"
    assert not world.log.events_of("collision"), world.log.events_of("collision")
    assert not world.log.events_of("lane_departure"), world.log.events_of("lane_departure")
