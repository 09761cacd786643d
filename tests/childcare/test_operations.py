"""The centre's own operations over HTTP: classes within the national rules, the weekly timetable
(booked sessions never silently dropped), closing a session (bookings cancelled, guardians told).

Each change is audited once; each refusal is a DomainError with a stable code and writes nothing."""

from datetime import datetime

import pytest
from sqlalchemy import func, select

from models.audit import AuditLog
from models.childcare import ChildcareBooking, ChildcareClass, ChildcareSession, TimetableEntry
from models.notifications import Notification
from models.people import Person
from schema.common import decode_global_id
from tests.childcare.conftest import SHANGHAI, entry

TUESDAY, NEXT_TUESDAY, LAST_DAY = "2026-12-01", "2026-12-08", "2026-12-21"
BABY = "2026-03-15"  # 8 months old on those Tuesdays: an infant


def pk(global_id: str) -> int:
    return decode_global_id(global_id)[1]


async def count(db, model, *where) -> int:
    async with db() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where))


async def audited(db, action: str, object_id: str | None = None) -> int:
    where = [AuditLog.action == action]
    if object_id is not None:
        where.append(AuditLog.object_id == object_id)
    return await count(db, AuditLog, *where)


async def guardian_ids(db) -> list[int]:
    async with db() as session:
        phones = [f"1880000{index:04d}" for index in range(4)]
        rows = await session.execute(select(Person.phone, Person.id).where(Person.phone.in_(phones)))
        by_phone = dict(rows.all())
    return [by_phone[phone] for phone in phones]


# ── Classes ──────────────────────────────────────────────────────────────────


async def test_staff_and_admin_create_a_class_within_the_national_rules(centre, crew, db):
    made = await centre.create_class()
    assert made["__typename"] == "ChildcareClass", made
    assert (made["kind"], made["capacity"], made["carerRatio"], made["timetable"]) == ("INFANT", 10, 3, [])
    assert await audited(db, "childcare_class.create", made["id"]) == 1

    by_admin = await centre.create_class(token=crew["admin"].token, name="管理员开的乳儿班")
    assert by_admin["__typename"] == "ChildcareClass", by_admin


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"capacity": 11}, "NATIONAL_CLASS_RULES"),  # 乳儿班 ≤ 10 children
        ({"carerRatio": 4}, "NATIONAL_CLASS_RULES"),  # 乳儿班 ≥ 1 carer : 3
        ({"minAgeMonths": 3}, "NATIONAL_CLASS_RULES"),  # 乳儿班 from 6 months
        ({"kind": "TODDLER", "minAgeMonths": 12, "maxAgeMonths": 24, "capacity": 16}, "NATIONAL_CLASS_RULES"),
        ({"kind": "MIXED", "minAgeMonths": 30, "maxAgeMonths": 20, "carerRatio": 5}, "INVALID_CLASS"),
        ({"capacity": 0}, "INVALID_CLASS"),
        ({"capacity": 40000}, "INVALID_CLASS"),
        ({"name": "   "}, "INVALID_NAME"),
    ],
)
async def test_a_class_against_the_rules_is_refused_and_nothing_is_written(centre, db, fields, code):
    classes, audits = await count(db, ChildcareClass), await count(db, AuditLog)

    answer = await centre.create_class(**fields)

    assert (answer["__typename"], answer["code"]) == ("RuleViolation", code), answer
    assert answer["message"]
    assert (await count(db, ChildcareClass), await count(db, AuditLog)) == (classes, audits)


async def test_a_class_name_is_unique_in_its_centre(centre, db):
    assert (await centre.create_class())["__typename"] == "ChildcareClass"
    again = await centre.create_class()
    assert (again["__typename"], again["code"]) == ("RuleViolation", "CLASS_NAME_TAKEN")
    assert await audited(db, "childcare_class.create") == 1


