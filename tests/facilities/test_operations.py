"""The office runs facilities from the graph (#17): create, update, close, dated exceptions for one
facility or for a set at once; each audited, each refused input a clear DomainError with nothing
written; ADMIN for all, a COMMUNITY_ADMIN for their own community's facilities only."""

import asyncio
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.audit import AuditLog
from models.facilities import Facility, HoursException
from models.people import Community, Person, Role
from resolvers import people as people_service
from resolvers.coordinates import CoordinateSystem, from_wgs84, to_wgs84
from schema.common import encode_global_id
from seeds.facilities import point
from server.auth import TokenService

SHANGHAI = ZoneInfo("Asia/Shanghai")
NANMU, HAICHUANG = "南睦未来社区", "海创社区"
# Far from the seeded map (south-east of Hangzhou), so searches here see only these tests' facilities.
SPOT_GCJ = {"lat": 30.0512, "lng": 120.6034}

FACILITY = """id name category address closedAt closedReason community { name }
  wgs: location(system: WGS84) { lat lng } gcj: location { lat lng } bd: location(system: BD09) { lat lng }
  services { code } openingHours { weekday opens closes overnight }
  hoursExceptions { day closed hours { opens closes overnight } reason }"""
RESULT = f"__typename ... on Facility {{ {FACILITY} }} ... on DomainError {{ code message }}"
CREATE = f"mutation($i: FacilityCreateInput!) {{ facilityCreate(input: $i) {{ {RESULT} }} }}"
UPDATE = (
    f"mutation($id: ID!, $i: FacilityUpdateInput!) {{ facilityUpdate(id: $id, input: $i) {{ {RESULT} }} }}"
)
CLOSE = f"mutation($id: ID!, $r: String!) {{ facilityClose(id: $id, reason: $r) {{ {RESULT} }} }}"
SET = """mutation($f: FacilityFilterInput!, $d: [Date!]!, $c: Boolean, $h: [DailyPeriodInput!], $r: String!) {
  facilityHoursExceptionsSet(filter: $f, dates: $d, closed: $c, hours: $h, reason: $r) { __typename
    ... on FacilityHoursExceptionsSet { matched changed dates community { name } }
    ... on DomainError { code message } } }"""
NEARBY = """query($near: GeoPointInput!) { nearbyFacilities(near: $near, withinMinutes: 5, first: 50) {
  edges { node { id } } } }"""
LIFE_CIRCLE = """query($near: GeoPointInput!) { lifeCircle(near: $near) {
  tiers { requirements { category nearest { node { id } } } } } }"""
NODE = """query($id: ID!, $at: DateTime) { node(id: $id) { ... on Facility { name closedAt closedReason
  isOpen(at: $at) } } }"""
OPEN_AT = "query($id: ID!, $at: DateTime!) { node(id: $id) { ... on Facility { isOpen(at: $at) } } }"


@pytest.fixture
async def office(session, settings):
    """ADMIN, the offices of 南睦 and 海创, care staff of 南睦 and a resident (fresh people)."""
    service = TokenService(settings)
    made = {}
    for key, phone, role, community in (
        ("admin", "17500000001", Role.ADMIN, None),
        ("nanmu", "17500000002", Role.COMMUNITY_ADMIN, NANMU),
        ("haichuang", "17500000003", Role.COMMUNITY_ADMIN, HAICHUANG),
        ("care", "17500000004", Role.CARE_STAFF, NANMU),
        ("resident", "17500000005", Role.RESIDENT, NANMU),
    ):
        person = await people_service.add_user(
            session=session, phone=phone, name=f"设施{key}", role=role, community_name=community
        )
        made[key] = service.issue(person)[0]
    await session.commit()
    return made


async def community_gid(session, name: str) -> str:
    return encode_global_id(
        "Community", await session.scalar(select(Community.id).where(Community.name == name))
    )


async def mutate(gql, query: str, token: str | None, **variables) -> dict:
    body = await gql(query, variables, token=token)
    assert "errors" not in body, body
    return next(iter(body["data"].values()))


def as_point(pair: tuple[float, float]) -> dict[str, float]:
    return {"lat": pair[0], "lng": pair[1]}


