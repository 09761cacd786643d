"""智慧养老: readings become care alerts; staff acknowledge and resolve; consenting family follow.

Alerts are raised in the same transaction as the readings that cause them. One open alert per
dedup key (elder + kind + reading kind) is a partial unique index, so concurrent batches merge
into it with INSERT … ON CONFLICT: repeats raise count and last-seen, and may raise — never
lower — the severity. Every change is an event row with a global sequence, announced by NOTIFY
at commit; an advisory transaction lock makes sequences commit in order, so a reader that has
seen sequence N has seen everything before it.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, literal_column, or_, select, text, true, update
from sqlalchemy.dialects.postgresql import distinct_on, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from models.eldercare import (
    LOINC,
    SEVERITY_RANK,
    AlertEventType,
    AlertKind,
    AlertSeverity,
    AlertStatus,
    CareAlert,
    CareAlertEvent,
    CarePolicy,
    CareVisit,
    Device,
    Elder,
    FamilyLink,
    HealthAccessLog,
    Reading,
    ReadingKind,
    VitalThreshold,
)
from models.people import Role
from resolvers.actor import Viewer
from resolvers.errors import DomainFailure, NotFoundFailure
from resolvers.pagination import Page, keyset_page

SHANGHAI = ZoneInfo("Asia/Shanghai")
EVENT_CHANNEL = "care_alert_events"
EVENT_ORDER_LOCK = 0x43415245  # "CARE": events take their sequence one transaction at a time
MAX_BATCH = 500
FUTURE_TOLERANCE = timedelta(minutes=5)

# What a sensor can physically report; anything outside is a broken device, not a patient.
POSSIBLE = {
    ReadingKind.HEART_RATE: (20, 250),
    ReadingKind.SPO2: (50, 100),
    ReadingKind.SYSTOLIC_BP: (50, 300),
    ReadingKind.DIASTOLIC_BP: (30, 200),
    ReadingKind.BODY_TEMPERATURE: (30, 45),
}
UNITS = {
    ReadingKind.HEART_RATE: ("心率", "次/分"),
    ReadingKind.SPO2: ("血氧饱和度", "%"),
    ReadingKind.SYSTOLIC_BP: ("收缩压", "mmHg"),
    ReadingKind.DIASTOLIC_BP: ("舒张压", "mmHg"),
    ReadingKind.BODY_TEMPERATURE: ("体温", "°C"),
}
ACTIVITY_KINDS = {ReadingKind.MOTION.value, ReadingKind.DOOR.value}


# ── who may see and act ──────────────────────────────────────────────────────


def consented_elders(person_id: int):
    return select(FamilyLink.elder_id).where(
        FamilyLink.person_id == person_id,
        FamilyLink.consented_at.is_not(None),
        FamilyLink.consent_revoked_at.is_(None),
    )


def visible_elders(viewer: Viewer) -> ColumnElement[bool]:
    """Care staff see their community's elders, administrators all, family only those who consented."""
    if viewer.has_role(Role.ADMIN.value):
        return true()
    allowed = [Elder.id.in_(consented_elders(viewer.person_id))]
    if viewer.has_role(Role.CARE_STAFF.value) and viewer.community_id is not None:
        allowed.append(Elder.community_id == viewer.community_id)
    return or_(*allowed)


def is_care_staff_of(viewer: Viewer, community_id: int) -> bool:
    return viewer.is_staff_of(Role.CARE_STAFF, community_id)


async def visible_elder_or_error(*, session: AsyncSession, viewer: Viewer, elder_id: int) -> Elder:
    elder = await session.scalar(select(Elder).where(Elder.id == elder_id, visible_elders(viewer)))
    if elder is None:
        raise NotFoundFailure("该老人")
    return elder


# ── readings ─────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class ReadingIn:
    device_serial: str
    kind: str
    value: float | None
    measured_at: datetime


@dataclass(frozen=True)
class Rejection:
    index: int
    device_serial: str
    code: str
    message: str


@dataclass
class RecordResult:
    accepted: int
    duplicates: int
    rejected: list[Rejection]
    alerts: list[CareAlert]


