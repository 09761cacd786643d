"""Devices without SQL: register, assign to one elder at a time (with history), unassign, retire.

Who: care staff and the COMMUNITY_ADMIN of the device's community, and ADMIN; anyone else finds no
such device (NOT_FOUND). The database decides what must hold whatever races: one serial per device
(uq_devices_serial), at most one open assignment per device (uq_device_assignments_open), the elder
of the device's community (fk_devices_elder_in_community), no retired device assigned
(ck_devices_retired_unassigned). Each change locks the device's row first, so two changes of one
device take turns and the second sees what the first did.

Assigning a device that is assigned already is refused (DEVICE_ALREADY_ASSIGNED): taking a device
from one elder for another (an SOS button, say) is a decision of its own, made with deviceUnassign.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.eldercare import AlertKind, CareAlert, Device, DeviceAssignment, DeviceKind, Elder
from models.people import Community, Role
from resolvers import audit
from resolvers.actor import Viewer
from resolvers.eldercare.lifecycle import resolve_by_system
from resolvers.errors import DomainFailure, ErrorCode, NotFound, savepoint

SERIAL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
# The system's note on a DEVICE_OFFLINE alert closed because the device left its elder: its silence
# no longer says anything about her.
UNASSIGNED_NOTE = "设备已解除分配，系统自动关闭离线告警"
RETIRED_NOTE = "设备已停用，系统自动关闭离线告警"
# Who runs a community's devices and elders' thresholds, besides ADMIN.
CARE_OFFICE = (Role.CARE_STAFF, Role.COMMUNITY_ADMIN)


def runs_care_of(viewer: Viewer, community_id: int) -> bool:
    """Care staff or the office of that community, or an administrator."""
    return any(viewer.is_staff_of(role, community_id) for role in CARE_OFFICE)


def device_global_id(device_id: int) -> str:
    return audit.global_id("Device", device_id)


def snapshot(device: Device) -> dict[str, Any]:
    """What the audit trail keeps of a device."""
    return {
        "serial": device.serial,
        "kind": device.kind,
        "communityId": device.community_id,
        "elderId": audit.global_id("Elder", device.elder_id) if device.elder_id else None,
        "assignedAt": device.assigned_at.isoformat() if device.assigned_at else None,
        "retiredAt": device.retired_at.isoformat() if device.retired_at else None,
        "retiredReason": device.retired_reason,
    }


async def _audit(*, session: AsyncSession, action: str, device: Device, before: dict | None) -> None:
    await audit.record(
        session=session,
        action=action,
        object_id=device_global_id(device.id),
        community_id=device.community_id,
        before=before,
        after=snapshot(device),
    )


SERIAL_UNIQUE = {
    "uq_devices_serial": lambda: DomainFailure(ErrorCode.DEVICE_SERIAL_TAKEN, "该序列号的设备已登记")
}
ASSIGNMENT_RULES = {
    "uq_device_assignments_open": lambda: DomainFailure(
        ErrorCode.DEVICE_ALREADY_ASSIGNED, "该设备已分配给一位老人，请先解除分配"
    ),
    "fk_devices_elder_in_community": lambda: DomainFailure(
        ErrorCode.ELDER_NOT_IN_DEVICE_COMMUNITY, "老人与设备不属于同一社区"
    ),
    "ck_devices_retired_unassigned": lambda: DomainFailure(ErrorCode.DEVICE_RETIRED, "该设备已停用"),
}


@dataclass(frozen=True)
class DeviceInput:
    serial: str
    kind: DeviceKind
    community_id: int | None = None


async def register_device(*, session: AsyncSession, viewer: Viewer, data: DeviceInput) -> Device:
    """A new device of the caller's community (ADMIN: of the one named), assigned to nobody yet."""
    if not SERIAL.fullmatch(data.serial):
        raise DomainFailure(
            ErrorCode.INVALID_DEVICE_SERIAL, "设备序列号须为 1–64 位字母、数字或 -_.:，以字母或数字开头"
        )
    community_id = data.community_id
    if not viewer.has_role(Role.ADMIN.value):
        if community_id is not None and community_id != viewer.community_id:
            raise DomainFailure(ErrorCode.OTHER_COMMUNITY, "只能登记本社区的设备")
        community_id = viewer.community_id
    if community_id is None:
        raise DomainFailure(ErrorCode.COMMUNITY_REQUIRED, "请指明设备所属的社区")
    if not runs_care_of(viewer, community_id) or await session.get(Community, community_id) is None:
        raise NotFound("该社区")
    async with savepoint(session=session, meanings=SERIAL_UNIQUE):
        device = await session.scalar(
            insert(Device)
            .values(serial=data.serial, kind=data.kind.value, community_id=community_id, assigned_at=None)
            .returning(Device)
        )
    await _audit(session=session, action="device.register", device=device, before=None)
    return device


