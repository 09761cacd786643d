"""Every root field costs the same number of SQL statements whatever the size of its result.

One case per root field (and one per Node type for `node(id:)`): a case builds its data twice,
small and large, runs the same operation on both and demands the same statement count, selecting
the nested fields a longer list could multiply (services, resources, holders, classes, elders,
communities …). Each domain keeps its cases beside its other tests, in
`tests/<domain>/statement_counts.py`; `DOMAINS` below lists those modules, and a root field of
the schema without a case in one of them fails `test_every_root_field_has_a_case`. What a case is
made of (and the `World` that builds its rows) is in `tests/perf/cases.py`.

Mutations and `node(id:)` return one object: their two runs act on two targets whose nested lists
differ in length (a space with 2 or 12 resources, an elder with 2 or 12 alerts …).

Two runs that do the same work prove nothing, so a case shows that its sizes were reached: in its
answer (`size`) or, when the answer cannot show it, counted in the database after the operation
(`Run.count`: the sessions a password reset ended, a child's pick-up adults). A case where nothing
can grow runs at one size and says why in `why_fixed`; `test_every_case_varies_or_says_why` holds
every case to one or the other.
"""

import asyncio
import json
import re
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import graphql
import pytest
from websockets.asyncio.client import connect

from schema import build_schema
from tests.affairs import statement_counts as affairs
from tests.childcare import statement_counts as childcare
from tests.conftest import make_settings, running_server
from tests.eldercare import statement_counts as eldercare
from tests.facilities import statement_counts as facilities
from tests.makerspace import statement_counts as makerspace
from tests.people import statement_counts as people
from tests.perf.cases import AliasSetup, Case, Run, World, gid

# How long a WebSocket case waits after its last message, so statements a subscription makes
# between two deliveries (the feed's next read) land inside the count at both sizes alike.
SETTLE_SECONDS = 0.5

# ── The cases, one module per domain ─────────────────────────────────────────

# Each module's CASES (one per root field it owns, one per Node type for node(id:)) and its
# NODE_ALIASES (the setup of the aliased node(id:) test for each of its Node types).
DOMAINS = [people, facilities, makerspace, childcare, eldercare, affairs]

CASES: list[Case] = [case for domain in DOMAINS for case in domain.CASES]
NODE_ALIASES: dict[str, AliasSetup] = {
    type_name: setup for domain in DOMAINS for type_name, setup in domain.NODE_ALIASES.items()
}

# Root fields deliberately without a case, and why (none today: every root field has one).
EXCLUDED: dict[str, str] = {}
# Types implementing Node that `node(id:)` cannot fetch (no fetcher registered: it answers null).
NODE_TYPES_WITHOUT_FETCHER: dict[str, str] = {}  # every Node type can be fetched by node(id:)


# ── Measuring ──────────────────────────────────────────────────────────────────


@dataclass
class Measured:
    n: int
    size: int | None
    statements: list[str]


async def over_http(gql, case: Case, run: Run, count_statements) -> tuple[dict, list[str]]:
    with count_statements() as counter:
        body = await gql(case.query, run.variables, token=run.token)
    assert "errors" not in body, body["errors"]
    data = body["data"]
    result = data[case.field.split(".")[1]]
    if isinstance(result, dict) and "code" in result and "message" in result:
        raise AssertionError(f"{case.id} answered a domain error, not a result: {result}")
    return data, counter.statements


async def over_websocket(address: str, case: Case, run: Run, count_statements) -> tuple[list, list[str]]:
    received = []
    with count_statements() as counter:
        async with connect(f"ws://{address}/graphql", subprotocols=["graphql-transport-ws"]) as socket:
            init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {run.token}"}}
            await socket.send(json.dumps(init))
            assert json.loads(await asyncio.wait_for(socket.recv(), 5))["type"] == "connection_ack"
            subscribe = {"query": case.query, "variables": run.variables}
            await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": subscribe}))
            while len(received) < run.messages:
                message = json.loads(await asyncio.wait_for(socket.recv(), 10))
                assert message["type"] == "next", message
                assert "errors" not in message["payload"], message["payload"]
                received.append(message["payload"]["data"])
            await asyncio.sleep(SETTLE_SECONDS)
        await asyncio.sleep(SETTLE_SECONDS)
    return received, counter.statements


