"""Sign-in sessions: a short access token and a rotating refresh token per login, reuse detection,
logout and a person's own sessions; a refused token says why (#14)."""

import asyncio
import json
import time
from datetime import timedelta

import jwt
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from seeds.demo import DEMO_PASSWORD
from tests.conftest import make_settings, running_server

RESIDENT = "13800000001"
LOGIN = """mutation($phone: String!, $password: String!) { login(phone: $phone, password: $password) {
  __typename ... on LoginSuccess { token expiresAt refreshToken refreshTokenExpiresAt viewer { name } }
  ... on DomainError { code } } }"""
REFRESH = """mutation($t: String!) { tokenRefresh(refreshToken: $t) {
  __typename ... on LoginSuccess { token refreshToken } ... on DomainError { code message } } }"""
LOGOUT = "mutation($all: Boolean!) { logout(everywhere: $all) { sessionsEnded } }"
SESSIONS = "{ mySessions { id kind current userAgent } }"
REVOKE = """mutation($id: ID!) { sessionRevoke(id: $id) { __typename
  ... on Session { id } ... on DomainError { code } } }"""
ME = "{ me { name } }"


async def login(client, phone: str = RESIDENT, agent: str = "linli-app/1.0") -> dict:
    response = await client.post(
        "/graphql",
        json={"query": LOGIN, "variables": {"phone": phone, "password": DEMO_PASSWORD}},
        headers={"User-Agent": agent},
    )
    answer = response.json()["data"]["login"]
    assert answer["__typename"] == "LoginSuccess", answer
    return answer


async def ask(client, query: str, variables: dict | None = None, token: str | None = None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)


def refusal(response) -> tuple[int, str, str | None]:
    error = response.json()["errors"][0]["extensions"]
    return response.status_code, error["code"], error.get("reason")


