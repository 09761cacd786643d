"""/graphql follows GraphQL over HTTP: media types, status codes, GET for queries only, masked errors."""

import base64
import json
import logging

import httpx
import pytest
from sqlalchemy import text

import resolvers.people
from server.app import create_app
from tests.conftest import make_settings

COMMUNITIES = "query Communities { communities(first: 2) { edges { node { name } } } }"
LOGIN = 'mutation { login(phone: "13800000001", password: "wrong-password") { __typename } }'


async def test_post_json_answers_application_json_by_default(gql):
    response = await gql.post(COMMUNITIES)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert len(response.json()["data"]["communities"]["edges"]) == 2


async def test_graphql_response_json_is_used_when_the_client_accepts_it(gql):
    response = await gql.post(
        COMMUNITIES, headers={"Accept": "application/graphql-response+json, application/json"}
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/graphql-response+json")


async def test_a_request_error_is_400_with_graphql_response_json_and_has_no_data(gql):
    response = await gql.post("{ noSuchField }", headers={"Accept": "application/graphql-response+json"})

    assert response.status_code == 400
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_a_request_error_is_200_with_legacy_application_json(gql):
    response = await gql.post("{ noSuchField }", headers={"Accept": "application/json"})

    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_a_syntax_error_has_a_code(gql):
    response = await gql.post("{ communities(first: ", headers={"Accept": "application/json"})

    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_get_runs_a_query(client):
    response = await client.get(
        "/graphql", params={"query": "{ communities(first: 1) { edges { node { name } } } }"}
    )

    assert response.status_code == 200
    assert response.json()["data"]["communities"]["edges"][0]["node"]["name"]


async def test_get_refuses_a_mutation_with_405(client):
    response = await client.get("/graphql", params={"query": LOGIN}, headers={"Accept": "application/json"})

    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


LOGIN_MUTATION = 'mutation { login(phone: "13800000001", password: "linli-demo-2026") { __typename } }'
FORM = (
    '--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n'
    + json.dumps({"query": LOGIN_MUTATION})
    + "\r\n--x--\r\n"
)


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", "{ __typename }"),
        ("application/graphql", LOGIN_MUTATION),
        ("application/x-www-form-urlencoded", "query=" + LOGIN_MUTATION),
        ("multipart/form-data; boundary=x", FORM),  # no uploads: a form could come from any web page
    ],
)
async def test_only_json_is_taken_in_a_post(client, content_type, body):
    response = await client.post("/graphql", content=body, headers={"Content-Type": content_type})

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_malformed_json_is_400_json(client):
    response = await client.post(
        "/graphql", content=b"{not json", headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_internal_errors_are_masked_logged_and_carry_the_request_id(gql, monkeypatch, caplog):
    async def broken(**kwargs):
        raise RuntimeError("secret detail from deep inside")

    monkeypatch.setattr(resolvers.people, "list_communities", broken)
    with caplog.at_level(logging.ERROR, logger="linli.errors"):
        response = await gql.post(COMMUNITIES, headers={"X-Request-ID": "req-test-1"})

    # the request id is the server's own (the client's is only logged beside it)
    request_id = response.headers["x-request-id"]
    assert request_id != "req-test-1"
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
    assert "secret detail" not in response.text
    assert "Traceback" not in response.text
    assert any(request_id in record.getMessage() and record.exc_info for record in caplog.records)


async def test_every_request_writes_one_json_log_line_with_its_request_id(gql, caplog):
    with caplog.at_level(logging.INFO, logger="linli.request"):
        response = await gql.post(COMMUNITIES)

    lines = [record for record in caplog.records if record.name == "linli.request"]
    assert len(lines) == 1
    fields = lines[0].fields
    assert fields["request_id"] == response.headers["x-request-id"]
    assert fields["operation"] == "Communities"
    assert fields["status"] == 200


async def test_healthz_and_readyz(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}

    ready = await client.get("/readyz")

    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"


async def test_readyz_is_503_when_migrations_are_behind(client, engine):
    async with engine.begin() as connection:
        head = await connection.scalar(text("SELECT version_num FROM alembic_version"))
        await connection.execute(text("UPDATE alembic_version SET version_num = 'older'"))
    try:
        response = await client.get("/readyz")
    finally:
        async with engine.begin() as connection:
            await connection.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})

    assert response.status_code == 503
    assert response.json() == {"status": "migrations_pending", "database": "older", "expected": head}


async def test_readyz_is_503_when_the_database_does_not_answer():
    settings = make_settings(DATABASE_URL="postgresql://linli@127.0.0.1:1/linli")
    app = create_app(settings, configure_logs=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        response = await client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


async def test_metrics_count_requests_by_operation_and_show_the_pool(gql, client):
    await gql.post(COMMUNITIES)
    await gql.post("{ noSuchField }")

    metrics = (await client.get("/metrics")).text

    # labelled by root field, the client's names not being trusted (tests/api/test_metrics.py)
    assert 'linli_graphql_requests_total{operation="query.communities",status="200"}' in metrics
    assert 'linli_graphql_errors_total{code="BAD_REQUEST",operation="other"} 1.0' in metrics
    assert "linli_graphql_request_duration_seconds_bucket" in metrics
    assert "linli_db_pool_checked_out" in metrics


# Found by the fuzzer (tests/fuzz): each once answered 500.


async def test_a_nul_character_in_the_variables_is_400_not_a_database_error(client):
    query = "query($t: String) { nearbyFacilities(near: {lat: 30.29, lng: 120.04}, text: $t) { totalCount } }"
    response = await client.post("/graphql", json={"query": query, "variables": {"t": "医\x00保"}})

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_an_id_beyond_the_key_range_is_invalid_not_an_overflow(gql):
    huge = base64.urlsafe_b64encode(b"Community:9223372036854775808").decode().rstrip("=")
    answer = await gql("query($id: ID!) { node(id: $id) { id } }", {"id": huge})

    assert answer["errors"][0]["extensions"] == {"code": "BAD_REQUEST", "reason": "INVALID_ID"}


async def test_a_huge_first_is_a_clear_error_not_a_500(client):
    response = await client.post(
        "/graphql", json={"query": "{ communities(first: 99999999999999999999) { totalCount } }"}
    )

    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_a_party_size_out_of_range_is_a_clear_error(gql):
    spaces = await gql("{ makerSpaces { id } }")
    space = spaces["data"]["makerSpaces"][0]["id"]
    query = (
        "query($id: ID!, $n: Int) {"
        ' resourceAvailability(spaceId: $id, date: "2026-12-01", partySize: $n) { resource { id } } }'
    )
    answer = await gql(query, {"id": space, "n": -479001601})

    assert answer["errors"][0]["extensions"] == {"code": "BAD_REQUEST", "reason": "PARTY_SIZE_OUT_OF_RANGE"}


async def test_a_json_batch_of_operations_is_refused_as_a_whole(client):
    # Batching would multiply every per-request limit (cost, depth, rate) by the batch's length.
    batch = [{"query": "{ communities(first: 1) { edges { node { name } } } }"}] * 2

    response = await client.post("/graphql", json=batch, headers={"Accept": "application/json"})

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
