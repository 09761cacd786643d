"""The 小区 and its organisation, run by the community office: compounds with their buildings and
units, where households live (业主 or 租客), the 居委会, 业委会 and 物业 and the people who act for
them. ADMIN anywhere; a COMMUNITY_ADMIN in their own community; another office's objects are
NotFound. The constraints decide (one 居委会 per community, one 物业 per compound, names unique);
every change writes its audit row in the same transaction.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.affairs import (
    Building,
    Compound,
    CompoundOrganisation,
    Organisation,
    OrganisationKind,
    OrganisationMember,
    Residence,
    Tenure,
    Unit,
)
from models.people import Household, Person
from resolvers import audit
from resolvers.actor import Viewer
from resolvers.affairs.access import is_office
from resolvers.errors import DomainFailure, ErrorCode, NotFound, flush_or_fail, savepoint
from resolvers.people import office as people_office

MAX_BUILDINGS = 200
MAX_UNITS = 500


def clean_name(raw: str | None, what: str, limit: int = 100) -> str:
    name = (raw or "").strip()
    if not name or len(name) > limit:
        raise DomainFailure(ErrorCode.INVALID_NAME, f"请填写{what}名称（{limit} 字以内）")
    return name


def clean_phone(raw: str | None) -> str | None:
    phone = (raw or "").strip() or None
    if phone is not None and len(phone) > 40:
        raise DomainFailure(ErrorCode.INVALID_PHONE, "电话最多 40 个字符")
    return phone


async def office_community(*, session: AsyncSession, viewer: Viewer, community_id: int | None) -> int:
    """The community an office change is made in (the people office's rule: ADMIN names it, a
    COMMUNITY_ADMIN's own), which affairs require."""
    community_id, _ = await people_office.office_community(
        session=session, viewer=viewer, community_id=community_id, household_id=None
    )
    if community_id is None:
        raise DomainFailure(ErrorCode.COMMUNITY_REQUIRED, "请指定所在社区")
    return community_id


# ── Compounds, buildings, units ───────────────────────────────────────────────


@dataclass(frozen=True)
class BuildingInput:
    name: str
    units: Sequence[str] = field(default_factory=tuple)


TAKEN = {
    "uq_compounds_community_name": lambda: DomainFailure(ErrorCode.NAME_TAKEN, "本社区已有同名小区"),
    "uq_buildings_compound_name": lambda: DomainFailure(ErrorCode.NAME_TAKEN, "小区内楼栋名称重复"),
    "uq_units_building_name": lambda: DomainFailure(ErrorCode.NAME_TAKEN, "楼栋内单元户号重复"),
    "uq_organisations_community_name": lambda: DomainFailure(ErrorCode.NAME_TAKEN, "本社区已有同名组织"),
    "uq_organisations_one_residents_committee": lambda: DomainFailure(
        ErrorCode.RESIDENTS_COMMITTEE_EXISTS, "本社区已有居委会"
    ),
    "pk_compound_organisations": lambda: DomainFailure(
        ErrorCode.ORGANISATION_KIND_TAKEN, "该小区已有同类组织（每个小区至多一个业委会、一个物业）"
    ),
    "fk_compound_organisations_compound": lambda: DomainFailure(
        ErrorCode.COMPOUND_NOT_IN_COMMUNITY, "小区不属于该组织所在社区"
    ),
    "pk_organisation_members": lambda: DomainFailure(ErrorCode.ALREADY_MEMBER, "此人已是该组织成员"),
    "pk_residences": lambda: DomainFailure(ErrorCode.ALREADY_RESIDENT, "该住户已登记在此户"),
    "residences_same_community": lambda: DomainFailure(
        ErrorCode.UNIT_NOT_IN_COMMUNITY, "住户只能登记在本社区的房屋"
    ),
}


async def create_compound(
    *,
    session: AsyncSession,
    viewer: Viewer,
    community_id: int | None,
    name: str,
    address: str | None,
    buildings: Sequence[BuildingInput],
) -> Compound:
    community_id = await office_community(session=session, viewer=viewer, community_id=community_id)
    if len(buildings) > MAX_BUILDINGS or sum(len(b.units) for b in buildings) > MAX_UNITS * 10:
        raise DomainFailure(ErrorCode.TOO_MANY_UNITS, f"一次至多 {MAX_BUILDINGS} 栋楼、{MAX_UNITS * 10} 户")
    compound = Compound(
        community_id=community_id,
        name=clean_name(name, "小区"),
        address=(address or "").strip()[:200] or None,
    )
    if any(len(building.units) > MAX_UNITS for building in buildings):
        raise DomainFailure(ErrorCode.TOO_MANY_UNITS, f"每栋楼至多 {MAX_UNITS} 户")
    named = [
        (clean_name(building.name, "楼栋", 50), [clean_name(unit, "单元户号", 50) for unit in building.units])
        for building in buildings
    ]
    async with savepoint(session=session, meanings=TAKEN):
        session.add(compound)
        await session.flush()
        # One statement for the buildings and one for their units, however many there are.
        if named:
            made = await session.execute(
                insert(Building).returning(Building.id, Building.name, sort_by_parameter_order=True),
                [{"compound_id": compound.id, "name": building} for building, _ in named],
            )
            units = [
                {"building_id": building_id, "name": unit}
                for (building_id, _), (_, names) in zip(made.all(), named, strict=True)
                for unit in names
            ]
            if units:
                await session.execute(insert(Unit), units)
    await audit.record(
        session=session,
        action="compound.create",
        object_id=audit.global_id("Compound", compound.id),
        community_id=community_id,
        after={
            "name": compound.name,
            "address": compound.address,
            "buildings": [{"name": b.name.strip(), "units": len(b.units)} for b in buildings],
        },
    )
    return compound


async def compound_run_by(*, session: AsyncSession, viewer: Viewer, compound_id: int) -> Compound:
    compound = await session.get(Compound, compound_id)
    if compound is None or not is_office(viewer, compound.community_id):
        raise NotFound("该小区")
    return compound


async def unit_with_community(*, session: AsyncSession, unit_id: int) -> tuple[Unit, int] | None:
    row = (
        await session.execute(
            select(Unit, Compound.community_id)
            .join(Building, Building.id == Unit.building_id)
            .join(Compound, Compound.id == Building.compound_id)
            .where(Unit.id == unit_id)
        )
    ).first()
    return None if row is None else (row[0], row[1])


# ── Where households live ─────────────────────────────────────────────────────


async def set_residence(
    *, session: AsyncSession, viewer: Viewer, household_id: int, unit_id: int, tenure: Tenure
) -> Residence:
    household = await session.get(Household, household_id)
    if household is None or not is_office(viewer, household.community_id):
        raise NotFound("该住户")
    found = await unit_with_community(session=session, unit_id=unit_id)
    if found is None or not is_office(viewer, found[1]):
        raise NotFound("该房屋")
    residence = Residence(household_id=household_id, unit_id=unit_id, tenure=Tenure(tenure).value)
    session.add(residence)
    await flush_or_fail(session=session, meanings=TAKEN)
    await audit.record(
        session=session,
        action="residence.set",
        object_id=audit.global_id("Household", household_id),
        community_id=household.community_id,
        after={"unitId": unit_id, "tenure": residence.tenure},
    )
    return residence


async def remove_residence(
    *, session: AsyncSession, viewer: Viewer, household_id: int, unit_id: int
) -> Residence:
    """The household no longer lives in the unit (moved out): the registration as it was."""
    household = await session.get(Household, household_id)
    if household is None or not is_office(viewer, household.community_id):
        raise NotFound("该住户")
    removed = await session.scalar(
        delete(Residence)
        .where(Residence.household_id == household_id, Residence.unit_id == unit_id)
        .returning(Residence.tenure)
    )
    if removed is None:
        raise NotFound("该住户在此房屋的登记")
    await audit.record(
        session=session,
        action="residence.remove",
        object_id=audit.global_id("Household", household_id),
        community_id=household.community_id,
        before={"unitId": unit_id, "tenure": removed},
    )
    return Residence(household_id=household_id, unit_id=unit_id, tenure=removed)


# ── Organisations and their members ──────────────────────────────────────────


async def create_organisation(
    *,
    session: AsyncSession,
    viewer: Viewer,
    community_id: int | None,
    kind: OrganisationKind,
    name: str,
    phone: str | None,
    compound_ids: Sequence[int],
) -> Organisation:
    """A 居委会 serves its whole community (no compounds named); a 业委会 or 物业 the compounds named."""
    community_id = await office_community(session=session, viewer=viewer, community_id=community_id)
    kind = OrganisationKind(kind)
    compound_ids = list(dict.fromkeys(compound_ids))
    if (kind is OrganisationKind.RESIDENTS_COMMITTEE) == bool(compound_ids):
        raise DomainFailure(
            ErrorCode.ORGANISATION_COMPOUNDS,
            "居委会服务全社区，不指定小区；业委会和物业须指定所服务的小区",
        )
    organisation = Organisation(
        community_id=community_id, kind=kind.value, name=clean_name(name, "组织"), phone=clean_phone(phone)
    )
    async with savepoint(session=session, meanings=TAKEN):
        session.add(organisation)
        await session.flush()
        if compound_ids:
            await session.execute(
                insert(CompoundOrganisation),
                [
                    {
                        "compound_id": compound_id,
                        "kind": kind.value,
                        "organisation_id": organisation.id,
                        "community_id": community_id,
                    }
                    for compound_id in compound_ids
                ],
            )
    await audit.record(
        session=session,
        action="organisation.create",
        object_id=audit.global_id("Organisation", organisation.id),
        community_id=community_id,
        after={
            "name": organisation.name,
            "kind": kind.value,
            "phone": organisation.phone,
            "compounds": compound_ids,
        },
    )
    return organisation


async def organisation_run_by(*, session: AsyncSession, viewer: Viewer, organisation_id: int) -> Organisation:
    organisation = await session.get(Organisation, organisation_id)
    if organisation is None or not is_office(viewer, organisation.community_id):
        raise NotFound("该组织")
    return organisation


async def add_member(
    *, session: AsyncSession, viewer: Viewer, organisation_id: int, person_id: int, title: str | None
) -> Organisation:
    """Anyone with an account may act for an organisation (a 物业 employee need not live here)."""
    organisation = await organisation_run_by(session=session, viewer=viewer, organisation_id=organisation_id)
    if await session.get(Person, person_id) is None:
        raise NotFound("该人员")
    title = (title or "").strip() or None
    if title is not None and len(title) > 50:
        raise DomainFailure(ErrorCode.INVALID_NAME, "职务最多 50 个字")
    session.add(OrganisationMember(organisation_id=organisation_id, person_id=person_id, title=title))
    await flush_or_fail(session=session, meanings=TAKEN)
    await audit.record(
        session=session,
        action="organisation.member_add",
        object_id=audit.global_id("Organisation", organisation_id),
        community_id=organisation.community_id,
        after={"personId": audit.global_id("Person", person_id), "title": title},
    )
    return organisation


async def remove_member(
    *, session: AsyncSession, viewer: Viewer, organisation_id: int, person_id: int
) -> Organisation:
    """Takes effect at once: membership is read on every use, never carried in a token."""
    organisation = await organisation_run_by(session=session, viewer=viewer, organisation_id=organisation_id)
    removed = (
        await session.execute(
            delete(OrganisationMember)
            .where(
                OrganisationMember.organisation_id == organisation_id,
                OrganisationMember.person_id == person_id,
            )
            .returning(OrganisationMember.title)
        )
    ).first()
    if removed is None:
        raise DomainFailure(ErrorCode.NOT_MEMBER, "此人不是该组织成员")
    title = removed[0]
    await audit.record(
        session=session,
        action="organisation.member_remove",
        object_id=audit.global_id("Organisation", organisation_id),
        community_id=organisation.community_id,
        before={"personId": audit.global_id("Person", person_id), "title": title},
    )
    return organisation
