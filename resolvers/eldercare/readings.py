"""Readings in: validation, idempotent storage, and the alert rules run in the same transaction."""

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from models.eldercare import (
    LOINC,
    SEVERITY_RANK,
    AlertEventType,
    AlertKind,
    AlertSeverity,
    CareAlert,
    ReadingKind,
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
from resolvers.eldercare.errors import InvalidReadings
from resolvers.errors import ErrorCode

EMERGENCY_KINDS = frozenset({ReadingKind.SOS.value, ReadingKind.FALL.value})
# One statement per batch, whatever its size (arrays, so it is prepared once): find the devices,
# keep those assigned to an elder (devices.elder_id: a device unassigned or retired has none), of
# elders still monitored (consent not withdrawn), and what their kind can measure (the table
# device_kind_readings), store the new readings, mark devices seen and elders active, and judge
# each stored reading against the elder's own band for its kind, else the default band. Only what
# needs an alert comes back, with the count stored, the serials no device has and the positions (in
# the arrays) of readings from devices assigned to nobody, of elders who withdrew consent, and of
# readings their device cannot measure.
STORE_READINGS = text(
    """
    WITH batch AS (
      SELECT * FROM unnest(
        CAST(:serial AS varchar[]), CAST(:kind AS varchar[]), CAST(:value AS float8[]),
        CAST(:loinc AS varchar[]), CAST(:measured_at AS timestamptz[])
      ) WITH ORDINALITY AS b(serial, kind, value, loinc, measured_at, position)
    ),
    known AS (
      SELECT d.id, d.serial, d.elder_id, d.kind, e.monitoring_ended_at IS NULL AS monitored
      FROM devices d LEFT JOIN elders e ON e.id = d.elder_id
      WHERE d.serial = ANY(CAST(:serials AS varchar[]))
    ),
    sent AS (
      SELECT b.position, b.kind, b.value, b.loinc, b.measured_at, k.id AS device_id, k.elder_id,
             k.kind AS device_kind, m.reading_kind IS NOT NULL AS measurable, k.monitored
      FROM batch b JOIN known k ON k.serial = b.serial
      LEFT JOIN device_kind_readings m ON m.device_kind = k.kind AND m.reading_kind = b.kind
    ),
    stored AS (
      INSERT INTO readings (device_id, elder_id, kind, value, loinc, measured_at)
      SELECT device_id, elder_id, kind, value, loinc, measured_at FROM sent
      WHERE measurable AND elder_id IS NOT NULL AND monitored
      ORDER BY device_id, kind, measured_at
      ON CONFLICT (device_id, kind, measured_at) DO NOTHING
      RETURNING elder_id, kind, value, measured_at
    ),
    seen AS (
      UPDATE devices d SET last_seen_at = greatest(d.last_seen_at, v.seen)
      FROM (SELECT device_id, max(measured_at) AS seen FROM sent
            WHERE measurable AND elder_id IS NOT NULL AND monitored GROUP BY device_id) AS v
      WHERE d.id = v.device_id
    ),
    moved AS (
      UPDATE elders e SET last_activity_at = greatest(e.last_activity_at, v.at)
      FROM (SELECT elder_id, max(measured_at) AS at FROM stored
            WHERE kind = ANY(CAST(:activity_kinds AS varchar[])) GROUP BY elder_id) AS v
      WHERE e.id = v.elder_id
    ),
    judged AS (
      SELECT s.elder_id, s.kind, s.value, s.measured_at,
             CASE WHEN s.kind = ANY(CAST(:emergency_kinds AS varchar[])) THEN 'CRITICAL'
                  WHEN s.value <= coalesce(own.critical_low, base.critical_low)
                    OR s.value >= coalesce(own.critical_high, base.critical_high) THEN 'CRITICAL'
                  WHEN s.value <= coalesce(own.warning_low, base.warning_low)
                    OR s.value >= coalesce(own.warning_high, base.warning_high) THEN 'WARNING'
             END AS severity
      FROM stored s
      LEFT JOIN vital_thresholds own ON own.elder_id = s.elder_id AND own.kind = s.kind
      LEFT JOIN vital_thresholds base ON base.elder_id IS NULL AND base.kind = s.kind AND own.id IS NULL
      WHERE s.kind = ANY(CAST(:emergency_kinds AS varchar[])) OR s.value IS NOT NULL
    ),
    flagged AS (
      SELECT j.*, e.community_id FROM judged j JOIN elders e ON e.id = j.elder_id
      WHERE j.severity IS NOT NULL
    )
    SELECT
      ARRAY(SELECT serial FROM unnest(CAST(:serials AS varchar[])) AS serial EXCEPT SELECT serial FROM known)
        AS unknown,
      (SELECT count(*) FROM stored) AS accepted,
      u.positions AS unmeasurable, u.device_kinds AS unmeasurable_by, u.unassigned,
      w.positions AS withdrawn,
      f.elder_ids, f.community_ids, f.kinds, f.values, f.measured_ats, f.severities
    FROM (
      SELECT array_agg(elder_id ORDER BY measured_at) AS elder_ids,
             array_agg(community_id ORDER BY measured_at) AS community_ids,
             array_agg(kind ORDER BY measured_at) AS kinds,
             array_agg(value ORDER BY measured_at) AS values,
             array_agg(measured_at ORDER BY measured_at) AS measured_ats,
             array_agg(severity ORDER BY measured_at) AS severities
      FROM flagged
    ) AS f,
    (
      SELECT array_agg(position ORDER BY position) FILTER (WHERE elder_id IS NOT NULL) AS positions,
             array_agg(device_kind ORDER BY position) FILTER (WHERE elder_id IS NOT NULL) AS device_kinds,
             array_agg(position ORDER BY position) FILTER (WHERE elder_id IS NULL) AS unassigned
      FROM sent WHERE NOT measurable OR elder_id IS NULL
    ) AS u,
    (
      SELECT array_agg(position ORDER BY position) AS positions
      FROM sent WHERE measurable AND elder_id IS NOT NULL AND NOT monitored
    ) AS w
    """
)


@dataclass(slots=True)  # not frozen: a gateway batch makes 500 of these, and frozen ones build slower
class ReadingIn:
    device_serial: str | None  # None: the reading named no device
    kind: str
    value: float | None
    measured_at: datetime
    serial_given_twice: bool = False  # named in deviceSerial and in its deprecated alias deviceId


@dataclass(frozen=True)
class Rejection:
    index: int
    device_serial: str | None
    code: ErrorCode
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
    last_value: float | None = None
    count: int = 1

    @property
    def dedup_key(self) -> str:
        return f"{self.elder_id}:{self.kind}:{self.reading_kind or ''}"

    def merge(self, other: "AlertCandidate") -> None:
        self.count += other.count
        if SEVERITY_RANK[AlertSeverity(other.severity)] > SEVERITY_RANK[AlertSeverity(self.severity)]:
            self.severity = other.severity
        if other.last_seen_at >= self.last_seen_at:
            self.last_seen_at, self.summary = other.last_seen_at, other.summary
            self.last_value = other.last_value


def check_reading(reading: ReadingIn, now: datetime) -> tuple[ErrorCode, str] | None:
    """(code, message) when a reading cannot be true; None when it is plausible."""
    if reading.device_serial is None:
        return ErrorCode.DEVICE_SERIAL_MISSING, "读数未指明设备：请在 deviceSerial 中给出设备序列号"
    if reading.serial_given_twice:
        return ErrorCode.DEVICE_SERIAL_GIVEN_TWICE, "deviceSerial 与已弃用的 deviceId 只能给出其一"
    try:
        kind = ReadingKind(reading.kind)
    except ValueError:
        return ErrorCode.UNKNOWN_KIND, f"未知的读数类型：{reading.kind}"
    if reading.measured_at.tzinfo is None:
        return ErrorCode.INVALID_TIME, "测量时间必须带时区"
    if reading.measured_at > now + FUTURE_TOLERANCE:
        return ErrorCode.IN_THE_FUTURE, "测量时间晚于当前时间"
    if kind in POSSIBLE:
        low, high = POSSIBLE[kind]
        if reading.value is None or math.isnan(reading.value) or not low <= reading.value <= high:
            return (
                ErrorCode.IMPOSSIBLE_VALUE,
                f"{UNITS[kind][0]}读数 {reading.value} 不可能（应在 {low}–{high} 之间）",
            )
    return None


def vital_summary(kind: ReadingKind, value: float, severity: str) -> str:
    name, unit = UNITS[kind]
    level = "危急" if severity == AlertSeverity.CRITICAL else "异常"
    return f"{name}{level}：{value:g} {unit}"


async def record_readings(*, session: AsyncSession, readings: list[ReadingIn], now: datetime) -> RecordResult:
    """Store the valid readings (idempotent per device, kind, time), then apply the alert rules."""
    if not readings:
        raise InvalidReadings(ErrorCode.EMPTY_BATCH, "没有读数")
    if len(readings) > MAX_BATCH:
        raise InvalidReadings(ErrorCode.BATCH_TOO_LARGE, f"每批最多 {MAX_BATCH} 条读数")
    problems = {}
    columns: dict[str, list] = {"serial": [], "kind": [], "value": [], "loinc": [], "measured_at": []}
    sent = []  # the index of each reading in the arrays (their positions count from 1)
    for index, reading in enumerate(readings):
        problem = check_reading(reading, now)
        if problem is not None:
            problems[index] = problem
            continue
        sent.append(index)
        columns["serial"].append(reading.device_serial)
        columns["kind"].append(reading.kind)
        columns["value"].append(reading.value)
        columns["loinc"].append(LOINC.get(reading.kind))
        columns["measured_at"].append(reading.measured_at)
    stored = (
        await session.execute(
            STORE_READINGS,
            {
                **columns,
                "serials": list({reading.device_serial for reading in readings} - {None}),
                "activity_kinds": list(ACTIVITY_KINDS),
                "emergency_kinds": list(EMERGENCY_KINDS),
            },
        )
    ).one()
    unknown = set(stored.unknown)
    for position in stored.unassigned or ():
        index = sent[position - 1]
        problems[index] = (
            ErrorCode.DEVICE_NOT_ASSIGNED,
            f"设备 {readings[index].device_serial} 未分配给任何老人（未分配或已停用），读数未保存",
        )
    for position, device_kind in zip(stored.unmeasurable or (), stored.unmeasurable_by or (), strict=True):
        index = sent[position - 1]
        problems[index] = (
            ErrorCode.KIND_NOT_MEASURED_BY_DEVICE,
            f"{device_kind} 类设备 {readings[index].device_serial} 不能测量 {readings[index].kind}",
        )
    for position in stored.withdrawn or ():
        problems[sent[position - 1]] = (ErrorCode.CONSENT_WITHDRAWN, "该老人已撤回监测同意，读数未保存")
    rejected = [
        Rejection(index, reading.device_serial, *problem)
        for index, reading in enumerate(readings)
        if (problem := device_problem(reading, unknown) or problems.get(index)) is not None
    ]
    refused = len(stored.unmeasurable or ()) + len(stored.unassigned or ()) + len(stored.withdrawn or ())
    valid = sum(1 for serial in columns["serial"] if serial not in unknown) - refused
    if not valid:
        raise InvalidReadings(
            ErrorCode.NO_VALID_READINGS, "这一批读数全部无效，未保存任何读数", rejected=rejected
        )
    alerts = await raise_alerts(session=session, candidates=alert_candidates(stored), now=now)
    return RecordResult(
        accepted=stored.accepted, duplicates=valid - stored.accepted, rejected=rejected, alerts=alerts
    )


def device_problem(reading: ReadingIn, unknown: set[str]) -> tuple[ErrorCode, str] | None:
    if reading.device_serial in unknown:
        return ErrorCode.UNKNOWN_DEVICE, f"未登记的设备：{reading.device_serial}"
    return None


def alert_candidates(stored) -> list[AlertCandidate]:
    """What the database flagged (SOS and falls; vitals outside their band), one per dedup key."""
    found: dict[str, AlertCandidate] = {}
    flagged = zip(
        stored.elder_ids or (),
        stored.community_ids or (),
        stored.kinds or (),
        stored.values or (),
        stored.measured_ats or (),
        stored.severities or (),
        strict=True,
    )
    for elder_id, community_id, kind, value, measured_at, severity in flagged:
        if kind in EMERGENCY_KINDS:
            summary = "紧急呼叫（SOS）" if kind == ReadingKind.SOS else "检测到跌倒"
            candidate = AlertCandidate(elder_id, community_id, kind, None, severity, summary, measured_at)
        else:
            candidate = AlertCandidate(
                elder_id,
                community_id,
                AlertKind.VITAL_OUT_OF_RANGE.value,
                kind,
                severity,
                vital_summary(ReadingKind(kind), value, severity),
                measured_at,
                value,
            )
        if candidate.dedup_key in found:
            found[candidate.dedup_key].merge(candidate)
        else:
            found[candidate.dedup_key] = candidate
    return list(found.values())


# Open or fold in every candidate, record the changes as events and NOTIFY, in one round trip
# (migration 0006 holds the rule: repeats add their count and never lower the severity).
RAISE_ALERTS = select(CareAlert).from_statement(
    text(
        "SELECT * FROM raise_care_alerts(CAST(:elder_id AS bigint[]), CAST(:community_id AS bigint[]), "
        "CAST(:kind AS varchar[]), CAST(:reading_kind AS varchar[]), CAST(:dedup_key AS varchar[]), "
        "CAST(:severity AS varchar[]), CAST(:summary AS text[]), CAST(:last_value AS float8[]), "
        "CAST(:count AS bigint[]), CAST(:last_seen_at AS timestamptz[]), :now, :repeat_counts, "
        ":order_lock, :channel)"
    ).columns(*CareAlert.__table__.columns)
)
CANDIDATE_FIELDS = (
    "elder_id",
    "community_id",
    "kind",
    "reading_kind",
    "dedup_key",
    "severity",
    "summary",
    "last_value",
    "count",
    "last_seen_at",
)


async def raise_alerts(
    *, session: AsyncSession, candidates: list[AlertCandidate], now: datetime, repeat_counts: bool = True
) -> list[CareAlert]:
    """The alerts opened or updated (with repeat_counts false, an open one is left as it is)."""
    if not candidates:
        return []
    values = {field: [getattr(candidate, field) for candidate in candidates] for field in CANDIDATE_FIELDS}
    alerts = await session.scalars(
        RAISE_ALERTS,
        {
            **values,
            "now": now,
            "repeat_counts": repeat_counts,
            "order_lock": EVENT_ORDER_LOCK,
            "channel": EVENT_CHANNEL,
        },
        execution_options={"populate_existing": True},
    )
    return list(alerts)


# The order lock, the event rows and the NOTIFY in one round trip (migration 0006).
APPEND_EVENTS = text(
    "SELECT append_care_alert_events(CAST(:alert_ids AS bigint[]), CAST(:types AS varchar[]), :at, "
    ":actor_id, :note, :order_lock, :channel)"
)


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
    return await session.scalar(
        APPEND_EVENTS,
        {
            "alert_ids": [alert.id for alert, _ in changes],
            "types": [change.value for _, change in changes],
            "at": at,
            "actor_id": actor_id,
            "note": note,
            "order_lock": EVENT_ORDER_LOCK,
            "channel": EVENT_CHANNEL,
        },
    )