def today() -> datetime:
    return datetime.now(SHANGHAI).date()


def new_facility(**overrides) -> dict:
    return {
        "name": "测试卫生服务站",
        "category": "HEALTH_STATION",
        "location": dict(SPOT_GCJ),
        "weeklyHours": [{"weekday": day, "opens": "00:00", "closes": "24:00"} for day in range(1, 8)],
        **overrides,
    }


async def audit_rows(session, action: str, object_id: str | None = None) -> list[AuditLog]:
    stmt = select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)
    if object_id is not None:
        stmt = stmt.where(AuditLog.object_id == object_id)
    return list(await session.scalars(stmt))


async def counts(session) -> tuple[int, int, int]:
    return (
        await session.scalar(select(func.count()).select_from(Facility)),
        await session.scalar(select(func.count()).select_from(HoursException)),
        await session.scalar(select(func.count()).select_from(AuditLog)),
    )


# ── Create ──────────────────────────────────────────────────────────────────


async def test_an_office_creates_a_facility_of_its_community_with_hours_services_and_exceptions(
    gql, office, session
):
    tomorrow = today() + timedelta(days=1)
    made = await mutate(
        gql,
        CREATE,
        office["nanmu"],
        i=new_facility(
            address="  五常大道 1 号 ",
            weeklyHours=[
                {"weekday": 1, "opens": "08:30", "closes": "17:00"},
                {"weekday": 5, "opens": "17:00", "closes": "02:00"},
            ],
            services=["MEDICAL_INSURANCE_PAYMENT", "E_SOCIAL_SECURITY_CARD"],
            hoursExceptions=[{"day": tomorrow.isoformat(), "closed": True, "reason": "设备检修"}],
        ),
    )

    assert made["__typename"] == "Facility", made
    assert made["community"] == {"name": NANMU}
    assert made["address"] == "五常大道 1 号"
    assert made["gcj"] == pytest.approx(SPOT_GCJ, abs=1e-6)
    assert made["wgs"] == pytest.approx(
        as_point(to_wgs84(SPOT_GCJ["lat"], SPOT_GCJ["lng"], CoordinateSystem.GCJ02)),
        abs=1e-6,
    )
    assert made["openingHours"] == [
        {"weekday": 1, "opens": "08:30", "closes": "17:00", "overnight": False},
        {"weekday": 5, "opens": "17:00", "closes": "02:00", "overnight": True},
    ]
    assert sorted(service["code"] for service in made["services"]) == [
        "E_SOCIAL_SECURITY_CARD",
        "MEDICAL_INSURANCE_PAYMENT",
    ]
    assert made["hoursExceptions"] == [
        {"day": tomorrow.isoformat(), "closed": True, "hours": [], "reason": "设备检修"}
    ]
    [row] = await audit_rows(session, "facility.create", made["id"])
    assert row.after["services"] == ["E_SOCIAL_SECURITY_CARD", "MEDICAL_INSURANCE_PAYMENT"]
    assert row.after["weeklyHours"] == ["1 08:30-17:00", "5 17:00-02:00"]
    assert row.community_id == await session.scalar(select(Community.id).where(Community.name == NANMU))
    assert row.before is None


