"""Readings in: validation, idempotent storage, and the alert rules run in the same transaction."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, literal_column, or_, select, text
from sqlalchemy.dialects.postgresql import insert
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
    Device,
    Elder,
    ReadingKind,
    VitalThreshold,
)
from resolvers.eldercare.base import (
    ACTIVITY_KINDS,
    EVENT_CHANNEL,
    EVENT_ORDER_LOCK,
    FUTURE_TOLERANCE,
    MAX_BATCH,
    POSSIBLE,
    UNITS,
)
from resolvers.errors import DomainFailure

EMERGENCY_KINDS = frozenset({ReadingKind.SOS.value, ReadingKind.FALL.value})
ALERTING_KINDS = EMERGENCY_KINDS | {kind.value for kind in POSSIBLE}
READING_COLUMNS = ("device_id", "elder_id", "kind", "value", "loinc", "measured_at")
# One statement whatever the batch size (arrays, not 500 VALUES rows), so it is prepared once.
INSERT_READINGS = text(
    """
    INSERT INTO readings (device_id, elder_id, kind, value, loinc, measured_at)
    SELECT * FROM unnest(
      CAST(:device_id AS bigint[]), CAST(:elder_id AS bigint[]), CAST(:kind AS varchar[]),
      CAST(:value AS float8[]), CAST(:loinc AS varchar[]), CAST(:measured_at AS timestamptz[])
    )
    ON CONFLICT (device_id, kind, measured_at) DO NOTHING
    RETURNING elder_id, kind, value, measured_at
    """
)


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


Band = tuple[
    float | None, float | None, float | None, float | None
]  # critical ≤, warning ≤, warning ≥, critical ≥


def classify(value: float, band: Band) -> str | None:
    critical_low, warning_low, warning_high, critical_high = band
    if (critical_low is not None and value <= critical_low) or (
        critical_high is not None and value >= critical_high
    ):
        return AlertSeverity.CRITICAL.value
    if (warning_low is not None and value <= warning_low) or (
        warning_high is not None and value >= warning_high
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
            INSERT_READINGS, {column: [row[column] for row in rows] for column in READING_COLUMNS}
        )
    ).all()
    await mark_seen(session=session, rows=rows, inserted=inserted)
    community_of = {device.elder_id: device.community_id for device in devices.values()}
    candidates = await alert_candidates(session=session, inserted=inserted, community_of=community_of)
    alerts = await raise_alerts(session=session, candidates=candidates, now=now)
    return RecordResult(
        accepted=len(inserted), duplicates=len(rows) - len(inserted), rejected=rejected, alerts=alerts
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
    # Plain tuples: this loop runs for every reading of the batch.
    bands = {
        key: (band.critical_low, band.warning_low, band.warning_high, band.critical_high)
        for key, band in (await thresholds_for(session=session, elder_ids=list(community_of))).items()
    }
    found: dict[str, AlertCandidate] = {}
    for row in inserted:
        if row.kind not in ALERTING_KINDS or (row.value is None and row.kind not in EMERGENCY_KINDS):
            continue
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


async def upsert_alert(
    *, session: AsyncSession, candidate: AlertCandidate, now: datetime, repeat_counts: bool
) -> tuple[CareAlert, AlertEventType] | None:
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
    return alert, AlertEventType.OPENED if opened else AlertEventType.UPDATED


async def raise_alerts(
    *, session: AsyncSession, candidates: list[AlertCandidate], now: datetime, repeat_counts: bool = True
) -> list[CareAlert]:
    """Open or update each candidate's alert, then record all the changes as events at once."""
    changes = []
    for candidate in candidates:
        change = await upsert_alert(
            session=session, candidate=candidate, now=now, repeat_counts=repeat_counts
        )
        if change is not None:
            changes.append(change)
    await append_events(session=session, changes=changes, at=now)
    return [alert for alert, _ in changes]


async def append_events(
    *,
    session: AsyncSession,
    changes: list[tuple[CareAlert, AlertEventType]],
    at: datetime,
    actor_id: int | None = None,
    note: str | None = None,
) -> list[int]:
    """The changes as event rows (the history and the feed's outbox), announced once at commit."""
    if not changes:
        return []
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": EVENT_ORDER_LOCK})
    sequences = list(
        await session.scalars(
            insert(CareAlertEvent)
            .values(
                [
                    {
                        "alert_id": alert.id,
                        "elder_id": alert.elder_id,
                        "community_id": alert.community_id,
                        "type": change.value,
                        "actor_id": actor_id,
                        "note": note,
                        "at": at,
                    }
                    for alert, change in changes
                ]
            )
            .returning(CareAlertEvent.sequence)
        )
    )
    # Delivered to listeners only if and when this transaction commits; they read from the table.
    await session.execute(select(func.pg_notify(EVENT_CHANNEL, str(max(sequences)))))
    return sequences
