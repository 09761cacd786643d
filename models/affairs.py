"""社区共治: the 小区 and its organisation, 有事一键找 (cases) and 通知一键达 (notices).

A community has compounds (小区) of buildings and units; a household lives in units as owner (业主)
or tenant (租客). Each community has one 居委会; a compound may have its 业委会 and its 物业. Members
of an organisation act for it. A case is routed in the transaction that reports it: a rule of its
compound and category, else the category's default kind of organisation in that compound, else
the community's 居委会. Every step is a case_events row; the monthly figures are kept by triggers.
Composite keys keep every organisation, compound and rule within one community.
"""

from datetime import date, datetime
from enum import StrEnum

from geoalchemy2 import Geography
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import AccessLogColumns, Base, created_at_column, id_column


def _values(enum: type[StrEnum]) -> str:
    return ", ".join(f"'{member.value}'" for member in enum)


class OrganisationKind(StrEnum):
    RESIDENTS_COMMITTEE = "RESIDENTS_COMMITTEE"  # 居委会: one per community, serves all its compounds
    OWNERS_COMMITTEE = "OWNERS_COMMITTEE"  # 业委会 of a compound
    PROPERTY_MANAGEMENT = "PROPERTY_MANAGEMENT"  # 物业 of a compound


class Tenure(StrEnum):
    OWNER = "OWNER"  # 业主
    TENANT = "TENANT"  # 租客


class CaseStatus(StrEnum):
    REPORTED = "REPORTED"
    ACCEPTED = "ACCEPTED"
    RESOLVED = "RESOLVED"
    RATED = "RATED"
    REOPENED = "REOPENED"


class CaseEventKind(StrEnum):
    REPORTED = "REPORTED"
    ACCEPTED = "ACCEPTED"
    RESOLVED = "RESOLVED"
    RATED = "RATED"
    REOPENED = "REOPENED"
    ESCALATED = "ESCALATED"


class Escalation(StrEnum):
    ACCEPT_OVERDUE = "ACCEPT_OVERDUE"  # not accepted within the response SLA
    RESOLVE_OVERDUE = "RESOLVE_OVERDUE"  # not resolved within the resolution SLA


class NoticeAudience(StrEnum):
    ALL = "ALL"
    OWNERS = "OWNERS"
    TENANTS = "TENANTS"


PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")
MAX_PHOTO_BYTES = 2 * 1024 * 1024
MAX_PHOTOS = 3


class Compound(Base):
    """A 小区."""

    __tablename__ = "compounds"

    id: Mapped[int] = id_column()
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (
        UniqueConstraint("community_id", "name", name="uq_compounds_community_name"),
        UniqueConstraint("id", "community_id", name="uq_compounds_id_community"),
        CheckConstraint("length(btrim(name)) > 0", name="name_not_blank"),
    )


class Building(Base):
    __tablename__ = "buildings"

    id: Mapped[int] = id_column()
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(50))  # 3幢

    __table_args__ = (
        UniqueConstraint("compound_id", "name", name="uq_buildings_compound_name"),
        CheckConstraint("length(btrim(name)) > 0", name="name_not_blank"),
    )


class Unit(Base):
    __tablename__ = "units"

    id: Mapped[int] = id_column()
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(50))  # 2单元501

    __table_args__ = (
        UniqueConstraint("building_id", "name", name="uq_units_building_name"),
        CheckConstraint("length(btrim(name)) > 0", name="name_not_blank"),
    )


class Residence(Base):
    """A household's place: owner or tenant of a unit (a unit may have both)."""

    __tablename__ = "residences"

    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), primary_key=True)
    tenure: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (
        CheckConstraint(f"tenure IN ({_values(Tenure)})", name="tenure_known"),
        Index("ix_residences_unit_id", "unit_id"),
    )


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = id_column()
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    kind: Mapped[str] = mapped_column(String(24))
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(40))  # the office's public number
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (
        CheckConstraint(f"kind IN ({_values(OrganisationKind)})", name="kind_known"),
        CheckConstraint("length(btrim(name)) > 0", name="name_not_blank"),
        UniqueConstraint("community_id", "name", name="uq_organisations_community_name"),
        UniqueConstraint("id", "community_id", "kind", name="uq_organisations_id_community_kind"),
        UniqueConstraint("id", "community_id", name="uq_organisations_id_community"),
        Index(
            "uq_organisations_one_residents_committee",
            "community_id",
            unique=True,
            postgresql_where=text("kind = 'RESIDENTS_COMMITTEE'"),
        ),
    )


