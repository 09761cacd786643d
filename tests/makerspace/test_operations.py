"""The space's staff run it through the graph (#17): resources, rules, block-outs.

Every case goes through HTTP. Who may act: MAKERSPACE_STAFF of the space's community and ADMIN;
staff of another community find nothing (NotFound); every other role is refused. Retiring a
resource or blocking its time cancels the CONFIRMED reservations it covers in the same transaction
and tells each holder; a refusal writes nothing (no cancellation, notification or audit row).
The races at the end commit through a real server, so they clean up after themselves.
"""

import asyncio
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from models.audit import AuditLog
from models.makerspace import Reservation, Resource, ResourceBlockOut
from models.notifications import Notification
from models.people import Person, Role
from resolvers import people as people_service
from schema.common import encode_global_id, pk_of
from server.auth import TokenService
from tests.makerspace.conftest import AVAILABILITY, SHANGHAI, TUESDAY, at

WEDNESDAY = TUESDAY + timedelta(days=1)
DESK = "工位 D12"
ROOM = "会议室 小（6人）"

ERROR = "__typename ... on DomainError { code message }"
RESOURCE_FIELDS = "id name kind capacity features position active retiredAt"
CREATE = f"""mutation($input: ResourceCreateInput!) {{ resourceCreate(input: $input) {{ {ERROR}
  ... on Resource {{ {RESOURCE_FIELDS} }} }} }}"""
UPDATE = f"""mutation($id: ID!, $input: ResourceUpdateInput!) {{ resourceUpdate(id: $id, input: $input) {{
  {ERROR} ... on Resource {{ {RESOURCE_FIELDS} }} }} }}"""
RETIRE = f"""mutation($id: ID!, $reason: String!) {{ resourceRetire(id: $id, reason: $reason) {{ {ERROR}
  ... on ResourceRetired {{ resource {{ {RESOURCE_FIELDS} }}
    cancelledReservations {{ id status start }} }} }} }}"""
RULES = """rules { slotMinutes bookingHorizonDays deskMaxMinutes roomMaxMinutes deskDailyCapMinutes
  checkInBeforeMinutes checkInAfterMinutes noShowLimit noShowWindowDays suspensionDays }"""
RULES_UPDATE = f"""mutation($space: ID!, $input: MakerSpaceRulesInput!) {{
  makerSpaceRulesUpdate(spaceId: $space, input: $input) {{ {ERROR}
  ... on MakerSpace {{ id opensAt closesAt {RULES} }} }} }}"""
BLOCK_OUT = f"""mutation($id: ID!, $start: DateTime!, $end: DateTime!, $reason: String!) {{
  resourceBlockOut(resourceId: $id, startsAt: $start, endsAt: $end, reason: $reason) {{ {ERROR}
  ... on ResourceBlockedOut {{ blockOut {{ id start end reason removedAt resource {{ id name }} }}
    cancelledReservations {{ id status start }} }} }} }}"""
BLOCK_OUT_REMOVE = f"""mutation($id: ID!) {{ resourceBlockOutRemove(id: $id) {{ {ERROR}
  ... on ResourceBlockOut {{ id removedAt }} }} }}"""
SPACE_RULES = f"{{ makerSpaces {{ id name opensAt closesAt {RULES} resources {{ id name }} }} }}"
RESERVATION = "query($id: ID!) { node(id: $id) { ... on Reservation { status } } }"


@pytest.fixture
async def other_staff(session, settings) -> str:
    """A MAKERSPACE_STAFF of another community (海创社区, which has no maker space)."""
    person = await people_service.add_user(
        session=session,
        phone="17799990001",
        name="海创创客",
        role=Role.MAKERSPACE_STAFF,
        community_name="海创社区",
    )
    await session.commit()
    return TokenService(settings).issue(person)[0]


async def ask(gql, query: str, token: str | None, **variables) -> dict:
    body = await gql(query, variables, token=token)
    assert "errors" not in body, body
    return next(iter(body["data"].values()))


def error_code(body: dict) -> str:
    return body["errors"][0]["extensions"]["code"]


@pytest.fixture(autouse=True)
async def audit_baseline(session) -> None:
    """Audit and inbox rows from before the test (other tests' servers commit some) are not its."""
    session.info["audit_baseline"] = await session.scalar(select(func.coalesce(func.max(AuditLog.id), 0)))
    session.info["inbox_baseline"] = await session.scalar(select(func.coalesce(func.max(Notification.id), 0)))


