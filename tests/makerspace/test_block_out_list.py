"""MakerSpace.blockOuts (#17): the space's staff list the block-outs in force over a window of
calendar days (Asia/Shanghai, at most 31 days apart), through HTTP. The space's MAKERSPACE_STAFF and
ADMIN see them; staff of another community, residents and strangers get null; a window too wide or
backwards is BAD_REQUEST (DATE_RANGE_OUT_OF_BOUNDS) for everyone."""

from datetime import timedelta

import pytest

from models.people import Role
from resolvers import people as people_service
from server.auth import TokenService
from tests.makerspace.conftest import TUESDAY, at

ERROR = "__typename ... on DomainError { code message }"
BLOCK_OUT = f"""mutation($id: ID!, $start: DateTime!, $end: DateTime!, $reason: String!) {{
  resourceBlockOut(resourceId: $id, startsAt: $start, endsAt: $end, reason: $reason) {{ {ERROR}
  ... on ResourceBlockedOut {{ blockOut {{ id }} }} }} }}"""
BLOCK_OUT_REMOVE = f"""mutation($id: ID!) {{ resourceBlockOutRemove(id: $id) {{ {ERROR}
  ... on ResourceBlockOut {{ id removedAt }} }} }}"""
LIST = """query($space: ID!, $from: Date!, $to: Date!) { node(id: $space) { ... on MakerSpace {
  blockOuts(from: $from, to: $to) { id start end reason removedAt resource { name } } } } }"""
WEDNESDAY, FRIDAY = TUESDAY + timedelta(days=1), TUESDAY + timedelta(days=3)


@pytest.fixture
async def other_staff(session, settings) -> str:
    """A MAKERSPACE_STAFF of another community (海创社区)."""
    person = await people_service.add_user(
        session=session,
        phone="17799990011",
        name="海创创客",
        role=Role.MAKERSPACE_STAFF,
        community_name="海创社区",
    )
    await session.commit()
    return TokenService(settings).issue(person)[0]


@pytest.fixture
async def blocked(gql, space, tokens, tuesday_morning) -> dict[str, str]:
    """Block-outs of the space: a desk on Tuesday evening, a room on Wednesday, the desk on Friday,
    and one on Wednesday that was removed again."""
    staff = tokens["MAKERSPACE_STAFF"]
    desk, room = space["by_name"]["工位 D12"]["id"], space["by_name"]["会议室 小（6人）"]["id"]
    made = {}
    for key, resource, start, end in [
        ("desk-tue", desk, at(18), at(19)),
        ("room-wed", room, at(10, day=WEDNESDAY), at(12, day=WEDNESDAY)),
        ("desk-fri", desk, at(9, day=FRIDAY), at(21, 30, day=FRIDAY)),
        ("removed", desk, at(14, day=WEDNESDAY), at(15, day=WEDNESDAY)),
    ]:
        body = await gql(
            BLOCK_OUT, {"id": resource, "start": start, "end": end, "reason": "检修"}, token=staff
        )
        made[key] = body["data"]["resourceBlockOut"]["blockOut"]["id"]
    removed = await gql(BLOCK_OUT_REMOVE, {"id": made["removed"]}, token=staff)
    assert removed["data"]["resourceBlockOutRemove"]["removedAt"] is not None
    return made


async def listed(gql, space, token, first, last) -> dict:
    return await gql(
        LIST,
        {"space": space["id"], "from": first.date().isoformat(), "to": last.date().isoformat()},
        token=token,
    )


@pytest.mark.parametrize("role", ["MAKERSPACE_STAFF", "ADMIN"])
async def test_the_spaces_staff_and_admin_list_the_block_outs_in_force_by_start(
    gql, space, tokens, blocked, role
):
    week = await listed(gql, space, tokens[role], TUESDAY, FRIDAY)
    wednesday = await listed(gql, space, tokens[role], WEDNESDAY, WEDNESDAY)

    rows = week["data"]["node"]["blockOuts"]
    assert [row["id"] for row in rows] == [blocked["desk-tue"], blocked["room-wed"], blocked["desk-fri"]]
    assert rows[0] == {
        "id": blocked["desk-tue"],
        "start": at(18),
        "end": at(19),
        "reason": "检修",
        "removedAt": None,
        "resource": {"name": "工位 D12"},
    }
    # A day's window holds what overlaps that day only; a removed block-out is no longer in force
    assert [row["id"] for row in wednesday["data"]["node"]["blockOuts"]] == [blocked["room-wed"]]


@pytest.mark.usefixtures("blocked")
@pytest.mark.parametrize("who", ["OTHER_STAFF", "RESIDENT", "CHILDCARE_STAFF", None])
async def test_anyone_else_gets_null(gql, space, tokens, other_staff, who):
    token = {"OTHER_STAFF": other_staff, None: None}.get(who, tokens.get(who))

    body = await listed(gql, space, token, TUESDAY, FRIDAY)

    assert "errors" not in body, body
    assert body["data"]["node"] == {"blockOuts": None}


@pytest.mark.parametrize(
    ("first", "last", "allowed"),
    [
        (TUESDAY, TUESDAY + timedelta(days=31), True),
        (TUESDAY, TUESDAY + timedelta(days=32), False),
        (WEDNESDAY, TUESDAY, False),
    ],
)
@pytest.mark.parametrize("role", ["MAKERSPACE_STAFF", "RESIDENT"])
async def test_the_window_is_at_most_31_days_forward(
    gql, space, tokens, tuesday_morning, first, last, allowed, role
):
    body = await listed(gql, space, tokens[role], first, last)

    if allowed:
        assert "errors" not in body, body
    else:
        assert body["data"]["node"]["blockOuts"] is None
        assert [(e["extensions"]["code"], e["extensions"]["reason"]) for e in body["errors"]] == [
            ("BAD_REQUEST", "DATE_RANGE_OUT_OF_BOUNDS")
        ]
