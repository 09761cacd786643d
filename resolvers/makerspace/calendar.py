"""The calendar of a space: opening hours, slots, and the free slots of a day."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, DateTime, cast, exists, func, literal, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY, TSTZRANGE, aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from models.makerspace import (
    MakerSpace,
    Resource,
    ResourceHold,
)
from resolvers.clock import SHANGHAI
from resolvers.makerspace.spaces import display_order, get_space_or_error, in_use


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


ZONE = literal_column(f"'{SHANGHAI.key}'")
MINUTE = literal_column("interval '1 minute'")


@dataclass(frozen=True)
class DaySlots:
    """A space's bookable slots of a day, in SQL: `start` and `end` over the rows `where` keeps.
    With `is_held` this is what a free slot is, for both read paths: the resolvers select each
    resource's free slots as an array of ranges (free_slots), the compiled path the day's slots
    once and each resource's free ones as JSON."""

    start: Any
    end: Any
    where: tuple


def day_slots(space: Any, day: Any, now: Any) -> DaySlots:
    """The slots of `day` (a date) at `space` (the maker_spaces table or an alias) that
    reservationCreate accepts at `now`: from opening to closing (Asia/Shanghai) in steps of
    slot_minutes, none on a day past booking_horizon_days from today, none whose check-in has
    closed (a slot stays bookable until start + check_in_after_minutes, inclusive)."""
    step = space.c.slot_minutes * MINUTE
    opens = func.timezone(ZONE, day + space.c.opens_at, type_=DateTime(timezone=True))
    closes = func.timezone(ZONE, day + space.c.closes_at, type_=DateTime(timezone=True))
    start = func.generate_series(opens, closes - step, step, type_=DateTime(timezone=True)).column_valued(
        "slot_start"
    )
    today = cast(func.timezone(ZONE, now), Date)
    return DaySlots(
        start=start,
        end=start + step,
        where=(
            day <= today + space.c.booking_horizon_days,
            now <= start + space.c.check_in_after_minutes * MINUTE,
        ),
    )


def is_held(resource_id: Any, start: Any, end: Any) -> Any:
    """Something holds the resource for part of [start, end): an active reservation or a block-out
    in force (resource_holds)."""
    return (
        exists()
        .where(
            ResourceHold.resource_id == resource_id, ResourceHold.period.op("&&")(func.tstzrange(start, end))
        )
        .correlate_except(ResourceHold)
    )


def free_slots(resource_id: Any, space: Any, day: Any, now: Any) -> Any:
    """The resource's free slots of the day as one array of ranges, in order (NULL for none): a
    scalar subquery correlated to the resource's and the space's rows."""
    slots = day_slots(space, day, now)
    ranges = func.array_agg(
        aggregate_order_by(func.tstzrange(slots.start, slots.end), slots.start), type_=ARRAY(TSTZRANGE)
    )
    return select(ranges).where(*slots.where, ~is_held(resource_id, slots.start, slots.end)).scalar_subquery()


@dataclass(frozen=True)
class AvailabilityFilter:
    """Which resources of a space resourceAvailability lists: those in use, maybe of one kind, with
    all of some features, seating at least some persons."""

    space_id: int
    kind: str | None = None
    features: tuple[str, ...] = ()
    party_size: int | None = None

    def shape(self) -> tuple[bool, bool, bool]:
        """Which filters apply (the compiled statement's shape; their values are bound)."""
        return (self.kind is not None, bool(self.features), self.party_size is not None)

    def where(self, resource: Any, *, kind: Any, features: Any, party_size: Any) -> list:
        """The conditions on `resource` (the resources table or an alias) besides its space, the
        filters' values given as literals (the resolvers) or bound parameters (the compiled path)."""
        has_kind, has_features, has_party = self.shape()
        clauses = [in_use(resource)]
        if has_kind:
            clauses.append(resource.c.kind == kind)
        if has_features:
            clauses.append(resource.c.features.contains(features))
        if has_party:
            clauses.append(resource.c.capacity >= party_size)
        return clauses


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
    """Free slots (free_slots) of each matching resource on one day: two statements, whatever the
    space's size."""
    wanted = AvailabilityFilter(space_id=space_id, kind=kind, features=tuple(features), party_size=party_size)
    space = await get_space_or_error(session=session, space_id=space_id)
    resources, spaces = Resource.__table__, MakerSpace.__table__
    ranges = free_slots(resources.c.id, spaces, literal(day, Date), literal(now, DateTime(timezone=True)))
    stmt = (
        select(Resource, ranges)
        .join(spaces, spaces.c.id == resources.c.space_id)
        .where(
            resources.c.space_id == space.id,
            *wanted.where(
                resources, kind=wanted.kind, features=list(wanted.features), party_size=wanted.party_size
            ),
        )
        .order_by(*display_order(resources))
    )
    return [
        ResourceDay(resource=resource, free_slots=[(slot.lower, slot.upper) for slot in free or ()])
        for resource, free in (await session.execute(stmt)).all()
    ]
