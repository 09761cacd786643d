"""/metrics: a bounded set of series whatever clients send, and closed to the public in production."""

import secrets

from prometheus_client.parser import text_string_to_metric_families

COMMUNITIES = "query Communities { communities(first: 1) { edges { node { name } } } }"
NAMED_COMMUNITIES = "query %s { communities(first: 1) { edges { cursor } } }"
NAMED_UNKNOWN_FIELD = "query %s { %s }"
NAMED_LOGIN = 'mutation %s { login(phone: "13800000001", password: "wrong-password") { __typename } }'
METRICS_TOKEN = "metrics-scraper-token-7d1f0c2a9b"
PRODUCTION = {"env": "production", "jwt_secret": "a-production-secret-of-at-least-32-chars"}


def series(exposition: str) -> set[tuple[str, frozenset]]:
    """Every sample's name and labels, without its value: what grows when a label is unbounded."""
    return {
        (sample.name, frozenset(sample.labels.items()))
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
    }


def operation_labels(exposition: str) -> set[str]:
    return {
        labels["operation"]
        for name, label_set in series(exposition)
        if "operation" in (labels := dict(label_set))
    }


def random_name() -> str:
    return "Op" + secrets.token_hex(6)


# ── Bounded labels ────────────────────────────────────────────────────────────


async def test_a_thousand_made_up_operation_names_add_no_series(client):
    # given: each kind of request has been seen once, so its series exist
    await client.post("/graphql", json={"query": NAMED_COMMUNITIES % random_name()})
    await client.post("/graphql", json={"query": NAMED_UNKNOWN_FIELD % (random_name(), random_name())})
    before = (await client.get("/metrics")).text

    # when: a thousand requests name their operations (and root fields) at random
    for index in range(1000):
        if index % 2:
            query = NAMED_COMMUNITIES % random_name()
        else:
            query = NAMED_UNKNOWN_FIELD % (random_name(), "field" + secrets.token_hex(6))
        response = await client.post("/graphql", json={"query": query})
        assert response.status_code == 200, response.text
    after = (await client.get("/metrics")).text

    # then: the counts grew, the set of series did not
    assert series(after) - series(before) == set()
    assert len(after.splitlines()) == len(before.splitlines())
    assert operation_labels(after) == {"query.communities", "other"}


async def test_operations_are_labelled_by_type_and_root_field_unless_trusted(client_with):
    # given: one trusted document's name
    async with client_with(metrics_operations=["Communities"]) as client:
        # when
        await client.post("/graphql", json={"query": COMMUNITIES})
        await client.post("/graphql", json={"query": NAMED_COMMUNITIES % "Untrusted"})
        await client.post("/graphql", json={"query": NAMED_LOGIN % "SignIn"})
        await client.post("/graphql", json={"query": "{ __typename }"})
        await client.post("/graphql", json={"query": "{ noSuchField }"})
        await client.post("/graphql", json={"query": "{ communities(first: "})  # does not parse
        metrics = (await client.get("/metrics")).text

    # then
    assert operation_labels(metrics) == {"Communities", "query.communities", "mutation.login", "other"}
    assert 'linli_graphql_requests_total{operation="Communities",status="200"} 1.0' in metrics
    assert 'linli_graphql_requests_total{operation="query.communities",status="200"} 1.0' in metrics
    assert 'linli_graphql_errors_total{code="BAD_REQUEST",operation="other"}' in metrics


# ── Who may read /metrics ─────────────────────────────────────────────────────


async def test_outside_production_without_a_token_metrics_stay_open(client):
    response = await client.get("/metrics")

    assert response.status_code == 200
    assert "linli_db_pool_size" in response.text


async def test_in_production_without_a_token_metrics_are_not_served(client_with):
    async with client_with(**PRODUCTION) as client:
        response = await client.get("/metrics")

    assert response.status_code == 404
    assert "linli_" not in response.text


async def test_with_a_token_metrics_need_it_as_a_bearer_token(client_with):
    async with client_with(metrics_token=METRICS_TOKEN) as client:
        # when
        anonymous = await client.get("/metrics")
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
        basic = await client.get("/metrics", headers={"Authorization": f"Basic {METRICS_TOKEN}"})
        right = await client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})

    # then
    for refused in (anonymous, wrong, basic):
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].startswith("Bearer")
        assert "linli_" not in refused.text
    assert right.status_code == 200 and "linli_db_pool_size" in right.text


async def test_in_production_a_token_opens_metrics_to_its_holder_only(client_with):
    async with client_with(**PRODUCTION, metrics_token=METRICS_TOKEN) as client:
        anonymous = await client.get("/metrics")
        right = await client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})

    assert anonymous.status_code == 401
    assert right.status_code == 200 and "linli_graphql_requests_total" in right.text
