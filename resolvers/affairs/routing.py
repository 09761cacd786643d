"""The editable list of case categories (ADMIN: one list for the subdistrict) and each compound's
routing rules (its community office): category × compound → the organisation responsible, an
organisation informed, and the SLAs. The constraints decide (codes and names unique, SLAs sane,
every organisation of the compound's community); each change writes its audit row."""

from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from models.affairs import CaseCategory, CaseRoutingRule, Compound, OrganisationKind
from models.people import Person
from resolvers import audit
from resolvers.actor import Viewer
from resolvers.affairs.access import is_admin
from resolvers.affairs.cases import category_by_code, reporter_compounds, route_by, ways_of
from resolvers.affairs.organisation import compound_run_by, organisation_run_by
from resolvers.errors import DomainFailure, ErrorCode, NotFound, flush_or_fail, savepoint


def invalid_sla():
    return DomainFailure(
        ErrorCode.INVALID_SLA, "受理时限 1–43200 分钟，办结时限不短于受理时限、不超过 129600 分钟"
    )


MEANINGS = {
    "uq_case_categories_code": lambda: DomainFailure(ErrorCode.NAME_TAKEN, "已有此代码的类别"),
    "uq_case_categories_name": lambda: DomainFailure(ErrorCode.NAME_TAKEN, "已有同名的类别"),
    "ck_case_categories_code_format": lambda: DomainFailure(
        ErrorCode.INVALID_CATEGORY, "类别代码须为大写字母开头的 A–Z、0–9、_（2–40 位）"
    ),
    "ck_case_categories_informed_kind_known": lambda: DomainFailure(
        ErrorCode.INVALID_CATEGORY, "知会的组织须与负责的组织不同"
    ),
    "ck_case_categories_name_not_blank": lambda: DomainFailure(ErrorCode.INVALID_NAME, "请填写类别名称"),
    "ck_case_categories_sla_sane": invalid_sla,
    "ck_case_routing_rules_sla_sane": invalid_sla,
    "ck_case_routing_rules_informed_not_responsible": lambda: DomainFailure(
        ErrorCode.INVALID_CATEGORY, "知会的组织须与负责的组织不同"
    ),
    "fk_case_routing_rules_organisation": lambda: DomainFailure(
        ErrorCode.COMPOUND_NOT_IN_COMMUNITY, "负责的组织须属于小区所在社区"
    ),
    "fk_case_routing_rules_informed": lambda: DomainFailure(
        ErrorCode.COMPOUND_NOT_IN_COMMUNITY, "知会的组织须属于小区所在社区"
    ),
}


@dataclass(frozen=True)
class CategoryFields:
    code: str | None = None
    name: str | None = None
    default_kind: OrganisationKind | None = None
    informed_kind: OrganisationKind | None = None
    clear_informed: bool = False
    accept_minutes: int | None = None
    resolve_minutes: int | None = None
    retired: bool | None = None


def snapshot(category: CaseCategory) -> dict:
    return {
        "code": category.code,
        "name": category.name,
        "defaultKind": category.default_kind,
        "informedKind": category.informed_kind,
        "acceptMinutes": category.accept_minutes,
        "resolveMinutes": category.resolve_minutes,
        "retired": category.retired_at is not None,
    }


def admin_only(viewer: Viewer) -> None:
    if not is_admin(viewer):
        raise DomainFailure(ErrorCode.ADMIN_ONLY_ROLE, "事项类别由系统管理员统一维护")


async def create_category(*, session: AsyncSession, viewer: Viewer, fields: CategoryFields) -> CaseCategory:
    admin_only(viewer)
    if fields.default_kind is None or fields.accept_minutes is None or fields.resolve_minutes is None:
        raise DomainFailure(ErrorCode.INVALID_CATEGORY, "请给出负责的组织类型和两个时限")
    position = await session.scalar(select(func.coalesce(func.max(CaseCategory.position), 0) + 1))
    category = CaseCategory(
        code=(fields.code or "").strip().upper(),
        name=(fields.name or "").strip(),
        default_kind=OrganisationKind(fields.default_kind).value,
        informed_kind=OrganisationKind(fields.informed_kind).value if fields.informed_kind else None,
        accept_minutes=fields.accept_minutes,
        resolve_minutes=fields.resolve_minutes,
        position=position,
    )
    session.add(category)
    await flush_or_fail(session=session, meanings=MEANINGS)
    await audit.record(
        session=session,
        action="case_category.create",
        object_id=audit.global_id("CaseCategory", category.id),
        after=snapshot(category),
    )
    return category


async def update_category(
    *, session: AsyncSession, viewer: Viewer, code: str, fields: CategoryFields, now
) -> CaseCategory:
    """Changes apply to cases reported from now on; a retired category stays on its old cases."""
    admin_only(viewer)
    category = await category_by_code(session=session, code=code)
    await session.refresh(category, with_for_update=True)
    before = snapshot(category)
    if fields.name is not None:
        category.name = fields.name.strip()
    if fields.default_kind is not None:
        category.default_kind = OrganisationKind(fields.default_kind).value
    if fields.clear_informed:
        category.informed_kind = None
    elif fields.informed_kind is not None:
        category.informed_kind = OrganisationKind(fields.informed_kind).value
    if fields.accept_minutes is not None:
        category.accept_minutes = fields.accept_minutes
    if fields.resolve_minutes is not None:
        category.resolve_minutes = fields.resolve_minutes
    if fields.retired is not None:
        category.retired_at = (category.retired_at or now) if fields.retired else None
    await flush_or_fail(session=session, meanings=MEANINGS)
    await audit.record(
        session=session,
        action="case_category.update",
        object_id=audit.global_id("CaseCategory", category.id),
        before=before,
        after=snapshot(category),
    )
    return category


