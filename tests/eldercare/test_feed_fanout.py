"""The live feed fans out (#16, item 2): a wake-up's events are read once per visibility class and
their access-log rows written in one statement for every subscriber, not by each subscriber in a
session of its own; no subscriber receives what its viewer may not see; an event whose reads
cannot be logged is withheld until they can be; clients that leave make no ERROR in the log.

A real uvicorn server in this process, on the test engine (its rows commit: the fixture removes
them), so the statements the feed sends can be counted; and the class reads against each viewer's
own read, in the test's transaction."""

import ast
import asyncio
import contextlib
import json
import logging
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy import delete, event, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from websockets.asyncio.client import connect

from models.eldercare import CareAlert, CareAlertEvent, Device, Elder, FamilyLink, HealthAccessLog, Reading
from models.people import Community, Person, Role
from resolvers import people as people_service
from resolvers.eldercare import feed as feed_service
from resolvers.eldercare.access import visibility_of
from server.app import create_app
from server.auth import TokenService
from tests.conftest import TEST_DATABASE_URL, in_memory, make_settings, running_server
from tests.eldercare.conftest import reading

# The gateway asks for no alert: only the subscribers' reads are logged.
RECORD = """mutation($r: [ReadingInput!]!) { readingsRecord(readings: $r) {
  __typename ... on ReadingsRecorded { accepted } } }"""
EVENTS = """subscription($after: Int) { careAlertEvents(afterSequence: $after) {
  sequence type alert { id severity count elder { id name } } } }"""
# A board that also shows the elder's latest vitals: each event reads them for that subscriber.
EVENTS_WITH_VITALS = """subscription($after: Int) { careAlertEvents(afterSequence: $after) {
  sequence alert { id elder { id latestVitals { kind value } } } } }"""
YONGFU, WENYI = "永福社区", "文一社区"
STAFF_YONGFU, STAFF_WENYI = 6, 3


class Crowd:
    """Who subscribes, by what they may see; ids of what the test looks for in the database."""

    def __init__(self) -> None:
        self.tokens: dict[str, list[str]] = {}
        self.people: dict[str, list[int]] = {}
        self.elders: dict[str, int] = {}
        self.serials: dict[str, str] = {}


@pytest.fixture
async def crowd(engine, settings):
    """Committed: an elder with a wristband in 永福社区 and one in 文一社区; six care staff of 永福,
    three of 文一, an ADMIN, a daughter the 永福 elder consented to, a gateway (removed after)."""
    service = TokenService(settings)
    world = Crowd()
    async with engine.begin() as connection:
        session = AsyncSession(bind=connection)
        communities = dict((await session.execute(select(Community.name, Community.id))).all())
        for key, name, community in (("yongfu", "钱阿婆", YONGFU), ("wenyi", "孙阿公", WENYI)):
            elder = Elder(name=name, birth_date=date(1941, 3, 1), community_id=communities[community])
            session.add(elder)
            await session.flush()
            world.serials[key] = f"FAN-WB-{key}"
            session.add(Device(serial=world.serials[key], kind="WRISTBAND", elder_id=elder.id))
            world.elders[key] = elder.id
        groups = [
            ("yongfu", STAFF_YONGFU, Role.CARE_STAFF, YONGFU),
            ("wenyi", STAFF_WENYI, Role.CARE_STAFF, WENYI),
            ("admin", 1, Role.ADMIN, None),
            ("family", 1, Role.RESIDENT, None),
            ("gateway", 1, Role.DEVICE_GATEWAY, None),
        ]
        for group, (key, count, role, community) in enumerate(groups):
            for index in range(count):
                person = await people_service.add_user(
                    session=session,
                    phone=f"13533{group}{index:05d}",
                    name=f"扇出{key}{index}",
                    role=role,
                    community_name=community,
                )
                world.people.setdefault(key, []).append(person.id)
                world.tokens.setdefault(key, []).append(service.issue(person)[0])
        session.add(
            FamilyLink(
                elder_id=world.elders["yongfu"],
                person_id=world.people["family"][0],
                relationship="女儿",
                consented_at=datetime.now(UTC),
            )
        )
        await session.flush()
    yield world
    elders = list(world.elders.values())
    people = [pk for ids in world.people.values() for pk in ids]
    async with engine.begin() as connection:
        alerts = select(CareAlert.id).where(CareAlert.elder_id.in_(elders))
        await connection.execute(delete(CareAlertEvent).where(CareAlertEvent.alert_id.in_(alerts)))
        await connection.execute(delete(CareAlert).where(CareAlert.elder_id.in_(elders)))
        await connection.execute(delete(Reading).where(Reading.elder_id.in_(elders)))
        await connection.execute(delete(HealthAccessLog).where(HealthAccessLog.elder_id.in_(elders)))
        await connection.execute(delete(FamilyLink).where(FamilyLink.elder_id.in_(elders)))
        await connection.execute(delete(Device).where(Device.elder_id.in_(elders)))
        await connection.execute(delete(Elder).where(Elder.id.in_(elders)))
        await connection.execute(delete(Person).where(Person.id.in_(people)))


