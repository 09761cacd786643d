"""Booking: the rules, the person lock, and the exclusion constraints' answers."""

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import Range
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
from models.people import Person
from resolvers.actor import Viewer
from resolvers.clock import SHANGHAI
from resolvers.errors import DomainFailure, ErrorCode, NotFound, savepoint
from resolvers.idempotency import replay
from resolvers.makerspace.calendar import local_day_bounds, still_bookable, within_horizon
from resolvers.makerspace.errors import BookingSuspended, SlotTaken


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
    """Serialises one person's bookings (different people never wait on each other). FOR NO KEY
    UPDATE: a staff operation that notifies the person (a key-share lock, for the inbox row's
    foreign key) while it holds the resource this booking waits for must not wait for it in turn."""
    await session.execute(select(Person.id).where(Person.id == person_id).with_for_update(key_share=True))


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
        raise DomainFailure(ErrorCode.INVALID_PERIOD, "结束时间必须晚于开始时间")
    if any(
        moment.second or moment.microsecond or (moment.hour * 60 + moment.minute) % step
        for moment in (start, end)
    ):
        raise DomainFailure(
            ErrorCode.NOT_SLOT_ALIGNED, f"预约须按 {step} 分钟时段开始和结束（如 09:00、09:30）"
        )
    opens, closes = local_day_bounds(space, start.date())
    if start < opens or end > closes:
        raise DomainFailure(
            ErrorCode.OUTSIDE_OPENING_HOURS,
            f"{space.name}开放时间为 {space.opens_at:%H:%M}–{space.closes_at:%H:%M}",
        )
    if not still_bookable(space, start, now):
        raise DomainFailure(ErrorCode.IN_THE_PAST, "该时段已过，无法预约")
    if not within_horizon(space, start.date(), now):
        raise DomainFailure(ErrorCode.TOO_FAR_AHEAD, f"最多可提前 {space.booking_horizon_days} 天预约")
    limit = space.desk_max_minutes if resource.kind == ResourceKind.DESK else space.room_max_minutes
    if _minutes(start, end) > limit:
        raise DomainFailure(ErrorCode.TOO_LONG, f"单次预约最长 {duration_text(limit)}")
    if request.party_size < 1:
        raise DomainFailure(ErrorCode.INVALID_PARTY_SIZE, "人数至少为 1")
    if request.party_size > resource.capacity:
        raise DomainFailure(ErrorCode.PARTY_TOO_LARGE, f"{resource.name}最多容纳 {resource.capacity} 人")


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


# What the database means when it refuses a reservation: the exclusion constraints (another
# reservation of the resource, one of the person's own, a staff block-out through resource_holds),
# and the trigger that refuses a resource retired meanwhile.
CONSTRAINT_FAILURES = {
    "ex_reservations_resource_period": lambda: SlotTaken("该时段已被他人预约，请选择其他时段"),
    "ex_reservations_person_period": lambda: DomainFailure(
        ErrorCode.OVERLAPPING_RESERVATION, "您在该时段已有其他预约"
    ),
    "ex_resource_holds_resource_period": lambda: SlotTaken("该时段暂停开放（设施维护），请选择其他时段"),
    "resource_retired": lambda: NotFound("该座位或房间"),
}


async def create_reservation(
    *, session: AsyncSession, viewer: Viewer, request: ReservationRequest, now: datetime
) -> Reservation:
    resource = await session.get(Resource, request.resource_id)
    if resource is None or not resource.active:
        raise NotFound("该座位或房间")
    space = await session.get(MakerSpace, resource.space_id)
    await lock_person(session=session, person_id=viewer.person_id)
    existing = await replay(
        session=session,
        model=Reservation,
        owner_column=Reservation.person_id,
        owner_id=viewer.person_id,
        key=request.idempotency_key,
        fingerprint=request.fingerprint(),
    )
    if existing is not None:
        return existing
    suspension = await active_suspension(
        session=session, person_id=viewer.person_id, space_id=space.id, now=now
    )
    if suspension is not None:
        until = suspension.until.astimezone(SHANGHAI)
        raise BookingSuspended(f"因多次未签到，{until:%m月%d日 %H:%M} 前暂停预约", until=until)
    check_booking_rules(space, resource, request, now)
    if resource.kind == ResourceKind.DESK:
        day = request.start.astimezone(SHANGHAI).date()
        used = await desk_minutes_on(session=session, person_id=viewer.person_id, space=space, day=day)
        if used + _minutes(request.start, request.end) > space.desk_daily_cap_minutes:
            raise DomainFailure(
                ErrorCode.DAILY_CAP, f"每人每天最多预约工位 {space.desk_daily_cap_minutes // 60} 小时"
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
    async with savepoint(session=session, meanings=CONSTRAINT_FAILURES):
        session.add(reservation)
    return reservation
