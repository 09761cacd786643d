"""有事一键找: a resident reports a problem, it is routed in the same transaction to the organisation
responsible, which accepts and resolves it; the reporter rates the result once, or reopens it
within 7 days. Every step is a case_events row and an inbox row for whoever must know; a step is
one conditional UPDATE, so two staff accepting at once cannot both succeed.

Who sees what: the reporter their own cases; members of the assigned organisation and the
community office the cases they handle, with the reporter and photos (personal information:
every such read is written to case_access_log); members of an informed organisation (安全隐患 →
the 居委会) the case without who reported it. Everyone else: NotFound, as if it did not exist.
"""

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from geoalchemy2.elements import WKTElement
from sqlalchemy import DateTime, and_, case, func, insert, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.affairs import (
    MAX_PHOTO_BYTES,
    MAX_PHOTOS,
    Building,
    Case,
    CaseCategory,
    CaseEvent,
    CaseEventKind,
    CasePhoto,
    CaseRoutingRule,
    CaseStatus,
    CompoundOrganisation,
    Organisation,
    OrganisationKind,
    OrganisationMember,
    Residence,
    Unit,
)
from models.notifications import NotificationKind
from models.people import Person, PersonRole, Role
from resolvers import audit, notifications
from resolvers.actor import Viewer
from resolvers.affairs.access import is_office, organisations_of
from resolvers.errors import DomainFailure, ErrorCode, NotFound
from resolvers.pagination import Page, keyset_page

MAX_DESCRIPTION = 1000
MAX_NOTE = 1000
MAX_COMMENT = 500
REOPEN_DAYS = 7
SHANGHAI = ZoneInfo("Asia/Shanghai")
OPEN = (CaseStatus.REPORTED.value, CaseStatus.REOPENED.value)  # waiting to be accepted
ACTIVE = (*OPEN, CaseStatus.ACCEPTED.value)  # the SLA clock runs


def case_global_id(case_id: int) -> str:
    return audit.global_id("Case", case_id)


# ── Photos: judged by their bytes ─────────────────────────────────────────────


