"""Every booking rule of the maker space, broken once, through /graphql with the injectable clock."""

from datetime import timedelta

import pytest

from tests.conftest import GraphQLClient
from tests.makerspace.conftest import AVAILABILITY, TUESDAY, at

DESK = "窗边工位 W01"
DESK_2 = "工位 D09"
ROOM_6 = "会议室 小（6人）"

pytestmark = pytest.mark.usefixtures("tuesday_morning")


async def test_a_resident_books_a_desk_and_back_to_back_is_allowed(booker, residents):
    first = await booker.create(residents[0], DESK, at(10), at(11))
    second = await booker.create(residents[1], DESK, at(11), at(12))

    assert first["__typename"] == second["__typename"] == "Reservation"
    assert first["status"] == "CONFIRMED"
    assert first["start"] == "2026-12-01T10:00:00+08:00" and first["end"] == "2026-12-01T11:00:00+08:00"


@pytest.mark.parametrize(("start", "end"), [(at(10), at(11)), (at(10, 30), at(11, 30)), (at(9), at(12))])
async def test_an_overlapping_request_for_a_held_desk_gets_slot_taken(booker, residents, start, end):
    await booker.create(residents[0], DESK, at(10), at(11))

    result = await booker.create(residents[1], DESK, start, end)

    assert result["__typename"] == "SlotTaken"
    assert result["code"] == "SLOT_TAKEN"


@pytest.mark.parametrize(
    ("resource", "start", "end", "party", "code"),
    [
        (DESK, at(10, 15), at(11), 1, "NOT_SLOT_ALIGNED"),
        (DESK, at(10), at(10, 45), 1, "NOT_SLOT_ALIGNED"),
        (DESK, at(11), at(10), 1, "INVALID_PERIOD"),
        (DESK, at(8), at(9), 1, "OUTSIDE_OPENING_HOURS"),
        (DESK, at(21), at(22), 1, "OUTSIDE_OPENING_HOURS"),
        (DESK, at(10), at(14, 30), 1, "TOO_LONG"),
        (ROOM_6, at(10), at(12, 30), 1, "TOO_LONG"),
        (ROOM_6, at(10), at(11), 7, "PARTY_TOO_LARGE"),
        (DESK, at(10), at(11), 2, "PARTY_TOO_LARGE"),
        (ROOM_6, at(10), at(11), 0, "INVALID_PARTY_SIZE"),
        (
            DESK,
            at(10, day=TUESDAY + timedelta(days=8)),
            at(11, day=TUESDAY + timedelta(days=8)),
            1,
            "TOO_FAR_AHEAD",
        ),
        (
            DESK,
            at(10, day=TUESDAY - timedelta(days=1)),
            at(11, day=TUESDAY - timedelta(days=1)),
            1,
            "IN_THE_PAST",
        ),
    ],
)
async def test_each_rule_refuses_with_its_code(booker, residents, resource, start, end, party, code):
    result = await booker.create(residents[0], resource, start, end, party)

    assert result["__typename"] == "RuleViolation"
    assert result["code"] == code
    assert result["message"]


async def test_seven_days_ahead_is_still_bookable(booker, residents):
    day = TUESDAY + timedelta(days=7)

    assert (await booker.create(residents[0], DESK, at(10, day=day), at(11, day=day)))[
        "__typename"
    ] == "Reservation"


async def test_the_current_slot_is_bookable_until_check_in_closes(booker, residents, clock):
    clock.now = TUESDAY.replace(hour=10, minute=14)
    assert (await booker.create(residents[0], DESK, at(10), at(11)))["__typename"] == "Reservation"

    clock.now = TUESDAY.replace(hour=10, minute=16)
    assert (await booker.create(residents[1], DESK_2, at(10), at(11)))["code"] == "IN_THE_PAST"


async def test_one_person_cannot_hold_two_overlapping_reservations(booker, residents):
    await booker.create(residents[0], DESK, at(10), at(11))

    result = await booker.create(residents[0], DESK_2, at(10, 30), at(11, 30))

    assert result == {
        "__typename": "RuleViolation",
        "code": "OVERLAPPING_RESERVATION",
        "message": result["message"],
    }


