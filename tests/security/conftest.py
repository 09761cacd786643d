"""The authorization matrix's world: one set of people and objects, built once per module inside a
transaction that is rolled back at the end; each test runs in a savepoint of it, rolled back after
the test, so a cell that cancels or checks in changes nothing for the next one.

The overrides of `db` and `app` make the shared `client`, `gql` and WebSocket server work on it.
"""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pyotp
import pytest
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import Range
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from models.affairs import (
    Building,
    Case,
    CaseCategory,
    CaseEvent,
    CasePhoto,
    Compound,
    CompoundOrganisation,
    Notice,
    NoticeReceipt,
    Organisation,
    OrganisationMember,
    Residence,
    Unit,
)
from models.childcare import (
    Child,
    ChildcareBooking,
    ChildcareCenter,
    ChildcareClass,
    ChildcareSession,
    ChildGuardian,
    PickupPerson,
    SessionCarer,
)
from models.eldercare import (
    LOINC,
    CareAlert,
    CareAlertEvent,
    CareVisit,
    Device,
    Elder,
    ElderConsent,
    FamilyLink,
    Reading,
    ReadingKind,
    VitalThreshold,
    VitalThresholdChange,
)
from models.facilities import Facility
from models.makerspace import MakerSpace, Reservation, Resource, ResourceBlockOut
from models.notifications import Notification
from models.people import Community, Household, Person, Role, SessionKind
from resolvers import makerspace as makerspace_service
from resolvers import people as people_service
from resolvers.childcare import pin_hasher
from schema.common import encode_global_id
from seeds.facilities import point
from server.app import create_app
from server.auth import TokenService
from server.pubsub import AlertFeed, Subscriber
from tests.conftest import FakeClock, in_memory, make_settings
from tests.security import rows

SHANGHAI = ZoneInfo("Asia/Shanghai")
PASSWORD = "matrix-password-2026"
PICKUP_PIN = "246810"
ONE, TWO = "矩阵一社区", "矩阵二社区"
WRISTBAND_A = "MATRIX-WB-A"

# Who signs in, with which role and community (the matrix's columns, anonymous aside), and the two
# people whose objects are the targets: the guardian of child X and the holder of reservation R.
COMMUNITY_NAMES = {rows.ONE: ONE, rows.TWO: TWO}
PEOPLE: dict[str, tuple[Role, str | None]] = {
    caller: (Role(role), COMMUNITY_NAMES.get(community))
    for caller, (role, community) in rows.CALLER_ROLES.items()
} | {"guardian_x": (Role.RESIDENT, ONE), "holder": (Role.RESIDENT, ONE)}
SUBJECTS = ("guardian_x", "holder")


@dataclass(frozen=True)
class Member:
    person_id: int
    phone: str
    token: str
    session_id: int
    refresh_token: str

    @property
    def id(self) -> str:
        return encode_global_id("Person", self.person_id)


@dataclass
class World:
    now: datetime  # the app's clock: today 08:35 in Shanghai
    people: dict[str, Member]  # by caller (and subject) name
    ids: dict[str, str]  # global ids of the objects, by name
    elders: dict[str, int]  # "A", "B" → primary key
    children: dict[str, int]  # "X", "Y" → primary key
    pickup_phones: dict[str, list[str]]  # child's global id → its pick-up adults' phones
    own_reservations: dict[str, str]  # caller → their one reservation's global id
    after_sequence: int  # the alert-event sequence before the world's events
    check_in_code: str  # the kiosk's code at `now`
    cases: dict[str, int] = field(default_factory=dict)  # "C" → primary key

    @property
    def today(self) -> date:
        return self.now.date()

    def member(self, caller: str) -> Member | None:
        return self.people.get(caller) if caller not in SUBJECTS else None

    def own_child(self, caller: str) -> str | None:
        return self.ids["child_y"] if caller == "other_guardian" else None

    def own_booking(self, caller: str) -> str | None:
        return self.ids["booking_y"] if caller == "other_guardian" else None


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), SHANGHAI)


