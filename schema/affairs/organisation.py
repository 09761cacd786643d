"""The 小区 and its organisation in the graph: compounds and organisations (public), `contacts`
(whom a resident reaches for what), and the office's mutations: compounds, organisations and their
members, residences, case categories (ADMIN) and routing rules."""

import asyncio
from typing import Annotated

import strawberry
from strawberry.types import Info

from models import affairs as affairs_models
from models.people import Role
from resolvers.affairs import loaders, queries
from resolvers.affairs import organisation as organisation_service
from resolvers.affairs import routing as routing_service
from schema.affairs.cases import CaseCategory
from schema.affairs.types import Compound, Organisation, OrganisationKind, Tenure
from schema.common import NotFound, RuleViolation, encode_global_id, mutation_result, or_not_found, pk_of
from schema.permissions import has_role, signed_in

OFFICE = (Role.ADMIN, Role.COMMUNITY_ADMIN)


@strawberry.type(
    description="Whom a resident reaches for which problems (有事一键找 routes reports the same way)."
)
class Contact:
    compound: Compound | None = strawberry.field(
        description="The compound it holds for; null: the community at large (no residence registered)."
    )
    organisation: Organisation = strawberry.field(description="The organisation to reach.")
    categories: list[str] = strawberry.field(description="The case categories it handles there, by name.")


@strawberry.type(description="A routing rule: a category's cases of a compound go to an organisation.")
class CaseRoutingRule:
    category: str = strawberry.field(description="The category's code.")
    organisation: Organisation = strawberry.field(description="Who handles them.")
    informed_organisation: Organisation | None = strawberry.field(description="Who is also told; null: none.")
    accept_minutes: int = strawberry.field(description="Response SLA, minutes.")
    resolve_minutes: int = strawberry.field(description="Resolution SLA, minutes from the report.")


@strawberry.type(description="A household's registration in a unit.")
class Residence:
    household_id: strawberry.ID = strawberry.field(description="The Household's ID.")
    unit_id: strawberry.ID = strawberry.field(description="The Unit's ID.")
    tenure: Tenure = strawberry.field(description="Owner or tenant.")


@strawberry.input(description="A building and its units, as a compound is created.")
class BuildingInput:
    name: str = strawberry.field(description="e.g. 3幢 (1–50 characters, unique in the compound).")
    units: list[str] = strawberry.field(
        default_factory=list,
        description="Its units, e.g. 2单元501 (1–50 characters each, unique in the building).",
    )


@strawberry.input(description="A new compound (小区).")
class CompoundCreateInput:
    community_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The Community: ADMIN names it; a COMMUNITY_ADMIN's own whatever is given (another: "
        "OTHER_COMMUNITY).",
    )
    name: str = strawberry.field(description="Its name, unique in the community.")
    address: str | None = strawberry.field(default=None, description="Its address.")
    buildings: list[BuildingInput] = strawberry.field(
        default_factory=list, description="Its buildings and units (at most 200 buildings, 500 units each)."
    )


@strawberry.input(description="A new 居委会, 业委会 or 物业.")
class OrganisationCreateInput:
    community_id: strawberry.ID | None = strawberry.field(
        default=None, description="The Community: ADMIN names it; a COMMUNITY_ADMIN's own whatever is given."
    )
    kind: OrganisationKind = strawberry.field(description="What it is (one 居委会 per community).")
    name: str = strawberry.field(description="Its name, unique in the community.")
    phone: str | None = strawberry.field(default=None, description="Its office's public number.")
    compound_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description="The Compounds a 业委会 or 物业 serves (at most one of each kind per compound); "
        "none for a 居委会.",
    )


@strawberry.input(description="A new case category (the list is the subdistrict's).")
class CaseCategoryCreateInput:
    code: str = strawberry.field(description="UPPER_SNAKE_CASE code, 2–40 characters, unique.")
    name: str = strawberry.field(description="Its name in Chinese, unique.")
    default_kind: OrganisationKind = strawberry.field(
        description="Who handles it unless a rule says otherwise."
    )
    informed_kind: OrganisationKind | None = strawberry.field(default=None, description="Who is also told.")
    accept_minutes: int = strawberry.field(description="Response SLA, minutes (1–43200).")
    resolve_minutes: int = strawberry.field(description="Resolution SLA, minutes from the report.")


