"""Ages in months as the Civil Code art. 202 counts periods (DOMAIN.md): a month is complete on the
same day of the later month, or on that month's last day when it has no such day."""

import calendar
from datetime import date, datetime, timedelta

import pytest
from dateutil.relativedelta import relativedelta

from resolvers.childcare import age_in_months, generate_sessions
from tests.childcare.conftest import SHANGHAI, session_of

# Written by hand from the law's wording, not from the code.
BY_THE_LAW = [
    ("2025-10-31", "2026-04-29", 5),
    ("2025-10-31", "2026-04-30", 6),  # April has no 31st: its last day completes the month
    ("2024-02-29", "2025-02-27", 11),
    ("2024-02-29", "2025-02-28", 12),  # 2025 has no 29 February
    ("2024-02-29", "2028-02-28", 47),  # 2028 has one: the 29th completes the 48th month
    ("2024-02-29", "2028-02-29", 48),
    ("2023-01-31", "2023-02-28", 1),
    ("2024-01-31", "2024-02-28", 0),
    ("2024-01-31", "2024-02-29", 1),
    ("2024-01-30", "2024-02-29", 1),
    ("2024-01-29", "2024-02-28", 0),
    ("2024-01-29", "2024-02-29", 1),
    ("2023-01-29", "2023-02-28", 1),
    ("2024-03-31", "2024-04-30", 1),
    ("2024-03-31", "2024-05-30", 1),  # May has a 31st: the second month is not complete yet
    ("2024-03-31", "2024-05-31", 2),
    ("2024-05-15", "2024-05-15", 0),
    ("2024-05-15", "2024-06-14", 0),
    ("2024-05-15", "2024-06-15", 1),
    ("2024-12-31", "2025-01-31", 1),
    ("2023-08-31", "2024-02-29", 6),
    ("2023-08-31", "2024-02-28", 5),
]


@pytest.mark.parametrize(("birth", "on", "months"), BY_THE_LAW)
def test_age_in_months_follows_the_civil_code(birth, on, months):
    assert age_in_months(date.fromisoformat(birth), date.fromisoformat(on)) == months


def month_ends_after(birth: date, months: int):
    """The 1st, 27th–31st and last day of each of the `months` months from the birth's, not before it."""
    for offset in range(months):
        year, month = divmod(birth.month - 1 + offset, 12)
        year, month = birth.year + year, month + 1
        last = calendar.monthrange(year, month)[1]
        for day in sorted({1, 27, 28, 29, 30, 31, last}):
            if day <= last and date(year, month, day) >= birth:
                yield date(year, month, day)


@pytest.mark.parametrize("year", [2023, 2024])
def test_age_in_months_agrees_with_relativedelta_on_every_birth_day_of_the_year(year):
    # relativedelta counts the most months n with birth + n months (clamped to the month's end) ≤ on.
    wrong = []
    birth = date(year, 1, 1)
    while birth.year == year:
        for on in month_ends_after(birth, 38):
            expected = relativedelta(on, birth)
            expected = expected.years * 12 + expected.months
            if age_in_months(birth, on) != expected:
                wrong.append((birth, on, age_in_months(birth, on), expected))
        birth += timedelta(days=1)

    assert wrong == [], f"{len(wrong)} disagreements, first {wrong[:5]}"


# ── through the API ──────────────────────────────────────────────────────────


async def sessions_on(family, db, clock, center: dict, child: dict, token: str, day: str) -> list:
    """The day's sessions with the child's eligibility, generated as the job would a week before."""
    async with db() as session:
        await generate_sessions(session=session, now=clock.now)
        await session.commit()
    return await family.sessions(center["id"], day, child["id"], token=token)


@pytest.mark.parametrize(
    ("birth", "day", "kind", "eligible"),
    [
        ("2026-10-31", "2027-04-29", "INFANT", False),  # 5 months
        ("2026-10-31", "2027-04-30", "INFANT", True),  # 6 months on the last day of April
        ("2027-08-31", "2028-02-28", "INFANT", False),  # 5 months: 2028 has a 29 February
        ("2027-08-31", "2028-02-29", "INFANT", True),  # 6 months
        ("2024-02-29", "2025-02-27", "INFANT", True),  # 11 months
        ("2024-02-29", "2025-02-27", "TODDLER", False),
        ("2024-02-29", "2025-02-28", "INFANT", False),  # 12 months on 28 February: moved up
        ("2024-02-29", "2025-02-28", "TODDLER", True),
    ],
)
async def test_eligibility_and_booking_count_months_by_the_civil_code(
    family, guardians, center, clock, db, birth, day, kind, eligible
):
    clock.now = datetime.combine(date.fromisoformat(day) - timedelta(days=9), datetime.min.time(), SHANGHAI)
    child = await family.register(guardians[0], "小满", birth)

    slot = session_of(await sessions_on(family, db, clock, center, child, guardians[0], day), kind)
    booked = await family.book(guardians[0], slot["id"], child["id"])

    assert slot["eligible"] is eligible
    assert booked["__typename"] == ("ChildcareBooking" if eligible else "ChildNotEligible")


@pytest.mark.parametrize(("today", "answer"), [("2027-02-27", "Child"), ("2027-02-28", "RuleViolation")])
async def test_a_child_born_on_29_february_is_three_on_28_february(family, guardians, clock, today, answer):
    clock.now = datetime.combine(date.fromisoformat(today), datetime.min.time(), SHANGHAI).replace(hour=9)

    registered = await family.register(guardians[0], "小满", "2024-02-29")

    assert registered["__typename"] == answer
    assert registered.get("code", "NOT_UNDER_THREE") == "NOT_UNDER_THREE"
