"""Carers on duty: a session confirms at most min(capacity, carers × the class's children per
carer) children — none without a carer — and a carer whose leaving would break that ratio for the
confirmed children stays. The database holds the rule (a trigger under the session's row lock):
proven here over HTTP, in SQL behind the code's back, and under concurrent requests."""

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models.audit import AuditLog
from models.childcare import (
    WITHIN_CARER_RATIO,
    Child,
    ChildcareBooking,
    ChildcareClass,
    ChildcareSession,
    ChildGuardian,
    SessionCarer,
)
from models.notifications import Notification
from models.people import Person, Role
from resolvers import people as people_service
from resolvers.errors import constraint_name
from schema.common import encode_global_id
from server.auth import TokenService
from tests.childcare.conftest import BOOK, CARER_REMOVE, entry
from tests.childcare.test_concurrency import months_before
from tests.childcare.test_operations import BABY, TUESDAY, audited, count, guardian_ids, pk


async def babies(family, guardians, session_id: str, n: int) -> list[dict]:
    made = []
    for index in range(n):
        child = (await family.register(guardians[index], f"宝宝{index}", BABY))["id"]
        made.append(await family.book(guardians[index], session_id, child))
    return made


async def promotions(db, booked: list[dict]) -> tuple[list[str], list[int], list[int]]:
    """The bookings' statuses as stored, the guardians told of a promotion, and all the guardians."""
    async with db() as session:
        statuses = dict(
            (
                await session.execute(
                    select(ChildcareBooking.id, ChildcareBooking.status).where(
                        ChildcareBooking.id.in_([pk(b["id"]) for b in booked])
                    )
                )
            ).all()
        )
        people = await guardian_ids(db)
        told = list(
            await session.scalars(
                select(Notification.person_id).where(
                    Notification.person_id.in_(people), Notification.kind == "CHILDCARE_WAITLIST_PROMOTED"
                )
            )
        )
    return [statuses[pk(b["id"])] for b in booked], told, people


async def a_tuesday(centre, carers: list[str], capacity: int = 10) -> dict:
    made = await centre.create_class()
    await centre.set_timetable(made["id"], [entry(2, carers, capacity=capacity)])
    (tuesday,) = await centre.sessions_of(made["id"], TUESDAY)
    return tuesday


async def test_no_carer_no_confirmed_child_and_a_carer_brings_the_waitlist_in(
    centre, crew, family, guardians, monday, db
):
    # Given a Tuesday with 10 places and nobody on duty
    tuesday = await a_tuesday(centre, [])
    assert (tuesday["carersOnDuty"], tuesday["remaining"]) == (0, 0)

    # When four children are booked, all of them wait
    booked = await babies(family, guardians, tuesday["id"], 4)
    assert [b["status"] for b in booked] == ["WAITLISTED"] * 4

    # When a carer comes on duty (1:3), the first three in line are confirmed and their guardians told
    answer = await centre.assign(tuesday["id"], crew["carer1"].gid)
    assert answer["carers"] == [{"id": crew["carer1"].gid, "name": "托育carer1"}]
    assert (answer["session"]["booked"], answer["session"]["waitlisted"], answer["session"]["remaining"]) == (
        3,
        1,
        0,
    )
    statuses, promoted, people = await promotions(db, booked)
    assert statuses == ["CONFIRMED"] * 3 + ["WAITLISTED"]
    assert sorted(promoted) == sorted(people[:3])

    # And a second carer takes the fourth
    assert (await centre.assign(tuesday["id"], crew["carer2"].gid))["session"]["booked"] == 4
    assert await audited(db, "childcare_session.carer_assign", tuesday["id"]) == 2


