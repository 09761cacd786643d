"""Elder care (智慧养老): elders, family consent, devices, thresholds, readings by month, alerts, events.

Revision ID: 0005_eldercare
Revises: 0004_childcare
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Default thresholds (DOMAIN.md, after NEWS2): (kind, critical ≤, warning ≤, warning ≥, critical ≥).
DEFAULT_THRESHOLDS = [
    ("HEART_RATE", 40, 50, 111, 131),
    ("SPO2", 91, 93, None, None),
    ("SYSTOLIC_BP", 90, 100, 160, 220),
    ("BODY_TEMPERATURE", 35.0, 36.0, 38.1, 39.1),
]

# Monthly partitions of readings, made on demand (the periodic job keeps the coming months ready).
PARTITION_FUNCTION = """
CREATE FUNCTION ensure_readings_partition(p_month date) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  first_day date := date_trunc('month', p_month)::date;
  partition_name text := format('readings_%s', to_char(first_day, 'YYYY_MM'));
BEGIN
  IF to_regclass(partition_name) IS NULL THEN
    EXECUTE format(
      'CREATE TABLE IF NOT EXISTS %I PARTITION OF readings FOR VALUES FROM (%L) TO (%L)',
      partition_name, first_day::timestamptz, (first_day + interval '1 month')::timestamptz
    );
  END IF;
  RETURN partition_name;
