"""The alert lifecycle (acknowledge, resolve, resolved by the system) and care visits."""

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from models.eldercare import (
    AlertEventType,
    AlertStatus,
    CareAlert,
    CareVisit,
    Elder,
)
from resolvers.actor import Viewer
from resolvers.eldercare.access import is_care_staff_of
from resolvers.eldercare.base import FUTURE_TOLERANCE
from resolvers.eldercare.readings import append_events
from resolvers.errors import DomainFailure, ErrorCode, NotFound


async def alert_for_staff(*, session: AsyncSession, viewer: Viewer, alert_id: int) -> CareAlert:
    alert = await session.scalar(select(CareAlert).where(CareAlert.id == alert_id).with_for_update())
    if alert is None or not is_care_staff_of(viewer, alert.community_id):
        raise NotFound("该告警")
    return alert


async def acknowledge(*, session: AsyncSession, viewer: Viewer, alert_id: int, now: datetime) -> CareAlert:
    alert = await alert_for_staff(session=session, viewer=viewer, alert_id=alert_id)
    if alert.status == AlertStatus.RESOLVED:
        raise DomainFailure(ErrorCode.ALREADY_RESOLVED, "该告警已处理完毕")
    if alert.status == AlertStatus.ACKNOWLEDGED:
        raise DomainFailure(ErrorCode.ALREADY_ACKNOWLEDGED, "该告警已有人响应")
    alert.status, alert.acknowledged_by, alert.acknowledged_at = (
        AlertStatus.ACKNOWLEDGED.value,
        viewer.person_id,
        now,
    )
    await session.flush()
    await append_events(
        session=session, changes=[(alert, AlertEventType.ACKNOWLEDGED)], at=now, actor_id=viewer.person_id
    )
    return alert


async def resolve(
    *, session: AsyncSession, viewer: Viewer, alert_id: int, note: str, now: datetime
) -> CareAlert:
    alert = await alert_for_staff(session=session, viewer=viewer, alert_id=alert_id)
    if not note.strip():
        raise DomainFailure(ErrorCode.NOTE_REQUIRED, "处理告警须填写处理说明")
    if alert.status == AlertStatus.RESOLVED:
        raise DomainFailure(ErrorCode.ALREADY_RESOLVED, "该告警已处理完毕")
    if alert.acknowledged_at is None:
        alert.acknowledged_by, alert.acknowledged_at = viewer.person_id, now
    alert.status, alert.resolved_by, alert.resolved_at = AlertStatus.RESOLVED.value, viewer.person_id, now
    alert.resolution_note = note.strip()
    await session.flush()
    await append_events(
        session=session,
        changes=[(alert, AlertEventType.RESOLVED)],
        at=now,
        actor_id=viewer.person_id,
        note=note.strip(),
    )
    return alert


async def resolve_by_system(
    *, session: AsyncSession, where: ColumnElement[bool], note: str, now: datetime
) -> list[CareAlert]:
    """The open alerts `where` says, resolved now by nobody (the system) with `note`, each with its
    RESOLVED event for the history and the live feed. Events first: their ordering lock is taken
    before any the caller takes next (the inbox's, resolvers.notifications)."""
    resolved = (
        await session.scalars(
            update(CareAlert)
            .where(where, CareAlert.status != AlertStatus.RESOLVED.value)
            .values(status=AlertStatus.RESOLVED.value, resolved_at=now, resolution_note=note)
            .returning(CareAlert)
            .execution_options(synchronize_session=False)
        )
    ).all()
    await append_events(
        session=session, changes=[(alert, AlertEventType.RESOLVED) for alert in resolved], at=now, note=note
    )
    return list(resolved)


async def log_visit(
    *,
    session: AsyncSession,
    viewer: Viewer,
    elder_id: int,
    kind: str,
    note: str,
    visited_at: datetime,
    now: datetime,
) -> CareVisit:
    elder = await session.get(Elder, elder_id)
    if elder is None or not is_care_staff_of(viewer, elder.community_id):
        raise NotFound("该老人")
    if kind not in ("VISIT", "CALL", "VIDEO_CALL", "ESCORT"):
        raise DomainFailure(ErrorCode.UNKNOWN_VISIT_KIND, "探访方式须为 VISIT、CALL、VIDEO_CALL 或 ESCORT")
    if not note.strip():
        raise DomainFailure(ErrorCode.NOTE_REQUIRED, "请填写探访记录")
    if visited_at > now + FUTURE_TOLERANCE:
        raise DomainFailure(ErrorCode.IN_THE_FUTURE, "探访时间不能晚于现在")
    visit = CareVisit(
        elder_id=elder.id, staff_id=viewer.person_id, kind=kind, note=note.strip(), visited_at=visited_at
    )
    session.add(visit)
    await session.flush()
    return visit