async def device_run_by(*, session: AsyncSession, viewer: Viewer, device_id: int) -> Device:
    """The device, locked, if the viewer runs its community's devices; NotFound otherwise."""
    device = await session.scalar(
        select(Device)
        .where(Device.id == device_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    if device is None or not runs_care_of(viewer, device.community_id):
        raise NotFound("该设备")
    return device


async def assign_device(
    *, session: AsyncSession, viewer: Viewer, device_id: int, elder_id: int, now: datetime
) -> Device:
    """The device to this elder of its community, from now on; refused while it is anyone's."""
    device = await device_run_by(session=session, viewer=viewer, device_id=device_id)
    elder = await session.get(Elder, elder_id)
    if elder is None or not runs_care_of(viewer, elder.community_id):
        raise NotFound("该老人")
    if device.retired_at is not None:
        raise DomainFailure(ErrorCode.DEVICE_RETIRED, "该设备已停用")
    if device.elder_id is not None:
        raise DomainFailure(ErrorCode.DEVICE_ALREADY_ASSIGNED, "该设备已分配给一位老人，请先解除分配")
    before = snapshot(device)
    async with savepoint(session=session, meanings=ASSIGNMENT_RULES):
        await session.execute(
            insert(DeviceAssignment).values(
                device_id=device.id, elder_id=elder.id, assigned_at=now, assigned_by=viewer.person_id
            )
        )
        device.elder_id, device.assigned_at, device.last_seen_at = elder.id, now, None
        await session.flush()
    await _audit(session=session, action="device.assign", device=device, before=before)
    return device


async def _close_assignment(
    *, session: AsyncSession, viewer: Viewer, device: Device, now: datetime, note: str
) -> None:
    """The open assignment ends now, and the open DEVICE_OFFLINE alert of this device about its
    elder (its dedup key: elder, kind, serial) is resolved by the system with `note`."""
    offline = and_(
        CareAlert.elder_id == device.elder_id,
        CareAlert.kind == AlertKind.DEVICE_OFFLINE.value,
        CareAlert.reading_kind == device.serial,
    )
    await resolve_by_system(session=session, where=offline, note=note, now=now)
    await session.execute(
        update(DeviceAssignment)
        .where(DeviceAssignment.device_id == device.id, DeviceAssignment.unassigned_at.is_(None))
        # Never before it began: a clock behind the one that opened it (another replica's, the
        # database's for rows inserted assigned) ends it the moment it began.
        .values(
            unassigned_at=func.greatest(now, DeviceAssignment.assigned_at), unassigned_by=viewer.person_id
        )
    )
    device.elder_id, device.assigned_at = None, None


async def unassign_device(*, session: AsyncSession, viewer: Viewer, device_id: int, now: datetime) -> Device:
    """The device's assignment ends now; its readings are rejected until it is assigned again, and
    its open offline alert about the elder is closed by the system."""
    device = await device_run_by(session=session, viewer=viewer, device_id=device_id)
    if device.retired_at is not None:
        raise DomainFailure(ErrorCode.DEVICE_RETIRED, "该设备已停用")
    if device.elder_id is None:
        raise DomainFailure(ErrorCode.DEVICE_NOT_ASSIGNED, "该设备未分配给任何老人")
    before = snapshot(device)
    await _close_assignment(session=session, viewer=viewer, device=device, now=now, note=UNASSIGNED_NOTE)
    await session.flush()
    await _audit(session=session, action="device.unassign", device=device, before=before)
    return device


async def retire_device(
    *, session: AsyncSession, viewer: Viewer, device_id: int, reason: str, now: datetime
) -> Device:
    """Out of service for good, with why: the row stays (readings and history name it); an open
    assignment ends, and with it the device's open offline alert (closed by the system)."""
    device = await device_run_by(session=session, viewer=viewer, device_id=device_id)
    reason = reason.strip()
    if not reason:
        raise DomainFailure(ErrorCode.REASON_REQUIRED, "停用设备须填写原因")
    if device.retired_at is not None:
        raise DomainFailure(ErrorCode.DEVICE_RETIRED, "该设备已停用")
    before = snapshot(device)
    if device.elder_id is not None:
        await _close_assignment(session=session, viewer=viewer, device=device, now=now, note=RETIRED_NOTE)
    device.retired_at, device.retired_reason, device.retired_by = now, reason, viewer.person_id
    await session.flush()
    await _audit(session=session, action="device.retire", device=device, before=before)
    return device
