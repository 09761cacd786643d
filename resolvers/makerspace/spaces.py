"""Spaces and their resources; who staffs a space."""

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import Range
from sqlalchemy.ext.asyncio import AsyncSession

from models.makerspace import (
    MakerSpace,
    Resource,
    ResourceBlockOut,
)
from models.people import Role
from resolvers.actor import Viewer
from resolvers.batching import by_ids, grouped
from resolvers.clock import SHANGHAI
from resolvers.errors import NotFound


def space_order(space: Any = MakerSpace.__table__) -> tuple:
    """makerSpaces' order, in the order they were made (both read paths, as in_use and display_order:
    resolvers/makerspace/compiled.py reads them too)."""
    return (space.c.id,)


def in_use(resource: Any = Resource.__table__) -> Any:
    """The resources listed (MakerSpace.resources, resourceAvailability): those not retired."""
    return resource.c.active


def display_order(resource: Any = Resource.__table__) -> tuple:
    return (resource.c.position, resource.c.id)


async def list_spaces(*, session: AsyncSession) -> list[MakerSpace]:
    return list(await session.scalars(select(MakerSpace).order_by(*space_order())))


get_spaces_by_ids = by_ids(MakerSpace)


async def get_space_or_error(*, session: AsyncSession, space_id: int) -> MakerSpace:
    space = await session.get(MakerSpace, space_id)
    if space is None:
        raise space_not_found()
    return space


def space_not_found() -> NotFound:
    """resourceAvailability's answer (both read paths) for a space that does not exist."""
    return NotFound("该创客空间")


async def resources_by_space_ids(*, session: AsyncSession, ids: Sequence[int]) -> list[list[Resource]]:
    return await grouped(
        select(Resource).where(Resource.space_id.in_(ids), in_use()).order_by(*display_order()),
        session=session,
        ids=ids,
        key="space_id",
    )


get_resources_by_ids = by_ids(Resource)


def is_space_staff(viewer: Viewer | None, space: MakerSpace) -> bool:
    return viewer is not None and viewer.is_staff_of(Role.MAKERSPACE_STAFF, space.community_id)


def days_window(first: date, last: date) -> tuple[datetime, datetime]:
    """The calendar days from `first` to `last` (both inclusive, Asia/Shanghai), half-open."""
    return datetime.combine(first, time(), SHANGHAI), datetime.combine(
        last + timedelta(days=1), time(), SHANGHAI
    )


async def block_outs_in_force(
    *, session: AsyncSession, ids: Sequence[tuple[int, datetime, datetime]]
) -> list[list[ResourceBlockOut]]:
    """For each (space, start, end): the space's block-outs in force (not removed) overlapping
    [start, end), by start then resource. One statement per window asked (a request asks one for
    all its spaces), on ix_resource_block_outs_space_period."""
    windows: dict[tuple[datetime, datetime], set[int]] = {}
    for space_id, start, end in ids:
        windows.setdefault((start, end), set()).add(space_id)
    found: dict[tuple[int, datetime, datetime], list[ResourceBlockOut]] = {}
    for (start, end), spaces in windows.items():
        rows = await session.scalars(
            select(ResourceBlockOut)
            .where(
                ResourceBlockOut.space_id.in_(spaces),
                ResourceBlockOut.period.overlaps(Range(start, end, bounds="[)")),
                ResourceBlockOut.removed_at.is_(None),
            )
            .order_by(func.lower(ResourceBlockOut.period), ResourceBlockOut.resource_id)
        )
        for row in rows:
            found.setdefault((row.space_id, start, end), []).append(row)
    return [found.get(key, []) for key in ids]