async def test_login_gives_a_short_access_token_bound_to_a_session_and_a_refresh_token(client, settings):
    signed_in = await login(client)

    claims = jwt.decode(signed_in["token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == pytest.approx(settings.access_token_ttl_seconds, abs=1)
    assert isinstance(claims["sid"], int)
    assert len(signed_in["refreshToken"]) >= 40
    me = await ask(client, ME, token=signed_in["token"])
    assert me.json()["data"]["me"] == {"name": "王晓燕"}


async def test_a_refresh_token_works_once_and_its_reuse_ends_the_session_everywhere(client):
    first = await login(client)

    second = (await ask(client, REFRESH, {"t": first["refreshToken"]})).json()["data"]["tokenRefresh"]
    # The same refresh token again: it was copied, so the whole sign-in ends.
    reused = (await ask(client, REFRESH, {"t": first["refreshToken"]})).json()["data"]["tokenRefresh"]
    after = (await ask(client, REFRESH, {"t": second["refreshToken"]})).json()["data"]["tokenRefresh"]
    with_newest = await ask(client, ME, token=second["token"])

    assert second["__typename"] == "LoginSuccess" and second["refreshToken"] != first["refreshToken"]
    assert reused["code"] == "REFRESH_TOKEN_REUSED"
    assert after["code"] == "SESSION_REVOKED"
    assert refusal(with_newest) == (401, "UNAUTHENTICATED", "SESSION_REVOKED")


async def test_unknown_and_expired_refresh_tokens_are_refused(client, clock):
    signed_in = await login(client)

    unknown = (await ask(client, REFRESH, {"t": "not-a-token"})).json()["data"]["tokenRefresh"]
    clock.now += timedelta(days=31)
    late = (await ask(client, REFRESH, {"t": signed_in["refreshToken"]})).json()["data"]["tokenRefresh"]

    assert unknown["code"] == "REFRESH_TOKEN_INVALID"
    assert late["code"] == "REFRESH_TOKEN_EXPIRED"


async def test_logout_ends_this_session_and_everywhere_ends_all(client):
    phone, laptop = await login(client, agent="phone"), await login(client, agent="laptop")

    ended = (await ask(client, LOGOUT, {"all": False}, token=phone["token"])).json()["data"]["logout"]
    phone_after = await ask(client, ME, token=phone["token"])
    phone_refresh = (await ask(client, REFRESH, {"t": phone["refreshToken"]})).json()["data"]["tokenRefresh"]
    laptop_still = await ask(client, ME, token=laptop["token"])
    everywhere = (await ask(client, LOGOUT, {"all": True}, token=laptop["token"])).json()["data"]["logout"]
    laptop_after = await ask(client, ME, token=laptop["token"])

    assert ended == {"sessionsEnded": 1}
    assert refusal(phone_after) == (401, "UNAUTHENTICATED", "SESSION_REVOKED")
    assert phone_refresh["code"] == "SESSION_REVOKED"
    assert laptop_still.json()["data"]["me"] == {"name": "王晓燕"}
    assert everywhere["sessionsEnded"] >= 1
    assert refusal(laptop_after) == (401, "UNAUTHENTICATED", "SESSION_REVOKED")


async def test_my_sessions_and_revoking_one_of_them_but_not_someone_elses(client):
    phone, laptop = await login(client, agent="phone"), await login(client, agent="laptop")
    other = await login(client, phone="13800000002")

    mine = (await ask(client, SESSIONS, token=phone["token"])).json()["data"]["mySessions"]
    by_agent = {
        session["userAgent"]: session for session in mine if session["userAgent"] in ("phone", "laptop")
    }
    theirs = (await ask(client, SESSIONS, token=other["token"])).json()["data"]["mySessions"]
    not_mine = await ask(client, REVOKE, {"id": theirs[0]["id"]}, token=phone["token"])
    revoked = await ask(client, REVOKE, {"id": by_agent["laptop"]["id"]}, token=phone["token"])
    laptop_after = await ask(client, ME, token=laptop["token"])

    assert by_agent["phone"]["current"] is True and by_agent["laptop"]["current"] is False
    assert {session["kind"] for session in mine} == {"PASSWORD"}
    assert not_mine.json()["data"]["sessionRevoke"]["code"] == "NOT_FOUND"
    assert revoked.json()["data"]["sessionRevoke"] == {
        "__typename": "Session",
        "id": by_agent["laptop"]["id"],
    }
    assert refusal(laptop_after) == (401, "UNAUTHENTICATED", "SESSION_REVOKED")
    assert (await ask(client, ME, token=theirs and other["token"])).json()["data"]["me"] is not None


async def test_a_refused_token_says_why(client, client_with):
    async with client_with(access_token_ttl_seconds=1) as short:
        signed_in = await login(short)
        await asyncio.sleep(2.1)
        expired = await ask(short, ME, token=signed_in["token"])
    garbage = await ask(client, ME, token="not.a.token")
    foreign = jwt.encode({"sub": "1"}, "another-secret-of-more-than-32-characters!!", algorithm="HS256")
    forged = await ask(client, ME, token=foreign)

    assert refusal(expired) == (401, "UNAUTHENTICATED", "TOKEN_EXPIRED")
    assert refusal(garbage) == (401, "UNAUTHENTICATED", "TOKEN_INVALID")
    assert refusal(forged) == (401, "UNAUTHENTICATED", "TOKEN_INVALID")


# ── The WebSocket ───────────────────────────────────────────────────────────────

SERVER_TIME = "subscription { serverTime(intervalSeconds: 1) }"


async def open_stream(address: str, init_payload: dict | None, headers: dict | None = None):
    socket = await connect(
        f"ws://{address}/graphql", subprotocols=["graphql-transport-ws"], additional_headers=headers or {}
    )
    init = {"type": "connection_init"} | ({"payload": init_payload} if init_payload is not None else {})
    await socket.send(json.dumps(init))
    return socket


async def first_message(socket) -> dict:
    return json.loads(await asyncio.wait_for(socket.recv(), timeout=5))


@pytest.mark.parametrize(
    "where",
    ["connectionParams.Authorization", "connectionParams.headers.Authorization", "upgrade request header"],
)
async def test_the_websocket_takes_the_token_where_common_clients_send_it(app, client, where):
    token = (await login(client))["token"]
    bearer = f"Bearer {token}"
    payload, headers = {
        "connectionParams.Authorization": ({"Authorization": bearer}, None),
        "connectionParams.headers.Authorization": ({"headers": {"Authorization": bearer}}, None),
        "upgrade request header": (None, {"Authorization": bearer}),
    }[where]
    async with running_server(app) as address:
        socket = await open_stream(address, payload, headers)
        async with socket:
            assert (await first_message(socket))["type"] == "connection_ack"
            await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SERVER_TIME}}))
            answer = await first_message(socket)

    assert answer["type"] == "next" and answer["payload"]["data"]["serverTime"]


