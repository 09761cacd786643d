"""Statement-count cases of childcare: centres, sessions, children, bookings, the gate.

Run by tests/perf/test_statement_counts.py (see tests/perf/cases.py for what a case is).
"""

from datetime import date, time, timedelta
from functools import partial

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import Range

from models.childcare import (
    Child,
    ChildcareBooking,
    ChildcareCenter,
    ChildcareClass,
    ChildcareSession,
    ChildGuardian,
    PickupPerson,
    SessionCarer,
    TimetableCarer,
    TimetableEntry,
)
from models.people import Person, Role
from resolvers.childcare import pin_hasher
from tests.perf.cases import NANMU, AliasSetup, Case, Run, World, edges, gid, node_query

# The rows the cases build -----------------------------------------------------


async def add_center(w: World, classes: int = 1, community: str = NANMU) -> tuple[ChildcareCenter, list]:
    center = ChildcareCenter(
        name=f"性能测试托育中心{w.unique():03d}", community_id=await w.community_id(community)
    )
    w.session.add(center)
    await w.session.flush()
    made = [
        ChildcareClass(
            center_id=center.id,
            name=f"混龄{index:02d}班",
            kind="MIXED",
            min_age_months=18,
            max_age_months=36,
            capacity=18,
            carer_ratio=6,
        )
        for index in range(classes)
    ]
    w.session.add_all(made)
    await w.session.flush()
    return center, made


async def add_slot(
    w: World, klass: ChildcareClass, day: date, capacity: int = 10, confirmed: int = 0
) -> ChildcareSession:
    slot = ChildcareSession(
        class_id=klass.id,
        class_capacity=klass.capacity,
        care_type="FULL_DAY",
        period=Range(w.at(day, 8), w.at(day, 17), bounds="[)"),
        day=day,
        capacity=capacity,
        confirmed_count=confirmed,
    )
    w.session.add(slot)
    await w.session.flush()
    return slot


async def on_duty(w: World, slot: ChildcareSession) -> None:
    """One carer for the slot (a MIXED class's 1:6), so it confirms as it did before carers counted."""
    if "carer" not in w.memo:
        w.memo["carer"] = (await w.person(Role.CHILDCARE_STAFF))[0]
    w.session.add(SessionCarer(session_id=slot.id, person_id=w.memo["carer"].id))
    await w.session.flush()


async def add_slots(
    w: World, klass: ChildcareClass, count: int, first_day: int = 2
) -> list[ChildcareSession]:
    return [await add_slot(w, klass, w.today + timedelta(days=first_day + i)) for i in range(count)]


async def add_child(w: World, guardian: Person, pickups: int = 0, pin: str = "000000") -> Child:
    child = Child(
        name=f"宝宝{w.unique():03d}",
        birth_date=w.today - timedelta(days=730),  # two years old: a mixed class takes them
        consent_given_at=w.now,
        consent_given_by=guardian.id,
    )
    w.session.add(child)
    await w.session.flush()
    w.session.add(ChildGuardian(child_id=child.id, person_id=guardian.id))
    for _ in range(pickups):
        await add_pickup(w, child, guardian, pin)
    await w.session.flush()
    return child


async def add_pickup(w: World, child: Child, guardian: Person, pin: str) -> PickupPerson:
    pin_hashes = w.memo.setdefault("pin_hashes", {})  # argon2 is slow on purpose: once per PIN
    if pin not in pin_hashes:
        pin_hashes[pin] = pin_hasher.hash(pin)
    person = PickupPerson(
        child_id=child.id,
        name=f"接送人{w.unique():03d}",
        phone=f"1350{w.unique():07d}",
        pin_hash=pin_hashes[pin],
        added_by=guardian.id,
    )
    w.session.add(person)
    await w.session.flush()
    return person


