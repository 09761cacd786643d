"""Community affairs' per-request DataLoaders (see resolvers.batching.batch): a list of cases,
compounds, organisations or notices asks for what each refers to in one statement, not one each."""

from collections.abc import Sequence

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.affairs import (
    Building,
    Case,
    CaseCategory,
    CaseEvent,
    CasePhoto,
    Compound,
    CompoundOrganisation,
    Organisation,
    OrganisationKind,
    OrganisationMember,
    Unit,
)
from models.people import Person
from resolvers.affairs.notices import buildings_of_notices, notices_seen_by
from resolvers.batching import batch, by_ids, grouped


async def buildings_of_compounds(*, session: AsyncSession, ids: Sequence[int]) -> list[list[Building]]:
    stmt = (
        select(Building)
        .where(Building.compound_id.in_(list(ids)))
        .order_by(Building.compound_id, Building.name, Building.id)
    )
    return await grouped(stmt, session=session, ids=ids, key="compound_id")


async def units_of_buildings(*, session: AsyncSession, ids: Sequence[int]) -> list[list[Unit]]:
    stmt = select(Unit).where(Unit.building_id.in_(list(ids))).order_by(Unit.building_id, Unit.name, Unit.id)
    return await grouped(stmt, session=session, ids=ids, key="building_id")


async def compounds_served_by(*, session: AsyncSession, ids: Sequence[int]) -> list[list[Compound]]:
    """The compounds each organisation serves, by name: a 居委会 every compound of its community; a
    业委会 or 物业 those it was given."""
    served = or_(
        and_(
            Organisation.kind == OrganisationKind.RESIDENTS_COMMITTEE.value,
            Compound.community_id == Organisation.community_id,
        ),
        exists().where(
            CompoundOrganisation.compound_id == Compound.id,
            CompoundOrganisation.organisation_id == Organisation.id,
        ),
    )
    rows = await session.execute(
        select(Organisation.id, Compound)
        .join(Compound, served)
        .where(Organisation.id.in_(list(ids)))
        .order_by(Compound.name, Compound.id)
    )
    groups: dict[int, list[Compound]] = {pk: [] for pk in ids}
    for organisation_id, compound in rows:
        groups[organisation_id].append(compound)
    return [groups[pk] for pk in ids]


async def members_of_organisations(
    *, session: AsyncSession, ids: Sequence[int]
) -> list[list[tuple[str, str, str | None]]]:
    """(name, phone, title) of those who act for each, by name."""
    rows = await session.execute(
        select(OrganisationMember.organisation_id, Person.name, Person.phone, OrganisationMember.title)
        .join(OrganisationMember, OrganisationMember.person_id == Person.id)
        .where(OrganisationMember.organisation_id.in_(list(ids)))
        .order_by(Person.name, Person.id)
    )
    groups: dict[int, list[tuple[str, str, str | None]]] = {pk: [] for pk in ids}
    for organisation_id, name, phone, title in rows:
        groups[organisation_id].append((name, phone, title))
    return [groups[pk] for pk in ids]


async def events_of_cases(*, session: AsyncSession, ids: Sequence[int]) -> list[list[CaseEvent]]:
    stmt = select(CaseEvent).where(CaseEvent.case_id.in_(list(ids))).order_by(CaseEvent.case_id, CaseEvent.id)
    return await grouped(stmt, session=session, ids=ids, key="case_id")


async def photos_of_cases(
    *, session: AsyncSession, ids: Sequence[int]
) -> list[list[tuple[int, int, str, int]]]:
    """(id, position, content type, size) of each case's photos: what a list shows, not the bytes."""
    rows = await session.execute(
        select(
            CasePhoto.case_id,
            CasePhoto.id,
            CasePhoto.position,
            CasePhoto.content_type,
            func.octet_length(CasePhoto.data),
        )
        .where(CasePhoto.case_id.in_(list(ids)))
        .order_by(CasePhoto.case_id, CasePhoto.position)
    )
    groups: dict[int, list[tuple[int, int, str, int]]] = {pk: [] for pk in ids}
    for case_id, *photo in rows:
        groups[case_id].append(tuple(photo))
    return [groups[pk] for pk in ids]


building_by_id_loader = batch(by_ids(Building), "BuildingByIdLoader")
unit_by_id_loader = batch(by_ids(Unit), "UnitByIdLoader")
compound_by_id_loader = batch(by_ids(Compound), "CompoundByIdLoader")
organisation_by_id_loader = batch(by_ids(Organisation), "OrganisationByIdLoader")
case_by_id_loader = batch(by_ids(Case), "CaseByIdLoader")
case_category_by_id_loader = batch(by_ids(CaseCategory), "CaseCategoryByIdLoader")
buildings_by_compound_loader = batch(buildings_of_compounds, "BuildingsByCompoundLoader")
units_by_building_loader = batch(units_of_buildings, "UnitsByBuildingLoader")
compounds_by_organisation_loader = batch(compounds_served_by, "CompoundsByOrganisationLoader")
members_by_organisation_loader = batch(members_of_organisations, "MembersByOrganisationLoader")
events_by_case_loader = batch(events_of_cases, "CaseEventsByCaseLoader")
photos_by_case_loader = batch(photos_of_cases, "CasePhotosByCaseLoader")
buildings_by_notice_loader = batch(buildings_of_notices, "BuildingsByNoticeLoader")
notice_seen_by_id_loader = batch(notices_seen_by, "NoticeSeenByIdLoader", per_viewer=True)
