"""nearbyFacilities against the seeded Wuchang map, through the real /graphql endpoint."""

import math

import pytest
from geographiclib.geodesic import Geodesic

from models.facilities import Facility
from resolvers.coordinates import CoordinateSystem, from_wgs84, haversine_m
from schema.common import decode_global_id
from seeds import facility_data
from seeds.facilities import point
from tests.conftest import GraphQLClient

NANMU_WGS84 = (30.2978, 120.0418)

NEARBY = """
query Nearby($near: GeoPointInput!, $within: Int! = 15, $pace: WalkingPace! = ADULT,
             $categories: [FacilityCategory!], $openAt: DateTime, $service: String, $text: String,
             $first: Int! = 20, $after: String) {
  nearbyFacilities(near: $near, withinMinutes: $within, pace: $pace, categories: $categories,
                   openAt: $openAt, service: $service, text: $text, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      cursor distanceMeters walkingMinutes
      node { id name category address location(system: WGS84) { lat lng } }
    }
  }
}
"""
WITH_SERVICES = """
query($near: GeoPointInput!, $first: Int!) {
  nearbyFacilities(near: $near, first: $first) { edges { node { name services { code name } } } }
}
"""

STATION_LOCATIONS = """
query($near: GeoPointInput!) {
  nearbyFacilities(near: $near, withinMinutes: 1, categories: [METRO_STATION]) {
    edges {
      distanceMeters
      node { name gcj: location { lat lng } wgs: location(system: WGS84) { lat lng } }
    }
  }
}
"""


def near(lat_lng=NANMU_WGS84, system=CoordinateSystem.WGS84) -> dict:
    lat, lng = from_wgs84(*lat_lng, system)
    return {"lat": lat, "lng": lng, "system": system.value}


async def nearby(gql, **variables) -> dict:
    variables.setdefault("near", near())
    body = await gql(NEARBY, variables)
    assert "errors" not in body, body["errors"]
    return body["data"]["nearbyFacilities"]


def hours_of(name: str) -> str:
    return next(item["hours"] for item in facility_data.FACILITIES if item["name"] == name)


def geodesic_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """The WGS-84 geodesic distance (Karney, geographiclib): a reference we did not write."""
    return Geodesic.WGS84.Inverse(a[0], a[1], b[0], b[1])["s12"]


def expected_within(minutes: int, pace: float = 60.0) -> set[str]:
    """The seeded facilities whose walking minutes from Nanmu are ≤ minutes, by the geodesic."""
    return {
        item["name"]
        for item in facility_data.FACILITIES
        if math.ceil(round(geodesic_m(NANMU_WGS84, (item["lat"], item["lng"]))) * 1.2 / pace - 1e-9)
        <= minutes
    }


async def test_anyone_gets_the_nearest_first_with_distance_and_walking_minutes(gql):
    result = await nearby(gql, first=50)

    edges = result["edges"]
    assert edges, "the seeded map has facilities near Nanmu"
    distances = [edge["distanceMeters"] for edge in edges]
    assert distances == sorted(distances)
    for edge in edges:
        location = edge["node"]["location"]
        # The location comes back rounded to 6 decimals (≈ 0.1 m): within a metre of the geodesic.
        assert abs(geodesic_m(NANMU_WGS84, (location["lat"], location["lng"])) - edge["distanceMeters"]) <= 1
        assert edge["walkingMinutes"] == math.ceil(round(edge["distanceMeters"] * 1.2 / 60, 9))
        assert edge["walkingMinutes"] <= 15


async def test_the_result_is_exactly_what_a_15_minute_walk_reaches(gql):
    result = await nearby(gql, first=100)
    names = {edge["node"]["name"] for edge in result["edges"]}

    expected = expected_within(15)
    # Only facilities within a centimetre of the 750.5 m edge could differ from the reference.
    borderline = {
        item["name"]
        for item in facility_data.FACILITIES
        if abs(geodesic_m(NANMU_WGS84, (item["lat"], item["lng"])) - 750.5) < 0.01
    }
    assert names - borderline == expected - borderline
    assert result["totalCount"] == len(names)


async def test_elderly_pace_reaches_less_than_adult_pace(gql):
    adult = await nearby(gql, first=100)
    elderly = await nearby(gql, first=100, pace="ELDERLY")

    assert elderly["totalCount"] < adult["totalCount"]
    assert max(edge["distanceMeters"] for edge in elderly["edges"]) <= 15 * 48 / 1.2


