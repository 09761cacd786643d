"""社区共治 in the graph: the 小区 and its organisation (shared by cases, notices and figures)."""

import strawberry
from strawberry.types import Info

from models import affairs as affairs_models
from resolvers.affairs import loaders
from resolvers.affairs.access import is_office
from resolvers.people import mask_phone
from schema.common import Node, described_enum, encode_global_id
from schema.node import register_node
from schema.people.base import Community, fetch_community

OrganisationKind = described_enum(
    affairs_models.OrganisationKind,
    name="OrganisationKind",
    description="Who runs what in a compound (小区).",
    values={
        "RESIDENTS_COMMITTEE": "居委会: the residents' committee, one per community, serving all its "
        "compounds.",
        "OWNERS_COMMITTEE": "业委会: the owners' committee of a compound.",
        "PROPERTY_MANAGEMENT": "物业: the property management of a compound.",
    },
)

Tenure = described_enum(
    affairs_models.Tenure,
    name="Tenure",
    description="How a household holds a unit.",
    values={"OWNER": "业主: owns the unit.", "TENANT": "租客: rents the unit."},
)


@strawberry.type(description="A unit (户) of a building, e.g. 2单元501. Public.")
class Unit(Node):
    name: str = strawberry.field(description="Its name within the building.")


@register_node("Unit")
async def fetch_unit(info: Info, pk: int) -> Unit | None:
    model = await info.context.loader(loaders.unit_by_id_loader).load(pk)
    return Unit(id=encode_global_id("Unit", model.id), name=model.name) if model is not None else None


@strawberry.type(description="A building (楼栋) of a compound, e.g. 3幢. Public.")
class Building(Node):
    name: str = strawberry.field(description="Its name within the compound.")

    @strawberry.field(description="Its units, by name.")
    async def units(self, info: Info) -> list[Unit]:
        rows = await info.context.loader(loaders.units_by_building_loader).load(self.pk)
        return [Unit(id=encode_global_id("Unit", row.id), name=row.name) for row in rows]

    pk: strawberry.Private[int]


@register_node("Building")
async def fetch_building(info: Info, pk: int) -> Building | None:
    model = await info.context.loader(loaders.building_by_id_loader).load(pk)
    if model is None:
        return None
    return Building(id=encode_global_id("Building", model.id), name=model.name, pk=model.id)


@strawberry.type(description="A residential compound (小区) of a community. Public.")
class Compound(Node):
    name: str = strawberry.field(description="Its name, e.g. 南睦苑.")
    address: str | None = strawberry.field(description="Its address; null if not recorded.")
    pk: strawberry.Private[int]
    community_pk: strawberry.Private[int]

    @classmethod
    def from_model(cls, model: affairs_models.Compound) -> "Compound":
        return cls(
            id=encode_global_id("Compound", model.id),
            name=model.name,
            address=model.address,
            pk=model.id,
            community_pk=model.community_id,
        )

    @strawberry.field(description="The community it is in.")
    async def community(self, info: Info) -> Community:
        return await fetch_community(info, self.community_pk)

    @strawberry.field(description="Its buildings, by name.")
    async def buildings(self, info: Info) -> list[Building]:
        rows = await info.context.loader(loaders.buildings_by_compound_loader).load(self.pk)
        return [Building(id=encode_global_id("Building", row.id), name=row.name, pk=row.id) for row in rows]


@register_node("Compound")
async def fetch_compound(info: Info, pk: int) -> Compound | None:
    model = await info.context.loader(loaders.compound_by_id_loader).load(pk)
    return Compound.from_model(model) if model is not None else None


@strawberry.type(description="Someone who acts for an organisation.")
class OrganisationMember:
    name: str = strawberry.field(description="Their name.")
    title: str | None = strawberry.field(description="Their post, e.g. 物业管家; null if none.")
    phone: str = strawberry.field(
        description="Their mobile number: masked (`138****0001`) except for the community office."
    )


@strawberry.type(description="A 居委会, 业委会 or 物业: who handles cases and publishes notices. Public.")
class Organisation(Node):
    kind: OrganisationKind = strawberry.field(description="What it is.")
    name: str = strawberry.field(description="Its name.")
    phone: str | None = strawberry.field(description="Its office's public number; null if none recorded.")
    pk: strawberry.Private[int]
    community_pk: strawberry.Private[int]

    @classmethod
    def from_model(cls, model: affairs_models.Organisation) -> "Organisation":
        return cls(
            id=encode_global_id("Organisation", model.id),
            kind=OrganisationKind(model.kind),
            name=model.name,
            phone=model.phone,
            pk=model.id,
            community_pk=model.community_id,
        )

    @strawberry.field(description="The community it belongs to.")
    async def community(self, info: Info) -> Community:
        return await fetch_community(info, self.community_pk)

    @strawberry.field(
        description="The compounds it serves: a 居委会 every compound of its community; a 业委会 or 物业 "
        "those it was given."
    )
    async def compounds(self, info: Info) -> list[Compound]:
        rows = await info.context.loader(loaders.compounds_by_organisation_loader).load(self.pk)
        return [Compound.from_model(row) for row in rows]

    @strawberry.field(
        description="Who acts for it, by name; phones masked except for the community office. Signed in "
        "(anonymous: empty)."
    )
    async def members(self, info: Info) -> list[OrganisationMember]:
        viewer = info.context.viewer
        if viewer is None:
            return []
        rows = await info.context.loader(loaders.members_by_organisation_loader).load(self.pk)
        whole = is_office(viewer, self.community_pk)
        return [
            OrganisationMember(name=name, title=title, phone=phone if whole else mask_phone(phone))
            for name, phone, title in rows
        ]


@register_node("Organisation")
async def fetch_organisation(info: Info, pk: int) -> Organisation | None:
    model = await info.context.loader(loaders.organisation_by_id_loader).load(pk)
    return Organisation.from_model(model) if model is not None else None
