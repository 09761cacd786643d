"""天空创客厅: spaces with their rules, bookable resources, reservations and suspensions.

Double booking is impossible because of exclusion constraints over active reservations
(btree_gist, tstzrange '[)'): one per resource at a time, and one per person at a time.
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


class ReservationStatus(StrEnum):
    CONFIRMED = "CONFIRMED"
    CHECKED_IN = "CHECKED_IN"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    NO_SHOW = "NO_SHOW"


# The statuses that hold time: only these take part in the exclusion constraints.
ACTIVE_STATUSES = (ReservationStatus.CONFIRMED.value, ReservationStatus.CHECKED_IN.value)
ACTIVE_SQL = "status IN ('CONFIRMED', 'CHECKED_IN')"


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

    __table_args__ = (
        CheckConstraint("opens_at < closes_at", name="opens_before_closing"),
        CheckConstraint("slot_minutes > 0 AND 1440 % slot_minutes = 0", name="slot_divides_day"),
        CheckConstraint(
            "booking_horizon_days >= 0 AND desk_max_minutes > 0 AND room_max_minutes > 0 "
            "AND desk_daily_cap_minutes > 0 AND check_in_before_minutes >= 0 AND check_in_after_minutes > 0 "
            "AND no_show_limit > 0 AND no_show_window_days > 0 AND suspension_days >= 0 "
            "AND check_in_step_seconds > 0",
            name="rules_positive",
        ),
    )


class Resource(Base):
    __tablename__ = "resources"

    id: Mapped[int] = id_column()
    space_id: Mapped[int] = mapped_column(ForeignKey("maker_spaces.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    capacity: Mapped[int] = mapped_column(SmallInteger)
    features: Mapped[list[str]] = mapped_column(ARRAY(String(30)), server_default=text("'{}'"))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    position: Mapped[int] = mapped_column(SmallInteger, server_default=text("0"))

    __table_args__ = (
        UniqueConstraint("space_id", "name", name="uq_resources_space_name"),
        CheckConstraint("kind IN ('DESK', 'MEETING_ROOM', 'VIDEO_ROOM')", name="kind_known"),
        CheckConstraint("capacity >= 1 AND (kind <> 'DESK' OR capacity = 1)", name="capacity_fits_kind"),
        CheckConstraint(f"features <@ ARRAY[{FEATURE_VALUES}]::varchar[]", name="features_known"),
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
