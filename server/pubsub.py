"""The live feeds' wake-ups: one LISTEN connection per process, on two channels: care-alert events
wake the process's fan-out of the alert feed (resolvers.eldercare.feed.FeedHub), notifications the
fan-out of the inboxes (resolvers.notifications.InboxHub). The alert feed reads each wake-up's
events once per visibility class for all its subscribers. Reads are filtered in SQL to what each
class may see, so a wake-up can never deliver another community's alert, and a missed or merged
NOTIFY loses nothing (a slow poll covers even a dropped LISTEN connection).

When the LISTEN connection is lost (the database restarted, a failover), it is reopened in the
background every `retry_seconds` until it is back, and then the fan-out is woken: the NOTIFYs sent
meanwhile reached no one, so what was committed since its last read is read at once rather than at
the next poll.
"""

import asyncio
import logging

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from resolvers.eldercare import EVENT_CHANNEL
from resolvers.eldercare.feed import FeedHub, Subscriber
from resolvers.notifications import NOTIFICATION_CHANNEL, InboxHub
from schema.errors import is_database_unavailable

__all__ = ["APPLICATION_NAME", "AlertFeed", "Subscriber"]

logger = logging.getLogger("linli.pubsub")

# Shown in pg_stat_activity, so operators can tell this connection from the pool's.
APPLICATION_NAME = "linli-listen"


class AlertFeed:
    def __init__(self, database_url: str, poll_seconds: float = 10.0, retry_seconds: float = 0.5) -> None:
        self.dsn = database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
        self.poll_seconds = poll_seconds
        self.retry_seconds = retry_seconds
        self.subscribers: dict[str, set[Subscriber]] = {EVENT_CHANNEL: set(), NOTIFICATION_CHANNEL: set()}
        self._connection: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()
        self._reconnecting: asyncio.Task | None = None
        self._closed = False
        self._hub: FeedHub | None = None
        self._inbox: InboxHub | None = None

    def fan_out(self, session_factory: async_sessionmaker[AsyncSession]) -> FeedHub:
        """The process's fan-out of the feed, woken by this LISTEN connection (made on first use)."""
        if self._hub is None:
            self._hub = FeedHub(feed=self, session_factory=session_factory, is_outage=is_database_unavailable)
        return self._hub

    def inbox(self, session_factory: async_sessionmaker[AsyncSession]) -> InboxHub:
        """The process's fan-out of the inboxes, woken by the same LISTEN connection."""
        if self._inbox is None:
            self._inbox = InboxHub(
                feed=self, session_factory=session_factory, is_outage=is_database_unavailable
            )
        return self._inbox

    @property
    def listening(self) -> bool:
        return self._connection is not None and not self._connection.is_closed()

    async def _listen(self, *, quiet: bool = False) -> bool:
        """Open the LISTEN connection unless it is open; False when the database cannot be reached."""
        async with self._lock:
            if self.listening:
                return True
            connection = None
            try:
                connection = await asyncpg.connect(
                    self.dsn, timeout=5, server_settings={"application_name": APPLICATION_NAME}
                )
                for channel in self.subscribers:
                    await connection.add_listener(channel, self._notified)
            except Exception as error:  # whatever the cause, not listening: the slow poll still serves
                if connection is not None:
                    connection.terminate()
                log = logger.debug if quiet else logger.warning
                log("LISTEN failed (%s); subscribers poll until it is back", error)
                return False
            connection.add_termination_listener(self._terminated)
            self._connection = connection
            return True

    def _notified(self, connection, pid, channel, payload) -> None:
        for subscriber in list(self.subscribers.get(channel, ())):
            subscriber.wake()

    def _wake_all(self) -> None:
        for subscriber in [subscriber for waiting in self.subscribers.values() for subscriber in waiting]:
            subscriber.wake()

    def _terminated(self, connection) -> None:
        if connection is not self._connection:  # an earlier connection, already replaced
            return
        self._connection = None
        if not self._closed:
            logger.warning("LISTEN connection lost; reopening it every %.1f s", self.retry_seconds)
            self._keep_trying()

    def _keep_trying(self) -> None:
        """Reopen LISTEN in the background until it is back (one task at a time)."""
        if self._closed or (self._reconnecting is not None and not self._reconnecting.done()):
            return
        self._reconnecting = asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self) -> None:
        attempts = 0
        # With no subscriber left there is no one to wake: the next subscription reopens it.
        while not self._closed and any(self.subscribers.values()):
            attempts += 1
            if await self._listen(quiet=attempts > 1):
                logger.info("LISTEN is back (attempt %d)", attempts)
                self._wake_all()  # what was committed meanwhile was announced to no one
                return
            await asyncio.sleep(self.retry_seconds)

    async def subscribe(self, channel: str = EVENT_CHANNEL) -> Subscriber:
        listening = await self._listen()
        subscriber = Subscriber()
        self.subscribers[channel].add(subscriber)
        if not listening:
            self._keep_trying()
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        for waiting in self.subscribers.values():
            waiting.discard(subscriber)

    async def wait(self, subscriber: Subscriber) -> None:
        """Until the subscriber is woken, or the poll comes due."""
        await subscriber.wait(self.poll_seconds)
        self.keep_listening()

    def keep_listening(self) -> None:
        if not self.listening:
            self._keep_trying()

    async def close(self) -> None:
        for hub in (self._hub, self._inbox):
            if hub is not None:
                await hub.close()
        self._closed = True
        if self._reconnecting is not None:
            self._reconnecting.cancel()
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            connection.remove_termination_listener(self._terminated)
            await connection.close()