async def test_ties_are_broken_by_id_and_pages_neither_skip_nor_repeat(gql):
    everything = await nearby(gql, first=100)
    walked, after = [], None
    while True:
        page = await nearby(gql, first=7, after=after)
        walked += [edge["node"]["id"] for edge in page["edges"]]
        assert page["totalCount"] == everything["totalCount"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert walked == [edge["node"]["id"] for edge in everything["edges"]]


@pytest.mark.parametrize("system", [CoordinateSystem.GCJ02, CoordinateSystem.BD09])
async def test_the_same_physical_point_in_another_system_finds_the_same_facilities(gql, system):
    wgs = await nearby(gql, first=100)
    other = await nearby(gql, first=100, near=near(NANMU_WGS84, system))

    assert [e["node"]["id"] for e in other["edges"]] == [e["node"]["id"] for e in wgs["edges"]]
    for a, b in zip(wgs["edges"], other["edges"], strict=True):
        assert abs(a["distanceMeters"] - b["distanceMeters"]) <= 2


async def test_gcj02_is_the_default_system_and_location_answers_in_the_system_asked(gql):
    station_gcj = {"lat": 30.296292, "lng": 120.045122}
    edges = (await gql(STATION_LOCATIONS, {"near": station_gcj}))["data"]["nearbyFacilities"]["edges"]

    assert edges[0]["node"]["name"] == "地铁五常站"
    assert edges[0]["distanceMeters"] <= 5
    gcj, wgs = edges[0]["node"]["gcj"], edges[0]["node"]["wgs"]
    assert haversine_m((gcj["lat"], gcj["lng"]), (30.296292, 120.045122)) < 5
    assert haversine_m((wgs["lat"], wgs["lng"]), (30.29863, 120.04034)) < 5


async def test_categories_filter(gql):
    result = await nearby(gql, first=100, categories=["BUS_STOP", "METRO_STATION"])

    assert result["edges"]
    assert {edge["node"]["category"] for edge in result["edges"]} <= {"BUS_STOP", "METRO_STATION"}


async def test_service_text_finds_a_kiosk_offering_medical_insurance_enrolment(gql):
    result = await nearby(gql, first=100, service="医保")

    categories = {edge["node"]["category"] for edge in result["edges"]}
    assert "SELF_SERVICE_KIOSK" in categories
    names = {edge["node"]["name"] for edge in result["edges"]}
    offering = {
        item["name"]
        for item in facility_data.FACILITIES
        if any("医保" in dict(facility_data.SERVICES)[code] for code in item["services"])
    }
    assert names <= offering


async def test_text_matches_name_or_address(gql):
    by_name = await nearby(gql, first=100, text="五常")
    assert by_name["edges"]
    for edge in by_name["edges"]:
        assert "五常" in edge["node"]["name"] or "五常" in (edge["node"]["address"] or "")


async def test_like_wildcards_in_text_are_literal(gql):
    assert (await nearby(gql, first=100, text="%"))["edges"] == []
    assert (await nearby(gql, first=100, service="_"))["edges"] == []


# A Wednesday, no exceptions in the seed data.
AT_3AM = "2026-12-02T03:00:00+08:00"


async def test_open_at_three_in_the_morning_returns_only_24_hour_places(gql):
    result = await nearby(gql, first=100, openAt=AT_3AM)

    names = {edge["node"]["name"] for edge in result["edges"]}
    assert names, "the seeded map has 24-hour places near Nanmu"
    assert {hours_of(name) for name in names} == {"ALWAYS"}
    assert names == {name for name in expected_within(15) if hours_of(name) == "ALWAYS"}


async def test_a_period_past_midnight_counts_on_the_next_morning(gql):
    late = [item["name"] for item in facility_data.FACILITIES if item["hours"] == "LATE_RESTAURANT"]
    query = """query($near: GeoPointInput!, $openAt: DateTime) {
      nearbyFacilities(near: $near, withinMinutes: 60, openAt: $openAt, categories: [RESTAURANT], first: 100)
      { edges { node { name } } } }"""

    at_1am = await gql(query, {"near": near(), "openAt": "2026-12-03T01:30:00+08:00"})
    at_3am = await gql(query, {"near": near(), "openAt": "2026-12-03T03:00:00+08:00"})

    assert set(late) <= {e["node"]["name"] for e in at_1am["data"]["nearbyFacilities"]["edges"]}
    assert not set(late) & {e["node"]["name"] for e in at_3am["data"]["nearbyFacilities"]["edges"]}


async def test_a_dated_exception_replaces_the_weekly_hours(gql):
    query = """query($near: GeoPointInput!, $at: DateTime!) {
      nearbyFacilities(near: $near, withinMinutes: 30, text: "五常街道邻里中心", first: 5)
      { edges { node { name isOpen(at: $at) } } } }"""

    async def open_at(moment: str) -> bool:
        edges = (await gql(query, {"near": near(), "at": moment}))["data"]["nearbyFacilities"]["edges"]
        return next(e["node"]["isOpen"] for e in edges if e["node"]["name"] == "五常街道邻里中心")

    assert await open_at("2027-02-20T14:00:00+08:00")  # an ordinary Saturday afternoon
    assert await open_at("2027-02-13T10:00:00+08:00")  # the exception: 09:00–12:00 only
    assert not await open_at("2027-02-13T14:00:00+08:00")


async def test_is_open_agrees_with_the_open_at_filter(gql):
    query = """query($near: GeoPointInput!, $at: DateTime!) {
      nearbyFacilities(near: $near, first: 100) { edges { node { id isOpen(at: $at) } } } }"""
    edges = (await gql(query, {"near": near(), "at": AT_3AM}))["data"]["nearbyFacilities"]["edges"]
    filtered = await nearby(gql, first=100, openAt=AT_3AM)

    assert {e["node"]["id"] for e in edges if e["node"]["isOpen"]} == {
        e["node"]["id"] for e in filtered["edges"]
    }


@pytest.mark.parametrize(
    ("variables", "reason"),
    [
        ({"near": {"lat": 91, "lng": 120, "system": "WGS84"}}, "INVALID_COORDINATES"),
        ({"near": {"lat": -90.5, "lng": 120}}, "INVALID_COORDINATES"),
        ({"near": {"lat": 30, "lng": 181}}, "INVALID_COORDINATES"),
        ({"within": 0}, "WITHIN_MINUTES_OUT_OF_RANGE"),
        ({"within": 61}, "WITHIN_MINUTES_OUT_OF_RANGE"),
        ({"first": 101}, "PAGE_SIZE_OUT_OF_RANGE"),
        ({"after": "not-a-cursor"}, "INVALID_CURSOR"),
        ({"after": "WyJhIiwiYiJd"}, "INVALID_CURSOR"),  # ["a","b"]
        ({"text": "x" * 101}, "FILTER_TOO_LONG"),
    ],
)
async def test_bad_input_is_bad_request_never_a_500(gql, variables, reason):
    variables.setdefault("near", near())

    response = await gql.post(NEARBY, variables)

    assert response.status_code == 200
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "BAD_REQUEST", "reason": reason}
    assert response.json()["data"] is None


