"""Statement-count cases of facilities: the nearby search, the life circle, a facility by id.

Run by tests/perf/test_statement_counts.py (see tests/perf/cases.py for what a case is).
"""

from datetime import timedelta

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


# Mutations (#17): the office runs facilities ------------------------------------

FACILITY_RESULT = """__typename ... on Facility { id name closedAt community { name }
  services { code name } openingHours { weekday opens closes } hoursExceptions { day closed reason } }
  ... on DomainError { code message }"""
FACILITY_CREATE = (
    f"mutation($i: FacilityCreateInput!) {{ facilityCreate(input: $i) {{ {FACILITY_RESULT} }} }}"
)
FACILITY_UPDATE = f"""mutation($id: ID!, $i: FacilityUpdateInput!) {{
  facilityUpdate(id: $id, input: $i) {{ {FACILITY_RESULT} }} }}"""
FACILITY_CLOSE = (
    f'mutation($id: ID!) {{ facilityClose(id: $id, reason: "性能测试") {{ {FACILITY_RESULT} }} }}'
)
HOURS_EXCEPTIONS_SET = """mutation($c: ID!, $d: [Date!]!) {
  facilityHoursExceptionsSet(filter: {communityId: $c}, dates: $d, closed: true, reason: "台风停业") {
    __typename ... on FacilityHoursExceptionsSet { matched changed dates community { name } }
    ... on DomainError { code message } } }"""


async def service_codes(w: World, count: int) -> list[str]:
    return list(await w.session.scalars(select(Service.code).order_by(Service.id).limit(count)))


def weekly(n: int) -> list[dict]:
    return [
        {"weekday": 1 + index % 7, "opens": f"{index // 7:02d}:00", "closes": f"{index // 7:02d}:30"}
        for index in range(n)
    ]


async def facility_create(w: World, n: int) -> Run:
    return Run(
        {
            "i": {
                "name": f"新建设施{w.unique()}",
                "category": "HEALTH_STATION",
                "location": {"lat": 30.30, "lng": 120.05},
                "communityId": gid("Community", await w.community_id()),
                "weeklyHours": weekly(n),
                "services": await service_codes(w, n),
                "hoursExceptions": [
                    {"day": (w.today + timedelta(days=1 + i)).isoformat(), "closed": True} for i in range(n)
                ],
            }
        },
        token=w.tokens["COMMUNITY_ADMIN"],
    )


async def office_facility(w: World, n: int) -> Facility:
    facility = await add_facility(w, 30.41, 120.71, services=n, periods=n)
    facility.community_id = await w.community_id()
    await w.commit()
    return facility


async def facility_update(w: World, n: int) -> Run:
    facility = await office_facility(w, n)
    variables = {
        "id": gid("Facility", facility.id),
        "i": {
            "name": "改名",
            "location": {"lat": 30.31, "lng": 120.06, "system": "WGS84"},
            "weeklyHours": weekly(n),
            "services": await service_codes(w, n),
            "hoursExceptions": [
                {
                    "day": (w.today + timedelta(days=1 + i)).isoformat(),
                    "hours": [{"opens": "09:00", "closes": "12:00"}],
                }
                for i in range(n)
            ],
        },
    }
    return Run(variables, token=w.tokens["COMMUNITY_ADMIN"])


async def facility_close(w: World, n: int) -> Run:
    facility = await office_facility(w, n)
    return Run({"id": gid("Facility", facility.id)}, token=w.tokens["ADMIN"])


async def hours_exceptions_set(w: World, n: int) -> Run:
    community = await w.new_community()
    for index in range(n):
        facility = await add_facility(w, 30.42 + 0.001 * index, 120.72, services=1, periods=1)
        facility.community_id = community
    await w.commit()
    day = w.today + timedelta(days=1)

    async def count() -> int:
        return await w.count(
            HoursException,
            HoursException.day == day,
            HoursException.facility_id.in_(select(Facility.id).where(Facility.community_id == community)),
        )

    return Run(
        {"c": gid("Community", community), "d": [day.isoformat()]}, token=w.tokens["ADMIN"], count=count
    )


CASES += [
    Case("Mutation.facilityCreate", FACILITY_CREATE, facility_create, edges("facilityCreate", "services")),
    Case(
        "Mutation.facilityUpdate", FACILITY_UPDATE, facility_update, edges("facilityUpdate", "openingHours")
    ),
    Case("Mutation.facilityClose", FACILITY_CLOSE, facility_close, edges("facilityClose", "services")),
    Case("Mutation.facilityHoursExceptionsSet", HOURS_EXCEPTIONS_SET, hours_exceptions_set, None),
]
