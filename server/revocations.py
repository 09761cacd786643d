"""Which tokens no longer hold, known to every replica within milliseconds and without a database
read per request.

Each process LISTENs on the revocation channel (the revoking transaction NOTIFYs it on commit) and
keeps in memory the revoked sessions, each person's not-before instant and the disabled people,
loaded once when it starts listening and again whenever the LISTEN connection comes back (what
was announced meanwhile reached no one). While it is not listening — not started (the tests' apps,
which run no lifespan), or the connection lost — every check reads the database instead: never
a stale answer.

A replica also applies what its own requests revoked as soon as they commit (Context.committed),
without waiting for the NOTIFY to come back. An app whose lifespan does not run (the tests'
in-process apps) may be told to trust its memory (`use_memory`): loaded once, then kept current
by its own revocations alone — what a single replica needs, and what production does per request.

Open WebSockets are watched: when their token is revoked, or expires, the socket is closed with
4403 at once, whether or not anything was about to be delivered.
"""

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from resolvers import people as people_service
from resolvers.actor import Viewer
from server.auth import InvalidToken, expired, revoked

logger = logging.getLogger("linli.revocations")

APPLICATION_NAME = "linli-revocations"

Close = Callable[[InvalidToken], Awaitable[None]]


class Watch:
    """One open WebSocket's token: closed (once) when the token is revoked or expires."""

    def __init__(self, registry: "Revocations", viewer: Viewer, close: Close) -> None:
        self.registry, self.viewer, self._close = registry, viewer, close
        self._timer: asyncio.TimerHandle | None = None
        self._closing: asyncio.Task | None = None
        if viewer.expires_at is not None:
            delay = max(viewer.expires_at - time.time(), 0)
            self._timer = asyncio.get_running_loop().call_later(delay, self.refuse, expired())

    def refuse(self, error: InvalidToken) -> None:
        if self._closing is None:
            self._closing = asyncio.get_running_loop().create_task(self._close(error))
        self.cancel()

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.registry.watches.get(self.viewer.person_id, set()).discard(self)


