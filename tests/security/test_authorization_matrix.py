"""Every cell of the authorization matrix (tests/security/matrix.py), run for real.

One test per (row, caller): the row's runner asks its operation as that caller over HTTP
(subscriptions over the WebSocket endpoint of a real server), reads the answer back into the
matrix's vocabulary, and the test compares that with the cell. Rows that read elder A's health
data also check the request's access log. The world the cells run in is built in conftest.py.
"""

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

import graphql
import pytest
from sqlalchemy import select
from websockets.asyncio.client import connect

from models.eldercare import HealthAccessLog
from schema import build_schema
from tests.conftest import GraphQLClient, make_settings, running_server
from tests.security.conftest import PASSWORD, PICKUP_PIN, WRISTBAND_A, World, at
from tests.security.matrix import (
    CALLERS,
    DOC,
    EMPTY,
    FULL,
    MASKED,
    NOT_FOUND,
    NULL,
    OK,
    OUTCOMES,
    OWN,
    READS_TARGET,
    ROWS,
    Row,
    render_markdown,
    section_of,
)

# Which of the world's two elders each caller may see: the table's policy applied to elder B too,
# so that a list that is `empty` of A cannot hide a leak of B.
MAY_SEE_ELDERS = {"family": {"A"}, "care_staff": {"A"}, "care_staff_other": {"B"}, "admin": {"A", "B"}}


