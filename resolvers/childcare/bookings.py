"""Bookings: eligibility, exact capacity with a waitlist, cancelling, check-in and PIN check-out."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.childcare import (
    BookingStatus,
    Child,
    ChildcareBooking,
    ChildcareCenter,
    ChildcareClass,
    ChildcareSession,
    ChildGuardian,
    PickupPerson,
)
from resolvers.actor import Viewer
from resolvers.batching import in_order
from resolvers.childcare.access import visible_bookings
from resolvers.childcare.base import (
    age_in_months,
    eligible,
    is_childcare_staff,
    pin_hasher,
)
from resolvers.childcare.children import guardian_child_or_error
from resolvers.childcare.errors import ChildNotEligible, InvalidPickupPin
from resolvers.clock import SHANGHAI
from resolvers.errors import DomainFailure, ErrorCode, NotFound, savepoint
from resolvers.idempotency import replay


@dataclass(frozen=True)
class BookingRequest:
    session_id: int
    child_id: int
    idempotency_key: str | None = None

    def fingerprint(self) -> str:
        return f"{self.session_id}|{self.child_id}"


async def session_with_center(
    *, session: AsyncSession, session_id: int, lock: bool = False
) -> tuple[ChildcareSession, ChildcareClass, ChildcareCenter]:
    """The session with its class and centre; `lock` takes the session's row lock, which every
    change of its places and waitlist holds (so they change one booking at a time)."""
    stmt = (
        select(ChildcareSession, ChildcareClass, ChildcareCenter)
        .join(ChildcareClass, ChildcareClass.id == ChildcareSession.class_id)
        .join(ChildcareCenter, ChildcareCenter.id == ChildcareClass.center_id)
        .where(ChildcareSession.id == session_id)
    )
    if lock:
        # What was read under the lock is what counts, even if this session read the row before.
        stmt = stmt.with_for_update(of=ChildcareSession).execution_options(populate_existing=True)
    row = (await session.execute(stmt)).first()
    if row is None:
        raise NotFound("该托育时段")
    return row.ChildcareSession, row.ChildcareClass, row.ChildcareCenter


def places(slot: ChildcareSession) -> int:
    """How many children the session may confirm: its places, and no more than its carers on duty
    look after at the class's ratio (none without a carer, none once cancelled). The database holds
    the same rule."""
    if slot.cancelled_at is not None:
        return 0
    return max(0, min(slot.capacity, slot.carer_count * slot.class_carer_ratio))


async def create_booking(
    *, session: AsyncSession, viewer: Viewer, request: BookingRequest, now: datetime
) -> ChildcareBooking:
    child = await guardian_child_or_error(session=session, viewer=viewer, child_id=request.child_id)
    # The session's row lock serialises its bookings, so a retry with the same key finds the first.
    slot, childcare_class, center = await session_with_center(
        session=session, session_id=request.session_id, lock=True
    )
    existing = await replay(
        session=session,
        model=ChildcareBooking,
        owner_column=ChildcareBooking.booked_by,
        owner_id=viewer.person_id,
        key=request.idempotency_key,
        fingerprint=request.fingerprint(),
    )
    if existing is not None:
        return existing
    start = slot.period.lower
    if slot.cancelled_at is not None:
        raise DomainFailure(ErrorCode.SESSION_CANCELLED, f"该时段已取消：{slot.cancel_reason}")
    if now >= start:
        raise DomainFailure(ErrorCode.SESSION_STARTED, "该时段已开始，无法预约")
    if slot.day > now.astimezone(SHANGHAI).date() + timedelta(days=center.booking_horizon_days):
        raise DomainFailure(ErrorCode.TOO_FAR_AHEAD, f"最多可提前 {center.booking_horizon_days} 天预约")
    if not eligible(child, childcare_class, slot.day):
        age = age_in_months(child.birth_date, slot.day)
        bounds = f"{childcare_class.min_age_months}–{childcare_class.max_age_months} 个月"
        raise ChildNotEligible(
            f"{child.name}在{slot.day:%m月%d日}时为 {age} 个月，不在{childcare_class.name}（{bounds}）范围内"
        )
    booking = ChildcareBooking(
        session_id=slot.id,
        child_id=child.id,
        booked_by=viewer.person_id,
        period=slot.period,
        idempotency_key=request.idempotency_key,
        request_fingerprint=request.fingerprint() if request.idempotency_key else None,
    )
    if slot.confirmed_count < places(slot):
        booking.status = BookingStatus.CONFIRMED.value
        slot.confirmed_count += 1
    else:
        booking.status = BookingStatus.WAITLISTED.value
        slot.waitlist_sequence += 1
        booking.waitlist_sequence = slot.waitlist_sequence
    async with savepoint(
        session=session,
        meanings={
            "ex_childcare_bookings_child_period": lambda: DomainFailure(
                ErrorCode.OVERLAPPING_BOOKING, f"{child.name}在该时间已有其他预约或候补"
            ),
            "uq_childcare_bookings_idempotency_key": lambda: DomainFailure(
                ErrorCode.IDEMPOTENCY_KEY_REUSED, "该幂等键已用于另一项预约请求"
            ),
        },
    ):
        session.add(booking)
    return booking


def _bookings_with_centre(viewer: Viewer):
    """Bookings with their session and centre, and the viewer's guardianship of the child (or None)."""
    return (
        select(ChildcareBooking, ChildcareSession, ChildcareCenter, ChildGuardian.person_id)
        .join(ChildcareSession, ChildcareSession.id == ChildcareBooking.session_id)
        .join(ChildcareClass, ChildcareClass.id == ChildcareSession.class_id)
        .join(ChildcareCenter, ChildcareCenter.id == ChildcareClass.center_id)
        .outerjoin(
            ChildGuardian,
            and_(
                ChildGuardian.child_id == ChildcareBooking.child_id,
                ChildGuardian.person_id == viewer.person_id,
            ),
        )
    )