@pytest.fixture
async def served(engine, settings):
    """Linli on a real socket with the test engine's pool (one process: its statements are countable)."""
    app = await in_memory(create_app(settings, engine=engine, configure_logs=False))
    async with running_server(app) as address:
        yield address
    await app.state.services.alert_feed.close()


@pytest.fixture
async def served_on_a_busy_pool():
    """Linli on a pool of 2 + 3 connections: as busy for 40 subscribers as the soak's 20 were for 50."""
    app = await in_memory(create_app(make_settings(db_pool_size=2, db_max_overflow=3), configure_logs=False))
    async with running_server(app) as address:
        yield address
    await app.state.services.alert_feed.close()
    await app.state.services.engine.dispose()


class Feed:
    def __init__(self, socket) -> None:
        self.socket = socket

    @classmethod
    async def open(cls, address: str, token: str, after: int | None = None, query: str = EVENTS) -> "Feed":
        socket = await connect(f"ws://{address}/graphql", subprotocols=["graphql-transport-ws"])
        await socket.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        )
        assert json.loads(await asyncio.wait_for(socket.recv(), 5))["type"] == "connection_ack"
        payload = {"query": query, "variables": {"after": after}}
        await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        return cls(socket)

    async def next(self, within: float = 5) -> dict:
        message = json.loads(await asyncio.wait_for(self.socket.recv(), within))
        assert message["type"] == "next" and "errors" not in message["payload"], message
        return message["payload"]["data"]["careAlertEvents"]

    async def nothing_more(self, seconds: float) -> bool:
        try:
            message = await asyncio.wait_for(self.socket.recv(), seconds)
        except TimeoutError:
            return True
        print("unexpected:", message)
        return False


