"""Spaces and their resources; who staffs a space."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.makerspace import (
    MakerSpace,
    Resource,
)
from models.people import Role
from resolvers.actor import Viewer
from resolvers.batching import by_ids, grouped
from resolvers.errors import NotFound


async def list_spaces(*, session: AsyncSession) -> list[MakerSpace]:
    return list(await session.scalars(select(MakerSpace).order_by(MakerSpace.id)))


get_spaces_by_ids = by_ids(MakerSpace)


async def get_space_or_error(*, session: AsyncSession, space_id: int) -> MakerSpace:
    space = await session.get(MakerSpace, space_id)
    if space is None:
        raise NotFound("该创客空间")
    return space


async def resources_by_space_ids(*, session: AsyncSession, ids: Sequence[int]) -> list[list[Resource]]:
    return await grouped(
        select(Resource)
        .where(Resource.space_id.in_(ids), Resource.active)
        .order_by(Resource.position, Resource.id),
        session=session,
        ids=ids,
        key="space_id",
    )


get_resources_by_ids = by_ids(Resource)


def is_space_staff(viewer: Viewer | None, space: MakerSpace) -> bool:
    return viewer is not None and viewer.is_staff_of(Role.MAKERSPACE_STAFF, space.community_id)
