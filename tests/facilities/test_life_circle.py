"""lifeCircle: the 5/10/15-minute tiers, kept as data, measured against the seeded map."""

import pytest
from sqlalchemy import delete, select

from models.facilities import LifeCircleRequirement
from tests.conftest import GraphQLClient

NANMU = {"lat": 30.2978, "lng": 120.0418, "system": "WGS84"}
FAR_AWAY = {"lat": 30.10, "lng": 120.40, "system": "WGS84"}  # Xiaoshan, far from the seeded map

LIFE_CIRCLE = """
query($near: GeoPointInput!, $pace: WalkingPace! = ADULT) {
  lifeCircle(near: $near, pace: $pace) {
    coverage
    tiers {
      minutes
      requirements {
        category label satisfied
        nearest { distanceMeters walkingMinutes node { name category } }
      }
    }
  }
}
"""
NEAREST_OF = """
query($near: GeoPointInput!, $categories: [FacilityCategory!]) {
  nearbyFacilities(near: $near, withinMinutes: 60, categories: $categories, first: 1) {
    edges { distanceMeters node { name } }
  }
}
"""


async def report(gql, near=NANMU, pace="ADULT") -> dict:
    body = await gql(LIFE_CIRCLE, {"near": near, "pace": pace})
    assert "errors" not in body, body
    return body["data"]["lifeCircle"]


async def test_tiers_carry_exactly_the_requirements_stored_as_data(gql, session):
    rows = (await session.scalars(select(LifeCircleRequirement))).all()

    result = await report(gql)

    assert [tier["minutes"] for tier in result["tiers"]] == [5, 10, 15]
    served = {
        (tier["minutes"], item["category"]) for tier in result["tiers"] for item in tier["requirements"]
    }
    assert served == {(row.tier_minutes, row.category) for row in rows}
    assert len(rows) == 27


async def test_satisfied_means_the_nearest_is_within_the_tiers_minutes(gql):
    result = await report(gql)

    for tier in result["tiers"]:
        for item in tier["requirements"]:
            nearest = item["nearest"]
            assert item["satisfied"] == (nearest is not None and nearest["walkingMinutes"] <= tier["minutes"])


async def test_coverage_is_satisfied_over_required(gql):
    result = await report(gql)

    items = [item for tier in result["tiers"] for item in tier["requirements"]]
    assert result["coverage"] == round(sum(item["satisfied"] for item in items) / len(items), 4)
    assert 0.5 < result["coverage"] <= 1  # Nanmu is well served in the seeded map


async def test_each_requirement_names_the_true_nearest_facility(gql, session):
    rows = (await session.scalars(select(LifeCircleRequirement))).all()
    also = {(row.tier_minutes, row.category): row.also_satisfied_by for row in rows}
    result = await report(gql)

    compared = 0
    for tier in result["tiers"]:
        for item in tier["requirements"]:
            if item["nearest"] is None or item["nearest"]["distanceMeters"] > 3000:
                continue
            categories = [item["category"], *also[(tier["minutes"], item["category"])]]
            probe = await gql(NEAREST_OF, {"near": NANMU, "categories": categories})
            nearest = probe["data"]["nearbyFacilities"]["edges"][0]
            assert abs(nearest["distanceMeters"] - item["nearest"]["distanceMeters"]) <= 1, item
            compared += 1

    assert compared >= 10, "too few requirements were checked against the search to mean anything"


async def test_elderly_pace_covers_no_more_than_adult_pace(gql):
    adult, elderly = await report(gql), await report(gql, pace="ELDERLY")

    assert elderly["coverage"] <= adult["coverage"]


async def test_far_from_everything_nothing_is_satisfied_but_the_nearest_is_still_named(gql):
    result = await report(gql, near=FAR_AWAY)

    assert result["coverage"] == 0
    metro = next(i for t in result["tiers"] for i in t["requirements"] if i["category"] == "METRO_STATION")
    assert metro["nearest"]["node"]["category"] == "METRO_STATION"
    assert metro["satisfied"] is False


async def test_correcting_the_requirements_needs_no_code(gql, session):
    await session.execute(
        delete(LifeCircleRequirement).where(LifeCircleRequirement.category == "PUBLIC_TOILET")
    )
    await session.commit()

    result = await report(gql)

    categories = {item["category"] for tier in result["tiers"] for item in tier["requirements"]}
    assert "PUBLIC_TOILET" not in categories
    assert sum(len(tier["requirements"]) for tier in result["tiers"]) == 26


WITH_SERVICES = """query($near: GeoPointInput!) { lifeCircle(near: $near) {
  coverage tiers { requirements { satisfied nearest { node { name services { name } } } } } } }"""


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "resolvers"])
async def test_life_circle_costs_one_statement(client_with, count_statements, compiled):
    async with client_with(compiled_reads=compiled) as client:
        with count_statements() as counter:
            plain = await GraphQLClient(client)(LIFE_CIRCLE, {"near": NANMU})
        assert counter.count == 1, counter.statements
        with count_statements() as counter:
            with_services = await GraphQLClient(client)(WITH_SERVICES, {"near": NANMU})

    assert "errors" not in plain and "errors" not in with_services, (plain, with_services)
    # Compiled: the report with every nearest facility's services, one JSON value; by the
    # resolvers: the report, and every facility's services at once.
    assert counter.count == (1 if compiled else 2), counter.statements


SATISFIED_BY = """query($near: GeoPointInput!) { lifeCircle(near: $near) {
  tiers { minutes requirements { category label satisfiedBy satisfied nearest { node { category } } } } } }"""


async def test_each_requirement_says_which_categories_meet_it(gql):
    body = await gql(SATISFIED_BY, {"near": {"lat": 30.2978, "lng": 120.0418, "system": "WGS84"}})

    requirements = {
        item["category"]: item
        for tier in body["data"]["lifeCircle"]["tiers"]
        for item in tier["requirements"]
    }
    # A restaurant's need is met by a community canteen too; a station's by nothing else.
    assert requirements["RESTAURANT"]["satisfiedBy"] == ["RESTAURANT", "COMMUNITY_CANTEEN"]
    assert requirements["SUPERMARKET"]["satisfiedBy"] == ["SUPERMARKET", "PHARMACY"]
    assert requirements["METRO_STATION"]["satisfiedBy"] == ["METRO_STATION"]
    for item in requirements.values():  # what was found nearest is one of them
        if item["nearest"] is not None:
            assert item["nearest"]["node"]["category"] in item["satisfiedBy"]
