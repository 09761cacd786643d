"""The centre's own operations: classes, the weekly timetable, closing a session, carers on duty.

CHILDCARE_STAFF of the centre's community and ADMIN run a centre; to staff of another community it is
NotFound (not theirs to change: the two are not told apart).
The national class rules are CHECK constraints; the carer ratio is a trigger on the session
(migration 0018): this module names what the database refused. Every change is one audit row in
the change's transaction; what it tells guardians goes to their inbox in the same transaction.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, time
from typing import Any

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncSession

from models.childcare import (
    WITHIN_CARER_RATIO,
    BookingStatus,
    ChildcareBooking,
    ChildcareCenter,
    ChildcareClass,
    ChildcareSession,
    ChildGuardian,
    SessionCarer,
    TimetableCarer,
    TimetableEntry,
)
from models.notifications import NotificationKind
from models.people import Person, PersonRole, Role
from resolvers import audit
from resolvers.actor import Viewer
from resolvers.childcare.base import is_childcare_staff
from resolvers.childcare.bookings import places, promote_from_waitlist, session_with_center
from resolvers.childcare.sessions import generate_sessions
from resolvers.clock import SHANGHAI
from resolvers.errors import DomainFailure, ErrorCode, NotFound, flush_or_fail, savepoint
from resolvers.notifications import notify

CARE_TYPE_NAMES = {"FULL_DAY": "全日托", "HALF_DAY": "半日托", "HOURLY": "计时托", "OCCASIONAL": "临时托"}
HOLDING = (BookingStatus.CONFIRMED.value, BookingStatus.WAITLISTED.value)
SMALLINT = range(-32768, 32768)


def _staff_only(viewer: Viewer, center: ChildcareCenter, what: str) -> None:
    if not is_childcare_staff(viewer, center):
        raise NotFound(what)


def gid(type_name: str, pk: int) -> str:
    return audit.global_id(type_name, pk)


def describe(slot: ChildcareSession) -> str:
    """12月07日 08:00–17:00 全日托: a session as people read it."""
    start, end = slot.period.lower.astimezone(SHANGHAI), slot.period.upper.astimezone(SHANGHAI)
    return (
        f"{slot.day:%m月%d日} {start:%H:%M}–{end:%H:%M} {CARE_TYPE_NAMES.get(slot.care_type, slot.care_type)}"
    )


# ── Classes ───────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class ClassInput:
    name: str | None = None
    kind: str | None = None
    min_age_months: int | None = None
    max_age_months: int | None = None
    capacity: int | None = None
    carer_ratio: int | None = None


def class_snapshot(klass: ChildcareClass) -> dict[str, Any]:
    return {
        "name": klass.name,
        "kind": klass.kind,
        "minAgeMonths": klass.min_age_months,
        "maxAgeMonths": klass.max_age_months,
        "capacity": klass.capacity,
        "carerRatio": klass.carer_ratio,
    }


CLASS_RULES = {
    "ck_childcare_classes_national_rules": lambda: DomainFailure(
        ErrorCode.NATIONAL_CLASS_RULES,
        "班级不符合国家标准（国卫人口发〔2019〕58号）：乳儿班 6–12 个月、≤10 人、1:3；"
        "托小班 12–24 个月、≤15 人、1:5；托大班 24–36 个月、≤20 人、1:7；混合班 18–36 个月、≤18 人、1:7",
    ),
    "ck_childcare_classes_sane": lambda: DomainFailure(
        ErrorCode.INVALID_CLASS, "最小月龄须小于最大月龄，班级人数和师幼比须大于 0"
    ),
    "uq_childcare_classes_center_name": lambda: DomainFailure(
        ErrorCode.CLASS_NAME_TAKEN, "本中心已有同名班级"
    ),
    "ck_childcare_sessions_capacity_within_class": lambda: DomainFailure(
        ErrorCode.CLASS_SIZE_EXCEEDED, "已有时段的名额超过新的班级人数：请先调整课表"
    ),
    WITHIN_CARER_RATIO: lambda: DomainFailure(
        ErrorCode.CARER_RATIO_EXCEEDED,
        "按新的师幼比，已有时段的照护人员不足以照护已确认的孩子：请先增派照护人员",
    ),
}


def _checked(data: ClassInput) -> None:
    if data.name is not None and (not data.name.strip() or len(data.name.strip()) > 100):
        raise DomainFailure(ErrorCode.INVALID_NAME, "请填写班级名称（100 字以内）")
    numbers = (data.min_age_months, data.max_age_months, data.capacity, data.carer_ratio)
    if any(number is not None and number not in SMALLINT for number in numbers):
        raise DomainFailure(ErrorCode.INVALID_CLASS, "月龄、班级人数或师幼比超出范围")


async def create_class(
    *, session: AsyncSession, viewer: Viewer, center_id: int, data: ClassInput
) -> ChildcareClass:
    center = await session.get(ChildcareCenter, center_id)
    if center is None:
        raise NotFound("该托育机构")
    _staff_only(viewer, center, "该托育机构")
    _checked(data)
    klass = ChildcareClass(
        center_id=center.id,
        name=(data.name or "").strip(),
        kind=data.kind,
        min_age_months=data.min_age_months,
        max_age_months=data.max_age_months,
        capacity=data.capacity,
        carer_ratio=data.carer_ratio,
    )

    async with savepoint(session=session, meanings=CLASS_RULES):
        session.add(klass)
        await session.flush()
    await audit.record(
        session=session,
        action="childcare_class.create",
        object_id=gid("ChildcareClass", klass.id),
        community_id=center.community_id,
        after=class_snapshot(klass),
    )
    return klass


async def class_with_center(
    *, session: AsyncSession, viewer: Viewer, class_id: int
) -> tuple[ChildcareClass, ChildcareCenter]:
    """The class (row-locked: its timetable and rules change one edit at a time) and its centre."""
    row = (
        await session.execute(
            select(ChildcareClass, ChildcareCenter)
            .join(ChildcareCenter, ChildcareCenter.id == ChildcareClass.center_id)
            .where(ChildcareClass.id == class_id)
            .with_for_update(of=ChildcareClass)
        )
    ).first()
    if row is None:
        raise NotFound("该班级")
    _staff_only(viewer, row.ChildcareCenter, "该班级")
    return row.ChildcareClass, row.ChildcareCenter


async def update_class(
    *, session: AsyncSession, viewer: Viewer, class_id: int, change: ClassInput
) -> ChildcareClass:
    klass, center = await class_with_center(session=session, viewer=viewer, class_id=class_id)
    _checked(change)
    before = class_snapshot(klass)
    for field in fields(ClassInput):
        value = getattr(change, field.name)
        if value is not None:
            setattr(klass, field.name, value.strip() if field.name == "name" else value)

    # The class's size and ratio cascade into its sessions, whose constraints may refuse them.
    await flush_or_fail(session=session, meanings=CLASS_RULES)
    await audit.record(
        session=session,
        action="childcare_class.update",
        object_id=gid("ChildcareClass", klass.id),
        community_id=center.community_id,
        before=before,
        after=class_snapshot(klass),
    )
    return klass


# ── Carers ─────────────────────────────────────────────────────────────────────


async def check_carers(*, session: AsyncSession, center: ChildcareCenter, person_ids: Iterable[int]) -> None:
    """Carers are people of the centre's community holding CHILDCARE_STAFF, not disabled."""
    wanted = set(person_ids)
    if not wanted:
        return
    found = set(
        await session.scalars(
            select(Person.id)
            .join(
                PersonRole, and_(PersonRole.person_id == Person.id, PersonRole.role == Role.CHILDCARE_STAFF)
            )
            .where(
                Person.id.in_(wanted),
                Person.community_id == center.community_id,
                Person.disabled_at.is_(None),
            )
        )
    )
    if wanted - found:
        missing = ", ".join(sorted(gid("Person", pk) for pk in wanted - found))
        raise DomainFailure(
            ErrorCode.CARER_NOT_STAFF, f"照护人员须是该中心所在社区在职的托育人员（不符合：{missing}）"
        )