async def add_people(session: AsyncSession, tokens: TokenService) -> dict[str, Member]:
    people = {}
    for index, (name, (role, community)) in enumerate(PEOPLE.items()):
        person = await people_service.add_user(
            session=session,
            phone=f"1771100{index:04d}",
            name=f"矩阵{name}",
            role=role,
            community_name=community,
            password=PASSWORD,  # for `login` and `passwordChange`
        )
        # Signed in as in production: the token belongs to a session the person may see and end.
        issued = await people_service.open_session(
            session=session,
            person=person,
            kind=SessionKind.PASSWORD,
            now=datetime.now(SHANGHAI),
            expires_at=datetime.now(SHANGHAI) + timedelta(days=30),
        )
        token = tokens.issue(person, session_id=issued.session.id)[0]
        people[name] = Member(person.id, person.phone, token, issued.session.id, issued.refresh_token)
    return people


async def add_eldercare(session: AsyncSession, now: datetime, people: dict, communities: dict) -> dict:
    """Elder A (community 1) and B (community 2): a device (with its assignment), a reading, an
    open alert with its event, a visit each; A's family with consent, and with consent revoked
    (never given for B); A's own SpO2 band with its history."""
    a = Elder(name="矩阵张桂英", birth_date=date(1942, 5, 3), lives_alone=True, community_id=communities[ONE])
    b = Elder(name="矩阵刘德明", birth_date=date(1938, 9, 12), community_id=communities[TWO])
    session.add_all([a, b])
    await session.flush()
    session.add_all(
        [
            ElderConsent(elder_id=elder.id, given_by="ELDER", reference="矩阵同意书", given_at=now)
            for elder in (a, b)
        ]
    )
    made = {}
    for key, elder, staff in (("a", a, "care_staff"), ("b", b, "care_staff_other")):
        seen = now - timedelta(minutes=5)
        device = Device(
            serial=f"MATRIX-WB-{key.upper()}", kind="WRISTBAND", elder_id=elder.id, last_seen_at=seen
        )
        session.add(device)
        await session.flush()
        session.add(
            Reading(
                device_id=device.id,
                elder_id=elder.id,
                kind=ReadingKind.HEART_RATE.value,
                value=72,
                loinc=LOINC[ReadingKind.HEART_RATE],
                measured_at=now - timedelta(hours=1),
            )
        )
        alert = CareAlert(
            elder_id=elder.id,
            community_id=elder.community_id,
            kind="SOS",
            dedup_key=f"matrix:{elder.id}:SOS",
            severity="CRITICAL",
            status="OPEN",
            summary="紧急呼叫（SOS）",
            opened_at=now - timedelta(minutes=10),
            last_seen_at=now - timedelta(minutes=10),
        )
        visit = CareVisit(
            elder_id=elder.id,
            staff_id=people[staff].person_id,
            kind="VISIT",
            note="上门探访：血压平稳",
            visited_at=now - timedelta(days=1),
        )
        session.add_all([alert, visit])
        await session.flush()
        made[key] = (elder, device, alert, visit)
    # Community 1's device given to nobody yet, and A's own SpO2 band (the elder-care office's targets).
    free = Device(serial="MATRIX-FREE", kind="THERMOMETER", community_id=communities[ONE])
    band = {"criticalLow": 88.0, "warningLow": 90.0, "warningHigh": None, "criticalHigh": None}
    session.add_all(
        [
            free,
            VitalThreshold(elder_id=a.id, kind="SPO2", critical_low=88, warning_low=90),
            # …and its history (Elder.thresholdHistory).
            VitalThresholdChange(
                elder_id=a.id,
                kind="SPO2",
                changed_by=people["care_staff"].person_id,
                changed_at=now - timedelta(days=7),
                reason="慢阻肺，血氧基线偏低",
                after=band,
            ),
        ]
    )
    await session.flush()
    after = await session.scalar(select(func.coalesce(func.max(CareAlertEvent.sequence), 0)))
    # A's event first, B's last: a subscriber who has received B's has been shown all the world's.
    for key in ("a", "b"):
        elder, _, alert, _ = made[key]
        session.add(
            CareAlertEvent(
                alert_id=alert.id,
                elder_id=elder.id,
                community_id=elder.community_id,
                type="OPENED",
                at=alert.opened_at,
            )
        )
        await session.flush()
    month_ago, yesterday = now - timedelta(days=30), now - timedelta(days=1)
    session.add_all(
        [
            FamilyLink(
                elder_id=a.id,
                person_id=people["family"].person_id,
                relationship="女儿",
                consented_at=month_ago,
            ),
            FamilyLink(
                elder_id=a.id,
                person_id=people["family_no_consent"].person_id,
                relationship="侄子",
                consented_at=month_ago,
                consent_revoked_at=yesterday,
            ),
            FamilyLink(elder_id=b.id, person_id=people["family_no_consent"].person_id, relationship="外甥"),
        ]
    )
    await session.flush()
    return {
        "after": after,
        "elders": {"A": a.id, "B": b.id},
        "ids": {
            "elder_a": encode_global_id("Elder", a.id),
            "elder_b": encode_global_id("Elder", b.id),
            "device_a": encode_global_id("Device", made["a"][1].id),
            "free_device": encode_global_id("Device", free.id),
            "alert_a": encode_global_id("CareAlert", made["a"][2].id),
            "visit_a": encode_global_id("CareVisit", made["a"][3].id),
        },
    }