def sniffed_type(data: bytes) -> str | None:
    """The image type the bytes themselves say (magic numbers), whatever the client claimed."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def decoded_photo(encoded: str) -> tuple[str, bytes]:
    """A photo given as base64: its type (by its bytes) and bytes, or the failure that says why not."""
    if len(encoded) > (MAX_PHOTO_BYTES * 4) // 3 + 8:
        raise DomainFailure(ErrorCode.PHOTO_TOO_LARGE, f"照片不能超过 {MAX_PHOTO_BYTES // 1024 // 1024} MiB")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise DomainFailure(
            ErrorCode.PHOTO_TYPE_NOT_ALLOWED, "照片须为 base64 编码的 JPEG、PNG 或 WebP"
        ) from None
    return checked_photo(data)


def checked_photo(data: bytes) -> tuple[str, bytes]:
    if not 1 <= len(data) <= MAX_PHOTO_BYTES:
        raise DomainFailure(
            ErrorCode.PHOTO_TOO_LARGE, f"照片须为 1 字节到 {MAX_PHOTO_BYTES // 1024 // 1024} MiB"
        )
    content_type = sniffed_type(data)
    if content_type is None:
        raise DomainFailure(ErrorCode.PHOTO_TYPE_NOT_ALLOWED, "照片只能是 JPEG、PNG 或 WebP 图片")
    return content_type, data


# ── Where a report comes from, and where it goes ─────────────────────────────


async def reporter_compounds(*, session: AsyncSession, household_id: int | None) -> list[int]:
    if household_id is None:
        return []
    rows = await session.scalars(
        select(Building.compound_id)
        .join(Unit, Unit.building_id == Building.id)
        .join(Residence, Residence.unit_id == Unit.id)
        .where(Residence.household_id == household_id)
        .distinct()
    )
    return sorted(rows)


@dataclass(frozen=True)
class Route:
    organisation_id: int
    informed_organisation_id: int | None
    accept_minutes: int
    resolve_minutes: int


@dataclass(frozen=True)
class Ways:
    """What routing reads of a community and some of its compounds, read once for many reports."""

    committee: int | None  # the community's 居委会
    by_kind: dict[tuple[int, str], int]  # (compound, 业委会 or 物业) → the organisation
    rules: dict[tuple[int, int], CaseRoutingRule]  # (compound, category) → the compound's rule


async def ways_of(*, session: AsyncSession, community_id: int, compound_ids: Sequence[int]) -> Ways:
    """Three statements, however many compounds and categories are routed with them."""
    committee = await session.scalar(
        select(Organisation.id).where(
            Organisation.community_id == community_id,
            Organisation.kind == OrganisationKind.RESIDENTS_COMMITTEE.value,
        )
    )
    by_kind: dict[tuple[int, str], int] = {}
    rules: dict[tuple[int, int], CaseRoutingRule] = {}
    if compound_ids:
        served = await session.execute(
            select(
                CompoundOrganisation.compound_id,
                CompoundOrganisation.kind,
                CompoundOrganisation.organisation_id,
            ).where(CompoundOrganisation.compound_id.in_(list(compound_ids)))
        )
        by_kind = {(compound, kind): organisation for compound, kind, organisation in served}
        found = await session.scalars(
            select(CaseRoutingRule).where(CaseRoutingRule.compound_id.in_(list(compound_ids)))
        )
        rules = {(rule.compound_id, rule.category_id): rule for rule in found}
    return Ways(committee, by_kind, rules)


def organisation_of_kind(ways: Ways, compound_id: int | None, kind: str) -> int | None:
    if kind == OrganisationKind.RESIDENTS_COMMITTEE.value:
        return ways.committee
    if compound_id is None:
        return None
    return ways.by_kind.get((compound_id, kind))


def route_by(ways: Ways, compound_id: int | None, category: CaseCategory) -> Route:
    """The compound's rule for the category; else the category's default kind of organisation in
    that compound; else the community's 居委会 (DOMAIN.md)."""
    rule = ways.rules.get((compound_id, category.id)) if compound_id is not None else None
    if rule is not None:
        return Route(
            rule.organisation_id, rule.informed_organisation_id, rule.accept_minutes, rule.resolve_minutes
        )
    responsible = organisation_of_kind(ways, compound_id, category.default_kind) or ways.committee
    if responsible is None:
        raise DomainFailure(ErrorCode.NO_ORGANISATION, "本社区尚未设立居委会，暂时无法受理，请联系社区办公室")
    informed = None
    if category.informed_kind is not None:
        informed = organisation_of_kind(ways, compound_id, category.informed_kind)
    return Route(
        responsible,
        informed if informed != responsible else None,
        category.accept_minutes,
        category.resolve_minutes,
    )


async def route(
    *, session: AsyncSession, community_id: int, compound_id: int | None, category: CaseCategory
) -> Route:
    compounds = [compound_id] if compound_id is not None else []
    ways = await ways_of(session=session, community_id=community_id, compound_ids=compounds)
    return route_by(ways, compound_id, category)


async def members_of(*, session: AsyncSession, organisation_ids: Sequence[int | None]) -> list[int]:
    wanted = [pk for pk in organisation_ids if pk is not None]
    if not wanted:
        return []
    rows = await session.scalars(
        select(OrganisationMember.person_id).where(OrganisationMember.organisation_id.in_(wanted)).distinct()
    )
    return list(rows)


async def office_of(*, session: AsyncSession, community_id: int) -> list[int]:
    """The community office's people (COMMUNITY_ADMIN of the community, not disabled)."""
    rows = await session.scalars(
        select(Person.id)
        .join(PersonRole, PersonRole.person_id == Person.id)
        .where(
            PersonRole.role == Role.COMMUNITY_ADMIN.value,
            Person.community_id == community_id,
            Person.disabled_at.is_(None),
        )
    )
    return list(rows)


