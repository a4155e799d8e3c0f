"""Lane geometry from perceived lines: centres, adjacency, lane ends, forks, bad input."""
from __future__ import annotations

import math

import numpy as np
import pytest
from planning_fixtures import lines, perception

from lcc_plus.common.types import (
    LINE_EGO_LEFT,
    LINE_EGO_RIGHT,
    ForkPreference,
    LaneLine,
    LineType,
    Perception,
)
from lcc_plus.planning.forks import ForkSelector
from lcc_plus.planning.lanes import LaneView
from lcc_plus.planning.params import ModeManagerParams

P = ModeManagerParams.from_config()


def view(per: Perception) -> LaneView:
    return LaneView(per, P, P.lane_width_default_m)


def test_centres_and_adjacency():
    v = view(perception(offset_m=0.4, width_m=3.6))
    assert v.width_m == pytest.approx(3.6)
    assert v.centre(0)(0.0) == pytest.approx(-0.4)
    assert v.centre(1)(0.0) == pytest.approx(3.2)
    assert v.centre(-1)(0.0) == pytest.approx(-4.0)
    assert v.adjacent(1) and v.adjacent(-1)
    v = view(perception(left_lane=False))
    assert not v.adjacent(1) and v.boundary_type(1) == LineType.ROAD_EDGE


def test_one_line_gives_the_centre_from_the_remembered_width():
    per = perception()
    per.lane_lines[LINE_EGO_RIGHT] = LaneLine()
    v = LaneView(per, P, 3.2)
    assert not v.width_measured and v.centre(0)(0.0) == pytest.approx(1.75 - 1.6)
    assert v.lane_weight == pytest.approx(0.5)


def test_weak_and_non_finite_lines_are_ignored():
    per = perception()
    per.lane_lines[LINE_EGO_LEFT].probability = 0.1
    per.lane_lines[LINE_EGO_RIGHT].coefficients = np.array([np.nan, 0, 0, 0])
    v = view(per)
    assert v.centre(0) is None and v.lane_weight == 0.0
    assert view(Perception(lane_lines=[None, "x"])).centre(0) is None


def test_lines_continue_straight_past_their_end():
    """Where the paint stops (an intersection), the lane carries on along the end tangent."""
    per = perception(x_max_m=20.0, curvature_1pm=0.01)
    v = view(per)
    c = v.centre(0)
    slope_end = 0.01 * 20.0
    assert c(50.0) - c(40.0) == pytest.approx(10.0 * slope_end)
    assert v.reach_m == 20.0


def test_lane_end_distance_and_side():
    per = perception(right_lane=False)
    per.lane_lines[LINE_EGO_RIGHT].coefficients = np.array([-1.75, 0.0, 0.0008, 0.0])
    dist, side = view(per).lane_end()
    assert dist == pytest.approx(math.sqrt(1.5 / 0.0008), abs=2.0) and side == 1
    assert view(perception()).lane_end() == (math.inf, 0)


def forked() -> Perception:
    """The right line bends away (1.4 x width at about 34 m): a split whose right branch is the exit."""
    per = perception()
    per.lane_lines[LINE_EGO_RIGHT].coefficients = np.array([-1.75, 0.0, -0.0012, 0.0])
    return per


def test_fork_default_keeps_the_straighter_branch():
    v = view(forked())
    fs = ForkSelector(P)
    assert math.isfinite(v.fork_gore())
    assert fs.update(v, ForkPreference.DEFAULT) == 1
    ref = fs.reference(v, 1)
    assert ref(0.0) == pytest.approx(0.0, abs=1e-6)      # same as the lane centre at the car: no jump
    assert ref(60.0) == pytest.approx(0.0, abs=1e-6)     # follows the straight left line at half a lane


@pytest.mark.parametrize("pref, side", [(ForkPreference.LEFT, 1), (ForkPreference.RIGHT, -1),
                                        (ForkPreference.MAIN, 1)])
def test_fork_preference(pref, side):
    fs = ForkSelector(P)
    assert fs.update(view(forked()), pref) == side


def test_fork_choice_frozen_near_the_gore():
    fs = ForkSelector(P)
    v = view(forked())
    assert v.fork_gore() < P.fork_commit_distance_m
    assert fs.update(v, ForkPreference.RIGHT) == -1
    assert fs.update(v, ForkPreference.LEFT) == -1   # too close to change the branch
    assert fs.update(view(perception()), ForkPreference.LEFT) == 0  # fork passed: choice released


def test_no_fork_on_parallel_lines():
    assert view(perception(curvature_1pm=0.005)).fork_gore() == math.inf
    assert lines()[LINE_EGO_LEFT].line_type == LineType.DASHED
