"""Who may see an elder's health data, and who may act on it."""

from collections.abc import Sequence

from sqlalchemy import or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from models.eldercare import (
    Elder,
    FamilyLink,
)
from models.people import Role
from resolvers.actor import Viewer
from resolvers.batching import in_order
from resolvers.errors import NotFoundFailure


def consented_elders(person_id: int):
    return select(FamilyLink.elder_id).where(
        FamilyLink.person_id == person_id,
        FamilyLink.consented_at.is_not(None),
        FamilyLink.consent_revoked_at.is_(None),
    )


def visible_elders(viewer: Viewer) -> ColumnElement[bool]:
    """Care staff see their community's elders, administrators all, family only those who consented."""
    if viewer.has_role(Role.ADMIN.value):
        return true()
    allowed = [Elder.id.in_(consented_elders(viewer.person_id))]
    if viewer.has_role(Role.CARE_STAFF.value) and viewer.community_id is not None:
        allowed.append(Elder.community_id == viewer.community_id)
    return or_(*allowed)


def is_care_staff_of(viewer: Viewer, community_id: int) -> bool:
    return viewer.is_staff_of(Role.CARE_STAFF, community_id)


async def visible_elders_by_ids(*, session: AsyncSession, viewer: Viewer, ids: Sequence[int]) -> list:
    """The elders among `ids` the viewer may see (None for the others): one statement for many."""
    return in_order(
        await session.scalars(select(Elder).where(Elder.id.in_(ids), visible_elders(viewer))), ids
    )


async def visible_elder_or_error(*, session: AsyncSession, viewer: Viewer, elder_id: int) -> Elder:
    elder = await session.scalar(select(Elder).where(Elder.id == elder_id, visible_elders(viewer)))
    if elder is None:
        raise NotFoundFailure("该老人")
    return elder
