"""Schemathesis fuzzes every root Query and Mutation field of the served schema, signed in as each
main role, in-process over ASGI: no server errors; bad input gets a clear error and changes nothing.

Schemathesis (hypothesis-graphql underneath) only generates the cases; they are sent from this
test's event loop with httpx's ASGI transport, because the database connections belong to that
loop (schemathesis's own ASGI transport runs a sync client with a loop of its own). Its built-in
GraphQL server-error check is not used either: it counts every error with a `path` as a server
error, while ours answer FORBIDDEN or NOT_FOUND that way; our stable codes are judged instead.
"""

import re
import time
import traceback
import zlib
from datetime import UTC, datetime, timedelta

import graphql
import httpx
import hypothesis
import orjson
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode
from schemathesis.graphql import nodes

from models.people import Role
from schema import build_schema
from schema.common import encode_global_id
from seeds.demo import DEMO_PASSWORD
from server.graphql_view import GRAPHQL_RESPONSE_JSON
from tests.conftest import make_settings
from tests.fuzz.conftest import ANONYMOUS, EXAMPLES, NODE_TABLES, SEED, SHANGHAI

SERVED_SDL = build_schema(make_settings()).as_str()
SCHEMA = schemathesis.graphql.from_file(SERVED_SDL)
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
ROLES = [ANONYMOUS, *(role.value for role in Role)]
DOMAIN_ERRORS = {
    member.name
    for member in SCHEMA.client_schema.get_possible_types(SCHEMA.client_schema.get_type("DomainError"))
}
# A wrong pick-up PIN is answered as an error but still counted against the booking, on purpose.
ATTEMPT_KEPT = {"InvalidPickupPin"}

STABLE_CODE = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*")
# Statuses other than 200 that our server answers on purpose, with the code that must explain them.
STATUS_CODES = {
    401: "UNAUTHENTICATED",
    405: "METHOD_NOT_ALLOWED",
    413: "REQUEST_TOO_LARGE",
    429: "RATE_LIMITED",
}
METHODS = ("POST", "GET")  # GET: queries are allowed, mutations refused with 405
ACCEPTS = ("application/json", GRAPHQL_RESPONSE_JSON)


# ── Values the API can do something with, mixed with anything at all ─────────

# Arguments bound to the live objects of their type (schemathesis dictionaries), half the time:
# the other half stays arbitrary, so cases get both past "not found" and into the rules behind it.
ID_ARGUMENTS = {
    "*.*.spaceId": "MakerSpace",
    "*.*.centerId": "ChildcareCenter",
    "*.*.childId": "Child",
    "*.*.sessionId": "ChildcareSession",
    "*.*.bookingId": "ChildcareBooking",
    "*.*.communityId": "Community",
    "*.*.classId": "ChildcareClass",
    "Mutation.childcareSessionCarerAssign.personId": "Person",
    "Mutation.childcareSessionCarerRemove.personId": "Person",
    "Mutation.childcareClassCreate.input.centerId": "ChildcareCenter",
    "Mutation.childcareClassUpdate.id": "ChildcareClass",
    "Mutation.childcareBookingCreate.input.childId": "Child",
    "Mutation.childcareBookingCreate.input.sessionId": "ChildcareSession",
    "Mutation.reservationCreate.input.resourceId": "Resource",
    "Mutation.reservationCancel.id": "Reservation",
    "Mutation.reservationCheckIn.id": "Reservation",
    "Mutation.resourceCreate.input.spaceId": "MakerSpace",
    "Mutation.resourceUpdate.id": "Resource",
    "Mutation.resourceRetire.id": "Resource",
    "Mutation.resourceBlockOut.resourceId": "Resource",
    "Mutation.resourceBlockOutRemove.id": "ResourceBlockOut",
    "Mutation.childcareBookingCancel.id": "ChildcareBooking",
    "Mutation.careAlertAcknowledge.id": "CareAlert",
    "Mutation.careAlertResolve.id": "CareAlert",
    "Mutation.careVisitLog.input.elderId": "Elder",
    "Mutation.facilityUpdate.id": "Facility",
    "Mutation.facilityClose.id": "Facility",
    "Mutation.facilityCreate.input.communityId": "Community",
    "Mutation.facilityHoursExceptionsSet.filter.communityId": "Community",
    "Mutation.deviceAssign.deviceId": "Device",
    "Mutation.deviceAssign.elderId": "Elder",
    "Mutation.deviceUnassign.deviceId": "Device",
    "Mutation.deviceRetire.deviceId": "Device",
    "Mutation.vitalThresholdSet.elderId": "Elder",
    "Mutation.vitalThresholdClear.elderId": "Elder",
}


