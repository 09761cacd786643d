"""智慧养老: elders, family links with consent, devices, thresholds, readings, alerts, visits, access log.

Readings are partitioned by month (a year at one a minute for 1000 elders is ~525 M rows);
(device, kind, measured_at) is unique, so a gateway's retry is a duplicate, never a second row.
One open alert per dedup key is a partial unique index; every alert change is an event row with a
global sequence (the outbox the live feed and its replay read).
"""

from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    FetchedValue,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    SmallInteger,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from models.base import AccessLogColumns, Base, created_at_column, id_column


class ReadingKind(StrEnum):
    HEART_RATE = "HEART_RATE"
    SPO2 = "SPO2"
    SYSTOLIC_BP = "SYSTOLIC_BP"
    DIASTOLIC_BP = "DIASTOLIC_BP"
    BODY_TEMPERATURE = "BODY_TEMPERATURE"
    RESPIRATORY_RATE = "RESPIRATORY_RATE"
    MOTION = "MOTION"
    DOOR = "DOOR"
    SOS = "SOS"
    FALL = "FALL"
    HEARTBEAT = "HEARTBEAT"  # the device saying it is alive


# LOINC codes, as FHIR uses them (DOMAIN.md).
LOINC = {
    ReadingKind.HEART_RATE: "8867-4",
    ReadingKind.SPO2: "59408-5",
    ReadingKind.SYSTOLIC_BP: "8480-6",
    ReadingKind.DIASTOLIC_BP: "8462-4",
    ReadingKind.BODY_TEMPERATURE: "8310-5",
    ReadingKind.RESPIRATORY_RATE: "9279-1",
}


class DeviceKind(StrEnum):
    WRISTBAND = "WRISTBAND"
    BLOOD_PRESSURE_CUFF = "BLOOD_PRESSURE_CUFF"
    PULSE_OXIMETER = "PULSE_OXIMETER"
    THERMOMETER = "THERMOMETER"
    MOTION_SENSOR = "MOTION_SENSOR"
    DOOR_SENSOR = "DOOR_SENSOR"
    SOS_BUTTON = "SOS_BUTTON"
    FALL_DETECTOR = "FALL_DETECTOR"


class AlertKind(StrEnum):
    VITAL_OUT_OF_RANGE = "VITAL_OUT_OF_RANGE"
    SOS = "SOS"
    FALL = "FALL"
    INACTIVITY = "INACTIVITY"
    DEVICE_OFFLINE = "DEVICE_OFFLINE"


class AlertSeverity(StrEnum):
    INFO = "INFO"
    WARNING = "WARNING"
    CRITICAL = "CRITICAL"


SEVERITY_RANK = {AlertSeverity.INFO: 1, AlertSeverity.WARNING: 2, AlertSeverity.CRITICAL: 3}


class AlertStatus(StrEnum):
    OPEN = "OPEN"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    RESOLVED = "RESOLVED"


class AlertEventType(StrEnum):
    OPENED = "OPENED"
    UPDATED = "UPDATED"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    RESOLVED = "RESOLVED"
    ESCALATED = "ESCALATED"


class CarePolicy(Base):
    """The alerting defaults (DOMAIN.md) as one editable row: no magic numbers in code."""

    __tablename__ = "care_policy"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, server_default=text("1"))
    inactivity_hours: Mapped[int] = mapped_column(SmallInteger, server_default=text("4"))
    day_starts_at: Mapped[time] = mapped_column(Time, server_default=text("'07:00'"))
    day_ends_at: Mapped[time] = mapped_column(Time, server_default=text("'22:00'"))
    device_offline_minutes: Mapped[int] = mapped_column(SmallInteger, server_default=text("30"))
    critical_level1_minutes: Mapped[int] = mapped_column(SmallInteger, server_default=text("5"))
    critical_level2_minutes: Mapped[int] = mapped_column(SmallInteger, server_default=text("15"))
    warning_level1_minutes: Mapped[int] = mapped_column(SmallInteger, server_default=text("30"))

    # One CHECK per rule (migration 0015), so carePolicyUpdate names the rule a change breaks.
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("inactivity_hours BETWEEN 1 AND 24", name="inactivity_hours_sane"),
        CheckConstraint("day_starts_at < day_ends_at", name="day_ordered"),
        CheckConstraint("device_offline_minutes BETWEEN 1 AND 1440", name="offline_minutes_sane"),
        CheckConstraint(
            "critical_level1_minutes > 0 AND critical_level1_minutes < critical_level2_minutes "
            "AND critical_level2_minutes <= 1440 AND warning_level1_minutes BETWEEN 1 AND 1440",
            name="escalation_ordered",
        ),
    )


