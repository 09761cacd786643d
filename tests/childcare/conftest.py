"""Childcare fixtures: a clock on Monday 2026-11-30 07:00, sessions generated for it, guardians."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from models.people import Role
from resolvers import people as people_service
from resolvers.childcare import generate_sessions
from schema.common import encode_global_id
from server.auth import TokenService

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 11, 30, 7, 0, tzinfo=SHANGHAI)

REGISTER = """
mutation($input: ChildRegisterInput!) { childRegister(input: $input) {
  __typename ... on Child { id name birthDate } ... on DomainError { code message } } }
"""
SESSIONS = """
query($center: ID!, $from: Date!, $to: Date!, $child: ID) {
  childcareSessions(centerId: $center, from: $from, to: $to, childId: $child) {
    id careType start end capacity booked remaining waitlisted eligible class { name kind }
  }
}
"""
BOOK = """
mutation($input: ChildcareBookingCreateInput!) { childcareBookingCreate(input: $input) {
  __typename ... on ChildcareBooking { id status waitlistPosition child { name } session { id } }
  ... on DomainError { code message } } }
"""
CANCEL = """
mutation($id: ID!) { childcareBookingCancel(id: $id) {
  __typename ... on ChildcareBooking { id status waitlistPosition } ... on DomainError { code message } } }
"""
CENTERS = (
    "{ childcareCenters { id name classes { id name kind minAgeMonths maxAgeMonths capacity carerRatio } } }"
)


@pytest.fixture
async def monday(clock, db):
    clock.now = MONDAY
    async with db() as session:
        await generate_sessions(session=session, now=MONDAY)
        await session.commit()
    return clock


@pytest.fixture
async def guardians(session, settings) -> list[str]:
    service = TokenService(settings)
    tokens = []
    for index in range(4):
        person = await people_service.add_user(
            session=session, phone=f"1880000{index:04d}", name=f"家长{index}", role=Role.RESIDENT
        )
        tokens.append(service.issue(person)[0])
    await session.commit()
    return tokens


class Family:
    def __init__(self, gql) -> None:
        self.gql = gql

    async def register(self, token: str, name: str, birth: str, consent: bool = True) -> dict:
        variables = {"input": {"name": name, "birthDate": birth, "guardianConsent": consent}}
        return (await self.gql(REGISTER, variables, token=token))["data"]["childRegister"]

    async def sessions(
        self, center: str, day: str, child: str | None = None, token: str | None = None
    ) -> list:
        body = await self.gql(
            SESSIONS, {"center": center, "from": day, "to": day, "child": child}, token=token
        )
        assert "errors" not in body, body
        return body["data"]["childcareSessions"]

    async def book(self, token: str, session_id: str, child_id: str, key: str | None = None) -> dict:
        variables = {"input": {"sessionId": session_id, "childId": child_id, "idempotencyKey": key}}
        body = await self.gql(BOOK, variables, token=token)
        assert "errors" not in body, body
        return body["data"]["childcareBookingCreate"]

    async def cancel(self, token: str, booking_id: str) -> dict:
        return (await self.gql(CANCEL, {"id": booking_id}, token=token))["data"]["childcareBookingCancel"]


@pytest.fixture
def family(gql) -> Family:
    return Family(gql)


@pytest.fixture
async def center(gql) -> dict:
    centers = (await gql(CENTERS))["data"]["childcareCenters"]
    return next(center for center in centers if center["name"] == "南睦托育服务中心")


def session_of(sessions: list, kind: str, care_type: str = "FULL_DAY") -> dict:
    return next(s for s in sessions if s["class"]["kind"] == kind and s["careType"] == care_type)


# ── The centre's own operations (test_operations.py, test_carers.py) ─────────────

CLASS_FIELDS = (
    "id name kind minAgeMonths maxAgeMonths capacity carerRatio "
    "timetable { weekday careType startsAt endsAt capacity }"
)
CLASS_CREATE = f"""
mutation($input: ChildcareClassCreateInput!) {{ childcareClassCreate(input: $input) {{
  __typename ... on ChildcareClass {{ {CLASS_FIELDS} }} ... on DomainError {{ code message }} }} }}
"""
CLASS_UPDATE = f"""
mutation($id: ID!, $input: ChildcareClassUpdateInput!) {{ childcareClassUpdate(id: $id, input: $input) {{
  __typename ... on ChildcareClass {{ {CLASS_FIELDS} }} ... on DomainError {{ code message }} }} }}
"""
TIMETABLE_SET = f"""
mutation($class: ID!, $entries: [ChildcareTimetableEntryInput!]!) {{
  childcareTimetableSet(classId: $class, entries: $entries) {{
  __typename ... on ChildcareClass {{ {CLASS_FIELDS} }} ... on DomainError {{ code message }} }} }}
"""
SESSION_FIELDS = "id start capacity booked remaining carersOnDuty cancelledAt cancelReason waitlisted"
SESSION_CANCEL = f"""
mutation($session: ID!, $reason: String!) {{ childcareSessionCancel(sessionId: $session, reason: $reason) {{
  __typename ... on ChildcareSession {{ {SESSION_FIELDS} }} ... on DomainError {{ code message }} }} }}
