"""Persons, their roles, households and the communities they live in."""

from datetime import datetime
from enum import StrEnum

from geoalchemy2 import Geography
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, created_at_column, id_column


class Role(StrEnum):
    RESIDENT = "RESIDENT"
    CARE_STAFF = "CARE_STAFF"
    CHILDCARE_STAFF = "CHILDCARE_STAFF"
    MAKERSPACE_STAFF = "MAKERSPACE_STAFF"
    DEVICE_GATEWAY = "DEVICE_GATEWAY"
    COMMUNITY_ADMIN = "COMMUNITY_ADMIN"  # runs the people of one community (its office)
    ADMIN = "ADMIN"


# Roles whose rights hold in the person's community only; the others hold everywhere or nowhere.
COMMUNITY_ROLES = frozenset(
    {Role.CARE_STAFF, Role.CHILDCARE_STAFF, Role.MAKERSPACE_STAFF, Role.COMMUNITY_ADMIN}
)


ROLE_VALUES = ", ".join(f"'{role.value}'" for role in Role)

# Mainland mobile numbers: 11 digits starting 1[3-9]; stored without spaces or +86.
PHONE_PATTERN = r"^1[3-9][0-9]{9}$"


class Community(Base):
    __tablename__ = "communities"

    id: Mapped[int] = id_column()
    name: Mapped[str] = mapped_column(String(100), unique=True)
    subdistrict: Mapped[str] = mapped_column(String(100))
    center = mapped_column(Geography("POINT", srid=4326, spatial_index=False), nullable=True)
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (CheckConstraint("length(btrim(name)) > 0", name="name_not_blank"),)


class Household(Base):
    __tablename__ = "households"

    id: Mapped[int] = id_column()
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    address: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()


class Person(Base):
    __tablename__ = "persons"

    id: Mapped[int] = id_column()
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    # argon2id hash; null for accounts that cannot log in with a password (e.g. device gateways
    # that only use issued tokens).
    password_hash: Mapped[str | None] = mapped_column(Text)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"), index=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), index=True)
    created_at: Mapped[datetime] = created_at_column()
    # A disabled person cannot sign in, and every token of theirs is refused.
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Tokens issued before this are refused (a role revoked, a password reset, a move, disabling).
    tokens_valid_after: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    roles: Mapped[list["PersonRole"]] = relationship(
        back_populates="person", cascade="all, delete-orphan", lazy="selectin", order_by="PersonRole.role"
    )

    __table_args__ = (
        CheckConstraint(f"phone ~ '{PHONE_PATTERN}'", name="phone_format"),
        CheckConstraint("length(btrim(name)) > 0", name="name_not_blank"),
    )

    @property
    def role_names(self) -> list[str]:
        return [person_role.role for person_role in self.roles]


class PersonRole(Base):
    __tablename__ = "person_roles"

    person_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[datetime] = created_at_column()

    person: Mapped[Person] = relationship(back_populates="roles")

    __table_args__ = (CheckConstraint(f"role IN ({ROLE_VALUES})", name="role_known"),)


class RateLimitHit(Base):
    """Attempts counted per key (login:phone:…, code:person:…, mutation:ip:…) in a fixed window.

    UNLOGGED: counters are worth losing in a crash, not worth a WAL write on every mutation."""

    __tablename__ = "rate_limit_hits"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)

    __table_args__ = ({"prefixes": ["UNLOGGED"]},)


class SessionKind(StrEnum):
    PASSWORD = "PASSWORD"  # a login: refresh tokens rotate within it
    ISSUED = "ISSUED"  # a token issued on the server (`linli token`), for devices and scripts


class AuthSession(Base):
    """One sign-in: its refresh tokens rotate within it (a family); revoking it ends them all and
    refuses its access tokens on every replica."""

    __tablename__ = "auth_sessions"

    id: Mapped[int] = id_column()
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = created_at_column()
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str | None] = mapped_column(String(32))
    user_agent: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        CheckConstraint("kind IN ('PASSWORD', 'ISSUED')", name="kind_known"),
        CheckConstraint("(revoked_at IS NULL) = (revoked_reason IS NULL)", name="revoked_with_reason"),
        Index("ix_auth_sessions_revoked", "expires_at", postgresql_where=text("revoked_at IS NOT NULL")),
    )


class RefreshToken(Base):
    """A refresh token, stored as the SHA-256 of its 256 random bits; used once, then replaced."""

    __tablename__ = "refresh_tokens"

    id: Mapped[int] = id_column()
    session_id: Mapped[int] = mapped_column(ForeignKey("auth_sessions.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PasswordResetCode(Base):
    """A one-time code the office gives a person to set a new password: shown once, stored hashed."""

    __tablename__ = "password_reset_codes"

    id: Mapped[int] = id_column()
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(Text)  # argon2id: the code is short
    issued_by: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