async def test_a_carer_the_timetable_adds_brings_the_waitlist_in(centre, crew, family, guardians, monday, db):
    # Given a Tuesday with one carer on duty (1:3) and four children booked: three in, one waiting
    made = await centre.create_class()
    await centre.set_timetable(made["id"], [entry(2, [crew["carer1"].gid], capacity=10)])
    (tuesday,) = await centre.sessions_of(made["id"], TUESDAY)
    booked = await babies(family, guardians, tuesday["id"], 4)
    assert [b["status"] for b in booked] == ["CONFIRMED"] * 3 + ["WAITLISTED"]

    # When the weekly timetable puts a second carer on that entry
    await centre.set_timetable(made["id"], [entry(2, [crew["carer1"].gid, crew["carer2"].gid], capacity=10)])

    # Then the session's places rise to 6 and the waiting child is confirmed, the guardian told
    (tuesday,) = await centre.sessions_of(made["id"], TUESDAY)
    assert (tuesday["carersOnDuty"], tuesday["booked"], tuesday["waitlisted"], tuesday["remaining"]) == (
        2,
        4,
        0,
        2,
    )
    statuses, told, people = await promotions(db, booked)
    assert statuses == ["CONFIRMED"] * 4
    assert told == people[3:4]


async def test_places_are_the_fewer_of_capacity_and_carers_times_ratio(
    centre, crew, family, guardians, monday
):
    # 4 places, 2 carers at 1:3 (6): capacity binds
    tuesday = await a_tuesday(centre, [crew["carer1"].gid, crew["carer2"].gid], capacity=4)
    assert tuesday["remaining"] == 4
    # 4 places, 1 carer (3): the carer binds
    answer = await centre.remove(tuesday["id"], crew["carer2"].gid)
    assert (answer["session"]["carersOnDuty"], answer["session"]["remaining"]) == (1, 3)
    booked = await babies(family, guardians, tuesday["id"], 4)
    assert [b["status"] for b in booked] == ["CONFIRMED"] * 3 + ["WAITLISTED"]


async def test_a_carer_whose_leaving_breaks_the_ratio_stays(centre, crew, family, guardians, monday, db):
    # Given two carers (6 places at 1:3) and four confirmed children
    one, two = crew["carer1"].gid, crew["carer2"].gid
    tuesday = await a_tuesday(centre, [one, two])
    booked = await babies(family, guardians, tuesday["id"], 4)
    assert [b["status"] for b in booked] == ["CONFIRMED"] * 4
    audits = await count(db, AuditLog)

    # When one would leave, three children would be too many for the other: refused, nothing changed
    refused = await centre.remove(tuesday["id"], one)
    assert (refused["__typename"], refused["code"]) == ("RuleViolation", "CARER_RATIO_EXCEEDED"), refused
    assert "已确认 4 名" in refused["message"]
    async with db() as session:
        assert (
            await session.scalar(
                select(ChildcareSession.carer_count).where(ChildcareSession.id == pk(tuesday["id"]))
            )
            == 2
        )
        assert await count(db, SessionCarer, SessionCarer.session_id == pk(tuesday["id"])) == 2
    assert await count(db, AuditLog) == audits

    # When a guardian cancels, three children are one carer's: the carer may go
    await family.cancel(guardians[0], booked[0]["id"])
    answer = await centre.remove(tuesday["id"], one)
    assert answer["__typename"] == "ChildcareSessionCarers", answer
    assert (answer["session"]["carersOnDuty"], answer["carers"]) == (1, [{"id": two, "name": "托育carer2"}])
    assert await audited(db, "childcare_session.carer_remove", tuesday["id"]) == 1


