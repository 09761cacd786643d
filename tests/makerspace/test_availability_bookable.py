"""`resourceAvailability` offers a slot only when `reservationCreate` would accept it from the asker now:
nothing past the booking horizon, nothing whose check-in has closed."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from models.makerspace import MakerSpace, Resource
from resolvers.errors import DomainFailure
from resolvers.makerspace import ReservationRequest, availability, check_booking_rules, slot_starts
from tests.makerspace.conftest import AVAILABILITY, TUESDAY, at

DESK = "窗边工位 W03"
HALF_HOUR = timedelta(minutes=30)

pytestmark = pytest.mark.usefixtures("tuesday_morning")


async def offered(gql, space, day: datetime, resource: str = DESK) -> list[str]:
    """The starts (HH:MM) of the free slots offered for `resource` on `day`."""
    body = await gql(AVAILABILITY, {"id": space["id"], "date": day.date().isoformat()})
    assert "errors" not in body, body
    days = {day["resource"]["name"]: day["freeSlots"] for day in body["data"]["resourceAvailability"]}
    return [slot["start"][11:16] for slot in days[resource]]


@pytest.mark.parametrize(("days_ahead", "answer"), [(7, "Reservation"), (8, "TOO_FAR_AHEAD")])
async def test_availability_ends_where_the_booking_horizon_does(
    gql, space, booker, residents, days_ahead, answer
):
    day = TUESDAY + timedelta(days=days_ahead)  # booking_horizon_days is 7

    starts = await offered(gql, space, day)
    booking = await booker.create(residents[0], DESK, at(8, 30, day=day), at(9, day=day))

    assert (starts[0] if starts else None) == ("08:30" if answer == "Reservation" else None)
    assert booking.get("code", booking["__typename"]) == answer


@pytest.mark.parametrize(
    ("now", "slot", "answer"),
    [
        ((10, 0), (10, 0), "Reservation"),  # the slot starting now
        ((10, 1), (10, 0), "Reservation"),  # started a minute ago: a walk-in can still check in
        ((10, 15), (10, 0), "Reservation"),  # the last moment of its check-in
        ((10, 16), (10, 0), "IN_THE_PAST"),
        ((10, 1), (9, 30), "IN_THE_PAST"),
    ],
)
async def test_a_slot_of_today_is_offered_exactly_while_it_can_be_booked(
    gql, space, booker, residents, clock, now, slot, answer
):
    clock.now = TUESDAY.replace(hour=now[0], minute=now[1])
    start = TUESDAY.replace(hour=slot[0], minute=slot[1])

    starts = await offered(gql, space, TUESDAY)
    booking = await booker.create(residents[0], DESK, start.isoformat(), (start + HALF_HOUR).isoformat())

    assert (f"{start:%H:%M}" in starts) is (answer == "Reservation")
    assert booking.get("code", booking["__typename"]) == answer


@pytest.mark.parametrize(
    "now",
    [
        TUESDAY.replace(hour=8),
        TUESDAY.replace(hour=10, minute=1),
        TUESDAY.replace(hour=10, minute=15),
        TUESDAY.replace(hour=21, minute=29),
        TUESDAY.replace(hour=23, minute=59),
    ],
)
async def test_every_slot_offered_passes_the_booking_rules_and_every_other_fails_them(session, now):
    space = await session.scalar(select(MakerSpace).where(MakerSpace.name == "南睦天空创客厅"))
    desk = await session.scalar(select(Resource).where(Resource.space_id == space.id, Resource.name == DESK))
    step = timedelta(minutes=space.slot_minutes)
    mismatches = []
    for offset in range(-1, space.booking_horizon_days + 2):
        day = (now + timedelta(days=offset)).date()
        listed = await availability(session=session, space_id=space.id, day=day, now=now)
        free = next(entry.free_slots for entry in listed if entry.resource.id == desk.id)
        for start in slot_starts(space, day):
            request = ReservationRequest(resource_id=desk.id, start=start, end=start + step)
            try:
                check_booking_rules(space, desk, request, now)
                bookable = True
            except DomainFailure:
                bookable = False
            if bookable is not ((start, start + step) in free):
                mismatches.append((start.isoformat(), bookable))

    assert mismatches == []