async def test_only_staff_of_the_centres_community_and_admin_run_it(centre, crew, gql, monday):
    refused = await centre.create_class(token=crew["other"].token)
    assert (refused["__typename"], refused["code"]) == ("NotFound", "NOT_FOUND")
    made = await centre.create_class()
    tuesday = entry(2, [crew["carer1"].gid])
    for answer in (
        await centre.update_class(made["id"], token=crew["other"].token, name="改名"),
        await centre.set_timetable(made["id"], [tuesday], token=crew["other"].token),
    ):
        assert (answer["__typename"], answer["code"]) == ("NotFound", "NOT_FOUND"), answer
    for token, code in ((crew["resident"].token, "FORBIDDEN"), (None, "UNAUTHENTICATED")):
        body = await gql(
            'mutation($id: ID!) { childcareClassUpdate(id: $id, input: {name: "改名"}) { __typename } }',
            {"id": made["id"]},
            token=token,
        )
        assert body["errors"][0]["extensions"]["code"] == code


async def test_a_class_change_that_its_sessions_could_not_keep_is_refused(
    centre, crew, family, guardians, monday, db
):
    # Given an infant class (10, 1:3) whose Tuesdays offer 8 places with one carer: 3 confirmed
    made = await centre.create_class()
    await centre.set_timetable(made["id"], [entry(2, [crew["carer1"].gid], capacity=8)])
    (tuesday,) = await centre.sessions_of(made["id"], TUESDAY)
    for index in range(3):
        child = (await family.register(guardians[index], f"宝宝{index}", BABY))["id"]
        assert (await family.book(guardians[index], tuesday["id"], child))["status"] == "CONFIRMED"

    # When the ratio would fall to 1:2 (one carer for three children) or the class below its 8 places
    tighter = await centre.update_class(made["id"], carerRatio=2)
    smaller = await centre.update_class(made["id"], capacity=6)

    # Then the database refuses both, and nothing changed
    assert (tighter["__typename"], tighter["code"]) == ("RuleViolation", "CARER_RATIO_EXCEEDED"), tighter
    assert (smaller["__typename"], smaller["code"]) == ("RuleViolation", "CLASS_SIZE_EXCEEDED"), smaller
    async with db() as session:
        klass = await session.get(ChildcareClass, pk(made["id"]))
        assert (klass.capacity, klass.carer_ratio) == (10, 3)
    assert await audited(db, "childcare_class.update") == 0

    # When a change they can keep is made, the sessions follow it
    renamed = await centre.update_class(made["id"], name="小龙虾班", capacity=9)
    assert (renamed["name"], renamed["capacity"]) == ("小龙虾班", 9)
    async with db() as session:
        assert (
            await session.scalar(
                select(ChildcareSession.class_capacity).where(ChildcareSession.id == pk(tuesday["id"]))
            )
            == 9
        )
    assert await audited(db, "childcare_class.update", made["id"]) == 1


# ── The weekly timetable ─────────────────────────────────────────────────────────


async def test_a_timetable_generates_the_horizons_sessions_with_their_carers(centre, crew, monday, db):
    made = await centre.create_class()
    carers = [crew["carer1"].gid, crew["carer2"].gid]

    answer = await centre.set_timetable(
        made["id"],
        [
            entry(2, carers),
            entry(4, carers[:1], capacity=6, care_type="HALF_DAY", starts="08:30", ends="12:00"),
        ],
    )

    assert answer["timetable"] == [
        {"weekday": 2, "careType": "FULL_DAY", "startsAt": "08:00", "endsAt": "17:00", "capacity": 10},
        {"weekday": 4, "careType": "HALF_DAY", "startsAt": "08:30", "endsAt": "12:00", "capacity": 6},
    ]
    sessions = await centre.sessions_of(made["id"], TUESDAY, LAST_DAY)
    days = [
        (datetime.fromisoformat(s["start"]).astimezone(SHANGHAI).strftime("%m-%d %H:%M"), s) for s in sessions
    ]
    assert [day for day, _ in days] == [
        "12-01 08:00",
        "12-03 08:30",
        "12-08 08:00",
        "12-10 08:30",
        "12-15 08:00",
        "12-17 08:30",
    ]
    for _, session in days:
        full_day = session["careType"] == "FULL_DAY"
        assert session["carersOnDuty"] == (2 if full_day else 1)
        assert session["remaining"] == (6 if full_day else 3)  # carers × 3, below the places
    assert await audited(db, "childcare_timetable.set", made["id"]) == 1


