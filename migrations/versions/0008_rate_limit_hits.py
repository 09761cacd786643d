"""Abuse limits: attempts per key and fixed window, shared by every replica.

UNLOGGED, like a cache: losing the counters in a crash only forgives some attempts.

Revision ID: 0008_rate_limit_hits
Revises: 0007_care_alerts_newest_first
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_rate_limit_hits"
down_revision = "0007_care_alerts_newest_first"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_hits",
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window_start", name=op.f("pk_rate_limit_hits")),
        prefixes=["UNLOGGED"],
    )


def downgrade() -> None:
    op.drop_table("rate_limit_hits")
