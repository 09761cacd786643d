"""通知一键达: the community office or its 居委会 publishes a notice to the community, a compound or
some of its buildings, for all, owners or tenants. In the publishing transaction the households
living there are found in SQL, each gets one receipt (however many units it has there) and each of
their people one inbox row. A household's receipt records who of it read it first, and who
acknowledged it when the notice asks for that; the publishers see who has not read it yet.

Who sees a notice: the people of a household it reached, the office of its community and the
members of the 居委会 it was published for. Everyone else: NotFound, as if it did not exist.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, insert, literal, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.affairs import (
    Building,
    Compound,
    Notice,
    NoticeAudience,
    NoticeBuilding,
    NoticeReceipt,
    OrganisationKind,
    Residence,
    Tenure,
    Unit,
)
from models.notifications import Notification, NotificationKind
from models.people import Community, Household, Person, Role
from resolvers import audit, notifications
from resolvers.actor import Viewer
from resolvers.affairs.access import is_admin, is_office, member_organisations
from resolvers.batching import in_order
from resolvers.errors import DomainFailure, ErrorCode, NotFound
from resolvers.pagination import Page

MAX_TITLE = 100
MAX_BODY = 2000
INBOX_BODY = 200  # the inbox row carries the start of the text; the notice has it whole


def notice_global_id(notice_id: int) -> str:
    return audit.global_id("Notice", notice_id)


def clean_text(raw: str | None, limit: int, code: ErrorCode, what: str) -> str:
    text = (raw or "").strip()
    if not 1 <= len(text) <= limit:
        raise DomainFailure(code, f"请填写{what}（1–{limit} 个字）")
    return text


# ── Who publishes ─────────────────────────────────────────────────────────────


async def committees_of(*, session: AsyncSession, person_id: int) -> dict[int, int]:
    """The 居委会 the person acts for: community id → organisation id."""
    organisations = await member_organisations(session=session, person_id=person_id)
    return {
        organisation.community_id: organisation.id
        for organisation in organisations.values()
        if organisation.kind == OrganisationKind.RESIDENTS_COMMITTEE.value
    }


async def may_publish(*, session: AsyncSession, viewer: Viewer) -> bool:
    """Whether the viewer publishes notices anywhere: an office, or a member of a 居委会."""
    if is_admin(viewer) or viewer.has_role(Role.COMMUNITY_ADMIN.value):
        return True
    return bool(await committees_of(session=session, person_id=viewer.person_id))


@dataclass(frozen=True)
class Publisher:
    community_id: int
    organisation_id: int | None  # the 居委会 published for; None: the community office


async def publisher_for(*, session: AsyncSession, viewer: Viewer, community_id: int | None) -> Publisher:
    """The office publishes in its community (ADMIN names it); a 居委会 member in the 居委会's."""
    committees = await committees_of(session=session, person_id=viewer.person_id)
    office = viewer.has_role(Role.COMMUNITY_ADMIN.value) and viewer.community_id is not None
    if not is_admin(viewer) and community_id is None:
        if office:
            community_id = viewer.community_id
        elif len(committees) == 1:
            community_id = next(iter(committees))
    if community_id is None:
        raise DomainFailure(ErrorCode.COMMUNITY_REQUIRED, "请指定发布通知的社区")
    if is_office(viewer, community_id):
        if await session.get(Community, community_id) is None:
            raise NotFound("该社区")
        return Publisher(community_id, None)
    if community_id in committees:
        return Publisher(community_id, committees[community_id])
    if office:
        raise DomainFailure(ErrorCode.OTHER_COMMUNITY, "只能向本社区发布通知")
    raise NotFound("该社区")


# ── Where a notice goes ───────────────────────────────────────────────────────


@dataclass(frozen=True)
class Target:
    community_id: int
    compound_id: int | None = None  # None: the whole community
    building_ids: Sequence[int] = ()  # none: the whole compound
    audience: NoticeAudience = NoticeAudience.ALL


