"""托育 for children under three: centres, age classes, sessions, children, bookings, pick-up people.

National rules (国卫人口发〔2019〕58号) are constraints: class sizes by kind, session capacity
never above its class's size (a composite foreign key carries the class size into the session),
confirmed places never above capacity, one child never in two overlapping bookings.

Carers on duty: each session has a roster (childcare_session_carers, copied from its weekly
timetable entry's carers when the session is generated); a trigger keeps the session's
`carer_count` and another refuses any change that would leave more confirmed children than
carers × the class's children-per-carer ratio (carried into the session like the class size).
"""

from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    SmallInteger,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import TSTZRANGE, ExcludeConstraint, Range
from sqlalchemy.orm import Mapped, mapped_column

from models.base import AccessLogColumns, Base, created_at_column, id_column


class ClassKind(StrEnum):
    INFANT = "INFANT"  # 乳儿班 6–12 months, ≤ 10 children, ≥ 1 carer : 3
    TODDLER = "TODDLER"  # 托小班 12–24 months, ≤ 15, ≥ 1 : 5
    PRESCHOOL = "PRESCHOOL"  # 托大班 24–36 months, ≤ 20, ≥ 1 : 7
    MIXED = "MIXED"  # 混合班 ≥ 18 months, ≤ 18


class CareType(StrEnum):
    FULL_DAY = "FULL_DAY"  # 全日托
    HALF_DAY = "HALF_DAY"  # 半日托
    HOURLY = "HOURLY"  # 计时托
    OCCASIONAL = "OCCASIONAL"  # 临时托


class BookingStatus(StrEnum):
    CONFIRMED = "CONFIRMED"
    WAITLISTED = "WAITLISTED"
    CANCELLED = "CANCELLED"
    CHECKED_IN = "CHECKED_IN"
    CHECKED_OUT = "CHECKED_OUT"
    ABSENT = "ABSENT"


# Bookings that hold the child's time (the exclusion constraint covers these).
HOLDING_SQL = "status IN ('CONFIRMED', 'WAITLISTED', 'CHECKED_IN')"

# (kind, largest class, most children per carer, youngest months, oldest months (exclusive))
NATIONAL_CLASS_RULES = [
    ("INFANT", 10, 3, 6, 12),
    ("TODDLER", 15, 5, 12, 24),
    ("PRESCHOOL", 20, 7, 24, 36),
    ("MIXED", 18, 7, 18, 36),
]
CLASS_RULES_SQL = " OR ".join(
    f"(kind = '{kind}' AND capacity <= {size} AND carer_ratio <= {ratio} "
    f"AND min_age_months >= {youngest} AND max_age_months <= {oldest})"
    for kind, size, ratio, youngest, oldest in NATIONAL_CLASS_RULES
)