# ── Reporting ─────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Report:
    category_code: str
    description: str
    lat: float | None = None  # WGS-84 (the schema converts what the client sent)
    lng: float | None = None
    compound_id: int | None = None
    photos: Sequence[str] = ()  # base64


async def category_by_code(*, session: AsyncSession, code: str) -> CaseCategory:
    category = await session.scalar(select(CaseCategory).where(CaseCategory.code == code.strip().upper()))
    if category is None:
        raise DomainFailure(ErrorCode.UNKNOWN_CATEGORY, f"没有这个事项类别：{code}")
    return category


async def add_event(
    *,
    session: AsyncSession,
    case_id: int,
    kind: CaseEventKind,
    actor_id: int | None,
    at: datetime,
    note: str | None = None,
    organisation_id: int | None = None,
) -> None:
    await session.execute(
        insert(CaseEvent).values(
            case_id=case_id,
            kind=kind.value,
            actor_id=actor_id,
            at=at,
            note=note,
            organisation_id=organisation_id,
        )
    )


async def report_case(*, session: AsyncSession, viewer: Viewer, report: Report, now: datetime) -> Case:
    description = (report.description or "").strip()
    if not 1 <= len(description) <= MAX_DESCRIPTION:
        raise DomainFailure(ErrorCode.INVALID_DESCRIPTION, f"请描述问题（1–{MAX_DESCRIPTION} 个字）")
    if len(report.photos) > MAX_PHOTOS:
        raise DomainFailure(ErrorCode.TOO_MANY_PHOTOS, f"最多 {MAX_PHOTOS} 张照片")
    photos = [decoded_photo(photo) for photo in report.photos]
    category = await category_by_code(session=session, code=report.category_code)
    if category.retired_at is not None:
        raise DomainFailure(ErrorCode.CATEGORY_RETIRED, f"「{category.name}」已停止受理，请选择其他类别")
    reporter = await session.get(Person, viewer.person_id)
    if reporter is None or reporter.community_id is None:
        raise DomainFailure(ErrorCode.COMMUNITY_REQUIRED, "您的账号尚未登记所在社区，请联系社区办公室")
    compounds = await reporter_compounds(session=session, household_id=reporter.household_id)
    compound_id = report.compound_id
    if compound_id is not None and compound_id not in compounds:
        raise DomainFailure(ErrorCode.NOT_YOUR_COMPOUND, "只能为您家所在的小区报事")
    if compound_id is None and len(compounds) > 1:
        raise DomainFailure(ErrorCode.COMPOUND_REQUIRED, "您家登记在多个小区，请选择报事的小区")
    if compound_id is None and compounds:
        compound_id = compounds[0]
    way = await route(
        session=session, community_id=reporter.community_id, compound_id=compound_id, category=category
    )
    location = None
    if report.lat is not None and report.lng is not None:
        location = WKTElement(f"POINT({report.lng} {report.lat})", srid=4326)
    row = Case(
        community_id=reporter.community_id,
        compound_id=compound_id,
        category_id=category.id,
        reporter_id=reporter.id,
        description=description,
        location=location,
        status=CaseStatus.REPORTED.value,
        organisation_id=way.organisation_id,
        informed_organisation_id=way.informed_organisation_id,
        reported_at=now,
        accept_due_at=now + timedelta(minutes=way.accept_minutes),
        resolve_due_at=now + timedelta(minutes=way.resolve_minutes),
    )
    session.add(row)
    await session.flush()
    if photos:
        await session.execute(
            insert(CasePhoto),
            [
                {"case_id": row.id, "position": position, "content_type": content_type, "data": data}
                for position, (content_type, data) in enumerate(photos, start=1)
            ],
        )
    await add_event(
        session=session, case_id=row.id, kind=CaseEventKind.REPORTED, actor_id=reporter.id, at=now
    )
    gid = case_global_id(row.id)
    handlers = await members_of(session=session, organisation_ids=[way.organisation_id])
    informed = await members_of(session=session, organisation_ids=[way.informed_organisation_id])
    await notifications.notify(
        session=session,
        person_ids=handlers,
        kind=NotificationKind.CASE_ASSIGNED,
        title=f"新的{category.name}事项",
        body=f"{description[:80]}（请在 {row.accept_due_at.astimezone(SHANGHAI):%m-%d %H:%M} 前受理）",
        subject_id=gid,
    )
    await notifications.notify(
        session=session,
        person_ids=[pk for pk in informed if pk not in set(handlers)],
        kind=NotificationKind.CASE_ASSIGNED,
        title=f"知会：{category.name}",
        body=description[:100],
        subject_id=gid,
    )
    await audit.record(
        session=session,
        action="case.report",
        object_id=gid,
        community_id=row.community_id,
        after={
            "category": category.code,
            "organisationId": audit.global_id("Organisation", way.organisation_id),
            "photos": len(photos),
        },
    )
    await session.refresh(row)
    return row