async def test_an_entry_whose_sessions_hold_bookings_stays_until_those_sessions_are_cancelled(
    centre, crew, family, guardians, monday, db
):
    # Given Tuesdays (1 place) and Thursdays; next Tuesday has one child confirmed and one waiting
    made = await centre.create_class()
    tuesdays = entry(2, [crew["carer1"].gid], capacity=1)
    thursdays = entry(4, [crew["carer1"].gid])
    await centre.set_timetable(made["id"], [tuesdays, thursdays])
    (booked,) = await centre.sessions_of(made["id"], NEXT_TUESDAY)
    for index, status in ((0, "CONFIRMED"), (1, "WAITLISTED")):
        child = (await family.register(guardians[index], f"宝宝{index}", BABY))["id"]
        assert (await family.book(guardians[index], booked["id"], child))["status"] == status
    audits = await count(db, AuditLog)

    # When the Tuesdays are removed, or changed (an hour shorter)
    removed = await centre.set_timetable(made["id"], [thursdays])
    changed = await centre.set_timetable(made["id"], [tuesdays | {"endsAt": "16:00"}, thursdays])

    # Then both are refused, naming the booked session; nothing changed
    for answer in (removed, changed):
        assert (answer["__typename"], answer["code"]) == ("RuleViolation", "TIMETABLE_SESSIONS_BOOKED"), (
            answer
        )
        assert "12月08日 08:00–17:00 全日托（确认 1、候补 1）" in answer["message"]
    assert len(await centre.sessions_of(made["id"], TUESDAY, LAST_DAY)) == 6
    assert await count(db, TimetableEntry, TimetableEntry.class_id == pk(made["id"])) == 2
    assert await count(db, AuditLog) == audits

    # When staff cancel that session first, the Tuesdays go: unbooked ones deleted, the closed one kept
    assert (await centre.cancel(booked["id"], "教室维修"))["cancelledAt"] is not None
    answer = await centre.set_timetable(made["id"], [thursdays])
    assert [e["weekday"] for e in answer["timetable"]] == [4]
    left = await centre.sessions_of(made["id"], TUESDAY, LAST_DAY)
    tuesdays_left = [s for s in left if s["careType"] == "FULL_DAY" and s["start"].startswith("2026-12-08")]
    assert [s["id"] for s in tuesdays_left] == [booked["id"]]
    assert len(left) == 4  # the closed Tuesday and three Thursdays
    async with db() as session:
        kept = await session.get(ChildcareSession, pk(booked["id"]))
        assert kept.timetable_id is None and kept.cancel_reason == "教室维修"


async def test_a_changed_carer_list_reaches_the_entrys_future_sessions(centre, crew, monday):
    made = await centre.create_class()
    one, two = crew["carer1"].gid, crew["carer2"].gid
    await centre.set_timetable(made["id"], [entry(2, [one])])

    await centre.set_timetable(made["id"], [entry(2, [one, two])])
    assert {s["carersOnDuty"] for s in await centre.sessions_of(made["id"], TUESDAY, LAST_DAY)} == {2}

    await centre.set_timetable(made["id"], [entry(2, [two])])
    sessions = await centre.sessions_of(made["id"], TUESDAY, LAST_DAY)
    assert len(sessions) == 3 and {s["carersOnDuty"] for s in sessions} == {1}


@pytest.mark.parametrize(
    ("entries", "code"),
    [
        ([entry(2, []), entry(2, [], capacity=5)], "DUPLICATE_TIMETABLE_ENTRY"),
        ([entry(2, [], starts="25:00")], "INVALID_TIMETABLE_ENTRY"),
        ([entry(2, [], starts="12:00", ends="09:00")], "INVALID_TIMETABLE_ENTRY"),
        ([entry(8, [])], "INVALID_TIMETABLE_ENTRY"),
        ([entry(2, [], capacity=0)], "INVALID_TIMETABLE_ENTRY"),
        ([entry(2, [], capacity=11)], "CLASS_SIZE_EXCEEDED"),  # the class holds 10
        ([entry(2, ["resident"])], "CARER_NOT_STAFF"),
        ([entry(2, ["other"])], "CARER_NOT_STAFF"),  # childcare staff of another community
    ],
)
async def test_a_timetable_against_the_rules_is_refused_and_nothing_is_written(
    centre, crew, monday, db, entries, code
):
    made = await centre.create_class()
    entries = [each | {"carerIds": [crew[name].gid for name in each["carerIds"]]} for each in entries]
    audits = await count(db, AuditLog)

    answer = await centre.set_timetable(made["id"], entries)

    assert (answer["__typename"], answer["code"]) == ("RuleViolation", code), answer
    assert await count(db, TimetableEntry, TimetableEntry.class_id == pk(made["id"])) == 0
    assert await count(db, ChildcareSession, ChildcareSession.class_id == pk(made["id"])) == 0
    assert await count(db, AuditLog) == audits


