"""What operations tell people: rows in each person's inbox (models.notifications), written in the
operation's own transaction (so a change that rolls back tells no one), and a NOTIFY on commit that
wakes whoever follows their inbox live (`myNotificationEvents`, through InboxHub)."""

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Text, any_, bindparam, cast, func, insert, literal, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.affairs import NoticeReceipt
from models.notifications import Notification, NotificationKind
from models.people import Person
from resolvers import audit
from resolvers.eldercare.feed import Subscriber
from resolvers.errors import DomainFailure, ErrorCode, NotFound
from resolvers.pagination import Page, keyset_page
from resolvers.uncancelled import uncancelled

logger = logging.getLogger("linli.inbox")

NOTIFICATION_CHANNEL = "linli_notifications"
# Rows take their ids one transaction at a time, so ids commit in order and a reader that has seen
# id N has seen every row before it. A transaction that also appends care-alert events takes that
# lock (EVENT_ORDER_LOCK) first.
ORDER_LOCK = 0x494E424F  # "INBO"


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
    await session.execute(select(func.pg_advisory_xact_lock(ORDER_LOCK)))
    newest = max((await session.scalars(insert(Notification).returning(Notification.id), rows)).all())
    await session.execute(select(func.pg_notify(NOTIFICATION_CHANNEL, str(newest))))


# ── The inbox ─────────────────────────────────────────────────────────────────

MARK_AT_ONCE = 100  # ids named in one notificationsMarkRead
PAGE = 500  # rows a replaying subscription reads at once


