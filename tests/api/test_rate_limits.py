"""Abuse limits: wrong passwords and mutations, per person and per address, with a clear
RATE_LIMITED error and a Retry-After (the maker-space cases are in tests/makerspace)."""

import asyncio
import json
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import delete, text

from models.people import RateLimitHit
from server.app import create_app
from tests.api.test_websocket import open_socket, receive
from tests.conftest import make_settings

LOGIN = """
mutation($phone: String!, $password: String!) {
  login(phone: $phone, password: $password) { __typename ... on InvalidCredentials { code } }
}
"""
DEMO_PHONE, DEMO_PASSWORD = "13800000001", "linli-demo-2026"


@pytest.fixture
def settings():
    return make_settings(
        login_attempts_per_phone=3,
        login_attempts_per_ip=6,
        code_attempts_per_person=3,
        mutations_per_person=5,
        mutations_per_gateway=8,
    )


def from_address(app, host: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(host, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://linli.test")


async def login(client: httpx.AsyncClient, phone: str, password: str) -> httpx.Response:
    return await client.post(
        "/graphql", json={"query": LOGIN, "variables": {"phone": phone, "password": password}}
    )


def refusal(response: httpx.Response) -> tuple[int, str, int, int]:
    error = response.json()["errors"][0]
    return (
        response.status_code,
        error["extensions"]["code"],
        int(response.headers["retry-after"]),
        error["extensions"]["retryAfter"],
    )


async def test_wrong_passwords_lock_the_account_for_the_window_then_it_opens_again(app, clock):
    async with from_address(app, "10.0.0.1") as one, from_address(app, "10.0.0.2") as other:
        # Written three ways, it is one account.
        wrong = [
            await login(one, phone, "guess-1234")
            for phone in (DEMO_PHONE, "+86 138-0000-0001", "138 0000 0001")
        ]
        # The limit is the account's, wherever the guesses come from: even the right password waits.
        locked = await login(other, DEMO_PHONE, DEMO_PASSWORD)
        clock.now += timedelta(seconds=901)
        reopened = await login(other, DEMO_PHONE, DEMO_PASSWORD)

    assert [r.json()["data"]["login"]["__typename"] for r in wrong] == ["InvalidCredentials"] * 3
    status, code, header, extension = refusal(locked)
    assert (status, code) == (429, "RATE_LIMITED") and 0 < header == extension <= 900
    assert "秒后再试" in locked.json()["errors"][0]["message"]
    assert reopened.json()["data"]["login"]["__typename"] == "LoginSuccess"


async def test_right_passwords_do_not_count(app):
    async with from_address(app, "10.0.0.3") as client:
        answers = [await login(client, DEMO_PHONE, DEMO_PASSWORD) for _ in range(5)]
    assert [r.json()["data"]["login"]["__typename"] for r in answers] == ["LoginSuccess"] * 5


async def test_one_address_guessing_many_accounts_is_stopped(app):
    async with from_address(app, "10.0.0.4") as guesser, from_address(app, "10.0.0.5") as neighbour:
        guesses = [await login(guesser, f"1390000{index:04d}", "guess-1234") for index in range(6)]
        stopped = await login(guesser, "13900009999", "guess-1234")
        elsewhere = await login(neighbour, "13900009999", "guess-1234")

    assert all(r.status_code == 200 for r in guesses)
    assert refusal(stopped)[:2] == (429, "RATE_LIMITED")
    assert elsewhere.json()["data"]["login"]["__typename"] == "InvalidCredentials"


async def test_a_gateway_has_its_own_larger_allowance(app, tokens):
    headers = {"Authorization": f"Bearer {tokens['DEVICE_GATEWAY']}"}
    query = "mutation { readingsRecord(readings: []) { __typename } }"
    async with from_address(app, "10.0.0.7") as client:
        answers = [await client.post("/graphql", json={"query": query}, headers=headers) for _ in range(9)]
    assert [r.status_code for r in answers] == [200] * 8 + [429]


@pytest.fixture
async def shared_counters(engine):
    """The concurrent test commits its counters (real connections); they are removed after."""
    yield
    async with engine.begin() as connection:
        await connection.execute(delete(RateLimitHit).where(RateLimitHit.key.like("%10.9.9.9%")))
        await connection.execute(delete(RateLimitHit).where(RateLimitHit.key.like("%13911112222%")))


async def test_concurrent_guesses_cannot_slip_past_the_count(engine, shared_counters):
    """20 wrong passwords at once for one account over real connections: exactly 3 are tried."""
    app = create_app(make_settings(login_attempts_per_phone=3), engine=engine, configure_logs=False)
    async with from_address(app, "10.9.9.9") as client:
        answers = await asyncio.gather(*(login(client, "13911112222", "guess-1234") for _ in range(20)))
    async with engine.connect() as connection:
        counted = await connection.scalar(
            text("SELECT sum(hits) FROM rate_limit_hits WHERE key = 'login:phone:13911112222'")
        )

    assert sorted(r.status_code for r in answers) == [200] * 3 + [429] * 17
    assert counted == 20


async def test_mutations_over_the_websocket_are_refused(live_server, demo_tokens):
    async with await open_socket(live_server) as socket:
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {demo_tokens['RESIDENT']}"}}
        await socket.send(json.dumps(init))
        assert (await receive(socket))["type"] == "connection_ack"
        query = f'mutation {{ login(phone: "{DEMO_PHONE}", password: "{DEMO_PASSWORD}") {{ __typename }} }}'
        await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        answer = await receive(socket)

    errors = answer["payload"]["errors"] if answer["type"] == "next" else answer["payload"]
    assert errors[0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"
    assert "data" not in answer["payload"] or answer["payload"]["data"] is None
