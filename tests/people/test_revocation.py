"""Revocation across replicas: each process LISTENs and keeps what was revoked in memory, so a
token ended on one replica is refused by another within a second and without a database read per
request; while a replica is not listening, it reads the database for every check (#14)."""

import asyncio
import json
import time

import httpx
import pytest
from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from models.people import AuthSession, Person, Role
from resolvers import people as people_service
from schema.common import encode_global_id
from seeds.demo import DEMO_PASSWORD
from server.app import create_app
from tests.conftest import free_port, make_settings, start_server, wait_ready

PHONE = "13577770001"
LOGIN = """mutation($p: String!, $w: String!) { login(phone: $p, password: $w) {
  ... on LoginSuccess { token } } }"""
LOGOUT = "mutation { logout { sessionsEnded } }"
ME = "{ me { name } }"


@pytest.fixture
async def person(engine):
    """Committed, so that replicas with connections of their own see it (removed after)."""
    async with engine.begin() as connection:
        session = AsyncSession(bind=connection)
        made = await people_service.add_user(
            session=session, phone=PHONE, name="复制测试", role=Role.RESIDENT, password=DEMO_PASSWORD
        )
        person_id = made.id
    yield person_id
    async with engine.begin() as connection:
        await connection.execute(delete(AuthSession).where(AuthSession.person_id == person_id))
        await connection.execute(delete(Person).where(Person.id == person_id))


@pytest.fixture
async def replicas(engine):
    """Two apps on the test database, each started as `linli serve` starts it (LISTEN)."""
    apps = [create_app(make_settings(), engine=engine, configure_logs=False) for _ in range(2)]
    for app in apps:
        await app.state.services.revocations.start()
    clients = [
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://linli.test")
        for app in apps
    ]
    yield apps, clients
    for client in clients:
        await client.aclose()
    for app in apps:
        await app.state.services.revocations.close()


async def ask(client, query: str, token: str | None = None, **variables):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)


