"""Distances are measured on the WGS-84 spheroid, checked against Karney's geodesic (geographiclib, a
library we did not write), and the `withinMinutes` boundary holds exactly on the figure shown (#15:
the sphere was 0.31 % long north–south at 30°N, 2.3 m at 750 m)."""

import random

from geographiclib.geodesic import Geodesic

from models.facilities import Facility
from seeds.facilities import point

CENTRE = (30.2978, 120.0418)  # 南睦, WGS-84
TAG = "测地线测试"
QUERY = """
query($near: GeoPointInput!, $within: Int!, $text: String!, $after: String) {
  nearbyFacilities(near: $near, withinMinutes: $within, text: $text, first: 100, after: $after) {
    totalCount edges { distanceMeters walkingMinutes node { name } } pageInfo { hasNextPage endCursor }
  }
}
"""
NEAR = {"lat": CENTRE[0], "lng": CENTRE[1], "system": "WGS84"}


def at(distance: float, bearing: float) -> tuple[float, float]:
    """The point `distance` metres from the centre along the geodesic with this azimuth."""
    line = Geodesic.WGS84.Direct(CENTRE[0], CENTRE[1], bearing, distance)
    return line["lat2"], line["lon2"]


def geodesic(lat: float, lng: float) -> float:
    return Geodesic.WGS84.Inverse(CENTRE[0], CENTRE[1], lat, lng)["s12"]


async def add(session, name: str, lat: float, lng: float) -> None:
    session.add(Facility(name=name, category="PARK", address=f"{TAG}路", location=point(lat, lng)))


async def everything(gql, within: int) -> list[dict]:
    edges, after = [], None
    while True:
        body = await gql(QUERY, {"near": NEAR, "within": within, "text": TAG, "after": after})
        assert "errors" not in body, body
        page = body["data"]["nearbyFacilities"]
        edges += page["edges"]
        if not page["pageInfo"]["hasNextPage"]:
            return edges
        after = page["pageInfo"]["endCursor"]


async def test_distances_agree_with_the_wgs84_geodesic_to_the_metre(gql, session):
    # Given 300 places in every direction, 20 m to 2.4 km away
    rng = random.Random(20261202)
    expected = {}
    for index in range(300):
        lat, lng = at(rng.uniform(20, 2400), rng.uniform(0, 360))
        name = f"{TAG}{index:03d}"
        await add(session, name, lat, lng)
        expected[name] = geodesic(lat, lng)
    await session.commit()

    # When they are asked for within an hour's walk, page after page
    edges = await everything(gql, 60)

    # Then each distance is the geodesic one, rounded to the metre, and they come nearest first
    shown = {edge["node"]["name"]: edge["distanceMeters"] for edge in edges}
    assert sorted(shown) == sorted(expected)
    off = {
        name: (shown[name], round(expected[name], 2))
        for name in expected
        if abs(shown[name] - expected[name]) > 0.5
    }
    assert off == {}, f"{len(off)} distances differ from the geodesic by more than half a metre"
    assert [edge["distanceMeters"] for edge in edges] == sorted(edge["distanceMeters"] for edge in edges)


async def test_the_minutes_boundary_holds_on_the_distance_shown(gql, session):
    # 15 minutes at 60 m/min with a 1.2 detour: up to 750 m shown (≤ 750.5 m on the geodesic).
    # North–south, where the sphere was furthest from the spheroid.
    for name, distance, bearing in (
        ("北内", 750.3, 0),
        ("北外", 750.7, 0),
        ("南内", 750.3, 180),
        ("南外", 750.7, 180),
        ("东内", 750.3, 90),
        ("东外", 750.7, 90),
    ):
        await add(session, f"{TAG}{name}", *at(distance, bearing))
    await session.commit()

    edges = await everything(gql, 15)
    body = await gql(QUERY, {"near": NEAR, "within": 15, "text": TAG})

    inside = sorted(edge["node"]["name"].removeprefix(TAG) for edge in edges)
    assert inside == sorted(["北内", "南内", "东内"])
    assert {(edge["distanceMeters"], edge["walkingMinutes"]) for edge in edges} == {(750, 15)}
    assert body["data"]["nearbyFacilities"]["totalCount"] == 3
