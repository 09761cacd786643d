"""The authorization matrix's rows of childcare: public centres and sessions, child X, its bookings
and pick-up adults.

Read by tests/security/matrix.py (the table) and tests/security/test_authorization_matrix.py (which
runs every cell); the world the runners act on is built in tests/security/conftest.py.
"""

from collections.abc import Callable
from datetime import timedelta

from tests.security.calls import (
    Call,
    Runner,
    contains,
    mutate,
    node_outcome,
    node_query,
    outcome_of,
    own_list,
    own_then_target,
    phones_outcome,
    public_node,
    query_over_websocket,
    registrar,
)
from tests.security.conftest import PICKUP_PIN
from tests.security.rows import (
    CHILDCARE,
    EMPTY,
    FORBIDDEN,
    FULL,
    MASKED,
    NOT_FOUND,
    NULL,
    OK,
    OWN,
    PUBLIC,
    PUBLIC_NODES,
    UNAUTH,
    Row,
    by_caller,
    everyone,
    signed_in,
)

# Child X's data: childcare staff of a centre X is booked at, and admin; the other guardian sees
# only their own child; childcare staff of another community see nothing of X.
CHILD_X_NODE = by_caller(NULL, other_guardian=OWN, childcare_staff=OK, admin=OK)
# A session's roster (sessions are public): the centre's staff and admin.
ROSTER_READERS = by_caller(FORBIDDEN, anonymous=UNAUTH, childcare_staff=OK, admin=OK)
# Checking X in and out (X's booking is not public): the centre's staff and admin; childcare staff
# of another community find nothing.
CHILDCARE_STAFF_ACT = by_caller(
    FORBIDDEN, anonymous=UNAUTH, childcare_staff=OK, childcare_staff_other=NOT_FOUND, admin=OK
)
# Running the centre (classes, timetable, closures, carers on duty): its community's childcare staff
# and admin; to childcare staff of another community the centre's objects are not theirs (NotFound).
CENTRE_STAFF_ACT = CHILDCARE_STAFF_ACT
# What only a guardian does for their own child (naming pick-up adults, booking).
GUARDIAN_ACT = by_caller(NOT_FOUND, anonymous=UNAUTH, other_guardian=OWN)