async def audit_rows(session: AsyncSession, action: str | None = None) -> list[AuditLog]:
    """The audit trail's rows written during this test."""
    stmt = (
        select(AuditLog)
        .where(AuditLog.id > session.info["audit_baseline"])
        .order_by(AuditLog.id)
        .execution_options(populate_existing=True)
    )
    if action is not None:
        stmt = stmt.where(AuditLog.action == action)
    return list(await session.scalars(stmt))


async def statuses(session: AsyncSession, *global_ids: str) -> list[str]:
    ids = [pk_of(gid, "Reservation") for gid in global_ids]
    rows = dict(
        (
            await session.execute(select(Reservation.id, Reservation.status).where(Reservation.id.in_(ids)))
        ).all()
    )
    return [rows[pk] for pk in ids]


async def notifications(session: AsyncSession) -> list[tuple[int, str, str, str]]:
    rows = await session.execute(
        select(Notification.person_id, Notification.kind, Notification.body, Notification.subject_id)
        .where(Notification.id > session.info["inbox_baseline"])
        .order_by(Notification.id)
    )
    return list(rows.all())


async def person_id(session: AsyncSession, index: int) -> int:
    """The id of residents[index] (tests/makerspace/conftest.py)."""
    return await session.scalar(select(Person.id).where(Person.phone == f"1660000{index:04d}"))


async def free_starts(gql, space: dict, resource_id: str, day: datetime) -> list[str]:
    days = await ask(gql, AVAILABILITY, None, id=space["id"], date=day.date().isoformat())
    found = [entry for entry in days if entry["resource"]["id"] == resource_id]
    return [slot["start"][11:16] for slot in found[0]["freeSlots"]] if found else []


DEFAULT_RULES = {
    "slotMinutes": 30,
    "bookingHorizonDays": 7,
    "deskMaxMinutes": 240,
    "roomMaxMinutes": 120,
    "deskDailyCapMinutes": 480,
    "checkInBeforeMinutes": 10,
    "checkInAfterMinutes": 15,
    "noShowLimit": 3,
    "noShowWindowDays": 30,
    "suspensionDays": 7,
}


# ── Who may act ──────────────────────────────────────────────────────────────

REFUSED = {
    None: "UNAUTHENTICATED",
    "RESIDENT": "FORBIDDEN",
    "CARE_STAFF": "FORBIDDEN",
    "CHILDCARE_STAFF": "FORBIDDEN",
    "COMMUNITY_ADMIN": "FORBIDDEN",
    "DEVICE_GATEWAY": "FORBIDDEN",
}


def operations(space: dict) -> dict[str, tuple[str, dict]]:
    desk = space["by_name"][DESK]["id"]
    return {
        "resourceCreate": (CREATE, {"input": {"spaceId": space["id"], "name": "新工位 N01", "kind": "DESK"}}),
        "resourceUpdate": (UPDATE, {"id": desk, "input": {"name": "工位 D12（改）"}}),
        "resourceRetire": (RETIRE, {"id": desk, "reason": "桌面损坏"}),
        "makerSpaceRulesUpdate": (RULES_UPDATE, {"space": space["id"], "input": {"bookingHorizonDays": 3}}),
        "resourceBlockOut": (
            BLOCK_OUT,
            {"id": desk, "start": at(9, day=WEDNESDAY), "end": at(12, day=WEDNESDAY), "reason": "检修"},
        ),
    }


ACTIONS = {
    "resourceCreate": "resource.create",
    "resourceUpdate": "resource.update",
    "resourceRetire": "resource.retire",
    "makerSpaceRulesUpdate": "maker_space.rules_update",
    "resourceBlockOut": "resource.block_out",
}


@pytest.mark.parametrize("actor", ["MAKERSPACE_STAFF", "ADMIN"])
@pytest.mark.parametrize("operation", list(ACTIONS))
async def test_only_the_spaces_staff_and_admin_act_and_a_refusal_writes_nothing(
    operation, actor, gql, space, tokens, other_staff, tuesday_morning, session
):
    query, variables = operations(space)[operation]
    for role, code in REFUSED.items():
        body = await gql(query, variables, token=tokens[role] if role else None)
        assert error_code(body) == code, (role, body)
    refused = await ask(gql, query, other_staff, **variables)
    assert (refused["__typename"], refused["code"]) == ("NotFound", "NOT_FOUND")
    assert await audit_rows(session) == [], "a refusal leaves no audit row"
    nanmu = next(found for found in await ask(gql, SPACE_RULES, None) if found["id"] == space["id"])
    assert nanmu["rules"] == DEFAULT_RULES and nanmu["resources"] == [
        {"id": r["id"], "name": r["name"]} for r in space["resources"]
    ]
    assert await session.scalar(select(func.count()).select_from(ResourceBlockOut)) == 0

    done = await ask(gql, query, tokens[actor], **variables)
    assert done["__typename"] not in ("NotFound", "RuleViolation"), done
    (row,) = await audit_rows(session)
    assert row.action == ACTIONS[operation] and row.community_id is not None
    assert row.request_id is not None and row.actor_id is not None