@strawberry.input(description="What to change in a category; what is omitted stays.")
class CaseCategoryUpdateInput:
    name: str | None = strawberry.field(default=None, description="A new name.")
    default_kind: OrganisationKind | None = strawberry.field(default=None, description="A new default kind.")
    informed_kind: OrganisationKind | None = strawberry.field(
        default=strawberry.UNSET, description="A new informed kind; null: none."
    )
    accept_minutes: int | None = strawberry.field(default=None, description="A new response SLA.")
    resolve_minutes: int | None = strawberry.field(default=None, description="A new resolution SLA.")
    retired: bool | None = strawberry.field(
        default=None, description="true: no longer offered for new reports; false: offered again."
    )


@strawberry.input(description="A compound's routing rule for one category.")
class CaseRoutingRuleInput:
    compound_id: strawberry.ID = strawberry.field(description="The Compound.")
    category: str = strawberry.field(description="The category's code.")
    organisation_id: strawberry.ID = strawberry.field(
        description="The Organisation that handles them (of the compound's community)."
    )
    informed_organisation_id: strawberry.ID | None = strawberry.field(
        default=None, description="An Organisation also told (not the one that handles them)."
    )
    accept_minutes: int | None = strawberry.field(
        default=None, description="Response SLA; null: the category's."
    )
    resolve_minutes: int | None = strawberry.field(
        default=None, description="Resolution SLA; null: the category's."
    )


def result(name: str, member, what: str):
    return Annotated[
        member | RuleViolation | NotFound,
        strawberry.union(name, description=f"{what}; or the rule that said no; or NotFound."),
    ]


CompoundResult = result("CompoundResult", Compound, "The compound")
OrganisationResult = result("OrganisationResult", Organisation, "The organisation")
ResidenceResult = result("ResidenceResult", Residence, "The registration")
CaseCategoryResult = result("CaseCategoryResult", CaseCategory, "The category")
CaseRoutingRuleResult = result("CaseRoutingRuleResult", CaseRoutingRule, "The rule as it now stands")


def residence_of(row: affairs_models.Residence) -> Residence:
    return Residence(
        household_id=encode_global_id("Household", row.household_id),
        unit_id=encode_global_id("Unit", row.unit_id),
        tenure=Tenure(row.tenure),
    )


def optional_pk(value, type_name: str) -> int | None:
    return pk_of(value, type_name) if value else None


async def rule_of(info: Info, rule: affairs_models.CaseRoutingRule, code: str) -> CaseRoutingRule:
    organisations = info.context.loader(loaders.organisation_by_id_loader)
    informed = (
        await organisations.load(rule.informed_organisation_id) if rule.informed_organisation_id else None
    )
    return CaseRoutingRule(
        category=code,
        organisation=Organisation.from_model(await organisations.load(rule.organisation_id)),
        informed_organisation=Organisation.from_model(informed) if informed else None,
        accept_minutes=rule.accept_minutes,
        resolve_minutes=rule.resolve_minutes,
    )


@strawberry.type
class OrganisationQuery:
    @strawberry.field(description="The compounds (小区) of a community, by name. Public.")
    async def compounds(
        self,
        info: Info,
        community_id: Annotated[strawberry.ID, strawberry.argument(description="The Community.")],
    ) -> list[Compound]:
        rows = await queries.compounds_in(
            session=info.context.session, community_id=pk_of(community_id, "Community")
        )
        return [Compound.from_model(row) for row in rows]

    @strawberry.field(
        description="The organisations (居委会, 业委会, 物业) of a community, by kind and name. Public."
    )
    async def organisations(
        self,
        info: Info,
        community_id: Annotated[strawberry.ID, strawberry.argument(description="The Community.")],
    ) -> list[Organisation]:
        rows = await queries.organisations_in(
            session=info.context.session, community_id=pk_of(community_id, "Community")
        )
        return [Organisation.from_model(row) for row in rows]

    @strawberry.field(
        extensions=signed_in(),
        description="Whom to reach for what: for each compound your household lives in (or your community), "
        "the organisation each kind of problem goes to, with its members (phones masked). Signed in.",
    )
    async def contacts(self, info: Info) -> list[Contact]:
        found = await routing_service.contacts(session=info.context.session, viewer=info.context.viewer)
        organisations = await info.context.loader(loaders.organisation_by_id_loader).load_many(
            [item.organisation_id for item in found]
        )
        return [
            Contact(
                compound=Compound.from_model(item.compound) if item.compound is not None else None,
                organisation=Organisation.from_model(organisation),
                categories=item.categories,
            )
            for item, organisation in zip(found, organisations, strict=True)
        ]

    @strawberry.field(
        extensions=has_role(*OFFICE),
        description="A compound's routing rules (categories without one follow their default). Its community "
        "office; another's: NOT_FOUND.",
    )
    async def case_routing_rules(
        self,
        info: Info,
        compound_id: Annotated[strawberry.ID, strawberry.argument(description="The Compound.")],
    ) -> list[CaseRoutingRule]:
        ctx = info.context
        compound = await or_not_found(
            organisation_service.compound_run_by(
                session=ctx.session, viewer=ctx.viewer, compound_id=pk_of(compound_id, "Compound")
            )
        )
        rules = await routing_service.rules_of(session=ctx.session, compound_id=compound.id)
        return list(await asyncio.gather(*(rule_of(info, rule, code) for rule, code in rules)))