ROWS: dict[str, tuple[Row, ...]] = {
    PUBLIC: (
        Row("childcare_centers", "`childcareCenters`", ("Query.childcareCenters",), everyone(OK)),
        Row(
            "childcare_sessions",
            "`childcareSessions` without a child",
            ("Query.childcareSessions",),
            everyone(OK),
        ),
    ),
    PUBLIC_NODES: (
        Row(
            "node_childcare_center",
            "`node` → ChildcareCenter",
            ("Query.node:ChildcareCenter",),
            everyone(OK),
        ),
        Row(
            "node_childcare_class",
            "`node` → ChildcareClass",
            ("Query.node:ChildcareClass",),
            everyone(OK),
        ),
        Row(
            "node_childcare_session",
            "`node` → ChildcareSession",
            ("Query.node:ChildcareSession",),
            everyone(OK),
        ),
    ),
    CHILDCARE: (
        Row(
            "my_children",
            "`myChildren { bookings pickupPersons { phone } }`",
            ("Query.myChildren",),
            signed_in(OWN),
            child_logged=True,
        ),
        Row(
            "childcare_sessions_for_child",
            "`childcareSessions` with `childId` X",
            ("Query.childcareSessions",),
            by_caller(NOT_FOUND, anonymous=UNAUTH, other_guardian=OWN, childcare_staff=OK, admin=OK),
            child_logged=True,
        ),
        Row(
            "childcare_session_roster",
            "`childcareSessionRoster` of X's session",
            ("Query.childcareSessionRoster",),
            ROSTER_READERS,
            child_logged=True,
        ),
        Row(
            "roster_pickup_phones",
            "`childcareSessionRoster { child { pickupPersons { phone } } }`",
            ("PickupPerson.phone",),
            by_caller(FORBIDDEN, anonymous=UNAUTH, childcare_staff=FULL, admin=MASKED),
            child_logged=True,
        ),
        Row("node_child", "`node` → Child X", ("Query.node:Child",), CHILD_X_NODE, child_logged=True),
        Row(
            "node_child_over_websocket",
            "`node` → Child X `{ pickupPersons }` asked over the WebSocket",
            ("Query.node:Child", "Child.pickupPersons"),
            by_caller(NULL, childcare_staff=OK, admin=OK),
            child_logged=True,
        ),
        Row("child_bookings", "`Child.bookings` of X", ("Child.bookings",), CHILD_X_NODE, child_logged=True),
        Row(
            "child_pickup_phones",
            "`Child.pickupPersons { phone }` of X",
            ("Child.pickupPersons", "PickupPerson.phone"),
            by_caller(NULL, other_guardian=OWN, childcare_staff=FULL, admin=MASKED),
            child_logged=True,
        ),
        Row(
            "node_childcare_booking",
            "`node` → ChildcareBooking of X",
            ("Query.node:ChildcareBooking",),
            CHILD_X_NODE,
            child_logged=True,
        ),
        Row("child_register", "`childRegister`", ("Mutation.childRegister",), signed_in(OK)),
        Row(
            "child_pickup_person_add",
            "`childPickupPersonAdd` for X",
            ("Mutation.childPickupPersonAdd",),
            GUARDIAN_ACT,
        ),
        Row(
            "childcare_booking_create",
            "`childcareBookingCreate` for X",
            ("Mutation.childcareBookingCreate",),
            GUARDIAN_ACT,
        ),
        Row(
            "childcare_booking_cancel",
            "`childcareBookingCancel` of X's booking",
            ("Mutation.childcareBookingCancel",),
            by_caller(NOT_FOUND, anonymous=UNAUTH, other_guardian=OWN, childcare_staff=OK, admin=OK),
        ),
        Row(
            "child_check_in",
            "`childCheckIn` of X's booking",
            ("Mutation.childCheckIn",),
            CHILDCARE_STAFF_ACT,
        ),
        Row(
            "child_check_out",
            "`childCheckOut` of X's booking",
            ("Mutation.childCheckOut",),
            CHILDCARE_STAFF_ACT,
        ),
        Row(
            "child_check_out_unlock",
            "`childCheckOutUnlock` of X's booking",
            ("Mutation.childCheckOutUnlock",),
            CHILDCARE_STAFF_ACT,
        ),
        Row(
            "childcare_class_create",
            "`childcareClassCreate` at X's centre",
            ("Mutation.childcareClassCreate",),
            CENTRE_STAFF_ACT,
        ),
        Row(
            "childcare_class_update",
            "`childcareClassUpdate` of X's class",
            ("Mutation.childcareClassUpdate",),
            CENTRE_STAFF_ACT,
        ),
        Row(
            "childcare_timetable_set",
            "`childcareTimetableSet` of X's class",
            ("Mutation.childcareTimetableSet",),
            CENTRE_STAFF_ACT,
        ),
        Row(
            "childcare_session_cancel",
            "`childcareSessionCancel` of tomorrow's session at X's centre",
            ("Mutation.childcareSessionCancel",),
            CENTRE_STAFF_ACT,
        ),
        Row(
            "childcare_session_carer_assign",
            "`childcareSessionCarerAssign` to tomorrow's session at X's centre",
            ("Mutation.childcareSessionCarerAssign",),
            CENTRE_STAFF_ACT,
        ),
        Row(
            "childcare_session_carer_remove",
            "`childcareSessionCarerRemove` from tomorrow's session at X's centre",
            ("Mutation.childcareSessionCarerRemove",),
            CENTRE_STAFF_ACT,
        ),
        Row(
            "childcare_session_carers",
            "`ChildcareSession.carers` of today's session at X's centre (the session is public; the field "
            "null)",
            ("ChildcareSession.carers",),
            by_caller(EMPTY, childcare_staff=OK, admin=OK),
        ),
    ),
}

# Nested fields the issue names as sensitive: each needs a row of its own (or a row through it).
SENSITIVE = {
    "Child.pickupPersons",
    "Child.bookings",
    "Query.childcareSessionRoster",
    "PickupPerson.phone",
    "ChildcareSession.carers",
}