@pytest.mark.parametrize("system", ["WGS84", "GCJ02", "BD09"])
async def test_coordinates_are_taken_in_the_system_given_and_answered_in_any(gql, office, system):
    wgs = (30.2978, 120.0418)
    given = as_point(from_wgs84(*wgs, CoordinateSystem(system)))
    made = await mutate(gql, CREATE, office["admin"], i=new_facility(location={**given, "system": system}))
    assert made["wgs"] == pytest.approx({"lat": wgs[0], "lng": wgs[1]}, abs=2e-6)
    answered = {"WGS84": made["wgs"], "GCJ02": made["gcj"], "BD09": made["bd"]}[system]
    assert answered == pytest.approx(given, abs=2e-6)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"location": {"lat": 48.8566, "lng": 2.3522, "system": "WGS84"}}, "OUTSIDE_CHINA"),
        ({"location": {"lat": 91, "lng": 120.0}}, "INVALID_COORDINATES"),
        ({"location": {"lat": 30.29, "lng": 181}}, "INVALID_COORDINATES"),
        ({"weeklyHours": [{"weekday": 8, "opens": "08:00", "closes": "12:00"}]}, "INVALID_HOURS"),
        ({"weeklyHours": [{"weekday": 1, "opens": "25:00", "closes": "12:00"}]}, "INVALID_HOURS"),
        ({"weeklyHours": [{"weekday": 1, "opens": "8am", "closes": "12:00"}]}, "INVALID_HOURS"),
        ({"weeklyHours": [{"weekday": 1, "opens": "24:00", "closes": "12:00"}]}, "INVALID_HOURS"),
        ({"services": ["MEDICAL_INSURANCE_PAYMENT", "NO_SUCH_SERVICE"]}, "UNKNOWN_SERVICE"),
        ({"name": "   "}, "INVALID_NAME"),
        ({"name": "长" * 201}, "INVALID_NAME"),
        ({"phone": "1" * 41}, "INVALID_PHONE"),
        ({"hoursExceptions": [{"day": "2020-01-01", "closed": True}]}, "INVALID_DATES"),
        (
            {
                "hoursExceptions": [
                    {"day": (today() + timedelta(days=1)).isoformat(), "closed": True},
                    {"day": (today() + timedelta(days=1)).isoformat(), "closed": True},
                ]
            },
            "INVALID_DATES",
        ),
        (
            {
                "hoursExceptions": [
                    {
                        "day": (today() + timedelta(days=1)).isoformat(),
                        "closed": True,
                        "hours": [{"opens": "09:00", "closes": "10:00"}],
                    }
                ]
            },
            "INVALID_HOURS",
        ),
        (
            {
                "hoursExceptions": [
                    {"day": (today() + timedelta(days=1)).isoformat(), "closed": True, "reason": "长" * 201}
                ]
            },
            "REASON_REQUIRED",
        ),
    ],
)
async def test_a_refused_facility_is_a_clear_error_and_nothing_is_written(
    gql, office, session, changes, code
):
    before = await counts(session)
    answer = await mutate(gql, CREATE, office["admin"], i=new_facility(**changes))
    assert (answer["__typename"], answer["code"]) == ("RuleViolation", code), answer
    assert answer["message"]
    assert await counts(session) == before


async def test_the_office_of_another_community_cannot_reach_this_ones_facilities(gql, office, session):
    made = await mutate(gql, CREATE, office["nanmu"], i=new_facility())
    nanmu = await community_gid(session, NANMU)

    # another community's office: no such facility, and no facility placed in this community
    for answer in (
        await mutate(gql, UPDATE, office["haichuang"], id=made["id"], i={"name": "越权"}),
        await mutate(gql, CLOSE, office["haichuang"], id=made["id"], r="越权"),
    ):
        assert answer["__typename"] == "NotFound", answer
    placed = await mutate(gql, CREATE, office["haichuang"], i=new_facility(communityId=nanmu))
    assert placed["code"] == "OTHER_COMMUNITY"
    moved = await mutate(gql, UPDATE, office["nanmu"], id=made["id"], i={"communityId": None})
    assert moved["code"] == "OTHER_COMMUNITY"
    # a facility of no community is ADMIN's alone
    subdistrict = await mutate(gql, CREATE, office["admin"], i=new_facility(name="地铁站"))
    assert subdistrict["community"] is None
    assert (await mutate(gql, UPDATE, office["nanmu"], id=subdistrict["id"], i={"name": "x"}))[
        "__typename"
    ] == "NotFound"
    # other roles may not call the fields at all; anonymous callers are told to sign in
    for who, code in (("care", "FORBIDDEN"), ("resident", "FORBIDDEN"), (None, "UNAUTHENTICATED")):
        body = await gql(CREATE, {"i": new_facility()}, token=office.get(who) if who else None)
        assert body["errors"][0]["extensions"]["code"] == code
    # ADMIN runs it, and moves it to another community
    haichuang = await community_gid(session, HAICHUANG)
    changed = await mutate(gql, UPDATE, office["admin"], id=made["id"], i={"communityId": haichuang})
    assert changed["community"] == {"name": HAICHUANG}
    assert (await mutate(gql, UPDATE, office["haichuang"], id=made["id"], i={"name": "海创卫生站"}))[
        "name"
    ] == "海创卫生站"
    assert len(await audit_rows(session, "facility.update", made["id"])) == 2


