"""Statement-count cases of maker spaces: spaces, resources, free slots, reservations.

Run by tests/perf/test_statement_counts.py (see tests/perf/cases.py for what a case is).
"""

from datetime import datetime, timedelta

import pyotp
from sqlalchemy.dialects.postgresql import Range

from models.makerspace import MakerSpace, Reservation, Resource, ResourceBlockOut, ResourceFeature
from models.people import Person, Role
from resolvers import makerspace as makerspace_service
from tests.perf.cases import NANMU, AliasSetup, Case, Run, World, edges, gid, node_query

# The rows the cases build -----------------------------------------------------


async def add_space(w: World, resources: int, community: str = NANMU) -> tuple[MakerSpace, list[Resource]]:
    space = MakerSpace(
        name=f"性能测试创客厅{w.unique():03d}",
        community_id=await w.community_id(community),
        check_in_secret=pyotp.random_base32(),
    )
    w.session.add(space)
    await w.session.flush()
    made = [
        Resource(
            space_id=space.id,
            name=f"工位 P{index:02d}",
            kind="DESK",
            capacity=1,
            features=["POWER", "WINDOW"],
            position=index,
        )
        for index in range(resources)
    ]
    w.session.add_all(made)
    await w.session.flush()
    return space, made


async def add_reservation(
    w: World, resource: Resource, person: Person, start: datetime, minutes: int = 60
) -> Reservation:
    reservation = Reservation(
        resource_id=resource.id,
        space_id=resource.space_id,
        person_id=person.id,
        period=Range(start, start + timedelta(minutes=minutes), bounds="[)"),
        status="CONFIRMED",
        party_size=1,
    )
    w.session.add(reservation)
    await w.session.flush()
    return reservation


# Query ----------------------------------------------------------------------

AVAILABILITY = """
query($space: ID!, $date: Date!) {
  resourceAvailability(spaceId: $space, date: $date) {
    resource { id name kind capacity features } freeSlots { start end }
  }
}
"""


async def resource_availability(w: World, n: int) -> Run:
    space, resources = await add_space(w, n)
    holder, _ = await w.person()
    tomorrow = w.today + timedelta(days=1)
    for index, resource in enumerate(resources):
        start = w.at(tomorrow, 9) + timedelta(minutes=30 * index)
        await add_reservation(w, resource, holder, start, minutes=30)
    await w.commit()
    return Run({"space": gid("MakerSpace", space.id), "date": tomorrow.isoformat()})


MY_RESERVATIONS = """
{ myReservations(first: 50) {
  pageInfo { hasNextPage endCursor }
  edges { cursor node {
    id start end status partySize createdAt checkedInAt
    resource { id name kind capacity features }
    space { id name opensAt rules { slotMinutes } resources { id name } }
    holder { name } } } } }
"""


