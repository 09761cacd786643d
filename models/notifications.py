"""A person's inbox: what operations tell people (a cancelled reservation or session, a waitlist
promotion, a withdrawn consent). Each row is also the outbox an outside push service will read:
`pushed_at` stays null until it has been handed on."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, created_at_column, id_column


class NotificationKind(StrEnum):
    RESERVATION_CANCELLED = "RESERVATION_CANCELLED"  # a resource retired or blocked under it
    CHILDCARE_SESSION_CANCELLED = "CHILDCARE_SESSION_CANCELLED"  # a closure: the booking is cancelled
    CHILDCARE_WAITLIST_PROMOTED = "CHILDCARE_WAITLIST_PROMOTED"  # a waitlisted booking is confirmed
    CONSENT_WITHDRAWN = "CONSENT_WITHDRAWN"  # an elder's monitoring ended: family no longer follow
    FAMILY_LINK_REMOVED = "FAMILY_LINK_REMOVED"  # this person no longer follows that elder
    CASE_UPDATED = "CASE_UPDATED"  # the reporter's case moved a step (accepted, resolved, escalated)
    CASE_ASSIGNED = "CASE_ASSIGNED"  # a case came to an organisation's queue (or it is informed)
    CASE_ESCALATED = "CASE_ESCALATED"  # a case passed its SLA: the community office is told
    NOTICE = "NOTICE"  # a notice (通知一键达) reached the person's household


NOTIFICATION_KINDS = ", ".join(f"'{kind.value}'" for kind in NotificationKind)


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[int] = id_column()  # also the order of the inbox and of the outbox
    person_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("persons.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(String(500))
    subject_id: Mapped[str | None] = mapped_column(String(100))  # the global id of what it is about
    created_at: Mapped[datetime] = created_at_column()
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    pushed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(f"kind IN ({NOTIFICATION_KINDS})", name="kind_known"),
        CheckConstraint("length(btrim(title)) > 0", name="title_not_blank"),
        Index("ix_notifications_person_id_id", "person_id", "id"),
        Index("ix_notifications_unread", "person_id", postgresql_where=text("read_at IS NULL")),
        Index("ix_notifications_not_pushed", "id", postgresql_where=text("pushed_at IS NULL")),
    )
