"""Elder-care devices, per-elder thresholds and the care policy without SQL (#17).

A device belongs to a community and is assigned to at most one elder at a time: devices.elder_id
(now nullable) is the current assignment, device_assignments its history, with one open row per
device at most (a partial unique index). The elder must be of the device's community (a composite
foreign key). A retired device keeps its row and is assigned to nobody. Every change of an elder's
vital thresholds is a row of vital_threshold_changes (who, when, why, before, after). The care
policy's one CHECK becomes one per rule, so each refusal has a code of its own.

Revision ID: 0018_devices_thresholds
Revises: 0017_facilities_operations
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0018_devices_thresholds"
down_revision = "0017_facilities_operations"
branch_labels = None
depends_on = None

# A device inserted already assigned (seeds, fixtures, older tools) takes its elder's community,
# is assigned from now unless told when, and gets its open history row from the database;
# deviceAssign writes all of it itself. One inserted unassigned has no assignment time.
DEVICE_TRIGGERS = (
    """CREATE FUNCTION devices_take_elder_community() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.elder_id IS NOT NULL THEN
    NEW.assigned_at := coalesce(NEW.assigned_at, now());
    IF NEW.community_id IS NULL THEN
      SELECT community_id INTO NEW.community_id FROM elders WHERE id = NEW.elder_id;
    END IF;
  END IF;
  RETURN NEW;
END $$""",
    """CREATE TRIGGER devices_take_elder_community BEFORE INSERT ON devices
FOR EACH ROW EXECUTE FUNCTION devices_take_elder_community()""",
    """CREATE FUNCTION devices_open_assignment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO device_assignments (device_id, elder_id, assigned_at)
  VALUES (NEW.id, NEW.elder_id, NEW.assigned_at);
  RETURN NULL;
END $$""",
    """CREATE TRIGGER devices_open_assignment AFTER INSERT ON devices