async def test_block_out_remove_is_for_the_spaces_staff_and_admin(
    gql, space, tokens, other_staff, tuesday_morning, session
):
    desk = space["by_name"][DESK]["id"]
    made = await ask(
        gql,
        BLOCK_OUT,
        tokens["MAKERSPACE_STAFF"],
        id=desk,
        start=at(9, day=WEDNESDAY),
        end=at(10, day=WEDNESDAY),
        reason="检修",
    )
    block_out = made["blockOut"]["id"]
    for role, code in REFUSED.items():
        body = await gql(BLOCK_OUT_REMOVE, {"id": block_out}, token=tokens[role] if role else None)
        assert error_code(body) == code, (role, body)
    assert (await ask(gql, BLOCK_OUT_REMOVE, other_staff, id=block_out))["code"] == "NOT_FOUND"
    assert "09:00" not in await free_starts(gql, space, desk, WEDNESDAY)

    removed = await ask(gql, BLOCK_OUT_REMOVE, tokens["ADMIN"], id=block_out)
    assert removed["__typename"] == "ResourceBlockOut" and removed["removedAt"]
    assert "09:00" in await free_starts(gql, space, desk, WEDNESDAY)
    again = await ask(gql, BLOCK_OUT_REMOVE, tokens["MAKERSPACE_STAFF"], id=block_out)
    assert again["code"] == "BLOCK_OUT_REMOVED"
    actions = [row.action for row in await audit_rows(session) if row.object_id == block_out]
    assert actions == ["resource.block_out", "resource.block_out_remove"]


# ── Resources ────────────────────────────────────────────────────────────────


async def test_a_new_resource_is_bookable_and_each_change_is_audited(
    gql, space, tokens, residents, tuesday_morning, session
):
    staff = tokens["MAKERSPACE_STAFF"]
    made = await ask(
        gql,
        CREATE,
        staff,
        input={
            "spaceId": space["id"],
            "name": "  创客工位 M01 ",
            "kind": "DESK",
            "features": ["POWER", "POWER"],
        },
    )
    assert made["__typename"] == "Resource"
    assert (made["name"], made["capacity"], made["features"], made["active"]) == (
        "创客工位 M01",
        1,
        ["POWER"],
        True,
    )
    assert made["position"] == len(space["resources"])  # after the space's last
    assert "10:00" in await free_starts(gql, space, made["id"], WEDNESDAY)

    changed = await ask(
        gql,
        UPDATE,
        staff,
        id=made["id"],
        input={"kind": "MEETING_ROOM", "capacity": 4, "features": ["SCREEN"]},
    )
    assert (changed["kind"], changed["capacity"], changed["features"], changed["name"]) == (
        "MEETING_ROOM",
        4,
        ["SCREEN"],
        "创客工位 M01",
    )
    booked = await ask(
        gql,
        "mutation($i: ReservationCreateInput!) { reservationCreate(input: $i) { __typename } }",
        residents[0],
        i={
            "resourceId": made["id"],
            "start": at(10, day=WEDNESDAY),
            "end": at(11, day=WEDNESDAY),
            "partySize": 4,
        },
    )
    assert booked["__typename"] == "Reservation"

    create, update = (
        await audit_rows(session, "resource.create"),
        await audit_rows(session, "resource.update"),
    )
    assert [row.object_id for row in create + update] == [made["id"], made["id"]]
    assert create[0].before is None and create[0].after["name"] == "创客工位 M01"
    assert update[0].before["kind"] == "DESK" and update[0].after["kind"] == "MEETING_ROOM"
    assert update[0].after["capacity"] == 4 and update[0].community_id == create[0].community_id is not None


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"name": "   "}, "INVALID_NAME"),
        ({"name": "长" * 101}, "INVALID_NAME"),
        ({"name": ROOM}, "RESOURCE_NAME_TAKEN"),
        ({"capacity": 2}, "INVALID_CAPACITY"),  # a desk seats one
        ({"kind": "MEETING_ROOM", "capacity": 501}, "INVALID_CAPACITY"),
        ({"kind": "MEETING_ROOM", "capacity": 40000}, "INVALID_CAPACITY"),  # beyond a smallint
        ({"kind": "MEETING_ROOM", "capacity": 0}, "INVALID_CAPACITY"),
        ({"position": -1}, "INVALID_POSITION"),
        ({"position": 10000}, "INVALID_POSITION"),
        ({"name": "新名字", "position": 99999}, "INVALID_POSITION"),
    ],
)
async def test_a_refused_resource_change_changes_nothing(
    change, code, gql, space, tokens, tuesday_morning, session
):
    desk = space["by_name"][DESK]
    for query, variables in (
        (UPDATE, {"id": desk["id"], "input": change}),
        (CREATE, {"input": {"spaceId": space["id"], "name": "新工位 X", "kind": "DESK"} | change}),
    ):
        answer = await ask(gql, query, tokens["MAKERSPACE_STAFF"], **variables)
        assert (answer["__typename"], answer["code"]) == ("RuleViolation", code), (query, answer)
    node = await ask(
        gql, f'{{ node(id: "{desk["id"]}") {{ ... on Resource {{ name kind capacity position }} }} }}', None
    )
    assert node == {"name": DESK, "kind": "DESK", "capacity": 1, "position": space["resources"].index(desk)}
    assert await session.scalar(select(func.count()).select_from(Resource)) == len(space["resources"])
    assert await audit_rows(session) == []