@dataclass
class AlertCandidate:
    """An alert to open or update: what one batch (or job) found for one dedup key."""

    elder_id: int
    community_id: int
    kind: str
    reading_kind: str | None
    severity: str
    summary: str
    last_seen_at: datetime
    value: float | None = None
    count: int = 1

    @property
    def dedup_key(self) -> str:
        return f"{self.elder_id}:{self.kind}:{self.reading_kind or ''}"

    def merge(self, other: "AlertCandidate") -> None:
        self.count += other.count
        if SEVERITY_RANK[AlertSeverity(other.severity)] > SEVERITY_RANK[AlertSeverity(self.severity)]:
            self.severity = other.severity
        if other.last_seen_at >= self.last_seen_at:
            self.last_seen_at, self.value, self.summary = other.last_seen_at, other.value, other.summary


def check_reading(reading: ReadingIn, now: datetime) -> tuple[str, str] | None:
    """(code, message) when a reading cannot be true; None when it is plausible."""
    try:
        kind = ReadingKind(reading.kind)
    except ValueError:
        return "UNKNOWN_KIND", f"未知的读数类型：{reading.kind}"
    if reading.measured_at.tzinfo is None:
        return "INVALID_TIME", "测量时间必须带时区"
    if reading.measured_at > now + FUTURE_TOLERANCE:
        return "IN_THE_FUTURE", "测量时间晚于当前时间"
    if kind in POSSIBLE:
        low, high = POSSIBLE[kind]
        if reading.value is None or math.isnan(reading.value) or not low <= reading.value <= high:
            return (
                "IMPOSSIBLE_VALUE",
                f"{UNITS[kind][0]}读数 {reading.value} 不可能（应在 {low}–{high} 之间）",
            )
    return None


def classify(value: float, band: VitalThreshold) -> str | None:
    if (band.critical_low is not None and value <= band.critical_low) or (
        band.critical_high is not None and value >= band.critical_high
    ):
        return AlertSeverity.CRITICAL.value
    if (band.warning_low is not None and value <= band.warning_low) or (
        band.warning_high is not None and value >= band.warning_high
    ):
        return AlertSeverity.WARNING.value
    return None


async def thresholds_for(
    *, session: AsyncSession, elder_ids: Sequence[int]
) -> dict[tuple[int | None, str], VitalThreshold]:
    rows = await session.scalars(
        select(VitalThreshold).where(
            or_(VitalThreshold.elder_id.is_(None), VitalThreshold.elder_id.in_(elder_ids))
        )
    )
    return {(row.elder_id, row.kind): row for row in rows}


def vital_summary(kind: ReadingKind, value: float, severity: str) -> str:
    name, unit = UNITS[kind]
    level = "危急" if severity == AlertSeverity.CRITICAL else "异常"
    return f"{name}{level}：{value:g} {unit}"


async def record_readings(*, session: AsyncSession, readings: list[ReadingIn], now: datetime) -> RecordResult:
    """Store the valid readings (idempotent per device, kind, time), then apply the alert rules."""
    if not readings:
        raise DomainFailure("EMPTY_BATCH", "没有读数", kind="InvalidReadings")
    if len(readings) > MAX_BATCH:
        raise DomainFailure("BATCH_TOO_LARGE", f"每批最多 {MAX_BATCH} 条读数", kind="InvalidReadings")
    serials = {reading.device_serial for reading in readings}
    devices = {
        row.serial: row
        for row in await session.execute(
            select(Device.id, Device.serial, Device.elder_id, Elder.community_id)
            .join(Elder, Elder.id == Device.elder_id)
            .where(Device.serial.in_(serials))
        )
    }
    rows, rejected = [], []
    for index, reading in enumerate(readings):
        device = devices.get(reading.device_serial)
        problem = ("UNKNOWN_DEVICE", f"未登记的设备：{reading.device_serial}") if device is None else None
        problem = problem or check_reading(reading, now)
        if problem is not None:
            rejected.append(Rejection(index, reading.device_serial, *problem))
            continue
        rows.append(
            {
                "device_id": device.id,
                "elder_id": device.elder_id,
                "kind": reading.kind,
                "value": reading.value,
                "loinc": LOINC.get(ReadingKind(reading.kind)),
                "measured_at": reading.measured_at,
            }
        )
    if not rows:
        raise DomainFailure(
            "NO_VALID_READINGS",
            "这一批读数全部无效，未保存任何读数",
            kind="InvalidReadings",
            rejected=rejected,
        )
    inserted = (
        await session.execute(
            insert(Reading)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["device_id", "kind", "measured_at"])
            .returning(Reading.elder_id, Reading.kind, Reading.value, Reading.measured_at)
        )
    ).all()
    await mark_seen(session=session, rows=rows, inserted=inserted)
    community_of = {device.elder_id: device.community_id for device in devices.values()}
    candidates = await alert_candidates(session=session, inserted=inserted, community_of=community_of)
    alerts = [await raise_alert(session=session, candidate=candidate, now=now) for candidate in candidates]
    return RecordResult(
        accepted=len(inserted),
        duplicates=len(rows) - len(inserted),
        rejected=rejected,
        alerts=[alert for alert in alerts if alert is not None],
    )