async def booking_for(
    *, session: AsyncSession, viewer: Viewer, booking_id: int, lock: bool = False
) -> tuple[ChildcareBooking, ChildcareSession, ChildcareCenter, bool]:
    """The booking if the viewer is the child's guardian or the centre's staff; NotFound otherwise."""
    stmt = _bookings_with_centre(viewer).where(ChildcareBooking.id == booking_id)
    if lock:
        stmt = stmt.with_for_update(of=ChildcareBooking)
    row = (await session.execute(stmt)).first()
    if row is None:
        raise NotFound("该预约")
    staff = is_childcare_staff(viewer, row.ChildcareCenter)
    if row.person_id is None and not staff:
        raise NotFound("该预约")
    return row.ChildcareBooking, row.ChildcareSession, row.ChildcareCenter, staff


async def bookings_for_by_ids(*, session: AsyncSession, viewer: Viewer, ids: Sequence[int]) -> list:
    """The bookings among `ids` of the viewer's children or the viewer's centre (None for the others)."""
    bookings = await session.scalars(
        select(ChildcareBooking).where(ChildcareBooking.id.in_(ids), visible_bookings(viewer))
    )
    return in_order(bookings, ids)


async def promote_from_waitlist(
    *,
    session: AsyncSession,
    slot: ChildcareSession,
    childcare_class: ChildcareClass,
    all_places: bool = False,
) -> list[ChildcareBooking]:
    """Give a freed place to the first waitlisted child still eligible on the session day (with
    `all_places`, every free place, in line); the bookings confirmed."""
    waiting = await session.execute(
        select(ChildcareBooking, Child)
        .join(Child, Child.id == ChildcareBooking.child_id)
        .where(ChildcareBooking.session_id == slot.id, ChildcareBooking.status == BookingStatus.WAITLISTED)
        .order_by(ChildcareBooking.waitlist_sequence)
        .with_for_update(of=ChildcareBooking)
    )
    promoted = []
    for booking, child in waiting:
        if slot.confirmed_count >= places(slot):
            break
        if eligible(child, childcare_class, slot.day):
            booking.status = BookingStatus.CONFIRMED.value
            booking.waitlist_sequence = None
            slot.confirmed_count += 1
            promoted.append(booking)
            if not all_places:
                break
    return promoted


async def cancel_booking(
    *, session: AsyncSession, viewer: Viewer, booking_id: int, now: datetime
) -> ChildcareBooking:
    booking, _slot, center, _staff = await booking_for(session=session, viewer=viewer, booking_id=booking_id)
    slot, childcare_class, _center = await session_with_center(
        session=session, session_id=booking.session_id, lock=True
    )
    await session.refresh(booking, with_for_update=True)
    if booking.status not in (BookingStatus.CONFIRMED, BookingStatus.WAITLISTED):
        raise DomainFailure(ErrorCode.NOT_ACTIVE, "该预约已取消、已入托或已结束")
    if now >= slot.period.lower:
        raise DomainFailure(ErrorCode.SESSION_STARTED, "时段已开始，请联系托育老师")
    held_place = booking.status == BookingStatus.CONFIRMED
    late = now > slot.period.lower - timedelta(hours=center.free_cancel_hours)
    booking.status = (BookingStatus.ABSENT if late and held_place else BookingStatus.CANCELLED).value
    booking.waitlist_sequence = None
    booking.cancelled_at = now
    if held_place:
        slot.confirmed_count -= 1
        await session.flush()
        await promote_from_waitlist(session=session, slot=slot, childcare_class=childcare_class)
    await session.flush()
    return booking