async def add_booking(
    w: World, child: Child, slot: ChildcareSession, guardian: Person, status: str = "CONFIRMED", **extra
) -> ChildcareBooking:
    waitlist = None
    if status == "WAITLISTED":
        slot.waitlist_sequence += 1
        waitlist = slot.waitlist_sequence
    booking = ChildcareBooking(
        session_id=slot.id,
        child_id=child.id,
        booked_by=guardian.id,
        period=slot.period,
        status=status,
        waitlist_sequence=waitlist,
        **extra,
    )
    w.session.add(booking)
    await w.session.flush()
    return booking


async def child_with_bookings(w: World, n: int) -> tuple[Person, str, Child, list[ChildcareBooking]]:
    guardian, token = await w.person()
    _, classes = await add_center(w, classes=n)
    child = await add_child(w, guardian, pickups=n)
    bookings = [
        await add_booking(w, child, await add_slot(w, klass, w.today + timedelta(days=2 + index)), guardian)
        for index, klass in enumerate(classes)
    ]
    await w.commit()
    return guardian, token, child, bookings


async def booking_today(w: World, n: int, pickups: int, **extra) -> ChildcareBooking:
    """A booking of a child with n other bookings and `pickups` pick-up people (PIN 000000), today."""
    guardian, _, child, _ = await child_with_bookings(w, n)
    for _ in range(pickups):
        await add_pickup(w, child, guardian, "000000")
    _, (klass,) = await add_center(w)
    slot = await add_slot(w, klass, w.today, confirmed=1)
    booking = await add_booking(w, child, slot, guardian, **extra)
    await w.commit()
    return booking


# Query ----------------------------------------------------------------------

SESSIONS = """
query($center: ID!, $from: Date!, $to: Date!, $child: ID) {
  childcareSessions(centerId: $center, from: $from, to: $to, childId: $child) {
    id careType start end capacity booked remaining waitlisted eligible carers { id name }
    class { id name kind minAgeMonths maxAgeMonths capacity carerRatio } } }
"""


async def childcare_sessions(w: World, n: int) -> Run:
    """n sessions, each with a carer on duty, asked by ADMIN (who sees the carers and any child)."""
    guardian, _ = await w.person()
    center, classes = await add_center(w, classes=n)
    child = await add_child(w, guardian)
    tomorrow = w.today + timedelta(days=1)
    for klass in classes:
        slot = await add_slot(w, klass, tomorrow)
        await on_duty(w, slot)
        await add_booking(w, await add_child(w, guardian), slot, guardian, "WAITLISTED")
    await w.commit()
    variables = {
        "center": gid("ChildcareCenter", center.id),
        "from": tomorrow.isoformat(),
        "to": tomorrow.isoformat(),
        "child": gid("Child", child.id),
    }
    return Run(variables, w.tokens["ADMIN"])


CENTERS = """
{ childcareCenters { id name classes { id name kind minAgeMonths maxAgeMonths capacity carerRatio
  timetable { weekday startsAt capacity } } } }
"""


async def childcare_centers(w: World, n: int) -> Run:
    for _ in range(n):
        _, classes = await add_center(w, classes=2)
        for klass in classes:
            await add_timetable(w, klass, 2)
    await w.commit()
    return Run()


MY_CHILDREN = """
{ myChildren {
  id name birthDate
  pickupPersons { name phone }
  bookings { id status createdAt waitlistPosition
    child { id name }
    session { id start booked waitlisted class { id name } } } } }
"""


async def my_children(w: World, n: int) -> Run:
    guardian, token = await w.person()
    _, classes = await add_center(w, classes=n)
    for klass in classes:  # each child in sessions of a class of its own
        confirmed, waitlisted = await add_slots(w, klass, 2)
        child = await add_child(w, guardian, pickups=2)
        await add_booking(w, child, confirmed, guardian)
        await add_booking(w, child, waitlisted, guardian, "WAITLISTED")
    await w.commit()
    return Run(token=token)


