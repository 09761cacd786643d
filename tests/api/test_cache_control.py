"""No /graphql answer may be kept by a cache: they carry health and children's data, and errors."""

import httpx

from server.app import create_app
from tests.conftest import make_settings

COMMUNITIES = "{ communities(first: 1) { edges { node { name } } } }"
LOGIN = 'mutation { login(phone: "13800000001", password: "wrong-password") { __typename } }'
GRAPHQL_RESPONSE = {"Accept": "application/graphql-response+json"}


async def test_every_graphql_answer_says_no_store(client, client_with):
    # given: one request for each kind of answer /graphql gives
    answers = {
        "post": await client.post("/graphql", json={"query": COMMUNITIES}),
        "get": await client.get("/graphql", params={"query": COMMUNITIES}),
        "ide": await client.get("/graphql", headers={"Accept": "text/html"}),
        "400": await client.post("/graphql", json={"query": "{ nope }"}, headers=GRAPHQL_RESPONSE),
        "401": await client.post(
            "/graphql", json={"query": COMMUNITIES}, headers={"Authorization": "Bearer forged"}
        ),
        "405": await client.get("/graphql", params={"query": LOGIN}),
        "413": await client.post("/graphql", content=b"{" + b" " * 70_000 + b"}"),
    }
    async with client_with(mutations_per_ip=1) as limited:
        await limited.post("/graphql", json={"query": LOGIN})
        answers["429"] = await limited.post("/graphql", json={"query": LOGIN})
    away = create_app(
        make_settings(DATABASE_URL="postgresql://linli@127.0.0.1:1/linli"), configure_logs=False
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=away), base_url="http://t") as client:
        answers["503"] = await client.post("/graphql", json={"query": COMMUNITIES})

    # then
    statuses = {kind: answer.status_code for kind, answer in answers.items()}
    assert statuses == {
        "post": 200,
        "get": 200,
        "ide": 200,
        "400": 400,
        "401": 401,
        "405": 405,
        "413": 413,
        "429": 429,
        "503": 503,
    }
    for kind, answer in answers.items():
        assert answer.headers.get_list("cache-control") == ["no-store"], kind


async def test_graphiql_assets_keep_their_own_caching(client):
    asset = await client.get("/graphiql/graphiql/graphiql.min.css")

    assert asset.status_code == 200
    assert asset.headers["cache-control"] == "public, max-age=86400"