async def test_desks_are_capped_at_eight_hours_a_person_a_day(booker, residents):
    assert (await booker.create(residents[0], DESK, at(9), at(13)))["__typename"] == "Reservation"
    assert (await booker.create(residents[0], DESK_2, at(13), at(17)))["__typename"] == "Reservation"

    result = await booker.create(residents[0], DESK, at(17), at(17, 30))

    assert result["code"] == "DAILY_CAP"
    # rooms are not desks: the cap does not apply
    assert (await booker.create(residents[0], ROOM_6, at(17), at(18), party=3))["__typename"] == "Reservation"


async def test_an_unknown_resource_is_not_found(gql, residents):
    from schema.common import encode_global_id
    from tests.makerspace.conftest import CREATE

    variables = {
        "input": {"resourceId": encode_global_id("Resource", 999999), "start": at(10), "end": at(11)}
    }
    result = (await gql(CREATE, variables, token=residents[0]))["data"]["reservationCreate"]

    assert result["__typename"] == "NotFound"


async def test_booking_needs_a_signed_in_person(gql, space):
    from tests.makerspace.conftest import CREATE

    variables = {"input": {"resourceId": space["by_name"][DESK]["id"], "start": at(10), "end": at(11)}}
    body = await gql(CREATE, variables)

    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_the_same_idempotency_key_returns_the_same_reservation(booker, residents):
    first = await booker.create(residents[0], DESK, at(10), at(11), key="phone-retry-1")
    again = await booker.create(residents[0], DESK, at(10), at(11), key="phone-retry-1")
    other_person = await booker.create(residents[1], DESK_2, at(10), at(11), key="phone-retry-1")

    assert again == first
    assert other_person["__typename"] == "Reservation" and other_person["id"] != first["id"]


async def test_the_same_key_with_different_input_is_refused(booker, residents):
    await booker.create(residents[0], DESK, at(10), at(11), key="k-1")

    result = await booker.create(residents[0], DESK, at(11), at(12), key="k-1")

    assert result["code"] == "IDEMPOTENCY_KEY_REUSED"


# ── availability ─────────────────────────────────────────────────────────────


async def availability(gql, space, **variables):
    body = await gql(AVAILABILITY, {"id": space["id"], "date": "2026-12-01", **variables})
    assert "errors" not in body, body
    return body["data"]["resourceAvailability"]


async def test_availability_offers_free_slots_inside_opening_hours(gql, space):
    days = await availability(gql, space)

    assert len(days) == 28
    slots = days[0]["freeSlots"]
    assert len(slots) == 26  # 08:30–21:30 in 30-minute slots
    assert slots[0] == {"start": "2026-12-01T08:30:00+08:00", "end": "2026-12-01T09:00:00+08:00"}
    assert slots[-1]["end"] == "2026-12-01T21:30:00+08:00"


async def test_availability_hides_held_and_past_slots(gql, space, booker, residents, clock):
    await booker.create(residents[0], DESK, at(10), at(11))
    clock.now = TUESDAY.replace(hour=9, minute=10)

    days = {day["resource"]["name"]: day["freeSlots"] for day in await availability(gql, space)}

    starts = [slot["start"][11:16] for slot in days[DESK]]
    assert "10:00" not in starts and "10:30" not in starts and "11:00" in starts
    assert starts[0] == "09:00"  # 08:30 is past its check-in window (08:45); 09:00 can still be taken


async def test_availability_filters_by_kind_features_and_party_size(gql, space):
    window = await availability(gql, space, kind="DESK", features=["WINDOW"])
    rooms = await availability(gql, space, party=8)

    assert len(window) == 8 and all(day["resource"]["kind"] == "DESK" for day in window)
    assert {day["resource"]["name"] for day in rooms} == {"会议室 中（8人）", "会议室 大（12人）"}


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "resolvers"])
async def test_availability_of_the_whole_space_costs_a_fixed_few_statements(
    client_with, space, count_statements, compiled
):
    async with client_with(compiled_reads=compiled) as client:
        with count_statements() as counter:
            days = await availability(GraphQLClient(client), space)

    assert len(days) == 28
    # Compiled: the space's day (every resource's free slots) as one JSON value, or none when the
    # space does not exist; by the resolvers: the space, then every resource with its free slots.
    assert counter.count == (1 if compiled else 2), counter.statements