async def post(address: str, token: str, *readings: tuple[str, str, float, int]) -> None:
    """One readingsRecord request (one transaction: one wake-up) of (serial, kind, value, seconds ago)."""
    now = datetime.now(UTC)
    body = [
        {
            "deviceId": serial,
            "kind": kind,
            "value": value,
            "measuredAt": (now - timedelta(seconds=ago)).isoformat(),
        }
        for serial, kind, value, ago in readings
    ]
    async with httpx.AsyncClient(timeout=30) as client:  # a busy pool on a busy machine may be slow
        response = await client.post(
            f"http://{address}/graphql",
            json={"query": RECORD, "variables": {"r": body}},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.json()["data"]["readingsRecord"]["accepted"] == len(body), response.text


async def latest_sequence(engine) -> int:
    async with engine.connect() as connection:
        return await connection.scalar(select(func.coalesce(func.max(CareAlertEvent.sequence), 0)))


@contextlib.contextmanager
def counting(engine):
    """The statements sent and the connections checked out of the pool meanwhile."""
    seen = {"statements": [], "checkouts": 0}

    def statement(conn, cursor, sql, parameters, context, executemany):
        seen["statements"].append(" ".join(sql.split()))

    def checkout(*_):
        seen["checkouts"] += 1

    event.listen(engine.sync_engine, "before_cursor_execute", statement)
    event.listen(engine.sync_engine.pool, "checkout", checkout)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", statement)
        event.remove(engine.sync_engine.pool, "checkout", checkout)


async def open_all(served: str, crowd: Crowd) -> dict[str, list[Feed]]:
    feeds = {
        key: [await Feed.open(served, token) for token in crowd.tokens[key]]
        for key in ("yongfu", "wenyi", "admin", "family")
    }
    await asyncio.sleep(1.0)  # every subscription registered
    return feeds


async def close_all(feeds: dict[str, list[Feed]]) -> None:
    for group in feeds.values():
        for feed in group:
            await feed.socket.close()


async def test_a_wake_up_is_read_once_per_visibility_class_and_logged_in_one_statement(served, crowd, engine):
    # Given six care staff of 永福 and three of 文一, an ADMIN and a consenting elder's daughter, subscribed
    feeds = await open_all(served, crowd)
    receivers = feeds["yongfu"] + feeds["admin"] + feeds["family"]
    readers = crowd.people["yongfu"] + crowd.people["admin"] + crowd.people["family"]
    elder = crowd.elders["yongfu"]

    # When the 永福 elder's wristband raises an alert
    looking = await asyncpg.connect(TEST_DATABASE_URL.replace("+asyncpg", ""))  # not from the pool counted
    with counting(engine) as seen:
        await post(served, crowd.tokens["gateway"][0], (crowd.serials["yongfu"], "HEART_RATE", 150, 5))
        events = []
        for feed, reader in zip(receivers, readers, strict=True):
            events.append(await feed.next())
            # Then, as it arrives, its reader's read is in the access log already
            logged = await looking.fetchval(
                "SELECT count(*) FROM health_access_log WHERE elder_id = $1 AND person_id = $2", elder, reader
            )
            assert logged == 1
        assert all([await feed.nothing_more(1.0) for feed in feeds["wenyi"]])
    await looking.close()
    await close_all(feeds)

    # Then every subscriber who may see her received it, and 文一's staff nothing
    assert {event["type"] for event in events} == {"OPENED"}
    assert {event["alert"]["elder"]["name"] for event in events} == {"钱阿婆"}
    # … one row per subscriber: who, whose, what, each with its own connection's request id
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                select(
                    HealthAccessLog.person_id,
                    HealthAccessLog.what,
                    HealthAccessLog.request_id,
                    HealthAccessLog.at,
                ).where(HealthAccessLog.elder_id == elder)
            )
        ).all()
    assert sorted(row.person_id for row in rows) == sorted(readers)
    assert all(sorted(row.what) == ["alerts", "profile"] for row in rows)
    assert len({row.request_id for row in rows}) == len(readers)
    assert len({row.at for row in rows}) == 1  # one transaction wrote them all
    # … written in one statement, after one read per visibility class (ADMIN, the care staff of a
    # community, family), on a connection or two of the pool, whatever the number of subscribers
    inserts = [sql for sql in seen["statements"] if sql.startswith("INSERT INTO health_access_log")]
    reads = [sql for sql in seen["statements"] if "FROM care_alert_events JOIN" in sql]
    print(
        f"\n{len(receivers)} receivers: {len(inserts)} log inserts, {len(reads)} event reads, "
        f"{seen['checkouts']} pool checkouts"
    )
    assert len(inserts) == 1, inserts
    assert len(reads) <= 3, reads
    assert seen["checkouts"] <= 3  # the gateway's request, and the feed's one short session


