"""Childcare operations (#17): carers on duty, their ratio a checked rule; closed sessions.

- childcare_timetable_carers: who is on duty for a weekly timetable entry (copied onto each session
  generated from it); childcare_session_carers: the roster of one dated session.
- childcare_sessions gains class_carer_ratio (carried from its class by a composite foreign key,
  ON UPDATE CASCADE, like class_capacity), carer_count (kept by a trigger on the roster),
  timetable_id (the entry it came from) and cancelled_at / cancel_reason (a closure).
- A trigger refuses any change of a session that would leave more confirmed children than
  carer_count × class_carer_ratio (a check violation named ck_childcare_sessions_within_carer_ratio):
  a booking beyond it, a carer removed under it, a class's ratio lowered under it. It refuses only
  changes that make it worse, so sessions of the past, whose rosters nobody knows, stay as they were.
- Backfill: every CHILDCARE_STAFF person (not disabled) of a centre's community is rostered on each
  of the centre's timetable entries and on each of its sessions not yet started, so confirmed
  bookings stay valid and booking goes on; staff then trim the rosters. Sessions get their
  timetable entry where one matches them.

Revision ID: 0015_childcare_operations
Revises: 0014_elders_consent
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_childcare_operations"
down_revision = "0014_elders_consent"
branch_labels = None
depends_on = None

FUNCTIONS = [
    """
CREATE FUNCTION childcare_sessions_fill_carer_ratio() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.class_carer_ratio IS NULL THEN
        SELECT carer_ratio INTO NEW.class_carer_ratio FROM childcare_classes WHERE id = NEW.class_id;
    END IF;
    RETURN NEW;
END $$
    """,
    """
CREATE FUNCTION childcare_sessions_within_carer_ratio() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.confirmed_count > NEW.carer_count * NEW.class_carer_ratio
       AND (NEW.confirmed_count > OLD.confirmed_count
            OR NEW.carer_count < OLD.carer_count
            OR NEW.class_carer_ratio < OLD.class_carer_ratio) THEN
        RAISE EXCEPTION 'childcare session % would hold % confirmed children with % carers at 1:%',
            NEW.id, NEW.confirmed_count, NEW.carer_count, NEW.class_carer_ratio
            USING ERRCODE = 'check_violation',
                  CONSTRAINT = 'ck_childcare_sessions_within_carer_ratio',
                  TABLE = 'childcare_sessions';
    END IF;
    RETURN NEW;
END $$
    """,
    """
CREATE FUNCTION childcare_session_carers_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE childcare_sessions SET carer_count = carer_count + 1 WHERE id = NEW.session_id;
    ELSE
        UPDATE childcare_sessions SET carer_count = carer_count - 1 WHERE id = OLD.session_id;
    END IF;
    RETURN NULL;
END $$
    """,
    """
CREATE TRIGGER childcare_sessions_fill_carer_ratio BEFORE INSERT ON childcare_sessions
    FOR EACH ROW EXECUTE FUNCTION childcare_sessions_fill_carer_ratio()
    """,
    """
CREATE TRIGGER childcare_sessions_within_carer_ratio
    BEFORE UPDATE OF confirmed_count, carer_count, class_carer_ratio ON childcare_sessions
    FOR EACH ROW EXECUTE FUNCTION childcare_sessions_within_carer_ratio()
    """,
    """
CREATE TRIGGER childcare_session_carers_count AFTER INSERT OR DELETE ON childcare_session_carers
    FOR EACH ROW EXECUTE FUNCTION childcare_session_carers_count()
    """,
]

STAFF_OF_CENTRE = """
    SELECT cc.id AS center_id, p.id AS person_id
      FROM childcare_centers cc
      JOIN persons p ON p.community_id = cc.community_id AND p.disabled_at IS NULL
      JOIN person_roles r ON r.person_id = p.id AND r.role = 'CHILDCARE_STAFF'
