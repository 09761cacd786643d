"""Notifications are written in the operation's transaction: a commit delivers the rows and one
NOTIFY, a rollback neither."""

import asyncio

import asyncpg
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.notifications import Notification, NotificationKind
from models.people import Person
from resolvers import notifications
from tests.conftest import TEST_DATABASE_URL


async def test_a_committed_notification_is_stored_once_per_person_and_announced(engine):
    listener = await asyncpg.connect(TEST_DATABASE_URL.replace("postgresql+asyncpg://", "postgresql://"))
    heard: list[str] = []
    await listener.add_listener(notifications.NOTIFICATION_CHANNEL, lambda *args: heard.append(args[3]))
    async with engine.begin() as connection:
        session = AsyncSession(bind=connection)
        people = (await session.scalars(select(Person.id).order_by(Person.id).limit(2))).all()
    try:
        # A rollback tells no one
        async with engine.connect() as connection:
            async with connection.begin() as transaction:
                session = AsyncSession(bind=connection)
                await notifications.notify(
                    session=session,
                    person_ids=people,
                    kind=NotificationKind.RESERVATION_CANCELLED,
                    title="预约已取消",
                    body="工位 A1 停用，12 月 3 日 10:00 的预约已取消。",
                )
                await transaction.rollback()
        await asyncio.sleep(0.3)
        assert heard == []

        # A commit stores one row per person (a person named twice gets one) and announces the newest
        async with engine.begin() as connection:
            session = AsyncSession(bind=connection)
            await notifications.notify(
                session=session,
                person_ids=[*people, people[0]],
                kind=NotificationKind.RESERVATION_CANCELLED,
                title="预约已取消",
                body="工位 A1 停用，12 月 3 日 10:00 的预约已取消。",
                subject_id="UmVzZXJ2YXRpb246MQ",
            )
        for _ in range(50):
            if heard:
                break
            await asyncio.sleep(0.05)
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    select(
                        Notification.id, Notification.person_id, Notification.read_at, Notification.pushed_at
                    )
                    .where(Notification.person_id.in_(people))
                    .order_by(Notification.id)
                )
            ).all()
        assert sorted(row.person_id for row in rows) == sorted(people)
        assert all(row.read_at is None and row.pushed_at is None for row in rows)
        assert heard == [str(max(row.id for row in rows))]
    finally:
        await listener.close()
        async with engine.begin() as connection:
            await connection.execute(delete(Notification).where(Notification.person_id.in_(people)))