async def carers_of(*, session: AsyncSession, session_id: int) -> list[Person]:
    return list(
        await session.scalars(
            select(Person)
            .join(SessionCarer, SessionCarer.person_id == Person.id)
            .where(SessionCarer.session_id == session_id)
            .order_by(Person.name, Person.id)
        )
    )


@dataclass(frozen=True)
class SessionCarers:
    slot: ChildcareSession
    carers: list[Person]


def _carer_audit(slot: ChildcareSession, person_id: int) -> dict[str, Any]:
    return {
        "personId": gid("Person", person_id),
        "carers": slot.carer_count,
        "confirmed": slot.confirmed_count,
    }


async def _notify_promoted(
    *, session: AsyncSession, slot: ChildcareSession, promoted: Sequence[ChildcareBooking]
):
    if not promoted:
        return
    guardians = await session.scalars(
        select(ChildGuardian.person_id).where(ChildGuardian.child_id.in_([b.child_id for b in promoted]))
    )
    await notify(
        session=session,
        person_ids=guardians,
        kind=NotificationKind.CHILDCARE_WAITLIST_PROMOTED,
        title="候补已转为确认",
        body=f"{describe(slot)}有了空位，您孩子的候补预约已确认。",
        subject_id=gid("ChildcareSession", slot.id),
    )


