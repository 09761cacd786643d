"""The figures trigger of 0020 could not record a resolution: its variable `minutes` has the name of
the histogram's column, so the `ON CONFLICT (organisation_id, month, minutes)` of its insert was
ambiguous and every resolving UPDATE of a case failed (`column reference "minutes" is ambiguous`).
The same function with the variable renamed; nothing else changes.

Revision ID: 0021_case_figures_minutes
Revises: 0020_affairs
Create Date: 2026-12-03
"""

from alembic import op

revision = "0021_case_figures_minutes"
down_revision = "0020_affairs"
branch_labels = None
depends_on = None

# The body of cases_keep_figures() with the whole minutes to resolution held in VARIABLE.
FUNCTION = """CREATE OR REPLACE FUNCTION cases_keep_figures() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  VARIABLE int;
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
    VARIABLE := floor(extract(epoch FROM NEW.resolved_at - NEW.reported_at) / 60);
    INSERT INTO case_resolution_minutes AS r (organisation_id, month, minutes, cases)
    VALUES (NEW.organisation_id, case_month(NEW.resolved_at), VARIABLE, 1)
    ON CONFLICT (organisation_id, month, minutes) DO UPDATE SET cases = r.cases + 1;
  END IF;
  IF OLD.status <> 'RATED' AND NEW.status = 'RATED' THEN
    PERFORM case_figures_count(NEW.organisation_id, case_month(NEW.rated_at), 'rated', 1);
    PERFORM case_figures_count(NEW.organisation_id, case_month(NEW.rated_at), 'rating_sum', NEW.rating);
  END IF;
  IF OLD.status <> 'REOPENED' AND NEW.status = 'REOPENED' THEN
    PERFORM case_figures_count(NEW.organisation_id, case_month(NEW.reopened_at), 'reopened', 1);
  END IF;
  RETURN NULL;
END $$"""


def upgrade() -> None:
    op.execute(FUNCTION.replace("VARIABLE", "took"))


def downgrade() -> None:
    op.execute(FUNCTION.replace("VARIABLE", "minutes"))  # as 0020 made it