ROSTER = """
query($session: ID!) { childcareSessionRoster(sessionId: $session) {
  id status createdAt waitlistPosition checkedInAt checkedOutAt
  child { id name pickupPersons { name } bookings { id status } }
  session { id booked waitlisted class { id name } } } }
"""


async def childcare_session_roster(w: World, n: int) -> Run:
    guardian, _ = await w.person()
    _, (klass,) = await add_center(w)
    slot = await add_slot(w, klass, w.today + timedelta(days=1))
    for index in range(n):
        child = await add_child(w, guardian, pickups=1)
        await add_booking(w, child, slot, guardian, "CONFIRMED" if index % 2 == 0 else "WAITLISTED")
    _, token = await w.person(Role.CHILDCARE_STAFF)
    return Run({"session": gid("ChildcareSession", slot.id)}, token)


async def add_timetable(w: World, klass: ChildcareClass, n: int) -> None:
    """n weekly entries of the class (no carers; its sessions are not generated)."""
    for index in range(n):
        starts = 6 + index // 7
        w.session.add(
            TimetableEntry(
                class_id=klass.id,
                weekday=1 + index % 7,
                care_type="HOURLY",
                starts_at=time(starts),
                ends_at=time(starts + 1),
                capacity=6,
            )
        )
    await w.session.flush()


async def node_childcare_class(w: World, n: int) -> Run:
    _, (klass,) = await add_center(w)
    await add_timetable(w, klass, n)
    await w.commit()
    return Run({"id": gid("ChildcareClass", klass.id)})


async def node_childcare_center(w: World, n: int) -> Run:
    center, _ = await add_center(w, classes=n)
    await w.commit()
    return Run({"id": gid("ChildcareCenter", center.id)})


async def node_childcare_session(w: World, n: int) -> Run:
    guardian, _ = await w.person()
    _, (klass,) = await add_center(w)
    slot = await add_slot(w, klass, w.today + timedelta(days=1), capacity=1, confirmed=1)
    for _ in range(n):
        await add_booking(w, await add_child(w, guardian), slot, guardian, "WAITLISTED")
    await w.commit()
    return Run({"id": gid("ChildcareSession", slot.id)})


async def node_child(w: World, n: int) -> Run:
    _, token, child, _ = await child_with_bookings(w, n)
    return Run({"id": gid("Child", child.id)}, token)


async def node_childcare_booking(w: World, n: int) -> Run:
    _, token, _, bookings = await child_with_bookings(w, n)
    return Run({"id": gid("ChildcareBooking", bookings[0].id)}, token)


# Mutation ---------------------------------------------------------------------

CHILD_REGISTER = """
mutation($input: ChildRegisterInput!) { childRegister(input: $input) {
  __typename
  ... on Child { id name birthDate bookings { id session { id class { name } } } pickupPersons { name } }
  ... on DomainError { code message } } }
"""


async def child_register(w: World, n: int) -> Run:
    """A guardian of n children (each with a pick-up adult and a booking) registers one more: a new
    child's own lists are empty, so what could grow is what a rule over the family would read."""
    guardian, token = await w.person()
    _, (klass,) = await add_center(w)
    for slot in await add_slots(w, klass, n):
        await add_booking(w, await add_child(w, guardian, pickups=1), slot, guardian)
    await w.commit()
    birth = (w.today - timedelta(days=400)).isoformat()
    variables = {"input": {"name": "新宝宝", "birthDate": birth, "guardianConsent": True}}
    return Run(
        variables, token, count=partial(w.count, ChildGuardian, ChildGuardian.person_id == guardian.id)
    )


PICKUP_ADD = """
mutation($child: ID!, $name: String!, $phone: String!) {
  childPickupPersonAdd(childId: $child, name: $name, phone: $phone) {
    __typename
    ... on PickupPersonAdded { pin person { name phone } }
    ... on DomainError { code message } } }
"""