FOR EACH ROW WHEN (NEW.elder_id IS NOT NULL) EXECUTE FUNCTION devices_open_assignment()""",
)

POLICY_CHECKS = {
    "inactivity_hours_sane": "inactivity_hours BETWEEN 1 AND 24",
    "day_ordered": "day_starts_at < day_ends_at",
    "offline_minutes_sane": "device_offline_minutes BETWEEN 1 AND 1440",
    "escalation_ordered": "critical_level1_minutes > 0 AND critical_level1_minutes < critical_level2_minutes "
    "AND critical_level2_minutes <= 1440 AND warning_level1_minutes BETWEEN 1 AND 1440",
}
OLD_POLICY_CHECK = (
    "inactivity_hours > 0 AND day_starts_at < day_ends_at AND device_offline_minutes > 0 "
    "AND critical_level1_minutes < critical_level2_minutes AND warning_level1_minutes > 0"
)
BOUNDS_ASCENDING = (
    "(critical_low IS NULL OR warning_high IS NULL OR critical_low < warning_high) "
    "AND (critical_low IS NULL OR critical_high IS NULL OR critical_low < critical_high) "
    "AND (warning_low IS NULL OR critical_high IS NULL OR warning_low < critical_high)"
)
OVERRIDE_NOT_EMPTY = (
    "elder_id IS NULL OR num_nonnulls(critical_low, warning_low, warning_high, critical_high) > 0"
)


def upgrade() -> None:
    # devices: a community of their own, the current assignment nullable, retirement
    op.add_column("devices", sa.Column("community_id", sa.BigInteger(), nullable=True))
    op.execute("UPDATE devices d SET community_id = e.community_id FROM elders e WHERE e.id = d.elder_id")
    op.alter_column("devices", "community_id", nullable=False)
    op.create_foreign_key(
        op.f("fk_devices_community_id_communities"), "devices", "communities", ["community_id"], ["id"]
    )
    op.create_index(op.f("ix_devices_community_id"), "devices", ["community_id"], unique=False)
    op.create_unique_constraint("uq_elders_id_community", "elders", ["id", "community_id"])
    op.create_foreign_key(
        "fk_devices_elder_in_community",
        "devices",
        "elders",
        ["elder_id", "community_id"],
        ["id", "community_id"],
        onupdate="CASCADE",
    )
    op.alter_column("devices", "elder_id", nullable=True)
    op.alter_column("devices", "assigned_at", nullable=True, server_default=None)
    op.add_column("devices", sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("devices", sa.Column("retired_reason", sa.Text(), nullable=True))
    op.add_column("devices", sa.Column("retired_by", sa.BigInteger(), nullable=True))
    op.create_foreign_key(op.f("fk_devices_retired_by_persons"), "devices", "persons", ["retired_by"], ["id"])
    op.create_check_constraint(
        op.f("ck_devices_assignment_whole"), "devices", "(elder_id IS NULL) = (assigned_at IS NULL)"
    )
    op.create_check_constraint(
        op.f("ck_devices_retired_unassigned"), "devices", "retired_at IS NULL OR elder_id IS NULL"
    )
    op.create_check_constraint(
        op.f("ck_devices_retired_with_reason"),
        "devices",
        "(retired_at IS NULL) = (retired_reason IS NULL) "
        "AND (retired_reason IS NULL OR length(btrim(retired_reason)) > 0)",
    )
    # the history of assignments, existing ones included
    op.create_table(
        "device_assignments",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("device_id", sa.BigInteger(), nullable=False),
        sa.Column("elder_id", sa.BigInteger(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_by", sa.BigInteger(), nullable=True),
        sa.Column("unassigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unassigned_by", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "unassigned_at IS NULL OR unassigned_at >= assigned_at",
            name=op.f("ck_device_assignments_closed_after_opened"),
        ),
        sa.CheckConstraint(
            "unassigned_by IS NULL OR unassigned_at IS NOT NULL",
            name=op.f("ck_device_assignments_closed_by_when_closed"),
        ),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_device_assignments_device_id_devices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["elder_id"], ["elders.id"], name=op.f("fk_device_assignments_elder_id_elders")
        ),
        sa.ForeignKeyConstraint(
            ["assigned_by"], ["persons.id"], name=op.f("fk_device_assignments_assigned_by_persons")
        ),
        sa.ForeignKeyConstraint(
            ["unassigned_by"], ["persons.id"], name=op.f("fk_device_assignments_unassigned_by_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_assignments")),
    )
    op.create_index(
        "ix_device_assignments_device_assigned", "device_assignments", ["device_id", "assigned_at"]
    )
    op.create_index(op.f("ix_device_assignments_elder_id"), "device_assignments", ["elder_id"])
    op.create_index(
        "uq_device_assignments_open",
        "device_assignments",
        ["device_id"],
        unique=True,
        postgresql_where=sa.text("unassigned_at IS NULL"),
    )
    op.execute(
        "INSERT INTO device_assignments (device_id, elder_id, assigned_at) "
        "SELECT id, elder_id, assigned_at FROM devices WHERE elder_id IS NOT NULL ORDER BY id"
    )
    for statement in DEVICE_TRIGGERS:
        op.execute(statement)
    # thresholds: every bound in order, an elder's band not empty, and the history of changes
    op.create_check_constraint(
        op.f("ck_vital_thresholds_bounds_ascending"), "vital_thresholds", BOUNDS_ASCENDING
    )
    op.create_check_constraint(
        op.f("ck_vital_thresholds_override_not_empty"), "vital_thresholds", OVERRIDE_NOT_EMPTY
    )
    op.create_table(
        "vital_threshold_changes",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("elder_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("changed_by", sa.BigInteger(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.CheckConstraint(
            "length(btrim(reason)) > 0", name=op.f("ck_vital_threshold_changes_reason_not_blank")
        ),
        sa.CheckConstraint(
            "before IS NOT NULL OR after IS NOT NULL",
            name=op.f("ck_vital_threshold_changes_changes_something"),
        ),
        sa.ForeignKeyConstraint(
            ["elder_id"],
            ["elders.id"],
            name=op.f("fk_vital_threshold_changes_elder_id_elders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["changed_by"], ["persons.id"], name=op.f("fk_vital_threshold_changes_changed_by_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vital_threshold_changes")),
    )
    op.create_index(
        "ix_vital_threshold_changes_elder_kind",
        "vital_threshold_changes",
        ["elder_id", "kind", "changed_at"],
    )
    # the care policy: one CHECK per rule
    op.drop_constraint(op.f("ck_care_policy_sane"), "care_policy", type_="check")
    for name, condition in POLICY_CHECKS.items():
        op.create_check_constraint(op.f(f"ck_care_policy_{name}"), "care_policy", condition)


def downgrade() -> None:
    for name in POLICY_CHECKS:
        op.drop_constraint(op.f(f"ck_care_policy_{name}"), "care_policy", type_="check")
    op.create_check_constraint(op.f("ck_care_policy_sane"), "care_policy", OLD_POLICY_CHECK)
    op.drop_table("vital_threshold_changes")
    op.drop_constraint(op.f("ck_vital_thresholds_override_not_empty"), "vital_thresholds", type_="check")
    op.drop_constraint(op.f("ck_vital_thresholds_bounds_ascending"), "vital_thresholds", type_="check")
    op.execute("DROP TRIGGER devices_open_assignment ON devices")
    op.execute("DROP FUNCTION devices_open_assignment()")
    op.execute("DROP TRIGGER devices_take_elder_community ON devices")
    op.execute("DROP FUNCTION devices_take_elder_community()")
    op.drop_table("device_assignments")
    # The old schema cannot hold a device that belongs to no elder: those (unassigned, retired) go.
    op.execute("DELETE FROM devices WHERE elder_id IS NULL")
    op.drop_constraint(op.f("ck_devices_retired_with_reason"), "devices", type_="check")
    op.drop_constraint(op.f("ck_devices_retired_unassigned"), "devices", type_="check")
    op.drop_constraint(op.f("ck_devices_assignment_whole"), "devices", type_="check")
    op.drop_constraint(op.f("fk_devices_retired_by_persons"), "devices", type_="foreignkey")
    op.drop_column("devices", "retired_by")
    op.drop_column("devices", "retired_reason")
    op.drop_column("devices", "retired_at")
    op.alter_column("devices", "assigned_at", nullable=False, server_default=sa.text("now()"))
    op.alter_column("devices", "elder_id", nullable=False)
    op.drop_constraint("fk_devices_elder_in_community", "devices", type_="foreignkey")
    op.drop_constraint("uq_elders_id_community", "elders", type_="unique")
    op.drop_index(op.f("ix_devices_community_id"), table_name="devices")
    op.drop_constraint(op.f("fk_devices_community_id_communities"), "devices", type_="foreignkey")
    op.drop_column("devices", "community_id")
