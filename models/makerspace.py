"""天空创客厅: spaces with their rules, bookable resources, reservations, suspensions and the
staff's block-outs.

Double booking is impossible because of exclusion constraints over active reservations
(btree_gist, tstzrange '[)'): one per resource at a time, and one per person at a time. A block-out
and a reservation never overlap either: both hold time in `resource_holds` (kept by triggers),
whose exclusion constraint sees them alike.
"""

from datetime import datetime, time
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSTZRANGE, ExcludeConstraint, Range
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, created_at_column, id_column


class ResourceKind(StrEnum):
    DESK = "DESK"
    MEETING_ROOM = "MEETING_ROOM"
    VIDEO_ROOM = "VIDEO_ROOM"


class ResourceFeature(StrEnum):
    WINDOW = "WINDOW"
    POWER = "POWER"
    MONITOR = "MONITOR"
    WHITEBOARD = "WHITEBOARD"
    SCREEN = "SCREEN"
    VIDEO_CONFERENCE = "VIDEO_CONFERENCE"


FEATURE_VALUES = ", ".join(f"'{feature.value}'" for feature in ResourceFeature)
MAX_CAPACITY = 500  # persons a room may seat (resourceAvailability's partySize has the same bound)
MAX_POSITION = 9999  # display order


class ReservationStatus(StrEnum):
    CONFIRMED = "CONFIRMED"
    CHECKED_IN = "CHECKED_IN"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    NO_SHOW = "NO_SHOW"


# The statuses that hold time: only these take part in the exclusion constraints.
ACTIVE_STATUSES = (ReservationStatus.CONFIRMED.value, ReservationStatus.CHECKED_IN.value)
ACTIVE_SQL = "status IN ('CONFIRMED', 'CHECKED_IN')"


# The rules of a space, each a CHECK of its own: name → (condition, the ErrorCode it means).
# Bounds are generous but finite (every column is a smallint) and keep a space workable.
RULE_CONSTRAINTS: dict[str, tuple[str, str]] = {
    "opens_before_closing": ("opens_at < closes_at", "INVALID_OPENING_HOURS"),
    "slot_divides_day": (
        "CASE WHEN slot_minutes BETWEEN 5 AND 240 THEN 1440 % slot_minutes = 0 ELSE false END",
        "INVALID_SLOT_MINUTES",
    ),
    # Slots are counted from midnight: opening and closing fall on slot boundaries (judged only for a
    # valid slot, which slot_divides_day reports).
    "hours_on_slots": (
        "CASE WHEN slot_minutes NOT BETWEEN 5 AND 240 THEN true WHEN 1440 % slot_minutes <> 0 THEN true "
        "ELSE extract(epoch FROM opens_at)::int % (slot_minutes * 60) = 0 "
        "AND extract(epoch FROM closes_at)::int % (slot_minutes * 60) = 0 END",
        "HOURS_NOT_ON_SLOTS",
    ),
    "booking_horizon_days_range": ("booking_horizon_days BETWEEN 0 AND 90", "INVALID_BOOKING_HORIZON"),
    "desk_max_minutes_range": ("desk_max_minutes BETWEEN 1 AND 1440", "INVALID_DESK_MAX_MINUTES"),
    "room_max_minutes_range": ("room_max_minutes BETWEEN 1 AND 1440", "INVALID_ROOM_MAX_MINUTES"),
    "desk_daily_cap_minutes_range": ("desk_daily_cap_minutes BETWEEN 1 AND 1440", "INVALID_DESK_DAILY_CAP"),
    "check_in_before_minutes_range": ("check_in_before_minutes BETWEEN 0 AND 120", "INVALID_CHECK_IN_BEFORE"),
    "check_in_after_minutes_range": ("check_in_after_minutes BETWEEN 1 AND 120", "INVALID_CHECK_IN_AFTER"),
    "no_show_limit_range": ("no_show_limit BETWEEN 1 AND 100", "INVALID_NO_SHOW_LIMIT"),
    "no_show_window_days_range": ("no_show_window_days BETWEEN 1 AND 365", "INVALID_NO_SHOW_WINDOW"),
    "suspension_days_range": ("suspension_days BETWEEN 0 AND 365", "INVALID_SUSPENSION_DAYS"),
    "check_in_step_seconds_range": ("check_in_step_seconds BETWEEN 15 AND 600", "INVALID_CHECK_IN_STEP"),
}