async def add_childcare(session: AsyncSession, now: datetime, people: dict, communities: dict) -> dict:
    """A centre in community 1 with one class and sessions yesterday, today and tomorrow; child X
    (checked in yesterday, booked today) and child Y of the other guardian (booked today)."""
    center = ChildcareCenter(name="矩阵托育中心", community_id=communities[ONE])
    session.add(center)
    await session.flush()
    klass = ChildcareClass(
        center_id=center.id,
        name="矩阵混龄班",
        kind="MIXED",
        min_age_months=18,
        max_age_months=36,
        capacity=18,
        carer_ratio=6,
    )
    session.add(klass)
    await session.flush()
    slots = {}
    for name, day in (("yesterday", -1), ("today", 0), ("tomorrow", 1)):
        day_of = now.date() + timedelta(days=day)
        slots[name] = ChildcareSession(
            class_id=klass.id,
            class_capacity=klass.capacity,
            care_type="FULL_DAY",
            period=Range(at(day_of, 9), at(day_of, 17), bounds="[)"),
            day=day_of,
            capacity=10,
            confirmed_count={"yesterday": 1, "today": 2, "tomorrow": 0}[name],
        )
    session.add_all(slots.values())
    await session.flush()
    # A carer on duty at every session (1:6 covers the confirmed children); not a caller.
    carer = await people_service.add_user(
        session=session, phone="17711009999", name="矩阵照护员", role=Role.CHILDCARE_STAFF, community_name=ONE
    )
    session.add_all([SessionCarer(session_id=slot.id, person_id=carer.id) for slot in slots.values()])
    await session.flush()
    pin_hash = pin_hasher.hash(PICKUP_PIN)
    children, phones = {}, {}
    for key, guardian, adult, phone in (
        ("x", "guardian_x", "外婆", "13912340001"),
        ("y", "other_guardian", "爷爷", "13912340002"),
    ):
        guardian_id = people[guardian].person_id
        child = Child(
            name=f"矩阵宝宝{key.upper()}",
            birth_date=now.date() - timedelta(days=730),
            consent_given_at=now - timedelta(days=60),
            consent_given_by=guardian_id,
        )
        session.add(child)
        await session.flush()
        session.add(ChildGuardian(child_id=child.id, person_id=guardian_id))
        session.add(
            PickupPerson(child_id=child.id, name=adult, phone=phone, pin_hash=pin_hash, added_by=guardian_id)
        )
        children[key] = (child, guardian_id)
        phones[encode_global_id("Child", child.id)] = [phone]
    bookings = {}
    for name, key, slot, status in (
        ("booking_x", "x", "today", "CONFIRMED"),
        ("booking_x_checked_in", "x", "yesterday", "CHECKED_IN"),
        ("booking_y", "y", "today", "CONFIRMED"),
    ):
        child, guardian_id = children[key]
        bookings[name] = ChildcareBooking(
            session_id=slots[slot].id,
            child_id=child.id,
            booked_by=guardian_id,
            period=slots[slot].period,
            status=status,
            checked_in_at=slots[slot].period.lower if status == "CHECKED_IN" else None,
        )
    session.add_all(bookings.values())
    await session.flush()
    ids = {
        "center": encode_global_id("ChildcareCenter", center.id),
        "class": encode_global_id("ChildcareClass", klass.id),
        "carer": encode_global_id("Person", carer.id),
        "child_x": encode_global_id("Child", children["x"][0].id),
        "child_y": encode_global_id("Child", children["y"][0].id),
    }
    ids |= {f"session_{name}": encode_global_id("ChildcareSession", slot.id) for name, slot in slots.items()}
    ids |= {name: encode_global_id("ChildcareBooking", booking.id) for name, booking in bookings.items()}
    keys = {key.upper(): child.id for key, (child, _) in children.items()}
    return {"ids": ids, "pickup_phones": phones, "children": keys}


