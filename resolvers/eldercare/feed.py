"""The live alert feed, fanned out: every subscription is an async generator of deliveries (its
events in order, with what they show), served by one hub per process.

On each wake-up (a NOTIFY, the LISTEN connection back after a loss, the slow poll) the hub reads the
events committed since its last read once per visibility class, whatever the number of subscribers
sharing it — ADMIN; the care staff of one community; one family member (their consented elders) —
in one short session; writes the access-log rows of every subscriber it will hand events to in one
statement and commits; only then hands each subscriber its events. A wake-up whose events cannot be
read or logged hands nothing over: the next one reads them again (PIPL art. 28: logged before they
are delivered, withheld while they cannot be).

A subscription that starts behind the hub (afterSequence, or one that fell behind) reads on its
own, in short sessions of its own, filtered in SQL to what its viewer may see, until it is level
with the hub; from then on the hub serves it. A client cannot cut a statement in half by leaving:
those reads run to their end even when the subscription is cancelled meanwhile.

Who may see what is decided by the SQL of each read, never by the hub: a subscriber is handed rows
read for its own class only. The token behind a subscription (roles, revocation) is checked again
before every event goes out (schema.context.GuardDelivery); consent is read with every wake-up.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.eldercare import CareAlert, CareAlertEvent, Elder, FamilyLink
from models.people import Community, Person
from resolvers import access_log
from resolvers.actor import Viewer
from resolvers.eldercare.access import Visibility, consent_stands, visibility_of, visible_elders
from resolvers.uncancelled import uncancelled

logger = logging.getLogger("linli.feed")

PAGE = 500  # events read at once: per class on a wake-up, per catch-up read
MAX_PENDING = 2000  # events held for a subscriber that does not keep up; beyond, it reads them again itself
RETRY_SECONDS = 1.0  # after a failed wake-up, doubling up to the poll
SHOWN = frozenset({"alerts", "profile"})  # what an event shows of its elder: the alert, and who she is


class Subscriber:
    """Something woken when there is news: the hub on a NOTIFY, a subscription by the hub."""

    def __init__(self) -> None:
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def wait(self, poll_seconds: float) -> None:
        try:
            async with asyncio.timeout(poll_seconds):
                await self._wake.wait()
        except TimeoutError:
            pass
        self._wake.clear()


@dataclass(frozen=True)
class FeedReader:
    """Who subscribes: whose rights filter the events, and how the access log names the reads."""

    viewer: Viewer
    request_id: str | None = None
    client_request_id: str | None = None


class FeedRow(NamedTuple):
    event: CareAlertEvent
    alert: CareAlert
    elder: Elder


@dataclass
class Delivery:
    """A subscriber's events in order, with what they show (so presenting them reads nothing more)
    and what of each elder was logged as read for them."""

    rows: list[FeedRow]
    communities: dict[int, Community] = field(default_factory=dict)
    responders: dict[int, Person] = field(default_factory=dict)  # who acknowledged or resolved
    logged: dict[int, set[str]] = field(default_factory=dict)  # elder id → what

    def then(self, later: "Delivery") -> "Delivery":
        return Delivery(
            rows=self.rows + later.rows,
            communities={**self.communities, **later.communities},
            responders={**self.responders, **later.responders},
            logged={
                pk: self.logged.get(pk, set()) | later.logged.get(pk, set())
                for pk in {*self.logged, *later.logged}
            },
        )


# ── Reading ───────────────────────────────────────────────────────────────────


async def latest_sequence(*, session: AsyncSession) -> int:
    return await session.scalar(select(func.coalesce(func.max(CareAlertEvent.sequence), 0)))


def _rows(after: int, until: int | None) -> Select:
    stmt = (
        select(CareAlertEvent, CareAlert, Elder)
        .join(CareAlert, CareAlert.id == CareAlertEvent.alert_id)
        .join(Elder, Elder.id == CareAlertEvent.elder_id)
        .where(CareAlertEvent.sequence > after)
        .order_by(CareAlertEvent.sequence)
    )
    return stmt if until is None else stmt.where(CareAlertEvent.sequence <= until)


async def events_after(
    *,
    session: AsyncSession,
    viewer: Viewer,
    after: int,
    community_id: int | None = None,
    until: int | None = None,
    limit: int = PAGE,
) -> list[FeedRow]:
    """Events the viewer may see, strictly after a sequence (and up to `until`), in order: a
    subscription's own reads, for a replay or to catch up with the hub."""
    stmt = _rows(after, until).where(visible_elders(viewer)).limit(limit)
    if community_id is not None:
        stmt = stmt.where(CareAlertEvent.community_id == community_id)
    return [FeedRow(*row) for row in await session.execute(stmt)]


