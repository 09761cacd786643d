"""The monthly median of minutes to resolution at a cost that stops growing with the cases (#18).

case_resolution_minutes keeps one row per distinct whole minute: with many cases a month it holds a
row for nearly every minute resolutions take (about 10 000 a month when they take up to a week),
and a median read over all of them costs what they number. case_resolution_hours keeps the same
counts by whole hour: the median's hour is found over these (a few hundred rows a month), then its
minute over that hour's at most 60 minute rows. The trigger keeps both; the hours are filled from
the minutes already kept.

Revision ID: 0022_case_resolution_hours
Revises: 0021_case_figures_minutes
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0022_case_resolution_hours"
down_revision = "0021_case_figures_minutes"
branch_labels = None
depends_on = None

FUNCTION = """CREATE OR REPLACE FUNCTION cases_keep_figures() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  took int;
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM case_figures_count(NEW.organisation_id, case_month(NEW.reported_at), 'received', 1);
    RETURN NULL;
  END IF;
  IF OLD.status = 'REPORTED' AND NEW.status = 'ACCEPTED' AND NEW.accepted_at <= NEW.accept_due_at THEN
    PERFORM case_figures_count(NEW.organisation_id, case_month(NEW.reported_at), 'accepted_in_time', 1);
  END IF;
  IF OLD.status <> 'RESOLVED' AND NEW.status = 'RESOLVED' THEN
    PERFORM case_figures_count(NEW.organisation_id, case_month(NEW.resolved_at), 'resolved', 1);
    took := floor(extract(epoch FROM NEW.resolved_at - NEW.reported_at) / 60);
    INSERT INTO case_resolution_minutes AS r (organisation_id, month, minutes, cases)
    VALUES (NEW.organisation_id, case_month(NEW.resolved_at), took, 1)
    ON CONFLICT (organisation_id, month, minutes) DO UPDATE SET cases = r.cases + 1;
HOURS  END IF;
  IF OLD.status <> 'RATED' AND NEW.status = 'RATED' THEN
    PERFORM case_figures_count(NEW.organisation_id, case_month(NEW.rated_at), 'rated', 1);
    PERFORM case_figures_count(NEW.organisation_id, case_month(NEW.rated_at), 'rating_sum', NEW.rating);
  END IF;
  IF OLD.status <> 'REOPENED' AND NEW.status = 'REOPENED' THEN
    PERFORM case_figures_count(NEW.organisation_id, case_month(NEW.reopened_at), 'reopened', 1);
  END IF;
  RETURN NULL;
END $$"""

# The whole hours of the whole minutes (floor, as for the minutes).
KEEP_HOURS = """    INSERT INTO case_resolution_hours AS h (organisation_id, month, hours, cases)
    VALUES (NEW.organisation_id, case_month(NEW.resolved_at), floor(took / 60.0), 1)
    ON CONFLICT (organisation_id, month, hours) DO UPDATE SET cases = h.cases + 1;
"""


def upgrade() -> None:
    op.create_table(
        "case_resolution_hours",
        sa.Column("organisation_id", sa.BigInteger(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("hours", sa.Integer(), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_case_resolution_hours_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organisation_id", "month", "hours", name=op.f("pk_case_resolution_hours")),
    )
    op.execute(
        "INSERT INTO case_resolution_hours (organisation_id, month, hours, cases) "
        "SELECT organisation_id, month, floor(minutes / 60.0)::int, sum(cases) FROM case_resolution_minutes "
        "GROUP BY 1, 2, 3"
    )
    op.execute(FUNCTION.replace("HOURS", KEEP_HOURS))


def downgrade() -> None:
    op.execute(FUNCTION.replace("HOURS", ""))  # as 0021 made it
    op.drop_table("case_resolution_hours")