async def child_pickup_person_add(w: World, n: int) -> Run:
    guardian, token = await w.person()
    child = await add_child(w, guardian, pickups=n)
    await w.commit()
    variables = {"child": gid("Child", child.id), "name": "外婆", "phone": f"1370{w.unique():07d}"}
    return Run(variables, token, count=partial(w.count, PickupPerson, PickupPerson.child_id == child.id))


BOOKING_RESULT = """
  __typename
  ... on ChildcareBooking { id status createdAt checkedInAt checkedOutAt waitlistPosition
    session { id booked waitlisted class { id name } }
    child { id name
      bookings { id status waitlistPosition session { id start class { name } } }
      pickupPersons { name phone } } }
  ... on DomainError { code message }
"""
BOOKING_CREATE = f"""
mutation($input: ChildcareBookingCreateInput!) {{
  childcareBookingCreate(input: $input) {{ {BOOKING_RESULT} }} }}
"""
BOOKING_CANCEL = f"mutation($id: ID!) {{ childcareBookingCancel(id: $id) {{ {BOOKING_RESULT} }} }}"
CHILD_CHECK_IN = f"mutation($id: ID!) {{ childCheckIn(bookingId: $id) {{ {BOOKING_RESULT} }} }}"
CHILD_CHECK_OUT = f"""
mutation($id: ID!, $pin: String!) {{ childCheckOut(bookingId: $id, pickupPin: $pin) {{ {BOOKING_RESULT} }} }}
"""
CHILD_CHECK_OUT_UNLOCK = (
    f"mutation($id: ID!) {{ childCheckOutUnlock(bookingId: $id) {{ {BOOKING_RESULT} }} }}"
)


async def childcare_booking_create(w: World, n: int) -> Run:
    _, token, child, _ = await child_with_bookings(w, n)
    _, (klass,) = await add_center(w)
    slot = await add_slot(w, klass, w.today + timedelta(days=1))
    await on_duty(w, slot)
    await w.commit()
    variables = {"input": {"sessionId": gid("ChildcareSession", slot.id), "childId": gid("Child", child.id)}}
    return Run(variables, token)


async def childcare_booking_cancel(w: World, n: int) -> Run:
    guardian, token, child, _ = await child_with_bookings(w, n)
    _, (klass,) = await add_center(w)
    # A full session with n children waiting: cancelling gives the place to the first of them.
    slot = await add_slot(w, klass, w.today + timedelta(days=1), capacity=1, confirmed=1)
    await on_duty(w, slot)
    booking = await add_booking(w, child, slot, guardian)
    for _ in range(n):
        await add_booking(w, await add_child(w, guardian), slot, guardian, "WAITLISTED")
    await w.commit()
    return Run({"id": gid("ChildcareBooking", booking.id)}, token)


async def child_check_in(w: World, n: int) -> Run:
    booking = await booking_today(w, n, pickups=0)
    _, token = await w.person(Role.CHILDCARE_STAFF)
    return Run({"id": gid("ChildcareBooking", booking.id)}, token)


async def child_check_out(w: World, n: int) -> Run:
    # The child's n pick-up people (PIN 000000) are tried before the one whose PIN is given.
    booking = await booking_today(w, n, pickups=0, status="CHECKED_IN", checked_in_at=w.now)
    child = await w.session.get(Child, booking.child_id)
    await add_pickup(w, child, await w.session.get(Person, child.consent_given_by), "424242")
    await w.commit()
    _, token = await w.person(Role.CHILDCARE_STAFF)
    return Run({"id": gid("ChildcareBooking", booking.id), "pin": "424242"}, token)


async def child_check_out_unlock(w: World, n: int) -> Run:
    booking = await booking_today(
        w, n, pickups=1, status="CHECKED_IN", checked_in_at=w.now, checkout_locked=True, failed_pin_attempts=5
    )
    _, token = await w.person(Role.CHILDCARE_STAFF)
    return Run({"id": gid("ChildcareBooking", booking.id)}, token)


# Running the centre ----------------------------------------------------------------

