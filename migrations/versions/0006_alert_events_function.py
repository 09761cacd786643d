"""Alert events appended by one function: the order lock, the rows and the NOTIFY in one round trip.

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


def upgrade() -> None:
    op.execute(APPEND_FUNCTION)


def downgrade() -> None:
    op.execute(
        "DROP FUNCTION append_care_alert_events(bigint[], varchar[], timestamptz, bigint, text, bigint, text)"
    )
