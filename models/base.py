"""The declarative base every model shares, with constraint names Alembic can rely on."""

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, MetaData, String, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def id_column() -> Mapped[int]:
    return mapped_column(BigInteger, primary_key=True, autoincrement=True)


def created_at_column() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


class AccessLogColumns:
    """Who read, when, what and in which request: the columns every access log shares; each log
    adds whose data it was (PIPL art. 28; kept ≥ 6 months)."""

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
    person_id: Mapped[int] = mapped_column(BigInteger)
    what: Mapped[list[str]] = mapped_column(ARRAY(String(30)))
    request_id: Mapped[str | None] = mapped_column(String(64))
    # The client's own X-Request-ID, for correlation only: request_id is always the server's.
    client_request_id: Mapped[str | None] = mapped_column(String(64))