class CompoundOrganisation(Base):
    """The 业委会 or the 物业 of a compound: one of each kind at most, of the compound's community."""

    __tablename__ = "compound_organisations"

    compound_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(BigInteger, index=True)
    community_id: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        CheckConstraint("kind IN ('OWNERS_COMMITTEE', 'PROPERTY_MANAGEMENT')", name="kind_of_compound"),
        ForeignKeyConstraint(
            ["compound_id", "community_id"],
            ["compounds.id", "compounds.community_id"],
            ondelete="CASCADE",
            name="fk_compound_organisations_compound",
        ),
        ForeignKeyConstraint(
            ["organisation_id", "community_id", "kind"],
            ["organisations.id", "organisations.community_id", "organisations.kind"],
            ondelete="CASCADE",
            name="fk_compound_organisations_organisation",
        ),
    )


class OrganisationMember(Base):
    """A person acting for an organisation (its staff): their rights over cases and notices hold for
    that organisation only."""

    __tablename__ = "organisation_members"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True)
    title: Mapped[str | None] = mapped_column(String(50))  # 主任, 物业管家
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (Index("ix_organisation_members_person_id", "person_id"),)


class CaseCategory(Base):
    """An entry of the editable list a resident picks from, with its default routing and SLAs."""

    __tablename__ = "case_categories"

    id: Mapped[int] = id_column()
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    default_kind: Mapped[str] = mapped_column(String(24))
    # Also told of every case of it (安全隐患: the 物业 handles, the 居委会 is informed).
    informed_kind: Mapped[str | None] = mapped_column(String(24))
    accept_minutes: Mapped[int] = mapped_column(Integer)
    resolve_minutes: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(SmallInteger)
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(f"default_kind IN ({_values(OrganisationKind)})", name="default_kind_known"),
        CheckConstraint(
            f"informed_kind IS NULL OR (informed_kind IN ({_values(OrganisationKind)}) "
            "AND informed_kind <> default_kind)",
            name="informed_kind_known",
        ),
        CheckConstraint("code ~ '^[A-Z][A-Z0-9_]{1,39}$'", name="code_format"),
        CheckConstraint("length(btrim(name)) > 0", name="name_not_blank"),
        CheckConstraint(
            "accept_minutes BETWEEN 1 AND 43200 AND resolve_minutes BETWEEN accept_minutes AND 129600",
            name="sla_sane",
        ),
    )


class CaseRoutingRule(Base):
    """category × compound → the responsible organisation (of the compound's community), with SLAs."""

    __tablename__ = "case_routing_rules"

    id: Mapped[int] = id_column()
    community_id: Mapped[int] = mapped_column(BigInteger)
    compound_id: Mapped[int] = mapped_column(BigInteger)
    category_id: Mapped[int] = mapped_column(ForeignKey("case_categories.id"))
    organisation_id: Mapped[int] = mapped_column(BigInteger)
    informed_organisation_id: Mapped[int | None] = mapped_column(BigInteger)
    accept_minutes: Mapped[int] = mapped_column(Integer)
    resolve_minutes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (
        UniqueConstraint("compound_id", "category_id", name="uq_case_routing_rules_compound_category"),
        ForeignKeyConstraint(
            ["compound_id", "community_id"],
            ["compounds.id", "compounds.community_id"],
            ondelete="CASCADE",
            name="fk_case_routing_rules_compound",
        ),
        ForeignKeyConstraint(
            ["organisation_id", "community_id"],
            ["organisations.id", "organisations.community_id"],
            ondelete="CASCADE",
            name="fk_case_routing_rules_organisation",
        ),
        ForeignKeyConstraint(
            ["informed_organisation_id", "community_id"],
            ["organisations.id", "organisations.community_id"],
            ondelete="CASCADE",
            name="fk_case_routing_rules_informed",
        ),
        CheckConstraint(
            "informed_organisation_id IS NULL OR informed_organisation_id <> organisation_id",
            name="informed_not_responsible",
        ),
        CheckConstraint(
            "accept_minutes BETWEEN 1 AND 43200 AND resolve_minutes BETWEEN accept_minutes AND 129600",
            name="sla_sane",
        ),
    )


