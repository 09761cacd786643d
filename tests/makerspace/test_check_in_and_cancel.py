"""Check-in with the kiosk's rolling code; cancelling; no-shows and suspension, with the test clock."""

from datetime import timedelta

import pytest

from server.jobs import run_jobs_once
from tests.makerspace.conftest import TUESDAY, at

DESK = "窗边工位 W02"
DESK_2 = "工位 D10"
MY_RESERVATIONS = """
query($upcoming: Boolean!, $first: Int!, $after: String) {
  myReservations(upcomingOnly: $upcoming, first: $first, after: $after) {
    edges { cursor node { id start status } } pageInfo { hasNextPage endCursor }
  }
}
"""
DAY_VIEW = """
query($id: ID!) { makerSpaceReservations(spaceId: $id, date: "2026-12-01") {
  id start status holder { name phone } resource { name } } }
"""
NODE = "query($id: ID!) { node(id: $id) { ... on Reservation { id status holder { phone } } } }"

pytestmark = pytest.mark.usefixtures("tuesday_morning")


def moment(hour: int, minute: int = 0, second: int = 0):
    return TUESDAY.replace(hour=hour, minute=minute, second=second)


async def test_staff_read_the_kiosk_code_and_a_resident_checks_in_with_it(booker, residents, tokens, clock):
    booked = await booker.create(residents[0], DESK, at(10), at(11))
    clock.now = moment(9, 52)
    shown = await booker.code(tokens["MAKERSPACE_STAFF"])

    result = await booker.check_in(residents[0], booked["id"], shown["code"])

    assert result == {"__typename": "Reservation", "id": booked["id"], "status": "CHECKED_IN"}
    assert len(shown["code"]) == 6 and shown["validUntil"] == "2026-12-01T09:53:00+08:00"


async def test_the_code_changes_each_minute_and_the_previous_one_works_one_step_more(
    booker, residents, tokens, clock
):
    booked = await booker.create(residents[0], DESK, at(10), at(11))
    clock.now = moment(9, 55, 30)
    previous = (await booker.code(tokens["MAKERSPACE_STAFF"]))["code"]
    clock.now = moment(9, 56, 10)
    current = (await booker.code(tokens["MAKERSPACE_STAFF"]))["code"]

    result = await booker.check_in(residents[0], booked["id"], previous)

    assert previous != current
    assert result["status"] == "CHECKED_IN"


async def test_a_code_two_steps_old_or_a_wrong_one_is_refused(booker, residents, tokens, clock):
    booked = await booker.create(residents[0], DESK, at(10), at(11))
    clock.now = moment(9, 55, 0)
    stale = (await booker.code(tokens["MAKERSPACE_STAFF"]))["code"]
    clock.now = moment(9, 56, 0)
    previous = (await booker.code(tokens["MAKERSPACE_STAFF"]))["code"]
    clock.now = moment(9, 57, 0)
    current = (await booker.code(tokens["MAKERSPACE_STAFF"]))["code"]
    wrong = next(code for code in ("000000", "111111", "222222") if code not in (previous, current))

    results = [await booker.check_in(residents[0], booked["id"], code) for code in (stale, wrong)]

    assert stale not in (previous, current)
    assert [result["code"] for result in results] == ["INVALID_CHECK_IN_CODE"] * 2
    assert {result["__typename"] for result in results} == {"InvalidCheckInCode"}


@pytest.mark.parametrize(
    ("now", "code"),
    [((9, 49, 59), "CHECK_IN_TOO_EARLY"), ((10, 15, 1), "CHECK_IN_TOO_LATE")],
)
async def test_check_in_is_open_from_10_minutes_before_to_15_after(
    booker, residents, tokens, clock, now, code
):
    booked = await booker.create(residents[0], DESK, at(10), at(11))
    clock.now = moment(*now)
    shown = (await booker.code(tokens["MAKERSPACE_STAFF"]))["code"]

    assert (await booker.check_in(residents[0], booked["id"], shown))["code"] == code


async def test_residents_cannot_read_the_kiosk_code(gql, space, residents):
    body = await gql(
        "query($id: ID!) { makerSpaceCheckInCode(spaceId: $id) { code } }",
        {"id": space["id"]},
        token=residents[0],
    )

    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_cancelling_before_the_start_frees_the_slot(booker, residents):
    booked = await booker.create(residents[0], DESK, at(10), at(11))

    cancelled = await booker.cancel(residents[0], booked["id"])

    assert cancelled["status"] == "CANCELLED"
    assert (await booker.create(residents[1], DESK, at(10), at(11)))["__typename"] == "Reservation"
    assert (await booker.cancel(residents[0], booked["id"]))["code"] == "NOT_ACTIVE"


async def test_cancelling_a_checked_in_reservation_ends_it_now_and_frees_the_rest(
    booker, residents, tokens, clock
):
    booked = await booker.create(residents[0], DESK, at(10), at(12))
    clock.now = moment(10, 5)
    await booker.check_in(residents[0], booked["id"], (await booker.code(tokens["MAKERSPACE_STAFF"]))["code"])
    clock.now = moment(10, 40)

    ended = await booker.cancel(residents[0], booked["id"])

    assert ended["status"] == "COMPLETED"
    assert ended["end"] == "2026-12-01T10:40:00+08:00"
    assert (await booker.create(residents[1], DESK, at(11), at(12)))["__typename"] == "Reservation"


