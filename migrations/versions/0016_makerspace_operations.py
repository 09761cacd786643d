"""Maker-space operations (#17): each rule of a space its own CHECK (so a refused change names
the rule it broke; hours fall on slot boundaries); retired resources (when and why; the row stays);
staff block-outs; and `resource_holds`, one row per active reservation and per block-out in force,
kept by triggers, whose exclusion constraint stops a reservation and a block-out of one resource
from overlapping whichever comes first. A reservation of a retired resource is refused by the
database too (the trigger takes the resource row's share lock, so it waits for a retirement under
way and then sees it).

Revision ID: 0016_makerspace_operations
Revises: 0015_childcare_operations
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0016_makerspace_operations"
down_revision = "0015_childcare_operations"
branch_labels = None
depends_on = None

# As models.makerspace.RULE_CONSTRAINTS (a migration keeps its own copy: models move on).
RULES = {
    "opens_before_closing": "opens_at < closes_at",
    "slot_divides_day": "CASE WHEN slot_minutes BETWEEN 5 AND 240 THEN 1440 % slot_minutes = 0 ELSE false END",
    # Judged only for a valid slot (an invalid one is slot_divides_day's to report).
    "hours_on_slots": "CASE WHEN slot_minutes NOT BETWEEN 5 AND 240 THEN true WHEN 1440 % slot_minutes <> 0 THEN true "
    "ELSE extract(epoch FROM opens_at)::int % (slot_minutes * 60) = 0 "
    "AND extract(epoch FROM closes_at)::int % (slot_minutes * 60) = 0 END",
    "booking_horizon_days_range": "booking_horizon_days BETWEEN 0 AND 90",
    "desk_max_minutes_range": "desk_max_minutes BETWEEN 1 AND 1440",
    "room_max_minutes_range": "room_max_minutes BETWEEN 1 AND 1440",
    "desk_daily_cap_minutes_range": "desk_daily_cap_minutes BETWEEN 1 AND 1440",
    "check_in_before_minutes_range": "check_in_before_minutes BETWEEN 0 AND 120",
    "check_in_after_minutes_range": "check_in_after_minutes BETWEEN 1 AND 120",
    "no_show_limit_range": "no_show_limit BETWEEN 1 AND 100",
    "no_show_window_days_range": "no_show_window_days BETWEEN 1 AND 365",
    "suspension_days_range": "suspension_days BETWEEN 0 AND 365",
    "check_in_step_seconds_range": "check_in_step_seconds BETWEEN 15 AND 600",
}
OLD_RULES = {
    "opens_before_closing": "opens_at < closes_at",
    "slot_divides_day": "slot_minutes > 0 AND 1440 % slot_minutes = 0",
    "rules_positive": "booking_horizon_days >= 0 AND desk_max_minutes > 0 AND room_max_minutes > 0 AND "
    "desk_daily_cap_minutes > 0 AND check_in_before_minutes >= 0 AND check_in_after_minutes > 0 AND "
    "no_show_limit > 0 AND no_show_window_days > 0 AND suspension_days >= 0 AND check_in_step_seconds > 0",
}
RESOURCE_CHECKS = {
    "capacity_at_most": "capacity <= 500",
    "name_not_blank": "length(btrim(name)) > 0",
    "position_range": "position BETWEEN 0 AND 9999",
    "retired_with_reason": "active = (retired_at IS NULL) AND (active OR length(btrim(retired_reason)) > 0)",
}

ACTIVE = "('CONFIRMED', 'CHECKED_IN')"

# A reservation holds its resource's time while CONFIRMED or CHECKED_IN. Becoming active (made, or
# made active again), it must be of a resource in use: FOR SHARE waits for a retirement under way
# (which holds the row FOR UPDATE) and then reads what it committed.
RESERVATIONS_FUNCTION = f"""
CREATE FUNCTION reservations_hold_time() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  in_use boolean;
BEGIN
  IF NEW.status IN {ACTIVE} AND (TG_OP = 'INSERT' OR OLD.status NOT IN {ACTIVE}) THEN
    SELECT active INTO in_use FROM resources WHERE id = NEW.resource_id FOR SHARE;
    IF NOT in_use THEN
      RAISE EXCEPTION 'resource % is retired', NEW.resource_id
        USING ERRCODE = 'check_violation', CONSTRAINT = 'resource_retired', TABLE = 'reservations';
    END IF;
    INSERT INTO resource_holds (resource_id, period, reservation_id)
      VALUES (NEW.resource_id, NEW.period, NEW.id);
  ELSIF NEW.status IN {ACTIVE} THEN
    IF NEW.period IS DISTINCT FROM OLD.period OR NEW.resource_id <> OLD.resource_id THEN
      UPDATE resource_holds SET period = NEW.period, resource_id = NEW.resource_id
        WHERE reservation_id = NEW.id;
    END IF;
  ELSIF TG_OP = 'UPDATE' AND OLD.status IN {ACTIVE} THEN
    DELETE FROM resource_holds WHERE reservation_id = NEW.id;
  END IF;
  RETURN NULL;