async def checked_target(*, session: AsyncSession, target: Target) -> Target:
    """The compound must be of the community, and the buildings of the compound."""
    buildings = sorted(set(target.building_ids))
    if target.compound_id is None:
        if buildings:
            raise DomainFailure(ErrorCode.NOTICE_TARGET, "指定楼栋时须同时指定所在小区")
        return target
    compound = await session.get(Compound, target.compound_id)
    if compound is None or compound.community_id != target.community_id:
        raise DomainFailure(ErrorCode.NOTICE_TARGET, "该小区不在发布通知的社区内")
    if buildings:
        found = await session.scalar(
            select(func.count())
            .select_from(Building)
            .where(Building.id.in_(buildings), Building.compound_id == compound.id)
        )
        if found != len(buildings):
            raise DomainFailure(ErrorCode.NOTICE_TARGET, "所选楼栋须属于所选小区")
    return Target(target.community_id, target.compound_id, tuple(buildings), target.audience)


TENURES = {NoticeAudience.OWNERS: Tenure.OWNER.value, NoticeAudience.TENANTS: Tenure.TENANT.value}


def reached_residences(
    *, community_id: int, compound_id: int | None, building_ids: Sequence[int], audience: str
) -> Select:
    """The residences (household, unit, tenure) a notice aimed so reaches: the condition is here
    once, for publishing and for showing staff which units a household was reached through."""
    stmt = (
        select(Residence.household_id, Residence.unit_id, Residence.tenure)
        .join(Unit, Unit.id == Residence.unit_id)
        .join(Building, Building.id == Unit.building_id)
        .join(Compound, Compound.id == Building.compound_id)
        .where(Compound.community_id == community_id)
    )
    if compound_id is not None:
        stmt = stmt.where(Compound.id == compound_id)
    if building_ids:
        stmt = stmt.where(Building.id.in_(list(building_ids)))
    tenure = TENURES.get(NoticeAudience(audience))
    if tenure is not None:
        stmt = stmt.where(Residence.tenure == tenure)
    return stmt


# ── Publishing ────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Draft:
    title: str
    body: str
    community_id: int | None = None
    compound_id: int | None = None
    building_ids: Sequence[int] = ()
    audience: NoticeAudience = NoticeAudience.ALL
    requires_acknowledgement: bool = False


async def publish_notice(*, session: AsyncSession, viewer: Viewer, draft: Draft, now: datetime) -> Notice:
    title = clean_text(draft.title, MAX_TITLE, ErrorCode.INVALID_TITLE, "通知标题")
    body = clean_text(draft.body, MAX_BODY, ErrorCode.INVALID_BODY, "通知正文")
    publisher = await publisher_for(session=session, viewer=viewer, community_id=draft.community_id)
    target = await checked_target(
        session=session,
        target=Target(
            publisher.community_id, draft.compound_id, draft.building_ids, NoticeAudience(draft.audience)
        ),
    )
    notice = Notice(
        community_id=publisher.community_id,
        publisher_id=viewer.person_id,
        organisation_id=publisher.organisation_id,
        compound_id=target.compound_id,
        audience=target.audience.value,
        title=title,
        body=body,
        requires_acknowledgement=draft.requires_acknowledgement,
        published_at=now,
        households=0,
    )
    session.add(notice)
    await session.flush()
    if target.building_ids:
        await session.execute(
            insert(NoticeBuilding),
            [{"notice_id": notice.id, "building_id": pk} for pk in target.building_ids],
        )
    reached = reached_residences(
        community_id=target.community_id,
        compound_id=target.compound_id,
        building_ids=target.building_ids,
        audience=target.audience.value,
    ).subquery()
    # One receipt per household, however many of its units the notice aimed at.
    households = select(literal(notice.id), reached.c.household_id).distinct()
    written = await session.execute(
        insert(NoticeReceipt).from_select(["notice_id", "household_id"], households)
    )
    if written.rowcount == 0:
        raise DomainFailure(ErrorCode.NO_HOUSEHOLDS, "所选范围内没有登记的住户，通知未发布")
    notice.households = written.rowcount
    await session.flush()
    gid = notice_global_id(notice.id)
    people = await session.scalars(
        select(Person.id)
        .join(NoticeReceipt, NoticeReceipt.household_id == Person.household_id)
        .where(NoticeReceipt.notice_id == notice.id)
    )
    await notifications.notify(
        session=session,
        person_ids=people,
        kind=NotificationKind.NOTICE,
        title=title,
        body=body[:INBOX_BODY],
        subject_id=gid,
    )
    await audit.record(
        session=session,
        action="notice.publish",
        object_id=gid,
        community_id=notice.community_id,
        after={
            "title": title,
            "audience": notice.audience,
            "compoundId": None
            if target.compound_id is None
            else audit.global_id("Compound", target.compound_id),
            "buildingIds": [audit.global_id("Building", pk) for pk in target.building_ids],
            "organisationId": None
            if publisher.organisation_id is None
            else audit.global_id("Organisation", publisher.organisation_id),
            "requiresAcknowledgement": notice.requires_acknowledgement,
            "households": notice.households,
        },
    )
    return notice


