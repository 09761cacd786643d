"""Elder care at its edges (#15): what each kind of device measures (a table); respiratory rate
and its default band; a late repeat no longer rewrites an alert's summary; an offline alert holds
a serial of any length devices.serial allows (varchar(30) made the job fail for all at 31); a
device's assignment time, from which one never heard from counts as silent (existing devices:
their creation); each alert event keeps the alert as that event left it (status, severity, count,
escalation level, summary, last seen), so a replay shows it as it was then. Events appended
before this revision have no such copy (the feed shows their alert as it is now).

Revision ID: 0012_eldercare_edges
Revises: 0011_accounts
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_eldercare_edges"
down_revision = "0011_accounts"
branch_labels = None
depends_on = None

DEVICE_KINDS = (
    "'WRISTBAND', 'BLOOD_PRESSURE_CUFF', 'PULSE_OXIMETER', 'THERMOMETER', 'MOTION_SENSOR', 'DOOR_SENSOR', "
    "'SOS_BUTTON', 'FALL_DETECTOR'"
)
READING_KINDS = (
    "'HEART_RATE', 'SPO2', 'SYSTOLIC_BP', 'DIASTOLIC_BP', 'BODY_TEMPERATURE', 'RESPIRATORY_RATE', 'MOTION', "
    "'DOOR', 'SOS', 'FALL', 'HEARTBEAT'"
)

# DOMAIN.md: respiratory rate warns at 9–11 or 21–24, is critical at ≤ 8 or ≥ 25
# (kind, critical ≤, warning ≤, warning ≥, critical ≥), as 0005's DEFAULT_THRESHOLDS.
RESPIRATORY_THRESHOLD = ("RESPIRATORY_RATE", 8, 11, 21, 25)

# What each kind of device measures by default (a cuff also reads the pulse, an oximeter too);
# every device also says it is alive (HEARTBEAT). Editable rows: a model that measures more is a row.
MEASURES = {
    "WRISTBAND": ["HEART_RATE", "SPO2", "RESPIRATORY_RATE"],
    "BLOOD_PRESSURE_CUFF": ["SYSTOLIC_BP", "DIASTOLIC_BP", "HEART_RATE"],
    "PULSE_OXIMETER": ["SPO2", "HEART_RATE"],
    "THERMOMETER": ["BODY_TEMPERATURE"],
    "MOTION_SENSOR": ["MOTION"],
    "DOOR_SENSOR": ["DOOR"],
    "SOS_BUTTON": ["SOS"],
    "FALL_DETECTOR": ["FALL"],
}

# As in 0006, but the summary and last value follow the latest reading: a repeat measured before
# the alert's last-seen time (a gateway's late retry) adds its count and may raise the severity,
# and leaves the description of the newest reading alone.
RAISE_FUNCTION = """
CREATE OR REPLACE FUNCTION raise_care_alerts(
  p_elder_id bigint[], p_community_id bigint[], p_kind varchar[], p_reading_kind varchar[],
  p_dedup_key varchar[], p_severity varchar[], p_summary text[], p_last_value float8[], p_count bigint[],
  p_last_seen_at timestamptz[], p_now timestamptz, p_repeat_counts boolean, p_order_lock bigint,
  p_channel text
) RETURNS SETOF care_alerts LANGUAGE plpgsql AS $$
DECLARE
  ids bigint[];
  types varchar[];
BEGIN
  WITH changed AS (
    INSERT INTO care_alerts (elder_id, community_id, kind, reading_kind, dedup_key, severity, status,
                             summary, last_value, count, opened_at, last_seen_at)
    SELECT u.elder_id, u.community_id, u.kind, u.reading_kind, u.dedup_key, u.severity, 'OPEN',
           u.summary, u.last_value, u.count, p_now, u.last_seen_at
    FROM unnest(p_elder_id, p_community_id, p_kind, p_reading_kind, p_dedup_key, p_severity, p_summary,
                p_last_value, p_count, p_last_seen_at)
         AS u(elder_id, community_id, kind, reading_kind, dedup_key, severity, summary, last_value, count,
              last_seen_at)
    ORDER BY u.dedup_key
    ON CONFLICT (dedup_key) WHERE status <> 'RESOLVED' DO UPDATE SET
      count = care_alerts.count + excluded.count,
      last_seen_at = greatest(care_alerts.last_seen_at, excluded.last_seen_at),
      severity = CASE WHEN array_position(ARRAY['INFO', 'WARNING', 'CRITICAL'], excluded.severity)
                         > array_position(ARRAY['INFO', 'WARNING', 'CRITICAL'], care_alerts.severity)
                      THEN excluded.severity ELSE care_alerts.severity END,
      summary = CASE WHEN excluded.last_seen_at >= care_alerts.last_seen_at
                     THEN excluded.summary ELSE care_alerts.summary END,
      last_value = CASE WHEN excluded.last_seen_at >= care_alerts.last_seen_at
                        THEN excluded.last_value ELSE care_alerts.last_value END
    WHERE p_repeat_counts
    RETURNING care_alerts.id, xmax = 0 AS opened
  )
  SELECT array_agg(id ORDER BY id), array_agg(CASE WHEN opened THEN 'OPENED' ELSE 'UPDATED' END ORDER BY id)
  INTO ids, types FROM changed;
  IF ids IS NULL THEN
    RETURN;
  END IF;
  PERFORM append_care_alert_events(ids, types, p_now, NULL, NULL, p_order_lock, p_channel);
  RETURN QUERY SELECT * FROM care_alerts WHERE id = ANY(ids) ORDER BY id;