async def test_one_wake_up_with_two_communities_alerts_gives_each_only_its_own(served, crowd, engine):
    # Given the crowd subscribed
    feeds = await open_all(served, crowd)

    # When one request raises an alert in 永福 and one in 文一 (one transaction, one wake-up)
    await post(
        served,
        crowd.tokens["gateway"][0],
        (crowd.serials["yongfu"], "HEART_RATE", 150, 5),
        (crowd.serials["wenyi"], "SPO2", 90, 5),
    )

    # Then each care worker gets their community's alert alone; the ADMIN both; the daughter her mother's
    seen = {}
    for key, expected in (("yongfu", 1), ("wenyi", 1), ("admin", 2), ("family", 1)):
        seen[key] = set()
        for feed in feeds[key]:
            for _ in range(expected):
                seen[key].add((await feed.next())["alert"]["elder"]["name"])
            assert await feed.nothing_more(0.3)
    await close_all(feeds)
    assert seen == {
        "yongfu": {"钱阿婆"},
        "wenyi": {"孙阿公"},
        "admin": {"钱阿婆", "孙阿公"},
        "family": {"钱阿婆"},
    }


async def test_consent_withdrawn_while_subscribed_stops_the_next_event(served, crowd, engine):
    # Given the daughter subscribed, and receiving her mother's alert
    daughter = await Feed.open(served, crowd.tokens["family"][0])
    staff = await Feed.open(served, crowd.tokens["yongfu"][0])
    await asyncio.sleep(0.5)
    gateway = crowd.tokens["gateway"][0]
    await post(served, gateway, (crowd.serials["yongfu"], "HEART_RATE", 150, 10))
    assert (await daughter.next())["type"] == "OPENED"
    assert (await staff.next())["type"] == "OPENED"

    # When her mother withdraws her consent, and the alert repeats
    async with engine.begin() as connection:
        await connection.execute(
            update(FamilyLink)
            .where(FamilyLink.person_id == crowd.people["family"][0])
            .values(consent_revoked_at=func.now())
        )
    await post(served, gateway, (crowd.serials["yongfu"], "HEART_RATE", 155, 5))

    # Then the care worker gets the repeat, and she does not
    assert (await staff.next())["type"] == "UPDATED"
    assert await daughter.nothing_more(1.0)
    await daughter.socket.close()
    await staff.socket.close()


async def test_a_reconnect_replays_then_follows_live_without_a_gap_or_a_repeat(served, crowd, engine):
    # Given five events the client has not seen
    gateway, serial = crowd.tokens["gateway"][0], crowd.serials["yongfu"]
    after = await latest_sequence(engine)
    for ago in range(60, 10, -10):
        await post(served, gateway, (serial, "HEART_RATE", 150, ago))

    # When it subscribes with afterSequence while five more come
    feed = await Feed.open(served, crowd.tokens["yongfu"][0], after=after)
    more = asyncio.gather(*[post(served, gateway, (serial, "SPO2", 90, ago)) for ago in range(9, 4, -1)])
    received = [await feed.next() for _ in range(10)]
    await more
    assert await feed.nothing_more(1.0)
    await feed.socket.close()

    # Then it has every event once, in order
    async with engine.connect() as connection:
        committed = (
            await connection.scalars(
                select(CareAlertEvent.sequence)
                .where(CareAlertEvent.sequence > after, CareAlertEvent.elder_id == crowd.elders["yongfu"])
                .order_by(CareAlertEvent.sequence)
            )
        ).all()
    assert [event["sequence"] for event in received] == committed


@pytest.fixture
async def log_refuses(engine, crowd):
    """A trigger that makes health_access_log refuse rows (as a full disk or a revoked grant would);
    `refusing.lift()` drops it."""

    class Refusing:
        async def lift(self) -> None:
            async with engine.begin() as connection:
                await connection.execute(text("DROP TRIGGER IF EXISTS fanout_refuse ON health_access_log"))

    async with engine.begin() as connection:
        await connection.execute(
            text(
                "CREATE OR REPLACE FUNCTION fanout_refuse() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'access log refused (test)'; END $$"
            )
        )
        await connection.execute(
            text(
                "CREATE TRIGGER fanout_refuse BEFORE INSERT ON health_access_log "
                "FOR EACH ROW EXECUTE FUNCTION fanout_refuse()"
            )
        )
    refusing = Refusing()
    try:
        yield refusing
    finally:
        await refusing.lift()
        async with engine.begin() as connection:
            await connection.execute(text("DROP FUNCTION IF EXISTS fanout_refuse()"))


