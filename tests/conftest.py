"""Shared fixtures: a test database built by the migrations, per-test rollback, HTTP and live servers."""

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import event, make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from models.people import Role
from resolvers import people as people_service
from seeds.demo import seed_demo
from server.app import create_app
from server.auth import TokenService
from server.migrate import upgrade
from server.settings import Settings, normalize_database_url

BASE_URL = normalize_database_url(
    os.environ.get("DATABASE_URL", "postgresql+asyncpg://linli:linli@127.0.0.1:5432/linli")
)


def test_database_url() -> str:
    configured = os.environ.get("LINLI_TEST_DATABASE_URL")
    if configured:
        return normalize_database_url(configured)
    url = make_url(BASE_URL)
    return url.set(database=f"{url.database}_test").render_as_string(hide_password=False)


TEST_DATABASE_URL = test_database_url()
DEMO_PHONES = [f"1380000000{n}" for n in range(1, 8)]  # seeds/demo.py: one account per role


def make_settings(**overrides) -> Settings:
    values = {"DATABASE_URL": TEST_DATABASE_URL, "env": "test", **overrides}
    return Settings(**values)


async def recreate_database(url: str) -> None:
    target = make_url(url)
    admin = create_async_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        await connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    await admin.dispose()


@pytest.fixture(scope="session")
async def engine() -> AsyncIterator[AsyncEngine]:
    await recreate_database(TEST_DATABASE_URL)
    await asyncio.to_thread(upgrade, TEST_DATABASE_URL)
    engine = create_async_engine(TEST_DATABASE_URL, pool_size=10, max_overflow=20)
    async with engine.begin() as connection:
        session = AsyncSession(bind=connection)
        await seed_demo(session=session)
        await session.flush()
    yield engine
    await engine.dispose()


@dataclass
class FakeClock:
    """The one clock rules read; tests move it to travel in time."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC))


@pytest.fixture
async def db(engine: AsyncEngine) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A session factory whose every session lives inside one transaction rolled back after the test."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        factory = async_sessionmaker(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield factory
        finally:
            await transaction.rollback()


@pytest.fixture
async def session(db) -> AsyncIterator[AsyncSession]:
    async with db() as session:
        yield session


@pytest.fixture
def settings() -> Settings:
    return make_settings()


async def in_memory(app):
    """An in-process app runs no lifespan, so no LISTEN: as one replica, it trusts its memory of
    revoked tokens (loaded once, kept current by its own revocations), which is what a served
    process does per request. tests/people/test_revocation.py covers LISTEN and its fallback."""
    await app.state.services.revocations.use_memory()
    return app


@pytest.fixture
async def app(engine, db, clock, settings):
    return await in_memory(
        create_app(settings, engine=engine, session_factory=db, clock=clock, configure_logs=False)
    )


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://linli.test"
    ) as client:
        yield client


@pytest.fixture
def client_with(engine, db, clock):
    """`async with client_with(max_depth=3) as client:` — the app with these settings overridden."""

    @contextlib.asynccontextmanager
    async def make(**overrides) -> AsyncIterator[httpx.AsyncClient]:
        app = await in_memory(
            create_app(
                make_settings(**overrides),
                engine=engine,
                session_factory=db,
                clock=clock,
                configure_logs=False,
            )
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://linli.test") as client:
            yield client

    return make


class GraphQLClient:
    """Posts GraphQL to the ASGI app like the mobile app does."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def post(self, query: str, variables: dict | None = None, *, token: str | None = None, **kw):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        headers.update(kw.pop("headers", {}))
        return await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers, **kw
        )

    async def __call__(self, query: str, variables: dict | None = None, *, token: str | None = None) -> dict:
        response = await self.post(query, variables, token=token)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def gql(client) -> GraphQLClient:
    return GraphQLClient(client)


@pytest.fixture
async def demo_tokens(session, settings) -> dict[str, str]:
    """A bearer token for the demo account of each role (committed by the seed: for servers with
    connections of their own, which cannot see a test's uncommitted people)."""
    service = TokenService(settings)
    result = {}
    for phone in DEMO_PHONES:
        person = await people_service.get_person_by_phone(session=session, phone=phone)
        await session.refresh(person, ["roles"])
        result[person.role_names[0]] = service.issue(person)[0]
    return result


@pytest.fixture
async def tokens(session, settings) -> dict[str, str]:
    """A bearer token for one fresh person per role, created inside the test's transaction."""
    service = TokenService(settings)
    result = {}
    for index, role in enumerate(Role):
        person = await people_service.add_user(
            session=session,
            phone=f"1770000{index:04d}",
            name=f"测试{role.value}",
            role=role,
            community_name="南睦未来社区",
        )
        result[role.value] = service.issue(person)[0]
    await session.commit()
    return result


class StatementCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_statements(engine):
    """`with count_statements() as counter:` counts the SQL statements sent meanwhile."""

    @contextlib.contextmanager
    def counting():
        counter = StatementCounter()

        def before(conn, cursor, statement, parameters, context, executemany):
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
                counter.statements.append(statement)

        event.listen(engine.sync_engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", before)

    return counting


LINLI = str(Path(sys.executable).with_name("linli"))


def start_server(port: int, *, database_url: str = TEST_DATABASE_URL) -> subprocess.Popen:
    """`linli serve` in a process of its own on the test database (no jobs): what is deployed."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "LINLI_JOBS_ENABLED": "false",
        "LINLI_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen([LINLI, "serve", "--port", str(port)], env=env)


async def wait_ready(port: int, process: subprocess.Popen | None = None) -> None:
    """Until /readyz says 200 (failing at once if the process died)."""
    async with httpx.AsyncClient() as client:
        for _ in range(600):  # a server's start takes seconds; on a busy two-core machine, tens
            assert process is None or process.poll() is None, f"linli serve exited with {process.returncode}"
            try:
                if (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"server on {port} did not start")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.asynccontextmanager
async def running_server(app) -> AsyncIterator[str]:
    """A real uvicorn server on a free loopback port, in this event loop."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", ws="websockets-sansio"
        )
    )
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.02)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)


@pytest.fixture
async def live_server(engine, settings) -> AsyncIterator[str]:
    """Linli over real sockets, with its own connections that commit (data persists: clean up)."""
    app = create_app(settings, engine=engine, configure_logs=False)
    async with running_server(app) as address:
        yield address