@dataclass
class ClassRows:
    """One wake-up's events, read once per visibility class."""

    everything: list[FeedRow] = field(default_factory=list)
    by_community: dict[int, list[FeedRow]] = field(default_factory=dict)  # care staff of a community
    by_family: dict[int, list[FeedRow]] = field(default_factory=dict)  # a person's consented elders

    def seen_by(self, seen: Visibility) -> list[FeedRow]:
        if seen.everything:
            return self.everything
        rows = {row.event.sequence: row for row in self.by_family.get(seen.family_of, ())}
        if seen.community_id is not None:
            rows.update((row.event.sequence, row) for row in self.by_community.get(seen.community_id, ()))
        return [rows[sequence] for sequence in sorted(rows)]


async def read_classes(
    *, session: AsyncSession, after: int, until: int, classes: Iterable[Visibility]
) -> ClassRows:
    """The events in (after, until] of each class: one statement for ADMIN, one for the care staff
    of every community subscribed, one for every family member subscribed."""
    classes = list(classes)
    communities = sorted({seen.community_id for seen in classes if seen.community_id is not None})
    families = sorted(
        {seen.family_of for seen in classes if not seen.everything and seen.family_of is not None}
    )
    found = ClassRows()
    if any(seen.everything for seen in classes):
        found.everything = [FeedRow(*row) for row in await session.execute(_rows(after, until))]
    if communities:
        stmt = _rows(after, until).where(Elder.community_id.in_(communities))
        for row in await session.execute(stmt):
            found.by_community.setdefault(row.Elder.community_id, []).append(FeedRow(*row))
    if families:
        stmt = (
            _rows(after, until)
            .add_columns(FamilyLink.person_id)
            .join(FamilyLink, FamilyLink.elder_id == Elder.id)
            .where(FamilyLink.person_id.in_(families), consent_stands())
        )
        for event, alert, elder, person_id in await session.execute(stmt):
            found.by_family.setdefault(person_id, []).append(FeedRow(event, alert, elder))
    return found


async def _shown_with(*, session: AsyncSession, rows: list[FeedRow]) -> tuple[dict, dict]:
    """The communities and the responders the events show, one statement each for all of them."""
    community_ids = {row.elder.community_id for row in rows}
    person_ids = {pk for row in rows for pk in (row.alert.acknowledged_by, row.alert.resolved_by) if pk}
    communities, responders = {}, {}
    if community_ids:
        found = await session.scalars(select(Community).where(Community.id.in_(community_ids)))
        communities = {community.id: community for community in found}
    if person_ids:
        responders = {
            person.id: person
            for person in await session.scalars(select(Person).where(Person.id.in_(person_ids)))
        }
    return communities, responders


async def logged_deliveries(
    *, session: AsyncSession, shares: list[tuple[FeedReader, list[FeedRow]]]
) -> list[Delivery]:
    """Each reader's delivery of its rows, their reads logged for all readers in one statement and
    committed: nothing is handed over before that has held."""
    communities, responders = await _shown_with(
        session=session, rows=[row for _, rows in shares for row in rows]
    )
    deliveries, reads = [], []
    for reader, rows in shares:
        elders = {row.elder.id for row in rows}
        reads += [
            access_log.Read(
                reader.viewer.person_id, elder, SHOWN, reader.request_id, reader.client_request_id
            )
            for elder in sorted(elders)
        ]
        people = {pk for row in rows for pk in (row.alert.acknowledged_by, row.alert.resolved_by) if pk}
        deliveries.append(
            Delivery(
                rows=rows,
                communities={row.elder.community_id: communities[row.elder.community_id] for row in rows},
                responders={pk: responders[pk] for pk in people if pk in responders},
                logged={elder: set(SHOWN) for elder in elders},
            )
        )
    await access_log.write_many(session=session, log=access_log.HEALTH_FOR_MANY, reads=reads)
    await session.commit()
    return deliveries