@pytest.mark.parametrize("first", [1, 10, 60])
@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "resolvers"])
async def test_nested_services_cost_the_same_few_statements_whatever_first_is(
    client_with, count_statements, first, compiled
):
    async with client_with(compiled_reads=compiled) as client:
        with count_statements() as counter:
            body = await GraphQLClient(client)(WITH_SERVICES, {"near": near(), "first": first})

    assert len(body["data"]["nearbyFacilities"]["edges"]) == min(first, len(expected_within(15)))
    # Compiled: the page with every facility's services, as one JSON value; by the resolvers: the
    # page, and every facility's services at once.
    assert counter.count == (1 if compiled else 2), counter.statements


async def test_node_fetches_a_facility_again(gql):
    edge = (await nearby(gql, first=1))["edges"][0]

    node = (
        await gql(
            "query($id: ID!) { node(id: $id) { ... on Facility { name } } }", {"id": edge["node"]["id"]}
        )
    )["data"]["node"]

    assert node == {"name": edge["node"]["name"]}


async def test_facilities_at_the_same_spot_page_in_id_order_without_loss(gql, session):
    # Four kiosks in one building far from the seeded map: equal distances, ties broken by id.
    spot = (30.1200, 120.3800)
    session.add_all(
        Facility(name=f"同楼自助终端{i}", category="SELF_SERVICE_KIOSK", location=point(*spot))
        for i in range(4)
    )
    session.add(Facility(name="隔壁便利店", category="SUPERMARKET", location=point(30.1203, 120.3800)))
    await session.commit()
    where = {"near": near(spot), "within": 5}
    everything = await nearby(gql, first=100, **where)
    tied = [edge["node"]["id"] for edge in everything["edges"][:4]]

    walked, after = [], None
    while True:
        page = await nearby(gql, first=2, after=after, **where)  # more ties than first + 1
        walked += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert len(everything["edges"]) == 5
    assert walked == [edge["node"]["id"] for edge in everything["edges"]]
    assert tied == sorted(tied, key=lambda gid: decode_global_id(gid)[1])
    assert {edge["distanceMeters"] for edge in everything["edges"][:4]} == {0}