CAST_TYPE = r"(?:::(?:TIMESTAMP WITH(?:OUT)? TIME ZONE|[A-Z_]+)(?:\[\])?)?"
PLACEHOLDERS = re.compile(rf"\$\d+{CAST_TYPE}(?:\s*,\s*\$\d+{CAST_TYPE})*")


def shape(statement: str) -> str:
    """A statement with its parameters folded, so an IN list of 2 or 12 ids reads the same."""
    return " ".join(PLACEHOLDERS.sub("?", statement).split())


def explain(label: str, small: Measured, large: Measured) -> str:
    before, after = Counter(map(shape, small.statements)), Counter(map(shape, large.statements))
    changed = [
        f"  {before[sql]:>3} → {after[sql]:<3} {sql[:400]}"
        for sql in sorted(before.keys() | after.keys())
        if before[sql] != after[sql]
    ]
    return (
        f"{label}: {len(small.statements)} statements for {small.n} items but "
        f"{len(large.statements)} for {large.n}; the statements whose count changed:\n" + "\n".join(changed)
    )


@asynccontextmanager
async def server_for(case: Case, app) -> AsyncIterator[str | None]:
    """A real server for the WebSocket cases (its LISTEN connection closed after); none otherwise."""
    if case.transport != "ws":
        yield None
        return
    try:
        async with running_server(app) as address:
            yield address
    finally:
        await app.state.services.alert_feed.close()


async def size_of(case: Case, run: Run, data) -> int | None:
    """How large the run was: read in its answer, else counted by its setup (after the operation)."""
    if case.size is not None:
        return case.size(data)
    if run.count is not None:
        return await run.count()
    return None


async def measure(case: Case, world: World, gql, app, count_statements) -> tuple[Measured, Measured]:
    """The statements of the case's operation at its small and at its large size."""
    measured = []
    async with server_for(case, app) as address:
        for n in case.sizes:
            run = await case.setup(world, n)
            if case.transport == "ws":
                data, statements = await over_websocket(address, case, run, count_statements)
            else:
                data, statements = await over_http(gql, case, run, count_statements)
            measured.append(Measured(n, await size_of(case, run, data), statements))
    small, large = measured
    if case.why_fixed is None:
        assert small.size is not None and large.size is not None, (
            f"{case.id}: nothing shows that its two sizes differ: give it a `size` read in the answer, "
            "a `Run.count` of what grew, or say in `why_fixed` why nothing can"
        )
        assert small.size < large.size, f"{case.id}: the sizes were not reached ({small.size}, {large.size})"
    return small, large


@pytest.fixture
async def world(session, settings, clock, tokens) -> World:
    return World(session, settings, clock, tokens)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
async def test_statement_count_does_not_grow_with_the_result(case: Case, world, gql, app, count_statements):
    small, large = await measure(case, world, gql, app, count_statements)

    if len(small.statements) != len(large.statements):
        pytest.fail(explain(case.id, small, large), pytrace=False)


# ── node(id:) asked many times in one request (aliases) ───────────────────────────
# A client holding a list of IDs fetches them as `a: node(id: …) b: node(id: …) …`: the lookups of
# one request should be batched like any other reference, whatever the number of aliases.