# ── The hub ───────────────────────────────────────────────────────────────────


class _Member:
    """One subscription, as the hub keeps it."""

    def __init__(self, reader: FeedReader, community_id: int | None) -> None:
        self.reader = reader
        self.seen = visibility_of(reader.viewer)
        self.community_id = community_id
        # Every event up to `covered` was handed over, waits in `pending`, or is not this viewer's;
        # up to `handed`, handed over. None until the subscription knows where it starts.
        self.covered: int | None = None
        self.handed: int | None = None
        self.pending: list[Delivery] = []
        self.waiter = Subscriber()

    def place(self, sequence: int) -> None:
        self.covered = self.handed = sequence

    def level_with(self, head: int) -> bool:
        return self.covered is not None and self.covered >= head

    def own(self, rows: list[FeedRow]) -> list[FeedRow]:
        """The rows not yet handed to it, of the community it asked for."""
        return [
            row
            for row in rows
            if row.event.sequence > self.covered
            and (self.community_id is None or row.event.community_id == self.community_id)
        ]

    def give(self, delivery: Delivery | None, until: int) -> None:
        if delivery is not None:
            self.pending.append(delivery)
            self.waiter.wake()
        self.covered = max(self.covered, until)
        if sum(len(waiting.rows) for waiting in self.pending) > MAX_PENDING:
            # It does not keep up: what waits is dropped, and read again by itself when it does.
            self.pending.clear()
            self.covered = self.handed

    def take(self) -> Delivery | None:
        if not self.pending:
            return None
        delivery = self.pending[0]
        for later in self.pending[1:]:
            delivery = delivery.then(later)
        self.pending.clear()
        self.handed = self.covered
        return delivery


