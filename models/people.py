"""Persons, their roles, households and the communities they live in."""

from datetime import datetime
from enum import StrEnum

from geoalchemy2 import Geography
from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, created_at_column, id_column


class Role(StrEnum):
    RESIDENT = "RESIDENT"
    CARE_STAFF = "CARE_STAFF"
    CHILDCARE_STAFF = "CHILDCARE_STAFF"
    MAKERSPACE_STAFF = "MAKERSPACE_STAFF"
    DEVICE_GATEWAY = "DEVICE_GATEWAY"
    ADMIN = "ADMIN"


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
