"""Lists: a person's reservations and a space's day."""

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import Range
from sqlalchemy.ext.asyncio import AsyncSession

from models.makerspace import (
    ACTIVE_STATUSES,
    MakerSpace,
    Reservation,
)
from resolvers.makerspace.calendar import local_day_bounds
from resolvers.pagination import Page, keyset_page


async def my_reservations(
    *,
    session: AsyncSession,
    person_id: int,
    upcoming_only: bool,
    now: datetime,
    first: int,
    after: Sequence | None,
) -> Page[Reservation]:
    """Upcoming ones soonest first; with history, newest first."""
    stmt = select(Reservation).where(Reservation.person_id == person_id)
    if upcoming_only:
        stmt = stmt.where(Reservation.status.in_(ACTIVE_STATUSES), func.upper(Reservation.period) > now)
    return await keyset_page(
        stmt,
        session=session,
        key_columns=[func.lower(Reservation.period), Reservation.id],
        first=first,
        after=after,
        descending=not upcoming_only,
    )


async def space_day(*, session: AsyncSession, space: MakerSpace, day: date) -> list[Reservation]:
    opens, closes = local_day_bounds(space, day)
    return list(
        await session.scalars(
            select(Reservation)
            .where(Reservation.space_id == space.id, Reservation.period.overlaps(Range(opens, closes)))
            .order_by(func.lower(Reservation.period), Reservation.resource_id, Reservation.id)
        )
    )
