"""SIGTERM while mutations are in flight: they finish with a full answer and commit, the server takes
no new connections, and `linli serve` exits 0 once it has drained.

The mutations are held inside the database by row locks this test takes on its own connection (the
residents' person rows, which reservationCreate locks first; the device row, which readingsRecord
updates), so they are provably in flight when the signal arrives.
"""

import asyncio
import signal
import subprocess
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from models.eldercare import CareAlert, CareAlertEvent, Device, Elder, HealthAccessLog, Reading
from models.makerspace import MakerSpace, Reservation, Resource
from models.people import Community, Person, RateLimitHit, Role
from resolvers import people as people_service
from schema.common import decode_global_id, encode_global_id
from server.auth import TokenService
from tests.conftest import free_port, start_server, wait_ready

SHANGHAI = ZoneInfo("Asia/Shanghai")
DESKS = ["工位 D14", "工位 D15", "工位 D16"]
DEVICE = "SIGTERM-WB-1"
# Well inside the statement timeout (15 s by default): the held mutations must not time out.
HOLD_SECONDS = 1.5

RESERVE = """mutation($input: ReservationCreateInput!) { reservationCreate(input: $input) {
  __typename ... on Reservation { id status start end resource { name } }
  ... on DomainError { code message } } }"""
RECORD = """mutation($r: [ReadingInput!]!) { readingsRecord(readings: $r) {
  __typename ... on ReadingsRecorded { accepted duplicates alertsRaised { id } }
  ... on InvalidReadings { code message } } }"""
BLOCKED = text(
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
    "AND application_name = 'linli' AND wait_event_type = 'Lock'"
)


async def waiting_on_locks(engine, expected: int) -> bool:
    """True once `expected` server connections wait on a lock. Asked on a connection of its own:
    inside the holder's transaction, pg_stat_activity would repeat its first snapshot."""
    for _ in range(100):
        async with engine.connect() as connection:
            if await connection.scalar(BLOCKED) == expected:
                return True
        await asyncio.sleep(0.05)
    return False


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
        process.wait(timeout=10)


async def wait_exit(process: subprocess.Popen, within: float) -> int | None:
    """The exit status, or None if the process is still running after `within` seconds."""
    try:
        return await asyncio.to_thread(process.wait, within)
    except subprocess.TimeoutExpired:
        return None


@pytest.fixture
async def world(engine, settings):
    """Committed: three residents, a gateway, an elder with a wristband (all removed afterwards)."""
    service = TokenService(settings)
    async with engine.begin() as connection:
        session = AsyncSession(bind=connection)
        community = await session.scalar(select(Community.id).where(Community.name == "永福社区"))
        elder = Elder(name="终止测试老人", birth_date=date(1941, 2, 3), community_id=community)
        session.add(elder)
        await session.flush()
        device = Device(serial=DEVICE, kind="WRISTBAND", elder_id=elder.id)
        session.add(device)
        residents = [
            await people_service.add_user(
                session=session,
                phone=f"1355553{index:04d}",
                name=f"终止测试居民{index}",
                role=Role.RESIDENT,
                community_name="南睦未来社区",
            )
            for index in range(len(DESKS))
        ]
        gateway = await people_service.add_user(
            session=session, phone="13555539999", name="终止测试网关", role=Role.DEVICE_GATEWAY
        )
        space = await session.scalar(select(MakerSpace.id).where(MakerSpace.name == "南睦天空创客厅"))
        desks = dict(
            (
                await session.execute(
                    select(Resource.name, Resource.id).where(
                        Resource.space_id == space, Resource.name.in_(DESKS)
                    )
                )
            ).all()
        )
        await session.flush()
        world = {
            "residents": [(person.id, service.issue(person)[0]) for person in residents],
            "gateway": service.issue(gateway)[0],
            "desks": [desks[name] for name in DESKS],
            "device": device.id,
        }
        ids = (elder.id, [person.id for person in residents] + [gateway.id])
    yield world
    elder_id, people = ids
    async with engine.begin() as connection:
        await connection.execute(delete(Reservation).where(Reservation.person_id.in_(people)))
        alerts = select(CareAlert.id).where(CareAlert.elder_id == elder_id)
        await connection.execute(delete(CareAlertEvent).where(CareAlertEvent.alert_id.in_(alerts)))
        await connection.execute(delete(CareAlert).where(CareAlert.elder_id == elder_id))
        await connection.execute(delete(Reading).where(Reading.elder_id == elder_id))
        await connection.execute(delete(HealthAccessLog).where(HealthAccessLog.elder_id == elder_id))
        await connection.execute(delete(Device).where(Device.elder_id == elder_id))
        await connection.execute(delete(Elder).where(Elder.id == elder_id))
        await connection.execute(delete(Person).where(Person.id.in_(people)))
        await connection.execute(
            delete(RateLimitHit).where(RateLimitHit.key.in_([f"mutation:person:{pk}" for pk in people]))
        )


