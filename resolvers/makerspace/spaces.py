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
from resolvers.errors import NotFoundFailure


async def list_spaces(*, session: AsyncSession) -> list[MakerSpace]:
    return list(await session.scalars(select(MakerSpace).order_by(MakerSpace.id)))


async def get_spaces_by_ids(*, session: AsyncSession, ids: Sequence[int]) -> list[MakerSpace | None]:
    rows = await session.scalars(select(MakerSpace).where(MakerSpace.id.in_(ids)))
    by_id = {space.id: space for space in rows}
    return [by_id.get(space_id) for space_id in ids]


async def get_space_or_error(*, session: AsyncSession, space_id: int) -> MakerSpace:
    space = await session.get(MakerSpace, space_id)
    if space is None:
        raise NotFoundFailure("该创客空间")
    return space


async def resources_by_space_ids(*, session: AsyncSession, ids: Sequence[int]) -> list[list[Resource]]:
    rows = await session.scalars(
        select(Resource)
        .where(Resource.space_id.in_(ids), Resource.active)
        .order_by(Resource.position, Resource.id)
    )
    by_space: dict[int, list[Resource]] = {space_id: [] for space_id in ids}
    for resource in rows:
        by_space[resource.space_id].append(resource)
    return [by_space[space_id] for space_id in ids]


async def get_resources_by_ids(*, session: AsyncSession, ids: Sequence[int]) -> list[Resource | None]:
    rows = await session.scalars(select(Resource).where(Resource.id.in_(ids)))
    by_id = {resource.id: resource for resource in rows}
    return [by_id.get(resource_id) for resource_id in ids]


def is_space_staff(viewer: Viewer | None, space: MakerSpace) -> bool:
    return viewer is not None and viewer.is_staff_of(Role.MAKERSPACE_STAFF, space.community_id)
