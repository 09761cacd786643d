"""A person's inbox and the outbox behind it (#17): what operations tell people.

Revision ID: 0013_notifications
Revises: 0012_eldercare_edges
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_notifications"
down_revision = "0012_eldercare_edges"
branch_labels = None
depends_on = None

KINDS = (
    "'RESERVATION_CANCELLED', 'CHILDCARE_SESSION_CANCELLED', 'CHILDCARE_WAITLIST_PROMOTED', "
    "'CONSENT_WITHDRAWN', 'FAMILY_LINK_REMOVED'"
)


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("body", sa.String(length=500), nullable=False),
        sa.Column("subject_id", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pushed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(f"kind IN ({KINDS})", name=op.f("ck_notifications_kind_known")),
        sa.CheckConstraint("length(btrim(title)) > 0", name=op.f("ck_notifications_title_not_blank")),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_notifications_person_id_persons"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    op.create_index("ix_notifications_person_id_id", "notifications", ["person_id", "id"])
    op.create_index(
        "ix_notifications_unread", "notifications", ["person_id"], postgresql_where=sa.text("read_at IS NULL")
    )
    op.create_index(
        "ix_notifications_not_pushed", "notifications", ["id"], postgresql_where=sa.text("pushed_at IS NULL")
    )


def downgrade() -> None:
    op.drop_table("notifications")
