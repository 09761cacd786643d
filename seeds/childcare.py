"""The Nanmu 托育服务中心 (SYNTHETIC): one class of each kind, a weekly timetable, sessions ahead.

Idempotent: centre by name, classes by (centre, name), timetable by its slot; sessions are made by
`generate_sessions`, which the periodic job also runs, so the coming weeks always have sessions.
Carers on duty: the demo CHILDCARE_STAFF account and four carers (SYNTHETIC, CHILDCARE_STAFF of the
community, no password) are rostered on the weekly entries, enough for every entry's places at its
class's ratio; each generated session copies its entry's carers.
"""

from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from models.childcare import (
    Child,
    ChildcareCenter,
    ChildcareClass,
    ChildGuardian,
    TimetableCarer,
    TimetableEntry,
)
from models.facilities import Facility
from models.people import Person, Role
from resolvers import people as people_service
from resolvers.childcare import generate_sessions

CENTER_NAME = "南睦托育服务中心"
WEEKDAYS = (1, 2, 3, 4, 5)

# (name, kind, min months, max months (exclusive), class size, children per carer)
CLASSES = [
    ("乳儿班", "INFANT", 6, 12, 10, 3),
    ("托小班", "TODDLER", 12, 24, 15, 5),
    ("托大班", "PRESCHOOL", 24, 36, 20, 7),
    ("混龄班", "MIXED", 18, 36, 18, 6),
]

# The centre's carers (phone, name): the demo CHILDCARE_STAFF account, then four without a password.
CARERS = [
    ("13800000003", "李思琪"),
    ("13800000011", "钱文静"),
    ("13800000012", "孙晓梅"),
    ("13800000013", "周婷"),
    ("13800000014", "吴海燕"),
]
CENTER_COMMUNITY = "南睦未来社区"

# (class, weekdays, care type, starts, ends, places, carers on duty (indexes into CARERS)):
# carers × the class's ratio is never below the places.
TIMETABLE = [
    ("乳儿班", WEEKDAYS, "FULL_DAY", time(8), time(17), 10, (1, 2, 3, 4)),  # 4 × 3 ≥ 10
    ("托小班", WEEKDAYS, "FULL_DAY", time(8), time(17), 12, (0, 1, 2)),  # 3 × 5 ≥ 12
    ("托小班", (6,), "HALF_DAY", time(8, 30), time(12), 10, (1, 2)),  # 2 × 5 ≥ 10
    ("托大班", WEEKDAYS, "FULL_DAY", time(8), time(17), 15, (0, 3, 4)),  # 3 × 7 ≥ 15
    ("托大班", (6,), "HOURLY", time(9), time(11), 10, (3, 4)),  # 2 × 7 ≥ 10
    ("混龄班", WEEKDAYS, "HALF_DAY", time(8, 30), time(12), 12, (0, 1)),  # 2 × 6 ≥ 12
    ("混龄班", WEEKDAYS, "OCCASIONAL", time(13, 30), time(17, 30), 6, (2,)),  # 1 × 6 ≥ 6
]

# A demo family: the RESIDENT demo account's child, registered with consent.
DEMO_CHILD = ("王小满", date(2025, 3, 15), "13800000001")


async def seed_childcare(*, session: AsyncSession, community_ids: dict[str, int], now: datetime) -> int:
    facility_id = await session.scalar(select(Facility.id).where(Facility.name == CENTER_NAME).limit(1))
    values = {"name": CENTER_NAME, "community_id": community_ids["南睦未来社区"], "facility_id": facility_id}
    await session.execute(
        insert(ChildcareCenter).values(**values).on_conflict_do_update(index_elements=["name"], set_=values)
    )
    center_id = await session.scalar(select(ChildcareCenter.id).where(ChildcareCenter.name == CENTER_NAME))
    class_ids = {}
    for name, kind, youngest, oldest, size, ratio in CLASSES:
        row = {
            "kind": kind,
            "min_age_months": youngest,
            "max_age_months": oldest,
            "capacity": size,
            "carer_ratio": ratio,
        }
        class_ids[name] = await session.scalar(
            insert(ChildcareClass)
            .values(center_id=center_id, name=name, **row)
            .on_conflict_do_update(constraint="uq_childcare_classes_center_name", set_=row)
            .returning(ChildcareClass.id)
        )
    carer_ids = [
        (
            await people_service.add_user(
                session=session,
                phone=phone,
                name=name,
                role=Role.CHILDCARE_STAFF,
                community_name=CENTER_COMMUNITY,
            )
        ).id
        for phone, name in CARERS
    ]
    for class_name, weekdays, care_type, starts, ends, places, on_duty in TIMETABLE:
        for weekday in weekdays:
            entry_id = await session.scalar(
                insert(TimetableEntry)
                .values(
                    class_id=class_ids[class_name],
                    weekday=weekday,
                    care_type=care_type,
                    starts_at=starts,
                    ends_at=ends,
                    capacity=places,
                )
                .on_conflict_do_update(
                    constraint="uq_childcare_timetable_slot", set_={"ends_at": ends, "capacity": places}
                )
                .returning(TimetableEntry.id)
            )
            await session.execute(
                insert(TimetableCarer)
                .values([{"timetable_id": entry_id, "person_id": carer_ids[index]} for index in on_duty])
                .on_conflict_do_nothing()
            )
    await seed_demo_child(session=session, now=now)
    return await generate_sessions(session=session, now=now)


async def seed_demo_child(*, session: AsyncSession, now: datetime) -> None:
    name, birth_date, guardian_phone = DEMO_CHILD
    guardian_id = await session.scalar(select(Person.id).where(Person.phone == guardian_phone))
    exists = await session.scalar(
        select(Child.id)
        .join(ChildGuardian, ChildGuardian.child_id == Child.id)
        .where(Child.name == name, ChildGuardian.person_id == guardian_id)
    )
    if exists is None:
        child = Child(name=name, birth_date=birth_date, consent_given_at=now, consent_given_by=guardian_id)
        session.add(child)
        await session.flush()
        session.add(ChildGuardian(child_id=child.id, person_id=guardian_id))
        await session.flush()
