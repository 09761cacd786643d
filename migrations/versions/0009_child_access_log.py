"""Children's data reads are logged like elders' health data: who, when, which child, what.

Revision ID: 0009_child_access_log
Revises: 0008_rate_limit_hits
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009_child_access_log"
down_revision = "0008_rate_limit_hits"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "child_access_log",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("child_id", sa.BigInteger(), nullable=False),
        sa.Column("what", postgresql.ARRAY(sa.String(length=30)), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_child_access_log")),
    )
    op.create_index(op.f("ix_child_access_log_at"), "child_access_log", ["at"], unique=False)
    op.create_index(op.f("ix_child_access_log_child_id"), "child_access_log", ["child_id"], unique=False)


def downgrade() -> None:
    op.drop_table("child_access_log")
