"""Childcare fixtures: a clock on Monday 2026-11-30 07:00, sessions generated for it, guardians."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from models.people import Role
from resolvers import people as people_service
from resolvers.childcare import generate_sessions
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