"""
CARERS = f"""
  __typename ... on ChildcareSessionCarers {{ session {{ {SESSION_FIELDS} }} carers {{ id name }} }}
  ... on DomainError {{ code message }}
"""
CARER_ASSIGN = f"""
mutation($session: ID!, $person: ID!) {{
  childcareSessionCarerAssign(sessionId: $session, personId: $person) {{ {CARERS} }} }}
"""
CARER_REMOVE = f"""
mutation($session: ID!, $person: ID!) {{
  childcareSessionCarerRemove(sessionId: $session, personId: $person) {{ {CARERS} }} }}
"""
CLASS_SESSIONS = f"""
query($center: ID!, $from: Date!, $to: Date!) {{
  childcareSessions(centerId: $center, from: $from, to: $to) {{ {SESSION_FIELDS} careType class {{ id }} }} }}
"""


class Member:
    def __init__(self, person, token: str) -> None:
        self.id = person.id
        self.gid = encode_global_id("Person", person.id)
        self.token = token


@pytest.fixture
async def crew(session, settings) -> dict:
    """Childcare staff of 南睦 (the centre's community) and three more carers there; childcare staff
    of 海创 (no centre); a resident; an admin. Each with a token."""
    service = TokenService(settings)
    people = {}
    for key, phone, role, community in (
        ("staff", "17766660001", Role.CHILDCARE_STAFF, "南睦未来社区"),
        ("carer1", "17766660002", Role.CHILDCARE_STAFF, "南睦未来社区"),
        ("carer2", "17766660003", Role.CHILDCARE_STAFF, "南睦未来社区"),
        ("carer3", "17766660004", Role.CHILDCARE_STAFF, "南睦未来社区"),
        ("other", "17766660005", Role.CHILDCARE_STAFF, "海创社区"),
        ("resident", "17766660006", Role.RESIDENT, "南睦未来社区"),
        ("admin", "17766660007", Role.ADMIN, None),
    ):
        person = await people_service.add_user(
            session=session, phone=phone, name=f"托育{key}", role=role, community_name=community
        )
        people[key] = Member(person, service.issue(person)[0])
    await session.commit()
    return people


class Centre:
    """The centre's operations as its staff call them."""

    def __init__(self, gql, center: dict, crew: dict) -> None:
        self.gql, self.center, self.crew = gql, center, crew

    async def call(self, query: str, root: str, token: str | None = None, **variables) -> dict:
        body = await self.gql(query, variables, token=token or self.crew["staff"].token)
        assert "errors" not in body, body
        return body["data"][root]

    async def create_class(self, token: str | None = None, **fields) -> dict:
        values = {"centerId": self.center["id"], "name": "测试乳儿班", "kind": "INFANT", "minAgeMonths": 6}
        values |= {"maxAgeMonths": 12, "capacity": 10, "carerRatio": 3} | fields
        return await self.call(CLASS_CREATE, "childcareClassCreate", token, input=values)

    async def update_class(self, class_id: str, token: str | None = None, **fields) -> dict:
        return await self.call(CLASS_UPDATE, "childcareClassUpdate", token, id=class_id, input=fields)

    async def set_timetable(self, class_id: str, entries: list[dict], token: str | None = None) -> dict:
        return await self.call(
            TIMETABLE_SET, "childcareTimetableSet", token, **{"class": class_id, "entries": entries}
        )

    async def cancel(self, session_id: str, reason: str = "流感停课", token: str | None = None) -> dict:
        return await self.call(
            SESSION_CANCEL, "childcareSessionCancel", token, session=session_id, reason=reason
        )

    async def assign(self, session_id: str, person: str, token: str | None = None) -> dict:
        return await self.call(
            CARER_ASSIGN, "childcareSessionCarerAssign", token, session=session_id, person=person
        )

    async def remove(self, session_id: str, person: str, token: str | None = None) -> dict:
        return await self.call(
            CARER_REMOVE, "childcareSessionCarerRemove", token, session=session_id, person=person
        )

    async def sessions_of(self, class_id: str, first: str, last: str | None = None) -> list[dict]:
        body = await self.gql(
            CLASS_SESSIONS, {"center": self.center["id"], "from": first, "to": last or first}
        )
        assert "errors" not in body, body
        return [s for s in body["data"]["childcareSessions"] if s["class"]["id"] == class_id]


@pytest.fixture
def centre(gql, center, crew) -> Centre:
    return Centre(gql, center, crew)


def entry(weekday: int, carers: list[str], capacity: int = 10, care_type: str = "FULL_DAY", **times) -> dict:
    return {
        "weekday": weekday,
        "careType": care_type,
        "startsAt": times.get("starts", "08:00"),
        "endsAt": times.get("ends", "17:00"),
        "capacity": capacity,
        "carerIds": carers,
    }
