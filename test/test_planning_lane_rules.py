"""Whether a line may be crossed comes from lanelet2's German traffic rules."""
from __future__ import annotations

import pytest

from lcc_plus.common.types import LineType
from lcc_plus.planning.lane_rules import lane_change_allowed


@pytest.mark.parametrize("side", [1, -1])
@pytest.mark.parametrize("kind, allowed", [
    (LineType.DASHED, True), (LineType.SOLID, False), (LineType.DOUBLE, False),
    (LineType.ROAD_EDGE, False), (LineType.UNKNOWN, False),
])
def test_germany_rules(kind, allowed, side):
    assert lane_change_allowed("Germany", kind, side) is allowed