class Case(Base):
    """A problem a resident reported (有事一键找), assigned to one organisation when reported."""

    __tablename__ = "cases"

    id: Mapped[int] = id_column()
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    compound_id: Mapped[int | None] = mapped_column(BigInteger)
    category_id: Mapped[int] = mapped_column(ForeignKey("case_categories.id"))
    reporter_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    description: Mapped[str] = mapped_column(Text)
    location = mapped_column(Geography("POINT", srid=4326, spatial_index=False), nullable=True)
    # WGS-84 coordinates as plain numbers, kept by Postgres in step with `location`.
    lat: Mapped[float | None] = mapped_column(Float, Computed("ST_Y(location::geometry)", persisted=True))
    lng: Mapped[float | None] = mapped_column(Float, Computed("ST_X(location::geometry)", persisted=True))
    status: Mapped[str] = mapped_column(String(12), server_default=CaseStatus.REPORTED.value)
    organisation_id: Mapped[int] = mapped_column(BigInteger)
    informed_organisation_id: Mapped[int | None] = mapped_column(BigInteger)
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    accept_due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolve_due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    accepted_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    resolution_note: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    rating_comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reopened_count: Mapped[int] = mapped_column(SmallInteger, server_default=text("0"))
    reopened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # the latest
    escalation: Mapped[str | None] = mapped_column(String(16))
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        ForeignKeyConstraint(
            ["organisation_id", "community_id"],
            ["organisations.id", "organisations.community_id"],
            name="fk_cases_organisation",
        ),
        ForeignKeyConstraint(
            ["informed_organisation_id", "community_id"],
            ["organisations.id", "organisations.community_id"],
            name="fk_cases_informed",
        ),
        ForeignKeyConstraint(
            ["compound_id", "community_id"],
            ["compounds.id", "compounds.community_id"],
            name="fk_cases_compound",
        ),
        CheckConstraint(f"status IN ({_values(CaseStatus)})", name="status_known"),
        CheckConstraint("length(btrim(description)) BETWEEN 1 AND 1000", name="description_length"),
        CheckConstraint("accept_due_at > reported_at AND resolve_due_at >= accept_due_at", name="due_order"),
        CheckConstraint(
            "status NOT IN ('ACCEPTED', 'RESOLVED', 'RATED') OR accepted_at IS NOT NULL", name="accepted_when"
        ),
        CheckConstraint(
            "status NOT IN ('RESOLVED', 'RATED', 'REOPENED') OR "
            "(resolved_at IS NOT NULL AND length(btrim(resolution_note)) > 0)",
            name="resolved_with_note",
        ),
        CheckConstraint("(status = 'RATED') = (rating IS NOT NULL)", name="rated_once_final"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating_range"),
        CheckConstraint("rating_comment IS NULL OR length(rating_comment) <= 500", name="comment_length"),
        CheckConstraint(
            f"(escalation IS NULL) = (escalated_at IS NULL) AND "
            f"(escalation IS NULL OR escalation IN ({_values(Escalation)}))",
            name="escalation_known",
        ),
        Index("ix_cases_reporter", "reporter_id", "id"),
        Index("ix_cases_organisation_queue", "organisation_id", "reported_at", "id"),
        Index(
            "ix_cases_community_escalated",
            "community_id",
            "escalated_at",
            postgresql_where=text(
                "escalated_at IS NOT NULL AND status IN ('REPORTED', 'REOPENED', 'ACCEPTED')"
            ),
        ),
        Index(
            "ix_cases_open_due",
            "accept_due_at",
            postgresql_where=text("status IN ('REPORTED', 'REOPENED', 'ACCEPTED')"),
        ),
    )


class CaseEvent(Base):
    """One step of a case: who, when, what (the job escalating has no person)."""

    __tablename__ = "case_events"

    id: Mapped[int] = id_column()
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    organisation_id: Mapped[int | None] = mapped_column(BigInteger)  # acting for (staff steps)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint(f"kind IN ({_values(CaseEventKind)})", name="kind_known"),
        Index("ix_case_events_case_id_id", "case_id", "id"),
    )