async def test_an_event_whose_reads_cannot_be_logged_is_withheld_until_they_can(
    served, crowd, engine, log_refuses
):
    # Given a care worker subscribed, and an access log that refuses every row
    feed = await Feed.open(served, crowd.tokens["yongfu"][0])
    await asyncio.sleep(0.5)
    gateway, serial = crowd.tokens["gateway"][0], crowd.serials["yongfu"]

    # When an alert opens: nothing is sent, since its read could not be logged
    await post(served, gateway, (serial, "HEART_RATE", 150, 10))
    assert await feed.nothing_more(1.5)

    # Then once the log takes rows again, the next wake-up delivers both events, logged
    await log_refuses.lift()
    await post(served, gateway, (serial, "HEART_RATE", 155, 5))
    assert [(await feed.next())["type"], (await feed.next())["type"]] == ["OPENED", "UPDATED"]
    await feed.socket.close()
    async with engine.connect() as connection:
        logged = await connection.scalar(
            select(func.count()).where(
                HealthAccessLog.elder_id == crowd.elders["yongfu"],
                HealthAccessLog.person_id == crowd.people["yongfu"][0],
            )
        )
    assert logged >= 1


@pytest.fixture
async def long_history(engine, crowd):
    """Four hundred committed events of one alert: a replay long enough to leave in the middle of."""
    elder = crowd.elders["yongfu"]
    async with engine.begin() as connection:
        after = await connection.scalar(select(func.coalesce(func.max(CareAlertEvent.sequence), 0)))
        community = await connection.scalar(select(Elder.community_id).where(Elder.id == elder))
        now = datetime.now(UTC)
        alert = await connection.scalar(
            CareAlert.__table__.insert()
            .values(
                elder_id=elder,
                community_id=community,
                kind="SOS",
                dedup_key=f"fanout:{elder}:SOS",
                severity="CRITICAL",
                status="OPEN",
                summary="紧急呼叫（SOS）",
                opened_at=now,
                last_seen_at=now,
            )
            .returning(CareAlert.id)
        )
        event = {
            "alert_id": alert,
            "elder_id": elder,
            "community_id": community,
            "type": "UPDATED",
            "at": now,
        }
        await connection.execute(CareAlertEvent.__table__.insert(), [event] * 400)
    return after


async def leave(feed: Feed, how: str, after_seconds: float) -> None:
    await asyncio.sleep(after_seconds)
    if how == "reset":  # a phone losing its network: the connection reset, no close handshake
        feed.socket.transport.abort()
    else:  # the client cancels its subscription
        await feed.socket.send(json.dumps({"id": "1", "type": "complete"}))


async def two_events(served: str, gateway: str, serial: str, seconds_ago: int) -> None:
    await post(served, gateway, (serial, "HEART_RATE", 150, seconds_ago))
    await post(served, gateway, (serial, "SPO2", 90, seconds_ago - 1))


async def test_clients_that_leave_while_events_go_out_log_no_error(
    served_on_a_busy_pool, crowd, long_history, caplog
):
    """What the soak saw on 0.3–0.7 % of closes, each of which would page an operator: a client
    reset while its event was being sent (strawberry: "Exception in worker task"), a subscription
    cancelled while its session handed an overflow connection back or ran a statement
    (SQLAlchemy: "Exception closing connection"). Forty subscribers — a few replaying a long
    history, some showing vitals read for each event — leave at random moments while two events
    go out, half by a reset and half by `complete`, twelve times."""
    caplog.set_level(logging.WARNING)
    served, rng = served_on_a_busy_pool, random.Random(16)
    gateway, serial, token = crowd.tokens["gateway"][0], crowd.serials["yongfu"], crowd.tokens["yongfu"][0]
    for round_ in range(12):
        feeds = [
            await Feed.open(
                served,
                token,
                after=long_history if n < 4 else None,
                query=EVENTS_WITH_VITALS if n % 3 == 0 else EVENTS,
            )
            for n in range(40)
        ]
        await asyncio.sleep(0.5)

        await asyncio.gather(
            two_events(served, gateway, serial, seconds_ago=60 - 2 * round_),
            *[
                leave(feed, "reset" if n % 2 else "complete", rng.uniform(0, 0.5))
                for n, feed in enumerate(feeds)
            ],
        )
        await asyncio.sleep(0.3)
        for feed in feeds:
            feed.socket.transport.abort()
    await asyncio.sleep(1.0)  # what the server does after they left

    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert errors == [], "\n".join(f"{record.name}: {record.getMessage()}" for record in errors)


