"""天空创客厅 reservations: availability, the booking rules, check-in, cancelling, no-shows.

The database decides what must never happen twice: exclusion constraints stop two active
reservations of one resource (or one person) from overlapping; a row lock on the person
serialises one person's bookings, so daily caps, suspensions and idempotency keys hold even
when the same person's requests arrive at once.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pyotp
from sqlalchemy import and_, func, select, update
from sqlalchemy.dialects.postgresql import Range
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models.makerspace import (
    ACTIVE_STATUSES,
    BookingSuspension,
    MakerSpace,
    Reservation,
    ReservationStatus,
    Resource,
    ResourceKind,
)
from models.people import Person, Role
from resolvers.actor import Viewer
from resolvers.errors import DomainFailure, NotFoundFailure
from resolvers.pagination import Page, keyset_page

SHANGHAI = ZoneInfo("Asia/Shanghai")


# ── spaces and resources ─────────────────────────────────────────────────────


async def list_spaces(*, session: AsyncSession) -> list[MakerSpace]:
    return list(await session.scalars(select(MakerSpace).order_by(MakerSpace.id)))


async def get_spaces_by_ids(*, session: AsyncSession, ids: Sequence[int]) -> list[MakerSpace | None]:
    rows = await session.scalars(select(MakerSpace).where(MakerSpace.id.in_(ids)))
    by_id = {space.id: space for space in rows}
    return [by_id.get(space_id) for space_id in ids]


async def get_space_or_error(*, session: AsyncSession, space_id: int) -> MakerSpace:
    space = await session.get(MakerSpace, space_id)
    if space is None:
        raise NotFoundFailure("该创客空间")
    return space


async def resources_by_space_ids(*, session: AsyncSession, ids: Sequence[int]) -> list[list[Resource]]:
    rows = await session.scalars(
        select(Resource)
        .where(Resource.space_id.in_(ids), Resource.active)
        .order_by(Resource.position, Resource.id)
    )
    by_space: dict[int, list[Resource]] = {space_id: [] for space_id in ids}
    for resource in rows:
        by_space[resource.space_id].append(resource)
    return [by_space[space_id] for space_id in ids]


async def get_resources_by_ids(*, session: AsyncSession, ids: Sequence[int]) -> list[Resource | None]:
    rows = await session.scalars(select(Resource).where(Resource.id.in_(ids)))
    by_id = {resource.id: resource for resource in rows}
    return [by_id.get(resource_id) for resource_id in ids]


def is_space_staff(viewer: Viewer | None, space: MakerSpace) -> bool:
    return viewer is not None and viewer.is_staff_of(Role.MAKERSPACE_STAFF, space.community_id)


# ── the calendar of a space ──────────────────────────────────────────────────


def local_day_bounds(space: MakerSpace, day: date) -> tuple[datetime, datetime]:
    opens = datetime.combine(day, space.opens_at, SHANGHAI)
    closes = datetime.combine(day, space.closes_at, SHANGHAI)
    return opens, closes


def slot_starts(space: MakerSpace, day: date) -> list[datetime]:
    opens, closes = local_day_bounds(space, day)
    step = timedelta(minutes=space.slot_minutes)
    starts, current = [], opens
    while current + step <= closes:
        starts.append(current)
        current += step
    return starts


def still_bookable(space: MakerSpace, start: datetime, now: datetime) -> bool:
    """A slot can be booked while its holder could still check in (until start + the grace)."""
    return now < start + timedelta(minutes=space.check_in_after_minutes)


@dataclass
class ResourceDay:
    resource: Resource
    free_slots: list[tuple[datetime, datetime]]


async def availability(
    *,
    session: AsyncSession,
    space_id: int,
    day: date,
    now: datetime,
    kind: str | None = None,
    features: Sequence[str] = (),
    party_size: int | None = None,
) -> list[ResourceDay]:
    """Free slots of each matching resource on one day: two statements, whatever the space's size."""
    space = await get_space_or_error(session=session, space_id=space_id)
    opens, closes = local_day_bounds(space, day)
    held = and_(
        Reservation.resource_id == Resource.id,
        Reservation.status.in_(ACTIVE_STATUSES),
        Reservation.period.overlaps(Range(opens, closes)),
    )
    stmt = (
        select(
            Resource,
            func.array_remove(func.array_agg(func.lower(Reservation.period)), None),
            func.array_remove(func.array_agg(func.upper(Reservation.period)), None),
        )
        .outerjoin(Reservation, held)
        .where(Resource.space_id == space.id, Resource.active)
        .group_by(Resource.id)
        .order_by(Resource.position, Resource.id)
    )
    if kind is not None:
        stmt = stmt.where(Resource.kind == kind)
    if features:
        stmt = stmt.where(Resource.features.contains(list(features)))
    if party_size is not None:
        stmt = stmt.where(Resource.capacity >= party_size)
    step = timedelta(minutes=space.slot_minutes)
    starts = [start for start in slot_starts(space, day) if still_bookable(space, start, now)]
    days = []
    for resource, lowers, uppers in (await session.execute(stmt)).all():
        busy = list(zip(lowers, uppers, strict=True))
        free = [
            (start, start + step)
            for start in starts
            if not any(low < start + step and start < high for low, high in busy)
        ]
        days.append(ResourceDay(resource=resource, free_slots=free))
    return days