async def mark_seen(*, session: AsyncSession, rows: list[dict], inserted: list) -> None:
    """Devices were seen (even when resending); elders living alone moved (motion, door)."""
    seen: dict[int, datetime] = {}
    for row in rows:
        seen[row["device_id"]] = max(seen.get(row["device_id"], row["measured_at"]), row["measured_at"])
    await session.execute(
        text(
            "UPDATE devices d SET last_seen_at = greatest(d.last_seen_at, v.seen) FROM "
            "unnest(CAST(:ids AS bigint[]), CAST(:seen AS timestamptz[])) AS v(id, seen) WHERE d.id = v.id"
        ),
        {"ids": list(seen), "seen": list(seen.values())},
    )
    moved: dict[int, datetime] = {}
    for row in inserted:
        if row.kind in ACTIVITY_KINDS:
            moved[row.elder_id] = max(moved.get(row.elder_id, row.measured_at), row.measured_at)
    if moved:
        await session.execute(
            text(
                "UPDATE elders e SET last_activity_at = greatest(e.last_activity_at, v.at) FROM "
                "unnest(CAST(:ids AS bigint[]), CAST(:at AS timestamptz[])) AS v(id, at) WHERE e.id = v.id"
            ),
            {"ids": list(moved), "at": list(moved.values())},
        )


async def alert_candidates(
    *, session: AsyncSession, inserted: list, community_of: dict[int, int]
) -> list[AlertCandidate]:
    """The rules: vitals against the elder's (or default) bands; SOS and falls are critical at once."""
    bands = await thresholds_for(session=session, elder_ids=list(community_of))
    found: dict[str, AlertCandidate] = {}
    for row in inserted:
        kind = ReadingKind(row.kind)
        candidate = None
        if kind in (ReadingKind.SOS, ReadingKind.FALL):
            summary = "紧急呼叫（SOS）" if kind is ReadingKind.SOS else "检测到跌倒"
            candidate = AlertCandidate(
                row.elder_id,
                community_of[row.elder_id],
                AlertKind(kind.value).value,
                None,
                AlertSeverity.CRITICAL.value,
                summary,
                row.measured_at,
            )
        elif row.value is not None:
            band = bands.get((row.elder_id, kind.value)) or bands.get((None, kind.value))
            severity = classify(row.value, band) if band is not None else None
            if severity is not None:
                candidate = AlertCandidate(
                    row.elder_id,
                    community_of[row.elder_id],
                    AlertKind.VITAL_OUT_OF_RANGE.value,
                    kind.value,
                    severity,
                    vital_summary(kind, row.value, severity),
                    row.measured_at,
                    row.value,
                )
        if candidate is not None:
            if candidate.dedup_key in found:
                found[candidate.dedup_key].merge(candidate)
            else:
                found[candidate.dedup_key] = candidate
    return list(found.values())


def _rank(severity) -> ColumnElement[int]:
    return case(
        (severity == AlertSeverity.CRITICAL.value, 3), (severity == AlertSeverity.WARNING.value, 2), else_=1
    )


async def raise_alert(
    *, session: AsyncSession, candidate: AlertCandidate, now: datetime, repeat_counts: bool = True
) -> CareAlert | None:
    """Open the alert, or fold a repeat into the open one; None when a job's alert is already open."""
    values = {
        "elder_id": candidate.elder_id,
        "community_id": candidate.community_id,
        "kind": candidate.kind,
        "reading_kind": candidate.reading_kind,
        "dedup_key": candidate.dedup_key,
        "severity": candidate.severity,
        "status": AlertStatus.OPEN.value,
        "summary": candidate.summary,
        "last_value": candidate.value,
        "count": candidate.count,
        "opened_at": now,
        "last_seen_at": candidate.last_seen_at,
    }
    stmt = insert(CareAlert).values(values)
    target = {"index_elements": [CareAlert.dedup_key], "index_where": text("status <> 'RESOLVED'")}
    if repeat_counts:
        excluded = stmt.excluded
        stmt = stmt.on_conflict_do_update(
            **target,
            set_={
                "count": CareAlert.count + excluded.count,
                "last_seen_at": func.greatest(CareAlert.last_seen_at, excluded.last_seen_at),
                "severity": case(
                    (_rank(excluded.severity) > _rank(CareAlert.severity), excluded.severity),
                    else_=CareAlert.severity,
                ),
                "summary": excluded.summary,
                "last_value": excluded.last_value,
            },
        )
    else:
        stmt = stmt.on_conflict_do_nothing(**target)
    row = (
        await session.execute(
            stmt.returning(CareAlert, literal_column("xmax = 0").label("opened")),
            execution_options={"populate_existing": True},
        )
    ).first()
    if row is None:
        return None
    alert, opened = row
    await append_event(
        session=session, alert=alert, type=AlertEventType.OPENED if opened else AlertEventType.UPDATED, at=now
    )
    return alert