# ── Who may do what with a case ───────────────────────────────────────────────


@dataclass(frozen=True)
class Standing:
    """What the viewer is to a case."""

    reporter: bool = False
    handler: bool = False  # a member of the assigned organisation, or the community office
    informed: bool = False  # a member of the informed organisation

    @property
    def sees(self) -> bool:
        return self.reporter or self.handler or self.informed

    @property
    def sees_reporter(self) -> bool:
        """The reporter's identity and photos: personal information."""
        return self.reporter or self.handler


def standing_of(viewer: Viewer | None, row: Case, organisations: set[int]) -> Standing:
    if viewer is None:
        return Standing()
    return Standing(
        reporter=row.reporter_id == viewer.person_id,
        handler=row.organisation_id in organisations or is_office(viewer, row.community_id),
        informed=row.informed_organisation_id is not None and row.informed_organisation_id in organisations,
    )


async def case_seen_by(
    *, session: AsyncSession, viewer: Viewer, case_id: int, lock: bool = False
) -> tuple[Case, Standing]:
    stmt = select(Case).where(Case.id == case_id)
    if lock:
        stmt = stmt.with_for_update()
    row = await session.scalar(stmt)
    if row is None:
        raise NotFound("该事项")
    standing = standing_of(viewer, row, await organisations_of(session=session, person_id=viewer.person_id))
    if not standing.sees:
        raise NotFound("该事项")
    return row, standing


def visible_to(viewer: Viewer, organisations: set[int]):
    """The SQL condition of the cases a viewer may see at all."""
    conditions = [Case.reporter_id == viewer.person_id]
    if organisations:
        conditions += [
            Case.organisation_id.in_(organisations),
            Case.informed_organisation_id.in_(organisations),
        ]
    if viewer.has_role(Role.ADMIN.value):
        conditions.append(True)
    elif viewer.has_role(Role.COMMUNITY_ADMIN.value) and viewer.community_id is not None:
        conditions.append(Case.community_id == viewer.community_id)
    return or_(*conditions)


# ── The steps ─────────────────────────────────────────────────────────────────


async def _step(
    *,
    session: AsyncSession,
    row: Case,
    kind: CaseEventKind,
    actor_id: int,
    now: datetime,
    note: str | None,
    organisation_id: int | None,
    title: str,
    body: str,
    tell_reporter: bool,
) -> Case:
    await add_event(
        session=session,
        case_id=row.id,
        kind=kind,
        actor_id=actor_id,
        at=now,
        note=note,
        organisation_id=organisation_id,
    )
    gid = case_global_id(row.id)
    if tell_reporter:
        await notifications.notify(
            session=session,
            person_ids=[row.reporter_id],
            kind=NotificationKind.CASE_UPDATED,
            title=title,
            body=body,
            subject_id=gid,
        )
    await audit.record(
        session=session,
        action=f"case.{kind.value.lower()}",
        object_id=gid,
        community_id=row.community_id,
        after={"status": row.status, "note": note},
    )
    return row