async def inbox_page(
    *, session: AsyncSession, person_id: int, first: int, after: int | None, unread_only: bool
) -> Page[Notification]:
    """A person's notifications, newest first (the key is the id: the order they were written)."""
    stmt = select(Notification).where(Notification.person_id == person_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return await keyset_page(
        stmt,
        session=session,
        key_columns=[Notification.id],
        first=first,
        after=None if after is None else [after],
        descending=True,
    )


async def unread_count(*, session: AsyncSession, person_id: int) -> int:
    stmt = select(func.count()).where(Notification.person_id == person_id, Notification.read_at.is_(None))
    return await session.scalar(stmt)


async def mark_read(
    *, session: AsyncSession, person_id: int, ids: list[int] | None, everything: bool, now: datetime
) -> int:
    """Marks the named notifications (or all) read; those read already keep their first reading
    time. A named id that is not the person's is NOT_FOUND and nothing is marked."""
    if everything == (ids is not None):
        raise DomainFailure(
            ErrorCode.MARK_READ_TARGET, "请指定要标为已读的通知（ids），或选择全部（all: true），二者选其一"
        )
    if ids is not None:
        if not ids or len(ids) > MARK_AT_ONCE:
            raise DomainFailure(
                ErrorCode.MARK_READ_TARGET, f"一次可标记 1 到 {MARK_AT_ONCE} 条通知，收到 {len(ids)} 条"
            )
        wanted = set(ids)
        owned = await session.scalar(
            select(func.count()).where(Notification.id.in_(wanted), Notification.person_id == person_id)
        )
        if owned != len(wanted):
            raise NotFound("通知")
    stmt = (
        update(Notification)
        .where(Notification.person_id == person_id, Notification.read_at.is_(None))
        .values(read_at=now)
        .returning(Notification.id)
    )
    if ids is not None:
        stmt = stmt.where(Notification.id.in_(set(ids)))
    marked_ids = (await session.scalars(stmt)).all()
    marked = len(marked_ids)
    if marked:
        notices = await _read_notices(session=session, person_id=person_id, marked_ids=marked_ids, now=now)
        await audit.record(
            session=session,
            action="notification.mark_read",
            object_id=audit.global_id("Person", person_id),
            after={"marked": marked, "all": everything, "noticesRead": notices},
        )
    return marked


def _global_id_sql(type_name: str, pk):
    """audit.global_id in SQL: base64url of "<type>:<pk>" without padding (short enough that
    Postgres's base64 breaks no line)."""
    encoded = func.encode(func.convert_to(literal(f"{type_name}:") + cast(pk, Text), "UTF8"), "base64")
    return func.rtrim(func.translate(encoded, "+/", "-_"), "=")


async def _read_notices(*, session: AsyncSession, person_id: int, marked_ids, now: datetime) -> int:
    """A NOTICE row read in the inbox reads the notice for the person's household too (its first
    reading kept): one UPDATE joining the rows just marked to the household's unread receipts."""
    household = select(Person.household_id).where(Person.id == person_id).scalar_subquery()
    stmt = (
        update(NoticeReceipt)
        .where(
            NoticeReceipt.household_id == household,
            NoticeReceipt.read_at.is_(None),
            Notification.id == any_(bindparam("marked", list(marked_ids), type_=ARRAY(BigInteger))),
            Notification.person_id == person_id,
            Notification.kind == NotificationKind.NOTICE.value,
            Notification.subject_id == _global_id_sql("Notice", NoticeReceipt.notice_id),
        )
        .values(read_at=now, read_by=person_id)
        .returning(NoticeReceipt.notice_id)
    )
    return len((await session.scalars(stmt)).all())


# ── The live inbox ────────────────────────────────────────────────────────────


class _Inbox:
    """One subscription, as the hub keeps it: whose inbox, and how far it has been handed rows."""

    def __init__(self, person_id: int) -> None:
        self.person_id = person_id
        self.covered: int | None = None  # every row up to it was handed over or waits in `pending`
        self.pending: list[Notification] = []
        self.waiter = Subscriber()


class InboxHub:
    """This process's fan-out of the inboxes: on each wake-up (a NOTIFY on NOTIFICATION_CHANNEL,
    LISTEN back after a loss, the slow poll) one statement reads the rows written since the last
    read for every person subscribed, and each subscription is handed its own. `feed` is the
    process's LISTEN connection (server.pubsub.AlertFeed); `is_outage` tells a database outage (a
    warning) from a fault (an error)."""

    def __init__(
        self,
        *,
        feed: Any,
        session_factory: async_sessionmaker[AsyncSession],
        is_outage: Callable[[BaseException], bool] = lambda error: False,
    ) -> None:
        self.feed = feed
        self.session_factory = session_factory
        self.is_outage = is_outage
        self.members: set[_Inbox] = set()
        self.head: int | None = None  # every row up to it was handed to every member placed by then
        self._waker: Subscriber | None = None
        self._pump: asyncio.Task | None = None
        self._starting = asyncio.Lock()

    async def events(self, *, person_id: int, after: int | None = None) -> AsyncIterator[list[Notification]]:
        """The person's notifications after the id `after` (omitted: from now on), as they commit,
        in order."""
        member = _Inbox(person_id)
        await self._started()
        self.members.add(member)  # before it reads where it starts: nothing committed later slips by
        try:
            async with self.session_factory() as session:
                newest = await _newest_id(session=session)
            if self.head is None:
                self.head = newest
            member.covered = newest if after is None else min(after, newest)
            while True:
                if member.pending:
                    rows, member.pending = member.pending, []
                    yield rows
                elif member.covered < self.head:
                    # A replay, or the hub read past where it started before it was placed: it
                    # reads that part itself, a page at a time.
                    await uncancelled(self._catch_up(member, self.head))
                else:
                    await self.feed.wait(member.waiter)
        finally:
            self.members.discard(member)
            if not self.members:
                self.head = None

    async def _catch_up(self, member: _Inbox, until: int) -> None:
        async with self.session_factory() as session:
            rows = await _rows(
                session=session, after=member.covered, until=until, people=[member.person_id], limit=PAGE
            )
        member.pending += [row for row in rows if row.id > member.covered]
        member.covered = max(member.covered, rows[-1].id if len(rows) == PAGE else until)

    async def _started(self) -> None:
        async with self._starting:
            if self._pump is None:
                self._waker = await self.feed.subscribe(NOTIFICATION_CHANNEL)
                self._pump = asyncio.get_running_loop().create_task(self._pumping())

    async def _pumping(self) -> None:
        while True:
            await self._waker.wait(self.feed.poll_seconds)
            self.feed.keep_listening()
            try:
                await self._round()
            except Exception as error:  # nothing was handed over: the next wake-up reads it again
                log = logger.warning if self.is_outage(error) else logger.error
                log("inbox: a wake-up failed; its notifications wait for the next", exc_info=error)

    async def _round(self) -> None:
        head = self.head
        members = [member for member in self.members if member.covered is not None]
        if head is None or not members:
            return
        async with self.session_factory() as session:
            until = await _newest_id(session=session)
            if until <= head:
                return
            rows = await _rows(
                session=session, after=head, until=until, people={member.person_id for member in members}
            )
        for member in members:
            if member not in self.members or member.covered > until:
                continue
            if member.covered < head:
                continue  # it catches up on its own first, then rounds serve it
            member.pending += [
                row for row in rows if row.person_id == member.person_id and row.id > member.covered
            ]
            member.covered = until
            member.waiter.wake()
        if self.head != head:  # everyone left meanwhile
            return
        self.head = until
        for member in self.members:
            if member.covered is not None and member.covered < until:
                member.waiter.wake()  # placed before this round's head: it catches up itself now

    async def close(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
            await asyncio.gather(self._pump, return_exceptions=True)
            self._pump = None
        if self._waker is not None:
            self.feed.unsubscribe(self._waker)
            self._waker = None


async def _newest_id(*, session: AsyncSession) -> int:
    return await session.scalar(select(func.coalesce(func.max(Notification.id), 0)))


async def _rows(
    *, session: AsyncSession, after: int, until: int, people: Iterable[int], limit: int | None = None
) -> list[Notification]:
    stmt = (
        select(Notification)
        .where(
            Notification.id > after, Notification.id <= until, Notification.person_id.in_(sorted(set(people)))
        )
        .order_by(Notification.id)
        .limit(limit)
    )
    return list(await session.scalars(stmt))
