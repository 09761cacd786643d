"""Maker-space rules at their edges: the no-show window, the longest booking and the largest party,
the check-in window — each exactly at its limit, then one step beyond."""

from datetime import timedelta

import pytest

from server.jobs import run_jobs_once
from tests.makerspace.conftest import TUESDAY, at

DESK = "窗边工位 W02"
ROOM_6 = "会议室 小（6人）"
MINUTE = timedelta(minutes=1)

pytestmark = pytest.mark.usefixtures("tuesday_morning")


@pytest.mark.parametrize(
    ("age_of_the_first", "answer"),
    [(timedelta(days=30) - MINUTE, "BookingSuspended"), (timedelta(days=30) + MINUTE, "Reservation")],
)
async def test_a_no_show_counts_towards_suspension_for_30_days_from_its_start(
    booker, residents, db, clock, age_of_the_first, answer
):
    # given a no-show on Tuesday 10:00 …
    await booker.create(residents[0], DESK, at(10), at(10, 30))
    clock.now = TUESDAY.replace(hour=10, minute=20)
    await run_jobs_once(session_factory=db, now=clock.now)
    # … and two more 30 days later, released when the first is 30 days ∓ a minute old
    later = TUESDAY + timedelta(days=30)
    clock.now = later.replace(hour=8)
    await booker.create(residents[0], DESK, at(8, 30, day=later), at(9, day=later))
    await booker.create(residents[0], DESK, at(9, day=later), at(9, 30, day=later))
    clock.now = TUESDAY.replace(hour=10) + age_of_the_first

    released = await run_jobs_once(session_factory=db, now=clock.now)
    booking = await booker.create(residents[0], DESK, at(11, day=later), at(11, 30, day=later))

    assert released["release_no_shows"] == 1  # one person, two reservations
    assert booking["__typename"] == answer


@pytest.mark.parametrize(
    ("resource", "end", "party", "answer"),
    [
        (ROOM_6, (12, 0), 6, "Reservation"),  # room_max_minutes (120) with the room full
        (ROOM_6, (12, 30), 6, "TOO_LONG"),  # one slot more
        (ROOM_6, (12, 0), 7, "PARTY_TOO_LARGE"),  # one person more
        (DESK, (14, 0), 1, "Reservation"),  # desk_max_minutes (240)
        (DESK, (14, 30), 1, "TOO_LONG"),
    ],
)
async def test_the_longest_booking_and_largest_party_are_accepted_and_one_more_refused(
    booker, residents, resource, end, party, answer
):
    result = await booker.create(residents[0], resource, at(10), at(*end), party=party)

    assert result.get("code", result["__typename"]) == answer


@pytest.mark.parametrize(
    ("now", "answer"),
    [
        ((9, 49), "CHECK_IN_TOO_EARLY"),
        ((9, 50), "CHECKED_IN"),  # exactly check_in_before_minutes (10) before the start
        ((10, 15), "CHECKED_IN"),  # exactly check_in_after_minutes (15) after it
        ((10, 16), "CHECK_IN_TOO_LATE"),
    ],
)
async def test_check_in_opens_exactly_10_minutes_before_and_closes_exactly_15_after(
    booker, residents, tokens, clock, now, answer
):
    booked = await booker.create(residents[0], DESK, at(10), at(11))
    clock.now = TUESDAY.replace(hour=now[0], minute=now[1])
    code = (await booker.code(tokens["MAKERSPACE_STAFF"]))["code"]

    result = await booker.check_in(residents[0], booked["id"], code)

    assert result.get("status", result.get("code")) == answer


async def test_the_no_show_job_leaves_a_reservation_that_may_still_check_in(
    booker, residents, tokens, db, clock
):
    booked = await booker.create(residents[0], DESK, at(10), at(11))
    clock.now = TUESDAY.replace(hour=10, minute=15)  # the last moment of check-in

    await run_jobs_once(session_factory=db, now=clock.now)
    code = (await booker.code(tokens["MAKERSPACE_STAFF"]))["code"]
    result = await booker.check_in(residents[0], booked["id"], code)

    assert result.get("status", result.get("code")) == "CHECKED_IN"
