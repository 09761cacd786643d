"""Periodic jobs, idempotent functions of (session, now): no-shows, suspensions, completion."""

from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.makerspace import (
    BookingSuspension,
    MakerSpace,
    Reservation,
    ReservationStatus,
)


async def release_no_shows(*, session: AsyncSession, now: datetime) -> int:
    """Not checked in by start + grace → NO_SHOW (frees the time); repeat offenders are suspended."""
    rows = await session.execute(
        update(Reservation)
        .where(
            Reservation.status == ReservationStatus.CONFIRMED,
            Reservation.space_id == MakerSpace.id,
            # Strictly after: check-in is still open at start + grace itself.
            func.lower(Reservation.period)
            + func.make_interval(0, 0, 0, 0, 0, MakerSpace.check_in_after_minutes)
            < now,
        )
        .values(status=ReservationStatus.NO_SHOW.value)
        .returning(Reservation.person_id, Reservation.space_id)
        .execution_options(synchronize_session=False)
    )
    offenders = set(rows.all())
    for person_id, space_id in offenders:
        await suspend_if_due(session=session, person_id=person_id, space_id=space_id, now=now)
    return len(offenders)


async def suspend_if_due(*, session: AsyncSession, person_id: int, space_id: int, now: datetime) -> None:
    space = await session.get(MakerSpace, space_id)
    last = await session.scalar(
        select(BookingSuspension)
        .where(BookingSuspension.person_id == person_id, BookingSuspension.space_id == space_id)
        .order_by(BookingSuspension.starts_at.desc())
        .limit(1)
    )
    if last is not None and last.until > now:
        return
    # No-shows already punished by an earlier suspension do not count again.
    since = now - timedelta(days=space.no_show_window_days)
    if last is not None and last.starts_at > since:
        since = last.starts_at
    count = await session.scalar(
        select(func.count())
        .select_from(Reservation)
        .where(
            Reservation.person_id == person_id,
            Reservation.space_id == space_id,
            Reservation.status == ReservationStatus.NO_SHOW,
            func.lower(Reservation.period) > since,
        )
    )
    if count >= space.no_show_limit:
        session.add(
            BookingSuspension(
                space_id=space_id,
                person_id=person_id,
                starts_at=now,
                until=now + timedelta(days=space.suspension_days),
                reason=f"{space.no_show_window_days} 天内 {count} 次未签到",
            )
        )
        await session.flush()


async def complete_finished(*, session: AsyncSession, now: datetime) -> int:
    result = await session.execute(
        update(Reservation)
        .where(Reservation.status == ReservationStatus.CHECKED_IN, func.upper(Reservation.period) <= now)
        .values(status=ReservationStatus.COMPLETED.value)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


# The maker space's periodic jobs (server/jobs.py runs every domain's, each minute, on one replica).
JOBS = (release_no_shows, complete_finished)