# ── booking ──────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class ReservationRequest:
    resource_id: int
    start: datetime
    end: datetime
    party_size: int = 1
    idempotency_key: str | None = None

    def fingerprint(self) -> str:
        start, end = self.start.astimezone(UTC).isoformat(), self.end.astimezone(UTC).isoformat()
        return f"{self.resource_id}|{start}|{end}|{self.party_size}"


async def lock_person(*, session: AsyncSession, person_id: int) -> None:
    """Serialises one person's bookings (different people never wait on each other)."""
    await session.execute(select(Person.id).where(Person.id == person_id).with_for_update())


async def active_suspension(
    *, session: AsyncSession, person_id: int, space_id: int, now: datetime
) -> BookingSuspension | None:
    return await session.scalar(
        select(BookingSuspension)
        .where(
            BookingSuspension.person_id == person_id,
            BookingSuspension.space_id == space_id,
            BookingSuspension.starts_at <= now,
            BookingSuspension.until > now,
        )
        .order_by(BookingSuspension.until.desc())
        .limit(1)
    )


def duration_text(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return " ".join(
        part for part in (f"{hours} 小时" if hours else "", f"{rest} 分钟" if rest else "") if part
    )


def _minutes(start: datetime, end: datetime) -> int:
    return int((end - start).total_seconds() // 60)


def check_booking_rules(
    space: MakerSpace, resource: Resource, request: ReservationRequest, now: datetime
) -> None:
    """The rules that need nothing but the request, the space and the clock."""
    start, end = request.start.astimezone(SHANGHAI), request.end.astimezone(SHANGHAI)
    step = space.slot_minutes
    if end <= start:
        raise DomainFailure("INVALID_PERIOD", "结束时间必须晚于开始时间")
    if any(
        moment.second or moment.microsecond or (moment.hour * 60 + moment.minute) % step
        for moment in (start, end)
    ):
        raise DomainFailure("NOT_SLOT_ALIGNED", f"预约须按 {step} 分钟时段开始和结束（如 09:00、09:30）")
    opens, closes = local_day_bounds(space, start.date())
    if start < opens or end > closes:
        raise DomainFailure(
            "OUTSIDE_OPENING_HOURS",
            f"{space.name}开放时间为 {space.opens_at:%H:%M}–{space.closes_at:%H:%M}",
        )
    if not still_bookable(space, start, now):
        raise DomainFailure("IN_THE_PAST", "该时段已过，无法预约")
    if start.date() > now.astimezone(SHANGHAI).date() + timedelta(days=space.booking_horizon_days):
        raise DomainFailure("TOO_FAR_AHEAD", f"最多可提前 {space.booking_horizon_days} 天预约")
    limit = space.desk_max_minutes if resource.kind == ResourceKind.DESK else space.room_max_minutes
    if _minutes(start, end) > limit:
        raise DomainFailure("TOO_LONG", f"单次预约最长 {duration_text(limit)}")
    if request.party_size < 1:
        raise DomainFailure("INVALID_PARTY_SIZE", "人数至少为 1")
    if request.party_size > resource.capacity:
        raise DomainFailure("PARTY_TOO_LARGE", f"{resource.name}最多容纳 {resource.capacity} 人")


async def desk_minutes_on(*, session: AsyncSession, person_id: int, space: MakerSpace, day: date) -> int:
    opens, closes = local_day_bounds(space, day)
    periods = await session.scalars(
        select(Reservation.period)
        .join(Resource, Resource.id == Reservation.resource_id)
        .where(
            Reservation.person_id == person_id,
            Reservation.space_id == space.id,
            Resource.kind == ResourceKind.DESK,
            Reservation.status.in_(ACTIVE_STATUSES),
            Reservation.period.overlaps(Range(opens, closes)),
        )
    )
    return sum(_minutes(period.lower, period.upper) for period in periods)


CONSTRAINT_FAILURES = {
    "ex_reservations_resource_period": lambda: DomainFailure(
        "SLOT_TAKEN", "该时段已被他人预约，请选择其他时段", kind="SlotTaken"
    ),
    "ex_reservations_person_period": lambda: DomainFailure(
        "OVERLAPPING_RESERVATION", "您在该时段已有其他预约"
    ),
}


def constraint_name(error: IntegrityError) -> str | None:
    cause = getattr(error.orig, "__cause__", None)
    return getattr(cause, "constraint_name", None) or getattr(error.orig, "constraint_name", None)


async def create_reservation(
    *, session: AsyncSession, viewer: Viewer, request: ReservationRequest, now: datetime
) -> Reservation:
    resource = await session.get(Resource, request.resource_id)
    if resource is None or not resource.active:
        raise NotFoundFailure("该座位或房间")
    space = await session.get(MakerSpace, resource.space_id)
    await lock_person(session=session, person_id=viewer.person_id)
    if request.idempotency_key is not None:
        existing = await session.scalar(
            select(Reservation).where(
                Reservation.person_id == viewer.person_id,
                Reservation.idempotency_key == request.idempotency_key,
            )
        )
        if existing is not None:
            if existing.request_fingerprint != request.fingerprint():
                raise DomainFailure("IDEMPOTENCY_KEY_REUSED", "该幂等键已用于另一项不同的预约请求")
            return existing
    suspension = await active_suspension(
        session=session, person_id=viewer.person_id, space_id=space.id, now=now
    )
    if suspension is not None:
        until = suspension.until.astimezone(SHANGHAI)
        raise DomainFailure(
            "BOOKING_SUSPENDED",
            f"因多次未签到，{until:%m月%d日 %H:%M} 前暂停预约",
            kind="BookingSuspended",
            until=until,
        )
    check_booking_rules(space, resource, request, now)
    if resource.kind == ResourceKind.DESK:
        day = request.start.astimezone(SHANGHAI).date()
        used = await desk_minutes_on(session=session, person_id=viewer.person_id, space=space, day=day)
        if used + _minutes(request.start, request.end) > space.desk_daily_cap_minutes:
            raise DomainFailure(
                "DAILY_CAP", f"每人每天最多预约工位 {space.desk_daily_cap_minutes // 60} 小时"
            )
    reservation = Reservation(
        resource_id=resource.id,
        space_id=space.id,
        person_id=viewer.person_id,
        period=Range(request.start, request.end, bounds="[)"),
        status=ReservationStatus.CONFIRMED.value,
        party_size=request.party_size,
        idempotency_key=request.idempotency_key,
        request_fingerprint=request.fingerprint() if request.idempotency_key else None,
    )
    try:
        async with session.begin_nested():
            session.add(reservation)
    except IntegrityError as error:
        failure = CONSTRAINT_FAILURES.get(constraint_name(error))
        if failure is None:
            raise
        raise failure() from None
    return reservation


# ── one reservation ──────────────────────────────────────────────────────────


async def get_reservation_for(
    *, session: AsyncSession, viewer: Viewer, reservation_id: int, lock: bool = False
) -> tuple[Reservation, MakerSpace]:
    """The reservation if the viewer holds it or staffs its space; NotFound otherwise (no IDOR)."""
    stmt = select(Reservation, MakerSpace).join(MakerSpace, MakerSpace.id == Reservation.space_id)
    stmt = stmt.where(Reservation.id == reservation_id)
    if lock:
        stmt = stmt.with_for_update(of=Reservation)
    row = (await session.execute(stmt)).first()
    if row is None or not (
        row.Reservation.person_id == viewer.person_id or is_space_staff(viewer, row.MakerSpace)
    ):
        raise NotFoundFailure("该预约")
    return row.Reservation, row.MakerSpace


def check_in_code(space: MakerSpace, at: datetime) -> tuple[str, datetime]:
    """The kiosk's code at `at` (RFC 6238, one step per `check_in_step_seconds`) and when it changes."""
    step = space.check_in_step_seconds
    timestamp = int(at.timestamp())
    valid_until = datetime.fromtimestamp((timestamp // step + 1) * step, UTC)
    return pyotp.TOTP(space.check_in_secret, interval=step).at(timestamp), valid_until


def code_is_valid(space: MakerSpace, code: str, now: datetime) -> bool:
    """The current code, or the one before it (a resident who read it just before it changed)."""
    step = timedelta(seconds=space.check_in_step_seconds)
    return any(
        pyotp.utils.strings_equal(code.strip(), check_in_code(space, at)[0]) for at in (now, now - step)
    )


async def check_in(
    *, session: AsyncSession, viewer: Viewer, reservation_id: int, code: str, now: datetime
) -> Reservation:
    reservation, space = await get_reservation_for(
        session=session, viewer=viewer, reservation_id=reservation_id, lock=True
    )
    if reservation.status == ReservationStatus.CHECKED_IN:
        raise DomainFailure("ALREADY_CHECKED_IN", "已签到")
    if reservation.status != ReservationStatus.CONFIRMED:
        raise DomainFailure("NOT_ACTIVE", "该预约已取消或已结束")
    start = reservation.period.lower
    if now < start - timedelta(minutes=space.check_in_before_minutes):
        raise DomainFailure("CHECK_IN_TOO_EARLY", f"开始前 {space.check_in_before_minutes} 分钟起可签到")
    if now > start + timedelta(minutes=space.check_in_after_minutes):
        raise DomainFailure(
            "CHECK_IN_TOO_LATE", f"已超过开始后 {space.check_in_after_minutes} 分钟，无法签到"
        )
    if not code_is_valid(space, code, now):
        raise DomainFailure(
            "INVALID_CHECK_IN_CODE",
            "签到码不正确或已过期，请以前台屏幕上的签到码为准",
            kind="InvalidCheckInCode",
        )
    reservation.status = ReservationStatus.CHECKED_IN.value
    reservation.checked_in_at = now
    await session.flush()
    return reservation


async def cancel(*, session: AsyncSession, viewer: Viewer, reservation_id: int, now: datetime) -> Reservation:
    """Before the start: cancelled. Checked in and under way: ended now, the rest freed."""
    reservation, _space = await get_reservation_for(
        session=session, viewer=viewer, reservation_id=reservation_id, lock=True
    )
    if reservation.status not in ACTIVE_STATUSES:
        raise DomainFailure("NOT_ACTIVE", "该预约已取消或已结束")
    start, end = reservation.period.lower, reservation.period.upper
    if reservation.status == ReservationStatus.CHECKED_IN and start < now < end:
        reservation.period = Range(start, now, bounds="[)")
        reservation.status = ReservationStatus.COMPLETED.value
    elif now >= end:
        raise DomainFailure("NOT_ACTIVE", "该预约已结束")
    else:
        reservation.status = ReservationStatus.CANCELLED.value
    reservation.cancelled_at = now
    reservation.cancelled_by = viewer.person_id
    await session.flush()
    return reservation


# ── lists ────────────────────────────────────────────────────────────────────


async def my_reservations(
    *,
    session: AsyncSession,
    person_id: int,
    upcoming_only: bool,
    now: datetime,
    first: int,
    after: Sequence | None,
) -> Page[Reservation]:
    """Upcoming ones soonest first; with history, newest first."""
    stmt = select(Reservation).where(Reservation.person_id == person_id)
    if upcoming_only:
        stmt = stmt.where(Reservation.status.in_(ACTIVE_STATUSES), func.upper(Reservation.period) > now)
    return await keyset_page(
        stmt,
        session=session,
        key_columns=[func.lower(Reservation.period), Reservation.id],
        first=first,
        after=after,
        descending=not upcoming_only,
    )


async def space_day(*, session: AsyncSession, space: MakerSpace, day: date) -> list[Reservation]:
    opens, closes = local_day_bounds(space, day)
    return list(
        await session.scalars(
            select(Reservation)
            .where(Reservation.space_id == space.id, Reservation.period.overlaps(Range(opens, closes)))
            .order_by(func.lower(Reservation.period), Reservation.resource_id, Reservation.id)
        )
    )


# ── jobs: idempotent functions of (session, now) ─────────────────────────────


async def release_no_shows(*, session: AsyncSession, now: datetime) -> int:
    """Not checked in by start + grace → NO_SHOW (frees the time); repeat offenders are suspended."""
    rows = await session.execute(
        update(Reservation)
        .where(
            Reservation.status == ReservationStatus.CONFIRMED,
            Reservation.space_id == MakerSpace.id,
            func.lower(Reservation.period)
            + func.make_interval(0, 0, 0, 0, 0, MakerSpace.check_in_after_minutes)
            <= now,
        )
        .values(status=ReservationStatus.NO_SHOW.value)
        .returning(Reservation.person_id, Reservation.space_id)
        .execution_options(synchronize_session=False)
    )
    offenders = set(rows.all())
    for person_id, space_id in offenders:
        await suspend_if_due(session=session, person_id=person_id, space_id=space_id, now=now)
    return len(offenders)


async def suspend_if_due(*, session: AsyncSession, person_id: int, space_id: int, now: datetime) -> None:
    space = await session.get(MakerSpace, space_id)
    last = await session.scalar(
        select(BookingSuspension)
        .where(BookingSuspension.person_id == person_id, BookingSuspension.space_id == space_id)
        .order_by(BookingSuspension.starts_at.desc())
        .limit(1)
    )
    if last is not None and last.until > now:
        return
    # No-shows already punished by an earlier suspension do not count again.
    since = now - timedelta(days=space.no_show_window_days)
    if last is not None and last.starts_at > since:
        since = last.starts_at
    count = await session.scalar(
        select(func.count())
        .select_from(Reservation)
        .where(
            Reservation.person_id == person_id,
            Reservation.space_id == space_id,
            Reservation.status == ReservationStatus.NO_SHOW,
            func.lower(Reservation.period) > since,
        )
    )
    if count >= space.no_show_limit:
        session.add(
            BookingSuspension(
                space_id=space_id,
                person_id=person_id,
                starts_at=now,
                until=now + timedelta(days=space.suspension_days),
                reason=f"{space.no_show_window_days} 天内 {count} 次未签到",
            )
        )
        await session.flush()


async def complete_finished(*, session: AsyncSession, now: datetime) -> int:
    result = await session.execute(
        update(Reservation)
        .where(Reservation.status == ReservationStatus.CHECKED_IN, func.upper(Reservation.period) <= now)
        .values(status=ReservationStatus.COMPLETED.value)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount
