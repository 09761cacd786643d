"""Concurrent bookings over real connections: the exclusion constraint and the person lock decide.

These tests commit through a real uvicorn server (each request its own connection and
transaction), so they create their people and clean up after themselves.
"""

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from models.makerspace import Reservation, Resource
from models.people import Person, Role
from resolvers import people as people_service
from schema.common import encode_global_id
from server.auth import TokenService
from tests.makerspace.conftest import CREATE

SHANGHAI = ZoneInfo("Asia/Shanghai")
DESK = "工位 D16"


@pytest.fixture
async def crowd(engine, settings):
    """50 residents committed to the database, removed again afterwards with what they booked."""
    service = TokenService(settings)
    async with engine.begin() as connection:
        session = AsyncSession(bind=connection)
        people = [
            await people_service.add_user(
                session=session, phone=f"1550000{index:04d}", name=f"并发居民{index}", role=Role.RESIDENT
            )
            for index in range(50)
        ]
        desk = await session.scalar(select(Resource.id).where(Resource.name == DESK))
        tokens = [service.issue(person)[0] for person in people]
        ids = [person.id for person in people]
    yield tokens, encode_global_id("Resource", desk)
    async with engine.begin() as connection:
        await connection.execute(delete(Reservation).where(Reservation.person_id.in_(ids)))
        await connection.execute(delete(Person).where(Person.id.in_(ids)))


def tomorrow_at(hour: int, minute: int = 0) -> str:
    day = datetime.now(SHANGHAI).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI).isoformat()


async def book(
    client: httpx.AsyncClient, token: str, desk: str, start: str, end: str, key: str | None = None
):
    response = await client.post(
        "/graphql",
        json={
            "query": CREATE,
            "variables": {"input": {"resourceId": desk, "start": start, "end": end, "idempotencyKey": key}},
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]["reservationCreate"]


async def test_50_people_race_for_one_desk_and_hour_and_exactly_one_wins(live_server, crowd, engine):
    tokens, desk = crowd
    async with httpx.AsyncClient(base_url=f"http://{live_server}", timeout=60) as client:
        results = await asyncio.gather(
            *(book(client, token, desk, tomorrow_at(10), tomorrow_at(11)) for token in tokens)
        )

    kinds = [result["__typename"] for result in results]
    print(
        f"\n50 concurrent reservationCreate: {kinds.count('Reservation')} Reservation, "
        f"{kinds.count('SlotTaken')} SlotTaken"
    )
    assert kinds.count("Reservation") == 1
    assert kinds.count("SlotTaken") == 49
    winner = next(result for result in results if result["__typename"] == "Reservation")
    loser_token = tokens[kinds.index("SlotTaken")]
    async with httpx.AsyncClient(base_url=f"http://{live_server}", timeout=60) as client:
        partly = await book(client, loser_token, desk, tomorrow_at(10, 30), tomorrow_at(11, 30))
    assert partly["__typename"] == "SlotTaken"
    async with engine.connect() as connection:
        held = await connection.scalar(
            text(
                "SELECT count(*) FROM reservations r JOIN resources x ON x.id = r.resource_id "
                "WHERE x.name = :desk AND r.status IN ('CONFIRMED', 'CHECKED_IN')"
            ),
            {"desk": DESK},
        )
    assert held == 1
    assert winner["status"] == "CONFIRMED"


async def test_20_concurrent_calls_with_one_idempotency_key_make_one_reservation(live_server, crowd, engine):
    tokens, desk = crowd
    async with httpx.AsyncClient(base_url=f"http://{live_server}", timeout=60) as client:
        results = await asyncio.gather(
            *(
                book(client, tokens[0], desk, tomorrow_at(14), tomorrow_at(15), key="kiosk-tap-42")
                for _ in range(20)
            )
        )

    print(
        f"\n20 concurrent calls, one key: {len({r.get('id') for r in results})} distinct reservation id(s), "
        f"{len({str(r) for r in results})} distinct answer(s)"
    )
    assert all(result == results[0] for result in results)
    assert results[0]["__typename"] == "Reservation"
    async with engine.connect() as connection:
        made = await connection.scalar(
            text("SELECT count(*) FROM reservations WHERE idempotency_key = 'kiosk-tap-42'")
        )
    assert made == 1