class ChildcareCenter(Base):
    __tablename__ = "childcare_centers"

    id: Mapped[int] = id_column()
    name: Mapped[str] = mapped_column(String(100), unique=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"))
    booking_horizon_days: Mapped[int] = mapped_column(SmallInteger, server_default=text("14"))
    free_cancel_hours: Mapped[int] = mapped_column(SmallInteger, server_default=text("24"))
    max_pin_attempts: Mapped[int] = mapped_column(SmallInteger, server_default=text("5"))
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (
        CheckConstraint(
            "booking_horizon_days >= 0 AND free_cancel_hours >= 0 AND max_pin_attempts > 0",
            name="rules_positive",
        ),
    )


class ChildcareClass(Base):
    __tablename__ = "childcare_classes"

    id: Mapped[int] = id_column()
    center_id: Mapped[int] = mapped_column(ForeignKey("childcare_centers.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    min_age_months: Mapped[int] = mapped_column(SmallInteger)  # inclusive
    max_age_months: Mapped[int] = mapped_column(SmallInteger)  # exclusive
    capacity: Mapped[int] = mapped_column(SmallInteger)
    carer_ratio: Mapped[int] = mapped_column(SmallInteger)  # children per carer, at most

    __table_args__ = (
        UniqueConstraint("center_id", "name", name="uq_childcare_classes_center_name"),
        # Sessions reference (id, capacity), so a session can never offer more than its class holds.
        UniqueConstraint("id", "capacity", name="uq_childcare_classes_id_capacity"),
        # … and (id, carer_ratio), so a session always knows its class's children-per-carer ratio.
        UniqueConstraint("id", "carer_ratio", name="uq_childcare_classes_id_carer_ratio"),
        CheckConstraint("min_age_months < max_age_months AND capacity > 0 AND carer_ratio > 0", name="sane"),
        CheckConstraint(CLASS_RULES_SQL, name="national_rules"),
    )


class TimetableEntry(Base):
    """A weekly session of a class; `generate_sessions` turns it into dated sessions."""

    __tablename__ = "childcare_timetable"

    id: Mapped[int] = id_column()
    class_id: Mapped[int] = mapped_column(ForeignKey("childcare_classes.id"), index=True)
    weekday: Mapped[int] = mapped_column(SmallInteger)  # ISO 1 = Monday
    care_type: Mapped[str] = mapped_column(String(20))
    starts_at: Mapped[time] = mapped_column(Time)
    ends_at: Mapped[time] = mapped_column(Time)
    capacity: Mapped[int] = mapped_column(SmallInteger)

    __table_args__ = (
        CheckConstraint("weekday BETWEEN 1 AND 7 AND starts_at < ends_at AND capacity > 0", name="sane"),
        UniqueConstraint("class_id", "weekday", "care_type", "starts_at", name="uq_childcare_timetable_slot"),
    )


class TimetableCarer(Base):
    """A carer on duty for a weekly timetable entry: copied onto each session generated from it."""

    __tablename__ = "childcare_timetable_carers"

    timetable_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("childcare_timetable.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("persons.id"), primary_key=True, index=True)


class ChildcareSession(Base):
    __tablename__ = "childcare_sessions"

    id: Mapped[int] = id_column()
    class_id: Mapped[int] = mapped_column(BigInteger)
    class_capacity: Mapped[int] = mapped_column(SmallInteger)
    care_type: Mapped[str] = mapped_column(String(20))
    period: Mapped[Range[datetime]] = mapped_column(TSTZRANGE)
    day: Mapped[date] = mapped_column(Date)  # the Asia/Shanghai calendar day of the session
    capacity: Mapped[int] = mapped_column(SmallInteger)
    # Places taken (CONFIRMED, CHECKED_IN, CHECKED_OUT); kept under the session's row lock.
    confirmed_count: Mapped[int] = mapped_column(SmallInteger, server_default=text("0"))
    # Hands out waitlist order; positions shown are ranks, so they never have gaps.
    waitlist_sequence: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    # The class's children per carer, carried here like the class size (ON UPDATE CASCADE).
    class_carer_ratio: Mapped[int] = mapped_column(SmallInteger)
    # Carers on the roster; kept by a trigger on childcare_session_carers.
    carer_count: Mapped[int] = mapped_column(SmallInteger, server_default=text("0"))
    # The weekly entry it was generated from (null: made otherwise, or the entry was removed).
    timetable_id: Mapped[int | None] = mapped_column(
        ForeignKey("childcare_timetable.id", ondelete="SET NULL"), index=True
    )
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancel_reason: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        ForeignKeyConstraint(
            ["class_id", "class_capacity"],
            ["childcare_classes.id", "childcare_classes.capacity"],
            name="fk_childcare_sessions_class_capacity",
            onupdate="CASCADE",
        ),
        ForeignKeyConstraint(
            ["class_id", "class_carer_ratio"],
            ["childcare_classes.id", "childcare_classes.carer_ratio"],
            name="fk_childcare_sessions_class_carer_ratio",
            onupdate="CASCADE",
        ),
        CheckConstraint("carer_count >= 0", name="carer_count_positive"),
        CheckConstraint("(cancelled_at IS NULL) = (cancel_reason IS NULL)", name="cancelled_with_reason"),
        # A closed session holds no places: a booking can never be confirmed on it.
        CheckConstraint("cancelled_at IS NULL OR confirmed_count = 0", name="cancelled_holds_no_places"),
        UniqueConstraint("class_id", "care_type", "period", name="uq_childcare_sessions_slot"),
        CheckConstraint("capacity > 0 AND capacity <= class_capacity", name="capacity_within_class"),
        CheckConstraint("confirmed_count >= 0 AND confirmed_count <= capacity", name="never_overbooked"),
        CheckConstraint(
            "care_type IN ('FULL_DAY', 'HALF_DAY', 'HOURLY', 'OCCASIONAL')", name="care_type_known"
        ),
        Index("ix_childcare_sessions_class_day", "class_id", "day"),
    )


# The trigger childcare_sessions_within_carer_ratio (migration 0018) raises a check violation
# under this name when a change would leave more confirmed children than carers × ratio.
WITHIN_CARER_RATIO = "ck_childcare_sessions_within_carer_ratio"


class SessionCarer(Base):
    """A carer on duty for one dated session: a person with CHILDCARE_STAFF of the centre's community."""

    __tablename__ = "childcare_session_carers"

    session_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("childcare_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("persons.id"), primary_key=True, index=True)
    created_at: Mapped[datetime] = created_at_column()


class Child(Base):
    __tablename__ = "children"

    id: Mapped[int] = id_column()
    name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[date] = mapped_column(Date)
    # PIPL art. 31: a guardian's consent before a minor's data is processed.
    consent_given_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    consent_given_by: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (CheckConstraint("length(btrim(name)) > 0", name="name_not_blank"),)


class ChildGuardian(Base):
    __tablename__ = "child_guardians"

    child_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("children.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("persons.id"), primary_key=True, index=True)


class PickupPerson(Base):
    __tablename__ = "pickup_persons"

    id: Mapped[int] = id_column()
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(20))
    pin_hash: Mapped[str] = mapped_column(Text)  # argon2id; the PIN itself is shown once
    added_by: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (UniqueConstraint("child_id", "phone", name="uq_pickup_persons_child_phone"),)


class ChildcareBooking(Base):
    __tablename__ = "childcare_bookings"

    id: Mapped[int] = id_column()
    session_id: Mapped[int] = mapped_column(ForeignKey("childcare_sessions.id"))
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"))
    booked_by: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    period: Mapped[Range[datetime]] = mapped_column(TSTZRANGE)  # the session's, for the overlap rule
    status: Mapped[str] = mapped_column(String(20))
    waitlist_sequence: Mapped[int | None] = mapped_column(BigInteger)
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    request_fingerprint: Mapped[str | None] = mapped_column(Text)
    failed_pin_attempts: Mapped[int] = mapped_column(SmallInteger, server_default=text("0"))
    checkout_locked: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    checked_out_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    picked_up_by: Mapped[int | None] = mapped_column(ForeignKey("pickup_persons.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (
        ExcludeConstraint(
            ("child_id", "="),
            ("period", "&&"),
            where=text(HOLDING_SQL),
            name="ex_childcare_bookings_child_period",
            using="gist",
        ),
        UniqueConstraint("booked_by", "idempotency_key", name="uq_childcare_bookings_idempotency_key"),
        CheckConstraint(
            "status IN ('CONFIRMED', 'WAITLISTED', 'CANCELLED', 'CHECKED_IN', 'CHECKED_OUT', 'ABSENT')",
            name="status_known",
        ),
        CheckConstraint(
            "(status = 'WAITLISTED') = (waitlist_sequence IS NOT NULL)", name="waitlisted_have_a_place"
        ),
        CheckConstraint("failed_pin_attempts >= 0", name="attempts_positive"),
        Index(
            "uq_childcare_bookings_session_waitlist",
            "session_id",
            "waitlist_sequence",
            unique=True,
            postgresql_where=text("status = 'WAITLISTED'"),
        ),
        Index("ix_childcare_bookings_session_status", "session_id", "status"),
        Index("ix_childcare_bookings_child", "child_id"),
    )


class ChildAccessLog(AccessLogColumns, Base):
    """Who read which child's data, when, and what (a minor's data is sensitive: PIPL art. 28, 31)."""

    __tablename__ = "child_access_log"

    child_id: Mapped[int] = mapped_column(BigInteger, index=True)
