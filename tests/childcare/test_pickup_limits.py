"""Only wrong pick-up PINs count towards LINLI_CODE_ATTEMPTS_*: a check-out refused before any PIN was
compared (a malformed ID, the child not checked in yet, check-out locked) is no guess."""

from datetime import timedelta

import httpx
import pytest

from tests.childcare.conftest import MONDAY, session_of

pytestmark = pytest.mark.usefixtures("monday")

PICKUP_ADD = """
mutation($child: ID!) { childPickupPersonAdd(childId: $child, name: "外婆", phone: "13912345678") {
  ... on PickupPersonAdded { pin } } }
"""
CHECK_IN = "mutation($id: ID!) { childCheckIn(bookingId: $id) { __typename } }"
CHECK_OUT = """
mutation($id: ID!, $pin: String!) { childCheckOut(bookingId: $id, pickupPin: $pin) {
  __typename ... on ChildcareBooking { status } ... on DomainError { code } } }
"""


async def check_out(client: httpx.AsyncClient, token: str, booking: dict, pin: str) -> str:
    response = await client.post(
        "/graphql",
        json={"query": CHECK_OUT, "variables": {"id": booking["id"], "pin": pin}},
        headers={"Authorization": f"Bearer {token}"},
    )
    body = response.json()
    if "errors" in body:
        return body["errors"][0]["extensions"]["code"]
    answer = body["data"]["childCheckOut"]
    return answer.get("code") or answer["status"]


async def test_check_outs_refused_before_the_pin_is_compared_never_count(
    client_with, gql, family, guardians, center, tokens, monday
):
    child = await family.register(guardians[0], "小明", "2025-06-01")
    pin = (await gql(PICKUP_ADD, {"child": child["id"]}, token=guardians[0]))["data"]["childPickupPersonAdd"]
    pin = pin["pin"]
    toddler = session_of(await family.sessions(center["id"], "2026-12-01"), "TODDLER")
    booking = await family.book(guardians[0], toddler["id"], child["id"])
    staff = tokens["CHILDCARE_STAFF"]
    wrong = "000000" if pin != "000000" else "111111"

    async with client_with(code_attempts_per_person=3) as client:
        not_yet = [await check_out(client, staff, booking, pin) for _ in range(5)]
        malformed = [await check_out(client, staff, {"id": "not-an-id"}, pin) for _ in range(4)]
        monday.now = MONDAY + timedelta(days=1, hours=1)  # Tuesday 08:00
        await gql(CHECK_IN, {"id": booking["id"]}, token=staff)
        guesses = [await check_out(client, staff, booking, wrong) for _ in range(4)]

    assert not_yet == ["NOT_CHECKED_IN"] * 5
    assert malformed == ["BAD_REQUEST"] * 4
    assert guesses == ["INVALID_PICKUP_PIN"] * 3 + ["RATE_LIMITED"]