END
$$
"""

# As in 0006, and the alert as the event leaves it: the caller has changed the alert already.
APPEND_FUNCTION = """
CREATE OR REPLACE FUNCTION append_care_alert_events(
  p_alert_ids bigint[], p_types varchar[], p_at timestamptz, p_actor_id bigint, p_note text,
  p_order_lock bigint, p_channel text
) RETURNS bigint[] LANGUAGE plpgsql AS $$
DECLARE
  sequences bigint[];
BEGIN
  PERFORM pg_advisory_xact_lock(p_order_lock);
  WITH added AS (
    INSERT INTO care_alert_events (alert_id, elder_id, community_id, type, actor_id, note, at,
                                   severity, status, count, escalation_level, summary, last_seen_at)
    SELECT a.id, a.elder_id, a.community_id, c.type, p_actor_id, p_note, p_at,
           a.severity, a.status, a.count, a.escalation_level, a.summary, a.last_seen_at
    FROM unnest(p_alert_ids, p_types) WITH ORDINALITY AS c(alert_id, type, position)
    JOIN care_alerts a ON a.id = c.alert_id
    ORDER BY c.position
    RETURNING sequence
  )
  SELECT array_agg(sequence ORDER BY sequence) INTO sequences FROM added;
  IF cardinality(sequences) IS DISTINCT FROM cardinality(p_alert_ids) THEN
    RAISE EXCEPTION 'append_care_alert_events: unknown alert in %', p_alert_ids;
  END IF;
  PERFORM pg_notify(p_channel, sequences[cardinality(sequences)]::text);
  RETURN sequences;
END
$$
"""

OLD_APPEND_FUNCTION = APPEND_FUNCTION.replace(
    """,
                                   severity, status, count, escalation_level, summary, last_seen_at)""",
    ")",
).replace(
    """,
           a.severity, a.status, a.count, a.escalation_level, a.summary, a.last_seen_at""",
    "",
)

# 0006's version, for the downgrade.
OLD_RAISE_FUNCTION = RAISE_FUNCTION.replace(
    """      summary = CASE WHEN excluded.last_seen_at >= care_alerts.last_seen_at
                     THEN excluded.summary ELSE care_alerts.summary END,
      last_value = CASE WHEN excluded.last_seen_at >= care_alerts.last_seen_at
                        THEN excluded.last_value ELSE care_alerts.last_value END""",
    """      summary = excluded.summary,
      last_value = excluded.last_value""",
)


def upgrade() -> None:
    op.add_column("devices", sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE devices SET assigned_at = created_at")
    op.alter_column("devices", "assigned_at", nullable=False, server_default=sa.text("now()"))
    op.alter_column(
        "care_alerts", "reading_kind", type_=sa.String(length=64), existing_type=sa.String(length=30)
    )
    op.create_table(
        "device_kind_readings",
        sa.Column("device_kind", sa.String(length=30), nullable=False),
        sa.Column("reading_kind", sa.String(length=30), nullable=False),
        sa.CheckConstraint(
            f"device_kind IN ({DEVICE_KINDS})", name=op.f("ck_device_kind_readings_device_kind_known")
        ),
        sa.CheckConstraint(
            f"reading_kind IN ({READING_KINDS})", name=op.f("ck_device_kind_readings_reading_kind_known")
        ),
        sa.PrimaryKeyConstraint("device_kind", "reading_kind", name=op.f("pk_device_kind_readings")),
    )
    measures = sa.table(
        "device_kind_readings", sa.column("device_kind", sa.String), sa.column("reading_kind", sa.String)
    )
    op.bulk_insert(
        measures,
        [
            {"device_kind": device_kind, "reading_kind": reading_kind}
            for device_kind, reading_kinds in MEASURES.items()
            for reading_kind in [*reading_kinds, "HEARTBEAT"]
        ],
    )
    kind, critical_low, warning_low, warning_high, critical_high = RESPIRATORY_THRESHOLD
    # A default an operator entered before this revision stands.
    op.execute(
        sa.text(
            "INSERT INTO vital_thresholds (kind, critical_low, warning_low, warning_high, critical_high) "
            "VALUES (:kind, :cl, :wl, :wh, :ch) ON CONFLICT ON CONSTRAINT uq_vital_thresholds_elder_kind DO NOTHING"
        ).bindparams(kind=kind, cl=critical_low, wl=warning_low, wh=warning_high, ch=critical_high)
    )
    for column in (
        sa.Column("severity", sa.String(length=10), nullable=True),
        sa.Column("status", sa.String(length=15), nullable=True),
        sa.Column("count", sa.BigInteger(), nullable=True),
        sa.Column("escalation_level", sa.SmallInteger(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
    ):
        op.add_column("care_alert_events", column)
    op.create_check_constraint(
        op.f("ck_care_alert_events_snapshot_whole"),
        "care_alert_events",
        "num_nulls(severity, status, count, escalation_level, summary, last_seen_at) IN (0, 6)",
    )
    op.execute(APPEND_FUNCTION)
    op.execute(RAISE_FUNCTION)


def downgrade() -> None:
    op.execute(OLD_APPEND_FUNCTION)
    op.drop_constraint(op.f("ck_care_alert_events_snapshot_whole"), "care_alert_events", type_="check")
    for column in ("severity", "status", "count", "escalation_level", "summary", "last_seen_at"):
        op.drop_column("care_alert_events", column)
    # Refused (value too long) while an offline alert names a longer serial: shorten or drop it first.
    op.alter_column(
        "care_alerts", "reading_kind", type_=sa.String(length=30), existing_type=sa.String(length=64)
    )
    op.execute(OLD_RAISE_FUNCTION)
    op.execute("DELETE FROM vital_thresholds WHERE elder_id IS NULL AND kind = 'RESPIRATORY_RATE'")
    op.drop_table("device_kind_readings")
    op.drop_column("devices", "assigned_at")