async def test_an_update_changes_only_what_is_given_and_replaces_hours_and_services(gql, office, session):
    day1, day2 = today() + timedelta(days=2), today() + timedelta(days=3)
    made = await mutate(
        gql,
        CREATE,
        office["nanmu"],
        i=new_facility(
            address="旧地址",
            phone="0571-1",
            services=["MEDICAL_INSURANCE_PAYMENT"],
            hoursExceptions=[{"day": day1.isoformat(), "closed": True, "reason": "检修"}],
        ),
    )
    changed = await mutate(
        gql,
        UPDATE,
        office["nanmu"],
        id=made["id"],
        i={
            "phone": None,
            "location": {"lat": 30.06, "lng": 120.61, "system": "WGS84"},
            "weeklyHours": [{"weekday": 6, "opens": "09:00", "closes": "12:00"}],
            "services": [],
            "hoursExceptions": [
                {"day": day1.isoformat()},  # neither closed nor hours: removed
                {"day": day2.isoformat(), "hours": [{"opens": "09:00", "closes": "11:30"}], "reason": "元旦"},
            ],
        },
    )
    assert changed["name"] == made["name"] and changed["address"] == "旧地址"
    assert changed["wgs"] == pytest.approx({"lat": 30.06, "lng": 120.61}, abs=1e-6)
    assert changed["openingHours"] == [
        {"weekday": 6, "opens": "09:00", "closes": "12:00", "overnight": False}
    ]
    assert changed["services"] == []
    assert changed["hoursExceptions"] == [
        {
            "day": day2.isoformat(),
            "closed": False,
            "hours": [{"opens": "09:00", "closes": "11:30", "overnight": False}],
            "reason": "元旦",
        }
    ]
    [row] = await audit_rows(session, "facility.update", made["id"])
    assert (row.before["phone"], row.after["phone"]) == ("0571-1", None)
    assert (row.before["services"], row.after["services"]) == (["MEDICAL_INSURANCE_PAYMENT"], [])


# ── Close ─────────────────────────────────────────────────────────────────────


async def test_a_closed_facility_keeps_its_row_and_history_but_leaves_search_and_the_life_circle(
    gql, office, session
):
    made = await mutate(gql, CREATE, office["nanmu"], i=new_facility(category="FRESH_MARKET"))
    near = dict(SPOT_GCJ)

    async def visible() -> tuple[bool, bool]:
        found = await gql(NEARBY, {"near": near})
        circle = await gql(LIFE_CIRCLE, {"near": near})
        nearest = {
            requirement["category"]: requirement["nearest"] and requirement["nearest"]["node"]["id"]
            for tier in circle["data"]["lifeCircle"]["tiers"]
            for requirement in tier["requirements"]
        }
        return (
            made["id"] in [edge["node"]["id"] for edge in found["data"]["nearbyFacilities"]["edges"]],
            nearest.get("FRESH_MARKET") == made["id"],
        )

    assert await visible() == (True, True)
    refused = await mutate(gql, CLOSE, office["nanmu"], id=made["id"], r="  ")
    assert refused["code"] == "REASON_REQUIRED"

    closed = await mutate(gql, CLOSE, office["nanmu"], id=made["id"], r="搬迁至新址")

    assert closed["__typename"] == "Facility" and closed["closedReason"] == "搬迁至新址"
    assert closed["closedAt"] is not None
    assert await visible() == (False, False)
    noon = datetime.combine(today(), time(12), SHANGHAI).isoformat()
    node = (await gql(NODE, {"id": made["id"], "at": noon}))["data"]["node"]
    assert node == {
        "name": made["name"],
        "closedAt": closed["closedAt"],
        "closedReason": "搬迁至新址",
        "isOpen": False,
    }
    again = await mutate(gql, CLOSE, office["admin"], id=made["id"], r="再次")
    assert again["code"] == "FACILITY_CLOSED"
    assert (await mutate(gql, UPDATE, office["admin"], id=made["id"], i={"name": "x"}))[
        "code"
    ] == "FACILITY_CLOSED"
    [row] = await audit_rows(session, "facility.close", made["id"])
    assert row.after["closedReason"] == "搬迁至新址" and row.before == {"closedAt": None}
    assert (
        await session.scalar(select(func.count()).select_from(Facility).where(Facility.name == made["name"]))
        == 1
    )


