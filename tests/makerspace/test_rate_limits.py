"""The maker space under abuse limits: many bookings in one request, guessed check-in codes."""

import httpx
import pytest
from sqlalchemy import func, select

from models.makerspace import Reservation
from models.people import RateLimitHit
from tests.api.test_rate_limits import from_address, refusal
from tests.conftest import make_settings
from tests.makerspace.conftest import at


@pytest.fixture
def settings():
    return make_settings(code_attempts_per_person=3, mutations_per_person=5)


async def test_mutations_per_person_count_every_root_field_and_a_refused_request_changes_nothing(
    app, tokens, session, tuesday_morning, space
):
    desk = space["by_name"]["窗边工位 W02"]["id"]
    headers = {"Authorization": f"Bearer {tokens['RESIDENT']}"}

    def booking(alias: str, hour: int) -> str:
        period = f'start: "{at(hour)}", end: "{at(hour, 30)}"'
        return f'{alias}: reservationCreate(input: {{resourceId: "{desk}", {period}}}) {{ __typename }}'

    async with from_address(app, "10.0.0.6") as client:
        three = await client.post(
            "/graphql",
            json={"query": "mutation {" + " ".join(booking(f"b{h}", h) for h in (9, 10, 11)) + "}"},
            headers=headers,
        )
        # Three more would make six of five: the whole request is refused before anything runs.
        refused = await client.post(
            "/graphql",
            json={"query": "mutation {" + " ".join(booking(f"b{h}", h) for h in (13, 14, 15)) + "}"},
            headers=headers,
        )
        one_more = await client.post(
            "/graphql", json={"query": "mutation {" + booking("b16", 16) + "}"}, headers=headers
        )
    booked = await session.scalar(
        select(func.count()).select_from(Reservation).where(Reservation.status == "CONFIRMED")
    )

    assert [answer["__typename"] for answer in three.json()["data"].values()] == ["Reservation"] * 3
    assert refusal(refused)[:2] == (429, "RATE_LIMITED") and "data" not in refused.json()
    assert one_more.status_code == 429
    assert booked == 3


async def test_wrong_check_in_codes_are_limited_and_right_ones_do_not_count(
    app, booker, residents, tokens, clock, session, tuesday_morning
):
    guessed = await booker.create(residents[0], "窗边工位 W02", at(10), at(10, 30))
    honest = await booker.create(residents[1], "工位 D10", at(10), at(10, 30))
    clock.now = clock.now.replace(hour=9, minute=58)
    code = (await booker.code(tokens["MAKERSPACE_STAFF"]))["code"]
    wrong = "000000" if code != "000000" else "111111"
    check_in = (
        "mutation($id: ID!, $code: String!) { reservationCheckIn(id: $id, code: $code) { __typename } }"
    )

    async def attempt(client: httpx.AsyncClient, token: str, reservation: dict, guess: str) -> httpx.Response:
        variables = {"id": reservation["id"], "code": guess}
        headers = {"Authorization": f"Bearer {token}"}
        return await client.post(
            "/graphql", json={"query": check_in, "variables": variables}, headers=headers
        )

    async with from_address(app, "10.0.0.8") as guesser, from_address(app, "10.0.0.9") as resident:
        guesses = [await attempt(guesser, residents[0], guessed, wrong) for _ in range(3)]
        stopped = await attempt(guesser, residents[0], guessed, code)
        right = await attempt(resident, residents[1], honest, code)
    counted = await session.scalar(
        select(func.sum(RateLimitHit.hits)).where(RateLimitHit.key == "code:ip:10.0.0.9")
    )

    assert [g.json()["data"]["reservationCheckIn"]["__typename"] for g in guesses] == [
        "InvalidCheckInCode"
    ] * 3
    assert refusal(stopped)[:2] == (429, "RATE_LIMITED")
    assert right.json()["data"]["reservationCheckIn"]["__typename"] == "Reservation"
    assert counted == 0


async def test_a_request_refused_before_any_code_is_compared_does_not_count(
    app, booker, residents, tokens, clock, session, tuesday_morning
):
    """CountsAttempts gives the attempt back when the field is refused before it compares a code:
    a malformed ID (BAD_REQUEST) and an answer before the window (CHECK_IN_TOO_EARLY)."""
    early = await booker.create(residents[0], "窗边工位 W02", at(11), at(11, 30))
    clock.now = clock.now.replace(hour=9, minute=58)
    code = (await booker.code(tokens["MAKERSPACE_STAFF"]))["code"]
    check_in = (
        "mutation($id: ID!, $code: String!) { reservationCheckIn(id: $id, code: $code) { __typename } }"
    )
    headers = {"Authorization": f"Bearer {residents[0]}"}

    async def attempt(client: httpx.AsyncClient, reservation_id: str) -> httpx.Response:
        variables = {"id": reservation_id, "code": code}
        return await client.post(
            "/graphql", json={"query": check_in, "variables": variables}, headers=headers
        )

    async with from_address(app, "10.0.0.10") as client:
        # Four in all against a limit of three: had any counted, the last would be RATE_LIMITED
        # (five mutations with the booking, the per-person mutation limit of this module).
        malformed = [await attempt(client, "not-an-id") for _ in range(2)]
        too_early = [await attempt(client, early["id"]) for _ in range(2)]
    counted = await session.scalar(
        select(func.sum(RateLimitHit.hits)).where(RateLimitHit.key == "code:ip:10.0.0.10")
    )

    assert [r.json()["errors"][0]["extensions"]["code"] for r in malformed] == ["BAD_REQUEST"] * 2
    assert {r.json()["data"]["reservationCheckIn"]["__typename"] for r in too_early} == {"RuleViolation"}
    assert counted == 0