# ── Who sees a notice ─────────────────────────────────────────────────────────


async def household_of(*, session: AsyncSession, person_id: int) -> int | None:
    """Read on every use: a person who moves out stops seeing their old household's notices."""
    return await session.scalar(select(Person.household_id).where(Person.id == person_id))


async def publishes(*, session: AsyncSession, viewer: Viewer, notice: Notice) -> bool:
    """The publisher side: the office of its community, members of the 居委会 it was published for."""
    if is_office(viewer, notice.community_id):
        return True
    if notice.organisation_id is None:
        return False
    organisations = await member_organisations(session=session, person_id=viewer.person_id)
    return notice.organisation_id in organisations


async def receipt_of(
    *, session: AsyncSession, notice_id: int, household_id: int | None
) -> NoticeReceipt | None:
    if household_id is None:
        return None
    return await session.get(NoticeReceipt, (notice_id, household_id))


async def notice_seen_by(*, session: AsyncSession, viewer: Viewer | None, notice_id: int) -> Notice | None:
    """The notice if the viewer may see it; None otherwise (absent or not theirs: not told apart)."""
    return (await notices_seen_by(session=session, viewer=viewer, ids=[notice_id]))[0]


async def notices_seen_by(
    *, session: AsyncSession, viewer: Viewer | None, ids: Sequence[int]
) -> list[Notice | None]:
    """`notice_seen_by` of many notices at once (a list of ids asked by alias): the same rule, in at
    most four statements however many there are."""
    if viewer is None:
        return [None] * len(ids)
    notices = in_order(await session.scalars(select(Notice).where(Notice.id.in_(list(ids)))), ids)
    found = [notice for notice in notices if notice is not None]
    # The publisher side: the office of its community, members of the 居委会 it was published for.
    seen = {notice.id for notice in found if is_office(viewer, notice.community_id)}
    if any(notice.organisation_id is not None for notice in found if notice.id not in seen):
        organisations = await member_organisations(session=session, person_id=viewer.person_id)
        seen |= {notice.id for notice in found if notice.organisation_id in organisations}
    # The people of a household it reached.
    rest = [notice.id for notice in found if notice.id not in seen]
    household_id = await household_of(session=session, person_id=viewer.person_id) if rest else None
    if household_id is not None:
        seen |= set(
            await session.scalars(
                select(NoticeReceipt.notice_id).where(
                    NoticeReceipt.household_id == household_id, NoticeReceipt.notice_id.in_(rest)
                )
            )
        )
    return [notice if notice is not None and notice.id in seen else None for notice in notices]


# ── A household reads and acknowledges ───────────────────────────────────────


@dataclass(frozen=True)
class Reading:
    """A household's receipt of a notice, as one of its people sees it."""

    notice: Notice
    receipt: NoticeReceipt


async def reached_receipt(
    *, session: AsyncSession, viewer: Viewer, notice_id: int
) -> tuple[Notice, NoticeReceipt, int]:
    household_id = await household_of(session=session, person_id=viewer.person_id)
    receipt = await receipt_of(session=session, notice_id=notice_id, household_id=household_id)
    if receipt is None:
        raise NotFound("该通知")
    return await session.get(Notice, notice_id), receipt, household_id


async def _set_receipt(
    *, session: AsyncSession, notice_id: int, household_id: int, where, values: dict
) -> bool:
    """One conditional UPDATE: two people of a household reading at once cannot both be first."""
    changed = await session.scalar(
        update(NoticeReceipt)
        .where(NoticeReceipt.notice_id == notice_id, NoticeReceipt.household_id == household_id, where)
        .values(**values)
        .returning(NoticeReceipt.notice_id)
        .execution_options(populate_existing=True)
    )
    return changed is not None


