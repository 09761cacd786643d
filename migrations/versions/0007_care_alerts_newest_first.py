"""careAlerts newest first: an index in (opened_at, id) order, so a page costs the same at any size.

Without it, a page of 20 sorted the whole visible table (506 ms for a care worker at 1 000 000
alerts; bench/alerts_scale.py). On a live database, build it with CREATE INDEX CONCURRENTLY.

Revision ID: 0007_care_alerts_newest_first
Revises: 0006_alert_events_function
Create Date: 2026-11-27
"""

from alembic import op

revision = "0007_care_alerts_newest_first"
down_revision = "0006_alert_events_function"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_care_alerts_opened_id", "care_alerts", ["opened_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_care_alerts_opened_id", table_name="care_alerts")