def _same_day(slot: ChildcareSession, now: datetime) -> bool:
    return now.astimezone(SHANGHAI).date() == slot.day


async def check_in_child(
    *, session: AsyncSession, viewer: Viewer, booking_id: int, now: datetime
) -> ChildcareBooking:
    booking, slot, _center, staff = await booking_for(
        session=session, viewer=viewer, booking_id=booking_id, lock=True
    )
    if not staff:
        raise DomainFailure(ErrorCode.STAFF_ONLY, "仅托育老师可办理入托")
    if booking.status != BookingStatus.CONFIRMED:
        raise DomainFailure(ErrorCode.NOT_CONFIRMED, "该预约未确认或已入托")
    if not _same_day(slot, now):
        raise DomainFailure(ErrorCode.NOT_SESSION_DAY, "只能在时段当天办理入托")
    booking.status = BookingStatus.CHECKED_IN.value
    booking.checked_in_at = now
    await session.flush()
    return booking


async def check_out_child(
    *, session: AsyncSession, viewer: Viewer, booking_id: int, pin: str, now: datetime
) -> ChildcareBooking:
    booking, _slot, center, staff = await booking_for(
        session=session, viewer=viewer, booking_id=booking_id, lock=True
    )
    if not staff:
        raise DomainFailure(ErrorCode.STAFF_ONLY, "仅托育老师可办理离园")
    if booking.status != BookingStatus.CHECKED_IN:
        raise DomainFailure(ErrorCode.NOT_CHECKED_IN, "孩子尚未入托或已离园")
    if booking.checkout_locked:
        raise DomainFailure(
            ErrorCode.CHECKOUT_LOCKED, "接送码错误次数过多，已锁定；请由托育老师核实身份后解锁"
        )
    people = await session.scalars(
        select(PickupPerson).where(PickupPerson.child_id == booking.child_id, PickupPerson.active)
    )
    match = next((person for person in people if _pin_matches(person.pin_hash, pin)), None)
    if match is None:
        booking.failed_pin_attempts += 1
        booking.checkout_locked = booking.failed_pin_attempts >= center.max_pin_attempts
        await session.flush()
        left = center.max_pin_attempts - booking.failed_pin_attempts
        message = "接送码不正确" + (f"，还可尝试 {left} 次" if left > 0 else "，已锁定离园，请联系托育老师")
        raise InvalidPickupPin(message)
    booking.status = BookingStatus.CHECKED_OUT.value
    booking.checked_out_at = now
    booking.picked_up_by = match.id
    await session.flush()
    return booking


def _pin_matches(pin_hash: str, pin: str) -> bool:
    try:
        return pin_hasher.verify(pin_hash, pin.strip())
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def unlock_check_out(*, session: AsyncSession, viewer: Viewer, booking_id: int) -> ChildcareBooking:
    booking, _slot, _center, staff = await booking_for(
        session=session, viewer=viewer, booking_id=booking_id, lock=True
    )
    if not staff:
        raise DomainFailure(ErrorCode.STAFF_ONLY, "仅托育老师可解锁")
    booking.checkout_locked = False
    booking.failed_pin_attempts = 0
    await session.flush()
    return booking


async def roster(*, session: AsyncSession, session_id: int) -> list[ChildcareBooking]:
    return list(
        await session.scalars(
            select(ChildcareBooking)
            .where(ChildcareBooking.session_id == session_id)
            .order_by(ChildcareBooking.waitlist_sequence.nulls_first(), ChildcareBooking.id)
        )
    )


async def waitlist_positions(*, session: AsyncSession, ids: Sequence[int]) -> list[int | None]:
    """Each waitlisted booking's rank in its session's line (1, 2, … without gaps); None otherwise."""
    ranked = (
        select(
            ChildcareBooking.id,
            func.row_number()
            .over(partition_by=ChildcareBooking.session_id, order_by=ChildcareBooking.waitlist_sequence)
            .label("position"),
        )
        .where(
            ChildcareBooking.status == BookingStatus.WAITLISTED,
            ChildcareBooking.session_id.in_(
                select(ChildcareBooking.session_id).where(ChildcareBooking.id.in_(ids)).scalar_subquery()
            ),
        )
        .subquery()
    )
    rows = await session.execute(select(ranked.c.id, ranked.c.position).where(ranked.c.id.in_(ids)))
    positions = dict(rows.all())
    return [positions.get(booking_id) for booking_id in ids]