def reservation_input(desk_id: int, key: str) -> dict:
    """Tomorrow (Shanghai) 20:00–21:00: always bookable, whatever the time the test runs."""
    tomorrow = datetime.now(SHANGHAI).date() + timedelta(days=1)
    start = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 20, tzinfo=SHANGHAI)
    return {
        "resourceId": encode_global_id("Resource", desk_id),
        "start": start.isoformat(),
        "end": (start + timedelta(hours=1)).isoformat(),
        "idempotencyKey": key,
    }


async def post(port: int, query: str, variables: dict, token: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.post(
            f"http://127.0.0.1:{port}/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )


async def refuses_connections(port: int, within: float) -> bool:
    """True once a new connection is refused (uvicorn closes its listening socket on SIGTERM)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            async with httpx.AsyncClient(timeout=1) as client:
                await client.get(f"http://127.0.0.1:{port}/healthz")
        except httpx.ConnectError:
            return True
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.05)
    return False


async def test_sigterm_lets_in_flight_mutations_finish_and_exits_0(engine, world):
    port = free_port()
    process = start_server(port)
    try:
        await wait_ready(port, process)
        run = f"sigterm-{time.time_ns()}"
        readings = [
            {
                "deviceId": DEVICE,
                "kind": "HEART_RATE",
                "value": 72 + index,
                "measuredAt": (datetime.now(UTC) - timedelta(seconds=60 - index)).isoformat(),
            }
            for index in range(5)
        ]

        # Given: the test holds the rows the mutations need, so they wait inside the database.
        async with engine.connect() as holder:
            transaction = await holder.begin()
            people = [person_id for person_id, _ in world["residents"]]
            await holder.execute(
                text("SELECT id FROM persons WHERE id = ANY(:ids) FOR UPDATE"), {"ids": people}
            )
            await holder.execute(
                text("SELECT id FROM devices WHERE id = :id FOR UPDATE"), {"id": world["device"]}
            )
            reservations = [
                asyncio.create_task(
                    post(port, RESERVE, {"input": reservation_input(desk, f"{run}-{index}")}, token)
                )
                for index, (desk, (_, token)) in enumerate(
                    zip(world["desks"], world["residents"], strict=True)
                )
            ]
            batch = asyncio.create_task(post(port, RECORD, {"r": readings}, world["gateway"]))
            assert await waiting_on_locks(engine, len(reservations) + 1), "the mutations are not in flight"

            # When: the server is told to stop while they wait.
            process.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
            assert await refuses_connections(port, within=3), "a new connection was accepted after SIGTERM"
            await asyncio.sleep(HOLD_SECONDS)
            assert process.poll() is None, "the server exited with mutations in flight"
            assert not any(task.done() for task in [*reservations, batch]), "a held mutation was answered"
            await transaction.rollback()
            released = time.monotonic()

        # Then: every one of them gets its full, successful answer …
        answers = await asyncio.wait_for(asyncio.gather(*reservations, batch), timeout=20)
        for response in answers:
            assert response.status_code == 200, response.text
            assert "errors" not in response.json(), response.text
        made = [response.json()["data"]["reservationCreate"] for response in answers[:-1]]
        assert [reservation["__typename"] for reservation in made] == ["Reservation"] * len(DESKS), made
        assert {reservation["status"] for reservation in made} == {"CONFIRMED"}
        recorded = answers[-1].json()["data"]["readingsRecord"]
        assert recorded["__typename"] == "ReadingsRecorded" and recorded["accepted"] == len(readings), (
            recorded
        )

        # … the process ends by itself, exit status 0 …
        code = await wait_exit(process, within=15)
        exited = time.monotonic()
        print(
            f"\nSIGTERM → drained and exited {exited - signalled:.2f} s after the signal, "
            f"{exited - released:.2f} s after the locks were released; exit status {code}"
        )
        assert code == 0, f"linli serve exited with {code} after SIGTERM"

        # … and what they answered is committed.
        async with engine.connect() as connection:
            ids = [decode_global_id(reservation["id"], "Reservation")[1] for reservation in made]
            stored = await connection.scalar(
                select(func.count()).where(Reservation.id.in_(ids), Reservation.status == "CONFIRMED")
            )
            assert stored == len(DESKS)
            kept = await connection.scalar(select(func.count()).where(Reading.device_id == world["device"]))
            assert kept == len(readings)
    finally:
        stop(process)