class Elder(Base):
    __tablename__ = "elders"

    id: Mapped[int] = id_column()
    name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[date] = mapped_column(Date)
    lives_alone: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))  # 独居
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"))
    # The last motion or door event: what the inactivity rule measures from.
    last_activity_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()
    address: Mapped[str | None] = mapped_column(String(200))  # the household's, for a visit
    # [{"name", "phone", "relationship"}], at most five
    emergency_contacts: Mapped[list] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    # Consent to monitoring withdrawn: readings are refused and the jobs pass the elder by.
    monitoring_ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(
            "jsonb_typeof(emergency_contacts) = 'array' AND jsonb_array_length(emergency_contacts) <= 5",
            name="emergency_contacts_list",
        ),
        # What devices.fk_devices_elder_in_community refers to: a device's elder is of its community.
        UniqueConstraint("id", "community_id", name="uq_elders_id_community"),
    )


class ConsentGiver(StrEnum):
    ELDER = "ELDER"
    GUARDIAN = "GUARDIAN"  # a legal guardian (监护人), for an elder who cannot consent


class ElderConsent(Base):
    """Consent to monitoring, recorded with the elder (PIPL art. 28–29: health data is sensitive):
    who gave it, when, and the paper or electronic record it stands on. One stands at a time;
    withdrawing it ends monitoring."""

    __tablename__ = "elder_consents"

    id: Mapped[int] = id_column()
    elder_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("elders.id", ondelete="CASCADE"))
    given_by: Mapped[str] = mapped_column(String(10))
    guardian_name: Mapped[str | None] = mapped_column(String(100))
    reference: Mapped[str] = mapped_column(String(200))
    given_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("persons.id"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_by: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("persons.id"))
    withdrawal_reason: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (
        CheckConstraint("given_by IN ('ELDER', 'GUARDIAN')", name="given_by_known"),
        CheckConstraint(
            "(given_by = 'GUARDIAN') = (length(btrim(coalesce(guardian_name, ''))) > 0)",
            name="guardian_named",
        ),
        CheckConstraint("length(btrim(reference)) > 0", name="reference_given"),
        CheckConstraint(
            "(withdrawn_at IS NULL) = (withdrawal_reason IS NULL) "
            "AND (withdrawal_reason IS NULL OR length(btrim(withdrawal_reason)) > 0)",
            name="withdrawn_with_reason",
        ),
        Index(
            "uq_elder_consents_standing",
            "elder_id",
            unique=True,
            postgresql_where=text("withdrawn_at IS NULL"),
        ),
    )


class FamilyLink(Base):
    """A family member; they see the elder's data only while the elder's consent stands."""

    __tablename__ = "elder_family_links"

    elder_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("elders.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("persons.id"), primary_key=True, index=True)
    relationship: Mapped[str] = mapped_column(String(30))
    consented_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    consent_revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    consent_reference: Mapped[str | None] = mapped_column(String(200))  # the elder's record of it


class Device(Base):
    """A device of a community, assigned to at most one of its elders at a time (elder_id: the
    current assignment; device_assignments: the history). A retired device keeps its row and is
    assigned to nobody; readings from a device assigned to nobody are rejected (DEVICE_NOT_ASSIGNED)."""

    __tablename__ = "devices"

    id: Mapped[int] = id_column()
    serial: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    # Left unset on insert with an elder: the elder's (a trigger of migration 0015).
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    elder_id: Mapped[int | None] = mapped_column(ForeignKey("elders.id"), index=True)
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Given to elder_id: a device never heard from is silent (offline) counting from here. Null when
    # assigned to nobody; inserted with an elder and without it: now (the trigger of migration 0015).
    assigned_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), server_default=FetchedValue()
    )
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    retired_reason: Mapped[str | None] = mapped_column(Text)
    retired_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (
        CheckConstraint(
            "kind IN ('WRISTBAND', 'BLOOD_PRESSURE_CUFF', 'PULSE_OXIMETER', 'THERMOMETER', 'MOTION_SENSOR', "
            "'DOOR_SENSOR', 'SOS_BUTTON', 'FALL_DETECTOR')",
            name="kind_known",
        ),
        ForeignKeyConstraint(
            ["elder_id", "community_id"],
            ["elders.id", "elders.community_id"],
            name="fk_devices_elder_in_community",
            onupdate="CASCADE",
        ),
        CheckConstraint("(elder_id IS NULL) = (assigned_at IS NULL)", name="assignment_whole"),
        CheckConstraint("retired_at IS NULL OR elder_id IS NULL", name="retired_unassigned"),
        CheckConstraint(
            "(retired_at IS NULL) = (retired_reason IS NULL) "
            "AND (retired_reason IS NULL OR length(btrim(retired_reason)) > 0)",
            name="retired_with_reason",
        ),
    )


