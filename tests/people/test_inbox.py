"""A person's inbox (#17): `myNotifications` pages newest first with the unread count,
`notificationsMarkRead` marks only one's own, and `myNotificationEvents` delivers each row as it
commits — in id order, none missed even when transactions commit out of the order they wrote."""

import asyncio
import json
import random

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from websockets.asyncio.client import connect

from models.audit import AuditLog
from models.notifications import Notification, NotificationKind
from models.people import Person, Role
from resolvers import notifications
from resolvers import people as people_service
from schema.common import encode_global_id
from server.auth import TokenService

INBOX = """query($first: Int, $after: String, $unread: Boolean) {
  myNotifications(first: $first, after: $after, unreadOnly: $unread) {
    unreadCount edges { cursor node { id kind title body subjectId createdAt readAt } }
    pageInfo { hasNextPage hasPreviousPage endCursor } } }"""
MARK = """mutation($ids: [ID!], $all: Boolean) { notificationsMarkRead(ids: $ids, all: $all) { __typename
  ... on NotificationsMarked { marked unreadCount } ... on DomainError { code message } } }"""
EVENTS = (
    "subscription($after: ID) { myNotificationEvents(after: $after) { id kind title body subjectId readAt } }"
)


async def tell(session: AsyncSession, people: list[int], number: int) -> None:
    await notifications.notify(
        session=session,
        person_ids=people,
        kind=NotificationKind.RESERVATION_CANCELLED,
        title=f"预约已取消 {number}",
        body=f"工位 A{number} 停用，您的预约已取消。",
        subject_id=encode_global_id("Reservation", number),
    )


@pytest.fixture
async def inbox(session, settings):
    """Two residents, their tokens, and notifications: five for 甲 (the third also for 乙), one for 乙."""
    service = TokenService(settings)
    people = [
        await people_service.add_user(
            session=session, phone=phone, name=name, role=Role.RESIDENT, community_name="南睦未来社区"
        )
        for phone, name in (("13911110001", "收件人甲"), ("13911110002", "收件人乙"))
    ]
    first, second = (person.id for person in people)
    for number in range(1, 6):
        await tell(session, [first, second] if number == 3 else [first], number)
    await tell(session, [second], 6)
    await session.commit()
    ids = (await session.scalars(select(Notification.id).where(Notification.person_id == first))).all()
    theirs = await session.scalar(select(Notification.id).where(Notification.person_id == second))
    return {
        "tokens": [service.issue(person)[0] for person in people],
        "people": (first, second),
        "mine": sorted(ids, reverse=True),  # newest first, as the inbox lists them
        "theirs": theirs,
    }


def gid(pk: int) -> str:
    return encode_global_id("Notification", pk)


async def test_the_inbox_pages_newest_first_with_the_unread_count_and_only_ones_own(gql, inbox):
    token = inbox["tokens"][0]
    seen, after = [], None
    for expected_size, more in ((2, True), (2, True), (1, False)):
        page = (await gql(INBOX, {"first": 2, "after": after}, token=token))["data"]["myNotifications"]
        assert len(page["edges"]) == expected_size and page["pageInfo"]["hasNextPage"] is more
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        assert page["unreadCount"] == 5
        seen += [edge["node"] for edge in page["edges"]]
        after = page["pageInfo"]["endCursor"]
    assert [node["id"] for node in seen] == [gid(pk) for pk in inbox["mine"]]
    assert [node["title"] for node in seen] == [f"预约已取消 {n}" for n in (5, 4, 3, 2, 1)]
    newest = seen[0]
    assert newest["kind"] == "RESERVATION_CANCELLED" and newest["readAt"] is None
    assert newest["subjectId"] == encode_global_id("Reservation", 5) and "A5" in newest["body"]

    # 乙 sees only theirs: the shared third and their own
    other = (await gql(INBOX, {"first": 20}, token=inbox["tokens"][1]))["data"]["myNotifications"]
    assert [edge["node"]["title"] for edge in other["edges"]] == ["预约已取消 6", "预约已取消 3"]
    assert other["unreadCount"] == 2

    # Signed out: refused; a cursor this server did not make: BAD_REQUEST
    anonymous = await gql(INBOX, {"first": 2})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    forged = await gql(INBOX, {"first": 2, "after": "bm90LWEtY3Vyc29y"}, token=token)
    assert forged["errors"][0]["extensions"]["reason"] == "INVALID_CURSOR"