RUNNERS: dict[str, Runner] = {}
runner = registrar(RUNNERS)


# ── Public data ───────────────────────────────────────────────────────────────

CENTERS = "{ childcareCenters { id classes { id } } }"
SESSIONS = """query($center: ID!, $day: Date!, $child: ID) {
  childcareSessions(centerId: $center, from: $day, to: $day, childId: $child) {
    id booked remaining eligible } }"""

RUNNERS["node_childcare_center"] = public_node("center", "ChildcareCenter")
RUNNERS["node_childcare_class"] = public_node("class", "ChildcareClass")
RUNNERS["node_childcare_session"] = public_node("session_today", "ChildcareSession")


@runner("childcare_centers")
async def childcare_centers(call: Call) -> str:
    return outcome_of(await call.query(CENTERS), "childcareCenters", contains(call.world.ids["center"]))


async def sessions_outcome(call: Call, child: str | None) -> str:
    """`ok` when today's sessions come back, telling the child's eligibility only if one was named."""
    body = await call.query(
        SESSIONS, center=call.world.ids["center"], day=call.world.today.isoformat(), child=child
    )

    def judge(sessions: list) -> str:
        told = {session["eligible"] is not None for session in sessions}
        return OK if told == {child is not None} else f"sessions {sessions}"

    return outcome_of(body, "childcareSessions", judge)


@runner("childcare_sessions")
async def childcare_sessions(call: Call) -> str:
    return await sessions_outcome(call, None)


# ── Child X ───────────────────────────────────────────────────────────────────

MY_CHILDREN = "{ myChildren { id bookings { id } pickupPersons { name phone } } }"
ROSTER = "query($s: ID!) { childcareSessionRoster(sessionId: $s) { id status child { id %s } } }"
REGISTER = """mutation($input: ChildRegisterInput!) { childRegister(input: $input) { __typename
  ... on DomainError { code } } }"""
PICKUP_ADD = """mutation($id: ID!) { childPickupPersonAdd(childId: $id, name: "舅舅", phone: "13912349999") {
  __typename ... on DomainError { code } } }"""
BOOK = """mutation($session: ID!, $id: ID!) {
  childcareBookingCreate(input: {sessionId: $session, childId: $id}) {
    __typename ... on DomainError { code } } }"""
CANCEL_BOOKING = """mutation($id: ID!) { childcareBookingCancel(id: $id) { __typename
  ... on DomainError { code } } }"""
CHECK_IN = (
    """mutation($id: ID!) { childCheckIn(bookingId: $id) { __typename ... on DomainError { code } } }"""
)
CHECK_OUT = """mutation($id: ID!, $pin: String!) { childCheckOut(bookingId: $id, pickupPin: $pin) { __typename
  ... on DomainError { code } } }"""
UNLOCK = """mutation($id: ID!) { childCheckOutUnlock(bookingId: $id) { __typename
  ... on DomainError { code } } }"""


@runner("my_children")
async def my_children(call: Call) -> str:
    """Exactly the caller's own children, each with its bookings and its pick-up phones whole."""
    own = [call.world.own_child(call.caller)] if call.world.own_child(call.caller) else []

    def judge(children: list) -> str:
        outcome = own_list([child["id"] for child in children], own, call.world.ids["child_x"])
        for child in children if outcome == OWN else ():
            whole = call.world.pickup_phones[child["id"]]
            phones = phones_outcome([person["phone"] for person in child["pickupPersons"]], whole)
            if phones != FULL or not child["bookings"]:
                return f"own child with {phones}, bookings {child['bookings']}"
        return outcome

    return outcome_of(await call.query(MY_CHILDREN), "myChildren", judge)


@runner("childcare_sessions_for_child")
async def childcare_sessions_for_child(call: Call) -> str:
    return await own_then_target(
        lambda child: sessions_outcome(call, child),
        call.world.own_child(call.caller),
        call.world.ids["child_x"],
        hidden=NOT_FOUND,
    )


@runner("childcare_session_roster")
async def childcare_session_roster(call: Call) -> str:
    body = await call.query(ROSTER % "name", s=call.world.ids["session_today"])
    return outcome_of(body, "childcareSessionRoster", contains(call.world.ids["booking_x"]))


