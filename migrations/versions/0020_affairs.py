"""社区共治 (#18): compounds, buildings, units and residences; organisations and their members;
case categories, routing rules, cases, their events, photos and access log; the monthly figures
kept by a trigger; notices and their receipts per household.

The default case categories are data (editable); their routing and SLAs follow DOMAIN.md.

Revision ID: 0020_affairs
Revises: 0019_service_catalogue
Create Date: 2026-12-03
"""

import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

OLD_KINDS = (
    "'RESERVATION_CANCELLED', 'CHILDCARE_SESSION_CANCELLED', 'CHILDCARE_WAITLIST_PROMOTED', "
    "'CONSENT_WITHDRAWN', 'FAMILY_LINK_REMOVED'"
)
KINDS = OLD_KINDS + ", 'CASE_UPDATED', 'CASE_ASSIGNED', 'CASE_ESCALATED', 'NOTICE'"

# code, name, default kind, informed kind, minutes to accept, minutes to resolve (DOMAIN.md)
CATEGORIES = [
    ("PUBLIC_FACILITY_REPAIR", "公共设施报修", "PROPERTY_MANAGEMENT", None, 1440, 4320),
    ("SANITATION", "环境卫生", "PROPERTY_MANAGEMENT", None, 1440, 4320),
    ("NOISE", "噪音扰民", "RESIDENTS_COMMITTEE", None, 1440, 4320),
    ("PARKING", "停车", "PROPERTY_MANAGEMENT", None, 1440, 4320),
    ("SAFETY_HAZARD", "安全隐患", "PROPERTY_MANAGEMENT", "RESIDENTS_COMMITTEE", 120, 4320),
    ("NEIGHBOUR_DISPUTE", "邻里纠纷", "RESIDENTS_COMMITTEE", None, 1440, 4320),
    ("POLICY_QUESTION", "政策咨询", "RESIDENTS_COMMITTEE", None, 1440, 4320),
    ("OTHER", "其他", "RESIDENTS_COMMITTEE", None, 1440, 4320),
]

# A household lives in units of its own community only.
RESIDENCE_TRIGGER = (
    """CREATE FUNCTION residences_same_community() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT community_id FROM households WHERE id = NEW.household_id) IS DISTINCT FROM
     (SELECT c.community_id FROM units u JOIN buildings b ON b.id = u.building_id
        JOIN compounds c ON c.id = b.compound_id WHERE u.id = NEW.unit_id) THEN
    RAISE EXCEPTION 'a household lives in units of its own community'
      USING ERRCODE = 'check_violation', CONSTRAINT = 'residences_same_community';
  END IF;
  RETURN NEW;
END $$""",
    """CREATE TRIGGER residences_same_community BEFORE INSERT OR UPDATE ON residences
FOR EACH ROW EXECUTE FUNCTION residences_same_community()""",
)

# The office's monthly figures, kept as the cases change (months of Asia/Shanghai): received and
# first acceptances in time count in the month reported; resolutions (and their minutes, and their
# hours: the median is found over the hours, then within its hour over the minutes, so its cost
# does not grow with the cases), ratings and reopenings in the month they happened.
FIGURES_TRIGGER = (
    """CREATE FUNCTION case_month(at timestamptz) RETURNS date LANGUAGE sql IMMUTABLE AS $$
  SELECT date_trunc('month', at AT TIME ZONE 'Asia/Shanghai')::date
$$""",
    """CREATE FUNCTION case_figures_count(organisation bigint, month date, column_name text, amount int)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format(
    'INSERT INTO case_monthly_figures AS f (organisation_id, month, %1$I) VALUES ($1, $2, $3) '
    'ON CONFLICT (organisation_id, month) DO UPDATE SET %1$I = f.%1$I + EXCLUDED.%1$I', column_name)
  USING organisation, month, amount;
END $$""",
    """CREATE FUNCTION cases_keep_figures() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  taken int;
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
    taken := floor(extract(epoch FROM NEW.resolved_at - NEW.reported_at) / 60);
    INSERT INTO case_resolution_minutes AS r (organisation_id, month, minutes, cases)
    VALUES (NEW.organisation_id, case_month(NEW.resolved_at), taken, 1)
    ON CONFLICT (organisation_id, month, minutes) DO UPDATE SET cases = r.cases + 1;
    INSERT INTO case_resolution_hours AS h (organisation_id, month, hours, cases)
    VALUES (NEW.organisation_id, case_month(NEW.resolved_at), floor(taken / 60.0), 1)
    ON CONFLICT (organisation_id, month, hours) DO UPDATE SET cases = h.cases + 1;
  END IF;
  IF OLD.status <> 'RATED' AND NEW.status = 'RATED' THEN
    PERFORM case_figures_count(NEW.organisation_id, case_month(NEW.rated_at), 'rated', 1);
    PERFORM case_figures_count(NEW.organisation_id, case_month(NEW.rated_at), 'rating_sum', NEW.rating);
  END IF;
  IF OLD.status <> 'REOPENED' AND NEW.status = 'REOPENED' THEN
    PERFORM case_figures_count(NEW.organisation_id, case_month(NEW.reopened_at), 'reopened', 1);
  END IF;
  RETURN NULL;
END $$""",
    """CREATE TRIGGER cases_keep_figures AFTER INSERT OR UPDATE OF status ON cases
FOR EACH ROW EXECUTE FUNCTION cases_keep_figures()""",
)

