"""Statement-count cases of facilities: the nearby search, the life circle, a facility by id.

Run by tests/perf/test_statement_counts.py (see tests/perf/cases.py for what a case is).
"""

from sqlalchemy import select

from models.facilities import (
    Facility,
    FacilityCategory,
    FacilityService,
    HoursException,
    LifeCircleRequirement,
    OpeningPeriod,
    Service,
)
from seeds.facilities import point
from tests.perf.cases import AliasSetup, Case, Run, World, edges, gid, node_query

NANMU_WGS84 = {"lat": 30.2978, "lng": 120.0418, "system": "WGS84"}


# The rows the cases build -----------------------------------------------------


async def service_ids(w: World, count: int) -> list[int]:
    return list(await w.session.scalars(select(Service.id).order_by(Service.id).limit(count)))


async def add_facility(w: World, lat: float, lng: float, services: int = 2, periods: int = 7) -> Facility:
    facility = Facility(
        name=f"性能测试设施{w.unique():03d}",
        category="SELF_SERVICE_KIOSK",
        address="性能测试路1号",
        location=point(lat, lng),
    )
    w.session.add(facility)
    await w.session.flush()
    w.session.add_all(
        FacilityService(facility_id=facility.id, service_id=service_id)
        for service_id in await service_ids(w, services)
    )
    w.session.add_all(
        OpeningPeriod(
            facility_id=facility.id,
            weekday=1 + index % 7,
            open_minute=60 * (index // 7),
            close_minute=60 * (index // 7) + 30,
        )
        for index in range(periods)
    )
    w.session.add(HoursException(facility_id=facility.id, day=w.today, open_minute=None))
    await w.session.flush()
    return facility


# Query ----------------------------------------------------------------------

NEARBY = """
query($near: GeoPointInput!, $at: DateTime!) {
  nearbyFacilities(near: $near, withinMinutes: 5, first: 50) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      cursor distanceMeters walkingMinutes
      node {
        id name category address phone accessibility
        location(system: WGS84) { lat lng }
        gcj: location { lat lng }
        isOpen
        openAtNoon: isOpen(at: $at)
        services { code name }
        openingHours { weekday opens closes overnight }
      }
    }
  }
}
"""


async def nearby_facilities(w: World, n: int) -> Run:
    # A spot far from the seeded map, one per size, with n facilities a few metres apart.
    lat, lng = 30.05 + 0.01 * w.unique(), 120.60
    for index in range(n):
        await add_facility(w, lat + 0.0001 * index, lng)
    await w.commit()
    return Run({"near": {"lat": lat, "lng": lng, "system": "WGS84"}, "at": w.at(w.today, 12).isoformat()})


LIFE_CIRCLE = """
query($near: GeoPointInput!) {
  lifeCircle(near: $near, pace: ELDERLY) {
    coverage
    tiers { minutes requirements { category label satisfied
      nearest { cursor distanceMeters walkingMinutes
        node { id name isOpen services { code name } openingHours { weekday opens closes } } } } }
  }
}
"""


async def life_circle(w: World, n: int) -> Run:
    tier = 100 + w.unique()
    w.session.add_all(
        LifeCircleRequirement(
            tier_minutes=tier, category=category.value, label=f"性能要求{index}", position=index
        )
        for index, category in enumerate(list(FacilityCategory)[:n])
    )
    await w.commit()
    return Run({"near": NANMU_WGS84})


def total_requirements(data: dict) -> int:
    return sum(len(tier["requirements"]) for tier in data["lifeCircle"]["tiers"])


async def node_facility(w: World, n: int) -> Run:
    facility = await add_facility(w, 30.40, 120.70, services=n, periods=n)
    await w.commit()
    return Run({"id": gid("Facility", facility.id)})


# The cases ----------------------------------------------------------------------

CASES = [
    Case("Query.nearbyFacilities", NEARBY, nearby_facilities, edges("nearbyFacilities", "edges")),
    Case("Query.lifeCircle", LIFE_CIRCLE, life_circle, total_requirements),
    Case(
        "Query.node[Facility]",
        node_query(
            "Facility",
            "name location { lat lng } isOpen services { code name } openingHours { weekday opens closes }",
        ),
        node_facility,
        edges("node", "openingHours"),
    ),
]


# node(id:) asked many times in one request (aliases) ------------------------------


async def alias_facilities(w: World, k: int) -> tuple[list[int], str]:
    lat = 30.40 + 0.01 * w.unique()
    return [(await add_facility(w, lat, 120.70 + 0.001 * i)).id for i in range(k)], w.tokens["RESIDENT"]


NODE_ALIASES: dict[str, AliasSetup] = {"Facility": alias_facilities}