CLASS_RESULT = """
  __typename
  ... on ChildcareClass { id name kind capacity carerRatio
    timetable { weekday careType startsAt endsAt capacity } }
  ... on DomainError { code message }
"""
CLASS_CREATE = f"""
mutation($input: ChildcareClassCreateInput!) {{ childcareClassCreate(input: $input) {{ {CLASS_RESULT} }} }}
"""
CLASS_UPDATE = f"""
mutation($id: ID!, $input: ChildcareClassUpdateInput!) {{
  childcareClassUpdate(id: $id, input: $input) {{ {CLASS_RESULT} }} }}
"""
TIMETABLE_SET = f"""
mutation($id: ID!, $entries: [ChildcareTimetableEntryInput!]!) {{
  childcareTimetableSet(classId: $id, entries: $entries) {{ {CLASS_RESULT} }} }}
"""
SESSION_CANCEL = """
mutation($id: ID!) { childcareSessionCancel(sessionId: $id, reason: "停电") {
  __typename
  ... on ChildcareSession { id booked remaining carersOnDuty cancelledAt waitlisted class { name } }
  ... on DomainError { code message } } }
"""
CARERS_RESULT = """
  __typename
  ... on ChildcareSessionCarers { session { id booked remaining carersOnDuty waitlisted } carers { id name } }
  ... on DomainError { code message }
"""
CARER_ASSIGN = f"""
mutation($id: ID!, $person: ID!) {{
  childcareSessionCarerAssign(sessionId: $id, personId: $person) {{ {CARERS_RESULT} }} }}
"""
CARER_REMOVE = f"""
mutation($id: ID!, $person: ID!) {{
  childcareSessionCarerRemove(sessionId: $id, personId: $person) {{ {CARERS_RESULT} }} }}
"""


async def centre_staff(w: World) -> tuple[Person, str]:
    return await w.person(Role.CHILDCARE_STAFF)


async def childcare_class_create(w: World, n: int) -> Run:
    center, _ = await add_center(w, classes=n)
    _, token = await centre_staff(w)
    values = {"centerId": gid("ChildcareCenter", center.id), "name": "新乳儿班", "kind": "INFANT"}
    values |= {"minAgeMonths": 6, "maxAgeMonths": 12, "capacity": 10, "carerRatio": 3}
    return Run(
        {"input": values},
        token,
        count=partial(w.count, ChildcareClass, ChildcareClass.center_id == center.id),
    )


async def childcare_class_update(w: World, n: int) -> Run:
    """A class with n sessions ahead lowers its ratio: the database carries it into each of them."""
    _, (klass,) = await add_center(w)
    await add_slots(w, klass, n)
    await w.commit()
    _, token = await centre_staff(w)
    lowered = (ChildcareSession.class_id == klass.id, ChildcareSession.class_carer_ratio == 5)
    return Run(
        {"id": gid("ChildcareClass", klass.id), "input": {"carerRatio": 5}},
        token,
        count=partial(w.count, ChildcareSession, *lowered),
    )


def weekly(index: int, carers: list[str]) -> dict:
    starts = 6 + index // 7
    return {
        "weekday": 1 + index % 7,
        "careType": "HOURLY",
        "startsAt": f"{starts:02d}:00",
        "endsAt": f"{starts + 1:02d}:00",
        "capacity": 6,
        "carerIds": carers,
    }


async def childcare_timetable_set(w: World, n: int) -> Run:
    """A class with n weekly entries (each with a carer) keeps them and gains one."""
    carer, token = await centre_staff(w)
    _, (klass,) = await add_center(w)
    for index in range(n):
        values = weekly(index, [])
        entry = TimetableEntry(
            class_id=klass.id,
            weekday=values["weekday"],
            care_type="HOURLY",
            starts_at=time(int(values["startsAt"][:2])),
            ends_at=time(int(values["endsAt"][:2])),
            capacity=6,
        )
        w.session.add(entry)
        await w.session.flush()
        w.session.add(TimetableCarer(timetable_id=entry.id, person_id=carer.id))
    await w.commit()
    carers = [gid("Person", carer.id)]
    entries = [weekly(index, carers) for index in range(n + 1)]
    return Run({"id": gid("ChildcareClass", klass.id), "entries": entries}, token)