async def test_a_roster_takes_only_the_centres_staff_once_each(centre, crew, gql, monday):
    tuesday = await a_tuesday(centre, [crew["carer1"].gid])
    cases = [
        (centre.assign(tuesday["id"], crew["carer1"].gid), "CARER_ALREADY_ON_DUTY"),
        (centre.assign(tuesday["id"], crew["resident"].gid), "CARER_NOT_STAFF"),
        (centre.assign(tuesday["id"], crew["other"].gid), "CARER_NOT_STAFF"),
        (centre.remove(tuesday["id"], crew["carer2"].gid), "CARER_NOT_ON_DUTY"),
        (centre.assign(tuesday["id"], crew["carer2"].gid, token=crew["other"].token), "NOT_FOUND"),
        (centre.remove(tuesday["id"], crew["carer1"].gid, token=crew["other"].token), "NOT_FOUND"),
    ]
    for call, code in cases:
        answer = await call
        kind = "NotFound" if code == "NOT_FOUND" else "RuleViolation"
        assert (answer["__typename"], answer["code"]) == (kind, code), (code, answer)
    body = await gql(
        CARER_REMOVE, {"session": tuesday["id"], "person": crew["carer1"].gid}, token=crew["resident"].token
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    by_admin = await centre.assign(tuesday["id"], crew["carer2"].gid, token=crew["admin"].token)
    assert by_admin["session"]["carersOnDuty"] == 2


async def test_an_ended_or_cancelled_sessions_roster_is_kept(centre, crew, monday):
    tuesday = await a_tuesday(centre, [crew["carer1"].gid])
    await centre.cancel(tuesday["id"])
    closed = await centre.assign(tuesday["id"], crew["carer2"].gid)
    monday.now = monday.now + timedelta(days=2)  # Wednesday: Tuesday is over
    ended = await centre.remove(tuesday["id"], crew["carer1"].gid)
    assert (closed["code"], ended["code"]) == ("SESSION_CANCELLED", "SESSION_ENDED")


async def test_the_database_holds_the_ratio_behind_the_codes_back(
    centre, crew, family, guardians, monday, db
):
    # Given one carer and three confirmed children (1:3)
    tuesday = await a_tuesday(centre, [crew["carer1"].gid])
    await babies(family, guardians, tuesday["id"], 3)
    slot = pk(tuesday["id"])

    async def refused(statement) -> str | None:
        async with db() as session:
            try:
                async with session.begin_nested():
                    await session.execute(statement)
            except IntegrityError as error:
                return constraint_name(error)
        return None

    # A fourth place, the carer gone, or a class ratio lowered: each refused by the trigger
    assert (
        await refused(update(ChildcareSession).where(ChildcareSession.id == slot).values(confirmed_count=4))
        == WITHIN_CARER_RATIO
    )
    assert await refused(delete(SessionCarer).where(SessionCarer.session_id == slot)) == WITHIN_CARER_RATIO
    class_id = select(ChildcareSession.class_id).where(ChildcareSession.id == slot).scalar_subquery()
    assert (
        await refused(update(ChildcareClass).where(ChildcareClass.id == class_id).values(carer_ratio=2))
        == WITHIN_CARER_RATIO
    )
    # Changes that keep it are not: one child fewer, a carer more (the count kept by the trigger)
    async with db() as session:
        await session.execute(
            update(ChildcareSession).where(ChildcareSession.id == slot).values(confirmed_count=2)
        )
        await session.execute(insert(SessionCarer).values(session_id=slot, person_id=crew["carer2"].id))
        counts = (
            await session.execute(
                select(ChildcareSession.confirmed_count, ChildcareSession.carer_count).where(
                    ChildcareSession.id == slot
                )
            )
        ).one()
        assert tuple(counts) == (2, 2)


# ── Under concurrency, over real connections ────────────────────────────────────


@pytest.fixture
async def short_staffed(engine, settings):
    """A seeded infant session a few days ahead (10 places) left with two of its carers (6 places at
    1:3), and 20 guardians each with an eligible baby; all committed, and put back afterwards."""
    service = TokenService(settings)
    async with engine.begin() as connection:
        session = AsyncSession(bind=connection)
        slot = await session.scalar(
            select(ChildcareSession)
            .join(ChildcareClass, ChildcareClass.id == ChildcareSession.class_id)
            .where(
                ChildcareClass.kind == "INFANT",
                func.lower(ChildcareSession.period) > datetime.now(UTC) + timedelta(days=3),
                func.lower(ChildcareSession.period) < datetime.now(UTC) + timedelta(days=12),
                ChildcareSession.confirmed_count == 0,
            )
            .order_by(func.lower(ChildcareSession.period).desc())
            .limit(1)
        )
        carers = sorted(
            await session.scalars(select(SessionCarer.person_id).where(SessionCarer.session_id == slot.id))
        )
        assert len(carers) == 4, carers  # the seed's roster of the infant class
        taken_off = carers[2:]
        await session.execute(
            delete(SessionCarer).where(
                SessionCarer.session_id == slot.id, SessionCarer.person_id.in_(taken_off)
            )
        )
        birth = months_before(slot.day, 8)
        families = []
        for index in range(20):
            person = await people_service.add_user(
                session=session, phone=f"1770002{index:04d}", name=f"并发家长{index}", role=Role.RESIDENT
            )
            child = Child(
                name=f"照护宝宝{index}",
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
    yield {
        "slot": slot_id,
        "session": encode_global_id("ChildcareSession", slot_id),
        "families": families,
        "carers": carers[:2],
    }
    async with engine.begin() as connection:
        child_ids = [family[3] for family in families]
        await connection.execute(delete(ChildcareBooking).where(ChildcareBooking.child_id.in_(child_ids)))
        await connection.execute(
            delete(Notification).where(Notification.person_id.in_([f[2] for f in families]))
        )
        await connection.execute(delete(ChildGuardian).where(ChildGuardian.child_id.in_(child_ids)))
        await connection.execute(delete(Child).where(Child.id.in_(child_ids)))
        await connection.execute(delete(Person).where(Person.id.in_([family[2] for family in families])))
        await connection.execute(
            update(ChildcareSession)
            .where(ChildcareSession.id == slot_id)
            .values(confirmed_count=0, waitlist_sequence=0)
        )
        await connection.execute(delete(SessionCarer).where(SessionCarer.session_id == slot_id))
        await connection.execute(
            insert(SessionCarer), [{"session_id": slot_id, "person_id": p} for p in carers]
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


async def stored(engine, slot_id: int) -> dict:
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                text(
                    "SELECT confirmed_count, carer_count, class_carer_ratio, "
                    "(SELECT count(*) FROM childcare_session_carers WHERE session_id = s.id) AS rostered, "
                    "(SELECT count(*) FROM childcare_bookings b WHERE b.session_id = s.id "
                    "AND b.status = 'CONFIRMED') AS confirmed_bookings "
                    "FROM childcare_sessions s WHERE id = :id"
                ),
                {"id": slot_id},
            )
        ).one()
    return dict(row._mapping)


async def test_concurrent_bookings_never_exceed_carers_times_ratio(live_server, short_staffed, engine):
    families = short_staffed["families"]
    async with httpx.AsyncClient(base_url=f"http://{live_server}", timeout=60) as client:
        results = await asyncio.gather(
            *(
                post(
                    client, token, BOOK, {"input": {"sessionId": short_staffed["session"], "childId": child}}
                )
                for token, child, _, _ in families
            )
        )
    statuses = [result["childcareBookingCreate"]["status"] for result in results]
    after = await stored(engine, short_staffed["slot"])
    print(
        f"\n20 concurrent bookings, 2 carers at 1:3 for 10 places: "
        f"{statuses.count('CONFIRMED')} CONFIRMED; {after}"
    )
    assert statuses.count("CONFIRMED") == 6 and statuses.count("WAITLISTED") == 14
    assert after == {
        "confirmed_count": 6,
        "carer_count": 2,
        "class_carer_ratio": 3,
        "rostered": 2,
        "confirmed_bookings": 6,
    }


@pytest.mark.parametrize("removal_at", [0, 5, 10])
async def test_a_carer_removal_racing_bookings_never_breaks_the_ratio(
    live_server, short_staffed, engine, demo_tokens, removal_at
):
    # Given 2 carers (6 places): ten bookings and one carer's removal, all at once
    families = short_staffed["families"][:10]
    staff = demo_tokens["CHILDCARE_STAFF"]  # the seed's staff of the centre's community
    leaving = encode_global_id("Person", short_staffed["carers"][0])
    async with httpx.AsyncClient(base_url=f"http://{live_server}", timeout=60) as client:
        bookings = [
            post(client, token, BOOK, {"input": {"sessionId": short_staffed["session"], "childId": child}})
            for token, child, _, _ in families
        ]
        removal = post(client, staff, CARER_REMOVE, {"session": short_staffed["session"], "person": leaving})
        results = await asyncio.gather(*bookings[:removal_at], removal, *bookings[removal_at:])
    removed = results[removal_at]["childcareSessionCarerRemove"]
    statuses = [r["childcareBookingCreate"]["status"] for i, r in enumerate(results) if i != removal_at]
    after = await stored(engine, short_staffed["slot"])
    print(f"\nremoval at {removal_at}: {removed['__typename']} {removed.get('code')}; {after}")

    # Then the ratio holds whichever came first
    assert after["confirmed_count"] == after["confirmed_bookings"] == statuses.count("CONFIRMED")
    assert after["carer_count"] == after["rostered"]
    assert after["confirmed_count"] <= after["carer_count"] * after["class_carer_ratio"]
    if removed["__typename"] == "ChildcareSessionCarers":  # the removal came while ≤ 3 were confirmed
        assert after["carer_count"] == 1 and after["confirmed_count"] == 3
    else:  # more than 3 were confirmed by then: refused, both carers stay, 6 places filled
        assert removed["code"] == "CARER_RATIO_EXCEEDED"
        assert after["carer_count"] == 2 and after["confirmed_count"] == 6


ON_DUTY = """query($center: ID!, $from: Date!, $to: Date!) {
  childcareSessions(centerId: $center, from: $from, to: $to) { id carers { id name } } }"""
NODE_ON_DUTY = "query($id: ID!) { node(id: $id) { ... on ChildcareSession { carers { name } } } }"


async def test_the_centres_staff_and_admin_see_who_is_on_duty_by_name(centre, crew, gql, guardians, monday):
    tuesday = await a_tuesday(centre, [crew["carer2"].gid, crew["carer1"].gid])
    other_class = await centre.create_class(name="测试乳儿班（二）")
    await centre.set_timetable(other_class["id"], [entry(2, [])])
    (nobody,) = await centre.sessions_of(other_class["id"], TUESDAY)
    await centre.remove(tuesday["id"], crew["carer2"].gid)
    await centre.assign(tuesday["id"], crew["carer3"].gid)
    variables = {"center": centre.center["id"], "from": TUESDAY, "to": TUESDAY}

    def on_duty(body: dict) -> dict:
        assert "errors" not in body, body
        return {s["id"]: s["carers"] for s in body["data"]["childcareSessions"] if s["id"] in seen}

    seen = {tuesday["id"], nobody["id"]}
    expected = {
        tuesday["id"]: [
            {"id": crew["carer1"].gid, "name": "托育carer1"},
            {"id": crew["carer3"].gid, "name": "托育carer3"},
        ],
        nobody["id"]: [],
    }
    for who in ("staff", "admin"):
        assert on_duty(await gql(ON_DUTY, variables, token=crew[who].token)) == expected, who
    # Guardians, residents, childcare staff of another community and strangers: null
    for token in (guardians[0], crew["resident"].token, crew["other"].token, None):
        assert on_duty(await gql(ON_DUTY, variables, token=token)) == dict.fromkeys(seen)
    by_node = await gql(NODE_ON_DUTY, {"id": tuesday["id"]}, token=crew["other"].token)
    assert by_node["data"]["node"] == {"carers": None}
    by_node = await gql(NODE_ON_DUTY, {"id": tuesday["id"]}, token=crew["staff"].token)
    assert by_node["data"]["node"] == {"carers": [{"name": "托育carer1"}, {"name": "托育carer3"}]}
