"""The live feed fanned out (#16): many care-staff subscribers on one worker, one event a second.

    .venv/bin/python bench/feed_fanout.py [--subscribers 500] [--seconds 40] [--baseline 619b230]
                                          [--no-baseline]

Builds `<DATABASE_URL's name>_feed` with the migrations, the demo communities and accounts, one
elder with a wristband in each of the four communities, and the subscribers' accounts: care staff
spread over the four communities, and one ADMIN in 25. Then, for each code measured — the baseline
commit (exported with `git archive`: the code before the fan-out, where every wake-up made every
subscriber read, log and commit in a session of its own) and the working tree, one after the
other on the same database — it serves Linli in its production configuration (`linli serve`, one
worker, periodic jobs off), opens the subscriptions (graphql-transport-ws, `careAlertEvents`, the
fields a care board asks), waits until they are registered, and posts one readings batch a second
as the device gateway: an out-of-range heart rate of the next community's elder, which opens or
updates her alert (one event). At the end the subscribers leave, half by a reset and half by
`complete`, as phones and boards do. Measured:

- delivery lag, per event and per subscriber who may see it (its community's care staff and the
  ADMINs): from the gateway sending the batch to the subscriber receiving the event, so it holds
  the request itself (whose p50 is printed); p50, p99, max, and the deliveries missed;
- the server's pool connections in pg_stat_activity (application_name `linli`: not its LISTEN
  connections, `linli-listen` and `linli-revocations`, nor this script's), every 100 ms while the
  events go out: the most open (the pool keeps up to 10 idle, opened when the subscriptions
  started: each reads where it starts), the most busy (active or idle in transaction), the most
  idle in transaction;
- the gateway's batches refused (503), the subscriptions the server ended (an error instead of
  events), and the ERROR lines in its log.

Goal (#16): with the working tree, delivery p99 ≤ 500 ms and at most 3 busy pool connections.
Prints one line per run and whether the goal holds; exit status 0 either way (a benchmark).
"""

import argparse
import asyncio
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy import make_url
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from serving import (  # noqa: E402
    BENCH_SECRET,
    export,
    linli_command,
    server_env,
    stamped_for,
    stop_server,
    wait_ready,
)

from models.eldercare import Device, Elder  # noqa: E402
from models.people import Role  # noqa: E402
from resolvers import people as people_service  # noqa: E402
from seeds.demo import COMMUNITIES, seed_communities, seed_demo_accounts  # noqa: E402
from server.auth import TokenService  # noqa: E402
from server.migrate import upgrade  # noqa: E402
from server.settings import Settings, normalize_database_url  # noqa: E402
from tests.conftest import recreate_database  # noqa: E402

GATEWAY_PHONE = "13800000005"  # the demo DEVICE_GATEWAY account
ADMIN_EVERY = 25  # one subscriber in 25 is an ADMIN, who sees every community's alerts
GOAL_P99_MS = 500
GOAL_BUSY_CONNECTIONS = 3
POOL_APPLICATION = "linli"  # server/db.py: the pool's connections (LISTEN ones have their own names)
GRACE_SECONDS = 3.0  # after the last batch, for the last deliveries

EVENTS = """subscription { careAlertEvents {
  sequence type at alert { id kind severity status count summary elder { id name } } } }"""
RECORD = """mutation($r: [ReadingInput!]!) { readingsRecord(readings: $r) {
  __typename ... on ReadingsRecorded { accepted } } }"""


@dataclass
class World:
    url: str
    elders: list[tuple[int, str]]  # (community id, wristband serial), one per community
    subscribers: list[tuple[str, int | None]]  # (token, community id; None for an ADMIN)
    gateway: str


@dataclass
class Subscription:
    community: int | None
    received: dict[int, float] = field(default_factory=dict)  # sequence → when
    ended: str | None = None  # why the server ended it before the client left


@dataclass
class Result:
    label: str
    subscribers: int
    events: int = 0
    expected: int = 0
    lags: list[float] = field(default_factory=list)
    request_ms: list[float] = field(default_factory=list)
    open_max: int = 0
    busy_max: int = 0
    idle_in_transaction_max: int = 0
    refused: int = 0  # the gateway's batches answered 503
    ended: int = 0
    error_lines: int = 0

    @property
    def missed(self) -> int:
        return self.expected - len(self.lags)


# ── The database ──────────────────────────────────────────────────────────────