async def assign_carer(
    *, session: AsyncSession, viewer: Viewer, session_id: int, person_id: int, now: datetime
) -> SessionCarers:
    """A carer on duty for the session; places it frees go at once to the waitlist, in line."""
    slot, klass, center = await session_with_center(session=session, session_id=session_id, lock=True)
    _staff_only(viewer, center, "该托育时段")
    if slot.cancelled_at is not None:
        raise DomainFailure(ErrorCode.SESSION_CANCELLED, "该时段已取消")
    if slot.period.upper <= now:
        raise DomainFailure(ErrorCode.SESSION_ENDED, "该时段已结束")
    await check_carers(session=session, center=center, person_ids=[person_id])
    async with savepoint(
        session=session,
        meanings={
            "pk_childcare_session_carers": lambda: DomainFailure(
                ErrorCode.CARER_ALREADY_ON_DUTY, "该照护人员已在此时段值班"
            )
        },
    ):
        await session.execute(insert(SessionCarer).values(session_id=slot.id, person_id=person_id))
    await session.refresh(slot, ["carer_count"])
    if slot.period.lower > now:
        promoted = await promote_from_waitlist(
            session=session, slot=slot, childcare_class=klass, all_places=True
        )
        await session.flush()
        await _notify_promoted(session=session, slot=slot, promoted=promoted)
    await audit.record(
        session=session,
        action="childcare_session.carer_assign",
        object_id=gid("ChildcareSession", slot.id),
        community_id=center.community_id,
        after=_carer_audit(slot, person_id),
    )
    return SessionCarers(slot, await carers_of(session=session, session_id=slot.id))


async def remove_carer(
    *, session: AsyncSession, viewer: Viewer, session_id: int, person_id: int, now: datetime
) -> SessionCarers:
    """Off duty; refused by the database when the carers left could not look after the confirmed children."""
    slot, _klass, center = await session_with_center(session=session, session_id=session_id, lock=True)
    _staff_only(viewer, center, "该托育时段")
    if slot.period.upper <= now:
        raise DomainFailure(ErrorCode.SESSION_ENDED, "该时段已结束")
    left = (slot.carer_count - 1) * slot.class_carer_ratio
    async with savepoint(
        session=session,
        meanings={
            WITHIN_CARER_RATIO: lambda: DomainFailure(
                ErrorCode.CARER_RATIO_EXCEEDED,
                f"移除后 {slot.carer_count - 1} 名照护人员按 1:{slot.class_carer_ratio} "
                f"最多照护 {max(left, 0)} 名孩子，但已确认 {slot.confirmed_count} 名："
                "请先增派照护人员或取消预约",
            )
        },
    ):
        removed = await session.scalar(
            delete(SessionCarer)
            .where(SessionCarer.session_id == slot.id, SessionCarer.person_id == person_id)
            .returning(SessionCarer.person_id)
        )
    if removed is None:
        raise DomainFailure(ErrorCode.CARER_NOT_ON_DUTY, "该人员不在此时段值班")
    await session.refresh(slot, ["carer_count"])
    await audit.record(
        session=session,
        action="childcare_session.carer_remove",
        object_id=gid("ChildcareSession", slot.id),
        community_id=center.community_id,
        before=_carer_audit(slot, person_id) | {"carers": slot.carer_count + 1},
        after=_carer_audit(slot, person_id),
    )
    return SessionCarers(slot, await carers_of(session=session, session_id=slot.id))


# ── Closing a session ──────────────────────────────────────────────────────────


