"""Each request limit answers with a clear GraphQL error and a code: never a 500, never a hang."""

import pytest
from graphql import build_schema as build_sdl_schema
from graphql import parse, validate
from graphql.utilities import get_introspection_query

from schema.validation import alias_limit_rule, query_cost_rule, query_depth_rule, request_cost

JSON = {"Accept": "application/json"}


def codes(response) -> list[str]:
    return [error["extensions"]["code"] for error in response.json().get("errors", [])]


# A schema that can nest as deep as a query likes, to test the depth rule at the real limit of 10.
RECURSIVE = build_sdl_schema("type Query { node: Node } type Node { child: Node name: String }")


def nested(depth: int) -> str:
    return "{ " + "node { " + "child { " * (depth - 2) + "name" + " }" * (depth - 1) + " }"


def test_depth_ten_passes_and_eleven_fails_with_query_too_deep():
    rule = query_depth_rule(10)

    assert validate(RECURSIVE, parse(nested(10)), [rule]) == []
    errors = validate(RECURSIVE, parse(nested(11)), [rule])
    assert [error.extensions["code"] for error in errors] == ["QUERY_TOO_DEEP"]


def test_depth_counts_through_fragments_and_inline_fragments():
    query = "query { ...A } fragment A on Query { node { ... on Node { child { child { name } } } } }"

    assert validate(RECURSIVE, parse(query), [query_depth_rule(4)]) == []
    assert len(validate(RECURSIVE, parse(query), [query_depth_rule(3)])) == 1


def test_aliases_fifteen_pass_sixteen_fail():
    def aliased(count: int) -> str:
        return "{ " + " ".join(f"a{i}: node {{ name }}" for i in range(count)) + " }"

    rule = alias_limit_rule(15)
    assert validate(RECURSIVE, parse(aliased(15)), [rule]) == []
    assert [e.extensions["code"] for e in validate(RECURSIVE, parse(aliased(16)), [rule])] == [
        "TOO_MANY_ALIASES"
    ]


async def test_depth_limit_is_enforced_at_the_endpoint(client_with):
    async with client_with(max_depth=3) as client:
        shallow = await client.post(
            "/graphql", json={"query": "{ communities { edges { cursor } } }"}, headers=JSON
        )
        deep = await client.post(
            "/graphql", json={"query": "{ communities { edges { node { name } } } }"}, headers=JSON
        )

    assert "errors" not in shallow.json()
    assert codes(deep) == ["QUERY_TOO_DEEP"]


async def test_aliases_over_fifteen_are_refused_at_the_endpoint(gql):
    fifteen = (
        "{ "
        + " ".join(f"c{i}: communities(first: 1) {{ pageInfo {{ hasNextPage }} }}" for i in range(15))
        + " }"
    )
    sixteen = (
        "{ "
        + " ".join(f"c{i}: communities(first: 1) {{ pageInfo {{ hasNextPage }} }}" for i in range(16))
        + " }"
    )

    assert "errors" not in (await gql.post(fifteen)).json()
    assert codes(await gql.post(sixteen, headers=JSON)) == ["TOO_MANY_ALIASES"]


def with_fragments(count: int) -> str:
    """A valid query of about 9 tokens per fragment (definition + spread)."""
    spreads = " ".join(f"...F{i}" for i in range(count))
    fragments = " ".join(f"fragment F{i} on Community {{ name }}" for i in range(count))
    return f"{{ communities(first: 1) {{ edges {{ node {{ {spreads} }} }} }} }} {fragments}"


async def test_more_than_2000_tokens_is_refused(gql):
    under, over = with_fragments(200), with_fragments(230)  # ≈ 1820 and ≈ 2090 tokens

    assert codes(await gql.post(under, headers=JSON)) == []
    response = await gql.post(over, headers={"Accept": "application/graphql-response+json"})
    assert response.status_code == 400
    assert codes(response) == ["TOO_MANY_TOKENS"]


async def test_graphiql_introspection_fits_inside_the_limits(gql):
    response = await gql.post(get_introspection_query(descriptions=True, input_value_deprecation=True))

    assert "errors" not in response.json()
    assert response.json()["data"]["__schema"]["queryType"]["name"] == "Query"


@pytest.mark.parametrize("first", [101, -1])
async def test_first_outside_0_to_100_is_refused(gql, first):
    response = await gql.post(
        "query($first: Int!) { communities(first: $first) { pageInfo { hasNextPage } } }", {"first": first}
    )

    assert codes(response) == ["BAD_REQUEST"]
    assert response.json()["errors"][0]["extensions"]["reason"] == "PAGE_SIZE_OUT_OF_RANGE"


async def test_first_100_is_accepted(gql):
    response = await gql.post("{ communities(first: 100) { edges { node { name } } } }")

    assert "errors" not in response.json()


