"""Facilities run from the graph and imported from files (#17): a facility's community, its closing
(kept, with its reason), the key of the source it was imported from, and why an hours exception
was made.

Revision ID: 0017_facilities_operations
Revises: 0016_makerspace_operations
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_facilities_operations"
down_revision = "0016_makerspace_operations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("facilities", sa.Column("community_id", sa.BigInteger(), nullable=True))
    op.add_column("facilities", sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("facilities", sa.Column("closed_reason", sa.Text(), nullable=True))
    op.add_column("facilities", sa.Column("source", sa.String(length=40), nullable=True))
    op.add_column("facilities", sa.Column("source_id", sa.String(length=200), nullable=True))
    op.add_column(
        "facilities",
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
    )
    op.create_foreign_key(
        op.f("fk_facilities_community_id_communities"), "facilities", "communities", ["community_id"], ["id"]
    )
    op.create_index("ix_facilities_community_id", "facilities", ["community_id"])
    op.create_check_constraint(
        op.f("ck_facilities_closed_with_reason"),
        "facilities",
        "(closed_at IS NULL AND closed_reason IS NULL) OR "
        "(closed_at IS NOT NULL AND length(btrim(closed_reason)) BETWEEN 1 AND 200)",
    )
    op.create_check_constraint(
        op.f("ck_facilities_source_key_whole"),
        "facilities",
        "(source IS NULL AND source_id IS NULL) OR "
        "(length(btrim(source)) > 0 AND length(btrim(source_id)) > 0)",
    )
    op.create_unique_constraint(op.f("uq_facilities_source"), "facilities", ["source", "source_id"])
    op.add_column("facility_hours_exceptions", sa.Column("reason", sa.Text(), nullable=True))
    op.create_check_constraint(
        op.f("ck_facility_hours_exceptions_reason_short"),
        "facility_hours_exceptions",
        "reason IS NULL OR length(reason) <= 200",
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("ck_facility_hours_exceptions_reason_short"), "facility_hours_exceptions", type_="check"
    )
    op.drop_column("facility_hours_exceptions", "reason")
    op.drop_constraint(op.f("uq_facilities_source"), "facilities", type_="unique")
    op.drop_constraint(op.f("ck_facilities_source_key_whole"), "facilities", type_="check")
    op.drop_constraint(op.f("ck_facilities_closed_with_reason"), "facilities", type_="check")
    op.drop_index("ix_facilities_community_id", table_name="facilities")
    op.drop_constraint(op.f("fk_facilities_community_id_communities"), "facilities", type_="foreignkey")
    for column in ("updated_at", "source_id", "source", "closed_reason", "closed_at", "community_id"):
        op.drop_column("facilities", column)
