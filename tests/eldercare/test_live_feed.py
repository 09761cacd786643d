"""The live alert feed across two server processes sharing one database, and replay after a reconnect."""

import asyncio
import json
import time
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from websockets.asyncio.client import connect

from models.eldercare import CareAlert, CareAlertEvent, Device, Elder, HealthAccessLog, Reading
from models.people import Community, Person, Role
from resolvers import people as people_service
from server.auth import TokenService
from tests.conftest import free_port, start_server, wait_ready
from tests.eldercare.conftest import RECORD

EVENTS = """subscription($after: Int) { careAlertEvents(afterSequence: $after) {
  sequence type at alert { kind severity count elder { name } } } }"""


@pytest.fixture
async def two_servers():
    ports = [free_port(), free_port()]
    processes = [start_server(port) for port in ports]
    try:
        await asyncio.gather(*(wait_ready(port) for port in ports))
        yield ports
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)


@pytest.fixture
async def world(engine, settings):
    """Committed: an elder with a wristband in 永福社区, its care staff, a gateway (cleaned up after)."""
    service = TokenService(settings)
    async with engine.begin() as connection:
        session = AsyncSession(bind=connection)
        community = await session.scalar(select(Community.id).where(Community.name == "永福社区"))
        elder = Elder(name="周阿婆", birth_date=date(1940, 1, 1), community_id=community)
        session.add(elder)
        await session.flush()
        session.add(Device(serial="LIVE-WB-1", kind="WRISTBAND", elder_id=elder.id))
        staff = await people_service.add_user(
            session=session,
            phone="13522220001",
            name="永福护理员",
            role=Role.CARE_STAFF,
            community_name="永福社区",
        )
        gateway = await people_service.add_user(
            session=session, phone="13522220002", name="测试网关", role=Role.DEVICE_GATEWAY
        )
        tokens = {"staff": service.issue(staff)[0], "gateway": service.issue(gateway)[0]}
        ids = (elder.id, staff.id, gateway.id)
    yield tokens
    elder_id, *people = ids
    async with engine.begin() as connection:
        alerts = select(CareAlert.id).where(CareAlert.elder_id == elder_id)
        await connection.execute(delete(CareAlertEvent).where(CareAlertEvent.alert_id.in_(alerts)))
        await connection.execute(delete(CareAlert).where(CareAlert.elder_id == elder_id))
        await connection.execute(delete(Reading).where(Reading.elder_id == elder_id))
        await connection.execute(delete(HealthAccessLog).where(HealthAccessLog.elder_id == elder_id))
        await connection.execute(delete(Device).where(Device.elder_id == elder_id))
        await connection.execute(delete(Elder).where(Elder.id == elder_id))
        await connection.execute(delete(Person).where(Person.id.in_(people)))


async def post_reading(port: int, token: str, kind: str, value: float, seconds_ago: int) -> None:
    measured = (datetime.now(UTC) - timedelta(seconds=seconds_ago)).isoformat()
    variables = {"r": [{"deviceId": "LIVE-WB-1", "kind": kind, "value": value, "measuredAt": measured}]}
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"http://127.0.0.1:{port}/graphql",
            json={"query": RECORD, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.json()["data"]["readingsRecord"]["accepted"] == 1, response.text


class Feed:
    def __init__(self, socket) -> None:
        self.socket = socket

    @classmethod
    async def open(cls, port: int, token: str, after: int | None = None) -> "Feed":
        socket = await connect(f"ws://127.0.0.1:{port}/graphql", subprotocols=["graphql-transport-ws"])
        await socket.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        )
        assert json.loads(await socket.recv())["type"] == "connection_ack"
        await socket.send(
            json.dumps(
                {"id": "1", "type": "subscribe", "payload": {"query": EVENTS, "variables": {"after": after}}}
            )
        )
        return cls(socket)

    async def next(self, within: float) -> dict:
        message = json.loads(await asyncio.wait_for(self.socket.recv(), within))
        assert message["type"] == "next", message
        return message["payload"]["data"]["careAlertEvents"]

    async def nothing_more(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self.socket.recv(), seconds)
        except TimeoutError:
            return True
        return False


async def test_a_reading_posted_to_one_server_reaches_a_subscriber_on_the_other(two_servers, world):
    first, second = two_servers
    feed = await Feed.open(first, world["staff"])
    await asyncio.sleep(0.3)  # the subscription is registered

    started = time.perf_counter()
    await post_reading(second, world["gateway"], "HEART_RATE", 150, seconds_ago=30)
    opened = await feed.next(within=2)
    delay = time.perf_counter() - started
    print(f"\ncross-server delivery: {delay * 1000:.0f} ms")
    assert opened["type"] == "OPENED" and opened["alert"]["severity"] == "CRITICAL"
    assert opened["alert"]["elder"]["name"] == "周阿婆"
    await feed.socket.close()

    # While the subscriber is away, two more changes happen on the other server.
    await post_reading(second, world["gateway"], "HEART_RATE", 155, seconds_ago=20)
    await post_reading(second, world["gateway"], "SPO2", 93, seconds_ago=10)

    again = await Feed.open(first, world["staff"], after=opened["sequence"])
    missed = [await again.next(within=2), await again.next(within=2)]
    print(f"replayed after {opened['sequence']}: {[(e['sequence'], e['type']) for e in missed]}")

    assert [event["type"] for event in missed] == ["UPDATED", "OPENED"]
    assert missed[0]["alert"]["count"] == 2 and missed[1]["alert"]["kind"] == "VITAL_OUT_OF_RANGE"
    assert opened["sequence"] < missed[0]["sequence"] < missed[1]["sequence"]
    assert await again.nothing_more(1.0), "an event was delivered twice"
    await again.socket.close()


async def test_staff_of_another_community_do_not_receive_the_alert(two_servers, world, tokens, engine):
    first, second = two_servers
    feed = await Feed.open(first, tokens["CARE_STAFF"])  # staff of 南睦: the token alone says so
    # The positive control, on the same server: 永福's staff do receive it, so the silence above
    # is the filter's doing, not a feed that delivers nothing.
    control = await Feed.open(first, world["staff"])
    await asyncio.sleep(0.3)
    await post_reading(second, world["gateway"], "HEART_RATE", 150, seconds_ago=5)

    received = await control.next(within=2)
    assert received["type"] == "OPENED" and received["alert"]["elder"]["name"] == "周阿婆"
    assert await feed.nothing_more(1.5)
    await feed.socket.close()
    await control.socket.close()
    async with engine.connect() as connection:
        assert (
            await connection.scalar(
                text(
                    "SELECT count(*) FROM care_alerts a JOIN elders e ON e.id = a.elder_id "
                    "WHERE e.name = '周阿婆'"
                )
            )
            == 1
        )