async def cancel_session(
    *, session: AsyncSession, viewer: Viewer, session_id: int, reason: str, now: datetime
) -> ChildcareSession:
    """A closure: the session takes no more bookings, every booking still holding a place or a
    waitlist place is cancelled, and each child's guardians are told, all in one transaction."""
    slot, klass, center = await session_with_center(session=session, session_id=session_id, lock=True)
    _staff_only(viewer, center, "该托育时段")
    reason = reason.strip()
    if not reason or len(reason) > 200:
        raise DomainFailure(ErrorCode.REASON_REQUIRED, "请填写取消原因（200 字以内）")
    if slot.cancelled_at is not None:
        raise DomainFailure(ErrorCode.SESSION_CANCELLED, "该时段已取消")
    if slot.period.lower <= now:
        raise DomainFailure(ErrorCode.SESSION_STARTED, "该时段已开始，无法取消")
    before = {"cancelled": False, "booked": slot.confirmed_count}
    children = list(
        await session.scalars(
            update(ChildcareBooking)
            .where(ChildcareBooking.session_id == slot.id, ChildcareBooking.status.in_(HOLDING))
            .values(status=BookingStatus.CANCELLED.value, waitlist_sequence=None, cancelled_at=now)
            .returning(ChildcareBooking.child_id)
            .execution_options(synchronize_session=False)
        )
    )
    slot.confirmed_count = 0
    slot.cancelled_at = now
    slot.cancel_reason = reason
    await session.flush()
    if children:
        guardians = await session.scalars(
            select(ChildGuardian.person_id).where(ChildGuardian.child_id.in_(children))
        )
        await notify(
            session=session,
            person_ids=guardians,
            kind=NotificationKind.CHILDCARE_SESSION_CANCELLED,
            title="托育时段已取消",
            body=f"{center.name}{klass.name} {describe(slot)}已取消（{reason}），您孩子的预约已一并取消。",
            subject_id=gid("ChildcareSession", slot.id),
        )
    await audit.record(
        session=session,
        action="childcare_session.cancel",
        object_id=gid("ChildcareSession", slot.id),
        community_id=center.community_id,
        before=before,
        after={"cancelled": True, "reason": reason, "bookingsCancelled": len(children)},
    )
    return slot


# ── The weekly timetable ────────────────────────────────────────────────────────


@dataclass(frozen=True)
class EntryInput:
    weekday: int
    care_type: str
    starts_at: time
    ends_at: time
    capacity: int
    carer_ids: tuple[int, ...] = ()

    @property
    def slot(self) -> tuple[int, str, time]:
        return (self.weekday, self.care_type, self.starts_at)


def entry_snapshot(entry: TimetableEntry, carers: Iterable[int]) -> dict[str, Any]:
    return {
        "weekday": entry.weekday,
        "careType": entry.care_type,
        "startsAt": entry.starts_at.isoformat(),
        "endsAt": entry.ends_at.isoformat(),
        "capacity": entry.capacity,
        "carerIds": sorted(gid("Person", pk) for pk in carers),
    }


ENTRY_RULES = {
    "ck_childcare_timetable_sane": lambda: DomainFailure(
        ErrorCode.INVALID_TIMETABLE_ENTRY, "星期须为 1–7，开始时间须早于结束时间，名额须大于 0"
    ),
    "ck_childcare_sessions_capacity_within_class": lambda: DomainFailure(
        ErrorCode.CLASS_SIZE_EXCEEDED, "时段名额不能超过班级人数"
    ),
    WITHIN_CARER_RATIO: lambda: DomainFailure(
        ErrorCode.CARER_RATIO_EXCEEDED, "调整值班人员后，已有时段的照护人员不足以照护已确认的孩子"
    ),
}


async def _booked_sessions(
    *, session: AsyncSession, entry_ids: Sequence[int], now: datetime
) -> list[tuple[ChildcareSession, int, int]]:
    """The future, open sessions of these entries (row-locked, so no booking slips in) that hold
    confirmed or waitlisted bookings, with how many of each."""
    if not entry_ids:
        return []
    slots = list(
        await session.scalars(
            select(ChildcareSession)
            .where(
                ChildcareSession.timetable_id.in_(entry_ids),
                func.lower(ChildcareSession.period) > now,
                ChildcareSession.cancelled_at.is_(None),
            )
            .order_by(func.lower(ChildcareSession.period), ChildcareSession.id)
            .with_for_update()
        )
    )
    if not slots:
        return []
    counts = await session.execute(
        select(ChildcareBooking.session_id, ChildcareBooking.status, func.count())
        .where(ChildcareBooking.session_id.in_([s.id for s in slots]), ChildcareBooking.status.in_(HOLDING))
        .group_by(ChildcareBooking.session_id, ChildcareBooking.status)
    )
    held: dict[int, dict[str, int]] = {}
    for session_id, status, count in counts:
        held.setdefault(session_id, {})[status] = count
    return [
        (slot, held[slot.id].get(BookingStatus.CONFIRMED.value, 0), held[slot.id].get("WAITLISTED", 0))
        for slot in slots
        if slot.id in held
    ]