class FeedHub:
    """This process's fan-out of the live feed. `feed` wakes it (server.pubsub.AlertFeed: subscribe,
    unsubscribe, wait, keep_listening, poll_seconds); `is_outage` tells a database outage (a
    warning) from a fault (an error) when a wake-up fails."""

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
        self.members: set[_Member] = set()
        # Every event up to `head` has been handed to every member level with the hub; None while
        # no subscription is open (then it is read again when one opens).
        self.head: int | None = None
        self._epoch = 0  # a new one each time the last subscription leaves
        # A wake-up found no member level with the hub to read for: what it came for is read when
        # the first catches up (else it would wait for the next NOTIFY or the poll).
        self._woken_for_nobody = False
        self._waker: Subscriber | None = None
        self._pump: asyncio.Task | None = None
        self._starting = asyncio.Lock()

    async def events(
        self, *, reader: FeedReader, community_id: int | None = None, after: int | None = None
    ) -> AsyncIterator[Delivery]:
        """A subscription: the events after `after` (omitted: from now on) its reader may see, as they
        commit, each delivery's reads logged before it is yielded."""
        member = _Member(reader, community_id)
        await self._started()
        self.members.add(member)  # before its first read, so nothing committed from now on slips by
        try:
            await uncancelled(self._place(member, after))
            while True:
                delivery = member.take()
                if delivery is None and self.head is not None and member.covered < self.head:
                    delivery = await uncancelled(self._catch_up(member))
                    if self._woken_for_nobody and member.level_with(self.head):
                        self._woken_for_nobody = False
                        self._waker.wake()
                if delivery is None:
                    await self.feed.wait(member.waiter)  # until the hub hands it something
                elif delivery.rows:
                    yield delivery
        finally:
            self._leave(member)

    async def _started(self) -> None:
        """The pump, listening before any subscription reads where it starts."""
        async with self._starting:
            if self._pump is None:
                self._waker = await self.feed.subscribe()
                self._pump = asyncio.get_running_loop().create_task(self._pumping())

    def _leave(self, member: _Member) -> None:
        self.members.discard(member)
        if not self.members:
            # Nobody to hand events to: where the hub stands is forgotten, and read again by the
            # next subscription (a round still running for the leavers hands nothing over).
            self.head = None
            self._epoch += 1

    async def _place(self, member: _Member, after: int | None) -> None:
        if after is not None and self.head is not None:
            member.place(after)
            return
        async with self.session_factory() as session:
            latest = await latest_sequence(session=session)
        if self.head is None:
            self.head = latest
        member.place(latest if after is None else after)

    async def _catch_up(self, member: _Member) -> Delivery:
        """The member's own read up to where the hub stands: a replay, or events it fell behind on."""
        until = self.head
        async with self.session_factory() as session:
            rows = await events_after(
                session=session,
                viewer=member.reader.viewer,
                after=member.covered,
                community_id=member.community_id,
                until=until,
            )
            delivery = Delivery(rows=[])
            if rows:
                (delivery,) = await logged_deliveries(session=session, shares=[(member.reader, rows)])
        member.place(rows[-1].event.sequence if len(rows) == PAGE else until)
        return delivery

    async def _pumping(self) -> None:
        failures = 0
        while True:
            delay = (
                self.feed.poll_seconds
                if not failures
                else min(RETRY_SECONDS * 2 ** (failures - 1), self.feed.poll_seconds)
            )
            await self._waker.wait(delay)  # a NOTIFY, LISTEN back after a loss, or the poll
            self.feed.keep_listening()
            if not self.members:
                self.head = None
                continue
            try:
                more = await self._round()
            except Exception as error:
                # Whatever it was, nothing was handed over: the next try reads it all again.
                failures += 1
                self._report(error)
                continue
            failures = 0
            if more:
                self._waker.wake()

    async def _round(self) -> bool:
        """One wake-up's events to every member level with the hub. True when more was committed
        than one round reads (the next follows at once)."""
        head, epoch = self.head, self._epoch
        if head is None:
            return False
        members = [member for member in self.members if member.level_with(head)]
        self._woken_for_nobody = not members
        if not members:
            return False
        async with self.session_factory() as session:
            latest = await latest_sequence(session=session)
            # At most a page of sequences: at most a page of events per class.
            until = min(latest, head + PAGE)
            if until <= head:
                return False
            found = await read_classes(
                session=session, after=head, until=until, classes={member.seen for member in members}
            )
            shares = [(member, member.own(found.seen_by(member.seen))) for member in members]
            shares = [(member, rows) for member, rows in shares if rows]
            deliveries = []
            if shares:
                readers = [(member.reader, rows) for member, rows in shares]
                deliveries = await logged_deliveries(session=session, shares=readers)
        if epoch != self._epoch:  # everyone left meanwhile
            return False
        given = {member: delivery for (member, _), delivery in zip(shares, deliveries, strict=True)}
        for member in members:
            if member in self.members and member.level_with(head):
                member.give(given.get(member), until)
        self.head = until
        for member in self.members:
            if not member.level_with(until):
                # Not in this round (it caught up with the old head meanwhile, or is still
                # replaying): it reads the rest itself now, not at the next poll.
                member.waiter.wake()
        return latest > until

    def _report(self, error: BaseException) -> None:
        if self.is_outage(error):
            logger.warning(
                "live feed: database unavailable (%r); events wait until they can be read and logged", error
            )
        else:
            logger.error(
                "live feed: a wake-up failed; its events wait until they can be read and logged",
                exc_info=error,
            )

    async def close(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
            await asyncio.gather(self._pump, return_exceptions=True)
            self._pump = None
        if self._waker is not None:
            self.feed.unsubscribe(self._waker)
            self._waker = None
