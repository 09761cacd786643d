"""社区共治 demo data (SYNTHETIC): the compounds of 南睦未来社区 and 海创社区, their buildings and
units, where the demo households live, each community's 居委会 and the compounds' 业委会 and 物业
with one member each. Idempotent: every row is found by its natural key before it is added.
"""

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
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
from models.people import Household, Person, Role
from resolvers import people as people_service

RC, OC, PM = (
    OrganisationKind.RESIDENTS_COMMITTEE,
    OrganisationKind.OWNERS_COMMITTEE,
    OrganisationKind.PROPERTY_MANAGEMENT,
)

# community → compound → building → units
COMPOUNDS = {
    "南睦未来社区": {"南睦苑": {"1幢": ["1单元302", "1单元401"], "3幢": ["2单元501"], "5幢": ["1单元1102"]}},
    "海创社区": {"海创园小区": {"2幢": ["601"], "7幢": ["302"]}},
}
# household address → (compound, building, unit, tenure)
RESIDENCES = {
    "南睦苑1幢1单元302": ("南睦苑", "1幢", "1单元302", Tenure.OWNER),
    "南睦苑3幢2单元501": ("南睦苑", "3幢", "2单元501", Tenure.OWNER),
    "南睦苑5幢1单元1102": ("南睦苑", "5幢", "1单元1102", Tenure.TENANT),
    "海创园小区2幢601": ("海创园小区", "2幢", "601", Tenure.OWNER),
    "海创园小区7幢302": ("海创园小区", "7幢", "302", Tenure.TENANT),
}
# (community, kind, name, public phone, compounds served)
ORGANISATIONS = [
    ("南睦未来社区", RC, "南睦社区居委会", "0571-88000001", []),
    ("南睦未来社区", OC, "南睦苑业主委员会", None, ["南睦苑"]),
    ("南睦未来社区", PM, "南睦苑物业服务中心", "0571-88000002", ["南睦苑"]),
    ("海创社区", RC, "海创社区居委会", "0571-88000011", []),
    ("海创社区", PM, "海创园物业服务中心", "0571-88000012", ["海创园小区"]),
]
DEMO_PASSWORD = "linli-demo-2026"
# (phone, name, community, organisation, title): the people who act for the organisations.
MEMBERS = [
    ("13800000008", "吴主任", "南睦未来社区", "南睦社区居委会", "主任"),
    ("13800000009", "钱管家", "南睦未来社区", "南睦苑物业服务中心", "物业管家"),
    ("13800000010", "郑委员", "南睦未来社区", "南睦苑业主委员会", "委员"),
    ("13800000011", "冯管家", "海创社区", "海创园物业服务中心", "物业管家"),
]
# The demo resident lives in 南睦苑3幢2单元501 (an owner), so her reports route to 南睦苑's 物业.
RESIDENT_HOUSEHOLDS = {"13800000001": "南睦苑3幢2单元501"}


async def _get_or_add(session: AsyncSession, model, **key):
    row = await session.scalar(select(model).filter_by(**key))
    if row is None:
        row = model(**key)
        session.add(row)
        await session.flush()
    return row


async def seed_affairs(*, session: AsyncSession, community_ids: dict[str, int]) -> dict[str, int]:
    units: dict[tuple[str, str, str], int] = {}
    compounds: dict[str, Compound] = {}
    for community, named in COMPOUNDS.items():
        for compound_name, buildings in named.items():
            compound = await _get_or_add(
                session, Compound, community_id=community_ids[community], name=compound_name
            )
            compounds[compound_name] = compound
            for building_name, unit_names in buildings.items():
                building = await _get_or_add(session, Building, compound_id=compound.id, name=building_name)
                for unit_name in unit_names:
                    unit = await _get_or_add(session, Unit, building_id=building.id, name=unit_name)
                    units[(compound_name, building_name, unit_name)] = unit.id
    for address, (compound_name, building_name, unit_name, tenure) in RESIDENCES.items():
        household_id = await session.scalar(select(Household.id).where(Household.address == address))
        if household_id is not None:
            await session.execute(
                insert(Residence)
                .values(
                    household_id=household_id,
                    unit_id=units[(compound_name, building_name, unit_name)],
                    tenure=tenure.value,
                )
                .on_conflict_do_nothing()
            )
    organisations: dict[str, int] = {}
    for community, kind, name, phone, served in ORGANISATIONS:
        community_id = community_ids[community]
        organisation = await _get_or_add(
            session, Organisation, community_id=community_id, name=name, kind=kind.value
        )
        organisation.phone = phone
        organisations[name] = organisation.id
        for compound_name in served:
            await session.execute(
                insert(CompoundOrganisation)
                .values(
                    compound_id=compounds[compound_name].id,
                    kind=kind.value,
                    organisation_id=organisation.id,
                    community_id=community_id,
                )
                .on_conflict_do_nothing()
            )
    for phone, name, community, organisation_name, title in MEMBERS:
        person = await people_service.add_user(
            session=session,
            phone=phone,
            name=name,
            role=Role.RESIDENT,
            community_name=community,
            password=DEMO_PASSWORD,
        )
        await session.execute(
            insert(OrganisationMember)
            .values(organisation_id=organisations[organisation_name], person_id=person.id, title=title)
            .on_conflict_do_nothing()
        )
    for phone, address in RESIDENT_HOUSEHOLDS.items():
        household_id = await session.scalar(select(Household.id).where(Household.address == address))
        person = await session.scalar(select(Person).where(Person.phone == phone))
        if person is not None and person.household_id is None:
            person.household_id = household_id
    await session.flush()
    return {"compounds": len(compounds), "organisations": len(organisations), "units": len(units)}