async def _inbox_read(*, session: AsyncSession, person_id: int, notice_id: int, now: datetime) -> bool:
    """Reading the notice also reads the person's inbox row of it (its unread count follows)."""
    marked = await session.scalars(
        update(Notification)
        .where(
            Notification.person_id == person_id,
            Notification.kind == NotificationKind.NOTICE.value,
            Notification.subject_id == notice_global_id(notice_id),
            Notification.read_at.is_(None),
        )
        .values(read_at=now)
        .returning(Notification.id)
    )
    return bool(marked.all())


async def _record_reading(
    *, session: AsyncSession, action: str, notice: Notice, household_id: int, receipt: bool, inbox: bool
) -> None:
    """One audit row when the reading changed something: the household's receipt, or only the
    reader's own inbox row (a second person of the household reading); a repeat writes none."""
    if receipt or inbox:
        await audit.record(
            session=session,
            action=action,
            object_id=notice_global_id(notice.id),
            community_id=notice.community_id,
            after={
                "householdId": audit.global_id("Household", household_id),
                "receipt": receipt,
                "inbox": inbox,
            },
        )


async def mark_notice_read(
    *, session: AsyncSession, viewer: Viewer, notice_id: int, now: datetime
) -> Reading:
    """The household's first reading is kept: a repeat, or another of its people, changes nothing."""
    notice, receipt, household_id = await reached_receipt(session=session, viewer=viewer, notice_id=notice_id)
    marked = await _set_receipt(
        session=session,
        notice_id=notice_id,
        household_id=household_id,
        where=NoticeReceipt.read_at.is_(None),
        values={"read_at": now, "read_by": viewer.person_id},
    )
    inbox = await _inbox_read(session=session, person_id=viewer.person_id, notice_id=notice_id, now=now)
    await _record_reading(
        session=session,
        action="notice.read",
        notice=notice,
        household_id=household_id,
        receipt=marked,
        inbox=inbox,
    )
    await session.refresh(receipt)
    return Reading(notice, receipt)


async def acknowledge_notice(
    *, session: AsyncSession, viewer: Viewer, notice_id: int, now: datetime
) -> Reading:
    """Acknowledging reads it too (if no one of the household had); a repeat changes nothing."""
    notice, receipt, household_id = await reached_receipt(session=session, viewer=viewer, notice_id=notice_id)
    if not notice.requires_acknowledgement:
        raise DomainFailure(ErrorCode.ACKNOWLEDGEMENT_NOT_REQUIRED, "该通知无需确认回执")
    acknowledged = await _set_receipt(
        session=session,
        notice_id=notice_id,
        household_id=household_id,
        where=NoticeReceipt.acknowledged_at.is_(None),
        values={
            "acknowledged_at": now,
            "acknowledged_by": viewer.person_id,
            # Evaluated on the row as it was: an earlier reading stays the household's first.
            "read_at": func.coalesce(NoticeReceipt.read_at, now),
            "read_by": func.coalesce(NoticeReceipt.read_by, viewer.person_id),
        },
    )
    inbox = await _inbox_read(session=session, person_id=viewer.person_id, notice_id=notice_id, now=now)
    await _record_reading(
        session=session,
        action="notice.acknowledge",
        notice=notice,
        household_id=household_id,
        receipt=acknowledged,
        inbox=inbox,
    )
    await session.refresh(receipt)
    return Reading(notice, receipt)


# ── Lists ─────────────────────────────────────────────────────────────────────


async def my_notices(
    *, session: AsyncSession, viewer: Viewer, first: int, after: Sequence | None
) -> Page[Reading]:
    """The notices that reached the viewer's household, newest first."""
    household_id = await household_of(session=session, person_id=viewer.person_id)
    if household_id is None:
        return Page(items=[], keys=[], has_next=False)
    stmt = (
        select(Notice, NoticeReceipt)
        .join(NoticeReceipt, NoticeReceipt.notice_id == Notice.id)
        .where(NoticeReceipt.household_id == household_id)
    )
    # Both entities of each row (keyset_page keeps only the first), so the keyset is applied here.
    key = [Notice.published_at, Notice.id]
    if after is not None:
        stmt = stmt.where(tuple_(*key) < tuple_(*after))
    rows = (await session.execute(stmt.order_by(*(column.desc() for column in key)).limit(first + 1))).all()
    items = [Reading(notice, receipt) for notice, receipt in rows[:first]]
    keys = [(item.notice.published_at, item.notice.id) for item in items]
    return Page(items=items, keys=keys, has_next=len(rows) > first)