async def my_reservations(w: World, n: int) -> Run:
    person, token = await w.person()
    tomorrow = w.today + timedelta(days=1)
    for index in range(n):  # each in a space of its own, so resources and spaces differ too
        _, resources = await add_space(w, 2)
        start = w.at(tomorrow + timedelta(days=index // 8), 9 + index % 8)
        await add_reservation(w, resources[0], person, start)
    await w.commit()
    return Run(token=token)


MAKER_SPACES = """
query($from: Date!, $to: Date!) { makerSpaces {
  id name opensAt closesAt
  rules { slotMinutes bookingHorizonDays deskMaxMinutes roomMaxMinutes noShowLimit }
  resources { id name kind capacity features }
  desks: resources(kind: DESK) { id name }
  blockOuts(from: $from, to: $to) { id start end reason resource { id name } } } }
"""


async def add_block_out(w: World, resource: Resource, staff: Person, start: datetime, hours: int = 2) -> None:
    w.session.add(
        ResourceBlockOut(
            resource_id=resource.id,
            space_id=resource.space_id,
            period=Range(start, start + timedelta(hours=hours), bounds="[)"),
            reason="检修",
            created_by=staff.id,
        )
    )


async def maker_spaces(w: World, n: int) -> Run:
    """n spaces, each with two desks blocked out tomorrow, listed by ADMIN (who sees blockOuts)."""
    staff, _ = await w.person(Role.MAKERSPACE_STAFF)
    tomorrow = w.today + timedelta(days=1)
    for _ in range(n):
        _, desks = await add_space(w, 2)
        for desk in desks:
            await add_block_out(w, desk, staff, w.at(tomorrow, 10))
    await w.commit()
    window = {"from": w.today.isoformat(), "to": (w.today + timedelta(days=7)).isoformat()}
    return Run(window, w.tokens["ADMIN"])


CHECK_IN_CODE = "query($space: ID!) { makerSpaceCheckInCode(spaceId: $space) { code validUntil } }"


async def maker_space_check_in_code(w: World, n: int) -> Run:
    space, _ = await add_space(w, 1)
    _, token = await w.person(Role.MAKERSPACE_STAFF)
    return Run({"space": gid("MakerSpace", space.id)}, token)


SPACE_DAY = """
query($space: ID!, $date: Date!) {
  makerSpaceReservations(spaceId: $space, date: $date) {
    id start end status partySize createdAt
    resource { id name kind features }
    space { id name resources { id name } }
    holder { name } } }
"""


async def maker_space_reservations(w: World, n: int) -> Run:
    space, resources = await add_space(w, n)
    tomorrow = w.today + timedelta(days=1)
    for resource in resources:  # a different holder for each
        holder, _ = await w.person()
        await add_reservation(w, resource, holder, w.at(tomorrow, 10))
    _, token = await w.person(Role.MAKERSPACE_STAFF)
    return Run({"space": gid("MakerSpace", space.id), "date": tomorrow.isoformat()}, token)


async def node_resource(w: World, n: int) -> Run:
    _, (resource,) = await add_space(w, 1)
    resource.features = [feature.value for feature in list(ResourceFeature)[:n]]
    await w.commit()
    return Run({"id": gid("Resource", resource.id)})


async def node_maker_space(w: World, n: int) -> Run:
    space, _ = await add_space(w, n)
    await w.commit()
    return Run({"id": gid("MakerSpace", space.id)})


async def node_reservation(w: World, n: int) -> Run:
    holder, token = await w.person()
    _, resources = await add_space(w, n)
    reservation = await add_reservation(w, resources[0], holder, w.at(w.today + timedelta(days=1), 10))
    await w.commit()
    return Run({"id": gid("Reservation", reservation.id)}, token)


# Mutation ---------------------------------------------------------------------

RESERVATION_RESULT = """
  __typename
  ... on Reservation { id status start end partySize checkedInAt
    resource { id name features }
    space { id name rules { slotMinutes } resources { id name features } }
    holder { name } }
  ... on DomainError { code message }
"""
RESERVATION_CREATE = f"""
mutation($input: ReservationCreateInput!) {{ reservationCreate(input: $input) {{ {RESERVATION_RESULT} }} }}
"""
RESERVATION_CANCEL = f"mutation($id: ID!) {{ reservationCancel(id: $id) {{ {RESERVATION_RESULT} }} }}"
RESERVATION_CHECK_IN = f"""
mutation($id: ID!, $code: String!) {{ reservationCheckIn(id: $id, code: $code) {{ {RESERVATION_RESULT} }} }}
"""


async def reservation_create(w: World, n: int) -> Run:
    _, token = await w.person()
    _, resources = await add_space(w, n)
    start = w.at(w.today + timedelta(days=1), 10)
    variables = {
        "input": {
            "resourceId": gid("Resource", resources[0].id),
            "start": start.isoformat(),
            "end": (start + timedelta(hours=1)).isoformat(),
        }
    }
    return Run(variables, token)


async def reservation_cancel(w: World, n: int) -> Run:
    holder, token = await w.person()
    _, resources = await add_space(w, n)
    reservation = await add_reservation(w, resources[0], holder, w.at(w.today + timedelta(days=1), 10))
    await w.commit()
    return Run({"id": gid("Reservation", reservation.id)}, token)


async def reservation_check_in(w: World, n: int) -> Run:
    holder, token = await w.person()
    space, resources = await add_space(w, n)
    start = w.now.replace(second=0, microsecond=0)
    reservation = await add_reservation(w, resources[0], holder, start)
    await w.commit()
    code, _ = makerspace_service.check_in_code(space, w.now)
    return Run({"id": gid("Reservation", reservation.id), "code": code}, token)


# The space's own running ----------------------------------------------------------

RESOURCE = """__typename ... on Resource { id name kind capacity features position active }
  ... on DomainError { code }"""
RESOURCE_CREATE = (
    f"mutation($input: ResourceCreateInput!) {{ resourceCreate(input: $input) {{ {RESOURCE} }} }}"
)
RESOURCE_UPDATE = f"""
mutation($id: ID!, $input: ResourceUpdateInput!) {{ resourceUpdate(id: $id, input: $input) {{ {RESOURCE} }} }}
"""
CANCELLED = "cancelledReservations { id status start resource { name } space { name } holder { name } }"
RESOURCE_RETIRE = f"""
mutation($id: ID!) {{ resourceRetire(id: $id, reason: "设备报废") {{ __typename
  ... on ResourceRetired {{ resource {{ id active }} {CANCELLED} }} ... on DomainError {{ code }} }} }}
"""
RULES_UPDATE = """
mutation($space: ID!) {
  makerSpaceRulesUpdate(spaceId: $space, input: {bookingHorizonDays: 10, opensAt: "08:00"}) { __typename
  ... on MakerSpace { id opensAt rules { bookingHorizonDays } resources { id name features } }
  ... on DomainError { code } } }
"""
BLOCK_OUT = f"""
mutation($id: ID!, $start: DateTime!, $end: DateTime!) {{
  resourceBlockOut(resourceId: $id, startsAt: $start, endsAt: $end, reason: "检修") {{ __typename
    ... on ResourceBlockedOut {{ blockOut {{ id start end resource {{ name }} }} {CANCELLED} }}
    ... on DomainError {{ code }} }} }}
"""
BLOCK_OUT_REMOVE = """
mutation($id: ID!) { resourceBlockOutRemove(id: $id) { __typename
  ... on ResourceBlockOut { id removedAt resource { id name } } ... on DomainError { code } } }
"""


def resources_of(w: World, space: MakerSpace):
    return lambda: w.count(Resource, Resource.space_id == space.id)


async def resource_create(w: World, n: int) -> Run:
    space, _ = await add_space(w, n)
    _, token = await w.person(Role.MAKERSPACE_STAFF)
    made = {"spaceId": gid("MakerSpace", space.id), "name": "新工位", "kind": "DESK", "features": ["POWER"]}
    return Run({"input": made}, token, count=resources_of(w, space))


async def resource_update(w: World, n: int) -> Run:
    space, resources = await add_space(w, n)
    _, token = await w.person(Role.MAKERSPACE_STAFF)
    change = {"name": "改名工位", "features": ["WINDOW"], "position": 50}
    return Run({"id": gid("Resource", resources[0].id), "input": change}, token, count=resources_of(w, space))


async def held_by_many(w: World, n: int) -> Resource:
    """A desk with n reservations tomorrow, each of another holder."""
    _, (desk,) = await add_space(w, 1)
    tomorrow = w.today + timedelta(days=1)
    for index in range(n):
        holder, _ = await w.person()
        await add_reservation(w, desk, holder, w.at(tomorrow, 9) + timedelta(minutes=30 * index), minutes=30)
    await w.commit()
    return desk


async def resource_retire(w: World, n: int) -> Run:
    desk = await held_by_many(w, n)
    _, token = await w.person(Role.MAKERSPACE_STAFF)
    return Run({"id": gid("Resource", desk.id)}, token)


async def maker_space_rules_update(w: World, n: int) -> Run:
    space, _ = await add_space(w, n)
    _, token = await w.person(Role.MAKERSPACE_STAFF)
    return Run({"space": gid("MakerSpace", space.id)}, token)


async def resource_block_out(w: World, n: int) -> Run:
    desk = await held_by_many(w, n)
    _, token = await w.person(Role.MAKERSPACE_STAFF)
    tomorrow = w.today + timedelta(days=1)
    window = {"start": w.at(tomorrow, 8, 30).isoformat(), "end": w.at(tomorrow, 21, 30).isoformat()}
    return Run({"id": gid("Resource", desk.id), **window}, token)


async def resource_block_out_remove(w: World, n: int) -> Run:
    staff, token = await w.person(Role.MAKERSPACE_STAFF)
    space, (desk,) = await add_space(w, 1)
    tomorrow = w.today + timedelta(days=1)
    made = ResourceBlockOut(
        resource_id=desk.id,
        space_id=space.id,
        period=Range(w.at(tomorrow, 10), w.at(tomorrow, 12), bounds="[)"),
        reason="检修",
        created_by=staff.id,
    )
    w.session.add(made)
    await w.commit()
    return Run({"id": gid("ResourceBlockOut", made.id)}, token)


# The cases ----------------------------------------------------------------------

CASES = [
    # Query
    Case("Query.resourceAvailability", AVAILABILITY, resource_availability, edges("resourceAvailability")),
    Case("Query.myReservations", MY_RESERVATIONS, my_reservations, edges("myReservations", "edges")),
    Case("Query.makerSpaces", MAKER_SPACES, maker_spaces, edges("makerSpaces")),
    Case(
        "Query.makerSpaceCheckInCode",
        CHECK_IN_CODE,
        maker_space_check_in_code,
        None,
        sizes=(1, 1),
        why_fixed="the code is computed from the space's secret and the clock: one space read by its id, "
        "the staff check made on the token, and CheckInCode holds no list",
    ),
    Case(
        "Query.makerSpaceReservations", SPACE_DAY, maker_space_reservations, edges("makerSpaceReservations")
    ),
    Case(
        "Query.node[Resource]",
        node_query("Resource", "name kind capacity features"),
        node_resource,
        edges("node", "features"),
        sizes=(1, 6),
    ),
    Case(
        "Query.node[MakerSpace]",
        node_query("MakerSpace", "name rules { slotMinutes } resources { id name features }"),
        node_maker_space,
        edges("node", "resources"),
    ),
    Case(
        "Query.node[Reservation]",
        node_query(
            "Reservation",
            "start status resource { name } space { name resources { id name } } holder { name }",
        ),
        node_reservation,
        edges("node", "space", "resources"),
    ),
    # Mutation
    Case(
        "Mutation.reservationCreate",
        RESERVATION_CREATE,
        reservation_create,
        edges("reservationCreate", "space", "resources"),
    ),
    Case(
        "Mutation.reservationCancel",
        RESERVATION_CANCEL,
        reservation_cancel,
        edges("reservationCancel", "space", "resources"),
    ),
    Case(
        "Mutation.reservationCheckIn",
        RESERVATION_CHECK_IN,
        reservation_check_in,
        edges("reservationCheckIn", "space", "resources"),
    ),
    Case("Mutation.resourceCreate", RESOURCE_CREATE, resource_create, None),
    Case("Mutation.resourceUpdate", RESOURCE_UPDATE, resource_update, None),
    Case(
        "Mutation.resourceRetire",
        RESOURCE_RETIRE,
        resource_retire,
        edges("resourceRetire", "cancelledReservations"),
    ),
    Case(
        "Mutation.makerSpaceRulesUpdate",
        RULES_UPDATE,
        maker_space_rules_update,
        edges("makerSpaceRulesUpdate", "resources"),
    ),
    Case(
        "Mutation.resourceBlockOut",
        BLOCK_OUT,
        resource_block_out,
        edges("resourceBlockOut", "cancelledReservations"),
    ),
    Case(
        "Mutation.resourceBlockOutRemove",
        BLOCK_OUT_REMOVE,
        resource_block_out_remove,
        None,
        sizes=(1, 1),
        why_fixed="one block-out read by its id, locked and marked removed; its answer holds no list",
    ),
]


# node(id:) asked many times in one request (aliases) ------------------------------


async def alias_resources(w: World, k: int) -> tuple[list[int], str]:
    _, resources = await add_space(w, k)
    return [resource.id for resource in resources], w.tokens["RESIDENT"]


async def alias_maker_spaces(w: World, k: int) -> tuple[list[int], str]:
    return [(await add_space(w, 1))[0].id for _ in range(k)], w.tokens["RESIDENT"]


async def alias_reservations(w: World, k: int) -> tuple[list[int], str]:
    holder, token = await w.person(Role.RESIDENT)
    _, resources = await add_space(w, k)
    day = w.today + timedelta(days=1)
    # One person holds no two reservations at once: an hour each, one after another.
    return [
        (await add_reservation(w, resource, holder, w.at(day, 8 + hour))).id
        for hour, resource in enumerate(resources)
    ], token


NODE_ALIASES: dict[str, AliasSetup] = {
    "Resource": alias_resources,
    "MakerSpace": alias_maker_spaces,
    "Reservation": alias_reservations,
}