async def add_makerspace(session: AsyncSession, now: datetime, people: dict, communities: dict) -> dict:
    """A space in community 1; reservation R of the holder and one of every caller, all starting
    at 08:30 (open for check-in at 08:35) on desks of their own; the last desk stays free; R's desk
    blocked out in three days."""
    space = MakerSpace(
        name="矩阵创客厅", community_id=communities[ONE], check_in_secret=pyotp.random_base32()
    )
    session.add(space)
    await session.flush()
    holders = [name for name in PEOPLE if name != "guardian_x"]
    desks = [
        Resource(
            space_id=space.id,
            name=f"矩阵工位 {n:02d}",
            kind="DESK",
            capacity=1,
            features=["POWER"],
            position=n,
        )
        for n in range(len(holders) + 1)
    ]
    session.add_all(desks)
    await session.flush()
    reservations = {
        name: Reservation(
            resource_id=desk.id,
            space_id=space.id,
            person_id=people[name].person_id,
            period=Range(at(now.date(), 8, 30), at(now.date(), 9, 30), bounds="[)"),
            status="CONFIRMED",
            party_size=1,
        )
        for name, desk in zip(holders, desks, strict=False)
    }
    session.add_all(reservations.values())
    # R's desk blocked out in three days (MakerSpace.blockOuts), clear of every cell's times.
    in_three_days = now.date() + timedelta(days=3)
    session.add(
        ResourceBlockOut(
            resource_id=desks[0].id,
            space_id=space.id,
            period=Range(at(in_three_days, 10), at(in_three_days, 12), bounds="[)"),
            reason="矩阵：空调检修",
            created_by=people["makerspace_staff"].person_id,
        )
    )
    await session.flush()
    gids = {name: encode_global_id("Reservation", made.id) for name, made in reservations.items()}
    return {
        "ids": {
            "space": encode_global_id("MakerSpace", space.id),
            "desk": encode_global_id("Resource", desks[0].id),
            "free_desk": encode_global_id("Resource", desks[-1].id),
            "reservation_r": gids.pop("holder"),
        },
        "own_reservations": gids,
        "check_in_code": makerspace_service.check_in_code(space, now)[0],
    }


async def add_facility_f(session: AsyncSession, communities: dict) -> int:
    """Facility F: run by the office of community 1 (#17)."""
    facility = Facility(
        name="矩阵设施F",
        category="HEALTH_STATION",
        location=point(30.2978, 120.0418),
        community_id=communities[ONE],
        is_synthetic=False,
    )
    session.add(facility)
    await session.flush()
    return facility.id


JPEG = b"\xff\xd8\xff\xe0" + b"matrix" * 10