class Revocations:
    def __init__(
        self,
        database_url: str,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        horizon: timedelta,
        retry_seconds: float = 0.5,
        reload_seconds: float = 3600.0,
    ) -> None:
        self.dsn = database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
        self.session_factory = session_factory
        self.horizon = horizon  # the longest a token lives: older revocations need not be kept
        self.retry_seconds = retry_seconds
        self.reload_seconds = reload_seconds  # reloading also forgets revocations past the horizon
        self.revoked_sessions: set[int] = set()
        self.not_before: dict[int, float] = {}
        self.disabled: set[int] = set()
        self.watches: dict[int, set[Watch]] = {}
        self._connection: asyncpg.Connection | None = None
        self._loaded = False
        self._closed = False
        self._reconnecting: asyncio.Task | None = None
        self._reloading: asyncio.Task | None = None
        self._heard_while_loading: list[dict] | None = None
        self._memory_only = False

    @property
    def listening(self) -> bool:
        """Listening, and loaded since the connection opened."""
        return self._loaded and self._connection is not None and not self._connection.is_closed()

    @property
    def trusted(self) -> bool:
        """Whether the memory can answer (else every check reads the database)."""
        return self.listening or (self._memory_only and self._loaded)

    async def use_memory(self) -> None:
        """One replica without LISTEN: load once, then trust memory and this replica's own revocations."""
        await self._load()
        self._memory_only = True

    # ── Checking a token ────────────────────────────────────────────────────

    async def check(self, viewer: Viewer | None) -> None:
        """Raises InvalidToken (with its reason) when the viewer's token no longer holds."""
        refusal = await self.refusal(viewer)
        if refusal is not None:
            raise refusal

    async def refusal(self, viewer: Viewer | None) -> InvalidToken | None:
        """Why the viewer's token no longer holds, or None (also for no viewer at all)."""
        if viewer is None:
            return None
        if self.trusted:
            refusal = self._refusal(
                viewer,
                disabled=viewer.person_id in self.disabled,
                not_before=self.not_before.get(viewer.person_id),
                session_revoked=viewer.session_id in self.revoked_sessions,
            )
        else:
            async with self.session_factory() as session:
                standing = await people_service.standing_of(
                    session=session, person_id=viewer.person_id, session_id=viewer.session_id
                )
            refusal = self._refusal(
                viewer,
                disabled=standing.disabled,
                not_before=standing.not_before,
                session_revoked=standing.session_revoked,
            )
        return refusal

    @staticmethod
    def _refusal(
        viewer: Viewer, *, disabled: bool, not_before: float | None, session_revoked: bool
    ) -> InvalidToken | None:
        if disabled:
            return revoked("账号已停用")
        if session_revoked:
            return revoked()
        if viewer.expires_at is not None and viewer.expires_at <= time.time():
            return expired()
        if not_before is not None and (viewer.issued_at is None or viewer.issued_at <= not_before):
            # Rights changed since the token was issued: a refresh gets a token with the new ones.
            return expired("权限已变更，请刷新登录状态")
        return None

    def watch(self, viewer: Viewer, close: Close) -> Watch:
        watch = Watch(self, viewer, close)
        self.watches.setdefault(viewer.person_id, set()).add(watch)
        return watch

    # ── Hearing of revocations ─────────────────────────────────────────────

    def apply(self, announcement: dict) -> None:
        """What a revoking transaction announced (resolvers.people.sessions.announce)."""
        sessions = {int(pk) for pk in announcement.get("sessions") or ()}
        self.revoked_sessions |= sessions
        person = announcement.get("person")
        if person is not None:
            person = int(person)
            if announcement.get("not_before") is not None:
                self.not_before[person] = float(announcement["not_before"])
            if announcement.get("disabled"):
                self.disabled.add(person)
            else:
                self.disabled.discard(person)
        for watches in list(self.watches.values()):
            for watch in list(watches):
                error = self._refusal(
                    watch.viewer,
                    disabled=watch.viewer.person_id in self.disabled,
                    not_before=self.not_before.get(watch.viewer.person_id),
                    session_revoked=watch.viewer.session_id in self.revoked_sessions,
                )
                if error is not None:
                    watch.refuse(error)

    def _notified(self, connection, pid, channel, payload: str) -> None:
        try:
            announcement = json.loads(payload)
            if self._heard_while_loading is not None:
                self._heard_while_loading.append(announcement)  # applied over the snapshot
            self.apply(announcement)
        except (ValueError, TypeError, AttributeError) as error:  # the next reload corrects it
            logger.warning("unreadable revocation %r: %s", payload, error)

    # ── The LISTEN connection ──────────────────────────────────────────────

    async def start(self) -> None:
        """Listen, then load (in that order: nothing can fall between); on failure keep trying."""
        if not await self._listen():
            self._keep_trying()
        self._reloading = asyncio.get_running_loop().create_task(self._reload_now_and_then())

    async def _reload_now_and_then(self) -> None:
        while not self._closed:
            await asyncio.sleep(self.reload_seconds)
            if self.listening:
                with contextlib.suppress(Exception):  # a failed reload keeps what is known
                    await self._load()

    async def _listen(self, *, quiet: bool = False) -> bool:
        connection = None
        try:
            connection = await asyncpg.connect(
                self.dsn, timeout=5, server_settings={"application_name": APPLICATION_NAME}
            )
            await connection.add_listener(people_service.REVOCATION_CHANNEL, self._notified)
            self._loaded = False
            self._connection = connection
            connection.add_termination_listener(self._terminated)
            await self._load()
        except Exception as error:  # whatever the cause: not listening, so checks read the database
            if connection is not None and connection is self._connection:
                self._connection = None
            if connection is not None:
                connection.terminate()
            log = logger.debug if quiet else logger.warning
            log("revocation LISTEN failed (%s); tokens are checked in the database", error)
            return False
        return True

    async def _load(self) -> None:
        self._heard_while_loading = []
        try:
            async with self.session_factory() as session:
                state = await people_service.revocation_state(
                    session=session, now=datetime.now(UTC), horizon=self.horizon
                )
            self.revoked_sessions = state.revoked_sessions
            self.not_before = state.not_before
            self.disabled = state.disabled
            for announcement in self._heard_while_loading:  # may be newer than the snapshot
                self.apply(announcement)
        finally:
            self._heard_while_loading = None
        self._loaded = True

    def _terminated(self, connection) -> None:
        if connection is not self._connection:
            return
        self._connection, self._loaded = None, False
        if not self._closed:
            logger.warning("revocation LISTEN lost; tokens are checked in the database until it is back")
            self._keep_trying()

    def _keep_trying(self) -> None:
        if self._closed or (self._reconnecting is not None and not self._reconnecting.done()):
            return
        self._reconnecting = asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self) -> None:
        attempts = 0
        while not self._closed:
            await asyncio.sleep(self.retry_seconds)
            attempts += 1
            if await self._listen(quiet=attempts > 1):
                logger.info("revocation LISTEN is back")
                return

    async def close(self) -> None:
        self._closed = True
        for task in (self._reconnecting, self._reloading):
            if task is not None:
                task.cancel()
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            connection.remove_termination_listener(self._terminated)
            with contextlib.suppress(Exception):
                await connection.close()