@dataclass
class Call:
    """One caller asking during one cell; remembers the request ids it sent (for the access log)."""

    gql: GraphQLClient
    app: object
    world: World
    caller: str
    request_ids: list[str] = field(default_factory=list)

    @property
    def token(self) -> str | None:
        member = self.world.member(self.caller)
        return member.token if member else None

    def new_request_id(self) -> str:
        self.request_ids.append(uuid.uuid4().hex)
        return self.request_ids[-1]

    async def query(self, text: str, **variables) -> dict:
        headers = {"X-Request-ID": self.new_request_id()}
        response = await self.gql.post(text, variables, token=self.token, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()


Runner = Callable[[Call], Awaitable[str]]
RUNNERS: dict[str, Runner] = {}


def runner(key: str) -> Callable[[Runner], Runner]:
    def register(run: Runner) -> Runner:
        RUNNERS[key] = run
        return run

    return register


# ── Reading answers into the matrix's vocabulary ──────────────────────────────


def refusal(body: dict) -> str | None:
    """The code of the answer's first error, if it has one."""
    errors = body.get("errors")
    return errors[0].get("extensions", {}).get("code", "ERROR") if errors else None


def outcome_of(body: dict, root: str, judge: Callable[[object], str] = lambda value: OK) -> str:
    """An error's code; else null, or what `judge` makes of the root field's value."""
    if code := refusal(body):
        return code
    value = body["data"][root]
    return NULL if value is None else judge(value)


def result_outcome(success: str) -> Callable[[dict], str]:
    """Judges a mutation's union result: its success type is `ok`, NotFound is NOT_FOUND."""

    def judge(result: dict) -> str:
        if result["__typename"] == success:
            return OK
        return (
            NOT_FOUND
            if result["__typename"] == "NotFound"
            else f"{result['__typename']} {result.get('code')}"
        )

    return judge


def phones_outcome(shown: list[str], whole: list[str]) -> str:
    if shown == whole:
        return FULL
    if shown == [f"{phone[:3]}****{phone[-4:]}" for phone in whole]:
        return MASKED
    return f"phones {shown} (whole: {whole})"


def elders_outcome(call: Call, seen_ids: set[str]) -> str:
    """`ok` when elder A is among those seen, `empty` when not; whoever sees an elder the policy
    keeps from them gets a mismatch naming it."""
    names = {call.world.ids["elder_a"]: "A", call.world.ids["elder_b"]: "B"}
    seen = {names[elder] for elder in seen_ids if elder in names}
    if beyond := seen - MAY_SEE_ELDERS.get(call.caller, set()):
        return f"sees elder {', '.join(sorted(beyond))}"
    return OK if "A" in seen else EMPTY


def own_list(listed: list[str], own: list[str], target: str) -> str:
    if target in listed:
        return OK
    return OWN if sorted(listed) == sorted(own) else f"lists {listed}, the caller's own are {own}"


async def own_then_target(
    attempt: Callable[[str], Awaitable[str]], own: str | None, target: str, hidden: str
) -> str:
    """The `own` pattern: the caller's own object works (ok, or phones whole), someone else's is
    `hidden` (null for node, NOT_FOUND for an action). Without an own object: the target's outcome."""
    if own is None:
        return await attempt(target)
    mine = await attempt(own)
    if mine not in (OK, FULL):
        return f"own object: {mine}"
    theirs = await attempt(target)
    return OWN if theirs == hidden else theirs


async def mutate(call: Call, text: str, root: str, success: str, **variables) -> str:
    return outcome_of(await call.query(text, **variables), root, result_outcome(success))


# ── node(id:) ─────────────────────────────────────────────────────────────────


def node_query(selection: str = "") -> str:
    return f"query($id: ID!) {{ node(id: $id) {{ __typename id {selection} }} }}"


async def node_outcome(call: Call, global_id: str, selection: str = "", judge=lambda node: OK) -> str:
    return outcome_of(await call.query(node_query(selection), id=global_id), "node", judge)


def public_node(id_name: str, type_name: str) -> Runner:
    async def run(call: Call) -> str:
        def judge(node: dict) -> str:
            return OK if node["__typename"] == type_name else str(node)

        return await node_outcome(call, call.world.ids[id_name], judge=judge)

    return run


RUNNERS["node_community"] = public_node("community", "Community")
RUNNERS["node_facility"] = public_node("facility", "Facility")
RUNNERS["node_maker_space"] = public_node("space", "MakerSpace")
RUNNERS["node_resource"] = public_node("desk", "Resource")
RUNNERS["node_childcare_center"] = public_node("center", "ChildcareCenter")
RUNNERS["node_childcare_class"] = public_node("class", "ChildcareClass")
RUNNERS["node_childcare_session"] = public_node("session_today", "ChildcareSession")

NOT_NODES = "query($p: ID!, $d: ID!) { person: node(id: $p) { id } device: node(id: $d) { id } }"


@runner("node_not_a_node")
async def node_not_a_node(call: Call) -> str:
    body = await call.query(NOT_NODES, p=call.world.ids["holder"], d=call.world.ids["device_a"])
    return refusal(body) or (NULL if body["data"] == {"person": None, "device": None} else str(body["data"]))


# ── Public data and signing in ────────────────────────────────────────────────

NEAR = {"lat": 30.2978, "lng": 120.0418, "system": "WGS84"}
COMMUNITIES = "{ communities(first: 5) { edges { node { id name } } } }"
NEARBY = (
    "query($near: GeoPointInput!) { nearbyFacilities(near: $near, first: 5) { edges { node { name } } } }"
)
LIFE_CIRCLE = "query($near: GeoPointInput!) { lifeCircle(near: $near) { coverage } }"
MAKER_SPACES = "{ makerSpaces { id resources { id } } }"
AVAILABILITY = """query($space: ID!, $date: Date!) { resourceAvailability(spaceId: $space, date: $date) {
  resource { id } freeSlots { start end } } }"""
CENTERS = "{ childcareCenters { id classes { id } } }"
SESSIONS = """query($center: ID!, $day: Date!, $child: ID) {
  childcareSessions(centerId: $center, from: $day, to: $day, childId: $child) {
    id booked remaining eligible } }"""
LOGIN = """mutation($phone: String!, $password: String!) {
  login(phone: $phone, password: $password) { __typename } }"""
ME = "{ me { id phone } }"


def contains(global_id: str) -> Callable[[list], str]:
    return lambda items: OK if global_id in {item["id"] for item in items} else EMPTY


@runner("communities")
async def communities(call: Call) -> str:
    return outcome_of(await call.query(COMMUNITIES), "communities")


@runner("nearby_facilities")
async def nearby_facilities(call: Call) -> str:
    return outcome_of(await call.query(NEARBY, near=NEAR), "nearbyFacilities")


@runner("life_circle")
async def life_circle(call: Call) -> str:
    return outcome_of(await call.query(LIFE_CIRCLE, near=NEAR), "lifeCircle")


@runner("maker_spaces")
async def maker_spaces(call: Call) -> str:
    return outcome_of(await call.query(MAKER_SPACES), "makerSpaces", contains(call.world.ids["space"]))


@runner("resource_availability")
async def resource_availability(call: Call) -> str:
    tomorrow = (call.world.today + timedelta(days=1)).isoformat()
    body = await call.query(AVAILABILITY, space=call.world.ids["space"], date=tomorrow)
    return outcome_of(body, "resourceAvailability", lambda days: OK if days else EMPTY)


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


@runner("login")
async def login(call: Call) -> str:
    body = await call.query(LOGIN, phone=call.world.people["resident"].phone, password=PASSWORD)
    return outcome_of(body, "login", result_outcome("LoginSuccess"))


@runner("me")
async def me(call: Call) -> str:
    member = call.world.member(call.caller)
    mine = {"id": member.id, "phone": member.phone} if member else None
    return outcome_of(await call.query(ME), "me", lambda viewer: OWN if viewer == mine else f"sees {viewer}")


# ── Subscriptions, over the real WebSocket endpoint ───────────────────────────

SERVER_TIME = "subscription { serverTime(intervalSeconds: 1) }"
EVENTS = """subscription($after: Int) { careAlertEvents(afterSequence: $after) {
  sequence type alert { id summary elder { id } } } }"""


async def subscribe(call: Call, query: str, variables: dict, finished: Callable[[list, bool], bool]):
    """The data of the `next` messages until `finished(received, quiet)` (quiet: nothing came for
    50 ms), or the code of an `error` message. Each cell has a server of its own, stopped before
    the checks."""
    received: list = []
    init: dict = {"type": "connection_init"}
    if call.token:
        init["payload"] = {"Authorization": f"Bearer {call.token}"}
    headers = {"X-Request-ID": call.new_request_id()}
    async with running_server(call.app) as address:
        url = f"ws://{address}/graphql"
        async with connect(url, subprotocols=["graphql-transport-ws"], additional_headers=headers) as socket:
            await socket.send(json.dumps(init))
            assert json.loads(await asyncio.wait_for(socket.recv(), 5))["type"] == "connection_ack"
            subscription = {"query": query, "variables": variables}
            await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": subscription}))
            deadline, quiet = asyncio.get_running_loop().time() + 5, False
            while not finished(received, quiet):
                assert asyncio.get_running_loop().time() < deadline, f"still waiting, received {received}"
                try:
                    message = json.loads(await asyncio.wait_for(socket.recv(), 0.05))
                except TimeoutError:
                    quiet = True
                    continue
                quiet = False
                if message["type"] == "error":
                    return message["payload"][0]["extensions"]["code"]
                if code := refusal(message["payload"]):
                    return code
                received.append(message["payload"]["data"])
    return received


@runner("server_time")
async def server_time(call: Call) -> str:
    answer = await subscribe(call, SERVER_TIME, {}, lambda received, quiet: bool(received))
    return answer if isinstance(answer, str) else OK


@runner("care_alert_events")
async def care_alert_events(call: Call) -> str:
    """The events after the world's are replayed; the cell is done when the server waits for news
    (it has sent all this caller may see) and nothing more is in flight."""
    feed = call.app.state.services.alert_feed
    feed.caught_up.clear()
    variables = {"after": call.world.after_sequence}
    answer = await subscribe(
        call, EVENTS, variables, lambda received, quiet: quiet and feed.caught_up.is_set()
    )
    if isinstance(answer, str):
        return answer
    return elders_outcome(call, {event["careAlertEvents"]["alert"]["elder"]["id"] for event in answer})


# ── Elder care ────────────────────────────────────────────────────────────────

ELDERS = "{ elders(first: 100) { edges { node { id name age livesAlone } } } }"
CARE_ALERTS = "{ careAlerts(first: 100) { edges { node { id summary elder { id } } } } }"
DASHBOARD = """query($community: ID) { careDashboard(communityId: $community) {
  openCritical openWarning overdueUnacknowledged eldersMonitored devicesOffline } }"""
RECORD = """mutation($r: [ReadingInput!]!) { readingsRecord(readings: $r) { __typename
  ... on ReadingsRecorded { accepted %s } ... on InvalidReadings { code } } }"""
ACKNOWLEDGE = """mutation($id: ID!) { careAlertAcknowledge(id: $id) { __typename
  ... on CareAlert { id status summary elder { id } } ... on DomainError { code } } }"""
RESOLVE = """mutation($id: ID!) { careAlertResolve(id: $id, note: "已上门查看，复测正常") { __typename
  ... on CareAlert { id status summary elder { id } } ... on DomainError { code } } }"""
VISIT_LOG = """mutation($input: CareVisitLogInput!) { careVisitLog(input: $input) { __typename
  ... on CareVisit { id note elder { id } } ... on DomainError { code } } }"""


@runner("elders")
async def elders(call: Call) -> str:
    return outcome_of(
        await call.query(ELDERS),
        "elders",
        lambda page: elders_outcome(call, {edge["node"]["id"] for edge in page["edges"]}),
    )


@runner("care_alerts")
async def care_alerts(call: Call) -> str:
    return outcome_of(
        await call.query(CARE_ALERTS),
        "careAlerts",
        lambda page: elders_outcome(call, {edge["node"]["elder"]["id"] for edge in page["edges"]}),
    )


@runner("care_dashboard")
async def care_dashboard(call: Call) -> str:
    def judge(board: dict) -> str:
        if not any(board.values()):
            return EMPTY
        return OK if board["openCritical"] == 1 and board["eldersMonitored"] == 1 else str(board)

    return outcome_of(
        await call.query(DASHBOARD, community=call.world.ids["community"]), "careDashboard", judge
    )


def elder_a_node(selection: str, nested: str | None = None) -> Runner:
    """node(id: A) with `selection` on Elder: `ok` when it answers (with the `nested` list filled)."""

    async def run(call: Call) -> str:
        def judge(elder: dict) -> str:
            return OK if nested is None or elder[nested] else EMPTY

        return await node_outcome(call, call.world.ids["elder_a"], f"... on Elder {{ {selection} }}", judge)

    return run


RUNNERS["node_elder"] = elder_a_node("name age livesAlone")
RUNNERS["elder_latest_vitals"] = elder_a_node("latestVitals { kind value measuredAt }", "latestVitals")
RUNNERS["elder_alerts"] = elder_a_node("alerts { id summary }", "alerts")
RUNNERS["elder_visits"] = elder_a_node("visits { id note }", "visits")
RUNNERS["elder_devices"] = elder_a_node("devices { serial kind }", "devices")


@runner("node_care_alert")
async def node_care_alert(call: Call) -> str:
    return await node_outcome(call, call.world.ids["alert_a"], "... on CareAlert { summary elder { id } }")


@runner("node_care_visit")
async def node_care_visit(call: Call) -> str:
    return await node_outcome(call, call.world.ids["visit_a"], "... on CareVisit { note elder { id } }")


async def record_heart_rate(call: Call, selection: str) -> dict:
    """A critical heart rate from A's wristband: it raises an alert for A."""
    measured = (call.world.now - timedelta(minutes=5)).isoformat()
    reading = {"deviceId": WRISTBAND_A, "kind": "HEART_RATE", "value": 150, "measuredAt": measured}
    return await call.query(RECORD % selection, r=[reading])


@runner("readings_record")
async def readings_record(call: Call) -> str:
    body = await record_heart_rate(call, "")
    return outcome_of(
        body, "readingsRecord", lambda result: OK if result.get("accepted") == 1 else str(result)
    )


@runner("alerts_raised")
async def alerts_raised(call: Call) -> str:
    body = await record_heart_rate(call, "alertsRaised { id kind severity summary }")
    return outcome_of(body, "readingsRecord", lambda result: OK if result["alertsRaised"] else EMPTY)


@runner("alerts_raised_elder")
async def alerts_raised_elder(call: Call) -> str:
    body = await record_heart_rate(
        call, "alertsRaised { elder { id latestVitals { kind value } visits { note } } }"
    )
    raised = ((body.get("data") or {}).get("readingsRecord") or {}).get("alertsRaised") or []
    elders_read = [alert["elder"] for alert in raised if alert and alert.get("elder")]
    if any(elder["latestVitals"] or elder["visits"] for elder in elders_read):
        return OK  # A's vitals or visit notes reached the caller, errors or not
    return refusal(body) or EMPTY


@runner("care_alert_acknowledge")
async def care_alert_acknowledge(call: Call) -> str:
    return await mutate(call, ACKNOWLEDGE, "careAlertAcknowledge", "CareAlert", id=call.world.ids["alert_a"])


@runner("care_alert_resolve")
async def care_alert_resolve(call: Call) -> str:
    return await mutate(call, RESOLVE, "careAlertResolve", "CareAlert", id=call.world.ids["alert_a"])


@runner("care_visit_log")
async def care_visit_log(call: Call) -> str:
    visit = {
        "elderId": call.world.ids["elder_a"],
        "kind": "CALL",
        "note": "电话回访，一切正常",
        "visitedAt": (call.world.now - timedelta(minutes=10)).isoformat(),
    }
    return await mutate(call, VISIT_LOG, "careVisitLog", "CareVisit", input=visit)


# ── Childcare ─────────────────────────────────────────────────────────────────

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


# ── Maker space ───────────────────────────────────────────────────────────────

MY_RESERVATIONS = "{ myReservations(first: 50) { edges { node { id holder { name phone } } } } }"
CHECK_IN_CODE = "query($s: ID!) { makerSpaceCheckInCode(spaceId: $s) { code } }"
SPACE_DAY = """query($s: ID!, $d: Date!) { makerSpaceReservations(spaceId: $s, date: $d) {
  id holder { name phone } } }"""
RESERVE = """mutation($input: ReservationCreateInput!) { reservationCreate(input: $input) { __typename
  ... on DomainError { code } } }"""
CANCEL_RESERVATION = """mutation($id: ID!) { reservationCancel(id: $id) { __typename
  ... on DomainError { code } } }"""
CHECK_IN_RESERVATION = """mutation($id: ID!, $code: String!) { reservationCheckIn(id: $id, code: $code) {
  __typename ... on DomainError { code } } }"""


def holder_phone(call: Call, reservation: dict) -> str:
    """The holder's phone as shown, against the whole number of whoever holds it."""
    is_r = reservation["id"] == call.world.ids["reservation_r"]
    holder = call.world.people["holder"] if is_r else call.world.member(call.caller)
    return phones_outcome([reservation["holder"]["phone"]], [holder.phone])


@runner("my_reservations")
async def my_reservations(call: Call) -> str:
    """Exactly the caller's own reservation, its holder's phone whole."""
    own = call.world.own_reservations.get(call.caller)

    def judge(page: dict) -> str:
        reservations = [edge["node"] for edge in page["edges"]]
        outcome = own_list([r["id"] for r in reservations], [own], call.world.ids["reservation_r"])
        phones = {holder_phone(call, reservation) for reservation in reservations}
        return outcome if outcome != OWN or phones == {FULL} else f"own reservation with {phones}"

    return outcome_of(await call.query(MY_RESERVATIONS), "myReservations", judge)


@runner("maker_space_check_in_code")
async def maker_space_check_in_code(call: Call) -> str:
    body = await call.query(CHECK_IN_CODE, s=call.world.ids["space"])
    return outcome_of(body, "makerSpaceCheckInCode", lambda code: OK if code["code"] else EMPTY)


@runner("maker_space_reservations")
async def maker_space_reservations(call: Call) -> str:
    def judge(reservations: list) -> str:
        target = [r for r in reservations if r["id"] == call.world.ids["reservation_r"]]
        return holder_phone(call, target[0]) if target else EMPTY

    body = await call.query(SPACE_DAY, s=call.world.ids["space"], d=call.world.today.isoformat())
    return outcome_of(body, "makerSpaceReservations", judge)


@runner("node_reservation")
async def node_reservation(call: Call) -> str:
    return await own_then_target(
        lambda reservation: node_outcome(
            call, reservation, "... on Reservation { holder { phone } }", lambda r: holder_phone(call, r)
        ),
        call.world.own_reservations.get(call.caller),
        call.world.ids["reservation_r"],
        hidden=NULL,
    )


@runner("reservation_create")
async def reservation_create(call: Call) -> str:
    start = at(call.world.today + timedelta(days=1), 10)
    reservation = {
        "resourceId": call.world.ids["free_desk"],
        "start": start.isoformat(),
        "end": (start + timedelta(hours=1)).isoformat(),
    }
    return await mutate(call, RESERVE, "reservationCreate", "Reservation", input=reservation)


@runner("reservation_cancel")
async def reservation_cancel(call: Call) -> str:
    return await own_then_target(
        lambda reservation: mutate(
            call, CANCEL_RESERVATION, "reservationCancel", "Reservation", id=reservation
        ),
        call.world.own_reservations.get(call.caller),
        call.world.ids["reservation_r"],
        hidden=NOT_FOUND,
    )


@runner("reservation_check_in")
async def reservation_check_in(call: Call) -> str:
    code = call.world.check_in_code
    return await own_then_target(
        lambda reservation: mutate(
            call, CHECK_IN_RESERVATION, "reservationCheckIn", "Reservation", id=reservation, code=code
        ),
        call.world.own_reservations.get(call.caller),
        call.world.ids["reservation_r"],
        hidden=NOT_FOUND,
    )


# ── The access log ────────────────────────────────────────────────────────────


async def check_access_log(call: Call, sessions, expected: str) -> None:
    """A cell that reads elder A: exactly one row for the caller, A and the request. Any other
    cell: no row for A (rows for what else the caller may see, such as elder B, are theirs)."""
    (request_id,) = call.request_ids
    async with sessions() as session:
        rows = (
            await session.execute(
                select(HealthAccessLog.person_id, HealthAccessLog.what).where(
                    HealthAccessLog.request_id == request_id,
                    HealthAccessLog.elder_id == call.world.elders["A"],
                )
            )
        ).all()
    readers = [person_id for person_id, _ in rows]
    if expected in READS_TARGET:
        assert readers == [call.world.member(call.caller).person_id], (
            f"access log: {len(readers)} rows for this read of elder A (request {request_id}), not one"
        )
    else:
        assert readers == [], f"access log: {len(readers)} rows for elder A, whom this cell does not read"


# ── The tests ─────────────────────────────────────────────────────────────────

CELLS = [(row, caller) for row in ROWS for caller in CALLERS]


@pytest.mark.parametrize(("row", "caller"), CELLS, ids=[f"{row.key}-{caller}" for row, caller in CELLS])
async def test_cell(row: Row, caller: str, gql, app, world, db):
    call = Call(gql=gql, app=app, world=world, caller=caller)

    observed = await RUNNERS[row.key](call)

    expected = row.expected(caller)
    assert observed == expected, (
        f"{row.operation} as {CALLERS[caller]}: expected {expected}, observed {observed}"
    )
    if row.logged:
        await check_access_log(call, db, expected)


# Nested fields the issue names as sensitive: each needs a row of its own (or a row through it).
SENSITIVE_NESTED = {
    "Elder.latestVitals",
    "Elder.alerts",
    "Elder.visits",
    "Elder.devices",
    "Child.pickupPersons",
    "Child.bookings",
    "Query.childcareSessionRoster",
    "Reservation.holder",
    "PickupPerson.phone",
    "ReservationHolder.phone",
    "Viewer.phone",
}


def test_every_root_field_node_type_and_sensitive_field_has_a_row():
    built = graphql.build_schema(build_schema(make_settings()).as_str())
    roots = (built.query_type, built.mutation_type, built.subscription_type)
    fields = {f"{root.name}.{name}" for root in roots for name in root.fields}
    nodes = {f"Query.node:{node.name}" for node in built.get_implementations(built.get_type("Node")).objects}
    covered = {coordinate for row in ROWS for coordinate in row.covers}

    assert sorted((fields | nodes | SENSITIVE_NESTED) - covered) == [], (
        "without a row in tests/security/matrix.py"
    )


def test_the_table_is_well_formed():
    assert len({row.key for row in ROWS}) == len(ROWS), "row keys are unique"
    assert sorted(RUNNERS) == sorted(row.key for row in ROWS), "every row has a runner, every runner a row"
    for row in ROWS:
        assert len(row.cells) == len(CALLERS), row.key
        assert set(row.cells) <= OUTCOMES.keys(), row.key


def test_docs_security_md_shows_the_table():
    assert section_of(DOC.read_text(encoding="utf-8")) == render_markdown(), (
        "docs/SECURITY.md has drifted from the table: run `.venv/bin/python -m tests.security.matrix`"
    )
