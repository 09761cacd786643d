"""Periodic jobs, idempotent functions of (session, now): inactivity, offline, escalation, partitions.

Each alerting job writes all its alerts in one statement. If the database refuses that statement
(one row breaking a constraint), the job goes again one row at a time, each in a savepoint of its
own: the row it refuses is logged with its id and skipped, and everyone else still gets their alert.
"""

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select, text, update
from sqlalchemy.exc import DBAPIError
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
from resolvers.clock import SHANGHAI
from resolvers.eldercare.readings import AlertCandidate, append_events, raise_alerts

logger = logging.getLogger("linli.jobs.eldercare")


async def policy(*, session: AsyncSession) -> CarePolicy:
    return await session.get(CarePolicy, 1)


async def all_or_each(
    *,
    session: AsyncSession,
    job: str,
    row: str,
    work: Callable[[Sequence[Any] | None], Awaitable[list]],
    rows: Callable[[], Awaitable[list[tuple[int, Any]]]],
) -> list:
    """work(None) does everything in one statement; if the database refuses it, work([item]) for
    each (id, item) of rows(), in a savepoint each: a refused row is logged by id and skipped."""
    try:
        async with session.begin_nested():
            return await work(None)
    except DBAPIError as error:
        if error.connection_invalidated:
            raise
        logger.warning("%s: one statement for all failed (%s); going one %s at a time", job, error.orig, row)
    done = []
    for row_id, item in await rows():
        try:
            async with session.begin_nested():
                done += await work([item])
        except DBAPIError as error:
            if error.connection_invalidated:
                raise
            logger.error(
                "%s: %s %s skipped: %s",
                job,
                row,
                row_id,
                error.orig,
                extra={"fields": {"job": job, row: row_id}},
            )
    return done


async def raise_each(
    *, session: AsyncSession, job: str, row: str, candidates: list[tuple[int, AlertCandidate]], now: datetime
) -> int:
    """The jobs' alerts: opened, or an open one left as it is (no count for a job's repeat)."""
    if not candidates:
        return 0

    async def work(some: Sequence[AlertCandidate] | None) -> list:
        chosen = [candidate for _, candidate in candidates] if some is None else list(some)
        return await raise_alerts(session=session, candidates=chosen, now=now, repeat_counts=False)

    async def rows() -> list[tuple[int, AlertCandidate]]:
        return candidates

    return len(await all_or_each(session=session, job=job, row=row, work=work, rows=rows))


async def raise_inactivity_alerts(*, session: AsyncSession, now: datetime) -> int:
    """独居 elders with no motion or door event for the policy's hours of the day (07:00–22:00)."""
    rules = await policy(session=session)
    local = now.astimezone(SHANGHAI)
    if not rules.day_starts_at <= local.time() <= rules.day_ends_at:
        return 0
    day_start = datetime.combine(local.date(), rules.day_starts_at, SHANGHAI)
    sensed = select(Device.elder_id).where(
        Device.kind.in_(("MOTION_SENSOR", "DOOR_SENSOR")), Device.elder_id.is_not(None)
    )
    elders = await session.execute(
        select(Elder.id, Elder.community_id, Elder.last_activity_at)
        .where(Elder.lives_alone, Elder.id.in_(sensed), Elder.monitoring_ended_at.is_(None))
        # As the offline job locks its devices and elders: a consent withdrawal in flight (the elder
        # locked) is skipped, one that follows waits and then resolves what this raised; an elder
        # whose activity is being recorded is skipped, she is not inactive.
        .with_for_update(read=True, skip_locked=True, of=Elder)
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
            candidates.append((elder_id, candidate))
    return await raise_each(
        session=session, job="raise_inactivity_alerts", row="elder", candidates=candidates, now=now
    )


def silent_since():
    """When a device last spoke; one never heard from is silent from its assignment (DOMAIN.md).
    deviceAssign forgets when it was last heard from: a device moved to another elder is silent
    from its new assignment, not from its last reading for the one before."""
    return func.coalesce(Device.last_seen_at, Device.assigned_at)


async def raise_device_offline_alerts(*, session: AsyncSession, now: datetime) -> int:
    """Silent devices, each locked FOR SHARE until the job commits (run_jobs_once: one transaction;
    all_or_each's savepoints come after the lock, so rolling one back keeps it). deviceRetire and
    deviceUnassign lock the device (device_run_by) before they resolve its offline alert: either
    they wait for this job, and their resolve, a later statement, sees the alert it committed, or
    the job skips the device they hold (SKIP LOCKED) and raises nothing for an elder it is leaving.
    Readings lock the devices they mark seen: skipping those is right too, they are being heard
    from (and a batch for a device the job holds waits only for the job's one short transaction).
    A device skipped is looked at again by the next run, a minute later."""
    rules = await policy(session=session)
    minutes = rules.device_offline_minutes
    silent = await session.execute(
        select(Device.id, Device.serial, Device.kind, Device.elder_id, Elder.community_id)
        .join(Elder, Elder.id == Device.elder_id)  # assigned devices only: unassigned and retired have none
        .where(
            silent_since() <= now - timedelta(minutes=minutes),
            Device.retired_at.is_(None),
            Elder.monitoring_ended_at.is_(None),
        )
        # A row changed and committed since this statement began is checked again as it is now
        # (READ COMMITTED): a device retired, moved or heard from meanwhile is not taken. The elder
        # is locked too: consentWithdraw holds her (elder_to_run) while it resolves her alerts.
        .with_for_update(read=True, skip_locked=True, of=(Device, Elder))
    )
    candidates = []
    for device in silent:
        candidate = AlertCandidate(
            device.elder_id,
            device.community_id,
            AlertKind.DEVICE_OFFLINE.value,
            device.serial,
            AlertSeverity.WARNING.value,
            f"设备 {device.serial} 已离线超过 {minutes} 分钟",
            now,
        )
        candidates.append((device.id, candidate))
    return await raise_each(
        session=session, job="raise_device_offline_alerts", row="device", candidates=candidates, now=now
    )


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
    due = and_(CareAlert.status == AlertStatus.OPEN.value, level > CareAlert.escalation_level)

    async def work(ids: Sequence[int] | None) -> list[CareAlert]:
        stmt = update(CareAlert).where(due if ids is None else and_(due, CareAlert.id.in_(ids)))
        escalated = (
            await session.scalars(
                stmt.values(escalation_level=level)
                .returning(CareAlert)
                .execution_options(synchronize_session=False)
            )
        ).all()
        await append_events(
            session=session, changes=[(alert, AlertEventType.ESCALATED) for alert in escalated], at=now
        )
        return list(escalated)

    async def rows() -> list[tuple[int, int]]:
        return [(alert_id, alert_id) for alert_id in await session.scalars(select(CareAlert.id).where(due))]

    return len(await all_or_each(session=session, job="escalate_alerts", row="alert", work=work, rows=rows))


async def ensure_reading_partitions(*, session: AsyncSession, now: datetime) -> int:
    first = now.astimezone(SHANGHAI).date().replace(day=1)
    months = [first, (first + timedelta(days=32)).replace(day=1), (first + timedelta(days=63)).replace(day=1)]
    for month in months:
        await session.execute(text("SELECT ensure_readings_partition(:month)"), {"month": month})
    return 0


# Elder care's periodic jobs (server/jobs.py runs every domain's, each minute, on one replica).
JOBS = (raise_inactivity_alerts, raise_device_offline_alerts, escalate_alerts, ensure_reading_partitions)
