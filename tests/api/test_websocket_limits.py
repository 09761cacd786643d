"""A WebSocket message is held to the same size limit as an HTTP body (#13, finding 9: an anonymous
1 MiB message was parsed and executed)."""

import asyncio
import json

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.conftest import free_port, running_server, start_server, wait_ready

MIB = 1024 * 1024


async def closed_with(socket) -> tuple[int, list[dict]]:
    """Reads until the server closes: its close code and what it sent before."""
    received = []
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            received.append(json.loads(await asyncio.wait_for(socket.recv(), timeout=5)))
    return closed.value.rcvd.code, received


async def test_an_oversized_message_closes_the_socket_with_4413_unparsed(app):
    # A valid subscription, padded to 1 MiB with a comment: executed, it would answer.
    padded = "subscription { serverTime(intervalSeconds: 1) } #" + "x" * MIB
    async with running_server(app) as address:
        async with connect(
            f"ws://{address}/graphql", subprotocols=["graphql-transport-ws"], max_size=None
        ) as socket:
            await socket.send(json.dumps({"type": "connection_init"}))
            assert json.loads(await socket.recv())["type"] == "connection_ack"
            await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": padded}}))
            code, received = await closed_with(socket)

    assert code == 4413
    assert received == []  # no answer, not even an error: the message was never parsed


async def test_an_oversized_connection_init_closes_before_any_ack(app):
    async with running_server(app) as address:
        async with connect(
            f"ws://{address}/graphql", subprotocols=["graphql-transport-ws"], max_size=None
        ) as socket:
            await socket.send(json.dumps({"type": "connection_init", "payload": {"pad": "x" * MIB}}))
            code, received = await closed_with(socket)

    assert code == 4413 and received == []


async def test_a_message_within_the_limit_is_answered(app, tokens):
    query = "subscription { serverTime(intervalSeconds: 1) } #" + "x" * 60_000  # under 64 KiB
    init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {tokens['RESIDENT']}"}}
    async with running_server(app) as address:
        async with connect(f"ws://{address}/graphql", subprotocols=["graphql-transport-ws"]) as socket:
            await socket.send(json.dumps(init))
            assert json.loads(await socket.recv())["type"] == "connection_ack"
            await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
            answer = json.loads(await asyncio.wait_for(socket.recv(), timeout=5))

    assert answer["type"] == "next" and answer["payload"]["data"]["serverTime"]


async def test_linli_serve_does_not_read_a_far_larger_message_whole():
    # `linli serve` bounds what uvicorn buffers (32 × the body limit, 2 MiB): beyond it the
    # socket closes with 1009 before the message is read, instead of holding its 16 MiB default.
    port = free_port()
    process = start_server(port)
    try:
        await wait_ready(port, process)
        async with connect(
            f"ws://127.0.0.1:{port}/graphql", subprotocols=["graphql-transport-ws"], max_size=None
        ) as socket:
            await socket.send(json.dumps({"type": "connection_init", "payload": {"pad": "x" * 4 * MIB}}))
            code, received = await closed_with(socket)
    finally:
        process.terminate()
        process.wait(timeout=20)

    assert code == 1009 and received == []
