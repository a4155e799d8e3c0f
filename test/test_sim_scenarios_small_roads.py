"""Catalog suite `small_roads`: every scripted event happens, and a competent human (the
driver model) drives it without collisions or lane departures."""
import pytest
from sim_helpers import check_scenario

from lcc_plus.sim import scenarios


@pytest.mark.parametrize("name", [sc.name for sc in scenarios.suite("small_roads")])
def test_scripted_events_happen(name):
    check_scenario(name)
