"""Maker-space fixtures: the seeded Nanmu space, residents with tokens, a clock set to a Tuesday."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from models.people import Role
from resolvers import people as people_service
from server.auth import TokenService

SHANGHAI = ZoneInfo("Asia/Shanghai")
TUESDAY = datetime(2026, 12, 1, tzinfo=SHANGHAI)

SPACES = """
{ makerSpaces { id name opensAt closesAt rules { slotMinutes }
    resources { id name kind capacity features } } }
"""
CREATE = """
mutation Create($input: ReservationCreateInput!) {
  reservationCreate(input: $input) {
    __typename
    ... on Reservation { id start end status partySize resource { name } }
    ... on DomainError { code message }
    ... on BookingSuspended { until }
  }
}
"""
CANCEL = """
mutation($id: ID!) { reservationCancel(id: $id) {
  __typename ... on Reservation { id status start end } ... on DomainError { code message } } }
"""
CHECK_IN = """
mutation($id: ID!, $code: String!) { reservationCheckIn(id: $id, code: $code) {
  __typename ... on Reservation { id status } ... on DomainError { code message } } }
"""
CODE = "query($id: ID!) { makerSpaceCheckInCode(spaceId: $id) { code validUntil } }"
AVAILABILITY = """
query($id: ID!, $date: Date!, $kind: ResourceKind, $features: [ResourceFeature!], $party: Int) {
  resourceAvailability(spaceId: $id, date: $date, kind: $kind, features: $features, partySize: $party) {
    resource { id name kind } freeSlots { start end }
  }
}
"""


def at(hour: int, minute: int = 0, day: datetime = TUESDAY) -> str:
    return day.replace(hour=hour, minute=minute).isoformat()


@pytest.fixture
def tuesday_morning(clock):
    clock.now = TUESDAY.replace(hour=8)
    return clock


@pytest.fixture
async def space(gql) -> dict:
    spaces = (await gql(SPACES))["data"]["makerSpaces"]
    found = next(space for space in spaces if space["name"] == "南睦天空创客厅")
    found["by_name"] = {resource["name"]: resource for resource in found["resources"]}
    return found


@pytest.fixture
async def residents(session, settings) -> list[str]:
    """Tokens of five residents (inside the test's transaction)."""
    service = TokenService(settings)
    tokens = []
    for index in range(5):
        person = await people_service.add_user(
            session=session, phone=f"1660000{index:04d}", name=f"居民{index}", role=Role.RESIDENT
        )
        tokens.append(service.issue(person)[0])
    await session.commit()
    return tokens


class Booker:
    def __init__(self, gql, space) -> None:
        self.gql, self.space = gql, space

    async def create(
        self, token, resource: str, start: str, end: str, party: int = 1, key: str | None = None
    ):
        variables = {
            "input": {
                "resourceId": self.space["by_name"][resource]["id"],
                "start": start,
                "end": end,
                "partySize": party,
                "idempotencyKey": key,
            }
        }
        body = await self.gql(CREATE, variables, token=token)
        assert "errors" not in body, body
        return body["data"]["reservationCreate"]

    async def cancel(self, token, reservation_id: str) -> dict:
        return (await self.gql(CANCEL, {"id": reservation_id}, token=token))["data"]["reservationCancel"]

    async def check_in(self, token, reservation_id: str, code: str) -> dict:
        body = await self.gql(CHECK_IN, {"id": reservation_id, "code": code}, token=token)
        return body["data"]["reservationCheckIn"]

    async def code(self, staff_token) -> str:
        return (await self.gql(CODE, {"id": self.space["id"]}, token=staff_token))["data"][
            "makerSpaceCheckInCode"
        ]


@pytest.fixture
def booker(gql, space) -> Booker:
    return Booker(gql, space)
