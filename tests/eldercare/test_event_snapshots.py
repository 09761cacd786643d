"""An event of the live feed shows the alert as it was at that event, replayed or live (#15): a
replayed OPENED event used to say RESOLVED, the alert as it is now."""

import asyncio
import contextlib
import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from websockets.asyncio.client import connect

from models.eldercare import CareAlertEvent
from server.jobs import run_jobs_once
from server.pubsub import AlertFeed, Subscriber
from tests.conftest import running_server
from tests.eldercare.conftest import WEDNESDAY_10, reading

EVENTS = """subscription($after: Int) { careAlertEvents(afterSequence: $after) {
  sequence type at
  alert { id status severity count escalationLevel summary lastSeenAt
          acknowledgedAt acknowledgedBy { name } resolvedAt resolvedBy { name } resolutionNote } } }"""
ACK = "mutation($id: ID!) { careAlertAcknowledge(id: $id) { __typename } }"
RESOLVE = 'mutation($id: ID!) { careAlertResolve(id: $id, note: "已上门查看") { __typename } }'


class SteppedFeed(AlertFeed):
    """The app's feed, woken by the test (its changes are never committed, so no NOTIFY goes out),
    and telling when its subscriber has sent all it had and waits: only then may the test use the
    one connection they share."""

    def __init__(self, database_url: str) -> None:
        super().__init__(database_url, poll_seconds=3600)
        self.caught_up = asyncio.Event()

    async def wait(self, subscriber: Subscriber) -> None:
        self.caught_up.set()
        await super().wait(subscriber)

    async def settled(self) -> None:
        await asyncio.wait_for(self.caught_up.wait(), 5)

    def poke(self) -> None:
        self.caught_up.clear()
        # Since the inbox (f95f9e1) the feed keeps its subscribers per channel.
        for subscriber in [subscriber for waiting in self.subscribers.values() for subscriber in waiting]:
            subscriber.wake()


@pytest.fixture
async def feed(app, settings):
    stepped = SteppedFeed(settings.database_url)
    app.state.services.alert_feed = stepped
    yield stepped
    await stepped.close()


@contextlib.asynccontextmanager
async def subscribed(app, feed: SteppedFeed, token: str, after: int):
    async with running_server(app) as address:
        async with connect(f"ws://{address}/graphql", subprotocols=["graphql-transport-ws"]) as socket:
            await socket.send(
                json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
            )
            assert json.loads(await asyncio.wait_for(socket.recv(), 5))["type"] == "connection_ack"
            payload = {"query": EVENTS, "variables": {"after": after}}
            await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
            yield socket
            await feed.settled()  # closing mid-statement would break the shared connection


async def delivered(socket, feed: SteppedFeed) -> list[dict]:
    """Every event the subscriber sends until it has nothing more and waits."""
    received = []
    while True:
        try:
            message = json.loads(await asyncio.wait_for(socket.recv(), 0.2))
        except TimeoutError:
            if feed.caught_up.is_set():
                return received
            continue
        assert message["type"] == "next" and "errors" not in message["payload"], message
        received.append(message["payload"]["data"]["careAlertEvents"])


def as_shown(events: list[dict], alert_id: str) -> list[tuple]:
    return [
        (
            event["type"],
            event["alert"]["status"],
            event["alert"]["severity"],
            event["alert"]["count"],
            event["alert"]["escalationLevel"],
            event["alert"]["summary"],
            event["alert"]["acknowledgedBy"] and event["alert"]["acknowledgedBy"]["name"],
            event["alert"]["acknowledgedAt"] and datetime.fromisoformat(event["alert"]["acknowledgedAt"]),
            event["alert"]["resolvedAt"] and datetime.fromisoformat(event["alert"]["resolvedAt"]),
            event["alert"]["resolutionNote"],
        )
        for event in events
        if event["alert"]["id"] == alert_id
    ]