async def test_retiring_cancels_what_is_not_yet_used_tells_each_holder_and_lets_the_checked_in_finish(
    gql, space, tokens, residents, booker, tuesday_morning, session
):
    staff = tokens["MAKERSPACE_STAFF"]
    desk = space["by_name"][DESK]["id"]
    now_used = await booker.create(residents[0], DESK, at(8, 30), at(9, 30))
    later = await booker.create(residents[1], DESK, at(10), at(11, 30))
    tomorrow = await booker.create(residents[2], DESK, at(14, day=WEDNESDAY), at(15, day=WEDNESDAY))
    withdrawn = await booker.create(residents[3], DESK, at(16), at(17))
    assert (await booker.cancel(residents[3], withdrawn["id"]))["status"] == "CANCELLED"
    elsewhere = await booker.create(residents[4], "工位 D13", at(10), at(11))
    tuesday_morning.now = TUESDAY.replace(hour=8, minute=35)
    code = (await booker.code(staff))["code"]
    assert (await booker.check_in(residents[0], now_used["id"], code))["status"] == "CHECKED_IN"
    tuesday_morning.now = TUESDAY.replace(hour=8, minute=40)

    retired = await ask(gql, RETIRE, staff, id=desk, reason="  桌面损坏 ")

    assert retired["__typename"] == "ResourceRetired"
    assert retired["resource"]["active"] is False and retired["resource"]["retiredAt"].startswith(
        "2026-12-01T08:40"
    )
    assert [r["id"] for r in retired["cancelledReservations"]] == [later["id"], tomorrow["id"]]
    assert await statuses(
        session, now_used["id"], later["id"], tomorrow["id"], withdrawn["id"], elsewhere["id"]
    ) == [
        "CHECKED_IN",
        "CANCELLED",
        "CANCELLED",
        "CANCELLED",
        "CONFIRMED",
    ]
    told = await notifications(session)
    assert sorted(row[0] for row in told) == sorted(
        [await person_id(session, 1), await person_id(session, 2)]
    )
    for _person, kind, body, subject in told:
        assert kind == "RESERVATION_CANCELLED" and subject == desk
        assert DESK in body and "12月01日 08:40" in body and "桌面损坏" in body
    (row,) = await audit_rows(session, "resource.retire")
    assert row.before["active"] is True and row.after["active"] is False
    assert row.after["retiredReason"] == "桌面损坏"
    assert row.after["cancelledReservations"] == [later["id"], tomorrow["id"]]

    # Gone from the space and its free slots, never bookable again, and not to be changed.
    spaces = await ask(gql, SPACE_RULES, None)
    assert desk not in {r["id"] for s in spaces for r in s["resources"]}
    assert await free_starts(gql, space, desk, WEDNESDAY) == []
    assert (await booker.create(residents[1], DESK, at(18), at(19)))["code"] == "NOT_FOUND"
    for query, variables in (
        (RETIRE, {"id": desk, "reason": "再次"}),
        (UPDATE, {"id": desk, "input": {"name": "复活"}}),
        (BLOCK_OUT, {"id": desk, "start": at(18), "end": at(19), "reason": "检修"}),
    ):
        assert (await ask(gql, query, staff, **variables))["code"] == "RESOURCE_RETIRED"
    assert len(await audit_rows(session, "resource.retire")) == 1


