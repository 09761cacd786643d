"""The authorization matrix's rows of maker spaces: public spaces and slots, another person's reservation R.

Read by tests/security/matrix.py (the table) and tests/security/test_authorization_matrix.py (which
runs every cell); the world the runners act on is built in tests/security/conftest.py.
"""

from datetime import timedelta

from tests.security.calls import (
    Call,
    Runner,
    contains,
    mutate,
    node_outcome,
    outcome_of,
    own_list,
    own_then_target,
    phones_outcome,
    public_node,
    registrar,
)
from tests.security.conftest import at
from tests.security.rows import (
    EMPTY,
    FORBIDDEN,
    FULL,
    MAKER_SPACE,
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

# A space's reservations: its staff and admin (phones masked); everyone else only their own.
MAKERSPACE_STAFF_ONLY = by_caller(FORBIDDEN, anonymous=UNAUTH, makerspace_staff=OK, admin=OK)
OWN_RESERVATION = by_caller(OWN, anonymous=UNAUTH, makerspace_staff=OK, admin=OK)

ROWS: dict[str, tuple[Row, ...]] = {
    PUBLIC: (
        Row("maker_spaces", "`makerSpaces`", ("Query.makerSpaces",), everyone(OK)),
        Row("resource_availability", "`resourceAvailability`", ("Query.resourceAvailability",), everyone(OK)),
    ),
    PUBLIC_NODES: (
        Row("node_maker_space", "`node` → MakerSpace", ("Query.node:MakerSpace",), everyone(OK)),
        Row("node_resource", "`node` → Resource", ("Query.node:Resource",), everyone(OK)),
    ),
    MAKER_SPACE: (
        Row(
            "my_reservations",
            "`myReservations { holder { phone } }`",
            ("Query.myReservations",),
            signed_in(OWN),
        ),
        Row(
            "maker_space_check_in_code",
            "`makerSpaceCheckInCode`",
            ("Query.makerSpaceCheckInCode",),
            MAKERSPACE_STAFF_ONLY,
        ),
        Row(
            "maker_space_reservations",
            "`makerSpaceReservations { holder { phone } }`: R",
            ("Query.makerSpaceReservations", "ReservationHolder.phone"),
            by_caller(FORBIDDEN, anonymous=UNAUTH, makerspace_staff=MASKED, admin=MASKED),
        ),
        Row(
            "node_reservation",
            "`node` → R `{ holder { phone } }`",
            ("Query.node:Reservation", "Reservation.holder", "ReservationHolder.phone"),
            by_caller(OWN, anonymous=NULL, makerspace_staff=MASKED, admin=MASKED),
        ),
        Row("reservation_create", "`reservationCreate`", ("Mutation.reservationCreate",), signed_in(OK)),
        Row(
            "reservation_cancel",
            "`reservationCancel` of R",
            ("Mutation.reservationCancel",),
            OWN_RESERVATION,
        ),
        Row(
            "reservation_check_in",
            "`reservationCheckIn` of R",
            ("Mutation.reservationCheckIn",),
            OWN_RESERVATION,
        ),
    ),
}

# Nested fields the issue names as sensitive: each needs a row of its own (or a row through it).
SENSITIVE = {"Reservation.holder", "ReservationHolder.phone"}

RUNNERS: dict[str, Runner] = {}
runner = registrar(RUNNERS)


# ── Public data ───────────────────────────────────────────────────────────────

MAKER_SPACES = "{ makerSpaces { id resources { id } } }"
AVAILABILITY = """query($space: ID!, $date: Date!) { resourceAvailability(spaceId: $space, date: $date) {
  resource { id } freeSlots { start end } } }"""

RUNNERS["node_maker_space"] = public_node("space", "MakerSpace")
RUNNERS["node_resource"] = public_node("desk", "Resource")


@runner("maker_spaces")
async def maker_spaces(call: Call) -> str:
    return outcome_of(await call.query(MAKER_SPACES), "makerSpaces", contains(call.world.ids["space"]))


@runner("resource_availability")
async def resource_availability(call: Call) -> str:
    tomorrow = (call.world.today + timedelta(days=1)).isoformat()
    body = await call.query(AVAILABILITY, space=call.world.ids["space"], date=tomorrow)
    return outcome_of(body, "resourceAvailability", lambda days: OK if days else EMPTY)


# ── Reservation R ─────────────────────────────────────────────────────────────

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
