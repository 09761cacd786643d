"""Reads of a child's data are logged on every path: one row per child per request (who, what)."""

import pytest
from sqlalchemy import select

from models.childcare import ChildAccessLog
from tests.childcare.conftest import session_of
from tests.childcare.test_bookings import MY_CHILDREN, NODE, PICKUP_ADD, ROSTER, TODDLER_BIRTH, TUESDAY

pytestmark = pytest.mark.usefixtures("monday")

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
    rows = (await session.execute(select(ChildAccessLog.request_id, ChildAccessLog.what))).all()
    # (the set-up's own requests, registering and booking, are logged too: they answered the child)
    ours = ("guardian-", "staff-", "other-")
    logged = {request_id: sorted(what) for request_id, what in rows if request_id.startswith(ours)}

    assert logged == {
        "guardian-list": ["bookings", "pickup", "profile"],
        "staff-node": ["profile"],
        "staff-roster": ["bookings", "profile"],
        "guardian-booking": ["bookings"],
        "guardian-eligibility": ["profile"],
    }
    assert len(rows) == len({request_id for request_id, _ in rows})  # one row per child per request
