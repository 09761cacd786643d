"""graphql-transport-ws on /graphql over a real uvicorn server: token checked at connection_init."""

import asyncio
import json

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

SERVER_TIME = "subscription { serverTime(intervalSeconds: 1) }"


async def open_socket(address: str):
    return await connect(f"ws://{address}/graphql", subprotocols=["graphql-transport-ws"])


async def receive(socket) -> dict:
    message = await asyncio.wait_for(socket.recv(), timeout=5)
    assert isinstance(message, str), "graphql-transport-ws messages must be text frames"
    return json.loads(message)


async def test_a_valid_token_at_connection_init_lets_a_subscription_stream(live_server, demo_tokens):
    async with await open_socket(live_server) as socket:
        await socket.send(
            json.dumps(
                {"type": "connection_init", "payload": {"Authorization": f"Bearer {demo_tokens['RESIDENT']}"}}
            )
        )
        assert (await receive(socket))["type"] == "connection_ack"
        await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SERVER_TIME}}))

        first, second = await receive(socket), await receive(socket)

    assert first["type"] == second["type"] == "next"
    assert first["payload"]["data"]["serverTime"] < second["payload"]["data"]["serverTime"]


async def test_an_invalid_token_at_connection_init_closes_with_4403(live_server):
    async with await open_socket(live_server) as socket:
        await socket.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": "Bearer forged.token.here"}})
        )
        with pytest.raises(ConnectionClosed) as closed:
            await receive(socket)

    assert closed.value.rcvd.code == 4403


async def test_without_a_token_a_protected_subscription_is_unauthenticated(live_server):
    async with await open_socket(live_server) as socket:
        await socket.send(json.dumps({"type": "connection_init"}))
        assert (await receive(socket))["type"] == "connection_ack"
        await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SERVER_TIME}}))

        message = await receive(socket)

    assert message["type"] == "error"
    assert message["payload"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_only_graphql_transport_ws_is_served(live_server):
    # The legacy protocol (subscriptions-transport-ws, "graphql-ws") is refused: one protocol to guard.
    async with connect(f"ws://{live_server}/graphql", subprotocols=["graphql-ws"]) as socket:
        with pytest.raises(ConnectionClosed) as closed:
            await receive(socket)

    assert closed.value.rcvd.code == 4406
