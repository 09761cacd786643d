"""Maker space (天空创客厅): spaces and rules, resources, reservations, suspensions.

Revision ID: 0003_makerspace
Revises: 0002_facilities
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003_makerspace"
down_revision = "0002_facilities"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "maker_spaces",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("community_id", sa.BigInteger(), nullable=False),
        sa.Column("facility_id", sa.BigInteger(), nullable=True),
        sa.Column("opens_at", sa.Time(), server_default=sa.text("'08:30'"), nullable=False),
        sa.Column("closes_at", sa.Time(), server_default=sa.text("'21:30'"), nullable=False),
        sa.Column("slot_minutes", sa.SmallInteger(), server_default=sa.text("30"), nullable=False),
        sa.Column("booking_horizon_days", sa.SmallInteger(), server_default=sa.text("7"), nullable=False),
        sa.Column("desk_max_minutes", sa.SmallInteger(), server_default=sa.text("240"), nullable=False),
        sa.Column("room_max_minutes", sa.SmallInteger(), server_default=sa.text("120"), nullable=False),
        sa.Column("desk_daily_cap_minutes", sa.SmallInteger(), server_default=sa.text("480"), nullable=False),
        sa.Column("check_in_before_minutes", sa.SmallInteger(), server_default=sa.text("10"), nullable=False),
        sa.Column("check_in_after_minutes", sa.SmallInteger(), server_default=sa.text("15"), nullable=False),
        sa.Column("no_show_limit", sa.SmallInteger(), server_default=sa.text("3"), nullable=False),
        sa.Column("no_show_window_days", sa.SmallInteger(), server_default=sa.text("30"), nullable=False),
        sa.Column("suspension_days", sa.SmallInteger(), server_default=sa.text("7"), nullable=False),
        sa.Column("check_in_secret", sa.String(length=64), nullable=False),
        sa.Column("check_in_step_seconds", sa.SmallInteger(), server_default=sa.text("60"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "booking_horizon_days >= 0 AND desk_max_minutes > 0 AND room_max_minutes > 0 AND desk_daily_cap_minutes > 0 AND check_in_before_minutes >= 0 AND check_in_after_minutes > 0 AND no_show_limit > 0 AND no_show_window_days > 0 AND suspension_days >= 0 AND check_in_step_seconds > 0",
            name=op.f("ck_maker_spaces_rules_positive"),
        ),
        sa.CheckConstraint("opens_at < closes_at", name=op.f("ck_maker_spaces_opens_before_closing")),
        sa.CheckConstraint(
            "slot_minutes > 0 AND 1440 % slot_minutes = 0", name=op.f("ck_maker_spaces_slot_divides_day")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_maker_spaces_community_id_communities")
        ),
        sa.ForeignKeyConstraint(
            ["facility_id"], ["facilities.id"], name=op.f("fk_maker_spaces_facility_id_facilities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maker_spaces")),
        sa.UniqueConstraint("name", name=op.f("uq_maker_spaces_name")),
    )
    op.create_table(
        "resources",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("space_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("capacity", sa.SmallInteger(), nullable=False),
        sa.Column("features", sa.ARRAY(sa.String(length=30)), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("position", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint(
            "capacity >= 1 AND (kind <> 'DESK' OR capacity = 1)", name=op.f("ck_resources_capacity_fits_kind")
        ),
        sa.CheckConstraint(
            "features <@ ARRAY['WINDOW', 'POWER', 'MONITOR', 'WHITEBOARD', 'SCREEN', 'VIDEO_CONFERENCE']::varchar[]",
            name=op.f("ck_resources_features_known"),
        ),
        sa.CheckConstraint(
            "kind IN ('DESK', 'MEETING_ROOM', 'VIDEO_ROOM')", name=op.f("ck_resources_kind_known")
        ),
        sa.ForeignKeyConstraint(
            ["space_id"], ["maker_spaces.id"], name=op.f("fk_resources_space_id_maker_spaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resources")),
        sa.UniqueConstraint("space_id", "name", name="uq_resources_space_name"),
    )
    op.create_index(op.f("ix_resources_space_id"), "resources", ["space_id"], unique=False)
    op.create_table(
        "booking_suspensions",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("space_id", sa.BigInteger(), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.CheckConstraint("starts_at < until", name=op.f("ck_booking_suspensions_starts_before_until")),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_booking_suspensions_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["space_id"], ["maker_spaces.id"], name=op.f("fk_booking_suspensions_space_id_maker_spaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_suspensions")),
    )
    op.create_index(
        "ix_booking_suspensions_person_space",
        "booking_suspensions",
        ["person_id", "space_id", "until"],
        unique=False,
    )
    op.create_table(
        "reservations",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("resource_id", sa.BigInteger(), nullable=False),
        sa.Column("space_id", sa.BigInteger(), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("period", postgresql.TSTZRANGE(), nullable=False),
        sa.Column("status", sa.String(length=20), server_default=sa.text("'CONFIRMED'"), nullable=False),
        sa.Column("party_size", sa.SmallInteger(), server_default=sa.text("1"), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=True),
        sa.Column("request_fingerprint", sa.Text(), nullable=True),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        postgresql.ExcludeConstraint(
            (sa.column("person_id"), "="),
            (sa.column("period"), "&&"),
            where=sa.text("status IN ('CONFIRMED', 'CHECKED_IN')"),
            using="gist",
            name="ex_reservations_person_period",
        ),
        postgresql.ExcludeConstraint(
            (sa.column("resource_id"), "="),
            (sa.column("period"), "&&"),
            where=sa.text("status IN ('CONFIRMED', 'CHECKED_IN')"),
            using="gist",
            name="ex_reservations_resource_period",
        ),
        sa.CheckConstraint(
            "status IN ('CONFIRMED', 'CHECKED_IN', 'COMPLETED', 'CANCELLED', 'NO_SHOW')",
            name=op.f("ck_reservations_status_known"),
        ),
        sa.CheckConstraint(
            "NOT isempty(period) AND lower_inc(period) AND NOT upper_inc(period)",
            name=op.f("ck_reservations_period_half_open"),
        ),
        sa.CheckConstraint("party_size >= 1", name=op.f("ck_reservations_party_size_positive")),
        sa.ForeignKeyConstraint(
            ["cancelled_by"], ["persons.id"], name=op.f("fk_reservations_cancelled_by_persons")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_reservations_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"], ["resources.id"], name=op.f("fk_reservations_resource_id_resources")
        ),
        sa.ForeignKeyConstraint(
            ["space_id"], ["maker_spaces.id"], name=op.f("fk_reservations_space_id_maker_spaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservations")),
        sa.UniqueConstraint("person_id", "idempotency_key", name="uq_reservations_person_idempotency_key"),
    )
    op.create_index(
        "ix_reservations_person_start",
        "reservations",
        ["person_id", sa.literal_column("lower(period)")],
        unique=False,
    )
    op.create_index(
        "ix_reservations_space_period",
        "reservations",
        ["space_id", "period"],
        unique=False,
        postgresql_using="gist",
    )


def downgrade() -> None:
    op.drop_index("ix_reservations_space_period", table_name="reservations", postgresql_using="gist")
    op.drop_index("ix_reservations_person_start", table_name="reservations")
    op.drop_table("reservations")
    op.drop_index("ix_booking_suspensions_person_space", table_name="booking_suspensions")
    op.drop_table("booking_suspensions")
    op.drop_index(op.f("ix_resources_space_id"), table_name="resources")
    op.drop_table("resources")
    op.drop_table("maker_spaces")