async def add_affairs(session: AsyncSession, now: datetime, people: dict, communities: dict) -> dict:
    """矩阵小区 in community 1 (its 物业: org_staff; the 居委会: committee_staff) and 矩阵二小区 in
    community 2 (its 物业: org_staff_other). The holder's household lives in 矩阵小区; case C is
    theirs (REPORTED, with a photo, routed to the 物业), and so is a RESOLVED one (to rate or
    reopen). The 物业's staff were told of C in their inbox."""
    one, two = communities[ONE], communities[TWO]
    compound, other = (
        Compound(community_id=one, name="矩阵小区"),
        Compound(community_id=two, name="矩阵二小区"),
    )
    session.add_all([compound, other])
    await session.flush()
    building = Building(compound_id=compound.id, name="1幢")
    session.add(building)
    await session.flush()
    unit, spare = Unit(building_id=building.id, name="101"), Unit(building_id=building.id, name="102")
    household = Household(community_id=one, address="矩阵小区1幢101")
    session.add_all([unit, spare, household])
    await session.flush()
    session.add(Residence(household_id=household.id, unit_id=unit.id, tenure="OWNER"))
    holder = await session.get(Person, people["holder"].person_id)
    holder.household_id = household.id
    organisations = {
        "committee": Organisation(community_id=one, kind="RESIDENTS_COMMITTEE", name="矩阵一居委会"),
        "property": Organisation(community_id=one, kind="PROPERTY_MANAGEMENT", name="矩阵一物业"),
        "committee_two": Organisation(community_id=two, kind="RESIDENTS_COMMITTEE", name="矩阵二居委会"),
        "property_two": Organisation(community_id=two, kind="PROPERTY_MANAGEMENT", name="矩阵二物业"),
    }
    session.add_all(organisations.values())
    await session.flush()
    session.add_all(
        [
            CompoundOrganisation(
                compound_id=compound.id,
                kind="PROPERTY_MANAGEMENT",
                organisation_id=organisations["property"].id,
                community_id=one,
            ),
            CompoundOrganisation(
                compound_id=other.id,
                kind="PROPERTY_MANAGEMENT",
                organisation_id=organisations["property_two"].id,
                community_id=two,
            ),
            *(
                OrganisationMember(organisation_id=organisations[name].id, person_id=people[caller].person_id)
                for caller, name in (
                    ("org_staff", "property"),
                    ("committee_staff", "committee"),
                    ("org_staff_other", "property_two"),
                )
            ),
        ]
    )
    category = await session.scalar(
        select(CaseCategory.id).where(CaseCategory.code == "PUBLIC_FACILITY_REPAIR")
    )
    common = {
        "community_id": one,
        "compound_id": compound.id,
        "category_id": category,
        "reporter_id": holder.id,
        "organisation_id": organisations["property"].id,
    }
    case_c = Case(
        **common,
        description="矩阵：楼道灯坏了",
        status="REPORTED",
        reported_at=now - timedelta(hours=1),
        accept_due_at=now + timedelta(hours=23),
        resolve_due_at=now + timedelta(hours=71),
    )
    done = Case(
        **common,
        description="矩阵：门禁失灵",
        status="RESOLVED",
        reported_at=now - timedelta(days=2),
        accept_due_at=now + timedelta(days=-1),
        resolve_due_at=now + timedelta(days=1),
        accepted_at=now - timedelta(days=2) + timedelta(hours=1),
        accepted_by=people["org_staff"].person_id,
        resolved_at=now - timedelta(hours=3),
        resolved_by=people["org_staff"].person_id,
        resolution_note="矩阵：已更换门禁主板",
    )
    session.add_all([case_c, done])
    await session.flush()
    photo = CasePhoto(case_id=case_c.id, position=1, content_type="image/jpeg", data=JPEG)
    # Notice N of the 居委会 (published by its staff), which reached the holder's household.
    notice = Notice(
        community_id=one,
        publisher_id=people["committee_staff"].person_id,
        organisation_id=organisations["committee"].id,
        compound_id=compound.id,
        audience="ALL",
        title="矩阵：停水通知",
        body="矩阵小区明日 9:00–12:00 停水。",
        requires_acknowledgement=True,
        published_at=now - timedelta(hours=2),
        households=1,
    )
    session.add(notice)
    await session.flush()
    session.add(NoticeReceipt(notice_id=notice.id, household_id=household.id))
    # The holder's notification just before C's: a replay after it starts where C's begins.
    marker = Notification(person_id=holder.id, kind="CASE_UPDATED", title="矩阵：标记", body="矩阵")
    session.add(marker)
    await session.flush()
    session.add_all(
        [
            photo,
            *(
                CaseEvent(case_id=row.id, kind="REPORTED", actor_id=holder.id, at=row.reported_at)
                for row in (case_c, done)
            ),
            Notification(
                person_id=people["org_staff"].person_id,
                kind="CASE_ASSIGNED",
                title="新的公共设施报修事项",
                body="矩阵：楼道灯坏了",
                subject_id=encode_global_id("Case", case_c.id),
            ),
        ]
    )
    await session.flush()
    return {
        "cases": {"C": case_c.id},
        "ids": {
            "compound": encode_global_id("Compound", compound.id),
            "spare_unit": encode_global_id("Unit", spare.id),
            "unit": encode_global_id("Unit", unit.id),
            "building": encode_global_id("Building", building.id),
            "household": encode_global_id("Household", household.id),
            "committee": encode_global_id("Organisation", organisations["committee"].id),
            "property": encode_global_id("Organisation", organisations["property"].id),
            "case_c": encode_global_id("Case", case_c.id),
            "case_done": encode_global_id("Case", done.id),
            "photo_c": encode_global_id("CasePhoto", photo.id),
            "before_case_notice": encode_global_id("Notification", marker.id),
            "notice_n": encode_global_id("Notice", notice.id),
        },
    }