async def test_the_database_itself_refuses_a_reservation_of_a_retired_resource(
    gql, space, tokens, tuesday_morning, session
):
    desk = space["by_name"][DESK]
    assert (await ask(gql, RETIRE, tokens["ADMIN"], id=desk["id"], reason="报废"))[
        "__typename"
    ] == "ResourceRetired"
    resource_id = await session.scalar(select(Resource.id).where(Resource.name == DESK))
    holder = await session.scalar(select(Person.id).limit(1))
    with pytest.raises(Exception, match=r"resource_retired|is retired"):
        async with session.begin_nested():
            await session.execute(
                text(
                    "INSERT INTO reservations (resource_id, space_id, person_id, period) "
                    "SELECT id, space_id, :person, tstzrange(:start, :end, '[)') "
                    "FROM resources WHERE id = :id"
                ),
                {
                    "person": holder,
                    "id": resource_id,
                    "start": WEDNESDAY.replace(hour=10),
                    "end": WEDNESDAY.replace(hour=11),
                },
            )


async def test_a_retire_reason_is_required(gql, space, tokens, tuesday_morning, session):
    desk = space["by_name"][DESK]["id"]
    for reason in ("", "   ", "长" * 201):
        assert (await ask(gql, RETIRE, tokens["MAKERSPACE_STAFF"], id=desk, reason=reason))[
            "code"
        ] == "REASON_REQUIRED"
    assert desk in {r["id"] for s in await ask(gql, SPACE_RULES, None) for r in s["resources"]}
    assert await audit_rows(session, "resource.retire") == []


# ── Block-outs ───────────────────────────────────────────────────────────────


async def test_a_block_out_cancels_the_reservations_it_covers_and_frees_its_time_again_when_removed(
    gql, space, tokens, residents, booker, tuesday_morning, session
):
    staff = tokens["MAKERSPACE_STAFF"]
    desk = space["by_name"][DESK]["id"]
    covered = await booker.create(residents[0], DESK, at(10, day=WEDNESDAY), at(11, day=WEDNESDAY))
    partly = await booker.create(residents[1], DESK, at(11, 30, day=WEDNESDAY), at(12, 30, day=WEDNESDAY))
    outside = await booker.create(residents[2], DESK, at(13, day=WEDNESDAY), at(14, day=WEDNESDAY))
    other_desk = await booker.create(residents[3], "工位 D13", at(10, day=WEDNESDAY), at(11, day=WEDNESDAY))

    made = await ask(
        gql,
        BLOCK_OUT,
        staff,
        id=desk,
        start=at(10, 30, day=WEDNESDAY),
        end=at(12, day=WEDNESDAY),
        reason="更换显示器",
    )

    assert made["__typename"] == "ResourceBlockedOut"
    assert made["blockOut"]["resource"]["id"] == desk and made["blockOut"]["reason"] == "更换显示器"
    assert [r["id"] for r in made["cancelledReservations"]] == [covered["id"], partly["id"]]
    assert await statuses(session, covered["id"], partly["id"], outside["id"], other_desk["id"]) == [
        "CANCELLED",
        "CANCELLED",
        "CONFIRMED",
        "CONFIRMED",
    ]
    told = await notifications(session)
    assert sorted(row[0] for row in told) == sorted(
        [await person_id(session, 0), await person_id(session, 1)]
    )
    for _person, kind, body, subject in told:
        assert kind == "RESERVATION_CANCELLED" and subject == desk
        assert DESK in body and "12月02日 10:30" in body and "12月02日 12:00" in body and "更换显示器" in body
    (row,) = await audit_rows(session, "resource.block_out")
    assert row.object_id == made["blockOut"]["id"]
    assert row.after["cancelledReservations"] == [covered["id"], partly["id"]]

    free = await free_starts(gql, space, desk, WEDNESDAY)
    assert "10:00" in free  # the cancelled reservation's time before the block-out is free again
    assert not {"10:30", "11:00", "11:30"} & set(free) and "13:00" not in free and "12:00" in free
    taken = await booker.create(residents[4], DESK, at(11, day=WEDNESDAY), at(11, 30, day=WEDNESDAY))
    assert (taken["__typename"], taken["code"]) == ("SlotTaken", "SLOT_TAKEN")

    removed = await ask(gql, BLOCK_OUT_REMOVE, staff, id=made["blockOut"]["id"])
    assert removed["removedAt"]
    assert {"10:30", "11:00", "11:30"} <= set(await free_starts(gql, space, desk, WEDNESDAY))
    assert (await booker.create(residents[4], DESK, at(11, day=WEDNESDAY), at(11, 30, day=WEDNESDAY)))[
        "__typename"
    ] == "Reservation"
    # What was cancelled stays cancelled.
    assert await statuses(session, covered["id"]) == ["CANCELLED"]