async def set_timetable(
    *, session: AsyncSession, viewer: Viewer, class_id: int, entries: Sequence[EntryInput], now: datetime
) -> ChildcareClass:
    """The class's weekly timetable becomes `entries`. An entry kept as it was keeps its sessions
    (a change of its carers reaches its future sessions); a removed or changed entry's future
    sessions go, and new ones are generated for the booking horizon — but never sessions that
    hold confirmed or waitlisted bookings: then nothing changes (TIMETABLE_SESSIONS_BOOKED names
    them) until staff cancel those sessions (childcareSessionCancel)."""
    klass, center = await class_with_center(session=session, viewer=viewer, class_id=class_id)
    slots = [entry.slot for entry in entries]
    if len(set(slots)) != len(slots):
        raise DomainFailure(ErrorCode.DUPLICATE_TIMETABLE_ENTRY, "同一星期、托育类型和开始时间只能有一个时段")
    if any(entry.weekday not in SMALLINT or entry.capacity not in SMALLINT for entry in entries):
        raise DomainFailure(ErrorCode.INVALID_TIMETABLE_ENTRY, "星期须为 1–7，名额须大于 0")
    await check_carers(session=session, center=center, person_ids={pk for e in entries for pk in e.carer_ids})
    existing = list(
        await session.scalars(
            select(TimetableEntry).where(TimetableEntry.class_id == klass.id).order_by(TimetableEntry.id)
        )
    )
    carers: dict[int, set[int]] = {entry.id: set() for entry in existing}
    for timetable_id, person_id in await session.execute(
        select(TimetableCarer.timetable_id, TimetableCarer.person_id).where(
            TimetableCarer.timetable_id.in_(list(carers))
        )
    ):
        carers[timetable_id].add(person_id)
    wanted = {entry.slot: entry for entry in entries}
    kept, gone = [], []
    for entry in existing:
        new = wanted.get((entry.weekday, entry.care_type, entry.starts_at))
        same = new is not None and (new.ends_at, new.capacity) == (entry.ends_at, entry.capacity)
        (kept if same else gone).append(entry)
    before = [entry_snapshot(entry, carers[entry.id]) for entry in existing]
    booked = await _booked_sessions(session=session, entry_ids=[entry.id for entry in gone], now=now)
    if booked:
        named = "；".join(f"{describe(slot)}（确认 {c}、候补 {w}）" for slot, c, w in booked[:10])
        more = f" 等 {len(booked)} 个时段" if len(booked) > 10 else ""
        raise DomainFailure(
            ErrorCode.TIMETABLE_SESSIONS_BOOKED,
            f"以下时段已有预约，不能随课表删除或修改：{named}{more}。请先取消这些时段（childcareSessionCancel）。",
        )
    kept_slots = {(entry.weekday, entry.care_type, entry.starts_at) for entry in kept}

    async def write() -> None:
        gone_ids = [entry.id for entry in gone]
        if gone_ids:
            future = and_(
                ChildcareSession.timetable_id.in_(gone_ids),
                func.lower(ChildcareSession.period) > now,
                ChildcareSession.cancelled_at.is_(None),
            )
            unbooked = (
                ~select(ChildcareBooking.id)
                .where(ChildcareBooking.session_id == ChildcareSession.id)
                .exists()
            )
            # Never booked: they go. Booked once (all cancelled since): closed, their history kept.
            await session.execute(delete(ChildcareSession).where(future, unbooked))
            await session.execute(
                update(ChildcareSession)
                .where(future)
                .values(cancelled_at=now, cancel_reason="课表调整")
                .execution_options(synchronize_session=False)
            )
            await session.execute(delete(TimetableEntry).where(TimetableEntry.id.in_(gone_ids)))
        for entry in kept:
            new = wanted[(entry.weekday, entry.care_type, entry.starts_at)]
            await _sync_carers(
                session=session, entry=entry, old=carers[entry.id], new=set(new.carer_ids), now=now
            )
        for new in entries:
            if new.slot in kept_slots:
                continue
            entry_id = await session.scalar(
                insert(TimetableEntry)
                .values(
                    class_id=klass.id,
                    weekday=new.weekday,
                    care_type=new.care_type,
                    starts_at=new.starts_at,
                    ends_at=new.ends_at,
                    capacity=new.capacity,
                )
                .returning(TimetableEntry.id)
            )
            if new.carer_ids:
                await session.execute(
                    insert(TimetableCarer),
                    [{"timetable_id": entry_id, "person_id": pk} for pk in sorted(set(new.carer_ids))],
                )
        await generate_sessions(session=session, now=now, class_id=klass.id)

    async with savepoint(session=session, meanings=ENTRY_RULES):
        await write()
    await _give_freed_places(session=session, klass=klass, now=now)
    after = [
        {
            "weekday": e.weekday,
            "careType": e.care_type,
            "startsAt": e.starts_at.isoformat(),
            "endsAt": e.ends_at.isoformat(),
            "capacity": e.capacity,
            "carerIds": sorted(gid("Person", pk) for pk in set(e.carer_ids)),
        }
        for e in entries
    ]
    await audit.record(
        session=session,
        action="childcare_timetable.set",
        object_id=gid("ChildcareClass", klass.id),
        community_id=center.community_id,
        before={"entries": before},
        after={"entries": after},
    )
    return klass


