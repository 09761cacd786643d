"""Periodic jobs, idempotent functions of (session, now): inactivity, offline, escalation, partitions."""

from datetime import datetime, timedelta

from sqlalchemy import and_, case, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.eldercare import (
    AlertEventType,
    AlertKind,
    AlertSeverity,
    AlertStatus,
    CareAlert,
    CarePolicy,
    Device,
    Elder,
)
from resolvers.eldercare.base import SHANGHAI
from resolvers.eldercare.readings import AlertCandidate, append_events, raise_alerts


async def policy(*, session: AsyncSession) -> CarePolicy:
    return await session.get(CarePolicy, 1)


async def raise_inactivity_alerts(*, session: AsyncSession, now: datetime) -> int:
    """独居 elders with no motion or door event for the policy's hours of the day (07:00–22:00)."""
    rules = await policy(session=session)
    local = now.astimezone(SHANGHAI)
    if not rules.day_starts_at <= local.time() <= rules.day_ends_at:
        return 0
    day_start = datetime.combine(local.date(), rules.day_starts_at, SHANGHAI)
    sensed = select(Device.elder_id).where(Device.kind.in_(("MOTION_SENSOR", "DOOR_SENSOR")))
    elders = await session.execute(
        select(Elder.id, Elder.community_id, Elder.last_activity_at).where(
            Elder.lives_alone, Elder.id.in_(sensed)
        )
    )
    candidates = []
    for elder_id, community_id, last_activity in elders:
        since = max(last_activity or day_start, day_start)
        quiet = now - since
        if quiet >= timedelta(hours=rules.inactivity_hours):
            hours = int(quiet.total_seconds() // 3600)
            candidate = AlertCandidate(
                elder_id,
                community_id,
                AlertKind.INACTIVITY.value,
                None,
                AlertSeverity.WARNING.value,
                f"独居老人已 {hours} 小时无活动",
                since,
            )
            candidates.append(candidate)
    return len(await raise_alerts(session=session, candidates=candidates, now=now, repeat_counts=False))


async def raise_device_offline_alerts(*, session: AsyncSession, now: datetime) -> int:
    rules = await policy(session=session)
    silent = await session.execute(
        select(Device.id, Device.serial, Device.kind, Device.elder_id, Elder.community_id)
        .join(Elder, Elder.id == Device.elder_id)
        .where(Device.last_seen_at < now - timedelta(minutes=rules.device_offline_minutes))
    )
    candidates = []
    for device in silent:
        candidate = AlertCandidate(
            device.elder_id,
            device.community_id,
            AlertKind.DEVICE_OFFLINE.value,
            device.serial,
            AlertSeverity.WARNING.value,
            f"设备 {device.serial} 已离线超过 {rules.device_offline_minutes} 分钟",
            now,
        )
        candidates.append(candidate)
    return len(await raise_alerts(session=session, candidates=candidates, now=now, repeat_counts=False))


async def escalate_alerts(*, session: AsyncSession, now: datetime) -> int:
    """Unacknowledged: critical 5 min → level 1 (supervisor), 15 → 2 (family); warning 30 min → 1."""
    rules = await policy(session=session)
    critical = CareAlert.severity == AlertSeverity.CRITICAL.value
    level = case(
        (and_(critical, CareAlert.opened_at <= now - timedelta(minutes=rules.critical_level2_minutes)), 2),
        (and_(critical, CareAlert.opened_at <= now - timedelta(minutes=rules.critical_level1_minutes)), 1),
        (
            and_(
                CareAlert.severity == AlertSeverity.WARNING.value,
                CareAlert.opened_at <= now - timedelta(minutes=rules.warning_level1_minutes),
            ),
            1,
        ),
        else_=0,
    )
    escalated = (
        await session.scalars(
            update(CareAlert)
            .where(CareAlert.status == AlertStatus.OPEN.value, level > CareAlert.escalation_level)
            .values(escalation_level=level)
            .returning(CareAlert)
            .execution_options(synchronize_session=False)
        )
    ).all()
    await append_events(
        session=session, changes=[(alert, AlertEventType.ESCALATED) for alert in escalated], at=now
    )
    return len(escalated)


async def ensure_reading_partitions(*, session: AsyncSession, now: datetime) -> int:
    first = now.astimezone(SHANGHAI).date().replace(day=1)
    months = [first, (first + timedelta(days=32)).replace(day=1), (first + timedelta(days=63)).replace(day=1)]
    for month in months:
        await session.execute(text("SELECT ensure_readings_partition(:month)"), {"month": month})
    return 0
