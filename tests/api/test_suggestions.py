"""In production no error message suggests a name (#13, finding 5: with introspection off,
"Did you mean 'id'?", "the enum value 'OPEN'?" and "'CareAlertStatus', 'CareAlert'…" let the schema
be rebuilt from error messages)."""

import pytest

PRODUCTION = {"env": "production", "jwt_secret": "a-production-secret-of-forty-characters!!"}

# Each mistake, as a client would make it, that graphql-core answers with a suggestion.
MISTAKES = {
    "field": ("{ communities(first: 1) { edges { node { nme } } } }", {}),
    "argument": ("{ communities(frist: 1) { edges { node { name } } } }", {}),
    "type": ('{ node(id: "x") { ... on CareAlrt { id } } }', {}),
    "inline fragment": ('{ node(id: "x") { summary } }', {}),
    "enum literal": ("{ careAlerts(status: [OPN]) { totalCount } }", {}),
    "enum variable": (
        "query($s: [CareAlertStatus!]) { careAlerts(status: $s) { totalCount } }",
        {"s": ["OPN"]},
    ),
    "input field": (
        "mutation($i: ReservationCreateInput!) { reservationCreate(input: $i) { __typename } }",
        {"i": {"resourceId": "x", "strt": "2026-12-02T10:00:00+08:00", "end": "2026-12-02T11:00:00+08:00"}},
    ),
    "input field literal": (
        'mutation { reservationCreate(input: {resourceId: "x", strt: "a", end: "b"}) { __typename } }',
        {},
    ),
}


async def messages(client, query: str, variables: dict) -> list[str]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    errors = response.json().get("errors")
    assert errors, response.text
    return [error["message"] for error in errors]


@pytest.mark.parametrize("mistake", MISTAKES)
async def test_production_messages_suggest_nothing(client_with, mistake):
    query, variables = MISTAKES[mistake]
    async with client_with(**PRODUCTION) as production, client_with() as development:
        shown = await messages(production, query, variables)
        helped = await messages(development, query, variables)

    assert not [message for message in shown if "Did you mean" in message], shown
    # (the same mistake outside production is helped: the test sees the text it must hide)
    assert [message for message in helped if "Did you mean" in message], helped