async def _give_freed_places(*, session: AsyncSession, klass: ChildcareClass, now: datetime) -> None:
    """Carers a timetable puts on duty raise its future sessions' places: as childcareSessionCarerAssign
    does, the places go at once to each session's waitlist, in line, under the session's row lock
    (taken in id order, as no other change takes several), and the guardians are told."""
    waiting = select(ChildcareBooking.session_id).where(
        ChildcareBooking.status == BookingStatus.WAITLISTED.value
    )
    slots = await session.scalars(
        select(ChildcareSession)
        .where(
            ChildcareSession.class_id == klass.id,
            func.lower(ChildcareSession.period) > now,
            ChildcareSession.cancelled_at.is_(None),
            ChildcareSession.id.in_(waiting),
        )
        .order_by(ChildcareSession.id)
        .with_for_update()
        .execution_options(populate_existing=True)  # carer_count as the roster's triggers left it
    )
    for slot in slots.all():
        promoted = await promote_from_waitlist(
            session=session, slot=slot, childcare_class=klass, all_places=True
        )
        await session.flush()
        await _notify_promoted(session=session, slot=slot, promoted=promoted)


async def _sync_carers(
    *, session: AsyncSession, entry: TimetableEntry, old: set[int], new: set[int], now: datetime
) -> None:
    """A kept entry's carers change: so do its future, open sessions' rosters (carers added join
    each; carers taken off leave each, unless the ratio then breaks: the database refuses)."""
    added, removed = new - old, old - new
    future = select(ChildcareSession.id).where(
        ChildcareSession.timetable_id == entry.id,
        func.lower(ChildcareSession.period) > now,
        ChildcareSession.cancelled_at.is_(None),
    )
    if removed:
        await session.execute(
            delete(TimetableCarer).where(
                TimetableCarer.timetable_id == entry.id, TimetableCarer.person_id.in_(removed)
            )
        )
        await session.execute(
            delete(SessionCarer).where(
                SessionCarer.session_id.in_(future), SessionCarer.person_id.in_(removed)
            )
        )
    if added:
        await session.execute(
            insert(TimetableCarer), [{"timetable_id": entry.id, "person_id": pk} for pk in sorted(added)]
        )
        sessions = future.subquery()
        rows = select(sessions.c.id, Person.id).select_from(sessions).join(Person, Person.id.in_(added))
        await session.execute(
            upsert(SessionCarer).from_select(["session_id", "person_id"], rows).on_conflict_do_nothing()
        )


__all__ = [
    "ClassInput",
    "EntryInput",
    "SessionCarers",
    "assign_carer",
    "cancel_session",
    "carers_of",
    "create_class",
    "places",
    "remove_carer",
    "set_timetable",
    "update_class",
]
