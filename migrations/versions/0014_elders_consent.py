"""Elders registered through the graph (#17): consent to monitoring recorded with the elder, its
withdrawal ending monitoring, address and emergency contacts, the family links' own consent record.

Revision ID: 0014_elders_consent
Revises: 0013_notifications
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0014_elders_consent"
down_revision = "0013_notifications"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("elders", sa.Column("address", sa.String(length=200), nullable=True))
    op.add_column(
        "elders",
        sa.Column(
            "emergency_contacts",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
    )
    op.add_column("elders", sa.Column("monitoring_ended_at", sa.DateTime(timezone=True), nullable=True))
    op.create_check_constraint(
        "emergency_contacts_list",
        "elders",
        "jsonb_typeof(emergency_contacts) = 'array' AND jsonb_array_length(emergency_contacts) <= 5",
    )
    op.add_column("elder_family_links", sa.Column("consent_reference", sa.String(length=200), nullable=True))
    op.create_table(
        "elder_consents",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("elder_id", sa.BigInteger(), nullable=False),
        sa.Column("given_by", sa.String(length=10), nullable=False),
        sa.Column("guardian_name", sa.String(length=100), nullable=True),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.BigInteger(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by", sa.BigInteger(), nullable=True),
        sa.Column("withdrawal_reason", sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "given_by IN ('ELDER', 'GUARDIAN')", name=op.f("ck_elder_consents_given_by_known")
        ),
        sa.CheckConstraint(
            "(given_by = 'GUARDIAN') = (length(btrim(coalesce(guardian_name, ''))) > 0)",
            name=op.f("ck_elder_consents_guardian_named"),
        ),
        sa.CheckConstraint("length(btrim(reference)) > 0", name=op.f("ck_elder_consents_reference_given")),
        sa.CheckConstraint(
            "(withdrawn_at IS NULL) = (withdrawal_reason IS NULL) "
            "AND (withdrawal_reason IS NULL OR length(btrim(withdrawal_reason)) > 0)",
            name=op.f("ck_elder_consents_withdrawn_with_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["elder_id"], ["elders.id"], name=op.f("fk_elder_consents_elder_id_elders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["persons.id"], name=op.f("fk_elder_consents_recorded_by_persons")
        ),
        sa.ForeignKeyConstraint(
            ["withdrawn_by"], ["persons.id"], name=op.f("fk_elder_consents_withdrawn_by_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_elder_consents")),
    )
    op.create_index(
        "uq_elder_consents_standing",
        "elder_consents",
        ["elder_id"],
        unique=True,
        postgresql_where=sa.text("withdrawn_at IS NULL"),
    )
    # The elders monitored before consent was recorded in Linli: their paper consent predates it.
    op.execute(
        "INSERT INTO elder_consents (elder_id, given_by, reference, given_at) "
        "SELECT id, 'ELDER', '迁移补录：启用 Linli 前已签署的纸质同意书', created_at FROM elders"
    )


def downgrade() -> None:
    op.drop_index("uq_elder_consents_standing", table_name="elder_consents")
    op.drop_table("elder_consents")
    op.drop_column("elder_family_links", "consent_reference")
    op.drop_constraint("ck_elders_emergency_contacts_list", "elders", type_="check")
    op.drop_column("elders", "monitoring_ended_at")
    op.drop_column("elders", "emergency_contacts")
    op.drop_column("elders", "address")
