"""Childcare (托育): centres, age classes, timetable, sessions, children, guardians, pick-up, bookings.

Revision ID: 0004_childcare
Revises: 0003_makerspace
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004_childcare"
down_revision = "0003_makerspace"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "childcare_centers",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("community_id", sa.BigInteger(), nullable=False),
        sa.Column("facility_id", sa.BigInteger(), nullable=True),
        sa.Column("booking_horizon_days", sa.SmallInteger(), server_default=sa.text("14"), nullable=False),
        sa.Column("free_cancel_hours", sa.SmallInteger(), server_default=sa.text("24"), nullable=False),
        sa.Column("max_pin_attempts", sa.SmallInteger(), server_default=sa.text("5"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "booking_horizon_days >= 0 AND free_cancel_hours >= 0 AND max_pin_attempts > 0",
            name=op.f("ck_childcare_centers_rules_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_childcare_centers_community_id_communities")
        ),
        sa.ForeignKeyConstraint(
            ["facility_id"], ["facilities.id"], name=op.f("fk_childcare_centers_facility_id_facilities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_childcare_centers")),
        sa.UniqueConstraint("name", name=op.f("uq_childcare_centers_name")),
    )
    op.create_table(
        "childcare_classes",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("center_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("min_age_months", sa.SmallInteger(), nullable=False),
        sa.Column("max_age_months", sa.SmallInteger(), nullable=False),
        sa.Column("capacity", sa.SmallInteger(), nullable=False),
        sa.Column("carer_ratio", sa.SmallInteger(), nullable=False),
        sa.CheckConstraint(
            "(kind = 'INFANT' AND capacity <= 10 AND carer_ratio <= 3 AND min_age_months >= 6 AND max_age_months <= 12) OR (kind = 'TODDLER' AND capacity <= 15 AND carer_ratio <= 5 AND min_age_months >= 12 AND max_age_months <= 24) OR (kind = 'PRESCHOOL' AND capacity <= 20 AND carer_ratio <= 7 AND min_age_months >= 24 AND max_age_months <= 36) OR (kind = 'MIXED' AND capacity <= 18 AND carer_ratio <= 7 AND min_age_months >= 18 AND max_age_months <= 36)",
            name=op.f("ck_childcare_classes_national_rules"),
        ),
        sa.CheckConstraint(
            "min_age_months < max_age_months AND capacity > 0 AND carer_ratio > 0",
            name=op.f("ck_childcare_classes_sane"),
        ),
        sa.ForeignKeyConstraint(
            ["center_id"],
            ["childcare_centers.id"],
            name=op.f("fk_childcare_classes_center_id_childcare_centers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_childcare_classes")),
        sa.UniqueConstraint("center_id", "name", name="uq_childcare_classes_center_name"),
        sa.UniqueConstraint("id", "capacity", name="uq_childcare_classes_id_capacity"),
    )
    op.create_index(op.f("ix_childcare_classes_center_id"), "childcare_classes", ["center_id"], unique=False)
    op.create_table(
        "childcare_sessions",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("class_id", sa.BigInteger(), nullable=False),
        sa.Column("class_capacity", sa.SmallInteger(), nullable=False),
        sa.Column("care_type", sa.String(length=20), nullable=False),
        sa.Column("period", postgresql.TSTZRANGE(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("capacity", sa.SmallInteger(), nullable=False),
        sa.Column("confirmed_count", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("waitlist_sequence", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint(
            "care_type IN ('FULL_DAY', 'HALF_DAY', 'HOURLY', 'OCCASIONAL')",
            name=op.f("ck_childcare_sessions_care_type_known"),
        ),
        sa.CheckConstraint(
            "capacity > 0 AND capacity <= class_capacity",
            name=op.f("ck_childcare_sessions_capacity_within_class"),
        ),
        sa.CheckConstraint(
            "confirmed_count >= 0 AND confirmed_count <= capacity",
            name=op.f("ck_childcare_sessions_never_overbooked"),
        ),
        sa.ForeignKeyConstraint(
            ["class_id", "class_capacity"],
            ["childcare_classes.id", "childcare_classes.capacity"],
            name="fk_childcare_sessions_class_capacity",
            onupdate="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_childcare_sessions")),
        sa.UniqueConstraint("class_id", "care_type", "period", name="uq_childcare_sessions_slot"),
    )
    op.create_index(
        "ix_childcare_sessions_class_day", "childcare_sessions", ["class_id", "day"], unique=False
    )
    op.create_table(
        "childcare_timetable",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("class_id", sa.BigInteger(), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("care_type", sa.String(length=20), nullable=False),
        sa.Column("starts_at", sa.Time(), nullable=False),
        sa.Column("ends_at", sa.Time(), nullable=False),
        sa.Column("capacity", sa.SmallInteger(), nullable=False),
        sa.CheckConstraint(
            "weekday BETWEEN 1 AND 7 AND starts_at < ends_at AND capacity > 0",
            name=op.f("ck_childcare_timetable_sane"),
        ),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["childcare_classes.id"],
            name=op.f("fk_childcare_timetable_class_id_childcare_classes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_childcare_timetable")),
        sa.UniqueConstraint(
            "class_id", "weekday", "care_type", "starts_at", name="uq_childcare_timetable_slot"
        ),
    )
    op.create_index(
        op.f("ix_childcare_timetable_class_id"), "childcare_timetable", ["class_id"], unique=False
    )
    op.create_table(
        "children",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("consent_given_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consent_given_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("length(btrim(name)) > 0", name=op.f("ck_children_name_not_blank")),
        sa.ForeignKeyConstraint(
            ["consent_given_by"], ["persons.id"], name=op.f("fk_children_consent_given_by_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_children")),
    )
    op.create_table(
        "child_guardians",
        sa.Column("child_id", sa.BigInteger(), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["children.id"],
            name=op.f("fk_child_guardians_child_id_children"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_child_guardians_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("child_id", "person_id", name=op.f("pk_child_guardians")),
    )
    op.create_index(op.f("ix_child_guardians_person_id"), "child_guardians", ["person_id"], unique=False)
    op.create_table(
        "pickup_persons",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("child_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("pin_hash", sa.Text(), nullable=False),
        sa.Column("added_by", sa.BigInteger(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["added_by"], ["persons.id"], name=op.f("fk_pickup_persons_added_by_persons")
        ),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["children.id"],
            name=op.f("fk_pickup_persons_child_id_children"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pickup_persons")),
        sa.UniqueConstraint("child_id", "phone", name="uq_pickup_persons_child_phone"),
    )
    op.create_index(op.f("ix_pickup_persons_child_id"), "pickup_persons", ["child_id"], unique=False)
    op.create_table(
        "childcare_bookings",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("session_id", sa.BigInteger(), nullable=False),
        sa.Column("child_id", sa.BigInteger(), nullable=False),
        sa.Column("booked_by", sa.BigInteger(), nullable=False),
        sa.Column("period", postgresql.TSTZRANGE(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("waitlist_sequence", sa.BigInteger(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=100), nullable=True),
        sa.Column("request_fingerprint", sa.Text(), nullable=True),
        sa.Column("failed_pin_attempts", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("checkout_locked", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("picked_up_by", sa.BigInteger(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        postgresql.ExcludeConstraint(
            (sa.column("child_id"), "="),
            (sa.column("period"), "&&"),
            where=sa.text("status IN ('CONFIRMED', 'WAITLISTED', 'CHECKED_IN')"),
            using="gist",
            name="ex_childcare_bookings_child_period",
        ),
        sa.CheckConstraint(
            "(status = 'WAITLISTED') = (waitlist_sequence IS NOT NULL)",
            name=op.f("ck_childcare_bookings_waitlisted_have_a_place"),
        ),
        sa.CheckConstraint(
            "status IN ('CONFIRMED', 'WAITLISTED', 'CANCELLED', 'CHECKED_IN', 'CHECKED_OUT', 'ABSENT')",
            name=op.f("ck_childcare_bookings_status_known"),
        ),
        sa.CheckConstraint("failed_pin_attempts >= 0", name=op.f("ck_childcare_bookings_attempts_positive")),
        sa.ForeignKeyConstraint(
            ["booked_by"], ["persons.id"], name=op.f("fk_childcare_bookings_booked_by_persons")
        ),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_childcare_bookings_child_id_children")
        ),
        sa.ForeignKeyConstraint(
            ["picked_up_by"],
            ["pickup_persons.id"],
            name=op.f("fk_childcare_bookings_picked_up_by_pickup_persons"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["childcare_sessions.id"],
            name=op.f("fk_childcare_bookings_session_id_childcare_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_childcare_bookings")),
        sa.UniqueConstraint("booked_by", "idempotency_key", name="uq_childcare_bookings_idempotency_key"),
    )
    op.create_index("ix_childcare_bookings_child", "childcare_bookings", ["child_id"], unique=False)
    op.create_index(
        "ix_childcare_bookings_session_status", "childcare_bookings", ["session_id", "status"], unique=False
    )
    op.create_index(
        "uq_childcare_bookings_session_waitlist",
        "childcare_bookings",
        ["session_id", "waitlist_sequence"],
        unique=True,
        postgresql_where=sa.text("status = 'WAITLISTED'"),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_childcare_bookings_session_waitlist",
        table_name="childcare_bookings",
        postgresql_where=sa.text("status = 'WAITLISTED'"),
    )
    op.drop_index("ix_childcare_bookings_session_status", table_name="childcare_bookings")
    op.drop_index("ix_childcare_bookings_child", table_name="childcare_bookings")
    op.drop_table("childcare_bookings")
    op.drop_index(op.f("ix_pickup_persons_child_id"), table_name="pickup_persons")
    op.drop_table("pickup_persons")
    op.drop_index(op.f("ix_child_guardians_person_id"), table_name="child_guardians")
    op.drop_table("child_guardians")
    op.drop_table("children")
    op.drop_index(op.f("ix_childcare_timetable_class_id"), table_name="childcare_timetable")
    op.drop_table("childcare_timetable")
    op.drop_index("ix_childcare_sessions_class_day", table_name="childcare_sessions")
    op.drop_table("childcare_sessions")
    op.drop_index(op.f("ix_childcare_classes_center_id"), table_name="childcare_classes")
    op.drop_table("childcare_classes")
    op.drop_table("childcare_centers")