# ── Hours exceptions for a set ────────────────────────────────────────────────


async def test_a_typhoon_day_closes_a_set_of_facilities_in_one_idempotent_step(gql, office, session):
    nanmu, haichuang = await community_gid(session, NANMU), await community_gid(session, HAICHUANG)
    stations = [
        (await mutate(gql, CREATE, office["nanmu"], i=new_facility(name=f"卫生站{n}")))["id"]
        for n in range(2)
    ]
    park = (await mutate(gql, CREATE, office["nanmu"], i=new_facility(name="公园", category="PARK")))["id"]
    elsewhere = (
        await mutate(gql, CREATE, office["admin"], i=new_facility(name="海创卫生站", communityId=haichuang))
    )["id"]
    closed_one = (await mutate(gql, CREATE, office["nanmu"], i=new_facility(name="已关闭卫生站")))["id"]
    await mutate(gql, CLOSE, office["nanmu"], id=closed_one, r="已撤并")
    days = [today() + timedelta(days=5), today() + timedelta(days=6)]
    dates = [day.isoformat() for day in days]
    noon = [datetime.combine(day, time(12), SHANGHAI).isoformat() for day in days]

    async def is_open(facility: str, at: str) -> bool:
        return (await gql(OPEN_AT, {"id": facility, "at": at}))["data"]["node"]["isOpen"]

    assert await is_open(stations[0], noon[0])
    typhoon = {"f": {"categories": ["HEALTH_STATION"]}, "d": dates, "c": True, "r": "台风停业"}

    first = await mutate(gql, SET, office["nanmu"], **typhoon)

    assert first == {
        "__typename": "FacilityHoursExceptionsSet",
        "matched": 2,
        "changed": 2,
        "dates": dates,
        "community": {"name": NANMU},
    }
    assert not await is_open(stations[0], noon[0]) and not await is_open(stations[1], noon[1])
    assert await is_open(park, noon[0]) and await is_open(elsewhere, noon[0])
    [row] = await audit_rows(session, "facility.hours_exceptions_set")
    assert sorted(row.after["facilityIds"]) == sorted(stations)
    assert row.after["reason"] == "台风停业" and row.after["dates"] == dates and row.object_id is None

    # the same again: nothing changes, nothing is audited, no row doubles
    again = await mutate(gql, SET, office["nanmu"], **typhoon)
    assert (again["matched"], again["changed"]) == (2, 0)
    assert len(await audit_rows(session, "facility.hours_exceptions_set")) == 1
    exceptions = select(func.count()).select_from(HoursException).where(HoursException.day.in_(days))
    assert await session.scalar(exceptions) == 4

    # shorter hours instead, then back to the weekly hours
    shorter = await mutate(
        gql, SET, office["nanmu"], **typhoon | {"c": False, "h": [{"opens": "09:00", "closes": "11:00"}]}
    )
    assert shorter["changed"] == 2
    assert await is_open(stations[0], noon[0].replace("12:00", "10:00"))
    assert not await is_open(stations[0], noon[0])
    restored = await mutate(gql, SET, office["nanmu"], **typhoon | {"c": False, "h": [], "r": "台风解除"})
    assert restored["changed"] == 2
    assert await session.scalar(exceptions) == 0
    assert await is_open(stations[0], noon[0])

    # ADMIN, without a community: every open facility of the category, whatever its community
    everywhere = await mutate(gql, SET, office["admin"], **typhoon | {"f": {"categories": ["PARK"]}})
    assert everywhere["community"] is None and everywhere["changed"] >= 1
    assert not await is_open(park, noon[0])
    assert len(await audit_rows(session, "facility.hours_exceptions_set")) == 4
    # the office's own community only
    other = await mutate(gql, SET, office["nanmu"], **typhoon | {"f": {"communityId": haichuang}})
    assert other["code"] == "OTHER_COMMUNITY"
    own = await mutate(gql, SET, office["haichuang"], **typhoon | {"f": {"communityId": haichuang}})
    assert (own["matched"], own["changed"], own["community"]) == (1, 1, {"name": HAICHUANG})
    assert nanmu != haichuang


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"d": []}, "INVALID_DATES"),
        ({"d": ["2020-01-01"]}, "INVALID_DATES"),
        ({"d": [(today() + timedelta(days=n)).isoformat() for n in range(32)]}, "INVALID_DATES"),
        ({"h": [{"opens": "09:00", "closes": "12:00"}]}, "INVALID_HOURS"),
        ({"c": False, "h": [{"opens": "9", "closes": "12:00"}]}, "INVALID_HOURS"),
        ({"r": " "}, "REASON_REQUIRED"),
    ],
)
async def test_a_refused_set_is_a_clear_error_and_nothing_is_written(gql, office, session, changes, code):
    await mutate(gql, CREATE, office["nanmu"], i=new_facility())
    before = await counts(session)
    variables = {"f": {}, "d": [(today() + timedelta(days=1)).isoformat()], "c": True, "r": "台风"} | changes
    answer = await mutate(gql, SET, office["nanmu"], **variables)
    assert (answer["__typename"], answer["code"]) == ("RuleViolation", code), answer
    assert await counts(session) == before