async def build_world(url: str, subscribers: int) -> World:
    await recreate_database(url)
    await asyncio.to_thread(upgrade, url)
    settings = Settings(DATABASE_URL=url, env="production", jwt_secret=BENCH_SECRET)
    tokens = TokenService(settings)
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        session = AsyncSession(bind=connection)
        community_ids = await seed_communities(session=session)
        await seed_demo_accounts(session=session)
        names = [name for name, _, _ in COMMUNITIES]
        elders = []
        for index, name in enumerate(names):
            elder = Elder(
                name=f"压测老人{index + 1}", birth_date=date(1940, 1, 1), community_id=community_ids[name]
            )
            session.add(elder)
            await session.flush()
            serial = f"FANOUT-WB-{index + 1}"
            session.add(Device(serial=serial, kind="WRISTBAND", elder_id=elder.id))
            elders.append((community_ids[name], serial))
        people = []
        for number in range(subscribers):
            admin = number % ADMIN_EVERY == ADMIN_EVERY - 1
            community = None if admin else names[number % len(names)]
            person = await people_service.add_user(
                session=session,
                phone=f"1390{number:07d}",
                name=f"压测{'管理员' if admin else '护理员'}{number}",
                role=Role.ADMIN if admin else Role.CARE_STAFF,
                community_name=community,
            )
            people.append((tokens.issue(person)[0], None if admin else community_ids[community]))
        gateway = await people_service.get_person_by_phone(session=session, phone=GATEWAY_PHONE)
        await session.refresh(gateway, ["roles"])
        gateway_token = tokens.issue(gateway)[0]
        await session.flush()
    await engine.dispose()
    return World(url=url, elders=elders, subscribers=people, gateway=gateway_token)


# ── The clients ───────────────────────────────────────────────────────────────


async def subscribe(
    base: str, token: str, subscription: Subscription, ready: asyncio.Event, leave: asyncio.Event, reset: bool
) -> None:
    """One care board: subscribed until told to leave (by a reset, or by `complete`), recording when
    each event arrives."""
    async with connect(
        base.replace("http", "ws", 1) + "/graphql", subprotocols=["graphql-transport-ws"], open_timeout=30
    ) as socket:
        await socket.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        )
        acknowledged = json.loads(await asyncio.wait_for(socket.recv(), 30))
        if acknowledged["type"] != "connection_ack":
            raise SystemExit(f"connection refused: {acknowledged}")
        await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": EVENTS}}))
        ready.set()
        receiving = asyncio.create_task(receive(socket, subscription))
        await leave.wait()
        if receiving.done():
            return
        receiving.cancel()
        if reset:
            socket.transport.abort()  # a phone that loses its network
        else:
            await socket.send(json.dumps({"id": "1", "type": "complete"}))  # a board closing the view
            await asyncio.sleep(0.2)


async def receive(socket, subscription: Subscription) -> None:
    try:
        async for raw in socket:
            at = time.perf_counter()
            message = json.loads(raw)
            if message["type"] == "next" and not message["payload"].get("errors"):
                subscription.received[message["payload"]["data"]["careAlertEvents"]["sequence"]] = at
            elif message["type"] in ("next", "error", "complete"):
                subscription.ended = json.dumps(message, ensure_ascii=False)[:300]
                return
    except WebSocketException as error:
        subscription.ended = repr(error)


async def post_batches(base: str, world: World, seconds: int, result: "Result") -> list[tuple[float, float]]:
    """One batch a second, each one out-of-range heart rate of the next community's elder: (sent,
    took) of each batch accepted; those refused as SERVICE_UNAVAILABLE (503) are counted."""
    sent = []
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        started = time.perf_counter()
        for number in range(seconds):
            await asyncio.sleep(max(0.0, started + number - time.perf_counter()))
            _, serial = world.elders[number % len(world.elders)]
            measured = datetime.now(UTC) - timedelta(seconds=1)
            body = {
                "query": RECORD,
                "variables": {
                    "r": [
                        {
                            # deviceId: the name older trees know (the current one takes it too)
                            "deviceId": serial,
                            "kind": "HEART_RATE",
                            "value": 150,
                            "measuredAt": measured.isoformat(),
                        }
                    ]
                },
            }
            at = time.perf_counter()
            response = await client.post(
                "/graphql", json=body, headers={"Authorization": f"Bearer {world.gateway}"}
            )
            took = time.perf_counter() - at
            if response.status_code == 503:  # the server could not take it (its pool was full)
                result.refused += 1
                continue
            answer = response.json().get("data") or {}
            if (answer.get("readingsRecord") or {}).get("accepted") != 1:
                raise SystemExit(f"batch {number} refused: {response.status_code} {response.text[:300]}")
            sent.append((at, took))
    return sent