class DeviceAssignment(Base):
    """Who had a device when: one row per assignment, closed (unassigned_at) when it ends. At most
    one open row per device: a partial unique index, whatever races."""

    __tablename__ = "device_assignments"

    id: Mapped[int] = id_column()
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    elder_id: Mapped[int] = mapped_column(ForeignKey("elders.id"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    assigned_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))  # null: not through the graph
    unassigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    unassigned_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))

    __table_args__ = (
        Index("ix_device_assignments_device_assigned", "device_id", "assigned_at"),
        Index(
            "uq_device_assignments_open",
            "device_id",
            unique=True,
            postgresql_where=text("unassigned_at IS NULL"),
        ),
        CheckConstraint("unassigned_at IS NULL OR unassigned_at >= assigned_at", name="closed_after_opened"),
        CheckConstraint("unassigned_by IS NULL OR unassigned_at IS NOT NULL", name="closed_by_when_closed"),
    )


class DeviceKindReading(Base):
    """What a kind of device can measure: a reading of any other kind from it is refused
    (KIND_NOT_MEASURED_BY_DEVICE) in the statement that stores the batch. Rows, not code: a wristband
    model that also has an SOS key is one more row. Migration 0012 holds the defaults; every kind
    also sends HEARTBEAT (alive)."""

    __tablename__ = "device_kind_readings"

    device_kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    reading_kind: Mapped[str] = mapped_column(String(30), primary_key=True)

    __table_args__ = (
        CheckConstraint(
            "device_kind IN ('WRISTBAND', 'BLOOD_PRESSURE_CUFF', 'PULSE_OXIMETER', 'THERMOMETER', "
            "'MOTION_SENSOR', 'DOOR_SENSOR', 'SOS_BUTTON', 'FALL_DETECTOR')",
            name="device_kind_known",
        ),
        CheckConstraint(
            "reading_kind IN ('HEART_RATE', 'SPO2', 'SYSTOLIC_BP', 'DIASTOLIC_BP', 'BODY_TEMPERATURE', "
            "'RESPIRATORY_RATE', 'MOTION', 'DOOR', 'SOS', 'FALL', 'HEARTBEAT')",
            name="reading_kind_known",
        ),
    )