async def refused_within(client, token: str, seconds: float) -> float | None:
    """How long until the token is refused (None if it never was within `seconds`)."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if (await ask(client, ME, token)).status_code == 401:
            return time.monotonic() - started
        await asyncio.sleep(0.01)
    return None


async def test_a_logout_on_one_replica_is_refused_by_the_other_within_a_second(
    replicas, person, count_statements
):
    (a, b), (on_a, on_b) = replicas
    token = (await ask(on_a, LOGIN, p=PHONE, w=DEMO_PASSWORD)).json()["data"]["login"]["token"]
    assert (await ask(on_b, ME, token)).json()["data"]["me"] == {"name": "复制测试"}
    assert a.state.services.revocations.listening and b.state.services.revocations.listening

    await ask(on_a, LOGOUT, token)
    took = await refused_within(on_b, token, 1.0)
    with count_statements() as counter:
        refused = await ask(on_b, ME, token)

    assert took is not None and took < 1.0, "the other replica refused it within a second"
    assert refused.json()["errors"][0]["extensions"]["reason"] == "SESSION_REVOKED"
    assert counter.count == 0, f"refused from memory, without reading the database: {counter.statements}"


async def test_a_replica_that_stops_listening_reads_the_database_until_it_listens_again(
    replicas, person, engine
):
    (_, b), (on_a, on_b) = replicas
    token = (await ask(on_a, LOGIN, p=PHONE, w=DEMO_PASSWORD)).json()["data"]["login"]["token"]
    registry = b.state.services.revocations
    registry.retry_seconds = 0.2

    # When B's LISTEN connection is cut, and A revokes meanwhile (B hears nothing of it)
    async with engine.connect() as connection:
        await connection.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :name"),
            {"name": "linli-revocations"},
        )
    for _ in range(100):
        if not registry.listening:
            break
        await asyncio.sleep(0.01)
    assert not registry.listening
    await ask(on_a, LOGOUT, token)

    # Then B still refuses the token: it asks the database while it cannot trust its memory
    refused = await ask(on_b, ME, token)
    for _ in range(100):
        if registry.listening:
            break
        await asyncio.sleep(0.05)

    assert refused.status_code == 401
    assert registry.listening, "LISTEN came back by itself"
    assert (await ask(on_b, ME, token)).status_code == 401, "and the reload knows what it missed"
    async with engine.connect() as connection:
        revoked = await connection.scalar(
            select(AuthSession.revoked_reason).where(AuthSession.person_id == person)
        )
    assert revoked == "LOGGED_OUT"


# ── Two `linli serve` processes: the acceptance test ────────────────────

WORKER, OFFICE = "13577770002", "13577770003"
ALERTS = "{ careAlerts(first: 5) { totalCount } }"
EVENTS = "subscription { careAlertEvents { sequence } }"
REVOKE_ROLE = """mutation($id: ID!) { roleRevoke(personId: $id, role: CARE_STAFF) { __typename
  ... on DomainError { code } } }"""


@pytest.fixture
async def care_worker_and_admin(engine):
    """Committed: a care worker of 永福社区 and an ADMIN, both with passwords (removed after)."""
    async with engine.begin() as connection:
        session = AsyncSession(bind=connection)
        worker = await people_service.add_user(
            session=session,
            phone=WORKER,
            name="永福护理员",
            role=Role.CARE_STAFF,
            community_name="永福社区",
            password=DEMO_PASSWORD,
        )
        admin = await people_service.add_user(
            session=session, phone=OFFICE, name="复制管理员", role=Role.ADMIN, password=DEMO_PASSWORD
        )
        ids = [worker.id, admin.id]
    yield ids[0]
    async with engine.begin() as connection:
        await connection.execute(delete(AuthSession).where(AuthSession.person_id.in_(ids)))
        await connection.execute(delete(Person).where(Person.id.in_(ids)))


@pytest.fixture
async def two_servers():
    ports = [free_port(), free_port()]
    processes = [start_server(port) for port in ports]
    try:
        await asyncio.gather(
            *(wait_ready(port, process) for port, process in zip(ports, processes, strict=True))
        )
        yield ports
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)


async def test_a_role_revoked_on_one_replica_ends_the_workers_access_on_both_within_a_second(
    two_servers, care_worker_and_admin
):
    port_a, port_b = two_servers
    on_a = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port_a}")
    on_b = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port_b}")
    async with on_a, on_b:
        # Given a care worker subscribed on replica A and querying on replica B
        worker = (await ask(on_a, LOGIN, p=WORKER, w=DEMO_PASSWORD)).json()["data"]["login"]["token"]
        admin = (await ask(on_b, LOGIN, p=OFFICE, w=DEMO_PASSWORD)).json()["data"]["login"]["token"]
        assert "errors" not in (await ask(on_b, ALERTS, worker)).json()
        socket = await connect(f"ws://127.0.0.1:{port_a}/graphql", subprotocols=["graphql-transport-ws"])
        async with socket:
            await socket.send(
                json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {worker}"}})
            )
            assert json.loads(await socket.recv())["type"] == "connection_ack"
            await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": EVENTS}}))
            closed = asyncio.create_task(close_code(socket))

            # When the admin revokes CARE_STAFF on replica B
            person = encode_global_id("Person", care_worker_and_admin)
            revoked_at = time.monotonic()
            revoked = (await ask(on_b, REVOKE_ROLE, admin, id=person)).json()["data"]["roleRevoke"]
            on_b_after = await refused_within(on_b, worker, 1.0)
            on_a_after = await refused_within(on_a, worker, 1.0)
            code, closed_at = await asyncio.wait_for(closed, 5)

    # Then within a second the next query on B and on A is refused and the subscription on A closed
    took = {
        "query on B refused": on_b_after,
        "query on A refused": on_a_after,
        "subscription on A closed": closed_at - revoked_at,
    }
    print(
        "\nrevocation across replicas:",
        ", ".join(f"{what} after {seconds * 1000:.0f} ms" for what, seconds in took.items()),
    )
    assert revoked["__typename"] == "Person"
    assert on_b_after is not None and on_b_after < 1.0
    assert on_a_after is not None and on_a_after < 1.0
    assert code == 4403 and closed_at - revoked_at < 1.0


async def close_code(socket) -> tuple[int, float]:
    try:
        while True:
            await socket.recv()
    except ConnectionClosed as closed:
        return closed.rcvd.code, time.monotonic()