revision = "0020_affairs"
down_revision = "0019_service_catalogue"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_access_log",
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("what", postgresql.ARRAY(sa.String(length=30)), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("client_request_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_access_log")),
    )
    op.create_index(op.f("ix_case_access_log_at"), "case_access_log", ["at"], unique=False)
    op.create_index(op.f("ix_case_access_log_case_id"), "case_access_log", ["case_id"], unique=False)
    op.create_table(
        "case_categories",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("default_kind", sa.String(length=24), nullable=False),
        sa.Column("informed_kind", sa.String(length=24), nullable=True),
        sa.Column("accept_minutes", sa.Integer(), nullable=False),
        sa.Column("resolve_minutes", sa.Integer(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("code ~ '^[A-Z][A-Z0-9_]{1,39}$'", name=op.f("ck_case_categories_code_format")),
        sa.CheckConstraint(
            "default_kind IN ('RESIDENTS_COMMITTEE', 'OWNERS_COMMITTEE', 'PROPERTY_MANAGEMENT')",
            name=op.f("ck_case_categories_default_kind_known"),
        ),
        sa.CheckConstraint(
            "informed_kind IS NULL OR (informed_kind IN ('RESIDENTS_COMMITTEE', 'OWNERS_COMMITTEE', 'PROPERTY_MANAGEMENT') AND informed_kind <> default_kind)",
            name=op.f("ck_case_categories_informed_kind_known"),
        ),
        sa.CheckConstraint(
            "accept_minutes BETWEEN 1 AND 43200 AND resolve_minutes BETWEEN accept_minutes AND 129600",
            name=op.f("ck_case_categories_sla_sane"),
        ),
        sa.CheckConstraint("length(btrim(name)) > 0", name=op.f("ck_case_categories_name_not_blank")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_categories")),
        sa.UniqueConstraint("code", name=op.f("uq_case_categories_code")),
        sa.UniqueConstraint("name", name=op.f("uq_case_categories_name")),
    )
    op.create_table(
        "compounds",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("community_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("length(btrim(name)) > 0", name=op.f("ck_compounds_name_not_blank")),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_compounds_community_id_communities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compounds")),
        sa.UniqueConstraint("community_id", "name", name="uq_compounds_community_name"),
        sa.UniqueConstraint("id", "community_id", name="uq_compounds_id_community"),
    )
    op.create_index(op.f("ix_compounds_community_id"), "compounds", ["community_id"], unique=False)
    op.create_table(
        "organisations",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("community_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "kind IN ('RESIDENTS_COMMITTEE', 'OWNERS_COMMITTEE', 'PROPERTY_MANAGEMENT')",
            name=op.f("ck_organisations_kind_known"),
        ),
        sa.CheckConstraint("length(btrim(name)) > 0", name=op.f("ck_organisations_name_not_blank")),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_organisations_community_id_communities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("community_id", "name", name="uq_organisations_community_name"),
        sa.UniqueConstraint("id", "community_id", "kind", name="uq_organisations_id_community_kind"),
        sa.UniqueConstraint("id", "community_id", name="uq_organisations_id_community"),
    )
    op.create_index(
        "uq_organisations_one_residents_committee",
        "organisations",
        ["community_id"],
        unique=True,
        postgresql_where=sa.text("kind = 'RESIDENTS_COMMITTEE'"),
    )
    op.create_table(
        "buildings",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("compound_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.CheckConstraint("length(btrim(name)) > 0", name=op.f("ck_buildings_name_not_blank")),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compounds.id"],
            name=op.f("fk_buildings_compound_id_compounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_buildings")),
        sa.UniqueConstraint("compound_id", "name", name="uq_buildings_compound_name"),
    )
    op.create_table(
        "case_monthly_figures",
        sa.Column("organisation_id", sa.BigInteger(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("received", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("accepted_in_time", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("resolved", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("rated", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("rating_sum", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("reopened", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_case_monthly_figures_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organisation_id", "month", name=op.f("pk_case_monthly_figures")),
    )
    op.create_table(
        "case_resolution_minutes",
        sa.Column("organisation_id", sa.BigInteger(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_case_resolution_minutes_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "organisation_id", "month", "minutes", name=op.f("pk_case_resolution_minutes")
        ),
    )
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
    op.create_table(
        "case_routing_rules",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("community_id", sa.BigInteger(), nullable=False),
        sa.Column("compound_id", sa.BigInteger(), nullable=False),
        sa.Column("category_id", sa.BigInteger(), nullable=False),
        sa.Column("organisation_id", sa.BigInteger(), nullable=False),
        sa.Column("informed_organisation_id", sa.BigInteger(), nullable=True),
        sa.Column("accept_minutes", sa.Integer(), nullable=False),
        sa.Column("resolve_minutes", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "accept_minutes BETWEEN 1 AND 43200 AND resolve_minutes BETWEEN accept_minutes AND 129600",
            name=op.f("ck_case_routing_rules_sla_sane"),
        ),
        sa.CheckConstraint(
            "informed_organisation_id IS NULL OR informed_organisation_id <> organisation_id",
            name=op.f("ck_case_routing_rules_informed_not_responsible"),
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["case_categories.id"],
            name=op.f("fk_case_routing_rules_category_id_case_categories"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id", "community_id"],
            ["compounds.id", "compounds.community_id"],
            name="fk_case_routing_rules_compound",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["informed_organisation_id", "community_id"],
            ["organisations.id", "organisations.community_id"],
            name="fk_case_routing_rules_informed",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "community_id"],
            ["organisations.id", "organisations.community_id"],
            name="fk_case_routing_rules_organisation",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_routing_rules")),
        sa.UniqueConstraint("compound_id", "category_id", name="uq_case_routing_rules_compound_category"),
    )
    op.create_table(
        "compound_organisations",
        sa.Column("compound_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("organisation_id", sa.BigInteger(), nullable=False),
        sa.Column("community_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('OWNERS_COMMITTEE', 'PROPERTY_MANAGEMENT')",
            name=op.f("ck_compound_organisations_kind_of_compound"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id", "community_id"],
            ["compounds.id", "compounds.community_id"],
            name="fk_compound_organisations_compound",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "community_id", "kind"],
            ["organisations.id", "organisations.community_id", "organisations.kind"],
            name="fk_compound_organisations_organisation",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("compound_id", "kind", name=op.f("pk_compound_organisations")),
    )
    op.create_index(
        op.f("ix_compound_organisations_organisation_id"),
        "compound_organisations",
        ["organisation_id"],
        unique=False,
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("community_id", sa.BigInteger(), nullable=False),
        sa.Column("compound_id", sa.BigInteger(), nullable=True),
        sa.Column("category_id", sa.BigInteger(), nullable=False),
        sa.Column("reporter_id", sa.BigInteger(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "location",
            geoalchemy2.types.Geography(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeogFromText",
                name="geography",
            ),
            nullable=True,
        ),
        sa.Column("lat", sa.Float(), sa.Computed("ST_Y(location::geometry)", persisted=True), nullable=True),
        sa.Column("lng", sa.Float(), sa.Computed("ST_X(location::geometry)", persisted=True), nullable=True),
        sa.Column("status", sa.String(length=12), server_default="REPORTED", nullable=False),
        sa.Column("organisation_id", sa.BigInteger(), nullable=False),
        sa.Column("informed_organisation_id", sa.BigInteger(), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accept_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolve_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_by", sa.BigInteger(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.BigInteger(), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        sa.Column("rating_comment", sa.Text(), nullable=True),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reopened_count", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("reopened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalation", sa.String(length=16), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(escalation IS NULL) = (escalated_at IS NULL) AND (escalation IS NULL OR escalation IN ('ACCEPT_OVERDUE', 'RESOLVE_OVERDUE'))",
            name=op.f("ck_cases_escalation_known"),
        ),
        sa.CheckConstraint(
            "(status = 'RATED') = (rating IS NOT NULL)", name=op.f("ck_cases_rated_once_final")
        ),
        sa.CheckConstraint(
            "status IN ('REPORTED', 'ACCEPTED', 'RESOLVED', 'RATED', 'REOPENED')",
            name=op.f("ck_cases_status_known"),
        ),
        sa.CheckConstraint(
            "status NOT IN ('ACCEPTED', 'RESOLVED', 'RATED') OR accepted_at IS NOT NULL",
            name=op.f("ck_cases_accepted_when"),
        ),
        sa.CheckConstraint(
            "status NOT IN ('RESOLVED', 'RATED', 'REOPENED') OR (resolved_at IS NOT NULL AND length(btrim(resolution_note)) > 0)",
            name=op.f("ck_cases_resolved_with_note"),
        ),
        sa.CheckConstraint(
            "accept_due_at > reported_at AND resolve_due_at >= accept_due_at", name=op.f("ck_cases_due_order")
        ),
        sa.CheckConstraint(
            "length(btrim(description)) BETWEEN 1 AND 1000", name=op.f("ck_cases_description_length")
        ),
        sa.CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name=op.f("ck_cases_rating_range")),
        sa.CheckConstraint(
            "rating_comment IS NULL OR length(rating_comment) <= 500", name=op.f("ck_cases_comment_length")
        ),
        sa.ForeignKeyConstraint(["accepted_by"], ["persons.id"], name=op.f("fk_cases_accepted_by_persons")),
        sa.ForeignKeyConstraint(
            ["category_id"], ["case_categories.id"], name=op.f("fk_cases_category_id_case_categories")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_cases_community_id_communities")
        ),
        sa.ForeignKeyConstraint(
            ["compound_id", "community_id"],
            ["compounds.id", "compounds.community_id"],
            name="fk_cases_compound",
        ),
        sa.ForeignKeyConstraint(
            ["informed_organisation_id", "community_id"],
            ["organisations.id", "organisations.community_id"],
            name="fk_cases_informed",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "community_id"],
            ["organisations.id", "organisations.community_id"],
            name="fk_cases_organisation",
        ),
        sa.ForeignKeyConstraint(["reporter_id"], ["persons.id"], name=op.f("fk_cases_reporter_id_persons")),
        sa.ForeignKeyConstraint(["resolved_by"], ["persons.id"], name=op.f("fk_cases_resolved_by_persons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
    )
    op.create_index(
        "ix_cases_community_escalated",
        "cases",
        ["community_id", "escalated_at"],
        unique=False,
        postgresql_where=sa.text(
            "escalated_at IS NOT NULL AND status IN ('REPORTED', 'REOPENED', 'ACCEPTED')"
        ),
    )
    op.create_index(
        "ix_cases_open_due",
        "cases",
        ["accept_due_at"],
        unique=False,
        postgresql_where=sa.text("status IN ('REPORTED', 'REOPENED', 'ACCEPTED')"),
    )
    op.create_index(
        "ix_cases_organisation_queue", "cases", ["organisation_id", "reported_at", "id"], unique=False
    )
    op.create_index("ix_cases_reporter", "cases", ["reporter_id", "id"], unique=False)
    op.create_table(
        "notices",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("community_id", sa.BigInteger(), nullable=False),
        sa.Column("publisher_id", sa.BigInteger(), nullable=False),
        sa.Column("organisation_id", sa.BigInteger(), nullable=True),
        sa.Column("compound_id", sa.BigInteger(), nullable=True),
        sa.Column("audience", sa.String(length=8), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("requires_acknowledgement", sa.Boolean(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "audience IN ('ALL', 'OWNERS', 'TENANTS')", name=op.f("ck_notices_audience_known")
        ),
        sa.CheckConstraint("length(btrim(body)) BETWEEN 1 AND 2000", name=op.f("ck_notices_body_length")),
        sa.CheckConstraint("length(btrim(title)) BETWEEN 1 AND 100", name=op.f("ck_notices_title_length")),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_notices_community_id_communities")
        ),
        sa.ForeignKeyConstraint(
            ["compound_id", "community_id"],
            ["compounds.id", "compounds.community_id"],
            name="fk_notices_compound",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "community_id"],
            ["organisations.id", "organisations.community_id"],
            name="fk_notices_organisation",
        ),
        sa.ForeignKeyConstraint(
            ["publisher_id"], ["persons.id"], name=op.f("fk_notices_publisher_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
    )
    op.create_index("ix_notices_community_id_id", "notices", ["community_id", "id"], unique=False)
    op.create_table(
        "organisation_members",
        sa.Column("organisation_id", sa.BigInteger(), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(length=50), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_organisation_members_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_organisation_members_person_id_persons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organisation_id", "person_id", name=op.f("pk_organisation_members")),
    )
    op.create_index("ix_organisation_members_person_id", "organisation_members", ["person_id"], unique=False)
    op.create_table(
        "units",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("building_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.CheckConstraint("length(btrim(name)) > 0", name=op.f("ck_units_name_not_blank")),
        sa.ForeignKeyConstraint(
            ["building_id"], ["buildings.id"], name=op.f("fk_units_building_id_buildings"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
        sa.UniqueConstraint("building_id", "name", name="uq_units_building_name"),
    )
    op.create_table(
        "case_events",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("organisation_id", sa.BigInteger(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('REPORTED', 'ACCEPTED', 'RESOLVED', 'RATED', 'REOPENED', 'ESCALATED')",
            name=op.f("ck_case_events_kind_known"),
        ),
        sa.ForeignKeyConstraint(["actor_id"], ["persons.id"], name=op.f("fk_case_events_actor_id_persons")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_events_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_events")),
    )
    op.create_index("ix_case_events_case_id_id", "case_events", ["case_id", "id"], unique=False)
    op.create_table(
        "case_photos",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("content_type", sa.String(length=20), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint(
            "content_type IN ('image/jpeg', 'image/png', 'image/webp')",
            name=op.f("ck_case_photos_type_known"),
        ),
        sa.CheckConstraint(
            "octet_length(data) BETWEEN 1 AND 2097152", name=op.f("ck_case_photos_size_limit")
        ),
        sa.CheckConstraint("position BETWEEN 1 AND 3", name=op.f("ck_case_photos_position_range")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_photos_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_photos")),
        sa.UniqueConstraint("case_id", "position", name="uq_case_photos_case_position"),
    )
    op.create_table(
        "notice_buildings",
        sa.Column("notice_id", sa.BigInteger(), nullable=False),
        sa.Column("building_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"], ["buildings.id"], name=op.f("fk_notice_buildings_building_id_buildings")
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["notices.id"],
            name=op.f("fk_notice_buildings_notice_id_notices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("notice_id", "building_id", name=op.f("pk_notice_buildings")),
    )
    op.create_table(
        "notice_receipts",
        sa.Column("notice_id", sa.BigInteger(), nullable=False),
        sa.Column("household_id", sa.BigInteger(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("read_by", sa.BigInteger(), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "(acknowledged_at IS NULL) = (acknowledged_by IS NULL) AND (acknowledged_at IS NULL OR read_at IS NOT NULL)",
            name=op.f("ck_notice_receipts_acknowledged_after_read"),
        ),
        sa.CheckConstraint(
            "(read_at IS NULL) = (read_by IS NULL)", name=op.f("ck_notice_receipts_read_by_whom")
        ),
        sa.ForeignKeyConstraint(
            ["acknowledged_by"], ["persons.id"], name=op.f("fk_notice_receipts_acknowledged_by_persons")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_notice_receipts_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["notices.id"],
            name=op.f("fk_notice_receipts_notice_id_notices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["read_by"], ["persons.id"], name=op.f("fk_notice_receipts_read_by_persons")),
        sa.PrimaryKeyConstraint("notice_id", "household_id", name=op.f("pk_notice_receipts")),
    )
    op.create_index(
        "ix_notice_receipts_household", "notice_receipts", ["household_id", "notice_id"], unique=False
    )
    op.create_table(
        "residences",
        sa.Column("household_id", sa.BigInteger(), nullable=False),
        sa.Column("unit_id", sa.BigInteger(), nullable=False),
        sa.Column("tenure", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("tenure IN ('OWNER', 'TENANT')", name=op.f("ck_residences_tenure_known")),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_residences_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_residences_unit_id_units"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("household_id", "unit_id", name=op.f("pk_residences")),
    )
    op.create_index("ix_residences_unit_id", "residences", ["unit_id"], unique=False)
    for statement in (*RESIDENCE_TRIGGER, *FIGURES_TRIGGER):
        op.execute(statement)
    categories = sa.table(
        "case_categories",
        *(
            sa.column(name)
            for name in (
                "code",
                "name",
                "default_kind",
                "informed_kind",
                "accept_minutes",
                "resolve_minutes",
                "position",
            )
        ),
    )
    op.bulk_insert(
        categories,
        [
            dict(
                zip(
                    ("code", "name", "default_kind", "informed_kind", "accept_minutes", "resolve_minutes"),
                    row,
                    strict=True,
                ),
                position=position,
            )
            for position, row in enumerate(CATEGORIES, start=1)
        ],
    )
    op.drop_constraint(op.f("ck_notifications_kind_known"), "notifications", type_="check")
    op.create_check_constraint("kind_known", "notifications", sa.text(f"kind IN ({KINDS})"))


def downgrade() -> None:
    op.execute(
        "DELETE FROM notifications WHERE kind IN ('CASE_UPDATED', 'CASE_ASSIGNED', 'CASE_ESCALATED', 'NOTICE')"
    )
    op.drop_constraint(op.f("ck_notifications_kind_known"), "notifications", type_="check")
    op.create_check_constraint("kind_known", "notifications", sa.text(f"kind IN ({OLD_KINDS})"))
    op.drop_index("ix_residences_unit_id", table_name="residences")
    op.drop_table("residences")
    op.drop_index("ix_notice_receipts_household", table_name="notice_receipts")
    op.drop_table("notice_receipts")
    op.drop_table("notice_buildings")
    op.drop_table("case_photos")
    op.drop_index("ix_case_events_case_id_id", table_name="case_events")
    op.drop_table("case_events")
    op.drop_table("units")
    op.drop_index("ix_organisation_members_person_id", table_name="organisation_members")
    op.drop_table("organisation_members")
    op.drop_index("ix_notices_community_id_id", table_name="notices")
    op.drop_table("notices")
    op.drop_index("ix_cases_reporter", table_name="cases")
    op.drop_index("ix_cases_organisation_queue", table_name="cases")
    op.drop_index(
        "ix_cases_open_due",
        table_name="cases",
        postgresql_where=sa.text("status IN ('REPORTED', 'REOPENED', 'ACCEPTED')"),
    )
    op.drop_index(
        "ix_cases_community_escalated",
        table_name="cases",
        postgresql_where=sa.text(
            "escalated_at IS NOT NULL AND status IN ('REPORTED', 'REOPENED', 'ACCEPTED')"
        ),
    )
    op.drop_table("cases")
    op.drop_index(op.f("ix_compound_organisations_organisation_id"), table_name="compound_organisations")
    op.drop_table("compound_organisations")
    op.drop_table("case_routing_rules")
    op.drop_table("case_resolution_minutes")
    op.drop_table("case_resolution_hours")
    op.drop_table("case_monthly_figures")
    op.drop_table("buildings")
    op.drop_index(
        "uq_organisations_one_residents_committee",
        table_name="organisations",
        postgresql_where=sa.text("kind = 'RESIDENTS_COMMITTEE'"),
    )
    op.drop_table("organisations")
    op.drop_index(op.f("ix_compounds_community_id"), table_name="compounds")
    op.drop_table("compounds")
    op.drop_table("case_categories")
    op.drop_index(op.f("ix_case_access_log_case_id"), table_name="case_access_log")
    op.drop_index(op.f("ix_case_access_log_at"), table_name="case_access_log")
    op.drop_table("case_access_log")
    op.execute("DROP FUNCTION cases_keep_figures()")
    op.execute("DROP FUNCTION case_figures_count(bigint, date, text, int)")
    op.execute("DROP FUNCTION case_month(timestamptz)")
    op.execute("DROP FUNCTION residences_same_community()")
