"""Foundation: extensions, communities, households, persons and roles.

Revision ID: 0001_foundation
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geography

revision = "0001_foundation"
down_revision = None
branch_labels = None
depends_on = None

ROLES = "'RESIDENT', 'CARE_STAFF', 'CHILDCARE_STAFF', 'MAKERSPACE_STAFF', 'DEVICE_GATEWAY', 'ADMIN'"


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")

    op.create_table(
        "communities",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("subdistrict", sa.String(100), nullable=False),
        sa.Column("center", Geography("POINT", srid=4326, spatial_index=False), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_communities"),
        sa.UniqueConstraint("name", name="uq_communities_name"),
        sa.CheckConstraint("length(btrim(name)) > 0", name="ck_communities_name_not_blank"),
    )
    op.create_table(
        "households",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("community_id", sa.BigInteger, nullable=False),
        sa.Column("address", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_households"),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name="fk_households_community_id_communities"
        ),
    )
    op.create_index("ix_households_community_id", "households", ["community_id"])
    op.create_table(
        "persons",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=True),
        sa.Column("community_id", sa.BigInteger, nullable=True),
        sa.Column("household_id", sa.BigInteger, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_persons"),
        sa.UniqueConstraint("phone", name="uq_persons_phone"),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name="fk_persons_community_id_communities"
        ),
        sa.ForeignKeyConstraint(
            ["household_id"], ["households.id"], name="fk_persons_household_id_households"
        ),
        sa.CheckConstraint("phone ~ '^1[3-9][0-9]{9}$'", name="ck_persons_phone_format"),
        sa.CheckConstraint("length(btrim(name)) > 0", name="ck_persons_name_not_blank"),
    )
    op.create_index("ix_persons_community_id", "persons", ["community_id"])
    op.create_index("ix_persons_household_id", "persons", ["household_id"])
    op.create_table(
        "person_roles",
        sa.Column("person_id", sa.BigInteger, nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("person_id", "role", name="pk_person_roles"),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name="fk_person_roles_person_id_persons", ondelete="CASCADE"
        ),
        sa.CheckConstraint(f"role IN ({ROLES})", name="ck_person_roles_role_known"),
    )


def downgrade() -> None:
    op.drop_table("person_roles")
    op.drop_table("persons")
    op.drop_table("households")
    op.drop_table("communities")