async def append_event(
    *,
    session: AsyncSession,
    alert: CareAlert,
    type: AlertEventType,
    at: datetime,
    actor_id: int | None = None,
    note: str | None = None,
) -> int:
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": EVENT_ORDER_LOCK})
    sequence = await session.scalar(
        insert(CareAlertEvent)
        .values(
            alert_id=alert.id,
            elder_id=alert.elder_id,
            community_id=alert.community_id,
            type=type.value,
            actor_id=actor_id,
            note=note,
            at=at,
        )
        .returning(CareAlertEvent.sequence)
    )
    # Delivered to listeners only if and when this transaction commits.
    await session.execute(select(func.pg_notify(EVENT_CHANNEL, str(sequence))))
    return sequence


# ── lifecycle ────────────────────────────────────────────────────────────────


async def alert_for_staff(*, session: AsyncSession, viewer: Viewer, alert_id: int) -> CareAlert:
    alert = await session.scalar(select(CareAlert).where(CareAlert.id == alert_id).with_for_update())
    if alert is None or not is_care_staff_of(viewer, alert.community_id):
        raise NotFoundFailure("该告警")
    return alert


async def acknowledge(*, session: AsyncSession, viewer: Viewer, alert_id: int, now: datetime) -> CareAlert:
    alert = await alert_for_staff(session=session, viewer=viewer, alert_id=alert_id)
    if alert.status == AlertStatus.RESOLVED:
        raise DomainFailure("ALREADY_RESOLVED", "该告警已处理完毕")
    if alert.status == AlertStatus.ACKNOWLEDGED:
        raise DomainFailure("ALREADY_ACKNOWLEDGED", "该告警已有人响应")
    alert.status, alert.acknowledged_by, alert.acknowledged_at = (
        AlertStatus.ACKNOWLEDGED.value,
        viewer.person_id,
        now,
    )
    await session.flush()
    await append_event(
        session=session, alert=alert, type=AlertEventType.ACKNOWLEDGED, at=now, actor_id=viewer.person_id
    )
    return alert


async def resolve(
    *, session: AsyncSession, viewer: Viewer, alert_id: int, note: str, now: datetime
) -> CareAlert:
    alert = await alert_for_staff(session=session, viewer=viewer, alert_id=alert_id)
    if not note.strip():
        raise DomainFailure("NOTE_REQUIRED", "处理告警须填写处理说明")
    if alert.status == AlertStatus.RESOLVED:
        raise DomainFailure("ALREADY_RESOLVED", "该告警已处理完毕")
    if alert.acknowledged_at is None:
        alert.acknowledged_by, alert.acknowledged_at = viewer.person_id, now
    alert.status, alert.resolved_by, alert.resolved_at = AlertStatus.RESOLVED.value, viewer.person_id, now
    alert.resolution_note = note.strip()
    await session.flush()
    await append_event(
        session=session,
        alert=alert,
        type=AlertEventType.RESOLVED,
        at=now,
        actor_id=viewer.person_id,
        note=note.strip(),
    )
    return alert


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
        raise NotFoundFailure("该老人")
    if kind not in ("VISIT", "CALL", "VIDEO_CALL", "ESCORT"):
        raise DomainFailure("UNKNOWN_VISIT_KIND", "探访方式须为 VISIT、CALL、VIDEO_CALL 或 ESCORT")
    if not note.strip():
        raise DomainFailure("NOTE_REQUIRED", "请填写探访记录")
    if visited_at > now + FUTURE_TOLERANCE:
        raise DomainFailure("IN_THE_FUTURE", "探访时间不能晚于现在")
    visit = CareVisit(
        elder_id=elder.id, staff_id=viewer.person_id, kind=kind, note=note.strip(), visited_at=visited_at
    )
    session.add(visit)
    await session.flush()
    return visit