async def test_only_the_holder_and_the_spaces_staff_may_cancel(booker, residents, tokens):
    booked = await booker.create(residents[0], DESK, at(10), at(11))

    stranger = await booker.cancel(residents[1], booked["id"])
    staff = await booker.cancel(tokens["MAKERSPACE_STAFF"], booked["id"])

    assert stranger["__typename"] == "NotFound"
    assert staff["status"] == "CANCELLED"


async def test_no_show_release_frees_the_time_after_the_grace(booker, residents, db, clock):
    booked = await booker.create(residents[0], DESK, at(10), at(12))
    clock.now = moment(10, 15)  # check-in is still open: the job leaves it
    await run_jobs_once(session_factory=db, now=clock.now)
    assert (await booker.create(residents[1], DESK, at(11), at(12)))["code"] == "SLOT_TAKEN"

    clock.now = moment(10, 16)
    await run_jobs_once(session_factory=db, now=clock.now)
    again = await run_jobs_once(session_factory=db, now=clock.now)

    assert again["release_no_shows"] == 0  # idempotent
    assert (await booker.create(residents[1], DESK, at(11), at(12)))["__typename"] == "Reservation"
    assert (await booker.cancel(residents[0], booked["id"]))["code"] == "NOT_ACTIVE"


async def test_three_no_shows_in_30_days_suspend_booking_for_7_days(booker, residents, db, clock):
    for day in range(3):
        start = TUESDAY + timedelta(days=day)
        clock.now = start.replace(hour=8)
        await booker.create(residents[0], DESK, at(10, day=start), at(11, day=start))
        clock.now = start.replace(hour=10, minute=20)
        await run_jobs_once(session_factory=db, now=clock.now)

    day = TUESDAY + timedelta(days=4)
    refused = await booker.create(residents[0], DESK, at(10, day=day), at(11, day=day))

    assert refused["__typename"] == "BookingSuspended"
    assert refused["code"] == "BOOKING_SUSPENDED"
    assert refused["until"] == "2026-12-10T10:20:00+08:00"
    clock.now = TUESDAY + timedelta(days=9, hours=10, minutes=21)
    later = TUESDAY + timedelta(days=10)
    assert (await booker.create(residents[0], DESK, at(10, day=later), at(11, day=later)))[
        "__typename"
    ] == "Reservation"


async def test_my_reservations_upcoming_soonest_first_and_history_newest_first(gql, booker, residents, clock):
    for hour in (14, 10, 12):
        await booker.create(residents[0], DESK, at(hour), at(hour + 1))
    await booker.create(residents[1], DESK_2, at(10), at(11))

    upcoming = (await gql(MY_RESERVATIONS, {"upcoming": True, "first": 2}, token=residents[0]))["data"][
        "myReservations"
    ]
    rest = (
        await gql(
            MY_RESERVATIONS,
            {"upcoming": True, "first": 2, "after": upcoming["pageInfo"]["endCursor"]},
            token=residents[0],
        )
    )["data"]["myReservations"]
    history = (await gql(MY_RESERVATIONS, {"upcoming": False, "first": 10}, token=residents[0]))["data"][
        "myReservations"
    ]

    hours = [edge["node"]["start"][11:13] for edge in upcoming["edges"] + rest["edges"]]
    assert (
        hours == ["10", "12", "14"]
        and upcoming["pageInfo"]["hasNextPage"]
        and not rest["pageInfo"]["hasNextPage"]
    )
    assert [edge["node"]["start"][11:13] for edge in history["edges"]] == ["14", "12", "10"]


async def test_staff_see_the_day_of_their_space_and_residents_do_not(gql, space, booker, residents, tokens):
    await booker.create(residents[0], DESK, at(10), at(11))

    staff = await gql(DAY_VIEW, {"id": space["id"]}, token=tokens["MAKERSPACE_STAFF"])
    resident = await gql(DAY_VIEW, {"id": space["id"]}, token=residents[0])

    # Staff recognise the holder; the number itself stays with its owner.
    assert staff["data"]["makerSpaceReservations"][0]["holder"] == {"name": "居民0", "phone": "166****0000"}
    assert resident["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_node_shows_a_reservation_to_its_holder_only(gql, booker, residents):
    booked = await booker.create(residents[0], DESK, at(10), at(11))

    mine = await gql(NODE, {"id": booked["id"]}, token=residents[0])
    theirs = await gql(NODE, {"id": booked["id"]}, token=residents[1])
    anonymous = await gql(NODE, {"id": booked["id"]})

    assert mine["data"]["node"]["id"] == booked["id"]
    assert mine["data"]["node"]["holder"] == {"phone": "16600000000"}
    assert theirs["data"]["node"] is None and anonymous["data"]["node"] is None


async def test_checking_in_twice_or_someone_elses_reservation_is_refused(booker, residents, tokens, clock):
    booked = await booker.create(residents[0], DESK, at(10), at(11))
    clock.now = moment(9, 58)
    code = (await booker.code(tokens["MAKERSPACE_STAFF"]))["code"]

    stranger = await booker.check_in(residents[1], booked["id"], code)
    first = await booker.check_in(residents[0], booked["id"], code)
    twice = await booker.check_in(residents[0], booked["id"], code)

    assert stranger["__typename"] == "NotFound"
    assert first["status"] == "CHECKED_IN"
    assert twice["code"] == "ALREADY_CHECKED_IN"
