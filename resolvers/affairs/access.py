"""Who acts for what in community affairs.

The community office is ADMIN (everywhere) or the COMMUNITY_ADMIN of that community. Staff of an
organisation (居委会, 业委会, 物业) are its members (organisation_members): their rights hold for that
organisation only, read from the database on every use, so removing a member ends them at once.
"""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.affairs import Organisation, OrganisationMember
from models.people import Role
from resolvers.actor import Viewer


def is_admin(viewer: Viewer | None) -> bool:
    return viewer is not None and viewer.has_role(Role.ADMIN.value)


def is_office(viewer: Viewer | None, community_id: int) -> bool:
    """The community office of that community (or ADMIN)."""
    if viewer is None:
        return False
    return is_admin(viewer) or (
        viewer.has_role(Role.COMMUNITY_ADMIN.value) and viewer.community_id == community_id
    )


async def member_organisations(*, session: AsyncSession, person_id: int) -> dict[int, Organisation]:
    """The organisations the person acts for, by id."""
    rows = await session.scalars(
        select(Organisation)
        .join(OrganisationMember, OrganisationMember.organisation_id == Organisation.id)
        .where(OrganisationMember.person_id == person_id)
    )
    return {organisation.id: organisation for organisation in rows}


async def organisations_of(*, session: AsyncSession, person_id: int) -> set[int]:
    """The ids of the organisations the person acts for."""
    rows = await session.scalars(
        select(OrganisationMember.organisation_id).where(OrganisationMember.person_id == person_id)
    )
    return set(rows)


async def is_member(*, session: AsyncSession, person_id: int, organisation_id: int) -> bool:
    found = await session.scalar(
        select(OrganisationMember.person_id).where(
            OrganisationMember.person_id == person_id, OrganisationMember.organisation_id == organisation_id
        )
    )
    return found is not None