END $$
"""

# A block-out holds its resource's time until removed.
BLOCK_OUTS_FUNCTION = """
CREATE FUNCTION resource_block_outs_hold_time() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.removed_at IS NULL AND (TG_OP = 'INSERT' OR OLD.removed_at IS NOT NULL) THEN
    INSERT INTO resource_holds (resource_id, period, block_out_id)
      VALUES (NEW.resource_id, NEW.period, NEW.id);
  ELSIF NEW.removed_at IS NULL THEN
    IF NEW.period IS DISTINCT FROM OLD.period OR NEW.resource_id <> OLD.resource_id THEN
      UPDATE resource_holds SET period = NEW.period, resource_id = NEW.resource_id
        WHERE block_out_id = NEW.id;
    END IF;
  ELSIF TG_OP = 'UPDATE' AND OLD.removed_at IS NULL THEN
    DELETE FROM resource_holds WHERE block_out_id = NEW.id;
  END IF;
  RETURN NULL;
END $$
"""


def upgrade() -> None:
    # One CHECK per rule of a space.
    for name in OLD_RULES:
        op.drop_constraint(op.f(f"ck_maker_spaces_{name}"), "maker_spaces", type_="check")
    for name, condition in RULES.items():
        op.create_check_constraint(op.f(f"ck_maker_spaces_{name}"), "maker_spaces", condition)

    # Retired resources: when and why.
    op.add_column("resources", sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("resources", sa.Column("retired_reason", sa.Text(), nullable=True))
    op.execute(
        "UPDATE resources SET retired_at = now(), retired_reason = '本次升级前已停用' WHERE NOT active"
    )
    for name, condition in RESOURCE_CHECKS.items():
        op.create_check_constraint(op.f(f"ck_resources_{name}"), "resources", condition)

    op.create_table(
        "resource_block_outs",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("resource_id", sa.BigInteger(), nullable=False),
        sa.Column("space_id", sa.BigInteger(), nullable=False),
        sa.Column("period", postgresql.TSTZRANGE(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_by", sa.BigInteger(), nullable=True),
        postgresql.ExcludeConstraint(
            (sa.column("resource_id"), "="),
            (sa.column("period"), "&&"),
            where=sa.text("removed_at IS NULL"),
            using="gist",
            name="ex_resource_block_outs_resource_period",
        ),
        sa.CheckConstraint(
            "NOT isempty(period) AND lower_inc(period) AND NOT upper_inc(period) "
            "AND NOT lower_inf(period) AND NOT upper_inf(period)",
            name=op.f("ck_resource_block_outs_period_half_open"),
        ),
        sa.CheckConstraint("length(btrim(reason)) > 0", name=op.f("ck_resource_block_outs_reason_not_blank")),
        sa.CheckConstraint(
            "(removed_at IS NULL) = (removed_by IS NULL)",
            name=op.f("ck_resource_block_outs_removed_by_someone"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["persons.id"], name=op.f("fk_resource_block_outs_created_by_persons")
        ),
        sa.ForeignKeyConstraint(
            ["removed_by"], ["persons.id"], name=op.f("fk_resource_block_outs_removed_by_persons")
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"], ["resources.id"], name=op.f("fk_resource_block_outs_resource_id_resources")
        ),
        sa.ForeignKeyConstraint(
            ["space_id"], ["maker_spaces.id"], name=op.f("fk_resource_block_outs_space_id_maker_spaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_block_outs")),
    )
    op.create_index(
        "ix_resource_block_outs_space_period",
        "resource_block_outs",
        ["space_id", "period"],
        unique=False,
        postgresql_using="gist",
    )
    op.create_table(
        "resource_holds",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("resource_id", sa.BigInteger(), nullable=False),
        sa.Column("period", postgresql.TSTZRANGE(), nullable=False),
        sa.Column("reservation_id", sa.BigInteger(), nullable=True),
        sa.Column("block_out_id", sa.BigInteger(), nullable=True),
        postgresql.ExcludeConstraint(
            (sa.column("resource_id"), "="),
            (sa.column("period"), "&&"),
            using="gist",
            name="ex_resource_holds_resource_period",
        ),
        sa.CheckConstraint(
            "(reservation_id IS NULL) <> (block_out_id IS NULL)", name=op.f("ck_resource_holds_one_holder")
        ),
        sa.ForeignKeyConstraint(
            ["block_out_id"],
            ["resource_block_outs.id"],
            name=op.f("fk_resource_holds_block_out_id_resource_block_outs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["reservations.id"],
            name=op.f("fk_resource_holds_reservation_id_reservations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"], ["resources.id"], name=op.f("fk_resource_holds_resource_id_resources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_holds")),
        sa.UniqueConstraint("block_out_id", name=op.f("uq_resource_holds_block_out_id")),
        sa.UniqueConstraint("reservation_id", name=op.f("uq_resource_holds_reservation_id")),
    )
    # What holds time today: the active reservations (which never overlap one another).
    op.execute(
        "INSERT INTO resource_holds (resource_id, period, reservation_id) "
        f"SELECT resource_id, period, id FROM reservations WHERE status IN {ACTIVE}"
    )
    op.execute(RESERVATIONS_FUNCTION)
    op.execute(
        "CREATE TRIGGER reservations_hold_time AFTER INSERT OR UPDATE OF status, period, resource_id "
        "ON reservations FOR EACH ROW EXECUTE FUNCTION reservations_hold_time()"
    )
    op.execute(BLOCK_OUTS_FUNCTION)
    op.execute(
        "CREATE TRIGGER resource_block_outs_hold_time AFTER INSERT OR UPDATE OF removed_at, period, resource_id "
        "ON resource_block_outs FOR EACH ROW EXECUTE FUNCTION resource_block_outs_hold_time()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER resource_block_outs_hold_time ON resource_block_outs")
    op.execute("DROP TRIGGER reservations_hold_time ON reservations")
    op.execute("DROP FUNCTION resource_block_outs_hold_time()")
    op.execute("DROP FUNCTION reservations_hold_time()")
    op.drop_table("resource_holds")
    op.drop_index("ix_resource_block_outs_space_period", table_name="resource_block_outs")
    op.drop_table("resource_block_outs")
    for name in RESOURCE_CHECKS:
        op.drop_constraint(op.f(f"ck_resources_{name}"), "resources", type_="check")
    op.drop_column("resources", "retired_reason")
    op.drop_column("resources", "retired_at")
    for name in RULES:
        op.drop_constraint(op.f(f"ck_maker_spaces_{name}"), "maker_spaces", type_="check")
    for name, condition in OLD_RULES.items():
        op.create_check_constraint(op.f(f"ck_maker_spaces_{name}"), "maker_spaces", condition)
