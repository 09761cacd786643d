"""One reservation: who may see it, check-in with the kiosk code, cancelling."""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pyotp
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import Range
from sqlalchemy.ext.asyncio import AsyncSession

from models.makerspace import (
    ACTIVE_STATUSES,
    MakerSpace,
    Reservation,
    ReservationStatus,
)
from resolvers.actor import Viewer
from resolvers.batching import in_order
from resolvers.errors import DomainFailure, ErrorCode, NotFound
from resolvers.makerspace.errors import InvalidCheckInCode
from resolvers.makerspace.spaces import is_space_staff


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
        raise NotFound("该预约")
    return row.Reservation, row.MakerSpace


async def reservations_for_by_ids(*, session: AsyncSession, viewer: Viewer, ids: Sequence[int]) -> list:
    """The reservations among `ids` the viewer holds or staffs (None for the others)."""
    rows = await session.execute(
        select(Reservation, MakerSpace)
        .join(MakerSpace, MakerSpace.id == Reservation.space_id)
        .where(Reservation.id.in_(ids))
    )
    visible = (
        row.Reservation
        for row in rows
        if row.Reservation.person_id == viewer.person_id or is_space_staff(viewer, row.MakerSpace)
    )
    return in_order(visible, ids)


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
        raise DomainFailure(ErrorCode.ALREADY_CHECKED_IN, "已签到")
    if reservation.status != ReservationStatus.CONFIRMED:
        raise DomainFailure(ErrorCode.NOT_ACTIVE, "该预约已取消或已结束")
    start = reservation.period.lower
    if now < start - timedelta(minutes=space.check_in_before_minutes):
        raise DomainFailure(
            ErrorCode.CHECK_IN_TOO_EARLY, f"开始前 {space.check_in_before_minutes} 分钟起可签到"
        )
    if now > start + timedelta(minutes=space.check_in_after_minutes):
        raise DomainFailure(
            ErrorCode.CHECK_IN_TOO_LATE, f"已超过开始后 {space.check_in_after_minutes} 分钟，无法签到"
        )
    if not code_is_valid(space, code, now):
        raise InvalidCheckInCode("签到码不正确或已过期，请以前台屏幕上的签到码为准")
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
        raise DomainFailure(ErrorCode.NOT_ACTIVE, "该预约已取消或已结束")
    start, end = reservation.period.lower, reservation.period.upper
    if reservation.status == ReservationStatus.CHECKED_IN and start < now < end:
        reservation.period = Range(start, now, bounds="[)")
        reservation.status = ReservationStatus.COMPLETED.value
    elif now >= end:
        raise DomainFailure(ErrorCode.NOT_ACTIVE, "该预约已结束")
    else:
        reservation.status = ReservationStatus.CANCELLED.value
    reservation.cancelled_at = now
    reservation.cancelled_by = viewer.person_id
    await session.flush()
    return reservation