async def childcare_session_cancel(w: World, n: int) -> Run:
    """A session with n confirmed children of n families: each booking cancelled, each family told."""
    _, (klass,) = await add_center(w)
    slot = await add_slot(w, klass, w.today + timedelta(days=1))
    for _ in range(n):
        guardian, _ = await w.person()
        await add_booking(w, await add_child(w, guardian), slot, guardian)
    await w.commit()
    _, token = await centre_staff(w)
    cancelled = (ChildcareBooking.session_id == slot.id, ChildcareBooking.status == "CANCELLED")
    return Run(
        {"id": gid("ChildcareSession", slot.id)}, token, count=partial(w.count, ChildcareBooking, *cancelled)
    )


async def session_with_carers(w: World, n: int) -> tuple[ChildcareSession, str]:
    """A session tomorrow with n carers on duty (CHILDCARE_STAFF of its community); a staff token."""
    _, (klass,) = await add_center(w)
    slot = await add_slot(w, klass, w.today + timedelta(days=1))
    for _ in range(n):
        carer, _ = await centre_staff(w)
        w.session.add(SessionCarer(session_id=slot.id, person_id=carer.id))
    await w.commit()
    _, token = await centre_staff(w)
    return slot, token


async def childcare_session_carer_assign(w: World, n: int) -> Run:
    """n carers on duty and n children waiting: one more carer brings the line in (and tells them)."""
    slot, token = await session_with_carers(w, n)
    guardian, _ = await w.person()
    for _ in range(n):
        await add_booking(w, await add_child(w, guardian), slot, guardian, "WAITLISTED")
    await w.commit()
    carer, _ = await centre_staff(w)
    return Run({"id": gid("ChildcareSession", slot.id), "person": gid("Person", carer.id)}, token)


async def childcare_session_carer_remove(w: World, n: int) -> Run:
    slot, token = await session_with_carers(w, n + 1)
    leaving = await w.session.scalar(
        select(SessionCarer.person_id).where(SessionCarer.session_id == slot.id).limit(1)
    )
    return Run({"id": gid("ChildcareSession", slot.id), "person": gid("Person", leaving)}, token)


# The cases ----------------------------------------------------------------------