async def test_a_revoked_token_is_refused_at_connection_init_with_its_reason(app, client):
    signed_in = await login(client)
    await ask(client, LOGOUT, {"all": False}, token=signed_in["token"])
    async with running_server(app) as address:
        socket = await open_stream(address, {"Authorization": f"Bearer {signed_in['token']}"})
        with pytest.raises(ConnectionClosed) as closed:
            async with socket:
                await first_message(socket)

    assert closed.value.rcvd.code == 4403


async def stream_until_closed(socket) -> tuple[list[tuple[float, dict]], int, float]:
    """Every message with when it came, then the close code and when."""
    received = []
    try:
        while True:
            message = json.loads(await asyncio.wait_for(socket.recv(), timeout=10))
            received.append((time.time(), message))
    except ConnectionClosed as closed:
        return received, closed.rcvd.code, time.time()


async def test_a_subscription_lives_no_longer_than_its_token(engine, db, clock):
    # Given a 3-second access token and a stream that ticks every second
    from server.app import create_app
    from tests.conftest import in_memory

    app = await in_memory(
        create_app(
            make_settings(access_token_ttl_seconds=3),
            engine=engine,
            session_factory=db,
            clock=clock,
            configure_logs=False,
        )
    )
    async with running_server(app) as address:
        import httpx

        async with httpx.AsyncClient(base_url=f"http://{address}") as client:
            signed_in = await login(client)
        expires_at = jwt.decode(signed_in["token"], options={"verify_signature": False})["exp"]
        socket = await open_stream(address, {"Authorization": f"Bearer {signed_in['token']}"})
        async with socket:
            assert (await first_message(socket))["type"] == "connection_ack"
            await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SERVER_TIME}}))
            received, code, closed_at = await stream_until_closed(socket)

    # Then it delivered while the token held, and the server closed it with 4403 when it expired
    ticks = [at for at, message in received if message["type"] == "next" and "data" in message["payload"]]
    assert ticks and code == 4403
    assert all(at <= expires_at + 0.2 for at in ticks), "nothing is delivered after the token expired"
    assert expires_at - 0.1 <= closed_at <= expires_at + 1.5


async def test_logging_out_closes_that_sessions_open_subscription_at_once(app, client):
    signed_in = await login(client)
    async with running_server(app) as address:
        socket = await open_stream(address, {"Authorization": f"Bearer {signed_in['token']}"})
        async with socket:
            assert (await first_message(socket))["type"] == "connection_ack"
            await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SERVER_TIME}}))
            assert (await first_message(socket))["type"] == "next"
            logged_out_at = time.time()
            await ask(client, LOGOUT, {"all": False}, token=signed_in["token"])
            _, code, closed_at = await stream_until_closed(socket)

    assert code == 4403 and closed_at - logged_out_at < 1.0


async def test_bad_refresh_tokens_from_one_address_do_not_block_anyone_elses(engine, db, clock):
    # No one is signed in when refreshing: the refusals must not be counted on one shared key.
    from server.app import create_app
    from tests.conftest import in_memory

    app = await in_memory(
        create_app(
            make_settings(code_attempts_per_person=3, code_attempts_per_ip=3),
            engine=engine,
            session_factory=db,
            clock=clock,
            configure_logs=False,
        )
    )
    import httpx

    def client_at(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 4000))
        return httpx.AsyncClient(transport=transport, base_url="http://linli.test")

    async with client_at("10.0.0.1") as mallory, client_at("10.0.0.2") as resident:
        signed_in = await login(resident)
        refused = [(await ask(mallory, REFRESH, {"t": f"guess-{n}"})).json() for n in range(5)]
        refreshed = (await ask(resident, REFRESH, {"t": signed_in["refreshToken"]})).json()

    codes = [
        body["data"]["tokenRefresh"]["code"] if body.get("data") else body["errors"][0]["extensions"]["code"]
        for body in refused
    ]
    assert codes == ["REFRESH_TOKEN_INVALID"] * 3 + ["RATE_LIMITED"] * 2, "one address is limited"
    assert refreshed["data"]["tokenRefresh"]["__typename"] == "LoginSuccess", "another address is not"
