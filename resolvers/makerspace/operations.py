"""The space's staff run it: its resources (create, update, retire), its rules, and block-outs of
a resource's time for maintenance.

Who: MAKERSPACE_STAFF of the space's community and ADMIN; for anyone else with those roles the
space, resource or block-out does not exist (NotFound). What must hold is the database's: each
rule and each resource field is a CHECK, a resource's name is unique in its space, and the
exclusion constraint of `resource_holds` keeps a block-out and a reservation of one resource from
overlapping, whichever comes first. Retiring or blocking takes the resource row FOR UPDATE, which a
reservation being made holds a key-share lock on (its foreign key): the two wait for each other,
so the operation sees (and cancels) every reservation committed before it, and a reservation made
after it meets the block-out (SLOT_TAKEN) or the retirement (NOT_FOUND). Every change is audited,
and every holder whose reservation it cancels is told, in the same transaction.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import Range
from sqlalchemy.ext.asyncio import AsyncSession

from models.makerspace import (
    MAX_CAPACITY,
    MAX_POSITION,
    RULE_CONSTRAINTS,
    MakerSpace,
    Reservation,
    ReservationStatus,
    Resource,
    ResourceBlockOut,
)
from models.notifications import NotificationKind
from resolvers import audit
from resolvers.actor import Viewer
from resolvers.clock import SHANGHAI
from resolvers.errors import DomainFailure, ErrorCode, NotFound, flush_or_fail
from resolvers.makerspace.spaces import is_space_staff
from resolvers.notifications import notify

SMALLINT = range(-(2**15), 2**15)
MAX_REASON = 200  # characters: the reason is quoted in the holders' notifications


def _failure(code: ErrorCode, message: str):
    return lambda: DomainFailure(code, message)


# ── Who runs what ────────────────────────────────────────────────────────────


async def space_run_by(*, session: AsyncSession, viewer: Viewer, space_id: int) -> MakerSpace:
    """The space, if the viewer staffs it; NotFound otherwise. Locked FOR NO KEY UPDATE: one change
    of it at a time, while reservations (a key-share lock, for their foreign key) go on."""
    space = await session.scalar(
        select(MakerSpace).where(MakerSpace.id == space_id).with_for_update(key_share=True)
    )
    if space is None or not is_space_staff(viewer, space):
        raise NotFound("该创客空间")
    return space


async def resource_run_by(
    *, session: AsyncSession, viewer: Viewer, resource_id: int
) -> tuple[Resource, MakerSpace]:
    """The resource (locked FOR UPDATE: reservations being made wait, and are waited for) and its
    space, if the viewer staffs the space; NotFound otherwise."""
    row = (
        await session.execute(
            select(Resource, MakerSpace)
            .join(MakerSpace, MakerSpace.id == Resource.space_id)
            .where(Resource.id == resource_id)
            .with_for_update(of=Resource)
        )
    ).first()
    if row is None or not is_space_staff(viewer, row.MakerSpace):
        raise NotFound("该座位或房间")
    return row.Resource, row.MakerSpace


def in_use(resource: Resource) -> None:
    if not resource.active:
        raise DomainFailure(ErrorCode.RESOURCE_RETIRED, f"{resource.name}已停用")


# ── Resources ────────────────────────────────────────────────────────────────

RESOURCE_FAILURES = {
    "uq_resources_space_name": _failure(
        ErrorCode.RESOURCE_NAME_TAKEN, "本空间已有同名的座位或房间（含已停用的）"
    ),
    "ck_resources_capacity_fits_kind": _failure(
        ErrorCode.INVALID_CAPACITY, f"容纳人数须为 1–{MAX_CAPACITY}，工位只能为 1"
    ),
    "ck_resources_capacity_at_most": _failure(
        ErrorCode.INVALID_CAPACITY, f"容纳人数须为 1–{MAX_CAPACITY}，工位只能为 1"
    ),
    "ck_resources_position_range": _failure(ErrorCode.INVALID_POSITION, f"显示顺序须为 0–{MAX_POSITION}"),
    "ck_resources_name_not_blank": _failure(ErrorCode.INVALID_NAME, "请填写名称（100 字以内）"),
    "ck_resources_retired_with_reason": _failure(ErrorCode.REASON_REQUIRED, "请填写停用原因"),
}


def resource_global_id(resource_id: int) -> str:
    return audit.global_id("Resource", resource_id)


def resource_snapshot(resource: Resource) -> dict[str, Any]:
    return {
        "spaceId": resource.space_id,
        "name": resource.name,
        "kind": resource.kind,
        "capacity": resource.capacity,
        "features": list(resource.features),
        "position": resource.position,
        "active": resource.active,
        "retiredReason": resource.retired_reason,
    }


def _name(raw: str) -> str:
    name = raw.strip()
    if not name or len(name) > 100:
        raise DomainFailure(ErrorCode.INVALID_NAME, "请填写名称（100 字以内）")
    return name


def _small(value: int, code: ErrorCode, message: str) -> int:
    """A number the column (a smallint) can hold; beyond it, the failure its CHECK would give."""
    if value not in SMALLINT:
        raise DomainFailure(code, message)
    return value


def _capacity(value: int) -> int:
    return _small(value, ErrorCode.INVALID_CAPACITY, f"容纳人数须为 1–{MAX_CAPACITY}，工位只能为 1")


def _position(value: int) -> int:
    return _small(value, ErrorCode.INVALID_POSITION, f"显示顺序须为 0–{MAX_POSITION}")


def _features(values: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(values))


@dataclass(frozen=True)
class ResourceInput:
    space_id: int
    name: str
    kind: str
    capacity: int
    features: Sequence[str] = ()
    position: int | None = None  # None: after the space's last


async def create_resource(*, session: AsyncSession, viewer: Viewer, data: ResourceInput) -> Resource:
    space = await space_run_by(session=session, viewer=viewer, space_id=data.space_id)
    position = data.position
    if position is None:
        last = await session.scalar(select(func.max(Resource.position)).where(Resource.space_id == space.id))
        position = min((last if last is not None else -1) + 1, MAX_POSITION)
    resource = Resource(
        space_id=space.id,
        name=_name(data.name),
        kind=data.kind,
        capacity=_capacity(data.capacity),
        features=_features(data.features),
        position=_position(position),
        active=True,
    )
    session.add(resource)
    await flush_or_fail(session=session, meanings=RESOURCE_FAILURES)
    await audit.record(
        session=session,
        action="resource.create",
        object_id=resource_global_id(resource.id),
        community_id=space.community_id,
        after=resource_snapshot(resource),
    )
    return resource


@dataclass(frozen=True)
class ResourceChange:
    """What to change: None leaves a field as it is."""

    name: str | None = None
    kind: str | None = None
    capacity: int | None = None
    features: Sequence[str] | None = None
    position: int | None = None


async def update_resource(
    *, session: AsyncSession, viewer: Viewer, resource_id: int, change: ResourceChange
) -> Resource:
    resource, space = await resource_run_by(session=session, viewer=viewer, resource_id=resource_id)
    in_use(resource)
    before = resource_snapshot(resource)
    if change.name is not None:
        resource.name = _name(change.name)
    if change.kind is not None:
        resource.kind = change.kind
    if change.capacity is not None:
        resource.capacity = _capacity(change.capacity)
    if change.features is not None:
        resource.features = _features(change.features)
    if change.position is not None:
        resource.position = _position(change.position)
    await flush_or_fail(session=session, meanings=RESOURCE_FAILURES)
    await audit.record(
        session=session,
        action="resource.update",
        object_id=resource_global_id(resource.id),
        community_id=space.community_id,
        before=before,
        after=resource_snapshot(resource),
    )
    return resource


def _reason(raw: str) -> str:
    reason = raw.strip()
    if not reason or len(reason) > MAX_REASON:
        raise DomainFailure(ErrorCode.REASON_REQUIRED, f"请填写原因（{MAX_REASON} 字以内）")
    return reason


def _when(moment: datetime) -> str:
    return f"{moment.astimezone(SHANGHAI):%m月%d日 %H:%M}"


async def _cancel_reservations(
    *, session: AsyncSession, viewer: Viewer, now: datetime, where: Sequence
) -> list[Reservation]:
    """Cancel the CONFIRMED reservations `where` says, at once; CHECKED_IN ones are left alone."""
    cancelled = await session.scalars(
        update(Reservation)
        .where(Reservation.status == ReservationStatus.CONFIRMED.value, *where)
        .values(status=ReservationStatus.CANCELLED.value, cancelled_at=now, cancelled_by=viewer.person_id)
        .returning(Reservation)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return sorted(cancelled.all(), key=lambda reservation: (reservation.period.lower, reservation.id))


@dataclass
class Retired:
    resource: Resource
    cancelled: list[Reservation] = field(default_factory=list)


async def retire_resource(
    *, session: AsyncSession, viewer: Viewer, resource_id: int, reason: str, now: datetime
) -> Retired:
    """The resource leaves availability and takes no reservation again; its CONFIRMED reservations
    not yet over are cancelled and their holders told. Checked-in ones run to their end."""
    resource, space = await resource_run_by(session=session, viewer=viewer, resource_id=resource_id)
    in_use(resource)
    why = _reason(reason)
    before = resource_snapshot(resource)
    resource.active, resource.retired_at, resource.retired_reason = False, now, why
    await flush_or_fail(session=session, meanings=RESOURCE_FAILURES)
    cancelled = await _cancel_reservations(
        session=session,
        viewer=viewer,
        now=now,
        where=(Reservation.resource_id == resource.id, func.upper(Reservation.period) > now),
    )
    await notify(
        session=session,
        person_ids=[reservation.person_id for reservation in cancelled],
        kind=NotificationKind.RESERVATION_CANCELLED,
        title="预约已取消",
        body=f"{space.name}的{resource.name}自 {_when(now)} 起停用（{why}），您在该处此后的预约已取消。",
        subject_id=resource_global_id(resource.id),
    )
    await audit.record(
        session=session,
        action="resource.retire",
        object_id=resource_global_id(resource.id),
        community_id=space.community_id,
        before=before,
        after=resource_snapshot(resource) | {"cancelledReservations": _ids(cancelled)},
    )
    return Retired(resource, cancelled)


def _ids(reservations: Sequence[Reservation]) -> list[str]:
    return [audit.global_id("Reservation", reservation.id) for reservation in reservations]


# ── Block-outs ───────────────────────────────────────────────────────────────

BLOCK_OUT_FAILURES = {
    "ex_resource_block_outs_resource_period": _failure(
        ErrorCode.BLOCK_OUT_OVERLAPS, "该时段已有其他暂停使用安排"
    ),
    # What holds the time besides: a checked-in reservation (confirmed ones were just cancelled).
    "ex_resource_holds_resource_period": _failure(
        ErrorCode.RESOURCE_IN_USE, "该时段有已签到的预约正在使用，请先结束该预约"
    ),
    "ck_resource_block_outs_period_half_open": _failure(ErrorCode.INVALID_PERIOD, "结束时间必须晚于开始时间"),
    "ck_resource_block_outs_reason_not_blank": _failure(ErrorCode.REASON_REQUIRED, "请填写原因"),
}


def block_out_global_id(block_out_id: int) -> str:
    return audit.global_id("ResourceBlockOut", block_out_id)


def block_out_snapshot(block_out: ResourceBlockOut) -> dict[str, Any]:
    return {
        "resourceId": resource_global_id(block_out.resource_id),
        "start": block_out.period.lower.astimezone(SHANGHAI).isoformat(),
        "end": block_out.period.upper.astimezone(SHANGHAI).isoformat(),
        "reason": block_out.reason,
        "removed": block_out.removed_at is not None,
    }


@dataclass
class BlockedOut:
    block_out: ResourceBlockOut
    cancelled: list[Reservation] = field(default_factory=list)


async def block_out(
    *,
    session: AsyncSession,
    viewer: Viewer,
    resource_id: int,
    start: datetime,
    end: datetime,
    reason: str,
    now: datetime,
) -> BlockedOut:
    """The resource cannot be booked in [start, end): its CONFIRMED reservations then are cancelled
    and their holders told; a checked-in one refuses the block-out (RESOURCE_IN_USE)."""
    resource, space = await resource_run_by(session=session, viewer=viewer, resource_id=resource_id)
    in_use(resource)
    why = _reason(reason)
    if end <= start:
        raise DomainFailure(ErrorCode.INVALID_PERIOD, "结束时间必须晚于开始时间")
    if end <= now:
        raise DomainFailure(ErrorCode.IN_THE_PAST, "该时段已过")
    period = Range(start, end, bounds="[)")
    cancelled = await _cancel_reservations(
        session=session,
        viewer=viewer,
        now=now,
        where=(Reservation.resource_id == resource.id, Reservation.period.overlaps(period)),
    )
    made = ResourceBlockOut(
        resource_id=resource.id, space_id=space.id, period=period, reason=why, created_by=viewer.person_id
    )
    session.add(made)
    await flush_or_fail(session=session, meanings=BLOCK_OUT_FAILURES)
    await notify(
        session=session,
        person_ids=[reservation.person_id for reservation in cancelled],
        kind=NotificationKind.RESERVATION_CANCELLED,
        title="预约已取消",
        body=f"{space.name}的{resource.name}在 {_when(start)} 至 {_when(end)} 暂停使用（{why}），"
        "您在该时段的预约已取消。",
        subject_id=resource_global_id(resource.id),
    )
    await audit.record(
        session=session,
        action="resource.block_out",
        object_id=block_out_global_id(made.id),
        community_id=space.community_id,
        after=block_out_snapshot(made) | {"cancelledReservations": _ids(cancelled)},
    )
    return BlockedOut(made, cancelled)


async def remove_block_out(
    *, session: AsyncSession, viewer: Viewer, block_out_id: int, now: datetime
) -> ResourceBlockOut:
    """The time is bookable again (the row stays, marked removed). Not once it is over."""
    row = (
        await session.execute(
            select(ResourceBlockOut, MakerSpace)
            .join(MakerSpace, MakerSpace.id == ResourceBlockOut.space_id)
            .where(ResourceBlockOut.id == block_out_id)
            .with_for_update(of=ResourceBlockOut)
        )
    ).first()
    if row is None or not is_space_staff(viewer, row.MakerSpace):
        raise NotFound("该暂停使用安排")
    made, space = row.ResourceBlockOut, row.MakerSpace
    if made.removed_at is not None:
        raise DomainFailure(ErrorCode.BLOCK_OUT_REMOVED, "该暂停使用安排已撤销")
    if made.period.upper <= now:
        raise DomainFailure(ErrorCode.IN_THE_PAST, "该暂停使用安排已结束")
    before = block_out_snapshot(made)
    made.removed_at, made.removed_by = now, viewer.person_id
    await session.flush()
    await audit.record(
        session=session,
        action="resource.block_out_remove",
        object_id=block_out_global_id(made.id),
        community_id=space.community_id,
        before=before,
        after=block_out_snapshot(made),
    )
    return made


# ── The rules of a space ─────────────────────────────────────────────────────

# Each rule's CHECK → the failure it means (models.makerspace.RULE_CONSTRAINTS).
RULE_MESSAGES = {
    ErrorCode.INVALID_OPENING_HOURS: "开放时间须为 HH:MM，且早于关闭时间",
    ErrorCode.INVALID_SLOT_MINUTES: "时段长度须为 5–240 分钟，且能整除一天（如 15、30、60）",
    ErrorCode.HOURS_NOT_ON_SLOTS: "开放和关闭时间须落在时段边界上（从零点起按时段长度计）",
    ErrorCode.INVALID_BOOKING_HORIZON: "可提前预约天数须为 0–90",
    ErrorCode.INVALID_DESK_MAX_MINUTES: "工位单次预约上限须为 1–1440 分钟",
    ErrorCode.INVALID_ROOM_MAX_MINUTES: "会议室单次预约上限须为 1–1440 分钟",
    ErrorCode.INVALID_DESK_DAILY_CAP: "每人每天工位时长上限须为 1–1440 分钟",
    ErrorCode.INVALID_CHECK_IN_BEFORE: "提前签到时间须为 0–120 分钟",
    ErrorCode.INVALID_CHECK_IN_AFTER: "签到截止时间须为开始后 1–120 分钟",
    ErrorCode.INVALID_NO_SHOW_LIMIT: "未签到次数上限须为 1–100",
    ErrorCode.INVALID_NO_SHOW_WINDOW: "未签到统计天数须为 1–365",
    ErrorCode.INVALID_SUSPENSION_DAYS: "暂停预约天数须为 0–365",
    ErrorCode.INVALID_CHECK_IN_STEP: "签到码更新间隔须为 15–600 秒",
}
RULE_FAILURES = {
    f"ck_maker_spaces_{name}": _failure(ErrorCode(code), RULE_MESSAGES[ErrorCode(code)])
    for name, (_condition, code) in RULE_CONSTRAINTS.items()
}
# The number rules, each with the failure its column's CHECK gives (for values no smallint holds).
NUMBER_RULES: dict[str, ErrorCode] = {
    "slot_minutes": ErrorCode.INVALID_SLOT_MINUTES,
    "booking_horizon_days": ErrorCode.INVALID_BOOKING_HORIZON,
    "desk_max_minutes": ErrorCode.INVALID_DESK_MAX_MINUTES,
    "room_max_minutes": ErrorCode.INVALID_ROOM_MAX_MINUTES,
    "desk_daily_cap_minutes": ErrorCode.INVALID_DESK_DAILY_CAP,
    "check_in_before_minutes": ErrorCode.INVALID_CHECK_IN_BEFORE,
    "check_in_after_minutes": ErrorCode.INVALID_CHECK_IN_AFTER,
    "no_show_limit": ErrorCode.INVALID_NO_SHOW_LIMIT,
    "no_show_window_days": ErrorCode.INVALID_NO_SHOW_WINDOW,
    "suspension_days": ErrorCode.INVALID_SUSPENSION_DAYS,
    "check_in_step_seconds": ErrorCode.INVALID_CHECK_IN_STEP,
}
TIME_RULES = ("opens_at", "closes_at")
CLOCK = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)


def rules_snapshot(space: MakerSpace) -> dict[str, Any]:
    """The rules as the graph names them (opensAt, slotMinutes …)."""
    snapshot: dict[str, Any] = {_camel(name): f"{getattr(space, name):%H:%M}" for name in TIME_RULES}
    return snapshot | {_camel(name): getattr(space, name) for name in NUMBER_RULES}


def _clock(raw: str) -> time:
    matched = CLOCK.fullmatch(raw.strip())
    if matched is None:
        raise DomainFailure(ErrorCode.INVALID_OPENING_HOURS, RULE_MESSAGES[ErrorCode.INVALID_OPENING_HOURS])
    return time(int(matched[1]), int(matched[2]))


async def update_rules(
    *, session: AsyncSession, viewer: Viewer, space_id: int, changes: dict[str, Any]
) -> MakerSpace:
    """Only the rules named in `changes` (column → value) change; each is checked by its CHECK."""
    space = await space_run_by(session=session, viewer=viewer, space_id=space_id)
    before = rules_snapshot(space)
    for name, value in changes.items():
        if name in TIME_RULES:
            setattr(space, name, _clock(value))
        else:
            code = NUMBER_RULES[name]
            setattr(space, name, _small(value, code, RULE_MESSAGES[code]))
    await flush_or_fail(session=session, meanings=RULE_FAILURES)
    await audit.record(
        session=session,
        action="maker_space.rules_update",
        object_id=audit.global_id("MakerSpace", space.id),
        community_id=space.community_id,
        before=before,
        after=rules_snapshot(space),
    )
    return space
