"""What every resolver finds in `info.context`. The server builds it once per request."""

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from graphql import GraphQLError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.websockets import WebSocket
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from resolvers import access_log, audit
from resolvers import people as people_service
from resolvers.actor import Viewer
from resolvers.clock import system_clock
from resolvers.uncancelled import uncancelled
from schema.errors import UNAVAILABLE_MESSAGE, is_database_unavailable, unavailable_extensions


class SerializedSession:
    """The request's AsyncSession, with its awaited calls taking turns.

    Sibling fields of one request resolve concurrently, but one AsyncSession (one connection)
    must never run two statements at once; the lock makes them queue instead of failing. Over a
    WebSocket (`uncancellable`), a call runs to its end even if the client leaves meanwhile.
    """

    _AWAITED = frozenset(
        {
            "execute",
            "scalar",
            "scalars",
            "get",
            "get_one",
            "flush",
            "commit",
            "rollback",
            "refresh",
            "merge",
            "delete",
            "close",
            "run_sync",
            "connection",
        }
    )

    def __init__(self, session: AsyncSession, *, uncancellable: bool = False) -> None:
        self._session = session
        self._lock = asyncio.Lock()
        self._uncancellable = uncancellable

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._session, name)
        if name not in self._AWAITED:
            return attribute

        async def taking_turns(*args: Any, **kwargs: Any) -> Any:
            async with self._lock:
                return await attribute(*args, **kwargs)

        if not self._uncancellable:
            return taking_turns
        # The turn too is kept to the end: the next call cannot start while this one still runs.
        return lambda *args, **kwargs: uncancelled(taking_turns(*args, **kwargs))


@dataclass
class Context:
    session_factory: async_sessionmaker[AsyncSession]
    viewer: Viewer | None
    request_id: str
    settings: Any
    issue_token: Callable[..., tuple[str, datetime]]
    clock: Callable[[], datetime] = system_clock
    request: Any = None
    response: Any = None
    connection_params: dict[str, Any] | None = None
    operation_name: str | None = None
    loaders: dict[str, Any] = field(default_factory=dict)
    error_codes: list[str] = field(default_factory=list)
    alert_feed: Any = None  # resolvers.eldercare.feed.FeedHub: the process's fan-out of the live feed
    inbox: Any = None  # resolvers.notifications.InboxHub: the process's fan-out of the inboxes
    revocations: Any = None  # server.revocations.Revocations: whether the token still holds
    token_watch: Any = None  # a WebSocket's watch on its token (closes it when revoked or expired)
    client_request_id: str | None = None  # the client's X-Request-ID, for correlation only
    # Elder id → what health data of theirs this request read; written to the access log once.
    health_reads: dict[int, set[str]] = field(default_factory=dict)
    # Child id → what of the child's data this request read; logged the same way.
    child_reads: dict[int, set[str]] = field(default_factory=dict)
    # Case id → what of a case's personal information (its reporter, its photos) this request read.
    case_reads: dict[int, set[str]] = field(default_factory=dict)
    # What this delivery has logged already (a WebSocket operation, a batch of live events):
    # a read noted again before the next delivery is not written twice.
    _logged_health: dict[int, set[str]] = field(default_factory=dict)
    _logged_child: dict[int, set[str]] = field(default_factory=dict)
    _logged_case: dict[int, set[str]] = field(default_factory=dict)
    _session: SerializedSession | None = None
    operations: int = 0  # running on this context (a WebSocket may run several at once)

    @property
    def session(self) -> AsyncSession:
        """One session per request, opened on first use (queries that touch no table open none)."""
        if self._session is None:
            session = self.session_factory()
            # Who acts and in which request, for the audit rows written in this session.
            session.info[audit.REQUEST] = self.request_id
            session.info[audit.ACTOR] = self.viewer.person_id if self.viewer is not None else None
            # A WebSocket's client may leave at any moment, cancelling what its operations await.
            over_websocket = isinstance(self.request, WebSocket)
            self._session = SerializedSession(session, uncancellable=over_websocket)
        return self._session  # type: ignore[return-value]

    def loader(self, factory: Callable[..., Any]) -> Any:
        """This request's DataLoader made by `factory(session=…, viewer=…)`, created on first use."""
        name = factory.__name__
        if name not in self.loaders:
            self.loaders[name] = factory(session=self.session, viewer=self.viewer)
        return self.loaders[name]

    def note_health_read(self, elder_id: int, what: str) -> None:
        self.health_reads.setdefault(elder_id, set()).add(what)

    def note_child_read(self, child_id: int, what: str) -> None:
        self.child_reads.setdefault(child_id, set()).add(what)

    def note_case_read(self, case_id: int, what: str) -> None:
        self.case_reads.setdefault(case_id, set()).add(what)

    def committed(self) -> None:
        """After this request's transaction committed: what it revoked holds here at once (every
        other replica hears it by NOTIFY)."""
        if self._session is None:
            return
        announced = self._session.info.pop(people_service.ANNOUNCED, [])
        if self.revocations is not None:
            for announcement in announced:
                self.revocations.apply(announcement)

    def rolled_back(self) -> None:
        if self._session is not None:
            self._session.info.pop(people_service.ANNOUNCED, None)

    def new_log_window(self) -> None:
        """The next delivery logs its reads afresh, even those an earlier one logged."""
        self._logged_health, self._logged_child, self._logged_case = {}, {}, {}

    def logged_already(self, health: dict[int, set[str]]) -> None:
        """Reads of this delivery that were logged for it elsewhere (the live feed logs a wake-up's
        reads for all its subscribers at once): not written again."""
        _merge(self._logged_health, health)

    async def flush_access_log(self) -> None:
        """PIPL art. 28: who read whose sensitive data (elders' health, children's), when and what —
        one row per person read per delivery, written in one transaction before the answer goes out.
        Raises when the log cannot be written: the caller then withholds the answer (HTTP 503, a
        WebSocket result replaced by SERVICE_UNAVAILABLE, a live-feed batch not sent)."""
        # Taken at once: operations sharing a WebSocket's context may note reads meanwhile.
        pending = (self.health_reads, self.child_reads, self.case_reads)
        self.health_reads, self.child_reads, self.case_reads = {}, {}, {}
        health = _unlogged(pending[0], self._logged_health)
        children = _unlogged(pending[1], self._logged_child)
        cases = _unlogged(pending[2], self._logged_case)
        if self.viewer is None or not (health or children or cases):
            return
        # If this fails the answer that showed these reads is withheld, so they are not owed later.
        await access_log.write_request_reads(
            session_factory=self.session_factory,
            person_id=self.viewer.person_id,
            request_id=self.request_id,
            client_request_id=self.client_request_id,
            logs=(health, children, cases),
        )
        _merge(self._logged_health, health)
        _merge(self._logged_child, children)
        _merge(self._logged_case, cases)

    async def hand_back(self) -> None:
        """Return the session's connection to the pool, keeping what was loaded (a subscription's
        next event in the same delivery may use it; the session takes a connection again if asked)."""
        if self._session is not None and self._session.in_transaction():
            await self._session.close()

    async def release(self) -> None:
        """End the session and forget cached loads: a long-lived subscription must not pin a
        connection (idle in transaction) or serve stale objects between its deliveries."""
        await self.hand_back()  # a session outside a transaction holds no connection
        self._session = None
        self.loaders.clear()

    async def close(self) -> None:
        # The request's session ends first, so the log is written in a transaction of its own.
        await self.release()
        await self.flush_access_log()


