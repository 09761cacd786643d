"""Centres, classes and dated sessions (generated from the weekly timetable)."""

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from models.childcare import (
    BookingStatus,
    ChildcareBooking,
    ChildcareCenter,
    ChildcareClass,
    ChildcareSession,
)
from resolvers.batching import by_ids, grouped
from resolvers.clock import SHANGHAI
from resolvers.errors import NotFound


async def list_centers(*, session: AsyncSession) -> list[ChildcareCenter]:
    return list(await session.scalars(select(ChildcareCenter).order_by(ChildcareCenter.id)))


async def classes_by_center_ids(*, session: AsyncSession, ids: Sequence[int]) -> list[list[ChildcareClass]]:
    return await grouped(
        select(ChildcareClass)
        .where(ChildcareClass.center_id.in_(ids))
        .order_by(ChildcareClass.min_age_months),
        session=session,
        ids=ids,
        key="center_id",
    )


get_centers_by_ids = by_ids(ChildcareCenter)
get_classes_by_ids = by_ids(ChildcareClass)


get_sessions_by_ids = by_ids(ChildcareSession)


async def get_center_or_error(*, session: AsyncSession, center_id: int) -> ChildcareCenter:
    center = await session.get(ChildcareCenter, center_id)
    if center is None:
        raise NotFound("该托育机构")
    return center


async def waitlisted_counts(*, session: AsyncSession, ids: Sequence[int]) -> list[int]:
    rows = await session.execute(
        select(ChildcareBooking.session_id, func.count())
        .where(ChildcareBooking.session_id.in_(ids), ChildcareBooking.status == BookingStatus.WAITLISTED)
        .group_by(ChildcareBooking.session_id)
    )
    counts = dict(rows.all())
    return [counts.get(session_id, 0) for session_id in ids]


async def sessions_between(
    *, session: AsyncSession, center_id: int, first_day: date, last_day: date
) -> list[tuple[ChildcareSession, ChildcareClass]]:
    rows = await session.execute(
        select(ChildcareSession, ChildcareClass)
        .join(ChildcareClass, ChildcareClass.id == ChildcareSession.class_id)
        .where(
            ChildcareClass.center_id == center_id,
            ChildcareSession.day >= first_day,
            ChildcareSession.day <= last_day,
        )
        .order_by(func.lower(ChildcareSession.period), ChildcareClass.min_age_months, ChildcareSession.id)
    )
    return [(row.ChildcareSession, row.ChildcareClass) for row in rows]


GENERATE_SQL = text(
    """
    INSERT INTO childcare_sessions (class_id, class_capacity, care_type, period, day, capacity)
    SELECT t.class_id, c.capacity, t.care_type,
           tstzrange((d + t.starts_at) AT TIME ZONE 'Asia/Shanghai',
                     (d + t.ends_at) AT TIME ZONE 'Asia/Shanghai', '[)'),
           d, t.capacity
      FROM childcare_timetable t
      JOIN childcare_classes c ON c.id = t.class_id
      CROSS JOIN generate_series(CAST(:first_day AS date), CAST(:last_day AS date), interval '1 day') AS g(d0)
      CROSS JOIN LATERAL (SELECT CAST(g.d0 AS date) AS d) AS days
     WHERE EXTRACT(isodow FROM d) = t.weekday
    ON CONFLICT ON CONSTRAINT uq_childcare_sessions_slot DO NOTHING
    """
)


async def generate_sessions(*, session: AsyncSession, now: datetime, days: int = 21) -> int:
    """Dated sessions from the weekly timetable for the coming `days` (idempotent: a job runs it)."""
    today = now.astimezone(SHANGHAI).date()
    result = await session.execute(
        GENERATE_SQL, {"first_day": today, "last_day": today + timedelta(days=days)}
    )
    return result.rowcount
