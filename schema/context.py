"""What every resolver finds in `info.context`. The server builds it once per request."""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from resolvers import access_log
from resolvers.actor import Viewer


def system_clock() -> datetime:
    return datetime.now(UTC)


class SerializedSession:
    """The request's AsyncSession, with its awaited calls taking turns.

    Sibling fields of one request resolve concurrently, but one AsyncSession (one connection)
    must never run two statements at once; the lock makes them queue instead of failing.
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

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._lock = asyncio.Lock()

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._session, name)
        if name not in self._AWAITED:
            return attribute

        async def taking_turns(*args: Any, **kwargs: Any) -> Any:
            async with self._lock:
                return await attribute(*args, **kwargs)

        return taking_turns


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
    alert_feed: Any = None
    # Elder id → what health data of theirs this request read; written to the access log once.
    health_reads: dict[int, set[str]] = field(default_factory=dict)
    # Child id → what of the child's data this request read; logged the same way.
    child_reads: dict[int, set[str]] = field(default_factory=dict)
    _session: SerializedSession | None = None

    @property
    def session(self) -> AsyncSession:
        """One session per request, opened on first use (queries that touch no table open none)."""
        if self._session is None:
            self._session = SerializedSession(self.session_factory())
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

    def forget_reads(self, logged: dict[int, set[str]]) -> None:
        """Drops reads already written to the log, so the next flush writes only the rest."""
        for elder_id, what in logged.items():
            left = self.health_reads.get(elder_id, set()) - what
            if left:
                self.health_reads[elder_id] = left
            else:
                self.health_reads.pop(elder_id, None)

    async def flush_access_log(self) -> None:
        """PIPL art. 28: who read whose sensitive data (elders' health, children's), when and what —
        one row per person read per request, written in one transaction."""
        if self.viewer is None or not (self.health_reads or self.child_reads):
            return
        async with self.session_factory() as session:
            for log, reads in (
                (access_log.HEALTH, self.health_reads),
                (access_log.CHILDREN, self.child_reads),
            ):
                await access_log.write_reads(
                    session=session,
                    log=log,
                    person_id=self.viewer.person_id,
                    request_id=self.request_id,
                    reads=reads,
                )
            await session.commit()
        self.health_reads, self.child_reads = {}, {}

    async def release(self) -> None:
        """End the session and forget cached loads: a long-lived subscription must not pin a
        connection (idle in transaction) or serve stale objects between its deliveries."""
        if self._session is not None:
            await self._session.close()
            self._session = None
        self.loaders.clear()

    async def close(self) -> None:
        # The request's session ends first, so the log is written in a transaction of its own.
        await self.release()
        await self.flush_access_log()
