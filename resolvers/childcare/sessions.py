"""Centres, classes and dated sessions (generated from the weekly timetable)."""

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from models.childcare import (
    BookingStatus,
    ChildcareBooking,
    ChildcareCenter,
    ChildcareClass,
    ChildcareSession,
    TimetableEntry,
)
from resolvers.batching import by_ids, grouped
from resolvers.clock import SHANGHAI
from resolvers.errors import NotFound

# The lists' orders and conditions, for both read paths (resolvers/childcare/compiled.py reads them
# too): over a table or an alias of it.


def center_order(center: Any = ChildcareCenter.__table__) -> tuple:
    """childcareCenters: in the order they were made."""
    return (center.c.id,)


def class_order(klass: Any = ChildcareClass.__table__) -> tuple:
    """A centre's classes, youngest first (the id orders classes of the same youngest age)."""
    return (klass.c.min_age_months, klass.c.id)


def timetable_order(entry: Any = TimetableEntry.__table__) -> tuple:
    return (entry.c.weekday, entry.c.starts_at, entry.c.care_type)


def session_order(slot: Any = ChildcareSession.__table__, klass: Any = ChildcareClass.__table__) -> tuple:
    """childcareSessions: by start, then the youngest class."""
    return (func.lower(slot.c.period), klass.c.min_age_months, slot.c.id)


def sessions_of_center(slot: Any, klass: Any, *, center_id: Any, first_day: Any, last_day: Any) -> tuple:
    """The sessions of a centre's classes on the calendar days first_day … last_day (slot joined
    to its class klass)."""
    return (klass.c.center_id == center_id, slot.c.day >= first_day, slot.c.day <= last_day)


def is_waitlisted(booking: Any = ChildcareBooking.__table__) -> Any:
    """ChildcareSession.waitlisted counts these bookings."""
    return booking.c.status == BookingStatus.WAITLISTED.value


def center_not_found() -> NotFound:
    """childcareSessions' answer (both read paths) for a centre that does not exist."""
    return NotFound("该托育机构")


async def list_centers(*, session: AsyncSession) -> list[ChildcareCenter]:
    return list(await session.scalars(select(ChildcareCenter).order_by(*center_order())))


async def classes_by_center_ids(*, session: AsyncSession, ids: Sequence[int]) -> list[list[ChildcareClass]]:
    return await grouped(
        select(ChildcareClass).where(ChildcareClass.center_id.in_(ids)).order_by(*class_order()),
        session=session,
        ids=ids,
        key="center_id",
    )


async def timetables_by_class_ids(*, session: AsyncSession, ids: Sequence[int]) -> list[list[TimetableEntry]]:
    return await grouped(
        select(TimetableEntry).where(TimetableEntry.class_id.in_(ids)).order_by(*timetable_order()),
        session=session,
        ids=ids,
        key="class_id",
    )


get_centers_by_ids = by_ids(ChildcareCenter)
get_classes_by_ids = by_ids(ChildcareClass)


get_sessions_by_ids = by_ids(ChildcareSession)


async def get_center_or_error(*, session: AsyncSession, center_id: int) -> ChildcareCenter:
    center = await session.get(ChildcareCenter, center_id)
    if center is None:
        raise center_not_found()
    return center


async def waitlisted_counts(*, session: AsyncSession, ids: Sequence[int]) -> list[int]:
    rows = await session.execute(
        select(ChildcareBooking.session_id, func.count())
        .where(ChildcareBooking.session_id.in_(ids), is_waitlisted())
        .group_by(ChildcareBooking.session_id)
    )
    counts = dict(rows.all())
    return [counts.get(session_id, 0) for session_id in ids]


async def sessions_between(
    *, session: AsyncSession, center_id: int, first_day: date, last_day: date
) -> list[tuple[ChildcareSession, ChildcareClass]]:
    slot, klass = ChildcareSession.__table__, ChildcareClass.__table__
    rows = await session.execute(
        select(ChildcareSession, ChildcareClass)
        .join(ChildcareClass, ChildcareClass.id == ChildcareSession.class_id)
        .where(*sessions_of_center(slot, klass, center_id=center_id, first_day=first_day, last_day=last_day))
        .order_by(*session_order(slot, klass))
    )
    return [(row.ChildcareSession, row.ChildcareClass) for row in rows]


GENERATE_SQL = text(
    """
    INSERT INTO childcare_sessions (class_id, class_capacity, care_type, period, day, capacity, timetable_id)
    SELECT t.class_id, c.capacity, t.care_type,
           tstzrange((d + t.starts_at) AT TIME ZONE 'Asia/Shanghai',
                     (d + t.ends_at) AT TIME ZONE 'Asia/Shanghai', '[)'),
           d, t.capacity, t.id
      FROM childcare_timetable t
      JOIN childcare_classes c ON c.id = t.class_id
      CROSS JOIN generate_series(CAST(:first_day AS date), CAST(:last_day AS date), interval '1 day') AS g(d0)
      CROSS JOIN LATERAL (SELECT CAST(g.d0 AS date) AS d) AS days
     WHERE EXTRACT(isodow FROM d) = t.weekday
       AND (CAST(:class_id AS bigint) IS NULL OR t.class_id = CAST(:class_id AS bigint))
    ON CONFLICT ON CONSTRAINT uq_childcare_sessions_slot DO NOTHING
    RETURNING id
    """
)
# Each new session's roster: the carers on duty for its weekly entry.
ROSTER_SQL = text(
    """
    INSERT INTO childcare_session_carers (session_id, person_id)
    SELECT s.id, tc.person_id
      FROM childcare_sessions s
      JOIN childcare_timetable_carers tc ON tc.timetable_id = s.timetable_id
     WHERE s.id = ANY(CAST(:ids AS bigint[]))
    """
)


async def generate_sessions(
    *, session: AsyncSession, now: datetime, days: int = 21, class_id: int | None = None
) -> int:
    """Dated sessions from the weekly timetable for the coming `days` (idempotent: a job runs it),
    each with its entry's carers on duty; `class_id`: only that class's."""
    today = now.astimezone(SHANGHAI).date()
    made = await session.scalars(
        GENERATE_SQL, {"first_day": today, "last_day": today + timedelta(days=days), "class_id": class_id}
    )
    ids = list(made)
    if ids:
        await session.execute(ROSTER_SQL, {"ids": ids})
    return len(ids)