"""

BACKFILL = [
    """
    UPDATE childcare_sessions s SET timetable_id = t.id
      FROM childcare_timetable t
     WHERE t.class_id = s.class_id AND t.care_type = s.care_type
       AND t.weekday = EXTRACT(isodow FROM s.day)
       AND t.starts_at = CAST(lower(s.period) AT TIME ZONE 'Asia/Shanghai' AS time)
       AND t.ends_at = CAST(upper(s.period) AT TIME ZONE 'Asia/Shanghai' AS time)
    """,
    f"""
    INSERT INTO childcare_timetable_carers (timetable_id, person_id)
    SELECT t.id, staff.person_id
      FROM childcare_timetable t
      JOIN childcare_classes c ON c.id = t.class_id
      JOIN ({STAFF_OF_CENTRE}) staff ON staff.center_id = c.center_id
    """,
    f"""
    INSERT INTO childcare_session_carers (session_id, person_id)
    SELECT s.id, staff.person_id
      FROM childcare_sessions s
      JOIN childcare_classes c ON c.id = s.class_id
      JOIN ({STAFF_OF_CENTRE}) staff ON staff.center_id = c.center_id
     WHERE lower(s.period) > now()
    """,
]


def upgrade() -> None:
    op.create_unique_constraint(
        "uq_childcare_classes_id_carer_ratio", "childcare_classes", ["id", "carer_ratio"]
    )
    op.add_column("childcare_sessions", sa.Column("class_carer_ratio", sa.SmallInteger(), nullable=True))
    op.add_column(
        "childcare_sessions",
        sa.Column("carer_count", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column("childcare_sessions", sa.Column("timetable_id", sa.BigInteger(), nullable=True))
    op.add_column("childcare_sessions", sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("childcare_sessions", sa.Column("cancel_reason", sa.String(length=200), nullable=True))
    op.execute(
        "UPDATE childcare_sessions s SET class_carer_ratio = c.carer_ratio "
        "FROM childcare_classes c WHERE c.id = s.class_id"
    )
    op.alter_column("childcare_sessions", "class_carer_ratio", nullable=False)
    op.create_foreign_key(
        "fk_childcare_sessions_class_carer_ratio",
        "childcare_sessions",
        "childcare_classes",
        ["class_id", "class_carer_ratio"],
        ["id", "carer_ratio"],
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        op.f("fk_childcare_sessions_timetable_id_childcare_timetable"),
        "childcare_sessions",
        "childcare_timetable",
        ["timetable_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_index(op.f("ix_childcare_sessions_timetable_id"), "childcare_sessions", ["timetable_id"])
    op.create_check_constraint(
        op.f("ck_childcare_sessions_carer_count_positive"), "childcare_sessions", "carer_count >= 0"
    )
    op.create_check_constraint(
        op.f("ck_childcare_sessions_cancelled_with_reason"),
        "childcare_sessions",
        "(cancelled_at IS NULL) = (cancel_reason IS NULL)",
    )
    op.create_check_constraint(
        op.f("ck_childcare_sessions_cancelled_holds_no_places"),
        "childcare_sessions",
        "cancelled_at IS NULL OR confirmed_count = 0",
    )
    op.create_table(
        "childcare_timetable_carers",
        sa.Column("timetable_id", sa.BigInteger(), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["timetable_id"],
            ["childcare_timetable.id"],
            name=op.f("fk_childcare_timetable_carers_timetable_id_childcare_timetable"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_childcare_timetable_carers_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("timetable_id", "person_id", name=op.f("pk_childcare_timetable_carers")),
    )
    op.create_index(
        op.f("ix_childcare_timetable_carers_person_id"), "childcare_timetable_carers", ["person_id"]
    )
    op.create_table(
        "childcare_session_carers",
        sa.Column("session_id", sa.BigInteger(), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["childcare_sessions.id"],
            name=op.f("fk_childcare_session_carers_session_id_childcare_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_childcare_session_carers_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("session_id", "person_id", name=op.f("pk_childcare_session_carers")),
    )
    op.create_index(op.f("ix_childcare_session_carers_person_id"), "childcare_session_carers", ["person_id"])
    for statement in FUNCTIONS:
        op.execute(statement)
    for statement in BACKFILL:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TRIGGER childcare_session_carers_count ON childcare_session_carers")
    op.execute("DROP TRIGGER childcare_sessions_within_carer_ratio ON childcare_sessions")
    op.execute("DROP TRIGGER childcare_sessions_fill_carer_ratio ON childcare_sessions")
    op.execute("DROP FUNCTION childcare_session_carers_count()")
    op.execute("DROP FUNCTION childcare_sessions_within_carer_ratio()")
    op.execute("DROP FUNCTION childcare_sessions_fill_carer_ratio()")
    op.drop_table("childcare_session_carers")
    op.drop_table("childcare_timetable_carers")
    op.drop_constraint(
        op.f("ck_childcare_sessions_cancelled_holds_no_places"), "childcare_sessions", type_="check"
    )
    op.drop_constraint(
        op.f("ck_childcare_sessions_cancelled_with_reason"), "childcare_sessions", type_="check"
    )
    op.drop_constraint(
        op.f("ck_childcare_sessions_carer_count_positive"), "childcare_sessions", type_="check"
    )
    op.drop_index(op.f("ix_childcare_sessions_timetable_id"), table_name="childcare_sessions")
    op.drop_constraint(
        op.f("fk_childcare_sessions_timetable_id_childcare_timetable"),
        "childcare_sessions",
        type_="foreignkey",
    )
    op.drop_constraint("fk_childcare_sessions_class_carer_ratio", "childcare_sessions", type_="foreignkey")
    for column in ("cancel_reason", "cancelled_at", "timetable_id", "carer_count", "class_carer_ratio"):
        op.drop_column("childcare_sessions", column)
    op.drop_constraint("uq_childcare_classes_id_carer_ratio", "childcare_classes", type_="unique")
