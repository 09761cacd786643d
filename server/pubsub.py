"""The live alert feed: one LISTEN connection per process, waking this process's subscribers.

Each subscriber then reads the events after the last sequence it delivered, filtered in SQL to
what its viewer may see, so a wake-up can never deliver another community's alert, and a missed
or merged NOTIFY loses nothing (a slow poll covers even a dropped LISTEN connection).
"""

import asyncio
import contextlib
import logging

import asyncpg

from resolvers.eldercare import EVENT_CHANNEL

logger = logging.getLogger("linli.pubsub")


class Subscriber:
    def __init__(self) -> None:
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def wait(self, poll_seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(poll_seconds):
                await self._wake.wait()
        self._wake.clear()


class AlertFeed:
    def __init__(self, database_url: str, poll_seconds: float = 10.0) -> None:
        self.dsn = database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
        self.poll_seconds = poll_seconds
        self.subscribers: set[Subscriber] = set()
        self._connection: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()

    async def _listen(self) -> None:
        async with self._lock:
            if self._connection is not None and not self._connection.is_closed():
                return
            try:
                self._connection = await asyncpg.connect(self.dsn, timeout=5)
                await self._connection.add_listener(EVENT_CHANNEL, self._notified)
                self._connection.add_termination_listener(self._terminated)
            except (OSError, asyncpg.PostgresError) as error:
                logger.warning(
                    "LISTEN %s failed (%s); subscribers poll until it is back", EVENT_CHANNEL, error
                )
                self._connection = None

    def _notified(self, connection, pid, channel, payload) -> None:
        for subscriber in list(self.subscribers):
            subscriber.wake()

    def _terminated(self, connection) -> None:
        logger.warning("LISTEN connection lost; it is reopened on the next subscription or poll")
        self._connection = None

    async def subscribe(self) -> Subscriber:
        await self._listen()
        subscriber = Subscriber()
        self.subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)

    async def wait(self, subscriber: Subscriber) -> None:
        await subscriber.wait(self.poll_seconds)
        if self._connection is None or self._connection.is_closed():
            await self._listen()

    async def close(self) -> None:
        if self._connection is not None and not self._connection.is_closed():
            self._connection.remove_termination_listener(self._terminated)
            await self._connection.close()
