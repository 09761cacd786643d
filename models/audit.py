"""The audit trail: who changed what, when, in which request — written in the same transaction as
the change, and append-only in the database itself (triggers refuse UPDATE and TRUNCATE, and a
DELETE of any row younger than the six months every log is kept)."""

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

# The shortest a row is kept (Cybersecurity Law art. 21); the triggers enforce it.
MIN_RETENTION_DAYS = 183


class AuditLog(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor_id: Mapped[int | None] = mapped_column(BigInteger)  # null: no one signed in (a reset code)
    request_id: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(100))  # the object's global id
    community_id: Mapped[int | None] = mapped_column(BigInteger)  # whose office may read the row
    before: Mapped[dict | None] = mapped_column(JSONB)
    after: Mapped[dict | None] = mapped_column(JSONB)

    __table_args__ = (
        Index("ix_audit_log_at_id", "at", "id"),
        Index("ix_audit_log_object_at", "object_id", "at"),
        Index("ix_audit_log_actor_at", "actor_id", "at"),
        Index("ix_audit_log_community_at", "community_id", "at"),
    )
