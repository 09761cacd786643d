"""WGS-84 ⇄ GCJ-02 ⇄ BD-09 at the edge of the graph."""

import itertools

import pytest

from resolvers.coordinates import (
    CoordinateSystem,
    from_wgs84,
    gcj02_to_wgs84,
    haversine_m,
    to_wgs84,
    wgs84_to_gcj02,
)

# DOMAIN.md: Wuchang station (五常站), Metro Line 5.
STATION_WGS84 = (30.29863, 120.04034)
STATION_GCJ02 = (30.296292, 120.045122)

# A grid over Hangzhou (WGS-84), about 6 km apart.
HANGZHOU = list(
    itertools.product([30.05 + 0.05 * i for i in range(10)], [119.80 + 0.06 * j for j in range(12)])
)


def test_the_wuchang_station_pair_converts_within_5_m():
    assert haversine_m(wgs84_to_gcj02(*STATION_WGS84), STATION_GCJ02) < 5
    assert haversine_m(gcj02_to_wgs84(*STATION_GCJ02), STATION_WGS84) < 5


def test_the_gcj02_offset_in_hangzhou_is_about_500_m():
    assert 400 < haversine_m(STATION_WGS84, STATION_GCJ02) < 600


@pytest.mark.parametrize("system", [CoordinateSystem.GCJ02, CoordinateSystem.BD09])
def test_round_trips_stay_within_half_a_metre_across_hangzhou(system):
    worst = max(haversine_m(point, to_wgs84(*from_wgs84(*point, system), system)) for point in HANGZHOU)
    # Two conversions that moved nothing would round-trip perfectly: each point must really move.
    least_moved = min(haversine_m(point, from_wgs84(*point, system)) for point in HANGZHOU)

    assert worst < 0.5
    assert least_moved > 400


def test_points_outside_china_are_not_shifted():
    tokyo = (35.6812, 139.7671)

    assert wgs84_to_gcj02(*tokyo) == tokyo
    assert gcj02_to_wgs84(*tokyo) == tokyo