async def sample_pool(dsn: str, database: str, result: Result, stop: asyncio.Event) -> None:
    connection = await asyncpg.connect(dsn, server_settings={"application_name": "feed-bench"})
    try:
        while not stop.is_set():
            rows = await connection.fetch(
                "SELECT state, count(*) AS n FROM pg_stat_activity "
                "WHERE datname = $1 AND application_name = $2 GROUP BY state",
                database,
                POOL_APPLICATION,
            )
            states = {row["state"]: row["n"] for row in rows}
            result.open_max = max(result.open_max, sum(states.values()))
            busy = sum(n for state, n in states.items() if state and state != "idle")
            result.busy_max = max(result.busy_max, busy)
            in_transaction = sum(n for state, n in states.items() if state and state.startswith("idle in"))
            result.idle_in_transaction_max = max(result.idle_in_transaction_max, in_transaction)
            await asyncio.sleep(0.1)
    finally:
        await connection.close()


async def events_since(dsn: str, after: int) -> list[tuple[int, int]]:
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(
            "SELECT sequence, community_id FROM care_alert_events WHERE sequence > $1 ORDER BY sequence",
            after,
        )
    finally:
        await connection.close()
    return [(row["sequence"], row["community_id"]) for row in rows]


async def latest(dsn: str) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        return await connection.fetchval("SELECT coalesce(max(sequence), 0) FROM care_alert_events")
    finally:
        await connection.close()


# ── One run ───────────────────────────────────────────────────────────────────


async def run(label: str, tree: Path, world: World, seconds: int, port: int, log: Path) -> Result:
    dsn = make_url(world.url).set(drivername="postgresql").render_as_string(hide_password=False)
    env = {**server_env(world.url), "PYTHONPATH": str(tree)}
    result = Result(label=label, subscribers=len(world.subscribers))
    base = f"http://127.0.0.1:{port}"
    async with stamped_for(dsn, tree):  # an older tree serves the same database
        server = start_linli(env, port, tree, log)
        try:
            await wait_ready(base, server)
            subscriptions = [Subscription(community) for _, community in world.subscribers]
            leave = asyncio.Event()
            clients = []
            for start in range(0, len(world.subscribers), 50):  # fifty boards at a time come online
                readies = []
                for (token, _), subscription in zip(
                    world.subscribers[start : start + 50], subscriptions[start : start + 50], strict=True
                ):
                    ready = asyncio.Event()
                    readies.append(ready)
                    reset = len(clients) % 2 == 0
                    clients.append(
                        asyncio.create_task(subscribe(base, token, subscription, ready, leave, reset))
                    )
                await asyncio.wait_for(asyncio.gather(*(ready.wait() for ready in readies)), 60)
            await asyncio.sleep(2.0)  # every subscription registered with the server
            before = await latest(dsn)
            stop = asyncio.Event()
            sampler = asyncio.create_task(sample_pool(dsn, make_url(world.url).database, result, stop))
            sent = await post_batches(base, world, seconds, result)
            await asyncio.sleep(GRACE_SECONDS)
            stop.set()
            await sampler
            leave.set()
            await asyncio.gather(*clients, return_exceptions=True)
            await asyncio.sleep(1.0)  # the server's side of the leaving
            events = await events_since(dsn, before)
        finally:
            await asyncio.to_thread(stop_server, server)
    if len(events) != len(sent):
        raise SystemExit(f"{label}: {len(sent)} batches made {len(events)} events (one each expected)")
    result.events = len(events)
    result.request_ms = [took * 1000 for _, took in sent]
    for (sequence, community), (at, _) in zip(events, sent, strict=True):
        for subscription in subscriptions:
            if subscription.community in (None, community):
                result.expected += 1
                if sequence in subscription.received:
                    result.lags.append((subscription.received[sequence] - at) * 1000)
    result.ended = sum(subscription.ended is not None for subscription in subscriptions)
    ended = [subscription.ended for subscription in subscriptions if subscription.ended]
    if ended:
        print(f"{label}: {len(ended)} subscriptions ended by the server, e.g. {ended[0]}", flush=True)
    errors = error_lines(log)
    result.error_lines = len(errors)
    for line in errors[:3]:
        print(f"{label} server log: {line[:300]}", flush=True)
    return result