END
$$
"""

revision = "0005_eldercare"
down_revision = "0004_childcare"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "care_policy",
        sa.Column("id", sa.SmallInteger(), server_default=sa.text("1"), nullable=False),
        sa.Column("inactivity_hours", sa.SmallInteger(), server_default=sa.text("4"), nullable=False),
        sa.Column("day_starts_at", sa.Time(), server_default=sa.text("'07:00'"), nullable=False),
        sa.Column("day_ends_at", sa.Time(), server_default=sa.text("'22:00'"), nullable=False),
        sa.Column("device_offline_minutes", sa.SmallInteger(), server_default=sa.text("30"), nullable=False),
        sa.Column("critical_level1_minutes", sa.SmallInteger(), server_default=sa.text("5"), nullable=False),
        sa.Column("critical_level2_minutes", sa.SmallInteger(), server_default=sa.text("15"), nullable=False),
        sa.Column("warning_level1_minutes", sa.SmallInteger(), server_default=sa.text("30"), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_care_policy_single_row")),
        sa.CheckConstraint(
            "inactivity_hours > 0 AND day_starts_at < day_ends_at AND device_offline_minutes > 0 "
            "AND critical_level1_minutes < critical_level2_minutes AND warning_level1_minutes > 0",
            name=op.f("ck_care_policy_sane"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_policy")),
    )
    op.execute("INSERT INTO care_policy DEFAULT VALUES")
    op.create_table(
        "health_access_log",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("elder_id", sa.BigInteger(), nullable=False),
        sa.Column("what", postgresql.ARRAY(sa.String(length=30)), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_access_log")),
    )
    op.create_index(op.f("ix_health_access_log_at"), "health_access_log", ["at"], unique=False)
    op.create_index(op.f("ix_health_access_log_elder_id"), "health_access_log", ["elder_id"], unique=False)
    op.create_table(
        "readings",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("measured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("device_id", sa.BigInteger(), nullable=False),
        sa.Column("elder_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("loinc", sa.String(length=20), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", "measured_at", name=op.f("pk_readings")),
        sa.UniqueConstraint("device_id", "kind", "measured_at", name="uq_readings_device_kind_measured"),
        postgresql_partition_by="RANGE (measured_at)",
    )
    op.create_index(
        "ix_readings_elder_kind_measured", "readings", ["elder_id", "kind", "measured_at"], unique=False
    )
    # Readings outside every monthly partition still land somewhere: nothing valid is lost.
    op.execute("CREATE TABLE readings_default PARTITION OF readings DEFAULT")
    op.execute(PARTITION_FUNCTION)
    op.execute(
        "SELECT ensure_readings_partition(CAST(m AS date)) FROM generate_series("
        "date_trunc('month', now()) - interval '2 months', date_trunc('month', now()) + interval '3 months', "
        "interval '1 month') AS m"
    )
    op.create_table(
        "elders",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("lives_alone", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("community_id", sa.BigInteger(), nullable=False),
        sa.Column("household_id", sa.BigInteger(), nullable=True),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_elders_community_id_communities")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"], ["households.id"], name=op.f("fk_elders_household_id_households")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_elders")),
    )
    op.create_index(op.f("ix_elders_community_id"), "elders", ["community_id"], unique=False)
    op.create_table(
        "care_alerts",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("elder_id", sa.BigInteger(), nullable=False),
        sa.Column("community_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("reading_kind", sa.String(length=30), nullable=True),
        sa.Column("dedup_key", sa.String(length=200), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=15), server_default=sa.text("'OPEN'"), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("last_value", sa.Float(), nullable=True),
        sa.Column("count", sa.BigInteger(), server_default=sa.text("1"), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("escalation_level", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("acknowledged_by", sa.BigInteger(), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.BigInteger(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "(status = 'RESOLVED') = (resolved_at IS NOT NULL) AND (status <> 'RESOLVED' OR length(btrim(coalesce(resolution_note, ''))) > 0)",
            name=op.f("ck_care_alerts_resolved_with_note"),
        ),
        sa.CheckConstraint(
            "kind IN ('VITAL_OUT_OF_RANGE', 'SOS', 'FALL', 'INACTIVITY', 'DEVICE_OFFLINE')",
            name=op.f("ck_care_alerts_kind_known"),
        ),
        sa.CheckConstraint(
            "severity IN ('INFO', 'WARNING', 'CRITICAL')", name=op.f("ck_care_alerts_severity_known")
        ),
        sa.CheckConstraint(
            "status IN ('OPEN', 'ACKNOWLEDGED', 'RESOLVED')", name=op.f("ck_care_alerts_status_known")
        ),
        sa.CheckConstraint(
            "count >= 1 AND escalation_level BETWEEN 0 AND 2", name=op.f("ck_care_alerts_counts_sane")
        ),
        sa.ForeignKeyConstraint(
            ["acknowledged_by"], ["persons.id"], name=op.f("fk_care_alerts_acknowledged_by_persons")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_care_alerts_community_id_communities")
        ),
        sa.ForeignKeyConstraint(["elder_id"], ["elders.id"], name=op.f("fk_care_alerts_elder_id_elders")),
        sa.ForeignKeyConstraint(
            ["resolved_by"], ["persons.id"], name=op.f("fk_care_alerts_resolved_by_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_alerts")),
    )
    op.create_index(
        "ix_care_alerts_community_opened", "care_alerts", ["community_id", "opened_at"], unique=False
    )
    op.create_index(op.f("ix_care_alerts_elder_id"), "care_alerts", ["elder_id"], unique=False)
    op.create_index(
        "uq_care_alerts_open_dedup_key",
        "care_alerts",
        ["dedup_key"],
        unique=True,
        postgresql_where=sa.text("status <> 'RESOLVED'"),
    )
    op.create_table(
        "care_visits",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("elder_id", sa.BigInteger(), nullable=False),
        sa.Column("staff_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("visited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "kind IN ('VISIT', 'CALL', 'VIDEO_CALL', 'ESCORT')", name=op.f("ck_care_visits_kind_known")
        ),
        sa.CheckConstraint("length(btrim(note)) > 0", name=op.f("ck_care_visits_note_not_blank")),
        sa.ForeignKeyConstraint(["elder_id"], ["elders.id"], name=op.f("fk_care_visits_elder_id_elders")),
        sa.ForeignKeyConstraint(["staff_id"], ["persons.id"], name=op.f("fk_care_visits_staff_id_persons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_visits")),
    )
    op.create_index(op.f("ix_care_visits_elder_id"), "care_visits", ["elder_id"], unique=False)
    op.create_table(
        "devices",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("elder_id", sa.BigInteger(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "kind IN ('WRISTBAND', 'BLOOD_PRESSURE_CUFF', 'PULSE_OXIMETER', 'THERMOMETER', 'MOTION_SENSOR', 'DOOR_SENSOR', 'SOS_BUTTON', 'FALL_DETECTOR')",
            name=op.f("ck_devices_kind_known"),
        ),
        sa.ForeignKeyConstraint(["elder_id"], ["elders.id"], name=op.f("fk_devices_elder_id_elders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_devices")),
        sa.UniqueConstraint("serial", name=op.f("uq_devices_serial")),
    )
    op.create_index(op.f("ix_devices_elder_id"), "devices", ["elder_id"], unique=False)
    op.create_table(
        "elder_family_links",
        sa.Column("elder_id", sa.BigInteger(), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("relationship", sa.String(length=30), nullable=False),
        sa.Column("consented_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("consent_revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["elder_id"],
            ["elders.id"],
            name=op.f("fk_elder_family_links_elder_id_elders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_elder_family_links_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("elder_id", "person_id", name=op.f("pk_elder_family_links")),
    )
    op.create_index(
        op.f("ix_elder_family_links_person_id"), "elder_family_links", ["person_id"], unique=False
    )
    op.create_table(
        "vital_thresholds",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("elder_id", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("critical_low", sa.Float(), nullable=True),
        sa.Column("warning_low", sa.Float(), nullable=True),
        sa.Column("warning_high", sa.Float(), nullable=True),
        sa.Column("critical_high", sa.Float(), nullable=True),
        sa.CheckConstraint(
            "(critical_low IS NULL OR warning_low IS NULL OR critical_low < warning_low) AND (warning_high IS NULL OR critical_high IS NULL OR warning_high < critical_high) AND (warning_low IS NULL OR warning_high IS NULL OR warning_low < warning_high)",
            name=op.f("ck_vital_thresholds_bands_ordered"),
        ),
        sa.ForeignKeyConstraint(
            ["elder_id"], ["elders.id"], name=op.f("fk_vital_thresholds_elder_id_elders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vital_thresholds")),
        sa.UniqueConstraint(
            "elder_id", "kind", name="uq_vital_thresholds_elder_kind", postgresql_nulls_not_distinct=True
        ),
    )
    thresholds = sa.table(
        "vital_thresholds",
        sa.column("kind", sa.String),
        sa.column("critical_low", sa.Float),
        sa.column("warning_low", sa.Float),
        sa.column("warning_high", sa.Float),
        sa.column("critical_high", sa.Float),
    )
    op.bulk_insert(
        thresholds,
        [
            {"kind": kind, "critical_low": cl, "warning_low": wl, "warning_high": wh, "critical_high": ch}
            for kind, cl, wl, wh, ch in DEFAULT_THRESHOLDS
        ],
    )
    op.create_table(
        "care_alert_events",
        sa.Column("sequence", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("alert_id", sa.BigInteger(), nullable=False),
        sa.Column("elder_id", sa.BigInteger(), nullable=False),
        sa.Column("community_id", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(length=15), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "type IN ('OPENED', 'UPDATED', 'ACKNOWLEDGED', 'RESOLVED', 'ESCALATED')",
            name=op.f("ck_care_alert_events_type_known"),
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["persons.id"], name=op.f("fk_care_alert_events_actor_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["care_alerts.id"], name=op.f("fk_care_alert_events_alert_id_care_alerts")
        ),
        sa.PrimaryKeyConstraint("sequence", name=op.f("pk_care_alert_events")),
    )
    op.create_index(op.f("ix_care_alert_events_alert_id"), "care_alert_events", ["alert_id"], unique=False)


def downgrade() -> None:
    op.drop_table("care_policy")
    op.execute("DROP FUNCTION ensure_readings_partition(date)")
    op.drop_index(op.f("ix_care_alert_events_alert_id"), table_name="care_alert_events")
    op.drop_table("care_alert_events")
    op.drop_table("vital_thresholds")
    op.drop_index(op.f("ix_elder_family_links_person_id"), table_name="elder_family_links")
    op.drop_table("elder_family_links")
    op.drop_index(op.f("ix_devices_elder_id"), table_name="devices")
    op.drop_table("devices")
    op.drop_index(op.f("ix_care_visits_elder_id"), table_name="care_visits")
    op.drop_table("care_visits")
    op.drop_index(
        "uq_care_alerts_open_dedup_key",
        table_name="care_alerts",
        postgresql_where=sa.text("status <> 'RESOLVED'"),
    )
    op.drop_index(op.f("ix_care_alerts_elder_id"), table_name="care_alerts")
    op.drop_index("ix_care_alerts_community_opened", table_name="care_alerts")
    op.drop_table("care_alerts")
    op.drop_index(op.f("ix_elders_community_id"), table_name="elders")
    op.drop_table("elders")
    op.drop_index("ix_readings_elder_kind_measured", table_name="readings")
    op.drop_table("readings")
    op.drop_index(op.f("ix_health_access_log_elder_id"), table_name="health_access_log")
    op.drop_index(op.f("ix_health_access_log_at"), table_name="health_access_log")
    op.drop_table("health_access_log")
