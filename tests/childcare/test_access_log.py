"""Reads of a child's data are logged on every path: one row per child per request (who, what)."""

import asyncio
import json

import pytest
from sqlalchemy import select
from websockets.asyncio.client import connect

from models.childcare import ChildAccessLog
from schema.common import decode_global_id
from tests.childcare.conftest import session_of
from tests.childcare.test_bookings import MY_CHILDREN, NODE, PICKUP_ADD, ROSTER, TODDLER_BIRTH, TUESDAY
from tests.conftest import running_server

pytestmark = pytest.mark.usefixtures("monday")

MY_CHILDREN_IDS = "{ myChildren { id name pickupPersons { name } bookings { status } } }"
BOOKING_NODE = "query($id: ID!) { node(id: $id) { ... on ChildcareBooking { status } } }"


async def test_every_path_to_a_childs_data_leaves_one_row_per_request(
    gql, family, guardians, center, tokens, session
):
    child = await family.register(guardians[0], "王小满", TODDLER_BIRTH)
    pickup = {"child": child["id"], "name": "外婆", "phone": "13912345678"}
    await gql(PICKUP_ADD, pickup, token=guardians[0])
    toddler = session_of(await family.sessions(center["id"], TUESDAY), "TODDLER")
    booking = await family.book(guardians[0], toddler["id"], child["id"])
    staff = tokens["CHILDCARE_STAFF"]

    async def read(query: str, variables: dict, token: str, request_id: str) -> None:
        response = await gql.post(query, variables, token=token, headers={"X-Request-ID": request_id})
        assert response.status_code == 200 and "errors" not in response.json(), response.text

    await read(MY_CHILDREN, {}, guardians[0], "guardian-list")
    await read(NODE, {"id": child["id"]}, staff, "staff-node")
    await read(ROSTER, {"id": toddler["id"]}, staff, "staff-roster")
    await read(BOOKING_NODE, {"id": booking["id"]}, guardians[0], "guardian-booking")
    await read(NODE, {"id": child["id"]}, guardians[1], "other-guardian")  # null: nothing read
    await read(
        'query($c: ID!, $k: ID!) { childcareSessions(centerId: $c, from: "2026-12-01", to: "2026-12-01",'
        " childId: $k) { eligible } }",
        {"c": center["id"], "k": child["id"]},
        guardians[0],
        "guardian-eligibility",
    )
    log = ChildAccessLog
    rows = (await session.execute(select(log.request_id, log.client_request_id, log.what))).all()
    # (the set-up's own requests, registering and booking, are logged too: they answered the child)
    ours = ("guardian-", "staff-", "other-")
    logged = {client: sorted(what) for _, client, what in rows if (client or "").startswith(ours)}

    assert logged == {
        "guardian-list": ["bookings", "pickup", "profile"],
        "staff-node": ["profile"],
        "staff-roster": ["bookings", "profile"],
        "guardian-booking": ["bookings"],
        "guardian-eligibility": ["profile"],
    }
    assert len(rows) == len({request_id for request_id, _, _ in rows})  # one row per child per request


async def test_a_childs_data_read_over_the_websocket_is_logged_before_the_answer_arrives(
    app, db, family, guardians
):
    # Given a guardian's child, and the guardian on an open WebSocket
    child = await family.register(guardians[0], "王小满", TODDLER_BIRTH)
    child_id = decode_global_id(child["id"])[1]
    init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {guardians[0]}"}}
    async with running_server(app) as address:
        async with connect(f"ws://{address}/graphql", subprotocols=["graphql-transport-ws"]) as socket:
            await socket.send(json.dumps(init))
            assert json.loads(await socket.recv())["type"] == "connection_ack"

            # When they ask for their children over it
            await socket.send(
                json.dumps({"id": "1", "type": "subscribe", "payload": {"query": MY_CHILDREN_IDS}})
            )
            answer = json.loads(await asyncio.wait_for(socket.recv(), 5))
            assert json.loads(await asyncio.wait_for(socket.recv(), 5))["type"] == "complete"

            # Then the read is in the log while the socket is still open
            async with db() as session:
                logged = (
                    await session.scalars(
                        select(ChildAccessLog.what).where(ChildAccessLog.child_id == child_id)
                    )
                ).all()

    assert [c["id"] for c in answer["payload"]["data"]["myChildren"]] == [child["id"]]
    # (the first row is registering's: its answer showed the child)
    assert [sorted(what) for what in logged] == [["profile"], ["bookings", "pickup", "profile"]]