@runner("roster_pickup_phones")
async def roster_pickup_phones(call: Call) -> str:
    child_x = call.world.ids["child_x"]

    def judge(roster: list) -> str:
        entries = [booking["child"] for booking in roster if booking["child"]["id"] == child_x]
        if not entries:
            return EMPTY
        shown = [person["phone"] for person in entries[0]["pickupPersons"]]
        return phones_outcome(shown, call.world.pickup_phones[child_x])

    body = await call.query(ROSTER % "pickupPersons { phone }", s=call.world.ids["session_today"])
    return outcome_of(body, "childcareSessionRoster", judge)


def child_x_node(selection: str, judge: Callable[[Call, dict], str]) -> Runner:
    """node(id: X) with `selection` on Child; the other guardian first asks for their own child Y."""

    async def run(call: Call) -> str:
        return await own_then_target(
            lambda child: node_outcome(
                call, child, f"... on Child {{ {selection} }}", lambda n: judge(call, n)
            ),
            call.world.own_child(call.caller),
            call.world.ids["child_x"],
            hidden=NULL,
        )

    return run


def pickup_phones(call: Call, child: dict) -> str:
    shown = [person["phone"] for person in child["pickupPersons"]]
    return phones_outcome(shown, call.world.pickup_phones[child["id"]])


RUNNERS["node_child"] = child_x_node("name birthDate", lambda call, child: OK)
RUNNERS["child_bookings"] = child_x_node(
    "bookings { id status }", lambda call, c: OK if c["bookings"] else EMPTY
)
RUNNERS["child_pickup_phones"] = child_x_node("pickupPersons { name phone }", pickup_phones)


@runner("node_child_over_websocket")
async def node_child_over_websocket(call: Call) -> str:
    query = node_query("... on Child { name pickupPersons { name } }")
    body = await query_over_websocket(call, query, {"id": call.world.ids["child_x"]})
    return outcome_of(body, "node", lambda child: OK if child.get("pickupPersons") else EMPTY)


@runner("node_childcare_booking")
async def node_childcare_booking(call: Call) -> str:
    return await own_then_target(
        lambda booking: node_outcome(call, booking, "... on ChildcareBooking { status child { id name } }"),
        call.world.own_booking(call.caller),
        call.world.ids["booking_x"],
        hidden=NULL,
    )


@runner("child_register")
async def child_register(call: Call) -> str:
    birth = (call.world.today - timedelta(days=365)).isoformat()
    child = {"name": "矩阵新生儿", "birthDate": birth, "guardianConsent": True}
    return await mutate(call, REGISTER, "childRegister", "Child", input=child)


@runner("child_pickup_person_add")
async def child_pickup_person_add(call: Call) -> str:
    return await own_then_target(
        lambda child: mutate(call, PICKUP_ADD, "childPickupPersonAdd", "PickupPersonAdded", id=child),
        call.world.own_child(call.caller),
        call.world.ids["child_x"],
        hidden=NOT_FOUND,
    )


@runner("childcare_booking_create")
async def childcare_booking_create(call: Call) -> str:
    tomorrow = call.world.ids["session_tomorrow"]
    return await own_then_target(
        lambda child: mutate(
            call, BOOK, "childcareBookingCreate", "ChildcareBooking", session=tomorrow, id=child
        ),
        call.world.own_child(call.caller),
        call.world.ids["child_x"],
        hidden=NOT_FOUND,
    )


@runner("childcare_booking_cancel")
async def childcare_booking_cancel(call: Call) -> str:
    return await own_then_target(
        lambda booking: mutate(
            call, CANCEL_BOOKING, "childcareBookingCancel", "ChildcareBooking", id=booking
        ),
        call.world.own_booking(call.caller),
        call.world.ids["booking_x"],
        hidden=NOT_FOUND,
    )


@runner("child_check_in")
async def child_check_in(call: Call) -> str:
    return await mutate(call, CHECK_IN, "childCheckIn", "ChildcareBooking", id=call.world.ids["booking_x"])