async def build_world(session: AsyncSession, now: datetime) -> World:
    tokens = TokenService(make_settings())
    session.add_all(
        [Community(name=ONE, subdistrict="五常街道"), Community(name=TWO, subdistrict="五常街道")]
    )
    await session.flush()
    communities = dict((await session.execute(select(Community.name, Community.id))).all())
    people = await add_people(session, tokens)
    elders = await add_eldercare(session, now, people, communities)
    children = await add_childcare(session, now, people, communities)
    space = await add_makerspace(session, now, people, communities)
    facility = await session.scalar(select(Facility.id).order_by(Facility.id).limit(1))
    facility_f = await add_facility_f(session, communities)
    affairs = await add_affairs(session, now, people, communities)
    ids = {
        "community": encode_global_id("Community", communities[ONE]),
        "facility": encode_global_id("Facility", facility),
        "facility_f": encode_global_id("Facility", facility_f),
        "holder": people["holder"].id,
        **elders["ids"],
        **children["ids"],
        **space["ids"],
        **affairs["ids"],
    }
    return World(
        now=now,
        people=people,
        ids=ids,
        elders=elders["elders"],
        children=children["children"],
        pickup_phones=children["pickup_phones"],
        own_reservations=space["own_reservations"],
        after_sequence=elders["after"],
        check_in_code=space["check_in_code"],
        cases=affairs["cases"],
    )


@pytest.fixture(scope="module")
async def matrix_connection(engine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as connection:
        transaction = await connection.begin()
        try:
            yield connection
        finally:
            await transaction.rollback()


@pytest.fixture(scope="module")
def matrix_sessions(matrix_connection) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(
        bind=matrix_connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@pytest.fixture(scope="module")
async def world(matrix_sessions) -> World:
    # 08:35 today: today's sessions have not started, the 08:30 reservations are open for check-in.
    now = at(datetime.now(SHANGHAI).date(), 8, 35)
    async with matrix_sessions() as session:
        built = await build_world(session, now)
        await session.commit()
    return built


class CaughtUpFeed(AlertFeed):
    """The app's alert feed, telling a test when a subscriber has sent all it had and waits.

    Only then may the test close the socket: cancelled in the middle of a statement, a
    subscription would break the one connection the whole module's world lives on."""

    def __init__(self, database_url: str) -> None:
        super().__init__(database_url)
        self.caught_up = asyncio.Event()

    async def wait(self, subscriber: Subscriber) -> None:
        self.caught_up.set()
        await super().wait(subscriber)


@pytest.fixture(scope="module")
async def matrix_app(engine, matrix_sessions, world):
    settings = make_settings()
    app = create_app(
        settings,
        engine=engine,
        session_factory=matrix_sessions,
        clock=FakeClock(world.now),
        configure_logs=False,
    )
    app.state.services.alert_feed = CaughtUpFeed(settings.database_url)
    await in_memory(app)
    yield app
    await app.state.services.alert_feed.close()


@pytest.fixture
async def db(
    matrix_connection, matrix_sessions, matrix_app, world
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """This test's changes live in a savepoint of the module's transaction, rolled back after it."""
    savepoint = await matrix_connection.begin_nested()
    try:
        yield matrix_sessions
    finally:
        await savepoint.rollback()
        # The app outlives the cell: what it remembers revoking is forgotten with the rollback.
        await matrix_app.state.services.revocations.use_memory()


@pytest.fixture
def app(db, matrix_app):
    return matrix_app