class MakerSpace(Base):
    """A space and its rules (DOMAIN.md defaults; each space may change its own)."""

    __tablename__ = "maker_spaces"

    id: Mapped[int] = id_column()
    name: Mapped[str] = mapped_column(String(100), unique=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"))
    opens_at: Mapped[time] = mapped_column(Time, server_default=text("'08:30'"))
    closes_at: Mapped[time] = mapped_column(Time, server_default=text("'21:30'"))
    slot_minutes: Mapped[int] = mapped_column(SmallInteger, server_default=text("30"))
    booking_horizon_days: Mapped[int] = mapped_column(SmallInteger, server_default=text("7"))
    desk_max_minutes: Mapped[int] = mapped_column(SmallInteger, server_default=text("240"))
    room_max_minutes: Mapped[int] = mapped_column(SmallInteger, server_default=text("120"))
    desk_daily_cap_minutes: Mapped[int] = mapped_column(SmallInteger, server_default=text("480"))
    check_in_before_minutes: Mapped[int] = mapped_column(SmallInteger, server_default=text("10"))
    check_in_after_minutes: Mapped[int] = mapped_column(SmallInteger, server_default=text("15"))
    no_show_limit: Mapped[int] = mapped_column(SmallInteger, server_default=text("3"))
    no_show_window_days: Mapped[int] = mapped_column(SmallInteger, server_default=text("30"))
    suspension_days: Mapped[int] = mapped_column(SmallInteger, server_default=text("7"))
    # Base32 secret of the kiosk's TOTP check-in code (RFC 6238); never leaves the server.
    check_in_secret: Mapped[str] = mapped_column(String(64))
    check_in_step_seconds: Mapped[int] = mapped_column(SmallInteger, server_default=text("60"))
    created_at: Mapped[datetime] = created_at_column()

    # One CHECK per rule, so a refused change names the rule it broke (RULE_CONSTRAINTS: the
    # constraint's name → its ErrorCode; makerSpaceRulesUpdate answers with it).
    __table_args__ = tuple(
        CheckConstraint(condition, name=name) for name, (condition, _code) in RULE_CONSTRAINTS.items()
    )


class Resource(Base):
    __tablename__ = "resources"

    id: Mapped[int] = id_column()
    space_id: Mapped[int] = mapped_column(ForeignKey("maker_spaces.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    capacity: Mapped[int] = mapped_column(SmallInteger)
    features: Mapped[list[str]] = mapped_column(ARRAY(String(30)), server_default=text("'{}'"))
    # Retired resources keep their row (their reservations' history) but leave availability; the
    # database refuses new reservations of them (trigger reservations_hold_time).
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    position: Mapped[int] = mapped_column(SmallInteger, server_default=text("0"))
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    retired_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("space_id", "name", name="uq_resources_space_name"),
        CheckConstraint("kind IN ('DESK', 'MEETING_ROOM', 'VIDEO_ROOM')", name="kind_known"),
        CheckConstraint("capacity >= 1 AND (kind <> 'DESK' OR capacity = 1)", name="capacity_fits_kind"),
        CheckConstraint(f"capacity <= {MAX_CAPACITY}", name="capacity_at_most"),
        CheckConstraint(f"features <@ ARRAY[{FEATURE_VALUES}]::varchar[]", name="features_known"),
        CheckConstraint("length(btrim(name)) > 0", name="name_not_blank"),
        CheckConstraint(f"position BETWEEN 0 AND {MAX_POSITION}", name="position_range"),
        CheckConstraint(
            "active = (retired_at IS NULL) AND (active OR length(btrim(retired_reason)) > 0)",
            name="retired_with_reason",
        ),
    )


class Reservation(Base):
    __tablename__ = "reservations"

    id: Mapped[int] = id_column()
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id"))
    space_id: Mapped[int] = mapped_column(ForeignKey("maker_spaces.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    period: Mapped[Range[datetime]] = mapped_column(TSTZRANGE)
    status: Mapped[str] = mapped_column(String(20), server_default=text("'CONFIRMED'"))
    party_size: Mapped[int] = mapped_column(SmallInteger, server_default=text("1"))
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    # What the first request with that key asked for; a replay must ask for the same.
    request_fingerprint: Mapped[str | None] = mapped_column(Text)
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime] = created_at_column()

    # INSERT … RETURNING brings back the server defaults (status, created_at) at once.
    __mapper_args__: ClassVar[dict] = {"eager_defaults": True}

    __table_args__ = (
        ExcludeConstraint(
            ("resource_id", "="),
            ("period", "&&"),
            where=text(ACTIVE_SQL),
            name="ex_reservations_resource_period",
            using="gist",
        ),
        ExcludeConstraint(
            ("person_id", "="),
            ("period", "&&"),
            where=text(ACTIVE_SQL),
            name="ex_reservations_person_period",
            using="gist",
        ),
        UniqueConstraint("person_id", "idempotency_key", name="uq_reservations_person_idempotency_key"),
        CheckConstraint(
            "status IN ('CONFIRMED', 'CHECKED_IN', 'COMPLETED', 'CANCELLED', 'NO_SHOW')", name="status_known"
        ),
        CheckConstraint(
            "NOT isempty(period) AND lower_inc(period) AND NOT upper_inc(period)", name="period_half_open"
        ),
        CheckConstraint("party_size >= 1", name="party_size_positive"),
        Index("ix_reservations_space_period", "space_id", "period", postgresql_using="gist"),
        Index("ix_reservations_person_start", "person_id", text("lower(period)")),
    )


class BookingSuspension(Base):
    """Booking refused in a space until `until` (after repeated no-shows)."""

    __tablename__ = "booking_suspensions"

    id: Mapped[int] = id_column()
    space_id: Mapped[int] = mapped_column(ForeignKey("maker_spaces.id"))
    person_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("persons.id"))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("starts_at < until", name="starts_before_until"),
        Index("ix_booking_suspensions_person_space", "person_id", "space_id", "until"),
    )


class ResourceBlockOut(Base):
    """Staff take a resource out of booking for a while (maintenance): [starts, ends). Removing one
    keeps the row (removed_at) for the record. Two block-outs of one resource never overlap."""

    __tablename__ = "resource_block_outs"

    id: Mapped[int] = id_column()
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id"))
    space_id: Mapped[int] = mapped_column(ForeignKey("maker_spaces.id"))
    period: Mapped[Range[datetime]] = mapped_column(TSTZRANGE)
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime] = created_at_column()
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    removed_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))

    __mapper_args__: ClassVar[dict] = {"eager_defaults": True}

    __table_args__ = (
        ExcludeConstraint(
            ("resource_id", "="),
            ("period", "&&"),
            where=text("removed_at IS NULL"),
            name="ex_resource_block_outs_resource_period",
            using="gist",
        ),
        CheckConstraint(
            "NOT isempty(period) AND lower_inc(period) AND NOT upper_inc(period) "
            "AND NOT lower_inf(period) AND NOT upper_inf(period)",
            name="period_half_open",
        ),
        CheckConstraint("length(btrim(reason)) > 0", name="reason_not_blank"),
        CheckConstraint("(removed_at IS NULL) = (removed_by IS NULL)", name="removed_by_someone"),
        Index("ix_resource_block_outs_space_period", "space_id", "period", postgresql_using="gist"),
    )


class ResourceHold(Base):
    """Who holds a resource's time: one row per active reservation and per block-out in force,
    kept by triggers on those tables (never written by the application). Its exclusion constraint
    is what keeps a reservation and a block-out of one resource from overlapping, whichever
    came first and however many requests race: the database decides, at any isolation level."""

    __tablename__ = "resource_holds"

    id: Mapped[int] = id_column()
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id"))
    period: Mapped[Range[datetime]] = mapped_column(TSTZRANGE)
    reservation_id: Mapped[int | None] = mapped_column(
        ForeignKey("reservations.id", ondelete="CASCADE"), unique=True
    )
    block_out_id: Mapped[int | None] = mapped_column(
        ForeignKey("resource_block_outs.id", ondelete="CASCADE"), unique=True
    )

    __table_args__ = (
        ExcludeConstraint(
            ("resource_id", "="),
            ("period", "&&"),
            name="ex_resource_holds_resource_period",
            using="gist",
        ),
        CheckConstraint("(reservation_id IS NULL) <> (block_out_id IS NULL)", name="one_holder"),
    )