def fuzz_config(world) -> schemathesis.Config:
    dictionaries = {type_name: {"values": ids} for type_name, ids in world.ids.items()}
    dictionaries["any_node"] = {"values": [id_ for ids in world.ids.values() for id_ in ids]}
    dictionaries["phones"] = {"values": world.phones}
    dictionaries["password"] = {"values": [DEMO_PASSWORD]}
    dictionaries["serials"] = {"values": world.serials}
    parameters = {key: type_name for key, type_name in ID_ARGUMENTS.items()}
    parameters |= {
        "Query.node.id": "any_node",
        "Mutation.login.phone": "phones",
        "Mutation.login.password": "password",
        "Mutation.childPickupPersonAdd.phone": "phones",
        "Mutation.readingsRecord.readings[*].deviceId": "serials",
        "Mutation.deviceRegister.input.serial": "serials",
    }
    return schemathesis.Config.from_dict(
        {
            "dictionaries": dictionaries,
            "parameters": {key: {"dictionary": name, "probability": 0.5} for key, name in parameters.items()},
        }
    )


def register_scalars() -> None:
    """Scalar values shaped like what the API takes (dates near today, Wuchang's coordinates, IDs
    of every type with any key) alongside arbitrary ones."""
    today = datetime.now(SHANGHAI)
    near_days = st.integers(-30, 60).map(lambda days: (today + timedelta(days=days)).date())
    near_times = st.integers(-7 * 48, 21 * 48).map(
        lambda half_hours: (
            today.replace(minute=0, second=0, microsecond=0) + timedelta(minutes=30 * half_hours)
        )
    )
    any_times = st.datetimes(
        min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
    )
    ids = st.one_of(
        st.builds(encode_global_id, st.sampled_from(sorted(NODE_TABLES)), st.integers(-(2**64), 2**64)),
        st.text(),
        st.integers(-(2**40), 2**40).map(str),
    )
    schemathesis.graphql.scalar("ID", ids.map(nodes.String))
    schemathesis.graphql.scalar(
        "Date",
        st.one_of(near_days, st.dates()).map(str).map(nodes.String),
    )
    schemathesis.graphql.scalar(
        "DateTime",
        st.one_of(
            near_times.map(datetime.isoformat),
            any_times.map(datetime.isoformat),
            st.datetimes().map(datetime.isoformat),  # no offset: must be refused
            st.text(),
        ).map(nodes.String),
    )
    schemathesis.graphql.scalar(
        "Float",
        st.one_of(
            st.floats(allow_nan=False, allow_infinity=False),
            st.floats(30.2, 30.35),  # Wuchang's latitudes and longitudes
            st.floats(119.95, 120.1),
        ).map(nodes.Float),
    )


class CaseSource:
    """The schema with the world's dictionaries; each operation's cases drawn once and sent as
    every role, so the same input meets each viewer and Hypothesis (slower than the request)
    draws them once."""

    def __init__(self, world) -> None:
        register_scalars()
        self.schema = schemathesis.graphql.from_file(SERVED_SDL, config=fuzz_config(world))
        self.drawn: dict[str, list[tuple]] = {}

    def cases(self, label: str) -> list[tuple]:
        if label not in self.drawn:
            seed = zlib.crc32(f"{SEED}:{label}".encode())
            self.drawn[label] = draw_cases(self.schema.find_operation_by_label(label), EXAMPLES, seed)
        return self.drawn[label]


@pytest.fixture(scope="module")
def case_source(world) -> CaseSource:
    return CaseSource(world)