async def test_each_visibility_class_reads_what_its_viewers_may_see(session, settings, ward, record):
    # Given alerts of both ward elders, and a 海创 care worker who is also family of 南睦's elder
    await record(reading("T-WB-A", "HEART_RATE", 150, 1), reading("T-WB-B", "SPO2", 90, 2))
    await record(reading("T-WB-A", "HEART_RATE", 155, 3))
    keys = ("ADMIN", "CARE_STAFF", "CARE_STAFF_HAICHUANG", "FAMILY", "FAMILY_NO_CONSENT", "RESIDENT")
    viewers = {key: TokenService(settings).verify(ward.tokens[key]) for key in keys}
    session.add(
        FamilyLink(
            elder_id=ward.elder_a,
            person_id=viewers["CARE_STAFF_HAICHUANG"].person_id,
            relationship="儿子",
            consented_at=datetime.now(UTC),
        )
    )
    await session.flush()
    until = await feed_service.latest_sequence(session=session)

    # When the feed reads them once per class
    classes = {visibility_of(viewer) for viewer in viewers.values()}
    found = await feed_service.read_classes(session=session, after=0, until=until, classes=classes)

    # Then each viewer's class holds exactly what the viewer may see, read on its own
    seen = {}
    for key, viewer in viewers.items():
        alone = await feed_service.events_after(
            session=session, viewer=viewer, after=0, until=until, limit=10_000
        )
        shared = found.seen_by(visibility_of(viewer))
        assert [row.event.sequence for row in shared] == [row.event.sequence for row in alone], key
        seen[key] = {row.elder.id for row in shared}
    a, b = ward.elder_a, ward.elder_b
    assert seen["ADMIN"] >= {a, b}
    assert seen["CARE_STAFF"] == {a} and seen["FAMILY"] == {a}
    assert seen["CARE_STAFF_HAICHUANG"] == {a, b}
    assert seen["FAMILY_NO_CONSENT"] == set() and seen["RESIDENT"] == set()


def test_the_schema_field_only_maps_the_events():
    # The subscription's loop lives in resolvers/eldercare: the schema's field builds and runs no
    # statement, opens no session, writes no log (importing exception types would be fine).
    path = Path(__file__).resolve().parents[2] / "schema" / "eldercare" / "operations.py"
    source = path.read_text()
    tree = ast.parse(source)
    imports = [
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sqlalchemy")
    ]
    subscription = next(
        node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == "ElderCareSubscription"
    )
    body = ast.get_source_segment(source, subscription)
    assert imports == [], imports
    for word in ("session", "flush_access_log", ".commit(", "select("):
        assert word not in body, f"ElderCareSubscription still uses {word}"


class QuietFeed:
    """What wakes a hub, without LISTEN: only the test wakes it, and the poll is far off."""

    poll_seconds = 30.0

    async def subscribe(self) -> feed_service.Subscriber:
        self.waker = feed_service.Subscriber()
        return self.waker

    def unsubscribe(self, subscriber) -> None:
        pass

    async def wait(self, subscriber: feed_service.Subscriber) -> None:
        await subscriber.wait(self.poll_seconds)

    def keep_listening(self) -> None:
        pass


