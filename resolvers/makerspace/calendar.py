"""The calendar of a space: opening hours, slots, and the free slots of a day."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.dialects.postgresql import Range
from sqlalchemy.ext.asyncio import AsyncSession

from models.makerspace import (
    MakerSpace,
    Resource,
    ResourceHold,
)
from resolvers.clock import SHANGHAI
from resolvers.makerspace.spaces import get_space_or_error


def local_day_bounds(space: MakerSpace, day: date) -> tuple[datetime, datetime]:
    opens = datetime.combine(day, space.opens_at, SHANGHAI)
    closes = datetime.combine(day, space.closes_at, SHANGHAI)
    return opens, closes


def slot_starts(space: MakerSpace, day: date) -> list[datetime]:
    opens, closes = local_day_bounds(space, day)
    step = timedelta(minutes=space.slot_minutes)
    starts, current = [], opens
    while current + step <= closes:
        starts.append(current)
        current += step
    return starts


def still_bookable(space: MakerSpace, start: datetime, now: datetime) -> bool:
    """A slot can be booked while its holder could still check in (until start + the grace, inclusive)."""
    return now <= start + timedelta(minutes=space.check_in_after_minutes)


def within_horizon(space: MakerSpace, day: date, now: datetime) -> bool:
    """Days are bookable up to `booking_horizon_days` calendar days (Asia/Shanghai) after today."""
    return day <= now.astimezone(SHANGHAI).date() + timedelta(days=space.booking_horizon_days)


@dataclass
class ResourceDay:
    resource: Resource
    free_slots: list[tuple[datetime, datetime]]


async def availability(
    *,
    session: AsyncSession,
    space_id: int,
    day: date,
    now: datetime,
    kind: str | None = None,
    features: Sequence[str] = (),
    party_size: int | None = None,
) -> list[ResourceDay]:
    """Free slots of each matching resource on one day: two statements, whatever the space's size.
    Only slots the booking rules accept now are free: none past the horizon or past check-in."""
    space = await get_space_or_error(session=session, space_id=space_id)
    opens, closes = local_day_bounds(space, day)
    # What holds a resource's time: its active reservations and the staff's block-outs in force.
    held = and_(ResourceHold.resource_id == Resource.id, ResourceHold.period.overlaps(Range(opens, closes)))
    stmt = (
        select(
            Resource,
            func.array_remove(func.array_agg(func.lower(ResourceHold.period)), None),
            func.array_remove(func.array_agg(func.upper(ResourceHold.period)), None),
        )
        .outerjoin(ResourceHold, held)
        .where(Resource.space_id == space.id, Resource.active)
        .group_by(Resource.id)
        .order_by(Resource.position, Resource.id)
    )
    if kind is not None:
        stmt = stmt.where(Resource.kind == kind)
    if features:
        stmt = stmt.where(Resource.features.contains(list(features)))
    if party_size is not None:
        stmt = stmt.where(Resource.capacity >= party_size)
    step = timedelta(minutes=space.slot_minutes)
    starts = [start for start in slot_starts(space, day) if still_bookable(space, start, now)]
    if not within_horizon(space, day, now):
        starts = []
    days = []
    for resource, lowers, uppers in (await session.execute(stmt)).all():
        busy = list(zip(lowers, uppers, strict=True))
        free = [
            (start, start + step)
            for start in starts
            if not any(low < start + step and start < high for low, high in busy)
        ]
        days.append(ResourceDay(resource=resource, free_slots=free))
    return days