def draw_cases(operation, count: int, seed: int) -> list[tuple]:
    """`count` (case, method, accept) triples, positive and negative alike, from a fixed seed."""
    strategy = st.tuples(
        st.one_of(
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
        ),
        st.sampled_from(METHODS),
        st.sampled_from(ACCEPTS),
    )
    drawn = []

    @hypothesis.seed(seed)
    @settings(
        max_examples=count,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(triple) -> None:
        drawn.append(triple)

    collect()
    return drawn


def ask_root_typename(query: str) -> tuple[str, str | None]:
    """The query with `__typename` added under its root field (to tell a DomainError answer from
    data), and the root field's response key."""
    try:
        document = graphql.parse(query)
    except graphql.GraphQLError:
        return query, None
    operation = document.definitions[0]
    root = operation.selection_set.selections[0]
    if not isinstance(root, graphql.FieldNode):
        return query, None
    key = (root.alias or root.name).value
    if root.selection_set is None:
        return query, key
    typename = graphql.FieldNode(name=graphql.NameNode(value="__typename"))
    selections = copy_node(root.selection_set, selections=(*root.selection_set.selections, typename))
    operation = copy_node(
        operation,
        selection_set=copy_node(
            operation.selection_set, selections=(copy_node(root, selection_set=selections),)
        ),
    )
    return graphql.print_ast(copy_node(document, definitions=(operation,))), key


def copy_node(node, **changes):
    """graphql-core's AST nodes are immutable: a copy with some fields replaced."""
    return type(node)(**{**{key: getattr(node, key) for key in node.keys}, **changes})


# ── Judging one answer ───────────────────────────────────────────────────────


def answer_problems(status: int, body, *, accept: str) -> list[str]:
    """What is wrong with the answer itself: server errors, errors without a stable code or a
    message, and statuses our server does not mean."""
    if status >= 500:
        return [f"HTTP {status}"]
    if not isinstance(body, dict) or not ({"data", "errors"} & body.keys()):
        return [f"HTTP {status} without a GraphQL answer"]
    errors = body.get("errors") or []
    problems, codes = [], []
    for error in errors:
        if not isinstance(error, dict):
            problems.append(f"an error that is not an object: {error!r}")
            continue
        code = (error.get("extensions") or {}).get("code")
        codes.append(code)
        if code == "INTERNAL_SERVER_ERROR":
            problems.append(f"INTERNAL_SERVER_ERROR at {error.get('path')}")
        elif not isinstance(code, str) or not STABLE_CODE.fullmatch(code):
            problems.append(f"error without a stable code: {error}")
        if not isinstance(error.get("message"), str) or not error["message"].strip():
            problems.append(f"error without a message: {error}")
    if body.get("data") is None and not errors:
        problems.append("neither data nor an error")
    if status == 400:
        if accept != GRAPHQL_RESPONSE_JSON or "data" in body:
            problems.append("HTTP 400 outside a request error in application/graphql-response+json")
    elif status in STATUS_CODES:
        if STATUS_CODES[status] not in codes:
            problems.append(f"HTTP {status} without {STATUS_CODES[status]}")
    elif status != 200:
        problems.append(f"unexpected HTTP {status}")
    return problems


def must_leave_unchanged(operation, method: str, body, root_key: str | None) -> bool:
    """Queries, refused requests and mutations answered with a DomainError change nothing."""
    if operation.definition.is_query or method == "GET" or not isinstance(body, dict):
        return True
    data = body.get("data")
    value = data.get(root_key) if isinstance(data, dict) and root_key else None
    if value is None:
        return True
    typename = value.get("__typename") if isinstance(value, dict) else None
    return typename in DOMAIN_ERRORS and typename not in ATTEMPT_KEPT


def error_code(error) -> str:
    return str((error.get("extensions") or {}).get("code")) if isinstance(error, dict) else "NOT_AN_OBJECT"


def outcome(body, root_key: str | None) -> str:
    """How far a case got: its first error's code, else the root field's type (or data)."""
    if not isinstance(body, dict):
        return "NOT_JSON"
    for error in body.get("errors") or ():
        return error_code(error)
    value = (body.get("data") or {}).get(root_key) if root_key else None
    return value.get("__typename", "data") if isinstance(value, dict) else "data"


async def send(client, *, method: str, query: str, accept: str, token: str | None):
    headers = {"Accept": accept}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if method == "GET":
        return await client.get("/graphql", params={"query": query}, headers=headers)
    return await client.post("/graphql", json={"query": query}, headers=headers)


def shown(body, limit: int = 1500) -> str:
    text = orjson.dumps(body).decode() if not isinstance(body, str) else body
    return text if len(text) <= limit else text[:limit] + "…"


# ── The test: every root field × every role ──────────────────────────────────


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.label)
async def test_no_server_errors_and_refusals_change_nothing(world, case_source, fuzz_totals, operation, role):
    started = time.perf_counter()
    cases = case_source.cases(operation.label)
    findings = []
    for case, method, accept in cases:
        query, root_key = ask_root_typename(case.body)
        async with world.case() as probe:
            try:
                response = await send(
                    world.client, method=method, query=query, accept=accept, token=world.tokens[role]
                )
            except Exception as error:  # raised out of the app: uvicorn would answer 500
                world.error_log.records.append("".join(traceback.format_exception(error))[-6000:])
                response = httpx.Response(500, text="Internal Server Error")
            try:
                body = response.json()
            except ValueError:
                body = response.text
            problems = answer_problems(response.status_code, body, accept=accept)
            if must_leave_unchanged(operation, method, body, root_key):
                changed = await probe.changed_tables()
                if changed:
                    problems.append("refused, yet changed " + ", ".join(changed))
            if world.error_log.records:
                problems.append("the server logged an error")
            server_log = list(world.error_log.records)

        mode = case.meta.generation.mode.value if case.meta else "positive"
        fuzz_totals.cases[role] += 1
        fuzz_totals.modes[mode] += 1
        fuzz_totals.statuses[response.status_code] += 1
        fuzz_totals.outcomes[operation.label][outcome(body, root_key)] += 1
        if isinstance(body, dict):
            for error in body.get("errors") or ():
                fuzz_totals.error_codes[error_code(error)] += 1
        if problems:
            fuzz_totals.failures[role] += 1
            findings.append(
                {
                    "operation": operation.label,
                    "role": role,
                    "mode": mode,
                    "method": method,
                    "accept": accept,
                    "query": query,
                    "status": response.status_code,
                    "problems": problems,
                    "response": shown(body),
                    "server_log": [record[-6000:] for record in server_log],  # the cause is last
                }
            )
    fuzz_totals.operations.add(operation.label)
    fuzz_totals.findings += findings
    fuzz_totals.seconds += time.perf_counter() - started
    assert cases, "schemathesis generated no case"
    assert not findings, f"{len(findings)} of {len(cases)} cases failed; the first:\n" + "\n\n".join(
        "\n".join(f"{key}: {str(value)[-2000:]}" for key, value in finding.items())
        for finding in findings[:3]
    )