ACKED, DONE = WEDNESDAY_10 + timedelta(minutes=32), WEDNESDAY_10 + timedelta(minutes=35)
# What each event of the alert's life must show: the alert as it was then.
HISTORY = [
    ("OPENED", "OPEN", "WARNING", 1, 0, "血氧饱和度异常：93 %", None, None, None, None),
    ("ESCALATED", "OPEN", "WARNING", 1, 1, "血氧饱和度异常：93 %", None, None, None, None),
    ("UPDATED", "OPEN", "CRITICAL", 2, 1, "血氧饱和度危急：90 %", None, None, None, None),
    (
        "ACKNOWLEDGED",
        "ACKNOWLEDGED",
        "CRITICAL",
        2,
        1,
        "血氧饱和度危急：90 %",
        "测试CARE_STAFF",
        ACKED,
        None,
        None,
    ),
    (
        "RESOLVED",
        "RESOLVED",
        "CRITICAL",
        2,
        1,
        "血氧饱和度危急：90 %",
        "测试CARE_STAFF",
        ACKED,
        DONE,
        "已上门查看",
    ),
]


async def live_alert(db, clock, record, gql, ward, feed: SteppedFeed | None = None) -> str:
    """An SpO2 warning at 10:00, escalated at 10:30, critical at 10:31, acknowledged at 10:32,
    resolved at 10:35; with a feed, each step is announced and its events awaited."""

    async def announce() -> None:
        if feed is not None:
            feed.poke()
            await feed.settled()

    alert = (await record(reading("T-WB-A", "SPO2", 93, 59)))["alertsRaised"][0]
    await announce()
    clock.now = WEDNESDAY_10 + timedelta(minutes=30)
    await run_jobs_once(session_factory=db, now=clock.now)
    await announce()
    clock.now = WEDNESDAY_10 + timedelta(minutes=31)
    await record(reading("T-WB-A", "SPO2", 90, 31, hour=10))
    await announce()
    clock.now = ACKED
    await gql(ACK, {"id": alert["id"]}, token=ward.tokens["CARE_STAFF"])
    # no announcement: a subscriber that is slow, or whose NOTIFYs merged, reads both at once
    clock.now = DONE
    await gql(RESOLVE, {"id": alert["id"]}, token=ward.tokens["CARE_STAFF"])
    await announce()
    return alert["id"]


async def test_replayed_events_show_the_alert_as_it_was_at_each(
    app, feed, db, ward, clock, record, gql, session
):
    # Given an alert's whole life, after a sequence a client had seen
    after = await session.scalar(select(func.coalesce(func.max(CareAlertEvent.sequence), 0)))
    alert_id = await live_alert(db, clock, record, gql, ward)

    # When the client subscribes with that sequence
    async with subscribed(app, feed, ward.tokens["CARE_STAFF"], after) as socket:
        events = await delivered(socket, feed)

    # Then each replayed event shows the alert as it was then, not as it is now
    assert as_shown(events, alert_id) == HISTORY


async def test_live_events_show_the_alert_as_it_was_at_each(app, feed, db, ward, clock, record, gql, session):
    after = await session.scalar(select(func.coalesce(func.max(CareAlertEvent.sequence), 0)))

    async with subscribed(app, feed, ward.tokens["CARE_STAFF"], after) as socket:
        await feed.settled()  # subscribed, and waiting for news
        receiving = asyncio.create_task(collect(socket, feed))
        alert_id = await live_alert(db, clock, record, gql, ward, feed)
        events = await receiving

    assert as_shown(events, alert_id) == HISTORY


async def collect(socket, feed: SteppedFeed) -> list[dict]:
    """Everything sent until the socket has been quiet for a second and the subscriber waits."""
    received = []
    while True:
        try:
            message = json.loads(await asyncio.wait_for(socket.recv(), 1.0))
        except TimeoutError:
            if feed.caught_up.is_set():
                return received
            continue
        assert message["type"] == "next" and "errors" not in message["payload"], message
        received.append(message["payload"]["data"]["careAlertEvents"])
