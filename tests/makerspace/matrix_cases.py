"""The authorization matrix's rows of maker spaces: public spaces and slots, another person's reservation R.

Read by tests/security/matrix.py (the table) and tests/security/test_authorization_matrix.py (which
runs every cell); the world the runners act on is built in tests/security/conftest.py.
"""

from datetime import timedelta

from sqlalchemy.dialects.postgresql import Range

from models.makerspace import ResourceBlockOut
from schema.common import decode_global_id, encode_global_id
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

# The space's own running (resources, rules, block-outs): its staff and admin; staff of another
# community find no such space or resource; every other role may not call the field at all.
STAFF_ACT = by_caller(
    FORBIDDEN, anonymous=UNAUTH, makerspace_staff=OK, makerspace_staff_other=NOT_FOUND, admin=OK
)
STAFF_OPERATIONS = "maker space: the space's resources, rules and block-outs (R's space)"

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
    STAFF_OPERATIONS: (
        Row("resource_create", "`resourceCreate` in R's space", ("Mutation.resourceCreate",), STAFF_ACT),
        Row(
            "resource_update",
            "`resourceUpdate` of a desk of R's space",
            ("Mutation.resourceUpdate",),
            STAFF_ACT,
        ),
        Row(
            "resource_retire",
            "`resourceRetire` of a desk of R's space",
            ("Mutation.resourceRetire",),
            STAFF_ACT,
        ),
        Row(
            "maker_space_rules_update",
            "`makerSpaceRulesUpdate` of R's space",
            ("Mutation.makerSpaceRulesUpdate",),
            STAFF_ACT,
        ),
        Row(
            "resource_block_out",
            "`resourceBlockOut` of a desk of R's space",
            ("Mutation.resourceBlockOut",),
            STAFF_ACT,
        ),
        Row(
            "resource_block_out_remove",
            "`resourceBlockOutRemove` of a block-out in R's space",
            ("Mutation.resourceBlockOutRemove",),
            STAFF_ACT,
        ),
        Row(
            "maker_space_block_outs",
            "`MakerSpace.blockOuts` of R's space (the space is public; the field null)",
            ("MakerSpace.blockOuts",),
            by_caller(EMPTY, makerspace_staff=OK, admin=OK),
        ),
    ),
}

# Nested fields the issue names as sensitive: each needs a row of its own (or a row through it).
SENSITIVE = {"Reservation.holder", "ReservationHolder.phone", "MakerSpace.blockOuts"}

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


# ── The space's own running ───────────────────────────────────────────────────

RESOURCE_CREATE = """mutation($input: ResourceCreateInput!) { resourceCreate(input: $input) { __typename
  ... on DomainError { code } } }"""
RESOURCE_UPDATE = """mutation($id: ID!, $input: ResourceUpdateInput!) {
  resourceUpdate(id: $id, input: $input) { __typename ... on DomainError { code } } }"""
RESOURCE_RETIRE = """mutation($id: ID!) { resourceRetire(id: $id, reason: "矩阵：设备报废") { __typename
  ... on DomainError { code } } }"""
RULES_UPDATE = """mutation($space: ID!) {
  makerSpaceRulesUpdate(spaceId: $space, input: {bookingHorizonDays: 10}) { __typename
  ... on DomainError { code } } }"""
BLOCK_OUT = """mutation($id: ID!, $start: DateTime!, $end: DateTime!) {
  resourceBlockOut(resourceId: $id, startsAt: $start, endsAt: $end, reason: "矩阵：检修") {
  __typename ... on DomainError { code } } }"""
BLOCK_OUT_REMOVE = """mutation($id: ID!) { resourceBlockOutRemove(id: $id) { __typename
  ... on DomainError { code } } }"""


@runner("resource_create")
async def resource_create(call: Call) -> str:
    made = {"spaceId": call.world.ids["space"], "name": "矩阵新工位", "kind": "DESK", "features": ["POWER"]}
    return await mutate(call, RESOURCE_CREATE, "resourceCreate", "Resource", input=made)


@runner("resource_update")
async def resource_update(call: Call) -> str:
    change = {"name": "矩阵工位（改名）", "position": 99}
    return await mutate(
        call, RESOURCE_UPDATE, "resourceUpdate", "Resource", id=call.world.ids["free_desk"], input=change
    )


@runner("resource_retire")
async def resource_retire(call: Call) -> str:
    return await mutate(
        call, RESOURCE_RETIRE, "resourceRetire", "ResourceRetired", id=call.world.ids["free_desk"]
    )


@runner("maker_space_rules_update")
async def maker_space_rules_update(call: Call) -> str:
    return await mutate(
        call, RULES_UPDATE, "makerSpaceRulesUpdate", "MakerSpace", space=call.world.ids["space"]
    )


def tomorrow_at(call: Call, hour: int) -> str:
    return at(call.world.today + timedelta(days=1), hour).isoformat()


@runner("resource_block_out")
async def resource_block_out(call: Call) -> str:
    return await mutate(
        call,
        BLOCK_OUT,
        "resourceBlockOut",
        "ResourceBlockedOut",
        id=call.world.ids["free_desk"],
        start=tomorrow_at(call, 10),
        end=tomorrow_at(call, 12),
    )


@runner("resource_block_out_remove")
async def resource_block_out_remove(call: Call) -> str:
    """A block-out of the free desk tomorrow, made by the space's staff, then removed by the caller."""
    desk = decode_global_id(call.world.ids["free_desk"], "Resource")[1]
    space = decode_global_id(call.world.ids["space"], "MakerSpace")[1]
    tomorrow = call.world.today + timedelta(days=1)
    async with call.sessions() as session:
        made = ResourceBlockOut(
            resource_id=desk,
            space_id=space,
            period=Range(at(tomorrow, 14), at(tomorrow, 16), bounds="[)"),
            reason="矩阵：检修",
            created_by=call.world.people["makerspace_staff"].person_id,
        )
        session.add(made)
        await session.commit()
        block_out = encode_global_id("ResourceBlockOut", made.id)
    return await mutate(call, BLOCK_OUT_REMOVE, "resourceBlockOutRemove", "ResourceBlockOut", id=block_out)


@runner("maker_space_block_outs")
async def maker_space_block_outs(call: Call) -> str:
    first, last = call.world.today, call.world.today + timedelta(days=7)
    selection = f'... on MakerSpace {{ blockOuts(from: "{first}", to: "{last}") {{ id reason }} }}'

    def judge(space: dict) -> str:
        listed = space["blockOuts"]
        return EMPTY if listed is None else OK if listed else "[]"

    return await node_outcome(call, call.world.ids["space"], selection, judge)
