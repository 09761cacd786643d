"""40 guardians at once for 10 places, over real connections: capacity is exact, the line has no gaps."""

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.childcare import Child, ChildcareBooking, ChildcareClass, ChildcareSession, ChildGuardian
from models.people import Person, Role
from resolvers import people as people_service
from schema.common import decode_global_id, encode_global_id
from server.auth import TokenService
from tests.childcare.conftest import BOOK, CANCEL


def months_before(day, months: int):
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return day.replace(year=year, month=month + 1, day=1)


@pytest.fixture
async def crowd(engine, settings):
    """An infant session two or more days ahead (10 places) and 40 guardians each with an eligible baby."""
    service = TokenService(settings)
    async with engine.begin() as connection:
        session = AsyncSession(bind=connection)
        slot = await session.scalar(
            select(ChildcareSession)
            .join(ChildcareClass, ChildcareClass.id == ChildcareSession.class_id)
            .where(
                ChildcareClass.kind == "INFANT",
                func.lower(ChildcareSession.period) > datetime.now(UTC) + timedelta(days=2),
                func.lower(ChildcareSession.period) < datetime.now(UTC) + timedelta(days=12),
            )
            .order_by(func.lower(ChildcareSession.period))
            .limit(1)
        )
        birth = months_before(slot.day, 8)
        families = []
        for index in range(40):
            person = await people_service.add_user(
                session=session, phone=f"1770001{index:04d}", name=f"并发家长{index}", role=Role.RESIDENT
            )
            child = Child(
                name=f"并发宝宝{index}",
                birth_date=birth,
                consent_given_at=datetime.now(UTC),
                consent_given_by=person.id,
            )
            session.add(child)
            await session.flush()
            session.add(ChildGuardian(child_id=child.id, person_id=person.id))
            families.append(
                (service.issue(person)[0], encode_global_id("Child", child.id), person.id, child.id)
            )
        await session.flush()
        slot_id = slot.id
    yield encode_global_id("ChildcareSession", slot_id), families, slot_id
    person_ids = [family[2] for family in families]
    child_ids = [family[3] for family in families]
    async with engine.begin() as connection:
        await connection.execute(delete(ChildcareBooking).where(ChildcareBooking.child_id.in_(child_ids)))
        await connection.execute(delete(ChildGuardian).where(ChildGuardian.child_id.in_(child_ids)))
        await connection.execute(delete(Child).where(Child.id.in_(child_ids)))
        await connection.execute(delete(Person).where(Person.id.in_(person_ids)))
        await connection.execute(
            update(ChildcareSession)
            .where(ChildcareSession.id == slot_id)
            .values(confirmed_count=0, waitlist_sequence=0)
        )


async def post(client: httpx.AsyncClient, token: str, query: str, variables: dict) -> dict:
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    return body["data"]


async def test_40_concurrent_bookings_for_10_places(live_server, crowd, engine):
    session_id, families, slot_id = crowd
    async with httpx.AsyncClient(base_url=f"http://{live_server}", timeout=60) as client:
        results = await asyncio.gather(
            *(
                post(client, token, BOOK, {"input": {"sessionId": session_id, "childId": child}})
                for token, child, _, _ in families
            )
        )
        bookings = [result["childcareBookingCreate"] for result in results]
        statuses = [booking["status"] for booking in bookings]
        positions = sorted(b["waitlistPosition"] for b in bookings if b["status"] == "WAITLISTED")
        print(
            f"\n40 concurrent childcareBookingCreate for 10 places: {statuses.count('CONFIRMED')} CONFIRMED, "
            f"{statuses.count('WAITLISTED')} WAITLISTED, positions {positions[0]}..{positions[-1]}"
        )

        assert statuses.count("CONFIRMED") == 10
        assert statuses.count("WAITLISTED") == 30
        assert positions == list(range(1, 31))

        first_in_line = next(b for b in bookings if b.get("waitlistPosition") == 1)
        owner = families[bookings.index(next(b for b in bookings if b["status"] == "CONFIRMED"))][0]
        confirmed = next(b for b in bookings if b["status"] == "CONFIRMED")
        cancelled = (await post(client, owner, CANCEL, {"id": confirmed["id"]}))["childcareBookingCancel"]

    assert cancelled["status"] == "CANCELLED"
    async with engine.connect() as connection:
        counts = dict(
            (
                await connection.execute(
                    text(
                        "SELECT status, count(*) FROM childcare_bookings "
                        "WHERE session_id = :id GROUP BY status"
                    ),
                    {"id": slot_id},
                )
            ).all()
        )
        stored = await connection.scalar(
            text("SELECT confirmed_count FROM childcare_sessions WHERE id = :id"), {"id": slot_id}
        )
        promoted = await connection.scalar(
            text("SELECT status FROM childcare_bookings WHERE id = :id"),
            {"id": int(_pk(first_in_line["id"]))},
        )
    print(f"after one cancellation: {counts}; position 1 is now {promoted}")
    assert counts == {"CONFIRMED": 10, "WAITLISTED": 29, "CANCELLED": 1}
    assert stored == 10
    assert promoted == "CONFIRMED"


def _pk(global_id: str) -> int:
    return decode_global_id(global_id)[1]


async def test_concurrent_retries_with_one_idempotency_key_make_one_booking(live_server, crowd, engine):
    session_id, families, _ = crowd
    token, child, _, child_pk = families[0]
    variables = {"input": {"sessionId": session_id, "childId": child, "idempotencyKey": "tap-tap-tap"}}
    async with httpx.AsyncClient(base_url=f"http://{live_server}", timeout=60) as client:
        results = await asyncio.gather(*(post(client, token, BOOK, variables) for _ in range(10)))

    answers = [result["childcareBookingCreate"] for result in results]
    assert all(answer == answers[0] for answer in answers), answers
    assert answers[0]["status"] == "CONFIRMED"
    async with engine.connect() as connection:
        made = await connection.scalar(
            text("SELECT count(*) FROM childcare_bookings WHERE child_id = :child"), {"child": child_pk}
        )
    assert made == 1