@strawberry.type
class OrganisationMutation:
    @strawberry.mutation(
        extensions=has_role(*OFFICE),
        description="A compound with its buildings and units, in one step. ADMIN in any community; "
        "COMMUNITY_ADMIN in their own.",
    )
    async def compound_create(
        self,
        info: Info,
        input: Annotated[CompoundCreateInput, strawberry.argument(description="The compound.")],
    ) -> CompoundResult:
        ctx = info.context
        work = organisation_service.create_compound(
            session=ctx.session,
            viewer=ctx.viewer,
            community_id=optional_pk(input.community_id, "Community"),
            name=input.name,
            address=input.address,
            buildings=[organisation_service.BuildingInput(b.name, tuple(b.units)) for b in input.buildings],
        )
        return await mutation_result(info, work, Compound.from_model)

    @strawberry.mutation(
        extensions=has_role(*OFFICE),
        description="A 居委会 (one per community, serving all its compounds), or a 业委会 or 物业 of the "
        "compounds named. ADMIN in any community; COMMUNITY_ADMIN in their own.",
    )
    async def organisation_create(
        self,
        info: Info,
        input: Annotated[OrganisationCreateInput, strawberry.argument(description="The organisation.")],
    ) -> OrganisationResult:
        ctx = info.context
        work = organisation_service.create_organisation(
            session=ctx.session,
            viewer=ctx.viewer,
            community_id=optional_pk(input.community_id, "Community"),
            kind=affairs_models.OrganisationKind(input.kind.value),
            name=input.name,
            phone=input.phone,
            compound_ids=[pk_of(value, "Compound") for value in input.compound_ids],
        )
        return await mutation_result(info, work, Organisation.from_model)

    @strawberry.mutation(
        extensions=has_role(*OFFICE),
        description="Let a person act for an organisation (handle its cases; a 居委会 member also publishes "
        "notices). Its community office; ALREADY_MEMBER if they do.",
    )
    async def organisation_member_add(
        self,
        info: Info,
        organisation_id: Annotated[strawberry.ID, strawberry.argument(description="The Organisation.")],
        person_id: Annotated[strawberry.ID, strawberry.argument(description="The Person.")],
        title: Annotated[str | None, strawberry.argument(description="Their post, e.g. 物业管家.")] = None,
    ) -> OrganisationResult:
        ctx = info.context
        work = organisation_service.add_member(
            session=ctx.session,
            viewer=ctx.viewer,
            organisation_id=pk_of(organisation_id, "Organisation"),
            person_id=pk_of(person_id, "Person"),
            title=title,
        )
        return await mutation_result(info, work, Organisation.from_model)

    @strawberry.mutation(
        extensions=has_role(*OFFICE),
        description="Stop a person acting for an organisation: at once, on their next request. Its community "
        "office; NOT_MEMBER if they do not.",
    )
    async def organisation_member_remove(
        self,
        info: Info,
        organisation_id: Annotated[strawberry.ID, strawberry.argument(description="The Organisation.")],
        person_id: Annotated[strawberry.ID, strawberry.argument(description="The Person.")],
    ) -> OrganisationResult:
        ctx = info.context
        work = organisation_service.remove_member(
            session=ctx.session,
            viewer=ctx.viewer,
            organisation_id=pk_of(organisation_id, "Organisation"),
            person_id=pk_of(person_id, "Person"),
        )
        return await mutation_result(info, work, Organisation.from_model)

    @strawberry.mutation(
        extensions=has_role(*OFFICE),
        description="Register a household in a unit of its community, as owner (业主) or tenant (租客). Its "
        "community office.",
    )
    async def residence_set(
        self,
        info: Info,
        household_id: Annotated[strawberry.ID, strawberry.argument(description="The Household.")],
        unit_id: Annotated[strawberry.ID, strawberry.argument(description="The Unit.")],
        tenure: Annotated[Tenure, strawberry.argument(description="Owner or tenant.")],
    ) -> ResidenceResult:
        ctx = info.context
        work = organisation_service.set_residence(
            session=ctx.session,
            viewer=ctx.viewer,
            household_id=pk_of(household_id, "Household"),
            unit_id=pk_of(unit_id, "Unit"),
            tenure=affairs_models.Tenure(tenure.value),
        )
        return await mutation_result(info, work, residence_of)

    @strawberry.mutation(
        extensions=has_role(*OFFICE),
        description="A household no longer lives in a unit (moved out): the registration as it was. Its "
        "community office; no such registration: NOT_FOUND.",
    )
    async def residence_remove(
        self,
        info: Info,
        household_id: Annotated[strawberry.ID, strawberry.argument(description="The Household.")],
        unit_id: Annotated[strawberry.ID, strawberry.argument(description="The Unit.")],
    ) -> ResidenceResult:
        ctx = info.context
        work = organisation_service.remove_residence(
            session=ctx.session,
            viewer=ctx.viewer,
            household_id=pk_of(household_id, "Household"),
            unit_id=pk_of(unit_id, "Unit"),
        )
        return await mutation_result(info, work, residence_of)

    @strawberry.mutation(
        extensions=has_role(Role.ADMIN),
        description="A new case category, offered at once. ADMIN (the list is the subdistrict's).",
    )
    async def case_category_create(
        self,
        info: Info,
        input: Annotated[CaseCategoryCreateInput, strawberry.argument(description="The category.")],
    ) -> CaseCategoryResult:
        ctx = info.context
        fields = routing_service.CategoryFields(
            code=input.code,
            name=input.name,
            default_kind=affairs_models.OrganisationKind(input.default_kind.value),
            informed_kind=affairs_models.OrganisationKind(input.informed_kind.value)
            if input.informed_kind
            else None,
            accept_minutes=input.accept_minutes,
            resolve_minutes=input.resolve_minutes,
        )
        work = routing_service.create_category(session=ctx.session, viewer=ctx.viewer, fields=fields)
        return await mutation_result(info, work, CaseCategory.from_model)

    @strawberry.mutation(
        extensions=has_role(Role.ADMIN),
        description="Change a case category: applies to cases reported from now on. ADMIN.",
    )
    async def case_category_update(
        self,
        info: Info,
        code: Annotated[str, strawberry.argument(description="The category's code.")],
        input: Annotated[CaseCategoryUpdateInput, strawberry.argument(description="What to change.")],
    ) -> CaseCategoryResult:
        ctx = info.context
        informed = input.informed_kind
        fields = routing_service.CategoryFields(
            name=input.name,
            default_kind=affairs_models.OrganisationKind(input.default_kind.value)
            if input.default_kind
            else None,
            informed_kind=affairs_models.OrganisationKind(informed.value) if informed else None,
            clear_informed=informed is None,
            accept_minutes=input.accept_minutes,
            resolve_minutes=input.resolve_minutes,
            retired=input.retired,
        )
        work = routing_service.update_category(
            session=ctx.session, viewer=ctx.viewer, code=code, fields=fields, now=ctx.clock()
        )
        return await mutation_result(info, work, CaseCategory.from_model)

    @strawberry.mutation(
        extensions=has_role(*OFFICE),
        description="Set a compound's rule for a category (replacing one it had). Its community office.",
    )
    async def case_routing_rule_set(
        self, info: Info, input: Annotated[CaseRoutingRuleInput, strawberry.argument(description="The rule.")]
    ) -> CaseRoutingRuleResult:
        ctx = info.context
        fields = routing_service.RuleFields(
            compound_id=pk_of(input.compound_id, "Compound"),
            category_code=input.category,
            organisation_id=pk_of(input.organisation_id, "Organisation"),
            informed_organisation_id=optional_pk(input.informed_organisation_id, "Organisation"),
            accept_minutes=input.accept_minutes,
            resolve_minutes=input.resolve_minutes,
        )

        async def work():
            rule = await routing_service.set_rule(session=ctx.session, viewer=ctx.viewer, fields=fields)
            return await rule_of(info, rule, input.category.strip().upper())

        return await mutation_result(info, work(), lambda made: made)

    @strawberry.mutation(
        extensions=has_role(*OFFICE),
        description="Remove a compound's rule for a category: its default routing applies again. Its "
        "community office; no such rule: NOT_FOUND.",
    )
    async def case_routing_rule_remove(
        self,
        info: Info,
        compound_id: Annotated[strawberry.ID, strawberry.argument(description="The Compound.")],
        category: Annotated[str, strawberry.argument(description="The category's code.")],
    ) -> CompoundResult:
        ctx = info.context
        work = routing_service.remove_rule(
            session=ctx.session,
            viewer=ctx.viewer,
            compound_id=pk_of(compound_id, "Compound"),
            category_code=category,
        )
        return await mutation_result(info, work, Compound.from_model)