def start_linli(env: dict[str, str], port: int, tree: Path, log: Path) -> subprocess.Popen:
    with log.open("w") as out:
        command = linli_command("serve", "--port", str(port), "--workers", "1")
        return subprocess.Popen(command, env=env, cwd=tree, stdout=out, stderr=out)


def error_lines(log: Path) -> list[str]:
    lines = log.read_text(errors="replace").splitlines()
    return [line for line in lines if '"level":"ERROR"' in line or "Traceback" in line]


def percentile(values: list[float], share: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(math.ceil(len(ordered) * share) - 1, 0)]


def report(results: list[Result], baseline: str | None) -> None:
    header = (
        f"{'run':<10}{'subscribers':>12}{'events':>8}{'delivered':>16}{'missed':>8}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'max ms':>9}{'request p50':>13}{'refused':>9}{'pool open':>11}{'busy':>6}{'idle in tx':>12}"
        f"{'ended':>7}{'ERROR lines':>13}"
    )
    print()
    print(header)
    for result in results:
        print(
            f"{result.label:<10}{result.subscribers:>12}{result.events:>8}"
            f"{f'{len(result.lags)}/{result.expected}':>16}{result.missed:>8}"
            f"{percentile(result.lags, 0.5):>9.0f}{percentile(result.lags, 0.99):>9.0f}"
            f"{max(result.lags, default=math.nan):>9.0f}{percentile(result.request_ms, 0.5):>10.0f} ms"
            f"{result.refused:>9}"
            f"{result.open_max:>11}{result.busy_max:>6}{result.idle_in_transaction_max:>12}"
            f"{result.ended:>7}{result.error_lines:>13}"
        )
    if baseline:
        print(f"(baseline: commit {baseline}; current: the working tree)")
    current = results[-1]
    p99 = percentile(current.lags, 0.99)
    holds = current.missed == 0 and p99 <= GOAL_P99_MS and current.busy_max <= GOAL_BUSY_CONNECTIONS
    print(
        f"goal (current: every delivery made, p99 ≤ {GOAL_P99_MS} ms, at most {GOAL_BUSY_CONNECTIONS} "
        f"busy pool connections): {'holds' if holds else 'does NOT hold'} — missed {current.missed}, "
        f"p99 {p99:.0f} ms, "
        f"busy {current.busy_max}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=500)
    parser.add_argument("--seconds", type=int, default=40, help="events: one a second, per run")
    parser.add_argument("--baseline", default="619b230", help="a commit from before the fan-out")
    parser.add_argument("--no-baseline", action="store_true", help="measure the working tree only")
    parser.add_argument("--port", type=int, default=8767)
    args = parser.parse_args()
    if args.subscribers < 1 or args.seconds < 1:
        raise SystemExit("--subscribers and --seconds must be at least 1")
    task = asyncio.current_task()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)  # cleanup runs on SIGTERM

    base_url = normalize_database_url(
        os.environ.get("DATABASE_URL", "postgresql://linli:linli@127.0.0.1:5432/linli")
    )
    parsed = make_url(base_url)
    url = parsed.set(database=f"{parsed.database}_feed").render_as_string(hide_password=False)
    world = await build_world(url, args.subscribers)
    admins = sum(community is None for _, community in world.subscribers)
    print(
        f"database {make_url(url).database}: {len(world.subscribers)} subscribers ({admins} ADMIN, the "
        f"others care staff of {len(world.elders)} communities), {args.seconds} events a run, one a second",
        flush=True,
    )
    baseline = None if args.no_baseline else args.baseline
    results = []
    with tempfile.TemporaryDirectory() as folder:
        runs = [("current", ROOT)]
        if baseline:
            runs.insert(0, ("baseline", export(baseline, Path(folder) / "baseline")))
        for label, tree in runs:
            result = await run(label, tree, world, args.seconds, args.port, Path(folder) / f"{label}.log")
            p99 = percentile(result.lags, 0.99)
            print(f"{label}: {len(result.lags)}/{result.expected} deliveries, p99 {p99:.0f} ms", flush=True)
            results.append(result)
    report(results, baseline)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except (KeyboardInterrupt, asyncio.CancelledError):
        sys.exit(130)