async def test_a_refused_block_out_cancels_nothing_and_tells_no_one(
    gql, space, tokens, residents, booker, tuesday_morning, session
):
    staff = tokens["MAKERSPACE_STAFF"]
    desk = space["by_name"][DESK]["id"]
    under_way = await booker.create(residents[0], DESK, at(8, 30), at(9, 30))
    waiting = await booker.create(residents[1], DESK, at(9, 30), at(10, 30))
    tuesday_morning.now = TUESDAY.replace(hour=8, minute=35)
    code = (await booker.code(staff))["code"]
    assert (await booker.check_in(residents[0], under_way["id"], code))["status"] == "CHECKED_IN"
    first = await ask(gql, BLOCK_OUT, staff, id=desk, start=at(14), end=at(16), reason="检修")
    assert first["__typename"] == "ResourceBlockedOut"
    baseline = len(await audit_rows(session))

    refusals = [
        ({"start": at(9), "end": at(11)}, "RESOURCE_IN_USE"),  # the checked-in one (and `waiting`)
        ({"start": at(10), "end": at(15)}, "BLOCK_OUT_OVERLAPS"),  # `waiting` and the first block-out
        ({"start": at(11), "end": at(10)}, "INVALID_PERIOD"),
        ({"start": at(10), "end": at(10)}, "INVALID_PERIOD"),
        ({"start": at(7), "end": at(8, 30)}, "IN_THE_PAST"),
        ({"start": at(10), "end": at(11), "reason": " "}, "REASON_REQUIRED"),
    ]
    for window, expected in refusals:
        variables = {"id": desk, "reason": "检修"} | window
        answer = await ask(gql, BLOCK_OUT, staff, **variables)
        assert (answer["__typename"], answer["code"]) == ("RuleViolation", expected), (window, answer)

    assert await statuses(session, under_way["id"], waiting["id"]) == ["CHECKED_IN", "CONFIRMED"]
    assert await notifications(session) == []
    assert len(await audit_rows(session)) == baseline
    assert await session.scalar(select(func.count()).select_from(ResourceBlockOut)) == 1


async def test_a_block_out_that_is_over_cannot_be_removed(gql, space, tokens, tuesday_morning):
    made = await ask(
        gql,
        BLOCK_OUT,
        tokens["MAKERSPACE_STAFF"],
        id=space["by_name"][DESK]["id"],
        start=at(9),
        end=at(10),
        reason="检修",
    )
    tuesday_morning.now = TUESDAY.replace(hour=10)
    answer = await ask(gql, BLOCK_OUT_REMOVE, tokens["MAKERSPACE_STAFF"], id=made["blockOut"]["id"])
    assert answer["code"] == "IN_THE_PAST"


# ── Rules ────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"opensAt": "22:00"}, "INVALID_OPENING_HOURS"),
        ({"closesAt": "08:00"}, "INVALID_OPENING_HOURS"),
        ({"opensAt": "8:30"}, "INVALID_OPENING_HOURS"),
        ({"opensAt": "24:00"}, "INVALID_OPENING_HOURS"),
        ({"opensAt": "08:45"}, "HOURS_NOT_ON_SLOTS"),
        ({"slotMinutes": 45}, "HOURS_NOT_ON_SLOTS"),  # 08:30 is no multiple of 45 minutes
        ({"slotMinutes": 0}, "INVALID_SLOT_MINUTES"),
        ({"slotMinutes": 7}, "INVALID_SLOT_MINUTES"),
        ({"slotMinutes": 480}, "INVALID_SLOT_MINUTES"),
        ({"slotMinutes": 40000}, "INVALID_SLOT_MINUTES"),
        ({"bookingHorizonDays": -1}, "INVALID_BOOKING_HORIZON"),
        ({"bookingHorizonDays": 91}, "INVALID_BOOKING_HORIZON"),
        ({"deskMaxMinutes": 0}, "INVALID_DESK_MAX_MINUTES"),
        ({"deskMaxMinutes": 1441}, "INVALID_DESK_MAX_MINUTES"),
        ({"roomMaxMinutes": 0}, "INVALID_ROOM_MAX_MINUTES"),
        ({"deskDailyCapMinutes": 2000}, "INVALID_DESK_DAILY_CAP"),
        ({"checkInBeforeMinutes": -5}, "INVALID_CHECK_IN_BEFORE"),
        ({"checkInAfterMinutes": 0}, "INVALID_CHECK_IN_AFTER"),
        ({"noShowLimit": 0}, "INVALID_NO_SHOW_LIMIT"),
        ({"noShowWindowDays": 366}, "INVALID_NO_SHOW_WINDOW"),
        ({"suspensionDays": -1}, "INVALID_SUSPENSION_DAYS"),
        ({"checkInStepSeconds": 5}, "INVALID_CHECK_IN_STEP"),
        ({"checkInStepSeconds": -40000}, "INVALID_CHECK_IN_STEP"),
        # One bad rule among good ones: none of them changes.
        ({"bookingHorizonDays": 14, "deskMaxMinutes": 180, "noShowLimit": 101}, "INVALID_NO_SHOW_LIMIT"),
    ],
)
async def test_each_rule_is_checked_and_a_refused_change_changes_nothing(
    change, code, gql, space, tokens, session
):
    answer = await ask(gql, RULES_UPDATE, tokens["MAKERSPACE_STAFF"], space=space["id"], input=change)
    assert (answer["__typename"], answer["code"]) == ("RuleViolation", code), answer
    nanmu = next(found for found in await ask(gql, SPACE_RULES, None) if found["id"] == space["id"])
    assert (nanmu["opensAt"], nanmu["closesAt"], nanmu["rules"]) == ("08:30", "21:30", DEFAULT_RULES)
    assert await audit_rows(session, "maker_space.rules_update") == []


