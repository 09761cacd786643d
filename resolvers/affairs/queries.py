"""What the graph reads of community affairs that is not a rule: lists of compounds, buildings,
units, organisations and their members, categories, a case's photos (without their bytes)."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.affairs import (
    Building,
    CaseCategory,
    CasePhoto,
    Compound,
    CompoundOrganisation,
    Organisation,
    OrganisationKind,
    OrganisationMember,
    Unit,
)
from models.people import Person


async def compounds_in(*, session: AsyncSession, community_id: int) -> list[Compound]:
    stmt = select(Compound).where(Compound.community_id == community_id).order_by(Compound.name)
    return list(await session.scalars(stmt))


async def organisations_in(*, session: AsyncSession, community_id: int) -> list[Organisation]:
    stmt = (
        select(Organisation)
        .where(Organisation.community_id == community_id)
        .order_by(Organisation.kind, Organisation.name)
    )
    return list(await session.scalars(stmt))


async def buildings_of(*, session: AsyncSession, compound_id: int) -> list[Building]:
    stmt = select(Building).where(Building.compound_id == compound_id).order_by(Building.name)
    return list(await session.scalars(stmt))


async def units_of(*, session: AsyncSession, building_id: int) -> list[Unit]:
    return list(
        await session.scalars(select(Unit).where(Unit.building_id == building_id).order_by(Unit.name))
    )


async def compounds_served(*, session: AsyncSession, organisation: Organisation) -> list[Compound]:
    """A 居委会 serves every compound of its community; a 业委会 or 物业 those it was given."""
    stmt = select(Compound).order_by(Compound.name)
    if organisation.kind == OrganisationKind.RESIDENTS_COMMITTEE.value:
        stmt = stmt.where(Compound.community_id == organisation.community_id)
    else:
        stmt = stmt.join(CompoundOrganisation, CompoundOrganisation.compound_id == Compound.id).where(
            CompoundOrganisation.organisation_id == organisation.id
        )
    return list(await session.scalars(stmt))


async def members_of_organisation(
    *, session: AsyncSession, organisation_id: int
) -> list[tuple[str, str, str | None]]:
    """(name, phone, title) of those who act for it, by name."""
    rows = await session.execute(
        select(Person.name, Person.phone, OrganisationMember.title)
        .join(OrganisationMember, OrganisationMember.person_id == Person.id)
        .where(OrganisationMember.organisation_id == organisation_id)
        .order_by(Person.name, Person.id)
    )
    return [tuple(row) for row in rows]


async def categories(*, session: AsyncSession, include_retired: bool) -> list[CaseCategory]:
    stmt = select(CaseCategory).order_by(CaseCategory.position)
    if not include_retired:
        stmt = stmt.where(CaseCategory.retired_at.is_(None))
    return list(await session.scalars(stmt))


async def photos_of(*, session: AsyncSession, case_id: int) -> list[tuple[int, int, str, int]]:
    """(id, position, content type, size) of a case's photos: what a list shows, not the bytes."""
    rows = await session.execute(
        select(CasePhoto.id, CasePhoto.position, CasePhoto.content_type, func.octet_length(CasePhoto.data))
        .where(CasePhoto.case_id == case_id)
        .order_by(CasePhoto.position)
    )
    return [tuple(row) for row in rows]