# Server errors the fuzzer found, kept as plain cases so they stay fixed whatever the seed draws.
# ({space} and {child} stand for the live maker space and the resident's registered child.)
FOUND = [
    # MakerSpace:9223372036854775808: a global ID whose key is beyond bigint reached the database.
    pytest.param(
        "MAKERSPACE_STAFF",
        '{ makerSpaceCheckInCode(spaceId: "TWFrZXJTcGFjZTo5MjIzMzcyMDM2ODU0Nzc1ODA4") { code } }',
        id="id-beyond-bigint",
    ),
    # A `first` beyond 64 bits made a cost that orjson cannot encode: the answer itself crashed.
    pytest.param(
        "ADMIN", "{ elders(first: 41421276862675017728) { edges { cursor } } }", id="first-beyond-64-bit"
    ),
    # A party size beyond smallint reached the database (resources.capacity).
    pytest.param(
        "RESIDENT",
        '{ resourceAvailability(spaceId: "{space}", date: "2026-12-01", partySize: 40000) { __typename } }',
        id="party-size-beyond-smallint",
    ),
    # A NUL character reached a text column: Postgres refuses it.
    pytest.param(
        "RESIDENT",
        'mutation { childPickupPersonAdd(childId: "{child}", name: "王\\u0000伯", phone: "13900000002") '
        "{ __typename } }",
        id="nul-in-text",
    ),
]


@pytest.mark.parametrize(("role", "query"), FOUND)
async def test_found_cases_get_a_clear_error(world, role, query):
    query = query.replace("{space}", world.ids["MakerSpace"][0]).replace("{child}", world.ids["Child"][0])
    async with world.case() as probe:
        try:
            response = await send(
                world.client, method="POST", query=query, accept="application/json", token=world.tokens[role]
            )
        except Exception as error:
            pytest.fail(f"raised out of the app (HTTP 500): {error!r}")
        body = response.json()
        assert answer_problems(response.status_code, body, accept="application/json") == [], body
        assert world.error_log.records == []
        assert body.get("errors"), body
        assert await probe.changed_tables() == []


async def test_the_probe_sees_what_a_mutation_writes(world):
    """The "changes nothing" check itself: an insert and an update show, a rolled-back case does not."""
    register = (
        'mutation { childRegister(input: {name: "王小苗", birthDate: "2025-06-01", guardianConsent: true}) '
        "{ __typename } }"
    )
    cancel = "mutation($id: ID!) { childcareBookingCancel(id: $id) { __typename } }"
    booking = world.ids["ChildcareBooking"][0]  # the live objects' booking: the newest
    async with world.case() as probe:
        registered = await world.client.post(
            "/graphql",
            json={"query": register},
            headers={"Authorization": f"Bearer {world.tokens['RESIDENT']}"},
        )
        assert registered.json()["data"]["childRegister"]["__typename"] == "Child"
        assert any(table.startswith("public.children ") for table in await probe.changed_tables())
    async with world.case() as probe:
        cancelled = await world.client.post(
            "/graphql",
            json={"query": cancel, "variables": {"id": booking}},
            headers={"Authorization": f"Bearer {world.tokens['RESIDENT']}"},
        )
        assert cancelled.json()["data"]["childcareBookingCancel"]["__typename"] == "ChildcareBooking"
        assert [table for table in await probe.changed_tables() if "childcare_bookings" in table] == [
            "public.childcare_bookings (+0 rows, 1 written)"
        ]
    async with world.case() as probe:
        assert await probe.changed_tables() == []