async def test_a_rules_change_changes_only_what_is_given_and_the_rules_apply_at_once(
    gql, space, tokens, residents, booker, tuesday_morning, session
):
    changed = await ask(
        gql,
        RULES_UPDATE,
        tokens["ADMIN"],
        space=space["id"],
        input={
            "opensAt": "08:00",
            "closesAt": "21:00",
            "slotMinutes": 60,
            "bookingHorizonDays": 1,
            "checkInStepSeconds": 30,
        },
    )
    assert (changed["opensAt"], changed["closesAt"]) == ("08:00", "21:00")
    assert changed["rules"] == DEFAULT_RULES | {"slotMinutes": 60, "bookingHorizonDays": 1}
    starts = await free_starts(gql, space, space["by_name"][DESK]["id"], WEDNESDAY)
    assert starts[:3] == ["08:00", "09:00", "10:00"] and starts[-1] == "20:00"
    assert (await booker.create(residents[0], DESK, at(10, day=WEDNESDAY), at(10, 30, day=WEDNESDAY)))[
        "code"
    ] == "NOT_SLOT_ALIGNED"
    thursday = WEDNESDAY + timedelta(days=1)
    assert (await booker.create(residents[0], DESK, at(10, day=thursday), at(11, day=thursday)))[
        "code"
    ] == "TOO_FAR_AHEAD"

    (row,) = await audit_rows(session, "maker_space.rules_update")
    assert row.object_id == space["id"]
    assert (row.before["opensAt"], row.before["slotMinutes"], row.before["checkInStepSeconds"]) == (
        "08:30",
        30,
        60,
    )
    assert (row.after["opensAt"], row.after["slotMinutes"], row.after["checkInStepSeconds"]) == (
        "08:00",
        60,
        30,
    )


# ── Races, over real connections ─────────────────────────────────────────────

RACE_DESK = "工位 D15"
RESERVE = """mutation($input: ReservationCreateInput!) { reservationCreate(input: $input) { __typename
  ... on Reservation { id } ... on DomainError { code } } }"""
RACE_BLOCK = """mutation($id: ID!, $start: DateTime!, $end: DateTime!) {
  resourceBlockOut(resourceId: $id, startsAt: $start, endsAt: $end, reason: "并发检修") { __typename
  ... on ResourceBlockedOut { cancelledReservations { id } } ... on DomainError { code } } }"""
RACE_RETIRE = """mutation($id: ID!) { resourceRetire(id: $id, reason: "并发报废") { __typename
  ... on ResourceRetired { cancelledReservations { id } } ... on DomainError { code } } }"""
ROUNDS = 10


@pytest.fixture
async def racers(engine, settings):
    """A committed staff member of the Nanmu space and one resident per round; removed afterwards
    with what they made (the audit trail keeps its rows, as it must)."""
    service = TokenService(settings)
    async with engine.begin() as connection:
        session = AsyncSession(bind=connection)
        staff = await people_service.add_user(
            session=session,
            phone="15600009999",
            name="并发创客",
            role=Role.MAKERSPACE_STAFF,
            community_name="南睦未来社区",
        )
        people = [
            await people_service.add_user(
                session=session, phone=f"1560000{index:04d}", name=f"并发居民{index}", role=Role.RESIDENT
            )
            for index in range(ROUNDS)
        ]
        desk = await session.scalar(select(Resource.id).where(Resource.name == RACE_DESK))
        tokens = [service.issue(person)[0] for person in people]
        staff_token = service.issue(staff)[0]
        ids = [person.id for person in people] + [staff.id]
    yield staff_token, tokens, desk
    async with engine.begin() as connection:
        await connection.execute(delete(ResourceBlockOut).where(ResourceBlockOut.resource_id == desk))
        await connection.execute(delete(Reservation).where(Reservation.person_id.in_(ids)))
        await connection.execute(delete(Notification).where(Notification.person_id.in_(ids)))
        await connection.execute(
            text(
                "UPDATE resources SET active = true, retired_at = NULL, retired_reason = NULL WHERE id = :id"
            ),
            {"id": desk},
        )
        await connection.execute(delete(Person).where(Person.id.in_(ids)))


