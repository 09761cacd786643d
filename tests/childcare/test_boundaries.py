"""托育 rules at their edges: the booking horizon, free cancellation, the national class rules."""

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from tests.childcare.conftest import MONDAY, session_of

pytestmark = pytest.mark.usefixtures("monday")

TODDLER_BIRTH = "2025-06-01"  # 18 months in December 2026: 托小班
INFANT_BIRTH = "2026-04-01"


@pytest.mark.parametrize(
    ("now", "day", "answer"),
    [
        (MONDAY, "2026-12-14", "CONFIRMED"),  # 14 days ahead (booking_horizon_days)
        (MONDAY, "2026-12-15", "TOO_FAR_AHEAD"),  # 15 days ahead
        # Days are calendar days of Asia/Shanghai: late on Monday the 14th day is still the 14th …
        (MONDAY.replace(hour=23, minute=59, second=59), "2026-12-14", "CONFIRMED"),
        (MONDAY.replace(hour=23, minute=59, second=59), "2026-12-15", "TOO_FAR_AHEAD"),
        # … and at midnight the next one opens.
        (MONDAY.replace(hour=0) + timedelta(days=1), "2026-12-15", "CONFIRMED"),
    ],
)
async def test_sessions_are_bookable_up_to_the_horizon_and_not_a_day_more(
    family, guardians, center, monday, now, day, answer
):
    child = await family.register(guardians[0], "小明", TODDLER_BIRTH)
    slot = session_of(await family.sessions(center["id"], day), "TODDLER")
    monday.now = now

    booked = await family.book(guardians[0], slot["id"], child["id"])

    assert booked.get("status", booked.get("code")) == answer


@pytest.mark.parametrize(
    ("before_start", "status"),
    [
        (timedelta(hours=24), "CANCELLED"),  # "free cancellation until 24 h before start": inclusive
        (timedelta(hours=24) - timedelta(seconds=1), "ABSENT"),
    ],
)
async def test_cancelling_is_free_until_exactly_24_hours_before_the_start(
    family, guardians, center, monday, before_start, status
):
    child = await family.register(guardians[0], "小满", INFANT_BIRTH)
    infant = session_of(await family.sessions(center["id"], "2026-12-01"), "INFANT")
    booking = await family.book(guardians[0], infant["id"], child["id"])
    monday.now = MONDAY.replace(hour=8) + timedelta(days=1) - before_start  # Tuesday 08:00 − …

    cancelled = await family.cancel(guardians[0], booking["id"])

    assert cancelled["status"] == status
    assert session_of(await family.sessions(center["id"], "2026-12-01"), "INFANT")["booked"] == 0


# The national rules of 2019, as the README states them (not read from the code): (kind, largest
# class, most children per carer, youngest months, oldest months (exclusive)). The mixed class has no
# ratio of its own in the rules as reported; the schema allows the loosest it mixes, 1:7.
NATIONAL_RULES = [
    ("INFANT", 10, 3, 6, 12),
    ("TODDLER", 15, 5, 12, 24),
    ("PRESCHOOL", 20, 7, 24, 36),
    ("MIXED", 18, 7, 18, 36),
]
INSERT_CLASS = text(
    """
    INSERT INTO childcare_classes
           (center_id, name, kind, min_age_months, max_age_months, capacity, carer_ratio)
    SELECT id, :name, :kind, :youngest, :oldest, :size, :ratio FROM childcare_centers ORDER BY id LIMIT 1
    """
)


async def insert_class(session, **values) -> None:
    async with session.begin_nested():
        await session.execute(INSERT_CLASS, {"name": f"边界班 {values}", **values})


@pytest.mark.parametrize(("kind", "size", "ratio", "youngest", "oldest"), NATIONAL_RULES)
async def test_the_largest_class_each_kind_allows_is_accepted(session, kind, size, ratio, youngest, oldest):
    await insert_class(session, kind=kind, size=size, ratio=ratio, youngest=youngest, oldest=oldest)


@pytest.mark.parametrize(("kind", "size", "ratio", "youngest", "oldest"), NATIONAL_RULES)
@pytest.mark.parametrize("beyond", ["one child more", "one child more per carer", "younger", "older"])
async def test_one_step_beyond_a_national_rule_is_refused_by_the_database(
    session, kind, size, ratio, youngest, oldest, beyond
):
    values = {"kind": kind, "size": size, "ratio": ratio, "youngest": youngest, "oldest": oldest}
    values |= {
        "one child more": {"size": size + 1},
        "one child more per carer": {"ratio": ratio + 1},
        "younger": {"youngest": youngest - 1},
        "older": {"oldest": oldest + 1},
    }[beyond]

    with pytest.raises(IntegrityError, match="ck_childcare_classes_national_rules"):
        await insert_class(session, **values)