class VitalThreshold(Base):
    """NEWS2-style bands per vital; elder_id null is the default, an elder's row overrides it."""

    __tablename__ = "vital_thresholds"

    id: Mapped[int] = id_column()
    elder_id: Mapped[int | None] = mapped_column(ForeignKey("elders.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    critical_low: Mapped[float | None] = mapped_column(Float)  # value ≤ this: critical
    warning_low: Mapped[float | None] = mapped_column(Float)  # value ≤ this: warning
    warning_high: Mapped[float | None] = mapped_column(Float)  # value ≥ this: warning
    critical_high: Mapped[float | None] = mapped_column(Float)  # value ≥ this: critical

    __table_args__ = (
        UniqueConstraint(
            "elder_id", "kind", name="uq_vital_thresholds_elder_kind", postgresql_nulls_not_distinct=True
        ),
        CheckConstraint(
            "(critical_low IS NULL OR warning_low IS NULL OR critical_low < warning_low) "
            "AND (warning_high IS NULL OR critical_high IS NULL OR warning_high < critical_high) "
            "AND (warning_low IS NULL OR warning_high IS NULL OR warning_low < warning_high)",
            name="bands_ordered",
        ),
        CheckConstraint(
            "(critical_low IS NULL OR warning_high IS NULL OR critical_low < warning_high) "
            "AND (critical_low IS NULL OR critical_high IS NULL OR critical_low < critical_high) "
            "AND (warning_low IS NULL OR critical_high IS NULL OR warning_low < critical_high)",
            name="bounds_ascending",
        ),
        CheckConstraint(
            "elder_id IS NULL OR num_nonnulls(critical_low, warning_low, warning_high, critical_high) > 0",
            name="override_not_empty",
        ),
    )


class VitalThresholdChange(Base):
    """Every change of an elder's band for a vital: who, when, why, and the band before and after
    (null: none of the elder's own, so the default applied)."""

    __tablename__ = "vital_threshold_changes"

    id: Mapped[int] = id_column()
    elder_id: Mapped[int] = mapped_column(ForeignKey("elders.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    changed_by: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    changed_at: Mapped[datetime] = created_at_column()
    reason: Mapped[str] = mapped_column(Text)
    before: Mapped[dict | None] = mapped_column(JSONB)
    after: Mapped[dict | None] = mapped_column(JSONB)

    __table_args__ = (
        Index("ix_vital_threshold_changes_elder_kind", "elder_id", "kind", "changed_at"),
        CheckConstraint("length(btrim(reason)) > 0", name="reason_not_blank"),
        CheckConstraint("before IS NOT NULL OR after IS NOT NULL", name="changes_something"),
    )


class Reading(Base):
    """Partitioned by month on measured_at (see the migration); the primary key includes it."""

    __tablename__ = "readings"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    measured_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    device_id: Mapped[int] = mapped_column(BigInteger)
    elder_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(30))
    value: Mapped[float | None] = mapped_column(Float)
    loinc: Mapped[str | None] = mapped_column(String(20))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))

    __table_args__ = (
        UniqueConstraint("device_id", "kind", "measured_at", name="uq_readings_device_kind_measured"),
        Index("ix_readings_elder_kind_measured", "elder_id", "kind", "measured_at"),
        {"postgresql_partition_by": "RANGE (measured_at)"},
    )


class CareAlert(Base):
    __tablename__ = "care_alerts"

    id: Mapped[int] = id_column()
    elder_id: Mapped[int] = mapped_column(ForeignKey("elders.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    kind: Mapped[str] = mapped_column(String(30))
    # The reading's kind; for DEVICE_OFFLINE the device's serial (as long as devices.serial allows).
    reading_kind: Mapped[str | None] = mapped_column(String(64))
    dedup_key: Mapped[str] = mapped_column(String(200))
    severity: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(15), server_default=text("'OPEN'"))
    summary: Mapped[str] = mapped_column(Text)
    last_value: Mapped[float | None] = mapped_column(Float)
    count: Mapped[int] = mapped_column(BigInteger, server_default=text("1"))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    escalation_level: Mapped[int] = mapped_column(SmallInteger, server_default=text("0"))
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolution_note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index(
            "uq_care_alerts_open_dedup_key",
            "dedup_key",
            unique=True,
            postgresql_where=text("status <> 'RESOLVED'"),
        ),
        Index("ix_care_alerts_community_opened", "community_id", "opened_at"),
        # careAlerts pages newest first by (opened_at, id) for any viewer: flat cost at any size.
        Index("ix_care_alerts_opened_id", "opened_at", "id"),
        CheckConstraint("severity IN ('INFO', 'WARNING', 'CRITICAL')", name="severity_known"),
        CheckConstraint("status IN ('OPEN', 'ACKNOWLEDGED', 'RESOLVED')", name="status_known"),
        CheckConstraint(
            "kind IN ('VITAL_OUT_OF_RANGE', 'SOS', 'FALL', 'INACTIVITY', 'DEVICE_OFFLINE')", name="kind_known"
        ),
        CheckConstraint(
            "(status = 'RESOLVED') = (resolved_at IS NOT NULL) "
            "AND (status <> 'RESOLVED' OR length(btrim(coalesce(resolution_note, ''))) > 0)",
            name="resolved_with_note",
        ),
        CheckConstraint("count >= 1 AND escalation_level BETWEEN 0 AND 2", name="counts_sane"),
    )


class CareAlertEvent(Base):
    """Every change of an alert, in global order: its history and the live feed's outbox."""

    __tablename__ = "care_alert_events"

    sequence: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("care_alerts.id"), index=True)
    elder_id: Mapped[int] = mapped_column(BigInteger)
    community_id: Mapped[int] = mapped_column(BigInteger)
    type: Mapped[str] = mapped_column(String(15))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The alert as this event left it, so a replay shows each event's alert as it was then, not as
    # it is now (append_care_alert_events copies them; null only for events from before 0012).
    severity: Mapped[str | None] = mapped_column(String(10))
    status: Mapped[str | None] = mapped_column(String(15))
    count: Mapped[int | None] = mapped_column(BigInteger)
    escalation_level: Mapped[int | None] = mapped_column(SmallInteger)
    summary: Mapped[str | None] = mapped_column(Text)
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(
            "type IN ('OPENED', 'UPDATED', 'ACKNOWLEDGED', 'RESOLVED', 'ESCALATED')", name="type_known"
        ),
        CheckConstraint(
            "num_nulls(severity, status, count, escalation_level, summary, last_seen_at) IN (0, 6)",
            name="snapshot_whole",
        ),
    )


class CareVisit(Base):
    __tablename__ = "care_visits"

    id: Mapped[int] = id_column()
    elder_id: Mapped[int] = mapped_column(ForeignKey("elders.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    kind: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text)
    visited_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (
        CheckConstraint("kind IN ('VISIT', 'CALL', 'VIDEO_CALL', 'ESCORT')", name="kind_known"),
        CheckConstraint("length(btrim(note)) > 0", name="note_not_blank"),
    )


class HealthAccessLog(AccessLogColumns, Base):
    """Who read whose health data, when, and what (PIPL art. 28; kept ≥ 6 months)."""

    __tablename__ = "health_access_log"

    elder_id: Mapped[int] = mapped_column(BigInteger, index=True)
