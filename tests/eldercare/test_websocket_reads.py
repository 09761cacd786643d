"""Health data read over the WebSocket is logged before the answer is delivered, as on HTTP (#13,
finding 3: a query over graphql-transport-ws was logged only when the socket closed)."""

import asyncio
import json

from sqlalchemy import func, select
from websockets.asyncio.client import connect

from models.eldercare import HealthAccessLog
from tests.conftest import running_server

ELDERS = "{ elders(first: 20) { edges { node { id name latestVitals { kind value } } } } }"


async def receive(socket) -> dict:
    return json.loads(await asyncio.wait_for(socket.recv(), timeout=5))


async def rows_for(db, elder_id: int) -> int:
    async with db() as session:
        return await session.scalar(
            select(func.count()).select_from(HealthAccessLog).where(HealthAccessLog.elder_id == elder_id)
        )


async def test_a_query_over_the_websocket_is_logged_before_its_answer_arrives(app, db, ward):
    # Given care staff of 南睦 on an open WebSocket
    init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {ward.tokens['CARE_STAFF']}"}}
    async with running_server(app) as address:
        url = f"ws://{address}/graphql"
        async with connect(url, subprotocols=["graphql-transport-ws"]) as socket:
            await socket.send(json.dumps(init))
            assert (await receive(socket))["type"] == "connection_ack"

            # When they ask for the elders with their vitals, twice, over the same connection
            answers = []
            for operation in ("1", "2"):
                await socket.send(
                    json.dumps({"id": operation, "type": "subscribe", "payload": {"query": ELDERS}})
                )
                answer = await receive(socket)
                assert (await receive(socket))["type"] == "complete"
                # Then, with the socket still open, each answer's read is in the log already
                answers.append((answer, await rows_for(db, ward.elder_a)))

    for answer, _ in answers:
        assert answer["type"] == "next" and "errors" not in answer["payload"], answer
        assert ward.gid(ward.elder_a) in {
            edge["node"]["id"] for edge in answer["payload"]["data"]["elders"]["edges"]
        }
    assert [rows for _, rows in answers] == [1, 2]  # one row per operation, each before delivery
    assert await rows_for(db, ward.elder_a) == 2  # and nothing more when the socket closed