async def test_a_subscription_level_with_the_hub_during_a_round_it_was_not_in_is_not_left_behind(
    served, crowd, engine, settings, monkeypatch
):
    # Given a hub (its wake-ups only the test's) with a live subscriber, and an event behind the hub
    gateway, serial = crowd.tokens["gateway"][0], crowd.serials["yongfu"]
    await post(served, gateway, (serial, "HEART_RATE", 150, 30))
    behind = await latest_sequence(engine) - 1
    feed = QuietFeed()
    hub = feed_service.FeedHub(feed=feed, session_factory=async_sessionmaker(engine, expire_on_commit=False))
    viewer = TokenService(settings).verify(crowd.tokens["yongfu"][0])
    live = hub.events(reader=feed_service.FeedReader(viewer))
    live_next = asyncio.ensure_future(anext(live))
    await asyncio.sleep(0.3)  # placed at the hub's head

    # And a round that stops before it reads, once a new event has committed
    reading_held, release = asyncio.Event(), asyncio.Event()
    read_classes = feed_service.read_classes

    async def held(**kwargs):
        reading_held.set()
        await release.wait()
        return await read_classes(**kwargs)

    monkeypatch.setattr(feed_service, "read_classes", held)
    await post(served, gateway, (serial, "HEART_RATE", 155, 20))
    feed.waker.wake()
    await asyncio.wait_for(reading_held.wait(), 5)

    # When a replaying subscription catches up with the hub while that round, without it, runs
    replay = hub.events(reader=feed_service.FeedReader(viewer), after=behind)
    assert [row.event.sequence for row in (await asyncio.wait_for(anext(replay), 5)).rows] == [behind + 1]
    replay_next = asyncio.ensure_future(anext(replay))
    await asyncio.sleep(0.3)  # level with the hub's head, waiting to be handed something
    release.set()

    # Then the round's event reaches it at once, not at the next poll
    try:
        (live_delivery, replay_delivery) = await asyncio.wait_for(asyncio.gather(live_next, replay_next), 5)
        assert [row.event.sequence for row in replay_delivery.rows] == [
            row.event.sequence for row in live_delivery.rows
        ]
        assert [row.event.sequence for row in replay_delivery.rows] == [behind + 2]
    finally:
        live_next.cancel()
        replay_next.cancel()
        await live.aclose()
        await replay.aclose()
        await hub.close()


async def test_an_event_that_commits_while_the_only_subscription_replays_reaches_it_at_once(
    served, crowd, engine, settings, monkeypatch
):
    # Given a hub (its wake-ups only the test's) whose only subscription replays an event, held
    # before its read
    gateway, serial = crowd.tokens["gateway"][0], crowd.serials["yongfu"]
    await post(served, gateway, (serial, "HEART_RATE", 150, 30))
    behind = await latest_sequence(engine) - 1
    feed = QuietFeed()
    hub = feed_service.FeedHub(feed=feed, session_factory=async_sessionmaker(engine, expire_on_commit=False))
    viewer = TokenService(settings).verify(crowd.tokens["yongfu"][0])
    replaying_held, release = asyncio.Event(), asyncio.Event()
    events_after = feed_service.events_after

    async def held(**kwargs):
        replaying_held.set()
        await release.wait()
        return await events_after(**kwargs)

    monkeypatch.setattr(feed_service, "events_after", held)
    replay = hub.events(reader=feed_service.FeedReader(viewer), after=behind)
    replay_next = asyncio.ensure_future(anext(replay))
    await asyncio.wait_for(replaying_held.wait(), 5)

    # When a new event commits and wakes the hub while nobody is level with it to read for
    await post(served, gateway, (serial, "HEART_RATE", 155, 20))
    feed.waker.wake()
    await asyncio.sleep(0.3)
    release.set()

    # Then after the replay, the new event reaches the subscription at once, not at the next poll
    try:
        replayed = await asyncio.wait_for(replay_next, 5)
        assert [row.event.sequence for row in replayed.rows] == [behind + 1]
        live = await asyncio.wait_for(anext(replay), 5)
        assert [row.event.sequence for row in live.rows] == [behind + 2]
    finally:
        replay_next.cancel()
        await replay.aclose()
        await hub.close()