@dataclass(frozen=True)
class HouseholdReceipt:
    """One household's receipt, as the publishers see it."""

    household_id: int
    address: str
    read_at: datetime | None
    reader_name: str | None
    acknowledged_at: datetime | None


@dataclass(frozen=True)
class Totals:
    households: int
    read: int
    acknowledged: int


async def published_notice(*, session: AsyncSession, viewer: Viewer, notice_id: int) -> Notice:
    notice = await session.get(Notice, notice_id)
    if notice is None or not await publishes(session=session, viewer=viewer, notice=notice):
        raise NotFound("该通知")
    return notice


async def read_receipts(
    *,
    session: AsyncSession,
    viewer: Viewer,
    notice_id: int,
    first: int,
    after: Sequence | None,
    unread_only: bool,
) -> tuple[Notice, Page[HouseholdReceipt]]:
    """The households reached, by address: whom staff may call because no one of it has read it."""
    notice = await published_notice(session=session, viewer=viewer, notice_id=notice_id)
    stmt = (
        select(
            NoticeReceipt.household_id,
            Household.address,
            NoticeReceipt.read_at,
            Person.name,
            NoticeReceipt.acknowledged_at,
        )
        .join(Household, Household.id == NoticeReceipt.household_id)
        .outerjoin(Person, Person.id == NoticeReceipt.read_by)
        .where(NoticeReceipt.notice_id == notice_id)
    )
    if unread_only:
        stmt = stmt.where(NoticeReceipt.read_at.is_(None))
    # Whole rows, not one entity (what keyset_page keeps), so the keyset is applied here.
    key = [Household.address, NoticeReceipt.household_id]
    if after is not None:
        stmt = stmt.where(tuple_(*key) > tuple_(*after))
    rows = (await session.execute(stmt.order_by(*key).limit(first + 1))).all()
    items = [HouseholdReceipt(*row) for row in rows[:first]]
    keys = [(item.address, item.household_id) for item in items]
    return notice, Page(items=items, keys=keys, has_next=len(rows) > first)


async def receipt_totals(*, session: AsyncSession, notice_id: int) -> Totals:
    row = (
        await session.execute(
            select(
                func.count(), func.count(NoticeReceipt.read_at), func.count(NoticeReceipt.acknowledged_at)
            ).where(NoticeReceipt.notice_id == notice_id)
        )
    ).one()
    return Totals(households=row[0], read=row[1], acknowledged=row[2])


@dataclass(frozen=True)
class ReachedUnit:
    household_id: int
    unit: Unit
    building: Building
    tenure: str


async def units_reached(
    *, session: AsyncSession, notice: Notice, household_ids: Sequence[int]
) -> dict[int, list[ReachedUnit]]:
    """The units through which each household is reached, as residences stand now."""
    if not household_ids:
        return {}
    building_ids = (
        await session.scalars(select(NoticeBuilding.building_id).where(NoticeBuilding.notice_id == notice.id))
    ).all()
    reached = reached_residences(
        community_id=notice.community_id,
        compound_id=notice.compound_id,
        building_ids=building_ids,
        audience=notice.audience,
    ).where(Residence.household_id.in_(list(household_ids)))
    stmt = reached.add_columns(Unit, Building).order_by(Residence.household_id, Building.name, Unit.name)
    result: dict[int, list[ReachedUnit]] = {pk: [] for pk in household_ids}
    for household_id, _unit_id, tenure, unit, building in await session.execute(stmt):
        result[household_id].append(ReachedUnit(household_id, unit, building, tenure))
    return result


# ── Batch reads (resolvers.affairs.loaders) ──────────────────────────────────


async def buildings_of_notices(*, session: AsyncSession, ids: Sequence[int]) -> list[list[Building]]:
    rows = await session.execute(
        select(NoticeBuilding.notice_id, Building)
        .join(Building, Building.id == NoticeBuilding.building_id)
        .where(NoticeBuilding.notice_id.in_(list(ids)))
        .order_by(Building.name, Building.id)
    )
    groups: dict[int, list[Building]] = {pk: [] for pk in ids}
    for notice_id, building in rows:
        groups[notice_id].append(building)
    return [groups[pk] for pk in ids]