def _unlogged(reads: dict[int, set[str]], logged: dict[int, set[str]]) -> dict[int, set[str]]:
    unlogged = {subject: what - logged.get(subject, set()) for subject, what in reads.items()}
    return {subject: what for subject, what in unlogged.items() if what}


def _merge(into: dict[int, set[str]], reads: dict[int, set[str]]) -> None:
    for subject, what in reads.items():
        into.setdefault(subject, set()).update(what)


class GuardDelivery(SchemaExtension):
    """Over the WebSocket, before each answer is sent — a query's one result, each event of a
    subscription: the token must still hold (neither expired nor revoked since the connection
    opened: else nothing is sent and the socket closes with 4403), and what the answer shows of
    elders' health or children is logged, as HTTP logs before it answers (an answer whose reads
    cannot be logged is withheld: SERVICE_UNAVAILABLE)."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        if not isinstance(context, Context):
            yield
            return
        context.new_log_window()  # each operation on a connection logs its own reads
        context.operations += 1
        try:
            yield
        finally:
            context.operations -= 1

    async def on_stream_result(self, result) -> AsyncIterator[None]:
        context = self.execution_context.context
        if isinstance(context, Context):
            # To its end even if the client leaves meanwhile: its reads, its log, its session's close.
            await uncancelled(self._guard(context, result))
        yield

    async def _guard(self, context: Context, result) -> None:
        try:
            refusal = await context.revocations.refusal(context.viewer) if context.revocations else None
        except Exception as error:
            if not is_database_unavailable(error):
                raise
            _withhold(result, context, UNAVAILABLE_MESSAGE, unavailable_extensions(context.request_id))
            return
        if refusal is not None:
            extensions = {"code": "UNAUTHENTICATED", "reason": refusal.reason}
            _withhold(result, context, str(refusal), extensions)
            if context.token_watch is not None:
                context.token_watch.refuse(refusal)
            return
        done = self.execution_context.operation_type is not OperationType.SUBSCRIPTION
        if done and context.operations == 1:
            # A query's answer is complete: its session ends first, as on HTTP, rather than
            # holding a connection for as long as the socket stays open.
            await context.release()
        elif context.operations == 1:
            # A subscription's event is resolved: its connection goes back before the log takes
            # one. Holding one while waiting for another, many subscribers woken at once would
            # hold the whole pool and wait for it (idle in transaction) until the pool times out.
            await context.hand_back()
        try:
            await context.flush_access_log()
        except Exception as error:
            if not is_database_unavailable(error):
                raise
            _withhold(result, context, UNAVAILABLE_MESSAGE, unavailable_extensions(context.request_id))


def _withhold(result, context: Context, message: str, extensions: dict) -> None:
    """The answer goes out as this one error instead; what it would have shown was not read."""
    result.data = None
    result.errors = [GraphQLError(message, extensions=extensions)]
    context.health_reads, context.child_reads, context.case_reads = {}, {}, {}
