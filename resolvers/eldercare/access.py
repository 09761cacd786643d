"""Who may see an elder's health data, and who may act on it."""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import BigInteger, Boolean, and_, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from models.eldercare import (
    Elder,
    FamilyLink,
)
from models.people import Role
from resolvers.actor import Viewer
from resolvers.batching import in_order
from resolvers.errors import NotFound

# Built once: a condition is immutable, and this one is part of every read of elders' health.
_CONSENT_STANDS = and_(FamilyLink.consented_at.is_not(None), FamilyLink.consent_revoked_at.is_(None))


def consent_stands() -> ColumnElement[bool]:
    """The family link's consent was given and not withdrawn."""
    return _CONSENT_STANDS


def consented_elders(person_id: int):
    return select(FamilyLink.elder_id).where(FamilyLink.person_id == person_id, consent_stands())


@dataclass(frozen=True)
class Visibility:
    """Whose elders a viewer sees, in parts that viewers share (the live feed reads each part once
    for everyone who has it): everything, a community's elders, the elders who consented to a person."""

    everything: bool = False
    community_id: int | None = None  # care staff: the elders of their community
    family_of: int | None = None  # the elders whose consent to this person stands


def visibility_of(viewer: Viewer) -> Visibility:
    """Care staff see their community's elders, administrators all, family only those who consented."""
    if viewer.has_role(Role.ADMIN.value):
        return Visibility(everything=True)
    staff = viewer.has_role(Role.CARE_STAFF.value)
    return Visibility(community_id=viewer.community_id if staff else None, family_of=viewer.person_id)


def visible_elders(viewer: Viewer) -> ColumnElement[bool]:
    """The elders the viewer may see, as a condition whose viewer-dependent parts are the named bind
    parameters VIEWER_BINDS (the same statement for every viewer: the compiled read path prepares it
    once and binds each request's viewer; a statement without them fails rather than reuse another's)."""
    values = viewer_values(viewer)
    return or_(
        bindparam("viewer_sees_all", values["viewer_sees_all"], type_=Boolean),
        Elder.community_id
        == bindparam("viewer_community_id", values["viewer_community_id"], type_=BigInteger),
        Elder.id.in_(
            select(FamilyLink.elder_id).where(
                FamilyLink.person_id
                == bindparam("viewer_person_id", values["viewer_person_id"], type_=BigInteger),
                consent_stands(),
            )
        ),
    )


def viewer_values(viewer: Viewer) -> dict:
    """The values of visible_elders' parameters for this viewer (NULL matches nothing)."""
    seen = visibility_of(viewer)
    return {
        "viewer_sees_all": seen.everything,
        "viewer_community_id": seen.community_id,
        "viewer_person_id": seen.family_of,
    }


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
        raise NotFound("该老人")
    return elder