async def test_a_body_over_64_kib_is_refused_with_413(client):
    padding = " " * (64 * 1024)
    response = await client.post(
        "/graphql", json={"query": "{ __typename }" + padding}, headers={"Accept": "application/json"}
    )

    assert response.status_code == 413
    assert codes(response) == ["REQUEST_TOO_LARGE"]


async def test_a_chunked_body_over_64_kib_is_refused_without_trusting_content_length(client):
    async def chunks():
        yield b'{"query": "{ __typename }", "x": "'
        for _ in range(70):
            yield b"x" * 1024
        yield b'"}'

    response = await client.post("/graphql", content=chunks(), headers={"Content-Type": "application/json"})

    assert response.status_code == 413
    assert codes(response) == ["REQUEST_TOO_LARGE"]


# ── Query cost ───────────────────────────────────────────────────────────────

PAGED = build_sdl_schema(
    """
    type Query { items(first: Int = 20): ItemConnection! tags: [String!]! item: Item }
    type ItemConnection { edges: [ItemEdge!]! }
    type ItemEdge { node: Item! }
    type Item { name: String parts: [Item!]! children(first: Int = 5): ItemConnection! }
    """
)


def cost_errors(query: str, max_cost: int) -> list:
    return validate(PAGED, parse(query), [query_cost_rule(max_cost=max_cost, max_page=100, list_factor=10)])


def test_a_connection_costs_its_first_times_its_selection():
    # items: 1 + 7 × (edges 1 + node 1 + name 1) = 22
    query = "{ items(first: 7) { edges { node { name } } } }"

    assert cost_errors(query, 22) == []
    [error] = cost_errors(query, 21)
    assert error.extensions == {"code": "QUERY_TOO_COSTLY", "cost": 22, "maxCost": 21}


def test_defaults_variables_nesting_and_plain_lists_are_charged():
    # The argument's default (20): 1 + 20 × 3 = 61.
    assert cost_errors("{ items { edges { node { name } } } }", 61) == []
    assert cost_errors("{ items { edges { node { name } } } }", 60) != []
    # The document alone cannot know a page given as a variable: it counts 0 there (1 for items),
    # and the request is charged with the value it sends (below).
    assert cost_errors("query($n: Int = 2) { items(first: $n) { edges { node { name } } } }", 1) == []
    assert cost_errors("query($n: Int!) { items(first: $n) { edges { node { name } } } }", 1) == []
    # A plain list inside counts ten times; a connection inside multiplies again.
    # parts 1 + 10 × 1 = 11; children 1 + 3 × 3 = 10; items 1 + 2 × (edges 1 + node (1 + 1 + 11 + 10)) = 49
    nested = (
        "{ items(first: 2) { edges { node { name parts { name }"
        " children(first: 3) { edges { node { name } } } } } } }"
    )
    assert cost_errors(nested, 49) == [] and cost_errors(nested, 48) != []


def test_a_request_is_charged_with_the_page_variables_it_sends():
    def charged(query: str, variables: dict) -> int:
        return request_cost(PAGED, query, None, variables, max_page=100, list_factor=10)

    defaulted = "query($n: Int = 2) { items(first: $n) { edges { node { name } } } }"
    required = "query($n: Int!) { items(first: $n) { edges { node { name } } } }"
    optional = "query($n: Int) { items(first: $n) { edges { node { name } } } }"
    # 1 + n × 3: the value sent, else the variable's default, else the field's (20); at most 100.
    assert charged(defaulted, {"n": 7}) == charged(required, {"n": 7}) == 22
    assert charged(defaulted, {}) == 7
    assert charged(optional, {}) == charged(optional, {"n": None}) == 61
    assert charged(required, {"n": 1000}) == 301  # refused when it runs; charged as the largest
    # A value that is no Int is refused by execution; it is charged as if omitted meanwhile.
    assert charged(optional, {"n": "many"}) == 61


def test_fragments_are_charged_where_they_are_spread():
    query = "{ items(first: 4) { ...Edges } } fragment Edges on ItemConnection { edges { node { name } } }"
    assert cost_errors(query, 13) == [] and cost_errors(query, 12) != []


async def test_cost_is_reported_and_an_expensive_query_refused_at_the_endpoint(client_with):
    async with client_with(max_query_cost=100) as client:
        cheap = await client.post(
            "/graphql", json={"query": "{ communities(first: 5) { edges { node { name } } } }"}, headers=JSON
        )
        dear = await client.post(
            "/graphql", json={"query": "{ communities(first: 50) { edges { node { name } } } }"}, headers=JSON
        )

    assert cheap.json()["extensions"]["cost"] == {"requested": 16, "maximum": 100}
    assert codes(dear) == ["QUERY_TOO_COSTLY"] and "data" not in dear.json()
    assert dear.json()["errors"][0]["extensions"]["cost"] == 151