# ── jobs: idempotent functions of (session, now) ─────────────────────────────


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
    raised = 0
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
            raised += (
                await raise_alert(session=session, candidate=candidate, now=now, repeat_counts=False)
                is not None
            )
    return raised


async def raise_device_offline_alerts(*, session: AsyncSession, now: datetime) -> int:
    rules = await policy(session=session)
    silent = await session.execute(
        select(Device.id, Device.serial, Device.kind, Device.elder_id, Elder.community_id)
        .join(Elder, Elder.id == Device.elder_id)
        .where(Device.last_seen_at < now - timedelta(minutes=rules.device_offline_minutes))
    )
    raised = 0
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
        raised += (
            await raise_alert(session=session, candidate=candidate, now=now, repeat_counts=False) is not None
        )
    return raised


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
    for alert in escalated:
        await append_event(session=session, alert=alert, type=AlertEventType.ESCALATED, at=now)
    return len(escalated)


async def ensure_reading_partitions(*, session: AsyncSession, now: datetime) -> int:
    first = now.astimezone(SHANGHAI).date().replace(day=1)
    months = [first, (first + timedelta(days=32)).replace(day=1), (first + timedelta(days=63)).replace(day=1)]
    for month in months:
        await session.execute(text("SELECT ensure_readings_partition(:month)"), {"month": month})
    return 0


# ── reading ──────────────────────────────────────────────────────────────────


async def list_elders(
    *,
    session: AsyncSession,
    viewer: Viewer,
    community_id: int | None,
    lives_alone: bool | None,
    first: int,
    after: Sequence | None,
) -> Page[Elder]:
    stmt = select(Elder).where(visible_elders(viewer))
    if community_id is not None:
        stmt = stmt.where(Elder.community_id == community_id)
    if lives_alone is not None:
        stmt = stmt.where(Elder.lives_alone.is_(lives_alone))
    return await keyset_page(stmt, session=session, key_columns=[Elder.id], first=first, after=after)


@dataclass
class AlertFilter:
    statuses: list[str] = field(default_factory=list)
    severities: list[str] = field(default_factory=list)
    community_id: int | None = None
    alert_id: int | None = None


def _alert_query(viewer: Viewer, where: AlertFilter):
    stmt = select(CareAlert).where(CareAlert.elder_id.in_(select(Elder.id).where(visible_elders(viewer))))
    if where.statuses:
        stmt = stmt.where(CareAlert.status.in_(where.statuses))
    if where.severities:
        stmt = stmt.where(CareAlert.severity.in_(where.severities))
    if where.community_id is not None:
        stmt = stmt.where(CareAlert.community_id == where.community_id)
    if where.alert_id is not None:
        stmt = stmt.where(CareAlert.id == where.alert_id)
    return stmt


async def list_alerts(
    *, session: AsyncSession, viewer: Viewer, where: AlertFilter, first: int, after: Sequence | None
) -> Page[CareAlert]:
    """Newest first."""
    return await keyset_page(
        _alert_query(viewer, where),
        session=session,
        key_columns=[CareAlert.opened_at, CareAlert.id],
        first=first,
        after=after,
        descending=True,
    )


async def count_alerts(*, session: AsyncSession, viewer: Viewer, where: AlertFilter) -> int:
    return await session.scalar(select(func.count()).select_from(_alert_query(viewer, where).subquery()))


@dataclass
class Dashboard:
    open_critical: int
    open_warning: int
    overdue_unacknowledged: int
    elders_monitored: int
    devices_offline: int


async def dashboard(
    *, session: AsyncSession, viewer: Viewer, community_id: int | None, now: datetime
) -> Dashboard:
    rules = await policy(session=session)
    elders = select(Elder.id).where(visible_elders(viewer))
    if community_id is not None:
        elders = elders.where(Elder.community_id == community_id)
    open_alerts = and_(CareAlert.elder_id.in_(elders), CareAlert.status == AlertStatus.OPEN.value)
    row = (
        await session.execute(
            select(
                select(func.count()).where(open_alerts, CareAlert.severity == "CRITICAL").scalar_subquery(),
                select(func.count()).where(open_alerts, CareAlert.severity == "WARNING").scalar_subquery(),
                select(func.count()).where(open_alerts, CareAlert.escalation_level > 0).scalar_subquery(),
                select(func.count(func.distinct(Device.elder_id)))
                .where(Device.elder_id.in_(elders))
                .scalar_subquery(),
                select(func.count())
                .where(
                    Device.elder_id.in_(elders),
                    Device.last_seen_at < now - timedelta(minutes=rules.device_offline_minutes),
                )
                .scalar_subquery(),
            )
        )
    ).one()
    return Dashboard(*row)