async def post(client: httpx.AsyncClient, query: str, token: str, **variables) -> dict:
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return next(iter(body["data"].values()))


async def later(milliseconds: int, work):
    await asyncio.sleep(milliseconds / 1000)
    return await work


def day_after_tomorrow(hour: int) -> str:
    day = datetime.now(SHANGHAI).date() + timedelta(days=2)
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI).isoformat()


async def test_a_reservation_and_a_block_out_racing_never_both_hold_the_time(live_server, racers, engine):
    staff, residents, desk = racers
    desk_id = encode_global_id("Resource", desk)
    shapes = []
    async with httpx.AsyncClient(base_url=f"http://{live_server}", timeout=60) as client:
        for round_, resident in enumerate(residents):
            start, end = day_after_tomorrow(9 + round_), day_after_tomorrow(10 + round_)
            reservation = {"resourceId": desk_id, "start": start, "end": end}
            # The block-out leaves a little later each round (0–45 ms), so that it meets the
            # reservation at every stage: not yet sent, under way, committed.
            made, blocked = await asyncio.gather(
                post(client, RESERVE, resident, input=reservation),
                later(round_ * 5, post(client, RACE_BLOCK, staff, id=desk_id, start=start, end=end)),
            )
            # The block-out always stands: it waits for a reservation under way and cancels it, or
            # the reservation, coming after, meets it.
            assert blocked["__typename"] == "ResourceBlockedOut", blocked
            cancelled = [r["id"] for r in blocked["cancelledReservations"]]
            if made["__typename"] == "Reservation":
                assert cancelled == [made["id"]], (made, blocked)
                shapes.append("reserved, then cancelled by the block-out")
            else:
                assert (made["__typename"], made["code"], cancelled) == ("SlotTaken", "SLOT_TAKEN", []), made
                shapes.append("refused: SlotTaken")
    print(
        f"\n{ROUNDS} races of a reservation and a block-out: "
        f"{ {shape: shapes.count(shape) for shape in set(shapes)} }"
    )
    async with engine.connect() as connection:
        both = await connection.scalar(
            text(
                "SELECT count(*) FROM reservations r "
                "JOIN resource_block_outs b ON b.resource_id = r.resource_id "
                "AND b.period && r.period AND b.removed_at IS NULL "
                "WHERE r.resource_id = :desk AND r.status IN ('CONFIRMED', 'CHECKED_IN')"
            ),
            {"desk": desk},
        )
        told = await connection.scalar(
            text(
                "SELECT count(*) FROM notifications "
                "WHERE kind = 'RESERVATION_CANCELLED' AND subject_id = :desk"
            ),
            {"desk": desk_id},
        )
    assert both == 0
    assert told == shapes.count("reserved, then cancelled by the block-out")


async def test_a_reservation_racing_a_retirement_never_survives_it(live_server, racers, engine):
    staff, residents, desk = racers
    desk_id = encode_global_id("Resource", desk)
    async with httpx.AsyncClient(base_url=f"http://{live_server}", timeout=60) as client:
        answers = await asyncio.gather(
            *(
                post(
                    client,
                    RESERVE,
                    resident,
                    input={
                        "resourceId": desk_id,
                        "start": day_after_tomorrow(9 + n),
                        "end": day_after_tomorrow(10 + n),
                    },
                )
                for n, resident in enumerate(residents)
            ),
            post(client, RACE_RETIRE, staff, id=desk_id),
        )
    *made, retired = answers
    assert retired["__typename"] == "ResourceRetired", retired
    kept = {answer["id"] for answer in made if answer["__typename"] == "Reservation"}
    assert {r["id"] for r in retired["cancelledReservations"]} == kept
    assert all(answer["__typename"] in ("Reservation", "NotFound") for answer in made), made
    print(
        f"\nretire racing {ROUNDS} reservations: {len(kept)} made then cancelled, "
        f"{ROUNDS - len(kept)} refused"
    )
    async with engine.connect() as connection:
        active = await connection.scalar(
            text(
                "SELECT count(*) FROM reservations "
                "WHERE resource_id = :desk AND status IN ('CONFIRMED', 'CHECKED_IN')"
            ),
            {"desk": desk},
        )
    assert active == 0