CASES = [
    # Query
    Case("Query.childcareSessions", SESSIONS, childcare_sessions, edges("childcareSessions")),
    Case("Query.childcareCenters", CENTERS, childcare_centers, edges("childcareCenters")),
    Case("Query.myChildren", MY_CHILDREN, my_children, edges("myChildren")),
    Case("Query.childcareSessionRoster", ROSTER, childcare_session_roster, edges("childcareSessionRoster")),
    Case(
        "Query.node[ChildcareCenter]",
        node_query("ChildcareCenter", "name classes { id name kind capacity }"),
        node_childcare_center,
        edges("node", "classes"),
    ),
    Case(
        "Query.node[ChildcareClass]",
        node_query(
            "ChildcareClass",
            "name kind minAgeMonths maxAgeMonths capacity carerRatio "
            "timetable { weekday careType startsAt endsAt capacity }",
        ),
        node_childcare_class,
        edges("node", "timetable"),
    ),
    Case(
        "Query.node[ChildcareSession]",
        node_query("ChildcareSession", "start capacity booked remaining waitlisted class { id name }"),
        node_childcare_session,
        lambda data: data["node"]["waitlisted"],
    ),
    Case(
        "Query.node[Child]",
        node_query(
            "Child", "name bookings { id status session { id class { name } } } pickupPersons { name phone }"
        ),
        node_child,
        edges("node", "bookings"),
    ),
    Case(
        "Query.node[ChildcareBooking]",
        node_query(
            "ChildcareBooking",
            "status waitlistPosition session { id class { name } } "
            "child { name bookings { id status } pickupPersons { name } }",
        ),
        node_childcare_booking,
        edges("node", "child", "bookings"),
    ),
    # Mutation
    Case("Mutation.childRegister", CHILD_REGISTER, child_register, None),
    Case("Mutation.childPickupPersonAdd", PICKUP_ADD, child_pickup_person_add, None),
    Case(
        "Mutation.childcareBookingCreate",
        BOOKING_CREATE,
        childcare_booking_create,
        edges("childcareBookingCreate", "child", "bookings"),
    ),
    Case(
        "Mutation.childcareBookingCancel",
        BOOKING_CANCEL,
        childcare_booking_cancel,
        edges("childcareBookingCancel", "child", "bookings"),
    ),
    Case("Mutation.childCheckIn", CHILD_CHECK_IN, child_check_in, edges("childCheckIn", "child", "bookings")),
    Case(
        "Mutation.childCheckOut",
        CHILD_CHECK_OUT,
        child_check_out,
        edges("childCheckOut", "child", "pickupPersons"),
        sizes=(1, 5),  # every PIN tried is an argon2 verification: slow on purpose
    ),
    Case(
        "Mutation.childCheckOutUnlock",
        CHILD_CHECK_OUT_UNLOCK,
        child_check_out_unlock,
        edges("childCheckOutUnlock", "child", "bookings"),
    ),
    Case("Mutation.childcareClassCreate", CLASS_CREATE, childcare_class_create, None),
    Case("Mutation.childcareClassUpdate", CLASS_UPDATE, childcare_class_update, None),
    Case(
        "Mutation.childcareTimetableSet",
        TIMETABLE_SET,
        childcare_timetable_set,
        edges("childcareTimetableSet", "timetable"),
    ),
    Case("Mutation.childcareSessionCancel", SESSION_CANCEL, childcare_session_cancel, None),
    Case(
        "Mutation.childcareSessionCarerAssign",
        CARER_ASSIGN,
        childcare_session_carer_assign,
        edges("childcareSessionCarerAssign", "carers"),
    ),
    Case(
        "Mutation.childcareSessionCarerRemove",
        CARER_REMOVE,
        childcare_session_carer_remove,
        edges("childcareSessionCarerRemove", "carers"),
    ),
]


# node(id:) asked many times in one request (aliases) ------------------------------


async def alias_childcare_classes(w: World, k: int) -> tuple[list[int], str]:
    _, classes = await add_center(w, classes=k)
    return [klass.id for klass in classes], w.tokens["RESIDENT"]


async def alias_childcare_sessions(w: World, k: int) -> tuple[list[int], str]:
    _, (klass,) = await add_center(w)
    return [slot.id for slot in await add_slots(w, klass, k)], w.tokens["RESIDENT"]


async def alias_children(w: World, k: int) -> tuple[list[int], str]:
    guardian, token = await w.person(Role.RESIDENT)
    return [(await add_child(w, guardian)).id for _ in range(k)], token


async def alias_childcare_bookings(w: World, k: int) -> tuple[list[int], str]:
    guardian, token = await w.person(Role.RESIDENT)
    child = await add_child(w, guardian)
    _, (klass,) = await add_center(w)
    slots = await add_slots(w, klass, k)
    return [(await add_booking(w, child, slot, guardian)).id for slot in slots], token


async def alias_childcare_centers(w: World, k: int) -> tuple[list[int], str]:
    return [(await add_center(w))[0].id for _ in range(k)], w.tokens["RESIDENT"]


NODE_ALIASES: dict[str, AliasSetup] = {
    "ChildcareClass": alias_childcare_classes,
    "ChildcareSession": alias_childcare_sessions,
    "Child": alias_children,
    "ChildcareBooking": alias_childcare_bookings,
    "ChildcareCenter": alias_childcare_centers,
}