async def devices_by_elder_ids(*, session: AsyncSession, ids: Sequence[int]) -> list[list[Device]]:
    rows = await session.scalars(select(Device).where(Device.elder_id.in_(ids)).order_by(Device.id))
    by_elder: dict[int, list[Device]] = {elder_id: [] for elder_id in ids}
    for device in rows:
        by_elder[device.elder_id].append(device)
    return [by_elder[elder_id] for elder_id in ids]


async def alerts_by_elder_ids(*, session: AsyncSession, ids: Sequence[int]) -> list[list[CareAlert]]:
    rows = await session.scalars(
        select(CareAlert)
        .where(CareAlert.elder_id.in_(ids))
        .order_by(CareAlert.opened_at.desc(), CareAlert.id.desc())
    )
    by_elder: dict[int, list[CareAlert]] = {elder_id: [] for elder_id in ids}
    for alert in rows:
        by_elder[alert.elder_id].append(alert)
    return [by_elder[elder_id] for elder_id in ids]


async def latest_vitals_by_elder_ids(*, session: AsyncSession, ids: Sequence[int]) -> list[list[Reading]]:
    """The newest reading of each vital per elder within the last week (partition pruning keeps it cheap)."""
    rows = await session.scalars(
        select(Reading)
        .where(
            Reading.elder_id.in_(ids),
            Reading.kind.in_([kind.value for kind in POSSIBLE]),
            Reading.measured_at > func.now() - timedelta(days=7),
        )
        .ext(distinct_on(Reading.elder_id, Reading.kind))
        .order_by(Reading.elder_id, Reading.kind, Reading.measured_at.desc())
    )
    by_elder: dict[int, list[Reading]] = {elder_id: [] for elder_id in ids}
    for reading in rows:
        by_elder[reading.elder_id].append(reading)
    return [by_elder[elder_id] for elder_id in ids]


async def get_elders_by_ids(*, session: AsyncSession, ids: Sequence[int]) -> list[Elder | None]:
    rows = await session.scalars(select(Elder).where(Elder.id.in_(ids)))
    by_id = {row.id: row for row in rows}
    return [by_id.get(elder_id) for elder_id in ids]


async def visits_by_elder_ids(*, session: AsyncSession, ids: Sequence[int]) -> list[list[CareVisit]]:
    rows = await session.scalars(
        select(CareVisit).where(CareVisit.elder_id.in_(ids)).order_by(CareVisit.visited_at.desc())
    )
    by_elder: dict[int, list[CareVisit]] = {elder_id: [] for elder_id in ids}
    for visit in rows:
        by_elder[visit.elder_id].append(visit)
    return [by_elder[elder_id] for elder_id in ids]


async def events_after(
    *, session: AsyncSession, viewer: Viewer, after: int, community_id: int | None, limit: int = 500
) -> list[tuple[CareAlertEvent, CareAlert]]:
    """Events the viewer may see, strictly after a sequence, in order (for live delivery and replay)."""
    stmt = (
        select(CareAlertEvent, CareAlert)
        .join(CareAlert, CareAlert.id == CareAlertEvent.alert_id)
        .where(
            CareAlertEvent.sequence > after,
            CareAlertEvent.elder_id.in_(select(Elder.id).where(visible_elders(viewer))),
        )
        .order_by(CareAlertEvent.sequence)
        .limit(limit)
    )
    if community_id is not None:
        stmt = stmt.where(CareAlertEvent.community_id == community_id)
    return [(row.CareAlertEvent, row.CareAlert) for row in await session.execute(stmt)]


async def write_access_log(
    *, session: AsyncSession, person_id: int, request_id: str | None, reads: dict[int, set[str]]
) -> None:
    """One row per elder whose health data this request read (who, when, whose, what)."""
    if reads:
        await session.execute(
            insert(HealthAccessLog).values(
                [
                    {
                        "person_id": person_id,
                        "elder_id": elder_id,
                        "what": sorted(what),
                        "request_id": request_id,
                    }
                    for elder_id, what in reads.items()
                ]
            )
        )


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