async def _transition(*, session: AsyncSession, case_id: int, where, values: dict) -> Case | None:
    stmt = update(Case).where(Case.id == case_id, where).values(**values).returning(Case)
    changed = await session.scalar(stmt.execution_options(populate_existing=True))
    return changed


async def accept_case(*, session: AsyncSession, viewer: Viewer, case_id: int, now: datetime) -> Case:
    _, standing = await case_seen_by(session=session, viewer=viewer, case_id=case_id)
    if not standing.handler:
        raise NotFound("该事项")
    changed = await _transition(
        session=session,
        case_id=case_id,
        where=Case.status.in_(OPEN),
        values={"status": CaseStatus.ACCEPTED.value, "accepted_at": now, "accepted_by": viewer.person_id},
    )
    if changed is None:
        raise DomainFailure(ErrorCode.CASE_NOT_OPEN, "该事项已被受理或已办结")
    return await _step(
        session=session,
        row=changed,
        kind=CaseEventKind.ACCEPTED,
        actor_id=viewer.person_id,
        now=now,
        note=None,
        organisation_id=changed.organisation_id,
        title="您反映的事项已受理",
        body=f"已受理，承诺在 {changed.resolve_due_at.astimezone(SHANGHAI):%m-%d %H:%M} 前办结。",
        tell_reporter=True,
    )


def clean_note(note: str | None) -> str:
    text = (note or "").strip()
    if not 1 <= len(text) <= MAX_NOTE:
        raise DomainFailure(ErrorCode.NOTE_REQUIRED, f"请填写处理说明（1–{MAX_NOTE} 个字）")
    return text


async def resolve_case(
    *, session: AsyncSession, viewer: Viewer, case_id: int, note: str, now: datetime
) -> Case:
    note = clean_note(note)
    _, standing = await case_seen_by(session=session, viewer=viewer, case_id=case_id)
    if not standing.handler:
        raise NotFound("该事项")
    changed = await _transition(
        session=session,
        case_id=case_id,
        where=Case.status == CaseStatus.ACCEPTED.value,
        values={
            "status": CaseStatus.RESOLVED.value,
            "resolved_at": now,
            "resolved_by": viewer.person_id,
            "resolution_note": note,
        },
    )
    if changed is None:
        raise DomainFailure(ErrorCode.CASE_NOT_ACCEPTED, "该事项尚未受理，或已办结")
    return await _step(
        session=session,
        row=changed,
        kind=CaseEventKind.RESOLVED,
        actor_id=viewer.person_id,
        now=now,
        note=note,
        organisation_id=changed.organisation_id,
        title="您反映的事项已办结",
        body=f"处理结果：{note[:120]}。请评价，或在 {REOPEN_DAYS} 天内申请重新处理。",
        tell_reporter=True,
    )


def clean_comment(comment: str | None, *, required: bool) -> str | None:
    text = (comment or "").strip() or None
    if (required and text is None) or (text is not None and len(text) > MAX_COMMENT):
        need = "请说明原因" if required else "评价"
        raise DomainFailure(ErrorCode.INVALID_COMMENT, f"{need}（最多 {MAX_COMMENT} 个字）")
    return text


async def own_case(*, session: AsyncSession, viewer: Viewer, case_id: int) -> Case:
    row = await session.scalar(select(Case).where(Case.id == case_id, Case.reporter_id == viewer.person_id))
    if row is None:
        raise NotFound("您反映的该事项")
    return row