# ── Concurrent sets over real connections ─────────────────────────────────────


@pytest.fixture
async def committed(engine, settings):
    """The office of a community of its own with three health stations, committed (a real server
    sees them); removed afterwards (not their audit rows: the table is append-only)."""
    async with engine.begin() as connection:
        session = AsyncSession(bind=connection)
        community = Community(name="并发测试社区", subdistrict="五常街道")
        session.add(community)
        await session.flush()
        facilities = [
            Facility(
                name=f"并发卫生站{index}",
                category="HEALTH_STATION",
                location=point(30.05, 120.60 + 0.001 * index),
                community_id=community.id,
                is_synthetic=False,
            )
            for index in range(3)
        ]
        session.add_all(facilities)
        person = await people_service.add_user(
            session=session,
            phone="17599990001",
            name="并发办公室",
            role=Role.COMMUNITY_ADMIN,
            community_name="并发测试社区",
        )
        token = TokenService(settings).issue(person)[0]
        ids, person_id, community_id = [facility.id for facility in facilities], person.id, community.id
    yield token, ids, community_id
    async with engine.begin() as connection:
        await connection.execute(delete(HoursException).where(HoursException.facility_id.in_(ids)))
        await connection.execute(delete(Facility).where(Facility.id.in_(ids)))
        await connection.execute(delete(Person).where(Person.id == person_id))
        await connection.execute(delete(Community).where(Community.id == community_id))


async def test_eight_concurrent_identical_sets_change_each_facility_once(live_server, committed, engine):
    token, ids, community_id = committed
    day = (today() + timedelta(days=2)).isoformat()
    variables = {"f": {}, "d": [day], "c": True, "r": "台风停业"}
    async with httpx.AsyncClient(base_url=f"http://{live_server}", timeout=60) as client:

        async def call():
            response = await client.post(
                "/graphql",
                json={"query": SET, "variables": variables},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert response.status_code == 200, response.text
            return response.json()["data"]["facilityHoursExceptionsSet"]

        answers = await asyncio.gather(*(call() for _ in range(8)))

    assert sorted(answer["changed"] for answer in answers) == [0] * 7 + [3], answers
    async with engine.connect() as connection:
        rows = await connection.scalar(
            select(func.count()).select_from(HoursException).where(HoursException.facility_id.in_(ids))
        )
        audited = await connection.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.action == "facility.hours_exceptions_set", AuditLog.community_id == community_id)
        )
    assert (rows, audited) == (3, 1)