# ── Closing a session ───────────────────────────────────────────────────────────


async def test_cancelling_a_session_cancels_every_booking_and_tells_each_guardian(
    centre, crew, family, guardians, monday, db
):
    # Given a Tuesday with 2 places: two children confirmed, a third waiting
    made = await centre.create_class()
    await centre.set_timetable(made["id"], [entry(2, [crew["carer1"].gid], capacity=2)])
    (tuesday,) = await centre.sessions_of(made["id"], TUESDAY)
    bookings = []
    for index in range(3):
        child = (await family.register(guardians[index], f"宝宝{index}", BABY))["id"]
        bookings.append(await family.book(guardians[index], tuesday["id"], child))
    assert [b["status"] for b in bookings] == ["CONFIRMED", "CONFIRMED", "WAITLISTED"]

    # When staff close it
    closed = await centre.cancel(tuesday["id"], "流感停课")

    # Then it holds no place, every booking is cancelled, each guardian has one notification
    assert (closed["booked"], closed["remaining"], closed["cancelReason"]) == (0, 0, "流感停课")
    async with db() as session:
        statuses = await session.scalars(
            select(ChildcareBooking.status).where(ChildcareBooking.session_id == pk(tuesday["id"]))
        )
        assert sorted(statuses) == ["CANCELLED"] * 3
        people = await guardian_ids(db)
        told = (
            await session.execute(
                select(Notification.person_id, Notification.kind, Notification.body).where(
                    Notification.person_id.in_(people)
                )
            )
        ).all()
    assert sorted(person for person, _, _ in told) == sorted(people[:3])
    for _, kind, body in told:
        assert kind == "CHILDCARE_SESSION_CANCELLED"
        assert "测试乳儿班" in body and "12月01日 08:00–17:00" in body and "流感停课" in body
    assert await audited(db, "childcare_session.cancel", tuesday["id"]) == 1

    # And it takes no booking, nor a second closure
    child = (await family.register(guardians[3], "宝宝3", BABY))["id"]
    late = await family.book(guardians[3], tuesday["id"], child)
    again = await centre.cancel(tuesday["id"])
    assert (late["__typename"], late["code"]) == ("RuleViolation", "SESSION_CANCELLED")
    assert (again["__typename"], again["code"]) == ("RuleViolation", "SESSION_CANCELLED")


async def test_a_closure_needs_a_reason_a_future_session_and_the_centres_staff(
    centre, crew, family, guardians, monday, db
):
    made = await centre.create_class()
    await centre.set_timetable(made["id"], [entry(1, [crew["carer1"].gid]), entry(2, [crew["carer1"].gid])])
    (today,) = await centre.sessions_of(made["id"], "2026-11-30")
    (tuesday,) = await centre.sessions_of(made["id"], TUESDAY)
    audits = await count(db, AuditLog)

    blank = await centre.cancel(tuesday["id"], "   ")
    elsewhere = await centre.cancel(tuesday["id"], token=crew["other"].token)
    monday.now = monday.now.replace(hour=9)  # today's session has started
    started = await centre.cancel(today["id"])

    assert (blank["code"], elsewhere["code"], started["code"]) == (
        "REASON_REQUIRED",
        "NOT_FOUND",
        "SESSION_STARTED",
    )
    assert await count(db, AuditLog) == audits
    (still,) = await centre.sessions_of(made["id"], TUESDAY)
    assert still["cancelledAt"] is None
    assert (await centre.cancel(tuesday["id"], token=crew["admin"].token))["cancelledAt"] is not None
