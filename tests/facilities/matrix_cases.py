"""The authorization matrix's rows of facilities: public data, open to everyone.

Read by tests/security/matrix.py (the table) and tests/security/test_authorization_matrix.py (which
runs every cell); the world the runners act on is built in tests/security/conftest.py.
"""

from datetime import timedelta

from sqlalchemy import func, select

from models.facilities import HoursException
from schema.common import pk_of
from tests.security.calls import Call, Runner, mutate, outcome_of, public_node, refusal, registrar
from tests.security.rows import (
    EMPTY,
    FORBIDDEN,
    NOT_FOUND,
    OK,
    PUBLIC,
    PUBLIC_NODES,
    UNAUTH,
    Row,
    by_caller,
    everyone,
)

ROWS: dict[str, tuple[Row, ...]] = {
    PUBLIC: (
        Row("nearby_facilities", "`nearbyFacilities`", ("Query.nearbyFacilities",), everyone(OK)),
        Row("life_circle", "`lifeCircle`", ("Query.lifeCircle",), everyone(OK)),
    ),
    PUBLIC_NODES: (Row("node_facility", "`node` → Facility", ("Query.node:Facility",), everyone(OK)),),
}

# Nested fields the issue names as sensitive: none of facilities'.
SENSITIVE: set[str] = set()

RUNNERS: dict[str, Runner] = {}
runner = registrar(RUNNERS)

NEAR = {"lat": 30.2978, "lng": 120.0418, "system": "WGS84"}
NEARBY = (
    "query($near: GeoPointInput!) { nearbyFacilities(near: $near, first: 5) { edges { node { name } } } }"
)
LIFE_CIRCLE = "query($near: GeoPointInput!) { lifeCircle(near: $near) { coverage } }"

RUNNERS["node_facility"] = public_node("facility", "Facility")


@runner("nearby_facilities")
async def nearby_facilities(call: Call) -> str:
    return outcome_of(await call.query(NEARBY, near=NEAR), "nearbyFacilities")


@runner("life_circle")
async def life_circle(call: Call) -> str:
    return outcome_of(await call.query(LIFE_CIRCLE, near=NEAR), "lifeCircle")


# ── The office runs facilities (#17): facility F of community 1 ─────────────────

OFFICE_SECTION = "facilities: facility F of community 1, run by its community office"
OFFICE_ACT = by_caller(
    FORBIDDEN, anonymous=UNAUTH, community_admin=OK, community_admin_other=NOT_FOUND, admin=OK
)
ROWS[OFFICE_SECTION] = (
    Row(
        "facility_create",
        "`facilityCreate` (in the office's own community)",
        ("Mutation.facilityCreate",),
        by_caller(FORBIDDEN, anonymous=UNAUTH, community_admin=OK, community_admin_other=OK, admin=OK),
    ),
    Row("facility_update", "`facilityUpdate` of F", ("Mutation.facilityUpdate",), OFFICE_ACT),
    Row("facility_close", "`facilityClose` of F", ("Mutation.facilityClose",), OFFICE_ACT),
    Row(
        "facility_hours_exceptions_set",
        "`facilityHoursExceptionsSet` of every HEALTH_STATION (no community given: the office's own): "
        "F closed tomorrow",
        ("Mutation.facilityHoursExceptionsSet",),
        by_caller(FORBIDDEN, anonymous=UNAUTH, community_admin=OK, community_admin_other=EMPTY, admin=OK),
    ),
)

FACILITY_RESULT = "__typename ... on Facility { id } ... on DomainError { code }"
FACILITY_CREATE = (
    f"mutation($i: FacilityCreateInput!) {{ facilityCreate(input: $i) {{ {FACILITY_RESULT} }} }}"
)
FACILITY_UPDATE = (
    f'mutation($id: ID!) {{ facilityUpdate(id: $id, input: {{name: "矩阵改名"}}) {{ {FACILITY_RESULT} }} }}'
)
FACILITY_CLOSE = f'mutation($id: ID!) {{ facilityClose(id: $id, reason: "矩阵") {{ {FACILITY_RESULT} }} }}'
HOURS_SET = """mutation($d: [Date!]!) {
  facilityHoursExceptionsSet(
    filter: {categories: [HEALTH_STATION]}, dates: $d, closed: true, reason: "矩阵") {
    __typename ... on DomainError { code } } }"""


@runner("facility_create")
async def facility_create(call: Call) -> str:
    made = {"name": "矩阵新设施", "category": "PARK", "location": NEAR}
    return await mutate(call, FACILITY_CREATE, "facilityCreate", "Facility", i=made)


@runner("facility_update")
async def facility_update(call: Call) -> str:
    return await mutate(call, FACILITY_UPDATE, "facilityUpdate", "Facility", id=call.world.ids["facility_f"])


@runner("facility_close")
async def facility_close(call: Call) -> str:
    return await mutate(call, FACILITY_CLOSE, "facilityClose", "Facility", id=call.world.ids["facility_f"])


@runner("facility_hours_exceptions_set")
async def facility_hours_exceptions_set(call: Call) -> str:
    tomorrow = call.world.today + timedelta(days=1)
    body = await call.query(HOURS_SET, d=[tomorrow.isoformat()])
    if code := refusal(body):
        return code
    answer = body["data"]["facilityHoursExceptionsSet"]
    if answer["__typename"] != "FacilityHoursExceptionsSet":
        return f"{answer['__typename']} {answer.get('code')}"
    async with call.sessions() as session:
        closed = await session.scalar(
            select(func.count())
            .select_from(HoursException)
            .where(HoursException.facility_id == pk_of(call.world.ids["facility_f"], "Facility"))
            .where(HoursException.day == tomorrow, HoursException.open_minute.is_(None))
        )
    return OK if closed == 1 else EMPTY
