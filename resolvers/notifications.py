"""What operations tell people: rows in each person's inbox (models.notifications), written in the
operation's own transaction (so a change that rolls back tells no one), and a NOTIFY on commit that
wakes whoever follows their inbox live."""

from collections.abc import Iterable

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.notifications import Notification, NotificationKind

NOTIFICATION_CHANNEL = "linli_notifications"


async def notify(
    *,
    session: AsyncSession,
    person_ids: Iterable[int],
    kind: NotificationKind,
    title: str,
    body: str,
    subject_id: str | None = None,
) -> None:
    """One inbox row for each person (once each, however often named), and one NOTIFY carrying
    the newest row's id: delivered at commit, never for a rollback."""
    people = sorted(set(person_ids))
    if not people:
        return
    rows = [
        {"person_id": pk, "kind": kind.value, "title": title, "body": body, "subject_id": subject_id}
        for pk in people
    ]
    newest = max((await session.scalars(insert(Notification).returning(Notification.id), rows)).all())
    await session.execute(select(func.pg_notify(NOTIFICATION_CHANNEL, str(newest))))
