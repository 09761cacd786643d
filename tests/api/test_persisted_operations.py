"""Persisted operations: Apollo's automatic persisted queries (APQ), trusted documents, and the
answer to a batch. A document named by its hash runs like any other: costed, limited, logged."""

import hashlib
import json

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from models.people import Community
from server import cli
from server.app import create_app
from server.persisted import DocumentCache, load_manifest
from tests.api.test_websocket import open_socket, receive
from tests.conftest import make_settings, running_server

JSON = {"Accept": "application/json"}
GRAPHQL_RESPONSE = {"Accept": "application/graphql-response+json"}
COMMUNITIES = "query Communities { communities(first: 2) { edges { node { name } } } }"
ONE_COMMUNITY = "query One { communities(first: 1) { edges { node { name } } } }"
LOGIN = 'mutation { login(phone: "13800000001", password: "wrong-password") { __typename } }'
CREATE = 'mutation { communityCreate(name: "未登记社区", subdistrict: "五常街道") { __typename } }'
NOT_FOUND = {
    "errors": [{"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}]
}
APOLLO_MANIFEST = "apollo-persisted-query-manifest"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def apq(text: str, version: int = 1) -> dict:
    return {"persistedQuery": {"version": version, "sha256Hash": sha256(text)}}


def code_of(response) -> tuple[str, str | None]:
    extensions = response.json()["errors"][0]["extensions"]
    return extensions["code"], extensions.get("reason")


def names(response) -> list[str]:
    return [edge["node"]["name"] for edge in response.json()["data"]["communities"]["edges"]]


# --- APQ ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("accept", [JSON, GRAPHQL_RESPONSE])
async def test_apq_over_post_misses_then_registers_then_runs_by_hash(client, accept):
    hashed = {"extensions": apq(COMMUNITIES)}

    miss = await client.post("/graphql", json=hashed, headers=accept)
    registered = await client.post("/graphql", json={"query": COMMUNITIES, **hashed}, headers=accept)
    hit = await client.post("/graphql", json=hashed, headers=accept)
    document_id = {"documentId": f"sha256:{sha256(COMMUNITIES)}"}
    by_id = await client.post("/graphql", json=document_id, headers=accept)

    # Apollo Server's answer word for word, with its 200 (Apollo Client's link then resends the text)
    assert miss.status_code == 200 and miss.json() == NOT_FOUND
    assert registered.status_code == 200 and len(names(registered)) == 2
    assert hit.status_code == 200 and names(hit) == names(registered)
    assert by_id.status_code == 200 and names(by_id) == names(registered)


async def test_apq_over_get_misses_then_registers_then_runs_by_hash(client):
    # Apollo Client's link sends `Accept: */*` on GET: a hash-only GET is an operation, not the IDE.
    extensions = json.dumps(apq(ONE_COMMUNITY))
    headers = {"Accept": "*/*"}

    miss = await client.get("/graphql", params={"extensions": extensions}, headers=headers)
    registered = await client.get("/graphql", params={"query": ONE_COMMUNITY, "extensions": extensions})
    hit = await client.get("/graphql", params={"extensions": extensions}, headers=headers)

    assert miss.status_code == 200 and miss.json() == NOT_FOUND
    assert registered.status_code == 200 and len(names(registered)) == 1
    assert hit.status_code == 200 and hit.headers["content-type"].startswith("application/json")
    assert names(hit) == names(registered)


async def test_a_document_registered_over_post_runs_by_hash_over_get_with_its_variables(client):
    query = "query Page($n: Int!) { communities(first: $n) { edges { node { name } } } }"
    await client.post("/graphql", json={"query": query, "variables": {"n": 1}, "extensions": apq(query)})

    hit = await client.get(
        "/graphql", params={"extensions": json.dumps(apq(query)), "variables": json.dumps({"n": 2})}
    )

    assert len(names(hit)) == 2


async def test_a_hash_that_does_not_match_the_query_is_refused_and_not_kept(gql, client):
    lying = {"query": COMMUNITIES, "extensions": apq(ONE_COMMUNITY)}

    refused = await client.post("/graphql", json=lying, headers=JSON)
    afterwards = await client.post("/graphql", json={"extensions": apq(ONE_COMMUNITY)}, headers=JSON)

    assert refused.status_code == 400
    assert code_of(refused) == ("BAD_REQUEST", "PERSISTED_QUERY_HASH_MISMATCH")
    assert "data" not in refused.json()
    assert afterwards.json() == NOT_FOUND


@pytest.mark.parametrize("version", [0, 2, "1", None])
async def test_a_persisted_query_version_other_than_1_is_refused(client, version):
    body = {"query": COMMUNITIES, "extensions": apq(COMMUNITIES, version=version)}

    response = await client.post("/graphql", json=body, headers=JSON)

    assert response.status_code == 400
    assert code_of(response) == ("BAD_REQUEST", "PERSISTED_QUERY_VERSION_NOT_SUPPORTED")


@pytest.mark.parametrize(
    "persisted",
    ["yes", {"version": 1}, {"version": 1, "sha256Hash": "abc"}, {"version": 1, "sha256Hash": 12}],
)
async def test_a_malformed_persisted_query_extension_is_refused(client, persisted):
    response = await client.post("/graphql", json={"extensions": {"persistedQuery": persisted}}, headers=JSON)

    assert response.status_code == 400
    assert code_of(response) == ("BAD_REQUEST", "INVALID_PERSISTED_QUERY")


async def test_a_mutation_by_hash_over_get_stays_refused_with_405(client):
    params = {"query": LOGIN, "extensions": json.dumps(apq(LOGIN))}

    registering = await client.get("/graphql", params=params)
    by_hash = await client.get("/graphql", params={"extensions": params["extensions"]})

    assert registering.status_code == 405 and registering.headers["allow"] == "POST"
    assert by_hash.status_code == 405
    assert code_of(by_hash)[0] == "METHOD_NOT_ALLOWED"


async def test_a_persisted_operation_is_costed_and_limited_like_any_other(client, client_with):
    plain = await client.post("/graphql", json={"query": COMMUNITIES})
    await client.post("/graphql", json={"query": COMMUNITIES, "extensions": apq(COMMUNITIES)})
    by_hash = await client.post("/graphql", json={"extensions": apq(COMMUNITIES)})
    cost = plain.json()["extensions"]["cost"]

    async with client_with(max_query_cost=cost["requested"] - 1) as tight:
        await tight.post("/graphql", json={"query": COMMUNITIES, "extensions": apq(COMMUNITIES)})
        refused = await tight.post("/graphql", json={"extensions": apq(COMMUNITIES)}, headers=JSON)

    assert by_hash.json()["extensions"]["cost"] == cost
    assert code_of(refused)[0] == "QUERY_TOO_COSTLY"
    assert "data" not in refused.json()


async def test_with_the_cache_off_the_server_says_persisted_queries_are_not_supported(client_with):
    async with client_with(apq_cache_size=0) as client:
        response = await client.post("/graphql", json={"extensions": apq(COMMUNITIES)}, headers=JSON)
        plain = await client.post("/graphql", json={"query": COMMUNITIES})

    # Apollo Client's link stops sending hashes on this answer.
    assert response.status_code == 200
    assert response.json()["errors"][0] == {
        "message": "PersistedQueryNotSupported",
        "extensions": {"code": "PERSISTED_QUERY_NOT_SUPPORTED"},
    }
    assert plain.status_code == 200


def test_the_cache_keeps_the_most_recently_used_and_nothing_larger_than_a_body():
    cache = DocumentCache(size=2, max_bytes=40)
    cache.put("a", "{ a }")
    cache.put("b", "{ b }")
    assert cache.get("a") == "{ a }"  # now the most recent
    cache.put("c", "{ c }")
    cache.put("big", "{ " + "字" * 15 + " }")  # 19 characters, 49 bytes

    kept = [cache.get(key) for key in ("a", "b", "c", "big")]
    assert kept == ["{ a }", None, "{ c }", None]
    assert len(cache) == 2


# --- batching ----------------------------------------------------------------------------------


async def test_a_batch_is_refused_with_its_own_reason_and_nothing_runs(client, tokens, session):
    batch = [{"query": COMMUNITIES}, {"query": CREATE}]

    response = await client.post(
        "/graphql", json=batch, headers={**JSON, "Authorization": f"Bearer {tokens['ADMIN']}"}
    )

    assert response.status_code == 400
    assert code_of(response) == ("BAD_REQUEST", "BATCHING_NOT_SUPPORTED")
    assert await session.scalar(select(func.count()).where(Community.name == "未登记社区")) == 0


# --- trusted documents -------------------------------------------------------------------------


@pytest.fixture
def manifest(tmp_path):
    path = tmp_path / "persisted-documents.json"
    path.write_text(json.dumps({sha256(text): text for text in (COMMUNITIES, LOGIN)}), encoding="utf-8")
    return path


async def test_trusted_documents_run_by_hash_by_document_id_and_by_text(client_with, manifest):
    document_id = f"sha256:{sha256(COMMUNITIES)}"
    async with client_with(trusted_documents=str(manifest)) as client:
        answers = [
            await client.post("/graphql", json={"extensions": apq(COMMUNITIES)}),
            await client.post("/graphql", json={"documentId": document_id}),
            await client.get("/graphql", params={"documentId": document_id}, headers={"Accept": "*/*"}),
            await client.get("/graphql", params={"extensions": json.dumps(apq(COMMUNITIES))}),
            await client.post("/graphql", json={"query": COMMUNITIES}),
            await client.post("/graphql", json={"query": COMMUNITIES, "extensions": apq(COMMUNITIES)}),
        ]

    assert [answer.status_code for answer in answers] == [200] * 6
    assert len({tuple(names(answer)) for answer in answers}) == 1


async def test_an_unregistered_document_is_refused_and_nothing_runs(client_with, manifest, tokens, session):
    admin = {**JSON, "Authorization": f"Bearer {tokens['ADMIN']}"}
    async with client_with(trusted_documents=str(manifest)) as client:
        mutation = await client.post("/graphql", json={"query": CREATE}, headers=admin)
        query = await client.post("/graphql", json={"query": ONE_COMMUNITY}, headers=GRAPHQL_RESPONSE)
        unknown_id = await client.post("/graphql", json={"documentId": f"sha256:{sha256(CREATE)}"})
        custom_id = await client.post("/graphql", json={"documentId": "Communities"})

    assert mutation.status_code == 400 and code_of(mutation)[0] == "PERSISTED_QUERY_NOT_ALLOWED"
    assert "data" not in mutation.json()
    assert await session.scalar(select(func.count()).where(Community.name == "未登记社区")) == 0
    assert query.status_code == 400 and code_of(query)[0] == "PERSISTED_QUERY_NOT_ALLOWED"
    assert unknown_id.status_code == 400 and code_of(unknown_id)[0] == "PERSISTED_QUERY_NOT_ALLOWED"
    assert code_of(custom_id) == ("BAD_REQUEST", "INVALID_DOCUMENT_ID")


async def test_apq_cannot_register_a_document_when_only_trusted_ones_run(client_with, manifest):
    async with client_with(trusted_documents=str(manifest)) as client:
        registering = await client.post(
            "/graphql", json={"query": ONE_COMMUNITY, "extensions": apq(ONE_COMMUNITY)}, headers=JSON
        )
        by_hash = await client.post("/graphql", json={"extensions": apq(ONE_COMMUNITY)}, headers=JSON)
        lying = await client.post(
            "/graphql", json={"query": ONE_COMMUNITY, "extensions": apq(COMMUNITIES)}, headers=JSON
        )

    assert registering.status_code == 400 and code_of(registering)[0] == "PERSISTED_QUERY_NOT_ALLOWED"
    # not PERSISTED_QUERY_NOT_FOUND: the link would only resend the text, to the same refusal
    assert by_hash.status_code == 400 and code_of(by_hash)[0] == "PERSISTED_QUERY_NOT_ALLOWED"
    assert code_of(lying) == ("BAD_REQUEST", "PERSISTED_QUERY_HASH_MISMATCH")


async def test_a_registered_mutation_runs_and_stays_refused_over_get(client_with, manifest):
    async with client_with(trusted_documents=str(manifest)) as client:
        posted = await client.post("/graphql", json={"documentId": f"sha256:{sha256(LOGIN)}"})
        got = await client.get("/graphql", params={"documentId": f"sha256:{sha256(LOGIN)}"})

    assert posted.status_code == 200
    assert posted.json()["data"]["login"]["__typename"] == "InvalidCredentials"
    assert got.status_code == 405


async def test_introspection_is_left_to_its_own_setting(client_with, manifest):
    introspection = "{ __schema { queryType { name } } }"
    hidden = "{ __schema { queryType { name } } ...Sneaky } fragment Sneaky on Query { me { name } }"
    async with client_with(trusted_documents=str(manifest), introspection=True) as client:
        allowed = await client.post("/graphql", json={"query": introspection})
        smuggled = await client.post("/graphql", json={"query": hidden}, headers=JSON)
    async with client_with(trusted_documents=str(manifest), introspection=False) as client:
        off = await client.post("/graphql", json={"query": introspection}, headers=JSON)

    assert allowed.json()["data"]["__schema"]["queryType"]["name"] == "Query"
    assert code_of(smuggled)[0] == "PERSISTED_QUERY_NOT_ALLOWED"
    # refused by the introspection rule, as without trusted documents
    assert "data" not in off.json() and code_of(off)[0] == "BAD_REQUEST"
    assert "introspection" in off.json()["errors"][0]["message"]


async def test_over_the_websocket_too_only_trusted_documents_run(engine, tmp_path, demo_tokens):
    server_time = "subscription { serverTime(intervalSeconds: 1) }"
    path = tmp_path / "persisted-documents.json"
    path.write_text(json.dumps({sha256(server_time): server_time}), encoding="utf-8")
    app = create_app(make_settings(trusted_documents=str(path)), engine=engine, configure_logs=False)
    init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {demo_tokens['RESIDENT']}"}}
    async with running_server(app) as address, await open_socket(address) as socket:
        await socket.send(json.dumps(init))
        assert (await receive(socket))["type"] == "connection_ack"
        await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": ONE_COMMUNITY}}))
        refused = await receive(socket)
        await socket.send(json.dumps({"id": "2", "type": "subscribe", "payload": {"query": server_time}}))
        streamed = await receive(socket)

    assert refused["id"] == "1" and refused["type"] == "error"
    assert refused["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_ALLOWED"
    assert streamed["id"] == "2" and streamed["type"] == "next"
    assert streamed["payload"]["data"]["serverTime"]


def test_an_apollo_manifest_is_accepted_too(tmp_path):
    path = tmp_path / "persisted-query-manifest.json"
    operations = [{"id": sha256(COMMUNITIES), "name": "Communities", "type": "query", "body": COMMUNITIES}]
    path.write_text(json.dumps({"format": APOLLO_MANIFEST, "version": 1, "operations": operations}))

    assert load_manifest(path) == {sha256(COMMUNITIES): COMMUNITIES}
    assert make_settings(trusted_documents=str(path)).trusted_manifest == {sha256(COMMUNITIES): COMMUNITIES}


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        ("{not json", "不是合法的 JSON"),
        (json.dumps([COMMUNITIES]), "须是 JSON 对象"),
        (json.dumps({hashlib.sha1(COMMUNITIES.encode()).hexdigest(): COMMUNITIES}), "hashAlgorithm"),
        (json.dumps({sha256(ONE_COMMUNITY): COMMUNITIES}), "不符"),
        (json.dumps({sha256("{ nope"): "{ nope"}), "无法解析"),
        (json.dumps({sha256(COMMUNITIES): 7}), "非空字符串"),
        (json.dumps({}), "是空的"),
        (json.dumps({"format": APOLLO_MANIFEST, "version": 2, "operations": []}), "第 1 版"),
    ],
)
def test_a_wrong_manifest_stops_the_start_with_a_clear_error(tmp_path, monkeypatch, content, complaint):
    path = tmp_path / "manifest.json"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(ValidationError, match=complaint):
        make_settings(trusted_documents=str(path))
    # `linli serve` reads the settings first: one line, exit 1, no traceback
    monkeypatch.setenv("LINLI_TRUSTED_DOCUMENTS", str(path))
    with pytest.raises(cli.CommandError, match=f"配置错误：.*{complaint}"):
        cli._settings()


def test_a_missing_manifest_stops_the_start(tmp_path):
    with pytest.raises(ValidationError, match="无法读取可信文档清单"):
        make_settings(trusted_documents=str(tmp_path / "absent.json"))