@pytest.mark.parametrize("type_name", sorted(NODE_ALIASES))
async def test_node_lookups_by_alias_cost_what_one_lookup_costs(type_name, world, gql, count_statements):
    measured = []
    for k in (1, 10):
        ids, token = await NODE_ALIASES[type_name](world, k)
        await world.commit()
        lookups = " ".join(
            f'n{i}: node(id: "{gid(type_name, pk)}") {{ __typename id }}' for i, pk in enumerate(ids)
        )
        with count_statements() as counter:
            body = await gql(f"{{ {lookups} }}", token=token)
        assert "errors" not in body, body["errors"]
        assert [node and node["__typename"] for node in body["data"].values()] == [type_name] * k, body
        measured.append(Measured(k, k, counter.statements))

    small, large = measured
    if len(small.statements) != len(large.statements):
        pytest.fail(explain(f"node(id:) of {type_name} by alias", small, large), pytrace=False)


# ── Coverage: a new root field, or a new Node type, needs a case ──────────────────


def built_schema() -> graphql.GraphQLSchema:
    return graphql.build_schema(build_schema(make_settings()).as_str())


def root_fields_and_node_types() -> tuple[set[str], set[str]]:
    built = built_schema()
    fields = {
        f"{root.name}.{name}"
        for root in (built.query_type, built.mutation_type, built.subscription_type)
        if root is not None
        for name in root.fields
    }
    nodes = {node.name for node in built.get_implementations(built.get_type("Node")).objects}
    return fields, nodes


def test_every_root_field_has_a_case():
    fields, _ = root_fields_and_node_types()
    covered = {case.field for case in CASES}

    assert sorted(fields - covered - EXCLUDED.keys()) == [], "root fields without a statement-count case"
    assert sorted((covered | EXCLUDED.keys()) - fields) == [], "cases of root fields that no longer exist"
    twice = [case_id for case_id, seen in Counter(case.id for case in CASES).items() if seen > 1]
    assert twice == [], "cases in more than one place (two domains' modules, or twice in one)"


def test_node_has_a_case_for_every_node_type():
    _, node_types = root_fields_and_node_types()
    covered = {case.id[len("Query.node[") : -1] for case in CASES if case.field == "Query.node"}
    excluded = NODE_TYPES_WITHOUT_FETCHER.keys()

    assert sorted(node_types - covered - excluded) == [], "Node types without a node(id:) case"
    assert sorted((covered | excluded) - node_types) == [], "node(id:) cases of types that are not Nodes"
    assert sorted(covered ^ NODE_ALIASES.keys()) == [], "Node types without an aliased node(id:) case"
    aliased = Counter(type_name for domain in DOMAINS for type_name in domain.NODE_ALIASES)
    assert [name for name, seen in aliased.items() if seen > 1] == [], "aliased cases in two domains"


def answer_type(built: graphql.GraphQLSchema, case: Case) -> graphql.GraphQLNamedType:
    if case.field == "Query.node":
        return built.get_type(case.id[len("Query.node[") : -1])
    root, name = case.field.split(".")
    return graphql.get_named_type(built.get_type(root).fields[name].type)


def test_every_case_varies_or_says_why():
    """Two sizes doing the same work prove nothing. A case runs at two sizes (and `measure` checks its
    answer or its count shows them), or at one size with `why_fixed` saying why nothing can grow;
    an object answer said to be fixed has no list field that could."""
    built = built_schema()
    problems = []
    for case in CASES:
        small, large = case.sizes
        if case.why_fixed is None and not small < large:
            problems.append(f"{case.id}: sizes {case.sizes} do not grow, and no why_fixed says why")
        if case.why_fixed is not None and (small != large or not case.why_fixed.strip()):
            problems.append(f"{case.id}: why_fixed says nothing grows, yet it runs at sizes {case.sizes}")
        answer = answer_type(built, case)
        if case.why_fixed is not None and isinstance(answer, graphql.GraphQLObjectType):
            lists = [
                name
                for name, answered in answer.fields.items()
                if graphql.is_list_type(graphql.get_nullable_type(answered.type))
            ]
            if lists:
                problems.append(f"{case.id}: why_fixed, but {answer.name} has lists that could grow: {lists}")

    assert problems == [], "\n".join(problems)
