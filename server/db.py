"""The engine and the session factory."""

import time

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.util.concurrency import await_

from server.settings import Settings

# A connection back in the pool for less than this is taken as alive without asking the server.
PING_AFTER_IDLE_SECONDS = 1.0


def create_engine(settings: Settings) -> AsyncEngine:
    engine = create_async_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
        connect_args={
            "timeout": settings.db_connect_timeout_seconds,
            "command_timeout": settings.command_timeout_seconds,
            "server_settings": {
                "statement_timeout": str(settings.db_statement_timeout_ms),
                "application_name": "linli",
                "timezone": "UTC",
            },
        },
    )
    ping_idle_connections(engine)
    return engine


def ping_idle_connections(engine: AsyncEngine) -> None:
    """Pessimistic disconnect handling, only where it can matter: a connection that sat idle in
    the pool (a second or more) is asked `;` before it is handed out, and a dead one is replaced
    (the pool retries the checkout). SQLAlchemy's own pre-ping asks on every checkout, inside a
    BEGIN … ROLLBACK (for PgBouncer): three round trips on every request, on two cores more than
    many a query costs. A connection returned moments ago is alive or, if the server just went, the
    request fails over to 503 and the pool is invalidated as a whole (SQLAlchemy does that on a
    disconnect error), so the next requests connect afresh."""

    @event.listens_for(engine.sync_engine, "checkin")
    def returned(_dbapi_connection, record) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def handed_out(dbapi_connection, record, _proxy) -> None:
        returned_at = record.info.get("returned_at")
        if returned_at is None or time.monotonic() - returned_at < PING_AFTER_IDLE_SECONDS:
            return  # new (it just connected), or back moments ago
        try:
            await_(dbapi_connection.driver_connection.fetchrow(";"))
        except Exception as error:
            raise DisconnectionError(f"an idle connection no longer answers: {error!r}") from error


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
