"""Alerts raised and events appended by SQL functions: one round trip for a batch's alerts.

Revision ID: 0006_alert_events_function
Revises: 0005_eldercare
Create Date: 2026-11-27
"""

from alembic import op

revision = "0006_alert_events_function"
down_revision = "0005_eldercare"
branch_labels = None
depends_on = None

# The advisory lock makes sequences commit in the order they were taken, so a reader that has
# seen sequence N has seen everything before it; the NOTIFY is delivered only if the caller commits.
APPEND_FUNCTION = """
CREATE FUNCTION append_care_alert_events(
  p_alert_ids bigint[], p_types varchar[], p_at timestamptz, p_actor_id bigint, p_note text,
  p_order_lock bigint, p_channel text
) RETURNS bigint[] LANGUAGE plpgsql AS $$
DECLARE
  sequences bigint[];
BEGIN
  PERFORM pg_advisory_xact_lock(p_order_lock);
  WITH added AS (
    INSERT INTO care_alert_events (alert_id, elder_id, community_id, type, actor_id, note, at)
    SELECT a.id, a.elder_id, a.community_id, c.type, p_actor_id, p_note, p_at
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

# One open alert per dedup key (the partial unique index): a repeat adds its count, keeps the latest
# time and may raise the severity, never lower it. Jobs (p_repeat_counts false) leave an open alert
# as it is: the WHERE makes the conflicting row neither updated nor returned. Candidates are taken in
# dedup-key order, one lock order for every writer, so two batches cannot deadlock.
RAISE_FUNCTION = """
CREATE FUNCTION raise_care_alerts(
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
      summary = excluded.summary,
      last_value = excluded.last_value
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


def upgrade() -> None:
    op.execute(APPEND_FUNCTION)
    op.execute(RAISE_FUNCTION)


def downgrade() -> None:
    op.execute(
        "DROP FUNCTION raise_care_alerts(bigint[], bigint[], varchar[], varchar[], varchar[], varchar[], "
        "text[], float8[], bigint[], timestamptz[], timestamptz, boolean, bigint, text)"
    )
    op.execute(
        "DROP FUNCTION append_care_alert_events(bigint[], varchar[], timestamptz, bigint, text, bigint, text)"
    )