@runner("child_check_out")
async def child_check_out(call: Call) -> str:
    booking = call.world.ids["booking_x_checked_in"]
    return await mutate(call, CHECK_OUT, "childCheckOut", "ChildcareBooking", id=booking, pin=PICKUP_PIN)


@runner("child_check_out_unlock")
async def child_check_out_unlock(call: Call) -> str:
    booking = call.world.ids["booking_x_checked_in"]
    return await mutate(call, UNLOCK, "childCheckOutUnlock", "ChildcareBooking", id=booking)


# ── Running the centre ─────────────────────────────────────────────────────────

CLASS_CREATE = """mutation($center: ID!) { childcareClassCreate(input: {centerId: $center, name: "矩阵新班",
  kind: MIXED, minAgeMonths: 18, maxAgeMonths: 36, capacity: 10, carerRatio: 6}) {
  __typename ... on DomainError { code } } }"""
CLASS_UPDATE = """mutation($id: ID!) { childcareClassUpdate(id: $id, input: {name: "矩阵改名班"}) {
  __typename ... on DomainError { code } } }"""
TIMETABLE_SET = """mutation($id: ID!, $carer: ID!) { childcareTimetableSet(classId: $id, entries: [
  {weekday: 6, careType: HALF_DAY, startsAt: "09:00", endsAt: "12:00", capacity: 6, carerIds: [$carer]}]) {
  __typename ... on DomainError { code } } }"""
SESSION_CANCEL = """mutation($s: ID!) { childcareSessionCancel(sessionId: $s, reason: "矩阵停课") {
  __typename ... on DomainError { code } } }"""
CARER_ASSIGN = """mutation($s: ID!, $p: ID!) { childcareSessionCarerAssign(sessionId: $s, personId: $p) {
  __typename ... on DomainError { code } } }"""
CARER_REMOVE = """mutation($s: ID!, $p: ID!) { childcareSessionCarerRemove(sessionId: $s, personId: $p) {
  __typename ... on DomainError { code } } }"""


@runner("childcare_class_create")
async def childcare_class_create(call: Call) -> str:
    return await mutate(
        call, CLASS_CREATE, "childcareClassCreate", "ChildcareClass", center=call.world.ids["center"]
    )


@runner("childcare_class_update")
async def childcare_class_update(call: Call) -> str:
    return await mutate(
        call, CLASS_UPDATE, "childcareClassUpdate", "ChildcareClass", id=call.world.ids["class"]
    )


@runner("childcare_timetable_set")
async def childcare_timetable_set(call: Call) -> str:
    ids = call.world.ids
    return await mutate(
        call, TIMETABLE_SET, "childcareTimetableSet", "ChildcareClass", id=ids["class"], carer=ids["carer"]
    )


@runner("childcare_session_cancel")
async def childcare_session_cancel(call: Call) -> str:
    tomorrow = call.world.ids["session_tomorrow"]
    return await mutate(call, SESSION_CANCEL, "childcareSessionCancel", "ChildcareSession", s=tomorrow)


@runner("childcare_session_carer_assign")
async def childcare_session_carer_assign(call: Call) -> str:
    staff = call.world.people["childcare_staff"].id  # a carer not yet on tomorrow's roster
    tomorrow = call.world.ids["session_tomorrow"]
    return await mutate(
        call, CARER_ASSIGN, "childcareSessionCarerAssign", "ChildcareSessionCarers", s=tomorrow, p=staff
    )


@runner("childcare_session_carer_remove")
async def childcare_session_carer_remove(call: Call) -> str:
    ids = call.world.ids
    return await mutate(
        call,
        CARER_REMOVE,
        "childcareSessionCarerRemove",
        "ChildcareSessionCarers",
        s=ids["session_tomorrow"],
        p=ids["carer"],
    )


@runner("childcare_session_carers")
async def childcare_session_carers(call: Call) -> str:
    def judge(session: dict) -> str:
        carers = session["carers"]
        if carers is None:
            return EMPTY
        return OK if [carer["id"] for carer in carers] == [call.world.ids["carer"]] else str(carers)

    selection = "... on ChildcareSession { carers { id name } }"
    return await node_outcome(call, call.world.ids["session_today"], selection, judge)