async def test_marking_read_touches_only_ones_own_and_keeps_the_first_reading(gql, inbox, session):
    token = inbox["tokens"][0]
    newest, second, *rest = inbox["mine"]

    marked = (await gql(MARK, {"ids": [gid(newest), gid(second)]}, token=token))["data"]
    assert marked["notificationsMarkRead"] == {
        "__typename": "NotificationsMarked",
        "marked": 2,
        "unreadCount": 3,
    }
    first_read = {
        edge["node"]["id"]: edge["node"]["readAt"]
        for edge in (await gql(INBOX, {"first": 20}, token=token))["data"]["myNotifications"]["edges"]
    }
    assert first_read[gid(newest)] is not None and first_read[gid(rest[0])] is None

    # Again: nothing more is marked and the first reading time stays
    again = (await gql(MARK, {"ids": [gid(newest)]}, token=token))["data"]["notificationsMarkRead"]
    assert again == {"__typename": "NotificationsMarked", "marked": 0, "unreadCount": 3}
    unread = (await gql(INBOX, {"first": 20, "unread": True}, token=token))["data"]["myNotifications"]
    assert [edge["node"]["id"] for edge in unread["edges"]] == [gid(pk) for pk in rest]
    after = (await gql(INBOX, {"first": 20}, token=token))["data"]["myNotifications"]["edges"]
    assert {edge["node"]["id"]: edge["node"]["readAt"] for edge in after} == first_read

    # Someone else's id among one's own: NOT_FOUND, and one's own named beside it stays unread
    refused = await gql(MARK, {"ids": [gid(rest[0]), gid(inbox["theirs"])]}, token=token)
    assert refused["data"]["notificationsMarkRead"]["code"] == "NOT_FOUND"
    # Neither or both of ids and all, an empty list, more than 100: MARK_READ_TARGET
    for variables in ({}, {"ids": [gid(rest[0])], "all": True}, {"ids": []}, {"ids": [gid(rest[0])] * 101}):
        answer = (await gql(MARK, variables, token=token))["data"]["notificationsMarkRead"]
        assert answer["code"] == "MARK_READ_TARGET", variables
    bad = await gql(MARK, {"ids": ["not-an-id"]}, token=token)
    assert bad["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert (await gql(MARK, {"all": True}))["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    still = (await gql(INBOX, {"first": 20, "unread": True}, token=token))["data"]["myNotifications"]
    assert still["unreadCount"] == 3

    # All: the rest; the other person's stay unread
    everything = (await gql(MARK, {"all": True}, token=token))["data"]["notificationsMarkRead"]
    assert everything == {"__typename": "NotificationsMarked", "marked": 3, "unreadCount": 0}
    theirs = (await gql(INBOX, {"first": 20}, token=inbox["tokens"][1]))["data"]["myNotifications"]
    assert theirs["unreadCount"] == 2

    # One audit row for each marking that changed something (two), none for the others
    first, _ = inbox["people"]
    audited = await session.scalars(
        select(AuditLog.after).where(
            AuditLog.action == "notification.mark_read",
            AuditLog.object_id == encode_global_id("Person", first),
        )
    )
    assert sorted(row["marked"] for row in audited) == [2, 3]


@pytest.fixture
async def committed_people(engine, settings):
    """Two residents committed (a served app reads with its own connections); removed after, with
    their notifications."""
    service = TokenService(settings)
    async with engine.begin() as connection:
        session = AsyncSession(bind=connection)
        people = [
            await people_service.add_user(
                session=session, phone=phone, name=name, role=Role.RESIDENT, community_name="南睦未来社区"
            )
            for phone, name in (("13911120001", "订阅人甲"), ("13911120002", "订阅人乙"))
        ]
        found = [(person.id, service.issue(person)[0]) for person in people]
    yield found
    async with engine.begin() as connection:
        ids = [pk for pk, _ in found]
        await connection.execute(delete(Notification).where(Notification.person_id.in_(ids)))
        await connection.execute(delete(Person).where(Person.id.in_(ids)))


async def receive(socket, seconds: float = 10) -> dict:
    return json.loads(await asyncio.wait_for(socket.recv(), timeout=seconds))


async def test_the_live_inbox_delivers_each_commit_in_order_and_only_ones_own(
    engine, live_server, committed_people
):
    (mine, token), (theirs, _) = committed_people
    init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
    async with connect(f"ws://{live_server}/graphql", subprotocols=["graphql-transport-ws"]) as socket:
        await socket.send(json.dumps(init))
        assert (await receive(socket))["type"] == "connection_ack"
        await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": EVENTS}}))
        await asyncio.sleep(0.5)  # the subscription is placed

        # Twenty transactions at once, each writing for 甲 and 乙 or for 乙 alone; the ones that write
        # first commit last, so without ordering a reader that saw a later id would skip an earlier one
        async def write(number: int) -> None:
            async with engine.connect() as connection:
                async with connection.begin():
                    session = AsyncSession(bind=connection)
                    await tell(session, [mine, theirs] if number % 4 else [theirs], number)
                    await asyncio.sleep(random.uniform(0.05, 0.3) if number % 2 else 0)

        random.seed(17)
        await asyncio.gather(*(write(number) for number in range(1, 21)))
        async with engine.connect() as connection:
            expected = (
                await connection.scalars(
                    select(Notification.id).where(Notification.person_id == mine).order_by(Notification.id)
                )
            ).all()
        assert len(expected) == 15

        received = []
        while len(received) < len(expected):
            message = await receive(socket)
            assert message["type"] == "next" and "errors" not in message["payload"], message
            received.append(message["payload"]["data"]["myNotificationEvents"])
        assert [event["id"] for event in received] == [gid(pk) for pk in expected]
        assert all(event["kind"] == "RESERVATION_CANCELLED" and event["readAt"] is None for event in received)

        # Nothing of 乙's alone follows
        with pytest.raises(TimeoutError):
            await receive(socket, seconds=1.0)
        async with engine.connect() as connection:
            total = await connection.scalar(
                select(func.count()).select_from(Notification).where(Notification.person_id == theirs)
            )
        assert total == 20

    # A phone that reconnects after the fifth gets the ten after it first, in order
    async with connect(f"ws://{live_server}/graphql", subprotocols=["graphql-transport-ws"]) as socket:
        await socket.send(json.dumps(init))
        assert (await receive(socket))["type"] == "connection_ack"
        variables = {"after": gid(expected[4])}
        payload = {"query": EVENTS, "variables": variables}
        await socket.send(json.dumps({"id": "2", "type": "subscribe", "payload": payload}))
        replayed = [
            (await receive(socket))["payload"]["data"]["myNotificationEvents"]["id"] for _ in range(10)
        ]
        assert replayed == [gid(pk) for pk in expected[5:]]
        with pytest.raises(TimeoutError):
            await receive(socket, seconds=0.5)