class CasePhoto(Base):
    """Up to three photos of a case, checked by their bytes (not the type the client names)."""

    __tablename__ = "case_photos"

    id: Mapped[int] = id_column()
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(SmallInteger)
    content_type: Mapped[str] = mapped_column(String(20))
    data: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (
        UniqueConstraint("case_id", "position", name="uq_case_photos_case_position"),
        CheckConstraint(f"position BETWEEN 1 AND {MAX_PHOTOS}", name="position_range"),
        CheckConstraint(
            "content_type IN (" + ", ".join(f"'{kind}'" for kind in PHOTO_TYPES) + ")", name="type_known"
        ),
        CheckConstraint(f"octet_length(data) BETWEEN 1 AND {MAX_PHOTO_BYTES}", name="size_limit"),
    )


class CaseAccessLog(AccessLogColumns, Base):
    """Who read a case's reporter or photos (personal information: PIPL art. 28), when and what."""

    __tablename__ = "case_access_log"

    case_id: Mapped[int] = mapped_column(BigInteger, index=True)


class CaseMonthlyFigures(Base):
    """Per organisation and Asia/Shanghai month, kept by the cases' trigger: what the office's figures
    read, whatever the number of cases. Received and in-time acceptances count in the month reported;
    resolutions, ratings and reopenings in the month they happened."""

    __tablename__ = "case_monthly_figures"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    month: Mapped[date] = mapped_column(Date, primary_key=True)  # its first day
    received: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    accepted_in_time: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    resolved: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    rated: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    rating_sum: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    reopened: Mapped[int] = mapped_column(Integer, server_default=text("0"))


class CaseResolutionMinutes(Base):
    """How many resolutions of a month took each whole number of minutes: the median is read from
    these counts (at most one row per distinct minute), not from every case."""

    __tablename__ = "case_resolution_minutes"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    minutes: Mapped[int] = mapped_column(Integer, primary_key=True)
    cases: Mapped[int] = mapped_column(Integer)


class CaseResolutionHours(Base):
    """The same counts by whole hour (migration 0020): the median's hour is found over these, then its
    minute over that hour's minute rows, so the read stops growing once every hour is taken."""

    __tablename__ = "case_resolution_hours"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    hours: Mapped[int] = mapped_column(Integer, primary_key=True)
    cases: Mapped[int] = mapped_column(Integer)


class Notice(Base):
    """A notice (通知一键达) to a community, a compound or some buildings; to all, owners or tenants."""

    __tablename__ = "notices"

    id: Mapped[int] = id_column()
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    publisher_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    organisation_id: Mapped[int | None] = mapped_column(BigInteger)  # the 居委会 published for
    compound_id: Mapped[int | None] = mapped_column(BigInteger)  # null: the whole community
    audience: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    requires_acknowledgement: Mapped[bool] = mapped_column(Boolean)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    households: Mapped[int] = mapped_column(Integer)  # how many it reached

    __table_args__ = (
        ForeignKeyConstraint(
            ["organisation_id", "community_id"],
            ["organisations.id", "organisations.community_id"],
            name="fk_notices_organisation",
        ),
        ForeignKeyConstraint(
            ["compound_id", "community_id"],
            ["compounds.id", "compounds.community_id"],
            name="fk_notices_compound",
        ),
        CheckConstraint(f"audience IN ({_values(NoticeAudience)})", name="audience_known"),
        CheckConstraint("length(btrim(title)) BETWEEN 1 AND 100", name="title_length"),
        CheckConstraint("length(btrim(body)) BETWEEN 1 AND 2000", name="body_length"),
        Index("ix_notices_community_id_id", "community_id", "id"),
    )


class NoticeBuilding(Base):
    """The buildings a notice was limited to (none: its compound or community)."""

    __tablename__ = "notice_buildings"

    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), primary_key=True)


class NoticeReceipt(Base):
    """One per household a notice reached: when someone of it first read it, and acknowledged it."""

    __tablename__ = "notice_receipts"

    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), primary_key=True
    )
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    read_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))

    __table_args__ = (
        CheckConstraint("(read_at IS NULL) = (read_by IS NULL)", name="read_by_whom"),
        CheckConstraint(
            "(acknowledged_at IS NULL) = (acknowledged_by IS NULL) "
            "AND (acknowledged_at IS NULL OR read_at IS NOT NULL)",
            name="acknowledged_after_read",
        ),
        Index("ix_notice_receipts_household", "household_id", "notice_id"),
    )