@dataclass(frozen=True)
class RuleFields:
    compound_id: int
    category_code: str
    organisation_id: int
    informed_organisation_id: int | None = None
    accept_minutes: int | None = None  # None: the category's
    resolve_minutes: int | None = None


async def set_rule(*, session: AsyncSession, viewer: Viewer, fields: RuleFields) -> CaseRoutingRule:
    """Creates or replaces the compound's rule for the category (an upsert: two offices setting it at
    once leave one rule, the later)."""
    compound: Compound = await compound_run_by(session=session, viewer=viewer, compound_id=fields.compound_id)
    category = await category_by_code(session=session, code=fields.category_code)
    for organisation_id in (fields.organisation_id, fields.informed_organisation_id):
        if organisation_id is not None:
            await organisation_run_by(session=session, viewer=viewer, organisation_id=organisation_id)
    values = {
        "community_id": compound.community_id,
        "compound_id": compound.id,
        "category_id": category.id,
        "organisation_id": fields.organisation_id,
        "informed_organisation_id": fields.informed_organisation_id,
        "accept_minutes": category.accept_minutes if fields.accept_minutes is None else fields.accept_minutes,
        "resolve_minutes": category.resolve_minutes
        if fields.resolve_minutes is None
        else fields.resolve_minutes,
    }
    before = await session.scalar(
        select(CaseRoutingRule).where(
            CaseRoutingRule.compound_id == compound.id, CaseRoutingRule.category_id == category.id
        )
    )
    shown_before = None if before is None else rule_snapshot(before, category.code)
    async with savepoint(session=session, meanings=MEANINGS):
        rule = await session.scalar(
            insert(CaseRoutingRule)
            .values(**values)
            .on_conflict_do_update(constraint="uq_case_routing_rules_compound_category", set_=values)
            .returning(CaseRoutingRule)
            .execution_options(populate_existing=True)
        )
    await audit.record(
        session=session,
        action="case_routing_rule.set",
        object_id=audit.global_id("Compound", compound.id),
        community_id=compound.community_id,
        before=shown_before,
        after=rule_snapshot(rule, category.code),
    )
    return rule


def rule_snapshot(rule: CaseRoutingRule, code: str) -> dict:
    return {
        "category": code,
        "organisationId": audit.global_id("Organisation", rule.organisation_id),
        "informedOrganisationId": (
            audit.global_id("Organisation", rule.informed_organisation_id)
            if rule.informed_organisation_id
            else None
        ),
        "acceptMinutes": rule.accept_minutes,
        "resolveMinutes": rule.resolve_minutes,
    }


async def remove_rule(
    *, session: AsyncSession, viewer: Viewer, compound_id: int, category_code: str
) -> Compound:
    """The category's default routing applies to the compound again."""
    compound = await compound_run_by(session=session, viewer=viewer, compound_id=compound_id)
    category = await category_by_code(session=session, code=category_code)
    removed = await session.scalar(
        delete(CaseRoutingRule)
        .where(CaseRoutingRule.compound_id == compound.id, CaseRoutingRule.category_id == category.id)
        .returning(CaseRoutingRule.id)
    )
    if removed is None:
        raise NotFound("该小区此类别的分派规则")
    await audit.record(
        session=session,
        action="case_routing_rule.remove",
        object_id=audit.global_id("Compound", compound.id),
        community_id=compound.community_id,
        before={"category": category.code},
    )
    return compound


async def rules_of(*, session: AsyncSession, compound_id: int) -> list[tuple[CaseRoutingRule, str]]:
    rows = await session.execute(
        select(CaseRoutingRule, CaseCategory.code)
        .join(CaseCategory, CaseCategory.id == CaseRoutingRule.category_id)
        .where(CaseRoutingRule.compound_id == compound_id)
        .order_by(CaseCategory.position)
    )
    return [(rule, code) for rule, code in rows]


@dataclass(frozen=True)
class Contact:
    """Whom to reach in a compound (None: the community at large) and for which categories."""

    compound: Compound | None
    organisation_id: int
    categories: list[str]


async def contacts(*, session: AsyncSession, viewer: Viewer) -> list[Contact]:
    """For each compound the viewer's household lives in (or, with none, their community): the
    organisation each category goes to, as a report now would be routed."""
    person = await session.get(Person, viewer.person_id)
    if person is None or person.community_id is None:
        return []
    compound_ids = await reporter_compounds(session=session, household_id=person.household_id) or [None]
    categories = list(
        await session.scalars(
            select(CaseCategory).where(CaseCategory.retired_at.is_(None)).order_by(CaseCategory.position)
        )
    )
    # One read of the routing of all the household's compounds (not one per compound and category).
    ways = await ways_of(
        session=session,
        community_id=person.community_id,
        compound_ids=[pk for pk in compound_ids if pk is not None],
    )
    compounds = {
        row.id: row
        for row in await session.scalars(
            select(Compound).where(Compound.id.in_([pk for pk in compound_ids if pk is not None]))
        )
    }
    found: list[Contact] = []
    for compound_id in compound_ids:
        compound = compounds.get(compound_id) if compound_id is not None else None
        by_organisation: dict[int, list[str]] = {}
        for category in categories:
            try:
                way = route_by(ways, compound_id, category)
            except DomainFailure:
                continue  # no 居委会 yet: nobody to name
            by_organisation.setdefault(way.organisation_id, []).append(category.name)
        found += [Contact(compound, pk, names) for pk, names in by_organisation.items()]
    return found