async def rate_case(
    *, session: AsyncSession, viewer: Viewer, case_id: int, rating: int, comment: str | None, now: datetime
) -> Case:
    if not 1 <= rating <= 5:
        raise DomainFailure(ErrorCode.INVALID_RATING, "评分为 1 到 5 分")
    comment = clean_comment(comment, required=False)
    await own_case(session=session, viewer=viewer, case_id=case_id)
    changed = await _transition(
        session=session,
        case_id=case_id,
        where=Case.status == CaseStatus.RESOLVED.value,
        values={
            "status": CaseStatus.RATED.value,
            "rating": rating,
            "rating_comment": comment,
            "rated_at": now,
        },
    )
    if changed is None:
        raise DomainFailure(ErrorCode.CASE_NOT_RESOLVED, "只能评价已办结、尚未评价的事项")
    handlers = await members_of(session=session, organisation_ids=[changed.organisation_id])
    await notifications.notify(
        session=session,
        person_ids=handlers,
        kind=NotificationKind.CASE_ASSIGNED,
        title=f"居民评价：{rating} 分",
        body=comment or "（无文字评价）",
        subject_id=case_global_id(case_id),
    )
    return await _step(
        session=session,
        row=changed,
        kind=CaseEventKind.RATED,
        actor_id=viewer.person_id,
        now=now,
        note=comment,
        organisation_id=None,
        title="感谢您的评价",
        body=f"您给出了 {rating} 分。",
        tell_reporter=False,
    )


async def reopen_case(
    *, session: AsyncSession, viewer: Viewer, case_id: int, comment: str, now: datetime
) -> Case:
    """Back to the queue with fresh SLAs of the same length; within 7 days of the resolution."""
    comment = clean_comment(comment, required=True)
    await own_case(session=session, viewer=viewer, case_id=case_id)
    at = literal(now, DateTime(timezone=True))
    changed = await _transition(
        session=session,
        case_id=case_id,
        where=and_(
            Case.status == CaseStatus.RESOLVED.value, Case.resolved_at >= now - timedelta(days=REOPEN_DAYS)
        ),
        values={
            "status": CaseStatus.REOPENED.value,
            "reopened_at": now,
            "reopened_count": Case.reopened_count + 1,
            "accept_due_at": at + (Case.accept_due_at - Case.reported_at),
            "resolve_due_at": at + (Case.resolve_due_at - Case.reported_at),
            "escalation": None,
            "escalated_at": None,
        },
    )
    if changed is None:
        current = await session.scalar(select(Case.status).where(Case.id == case_id))
        if current == CaseStatus.RESOLVED.value:
            raise DomainFailure(ErrorCode.REOPEN_WINDOW_PASSED, f"办结超过 {REOPEN_DAYS} 天，请重新报事")
        raise DomainFailure(ErrorCode.CASE_NOT_RESOLVED, "只能对已办结、尚未评价的事项申请重新处理")
    handlers = await members_of(session=session, organisation_ids=[changed.organisation_id])
    await notifications.notify(
        session=session,
        person_ids=handlers,
        kind=NotificationKind.CASE_ASSIGNED,
        title="居民申请重新处理",
        body=comment,
        subject_id=case_global_id(case_id),
    )
    return await _step(
        session=session,
        row=changed,
        kind=CaseEventKind.REOPENED,
        actor_id=viewer.person_id,
        now=now,
        note=comment,
        organisation_id=None,
        title="已申请重新处理",
        body="您的事项已退回处理单位重新处理。",
        tell_reporter=False,
    )


# ── Lists ─────────────────────────────────────────────────────────────────────


def next_due():
    """When the case's running SLA ends (null once resolved)."""
    return case(
        (Case.status.in_(OPEN), Case.accept_due_at),
        (Case.status == CaseStatus.ACCEPTED.value, Case.resolve_due_at),
        else_=None,
    )


def overdue(now: datetime):
    return func.coalesce(next_due() < now, False)


async def my_cases(
    *, session: AsyncSession, viewer: Viewer, first: int, after: Sequence | None
) -> Page[Case]:
    stmt = select(Case).where(Case.reporter_id == viewer.person_id)
    return await keyset_page(
        stmt, session=session, key_columns=[Case.id], first=first, after=after, descending=True
    )


@dataclass(frozen=True)
class QueueFilter:
    organisation_id: int | None = None  # one organisation's queue (its members, its office)
    community_id: int | None = None  # every case of a community (its office)
    statuses: Sequence[str] | None = None
    escalated_only: bool = False


async def case_queue(
    *,
    session: AsyncSession,
    viewer: Viewer,
    where: QueueFilter,
    first: int,
    after: Sequence | None,
    now: datetime,
) -> Page[Case]:
    """Overdue first, then newest first. The key holds `overdue` as the first page saw it; a case
    that falls overdue meanwhile moves up and is seen on a fresh first page."""
    stmt = select(Case)
    if where.organisation_id is not None:
        organisation = await session.get(Organisation, where.organisation_id)
        mine = organisation is not None and (
            where.organisation_id in await organisations_of(session=session, person_id=viewer.person_id)
            or is_office(viewer, organisation.community_id)
        )
        if not mine:
            raise NotFound("该组织")
        stmt = stmt.where(Case.organisation_id == where.organisation_id)
    elif where.community_id is not None:
        if not is_office(viewer, where.community_id):
            raise NotFound("该社区")
        stmt = stmt.where(Case.community_id == where.community_id)
    else:
        stmt = stmt.where(
            visible_to(viewer, await organisations_of(session=session, person_id=viewer.person_id))
        )
    if where.statuses:
        stmt = stmt.where(Case.status.in_(list(where.statuses)))
    if where.escalated_only:
        stmt = stmt.where(Case.escalated_at.is_not(None), Case.status.in_(ACTIVE))
    return await keyset_page(
        stmt,
        session=session,
        key_columns=[overdue(now), Case.reported_at, Case.id],
        first=first,
        after=after,
        descending=True,
    )


# ── Photos added after the report (larger than a GraphQL body may carry) ──────


async def add_photo(*, session: AsyncSession, viewer: Viewer, case_id: int, data: bytes) -> CasePhoto:
    """The reporter adds a photo to a case of theirs not yet resolved; at most three in all (the
    case row is locked, so two uploads at once take positions in turn)."""
    content_type, data = checked_photo(data)
    row = await session.scalar(
        select(Case).where(Case.id == case_id, Case.reporter_id == viewer.person_id).with_for_update()
    )
    if row is None:
        raise NotFound("您反映的该事项")
    if row.status not in ACTIVE:
        raise DomainFailure(ErrorCode.CASE_NOT_OPEN, "事项已办结，不能再添加照片")
    taken = await session.scalar(select(func.count()).where(CasePhoto.case_id == case_id))
    if taken >= MAX_PHOTOS:
        raise DomainFailure(ErrorCode.TOO_MANY_PHOTOS, f"最多 {MAX_PHOTOS} 张照片")
    photo = CasePhoto(case_id=case_id, position=taken + 1, content_type=content_type, data=data)
    session.add(photo)
    await session.flush()
    await audit.record(
        session=session,
        action="case.photo_add",
        object_id=case_global_id(case_id),
        community_id=row.community_id,
        after={"position": photo.position, "contentType": content_type, "bytes": len(data)},
    )
    return photo


async def photo_for(*, session: AsyncSession, viewer: Viewer, photo_id: int) -> tuple[CasePhoto, Standing]:
    """A photo for whoever may see its case's reporter (NotFound for anyone else)."""
    photo = await session.get(CasePhoto, photo_id)
    if photo is None:
        raise NotFound("该照片")
    _, standing = await case_seen_by(session=session, viewer=viewer, case_id=photo.case_id)
    if not standing.sees_reporter:
        raise NotFound("该照片")
    return photo, standing
