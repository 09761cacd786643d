"""Fault drill: the database restarts in the middle of a load.

    scripts/fault-drill [--load-seconds 14] [--restart-after 4] [--outage-seconds 2] [--keep]

What it proves, counted rather than assumed: requests during the outage fail fast with HTTP 503,
SERVICE_UNAVAILABLE and a Retry-After (never a 500 or a hang); the same `linli serve` process serves
again by itself once the database is back (/readyz 503 → 200); no booking, reading or alert is lost
or half-written; a request retried with its idempotency key after recovery returns the same object;
a careAlertEvents subscriber that reconnects with afterSequence sees every event committed, and
live delivery (LISTEN/NOTIFY) resumes after the restart.

How:

- a private PostgreSQL cluster (initdb + pg_ctl as the postgres user, trust authentication, a free
  port on 127.0.0.1, a temporary directory removed afterwards): the machine's shared PostgreSQL is
  never touched. The migrations and the demo seed build it; the drill adds its own elders with
  wristbands, guardians with children and residents, so every row it counts is its own;
- `linli serve` in its production configuration (bench/serving.py; periodic jobs off; abuse limits
  raised, this being a load from one address), its log kept in the temporary directory;
- clients, each paced: device gateways push readings batches (about one reading in seven out of
  range, so alerts open and grow), guardians book childcare sessions and residents reserve desks,
  both with idempotency keys. A failed request is retried with the same body and key, faster than
  Retry-After asks, so the drill keeps probing the outage;
- after --restart-after seconds the cluster is stopped (fast shutdown: connections cut, open
  transactions rolled back; --stop-mode immediate: a crash, WAL recovery at start; --stop-mode
  freeze: its processes stopped, so it hangs instead of refusing), kept down --outage-seconds and
  started (or continued) again; the load goes on;
- two subscribers of careAlertEvents (as the admin, who may see every alert), each subscribing
  again with afterSequence = the last sequence it saw whenever its stream breaks: one also goes
  offline when the database stops (a phone losing its network) and comes back 4 s after the
  database, or after 5 s of silence; the other stays, and measures live delivery after the
  restart. One more subscription is opened while the database is down. /readyz and the server's
  LISTEN connection (pg_stat_activity) are watched every 100 ms.

Then: batches are counted all-or-nothing at once (before anything is retried), the requests cut
off by the end of the load are retried, every request that failed at least once and a sample of
the others are sent again with the same key, one more alert measures live delivery, and the rows
are counted against what the clients saw acknowledged. Prints one table; exit status 1 if a check
fails. The short version runs in the test suite (tests/faults/test_db_restart.py).
"""

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import httpx
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.serving import BENCH_SECRET, linli_command, server_env, wait_ready  # noqa: E402
from models.childcare import Child, ChildGuardian  # noqa: E402
from models.eldercare import Device, Elder  # noqa: E402
from models.makerspace import MakerSpace, Resource  # noqa: E402
from models.people import Community, Role  # noqa: E402
from resolvers import people as people_service  # noqa: E402
from schema.common import decode_global_id, encode_global_id  # noqa: E402
from seeds.demo import seed_demo  # noqa: E402
from server.auth import TokenService  # noqa: E402
from server.migrate import upgrade  # noqa: E402
from server.settings import Settings, normalize_database_url  # noqa: E402

SHANGHAI = ZoneInfo("Asia/Shanghai")
GATEWAY_PHONE = "13800000005"  # the demo DEVICE_GATEWAY
ADMIN_PHONE = "13800000006"  # the demo ADMIN: its subscription sees every community's alerts

# What the checks hold the server to.
FAIL_FAST_SECONDS = 6.0  # a refused request answers within the connect timeout (5 s) and a margin


def fail_fast_bound(stop_mode: str) -> float:
    """How soon a request must fail. A stopped database refuses connections at once; a frozen one
    refuses nothing, so a request waits out its command timeout (the pool's ping), then the
    connect timeout of a fresh connection: the configured timeouts are the bound, plus a margin."""
    if stop_mode != "freeze":
        return FAIL_FAST_SECONDS
    settings = Settings()
    return settings.command_timeout_seconds + settings.db_connect_timeout_seconds + 1


RECOVERY_BOUND_SECONDS = 10.0  # the same process serves writes again within this after the restart
LIVE_DELIVERY_BOUND_SECONDS = 2.0  # far below the 10 s poll: the LISTEN connection is back
LISTEN_BACK_BOUND_SECONDS = 3.0  # the server listens again this soon after the database is back
CATCH_UP_BOUND_SECONDS = 15.0  # subscribers have seen every committed event within this

RETRY_PAUSE_SECONDS = 0.2  # shorter than Retry-After on purpose: the drill probes the outage
QUIET_SECONDS = 5.0  # the replaying subscriber reconnects after this long without a message
OFFLINE_AFTER_UP_SECONDS = 4.0  # it comes back this long after the database (past LISTEN's return)
WATCH_EVERY_SECONDS = 0.1
HTTP_TIMEOUT_SECONDS = 30.0  # longer than any answer we accept: a hang shows as a latency, not a cut
DESKS_PER_RESIDENT_CLIENT = 3  # one resident account and desk each: ops enough for a long load

RECORD = """mutation($r: [ReadingInput!]!) { readingsRecord(readings: $r) { __typename
  ... on ReadingsRecorded { accepted duplicates alertsRaised { id } }
  ... on InvalidReadings { code message } } }"""
BOOK = """mutation($input: ChildcareBookingCreateInput!) { childcareBookingCreate(input: $input) {
  __typename ... on ChildcareBooking { id status } ... on DomainError { code message } } }"""
RESERVE = """mutation($input: ReservationCreateInput!) { reservationCreate(input: $input) {
  __typename ... on Reservation { id status } ... on DomainError { code message } } }"""
EVENTS = "subscription($after: Int) { careAlertEvents(afterSequence: $after) { sequence type } }"

WHAT_HAPPENS = {
    "fast": "shut down (fast) and started again",
    "immediate": "crashed (immediate stop) and started again",
    "freeze": "frozen (SIGSTOP) and continued",
}

KINDS = ("readings", "booking", "reservation")
QUERY = {"readings": RECORD, "booking": BOOK, "reservation": RESERVE}
FIELD = {
    "readings": "readingsRecord",
    "booking": "childcareBookingCreate",
    "reservation": "reservationCreate",
}
SUCCESS = {"readings": "ReadingsRecorded", "booking": "ChildcareBooking", "reservation": "Reservation"}
NODE = {"booking": "ChildcareBooking", "reservation": "Reservation"}


class DrillError(Exception):
    """The drill could not be set up (not a finding about Linli)."""


@dataclass
class DrillOptions:
    load_seconds: float = 14.0
    restart_after: float = 4.0  # seconds into the load when the cluster is stopped
    outage_seconds: float = 2.0  # how long it stays down
    # fast: a clean shutdown; immediate: a crash (WAL recovery at start); freeze: the database hangs
    # (SIGSTOP, as behind a network partition) instead of refusing connections.
    stop_mode: str = "fast"
    clients_per_kind: int = 2  # gateways, guardians, resident clients
    rate_per_client: float = 12.0  # requests per second, each client
    batch_size: int = 20
    children_per_guardian: int = 18
    seed: int = 2026
    keep: bool = False  # keep the temporary directory (cluster data and logs)

    @classmethod
    def short(cls) -> "DrillOptions":
        """For the test suite: the same drill in about 20 s."""
        return cls(load_seconds=8.0, restart_after=2.5, outage_seconds=2.0)


# ── The private cluster ──────────────────────────────────────────────────────


def postgres_bin() -> Path | None:
    """PostgreSQL 15's server programs (LINLI_DRILL_PG_BIN to choose others), or None."""
    configured = os.environ.get("LINLI_DRILL_PG_BIN")
    candidates = [Path(configured)] if configured else [Path("/usr/lib/postgresql/15/bin")]
    if not configured:
        candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    return next((path for path in candidates if (path / "initdb").exists()), None)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateCluster:
    """A throwaway PostgreSQL cluster of our own: restarting it disturbs no one."""

    def __init__(self, bin_dir: Path, port: int) -> None:
        self.bin_dir = bin_dir
        self.port = port
        self.root = Path(tempfile.mkdtemp(prefix="linli-fault-drill-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.running = False
        self.frozen: list[int] = []

    @property
    def url(self) -> str:
        return f"postgresql://linli:linli@127.0.0.1:{self.port}/linli"

    @property
    def admin_dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str, timeout: float = 60) -> None:
        command = [str(self.bin_dir / program), *args]
        if os.geteuid() == 0:  # initdb refuses root; the cluster belongs to the postgres user
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        if done.returncode != 0:
            raise DrillError(f"{program} {' '.join(args[:2])} 失败：{(done.stderr or done.stdout).strip()}")

    def create(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self.root.chmod(0o700)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"\n# fault drill\nlisten_addresses = '127.0.0.1'\nport = {self.port}\n"
                f"unix_socket_directories = '{self.root}'\nmax_connections = 100\n"
            )
        self.start()

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")
        self.running = True

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")
        self.running = False

    def freeze(self) -> None:
        """SIGSTOP the postmaster, then its children: the database hangs without refusing anything,
        as behind a network partition. Only this cluster's processes, by their ids."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        os.kill(postmaster, signal.SIGSTOP)
        listed = subprocess.run(
            ["ps", "--ppid", str(postmaster), "-o", "pid="], capture_output=True, text=True, check=True
        )
        self.frozen = [postmaster, *(int(pid) for pid in listed.stdout.split())]
        for pid in self.frozen[1:]:
            os.kill(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        for pid in self.frozen:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        self.frozen = []

    def destroy(self, keep: bool = False) -> None:
        if self.frozen:
            self.thaw()
        if self.running:
            with contextlib.suppress(DrillError, subprocess.TimeoutExpired):
                self.stop("immediate")
        if not keep:
            shutil.rmtree(self.root, ignore_errors=True)


async def create_database(cluster: PrivateCluster) -> None:
    admin = await asyncpg.connect(cluster.admin_dsn, timeout=10)
    try:
        # Superuser, like the local role scripts/setup.sh makes: the migrations create extensions.
        await admin.execute("CREATE ROLE linli LOGIN SUPERUSER PASSWORD 'linli'")
        await admin.execute("CREATE DATABASE linli OWNER linli")
    finally:
        await admin.close()


# ── The drill's own people and objects, and what their clients will send ─────


@dataclass
class Op:
    """One write a client wants acknowledged, sent again with the same body and key until it is."""

    kind: str
    key: str
    token: str
    variables: dict
    readings: list[tuple[str, datetime]] = field(default_factory=list)  # (serial, measured at)
    attempts: int = 0
    failures: int = 0
    answer: dict | None = None  # the first successful answer
    acknowledged_in_load: bool = False
    replay: dict | None = None  # the answer to the same request sent again after recovery

    @property
    def size(self) -> int:
        return len(self.readings) or 1


@dataclass
class World:
    gateway_token: str
    admin_token: str
    device_serials: list[str]
    device_ids: list[int]
    guardian_ids: list[int]
    resident_ids: list[int]
    guardian_plans: list[list[Op]]
    resident_plans: list[list[Op]]


def months_ago(today: date, months: int) -> date:
    """The same day `months` months back (clamped to the 28th: every month has one)."""
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    return date(year, month + 1, min(today.day, 28))


async def build_world(url: str, options: DrillOptions, rng: random.Random) -> World:
    settings = Settings(DATABASE_URL=url, env="production", jwt_secret=BENCH_SECRET)
    tokens = TokenService(settings)
    engine = create_async_engine(normalize_database_url(url))
    now = datetime.now(UTC)
    today = now.astimezone(SHANGHAI).date()
    clients = options.clients_per_kind
    try:
        async with engine.begin() as connection:
            session = AsyncSession(bind=connection, expire_on_commit=False)
            await seed_demo(session=session)
            communities = dict((await session.execute(select(Community.name, Community.id))).all())
            elders = [
                Elder(
                    name=f"演练老人{index}",
                    birth_date=date(1938 + index, 3, 1),
                    community_id=communities["南睦未来社区" if index % 2 == 0 else "海创社区"],
                )
                for index in range(8)
            ]
            session.add_all(elders)
            await session.flush()
            devices = [
                Device(serial=f"DRILL-WB-{index:02d}", kind="WRISTBAND", elder_id=elder.id)
                for index, elder in enumerate(elders)
            ]
            session.add_all(devices)
            guardians = [
                await people_service.add_user(
                    session=session,
                    phone=f"1570000{index:04d}",
                    name=f"演练家长{index}",
                    role=Role.RESIDENT,
                    community_name="南睦未来社区",
                )
                for index in range(clients)
            ]
            residents = [
                await people_service.add_user(
                    session=session,
                    phone=f"1560000{index:04d}",
                    name=f"演练居民{index}",
                    role=Role.RESIDENT,
                    community_name="南睦未来社区",
                )
                for index in range(clients * DESKS_PER_RESIDENT_CLIENT)
            ]
            # Children of the three full-day classes' ages, registered with their guardian's consent.
            ages = {"INFANT": 9, "TODDLER": 18, "PRESCHOOL": 30}
            children: list[list[tuple[int, str]]] = []
            for guardian in guardians:
                mine = []
                for index in range(options.children_per_guardian):
                    kind = list(ages)[index % len(ages)]
                    child = Child(
                        name=f"演练孩子{guardian.id}-{index}",
                        birth_date=months_ago(today, ages[kind]),
                        consent_given_at=now,
                        consent_given_by=guardian.id,
                    )
                    session.add(child)
                    await session.flush()
                    session.add(ChildGuardian(child_id=child.id, person_id=guardian.id))
                    mine.append((child.id, kind))
                children.append(mine)
            await session.flush()
            gateway = await people_service.get_person_by_phone(session=session, phone=GATEWAY_PHONE)
            admin = await people_service.get_person_by_phone(session=session, phone=ADMIN_PHONE)
            for person in (gateway, admin):
                await session.refresh(person, ["roles"])
            sessions = (
                await session.execute(
                    text(
                        "SELECT s.id, c.kind FROM childcare_sessions s "
                        "JOIN childcare_classes c ON c.id = s.class_id "
                        "JOIN childcare_centers k ON k.id = c.center_id "
                        "WHERE s.care_type = 'FULL_DAY' AND lower(s.period) > now() + interval '2 hours' "
                        "AND s.day <= CAST(:today AS date) + k.booking_horizon_days ORDER BY s.day, s.id"
                    ),
                    {"today": today},
                )
            ).all()
            space = await session.scalar(select(MakerSpace).where(MakerSpace.name == "南睦天空创客厅"))
            desks = list(
                await session.scalars(
                    select(Resource.id)
                    .where(Resource.space_id == space.id, Resource.kind == "DESK")
                    .order_by(Resource.position)
                )
            )
            world_tokens = {
                "gateway": tokens.issue(gateway)[0],
                "admin": tokens.issue(admin)[0],
                "guardians": [tokens.issue(person)[0] for person in guardians],
                "residents": [tokens.issue(person)[0] for person in residents],
            }
            guardian_ids = [person.id for person in guardians]
            resident_ids = [person.id for person in residents]
            space_rules = (space.opens_at, space.slot_minutes, space.desk_daily_cap_minutes)
            horizon = space.booking_horizon_days
            device_ids = [device.id for device in devices]
    finally:
        await engine.dispose()

    guardian_plans = []
    for index, (token, mine) in enumerate(zip(world_tokens["guardians"], children, strict=True)):
        plan = [
            Op(
                kind="booking",
                key=f"drill-book-g{index}-c{child_id}-s{session_id}",
                token=token,
                variables={
                    "input": {
                        "sessionId": encode_global_id("ChildcareSession", session_id),
                        "childId": encode_global_id("Child", child_id),
                        "idempotencyKey": f"drill-book-g{index}-c{child_id}-s{session_id}",
                    }
                },
            )
            for child_id, kind in mine
            for session_id, session_kind in sessions
            if session_kind == kind
        ]
        rng.shuffle(plan)
        guardian_plans.append(plan)

    opens_at, slot_minutes, daily_cap = space_rules
    slots_per_day = daily_cap // slot_minutes  # the daily desk cap, in back-to-back slots
    resident_plans = []
    for client in range(clients):
        plans = []
        for offset in range(DESKS_PER_RESIDENT_CLIENT):
            account = client * DESKS_PER_RESIDENT_CLIENT + offset
            desk = desks[account % len(desks)]
            plan = []
            for day_offset in range(1, horizon + 1):
                day = today + timedelta(days=day_offset)
                first = datetime.combine(day, opens_at, tzinfo=SHANGHAI)
                for slot in range(slots_per_day):
                    start = first + timedelta(minutes=slot * slot_minutes)
                    key = f"drill-desk-r{account}-{day:%m%d}-{slot:02d}"
                    plan.append(
                        Op(
                            kind="reservation",
                            key=key,
                            token=world_tokens["residents"][account],
                            variables={
                                "input": {
                                    "resourceId": encode_global_id("Resource", desk),
                                    "start": start.isoformat(),
                                    "end": (start + timedelta(minutes=slot_minutes)).isoformat(),
                                    "idempotencyKey": key,
                                }
                            },
                        )
                    )
            plans.append(plan)
        # The client's accounts take turns, so each books its days in order.
        resident_plans.append([op for ops in itertools.zip_longest(*plans) for op in ops if op is not None])

    return World(
        gateway_token=world_tokens["gateway"],
        admin_token=world_tokens["admin"],
        device_serials=[f"DRILL-WB-{index:02d}" for index in range(len(device_ids))],
        device_ids=device_ids,
        guardian_ids=guardian_ids,
        resident_ids=resident_ids,
        guardian_plans=guardian_plans,
        resident_plans=resident_plans,
    )


def readings_batches(world: World, options: DrillOptions, client: int, rng: random.Random) -> Iterator[Op]:
    """Endless batches of heart rates, each reading at its own millisecond of the last 20 minutes
    (no two batches share a (device, kind, time)); about one in seven out of range."""
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=20)
    for number in itertools.count(client, options.clients_per_kind):
        readings, body = [], []
        for position in range(options.batch_size):
            index = number * options.batch_size + position
            serial = world.device_serials[index % len(world.device_serials)]
            at = base + timedelta(milliseconds=index)
            draw = rng.random()
            value = 140 if draw < 0.04 else 120 if draw < 0.14 else 60 + rng.randint(0, 35)
            readings.append((serial, at))
            body.append(
                {"deviceId": serial, "kind": "HEART_RATE", "value": value, "measuredAt": at.isoformat()}
            )
        yield Op(
            kind="readings",
            key=f"batch-{number}",
            token=world.gateway_token,
            variables={"r": body},
            readings=readings,
        )


# ── Load, restart, watchers ──────────────────────────────────────────────────


@dataclass
class Attempt:
    kind: str
    started: float  # seconds since the load began
    seconds: float
    outcome: str  # ok | unavailable (503 SERVICE_UNAVAILABLE with Retry-After) | rejected | other
    status: int | None
    detail: str = ""


@dataclass
class Feed:
    """What one careAlertEvents subscriber saw."""

    name: str
    sequences: list[int] = field(default_factory=list)
    received: dict[int, float] = field(default_factory=dict)  # sequence → drill clock
    reconnects: Counter = field(default_factory=Counter)  # reason → times
    reconnected_at: list[float] = field(default_factory=list)  # drill clock
    last_before_offline: int | None = None
    back_online_at: float | None = None
    out_of_order: int = 0


@dataclass
class Drill:
    options: DrillOptions
    base_url: str
    started: float = field(default_factory=time.monotonic)
    load_over: asyncio.Event = field(default_factory=asyncio.Event)
    outage: asyncio.Event = field(default_factory=asyncio.Event)
    back: asyncio.Event = field(default_factory=asyncio.Event)
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    attempts: list[Attempt] = field(default_factory=list)
    sent: list[Op] = field(default_factory=list)
    unfinished: list[Op] = field(default_factory=list)
    marks: dict[str, float] = field(default_factory=dict)
    ready: list[tuple[float, int | None]] = field(default_factory=list)
    listening: list[tuple[float, int | None]] = field(default_factory=list)
    planned: dict[str, int] = field(default_factory=dict)
    outage_subscription: tuple[str, float] = ("not tried", 0.0)

    def clock(self) -> float:
        return time.monotonic() - self.started


async def send(http: httpx.AsyncClient, op: Op, drill: Drill) -> tuple[Attempt, dict | None]:
    started = drill.clock()
    try:
        response = await http.post(
            "/graphql",
            json={"query": QUERY[op.kind], "variables": op.variables},
            headers={"Authorization": f"Bearer {op.token}"},
        )
    except httpx.TransportError as error:
        return Attempt(op.kind, started, drill.clock() - started, "other", None, repr(error)), None
    seconds = drill.clock() - started
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        return Attempt(op.kind, started, seconds, "other", status, response.text[:200]), None
    errors = body.get("errors") or []
    if status == 200 and not errors:
        answer = (body.get("data") or {}).get(FIELD[op.kind]) or {}
        if answer.get("__typename") == SUCCESS[op.kind]:
            return Attempt(op.kind, started, seconds, "ok", status), answer
        detail = f"{answer.get('__typename')} {answer.get('code')}: {answer.get('message')}"
        return Attempt(op.kind, started, seconds, "rejected", status, detail), None
    codes = {(error.get("extensions") or {}).get("code") for error in errors}
    if status == 503 and codes == {"SERVICE_UNAVAILABLE"} and response.headers.get("retry-after"):
        return Attempt(op.kind, started, seconds, "unavailable", status), None
    return Attempt(
        op.kind, started, seconds, "other", status, json.dumps(body, ensure_ascii=False)[:300]
    ), None


async def client(drill: Drill, ops: Iterator[Op] | list[Op]) -> None:
    """Sends its ops in order at its pace; a failed one again, same body and key, until answered."""
    interval = 1 / drill.options.rate_per_client
    async with httpx.AsyncClient(base_url=drill.base_url, timeout=HTTP_TIMEOUT_SECONDS) as http:
        for op in ops:
            while True:
                if drill.load_over.is_set():
                    if op.attempts:
                        drill.unfinished.append(op)
                    return
                began = time.monotonic()
                attempt, answer = await send(http, op, drill)
                if op.attempts == 0:
                    drill.sent.append(op)
                op.attempts += 1
                drill.attempts.append(attempt)
                if attempt.outcome == "ok":
                    op.answer, op.acknowledged_in_load = answer, True
                    await asyncio.sleep(max(0.0, interval - (time.monotonic() - began)))
                    break
                op.failures += 1
                if attempt.outcome == "rejected":  # a rule said no: sending it again changes nothing
                    break
                await asyncio.sleep(RETRY_PAUSE_SECONDS)


async def watch_ready(drill: Drill) -> None:
    async with httpx.AsyncClient(base_url=drill.base_url, timeout=HTTP_TIMEOUT_SECONDS) as http:
        while not drill.finished.is_set():
            at = drill.clock()
            try:
                status = (await http.get("/readyz")).status_code
            except httpx.TransportError:
                status = None
            drill.ready.append((at, status))
            await asyncio.sleep(WATCH_EVERY_SECONDS)


LISTENERS = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
    "AND backend_type = 'client backend' AND query LIKE 'LISTEN %'"
)


async def watch_listen(drill: Drill, dsn: str) -> None:
    """How many connections LISTEN in the drill's database (the server's feed), every 100 ms."""
    connection = None
    while not drill.finished.is_set():
        at = drill.clock()
        try:
            if connection is None or connection.is_closed():
                connection = await asyncpg.connect(dsn, timeout=2)
            drill.listening.append((at, await connection.fetchval(LISTENERS)))
        except Exception:  # the watcher's own connection broke with the database: a new one next time
            drill.listening.append((at, None))
            if connection is not None:
                connection.terminate()
            connection = None
        await asyncio.sleep(WATCH_EVERY_SECONDS)
    if connection is not None:
        await connection.close()


async def open_subscription(drill: Drill, token: str, after: int):
    """A graphql-transport-ws connection, acknowledged, with careAlertEvents subscribed."""
    ws_url = drill.base_url.replace("http://", "ws://") + "/graphql"
    ws = await connect(ws_url, subprotocols=["graphql-transport-ws"], open_timeout=5)
    try:
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        )
        if json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] != "connection_ack":
            raise WebSocketException("no connection_ack")
        payload = {"query": EVENTS, "variables": {"after": after}}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
    except BaseException:
        await ws.close()
        raise
    return ws


def refusal_of(message: dict) -> str | None:
    """None for an event; else what ended the stream, e.g. "next SERVICE_UNAVAILABLE", "complete"."""
    if message["type"] == "next" and not message["payload"].get("errors"):
        return None
    errors = message.get("payload") or []
    if isinstance(errors, dict):
        errors = errors.get("errors") or []
    codes = sorted({(error.get("extensions") or {}).get("code") or "?" for error in errors})
    return f"{message['type']} {','.join(codes)}".strip()


async def subscribe(
    drill: Drill, feed: Feed, token: str, *, quiet: float | None, pause: float, offline: float | None = None
) -> None:
    """A careAlertEvents subscriber. When its stream breaks, or stays silent `quiet` seconds, it
    waits `pause` and subscribes again with afterSequence = the last sequence it saw. With
    `offline`, it drops its connection when the database stops (a phone losing its network at
    the same moment) and comes back `offline` seconds after the database did."""
    dropped = False
    while not drill.finished.is_set():
        after = feed.sequences[-1] if feed.sequences else 0
        reason = "closed"
        try:
            ws = await open_subscription(drill, token, after)
            async with ws:
                last_message = time.monotonic()
                while not drill.finished.is_set():
                    if offline is not None and not dropped and drill.outage.is_set():
                        dropped, reason = True, "offline at the outage"
                        break
                    try:
                        message = json.loads(await asyncio.wait_for(ws.recv(), 0.2))
                    except TimeoutError:
                        if quiet is not None and time.monotonic() - last_message > quiet:
                            reason = "quiet"
                            break
                        continue
                    last_message = time.monotonic()
                    if message["type"] == "ping":
                        await ws.send(json.dumps({"type": "pong"}))
                        continue
                    refused = refusal_of(message)
                    if refused is not None:
                        reason = refused
                        break
                    sequence = message["payload"]["data"]["careAlertEvents"]["sequence"]
                    if feed.sequences and sequence <= feed.sequences[-1]:
                        feed.out_of_order += 1
                    feed.sequences.append(sequence)
                    feed.received[sequence] = drill.clock()
        except (OSError, TimeoutError, WebSocketException) as error:
            reason = type(error).__name__
        if drill.finished.is_set():
            return
        feed.reconnects[reason] += 1
        if reason == "offline at the outage":
            feed.last_before_offline = feed.sequences[-1] if feed.sequences else 0
            await drill.back.wait()
            await asyncio.sleep(offline)
            feed.back_online_at = drill.clock()
        else:
            await asyncio.sleep(pause)
        feed.reconnected_at.append(drill.clock())


async def subscribe_during_outage(drill: Drill, token: str) -> tuple[str, float]:
    """One subscription opened while the database is down: its first answer and how fast it came."""
    started = drill.clock()
    try:
        ws = await open_subscription(drill, token, after=0)
        async with ws:
            message = json.loads(await asyncio.wait_for(ws.recv(), HTTP_TIMEOUT_SECONDS))
            answer = refusal_of(message) or "next (an event)"
    except (OSError, TimeoutError, WebSocketException) as error:
        answer = type(error).__name__
    return answer, drill.clock() - started


async def drive(drill: Drill, cluster: PrivateCluster, world: World, rng: random.Random) -> None:
    """The load, with the database stopped and started again in its middle."""
    options = drill.options
    plans: list[Iterator[Op] | list[Op]] = [
        readings_batches(world, options, number, random.Random(rng.random()))
        for number in range(options.clients_per_kind)
    ]
    plans += world.guardian_plans + world.resident_plans
    drill.marks["load"] = drill.clock()
    clients = [asyncio.create_task(client(drill, plan)) for plan in plans]
    await asyncio.sleep(options.restart_after)
    drill.outage.set()
    drill.marks["stopping"] = drill.clock()
    if options.stop_mode == "freeze":
        await asyncio.to_thread(cluster.freeze)
    else:
        await asyncio.to_thread(cluster.stop, options.stop_mode)
    drill.marks["down"] = drill.clock()
    refused = asyncio.create_task(subscribe_during_outage(drill, world.admin_token))
    await asyncio.sleep(options.outage_seconds)
    drill.marks["starting"] = drill.clock()
    await asyncio.to_thread(cluster.thaw if options.stop_mode == "freeze" else cluster.start)
    drill.marks["up"] = drill.clock()
    drill.back.set()
    drill.outage_subscription = await refused
    await asyncio.sleep(max(3.0, options.load_seconds - drill.clock()))
    drill.load_over.set()
    await asyncio.gather(*clients)
    drill.marks["load_end"] = drill.clock()


# ── Counting ─────────────────────────────────────────────────────────────────


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    checks: list[tuple[str, bool, str]] = field(default_factory=list)

    def say(self, line: str = "") -> None:
        self.lines.append(line)

    def check(self, name: str, passed: bool, detail: str = "") -> None:
        self.checks.append((name, bool(passed), detail))

    @property
    def failures(self) -> list[str]:
        return [f"{name}: {detail}" for name, passed, detail in self.checks if not passed]

    @property
    def text(self) -> str:
        lines = [*self.lines, "", "checks"]
        lines += [
            f"  {'ok  ' if passed else 'FAIL'} {name}  {detail}".rstrip()
            for name, passed, detail in self.checks
        ]
        lines.append(f"{sum(passed for _, passed, _ in self.checks)} passed, {len(self.failures)} failed")
        return "\n".join(lines)


def seconds(value: float | None) -> str:
    if value is None or math.isinf(value):
        return "never"
    return f"{value:.2f} s" if value >= 1 else f"{value * 1000:.0f} ms"


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


async def stored_readings(dsn: str, device_ids: list[int]) -> set[tuple[str, datetime]]:
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(
            "SELECT d.serial, r.measured_at FROM readings r JOIN devices d ON d.id = r.device_id "
            "WHERE r.device_id = ANY($1::bigint[])",
            device_ids,
        )
    finally:
        await connection.close()
    return {(row["serial"], row["measured_at"]) for row in rows}


def half_written(batches: list[Op], stored: set[tuple[str, datetime]]) -> list[str]:
    """Batches with some but not all of their readings stored."""
    found = []
    for op in batches:
        present = sum(reading in stored for reading in op.readings)
        if 0 < present < op.size:
            found.append(f"{op.key} {present}/{op.size}")
    return found


async def finish_unfinished(drill: Drill) -> None:
    """The requests the end of the load cut off: sent again, same key, until answered."""
    async with httpx.AsyncClient(base_url=drill.base_url, timeout=HTTP_TIMEOUT_SECONDS) as http:
        for op in drill.unfinished:
            for _ in range(20):
                attempt, answer = await send(http, op, drill)
                op.attempts += 1
                if attempt.outcome == "ok":
                    op.answer = answer
                    break
                await asyncio.sleep(0.5)


async def replay(drill: Drill, rng: random.Random) -> list[Op]:
    """Every acknowledged op that failed at least once, and ten others per kind, sent again."""
    acknowledged = [op for op in drill.sent if op.answer is not None]
    chosen = [op for op in acknowledged if op.failures]
    for kind in KINDS:
        others = [op for op in acknowledged if op.kind == kind and not op.failures]
        chosen += rng.sample(others, min(10, len(others)))
    async with httpx.AsyncClient(base_url=drill.base_url, timeout=HTTP_TIMEOUT_SECONDS) as http:
        for op in chosen:
            attempt, answer = await send(http, op, drill)
            op.replay = (
                answer if attempt.outcome == "ok" else {"failed": attempt.outcome, "detail": attempt.detail}
            )
    return chosen


def same_object(op: Op) -> bool:
    if op.replay is None or "failed" in op.replay:
        return False
    if op.kind == "readings":  # everything already stored: all duplicates, nothing raised again
        return op.replay["accepted"] == 0 and op.replay["duplicates"] == op.size
    return op.replay["id"] == op.answer["id"]


async def probe_live_delivery(
    drill: Drill, world: World, feed: Feed, dsn: str
) -> tuple[float | None, tuple[str, datetime]]:
    """One more critical reading, once the staying subscriber has caught up: seconds until it sees
    the event (None if it does not), and the reading."""
    await wait_caught_up(feed, dsn, CATCH_UP_BOUND_SECONDS)
    serial = world.device_serials[0]
    at = datetime.now(UTC) - timedelta(seconds=1)
    op = Op(
        kind="readings",
        key="probe",
        token=world.gateway_token,
        variables={
            "r": [{"deviceId": serial, "kind": "HEART_RATE", "value": 150, "measuredAt": at.isoformat()}]
        },
        readings=[(serial, at)],
    )
    before = feed.sequences[-1] if feed.sequences else 0
    async with httpx.AsyncClient(base_url=drill.base_url, timeout=HTTP_TIMEOUT_SECONDS) as http:
        attempt, _ = await send(http, op, drill)
    if attempt.outcome != "ok":
        return None, op.readings[0]
    committed = attempt.started + attempt.seconds
    deadline = time.monotonic() + CATCH_UP_BOUND_SECONDS
    while time.monotonic() < deadline:
        newer = [drill_at for sequence, drill_at in feed.received.items() if sequence > before]
        if newer:
            return max(0.0, min(newer) - committed), op.readings[0]
        await asyncio.sleep(0.01)
    return None, op.readings[0]


async def wait_caught_up(feed: Feed, dsn: str, within: float) -> int:
    """The database's last event sequence, once the feed has seen it (or the time is up)."""
    connection = await asyncpg.connect(dsn)
    try:
        last = await connection.fetchval("SELECT coalesce(max(sequence), 0) FROM care_alert_events")
    finally:
        await connection.close()
    deadline = time.monotonic() + within
    while time.monotonic() < deadline and (feed.sequences[-1] if feed.sequences else 0) < last:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    return last


async def count_rows(dsn: str, world: World) -> dict:
    connection = await asyncpg.connect(dsn)
    try:
        bookings = await connection.fetch(
            "SELECT idempotency_key, id FROM childcare_bookings WHERE booked_by = ANY($1::bigint[])",
            world.guardian_ids,
        )
        reservations = await connection.fetch(
            "SELECT idempotency_key, id FROM reservations WHERE person_id = ANY($1::bigint[])",
            world.resident_ids,
        )
        counters = await connection.fetchval(
            "SELECT count(*) FROM childcare_sessions s WHERE s.confirmed_count <> ("
            "  SELECT count(*) FROM childcare_bookings b WHERE b.session_id = s.id"
            "  AND b.status IN ('CONFIRMED', 'CHECKED_IN', 'CHECKED_OUT'))"
        )
        alerts = await connection.fetchrow(
            "SELECT count(*) AS alerts, coalesce(sum(a.count), 0) AS folded FROM care_alerts a "
            "JOIN devices d ON d.elder_id = a.elder_id WHERE d.id = ANY($1::bigint[]) "
            "AND a.kind = 'VITAL_OUT_OF_RANGE'",
            world.device_ids,
        )
        out_of_range = await connection.fetchval(
            "SELECT count(*) FROM readings r "
            "JOIN vital_thresholds t ON t.elder_id IS NULL AND t.kind = r.kind "
            "WHERE r.device_id = ANY($1::bigint[]) "
            "AND (r.value <= t.warning_low OR r.value >= t.warning_high)",
            world.device_ids,
        )
        without_opened = await connection.fetchval(
            "SELECT count(*) FROM care_alerts a WHERE (SELECT count(*) FROM care_alert_events e "
            "WHERE e.alert_id = a.id AND e.type = 'OPENED') <> 1"
        )
        orphan_events = await connection.fetchval(
            "SELECT count(*) FROM care_alert_events e LEFT JOIN care_alerts a ON a.id = e.alert_id "
            "WHERE a.id IS NULL"
        )
        events = [row["sequence"] for row in await connection.fetch("SELECT sequence FROM care_alert_events")]
        alert_ids = {row["id"] for row in await connection.fetch("SELECT id FROM care_alerts")}
    finally:
        await connection.close()
    return {
        "booking": [(row["idempotency_key"], row["id"]) for row in bookings],
        "reservation": [(row["idempotency_key"], row["id"]) for row in reservations],
        "bad_counters": counters,
        "alerts": alerts["alerts"],
        "folded": alerts["folded"],
        "out_of_range": out_of_range,
        "without_opened": without_opened,
        "orphan_events": orphan_events,
        "events": set(events),
        "alert_ids": alert_ids,
    }


def summarize(
    report: Report,
    drill: Drill,
    *,
    half_at_end: list[str],
    stored: set[tuple[str, datetime]],
    rows: dict,
    replayed: list[Op],
    feeds: tuple[Feed, Feed],
    live_seconds: float | None,
    server_pid: int,
    server_alive: bool,
    server_exit: int | None,
    server_errors: list[str],
) -> None:
    marks = drill.marks
    up = marks["up"]
    report.say(
        f"timeline (s): load {marks['load']:.1f} → stop {marks['stopping']:.1f} "
        f"(down at {marks['down']:.1f}) → start {marks['starting']:.1f} (up at {up:.1f}) "
        f"→ load end {marks['load_end']:.1f}; "
        f"server pid {server_pid} throughout"
    )

    # Requests.
    report.say("")
    report.say(f"{'requests':<24}{'sent':>7}{'ok':>7}{'503':>7}{'rejected':>10}{'other':>7}")
    for kind in (*KINDS, None):
        mine = [a for a in drill.attempts if kind is None or a.kind == kind]
        outcomes = Counter(a.outcome for a in mine)
        name = FIELD[kind] if kind else "total"
        report.say(
            f"{name:<24}{len(mine):>7}{outcomes['ok']:>7}{outcomes['unavailable']:>7}"
            f"{outcomes['rejected']:>10}{outcomes['other']:>7}"
        )
    failed = [a for a in drill.attempts if a.outcome != "ok"]
    latencies = [a.seconds for a in failed]
    worst = max(latencies, default=0.0)
    p99 = percentile(latencies, 0.99)
    during = [a for a in failed if a.outcome == "unavailable"]
    window = (
        f"{min(a.started for a in during):.1f}–{max(a.started + a.seconds for a in during):.1f} s"
        if during
        else "none"
    )
    report.say(
        f"failures: {len(failed)}, answered in p50 {percentile(latencies, 0.5) * 1000:.0f} ms, "
        f"p99 {p99 * 1000:.0f} ms, max {worst * 1000:.0f} ms; 503s between {window}"
    )
    others = [a for a in failed if a.outcome in ("other", "rejected")]
    for attempt in others[:5]:
        report.say(
            f"  unexpected: {attempt.kind} at {attempt.started:.2f} s, "
            f"HTTP {attempt.status}: {attempt.detail}"
        )
    report.check(
        "every failure is 503 SERVICE_UNAVAILABLE with Retry-After", not others, f"{len(others)} others"
    )
    report.check("the outage was seen (some requests refused)", bool(during), f"{len(during)} refused")
    bound = fail_fast_bound(drill.options.stop_mode)
    report.check(
        f"failures answer fast (max ≤ {bound:.0f} s)",
        worst <= bound,
        f"p99 {p99:.2f} s, max {worst:.2f} s",
    )
    slowest_answer = max((a.seconds for a in drill.attempts), default=0.0)
    report.check(
        f"no request hangs (every answer, ok or not, within {bound:.0f} s)",
        slowest_answer <= bound,
        f"slowest {slowest_answer:.2f} s",
    )

    # Recovery, by kind: the first answer after the database was back, of a request sent after it.
    recovered = {}
    for kind in KINDS:
        oks = [
            a.started + a.seconds
            for a in drill.attempts
            if a.kind == kind and a.outcome == "ok" and a.started >= up
        ]
        recovered[kind] = min(oks) - up if oks else None
    slowest = max((value for value in recovered.values() if value is not None), default=None)
    late = [a for a in failed if recovered[a.kind] is not None and a.started > up + recovered[a.kind]]
    report.say(
        "recovery after the database was back: "
        + ", ".join(
            f"{FIELD[k]} {v:.2f} s" if v is not None else f"{FIELD[k]} never" for k, v in recovered.items()
        )
        + f"; failures after that: {len(late)}"
    )
    report.check(
        f"same process serves every kind again within {RECOVERY_BOUND_SECONDS:.0f} s",
        server_alive and all(v is not None and v <= RECOVERY_BOUND_SECONDS for v in recovered.values()),
        f"slowest {slowest if slowest is None else round(slowest, 2)} s, server alive {server_alive}",
    )
    report.check("no request fails once recovered", not late, f"{len(late)} failed after recovery")

    ready_down = [at for at, status in drill.ready if status == 503 and marks["stopping"] <= at <= up + 1]
    ready_back = [at for at, status in drill.ready if status == 200 and at >= up]
    ready_up = min(ready_back) - up if ready_back else None
    report.say(
        f"/readyz: 503 seen {len(ready_down)} times during the outage; 200 again "
        f"{'never' if ready_up is None else f'{ready_up:.2f} s'} after the database was back"
    )
    ready_others = [(at, status) for at, status in drill.ready if status not in (200, 503)]
    report.check(
        "/readyz goes 503 → 200 (and never anything else)",
        ready_down and ready_up is not None and drill.ready[-1][1] == 200 and not ready_others,
        f"{len(ready_others)} other answers",
    )
    # The server's own LISTEN connection. Subscribers whose streams broke subscribe again meanwhile,
    # which reopens it too, so this is the end-to-end figure; that the feed reopens it by itself is
    # tested on its own in tests/faults/test_db_restart.py.
    back = [at for at, count in drill.listening if at >= up and count]
    listen_up = min(back) - up if back else None
    first_resubscribe = min(
        (at for feed in feeds for at in feed.reconnected_at if at >= up), default=math.inf
    )
    first_live = min((at for at in feeds[1].received.values() if at >= up), default=None)
    report.say(
        f"LISTEN back {seconds(listen_up)} after the database (first subscription opened again "
        f"{seconds(first_resubscribe - up)} after); the staying subscriber's first event "
        f"{seconds(None if first_live is None else first_live - up)} after; "
        f"a new alert reached it in {seconds(live_seconds)}"
    )
    report.check(
        f"the server LISTENs again within {LISTEN_BACK_BOUND_SECONDS:.0f} s of the database",
        listen_up is not None and listen_up <= LISTEN_BACK_BOUND_SECONDS,
        f"after {seconds(listen_up)}",
    )
    report.check(
        f"live delivery after the restart within {LIVE_DELIVERY_BOUND_SECONDS:.0f} s (not the 10 s poll)",
        live_seconds is not None and live_seconds <= LIVE_DELIVERY_BOUND_SECONDS,
        "" if live_seconds is None else f"{live_seconds:.2f} s",
    )

    # Rows against acknowledgements.
    report.say("")
    report.say(
        f"{'rows':<22}{'planned':>9}{'sent':>7}{'ack (load)':>12}{'ack (end)':>11}{'in db':>8}"
        f"{'missing':>9}{'extra':>7}{'dup keys':>10}"
    )
    batches = [op for op in drill.sent if op.kind == "readings"]
    acked_batches = [op for op in batches if op.answer is not None]
    expected = {reading for op in acked_batches for reading in op.readings}
    drill_readings = {reading for op in batches for reading in op.readings}
    missing_readings = expected - stored
    extra_readings = stored - expected
    report.say(
        f"{'readings':<22}{'—':>9}{sum(op.size for op in batches):>7}"
        f"{sum(op.size for op in batches if op.acknowledged_in_load):>12}{len(expected):>11}{len(stored):>8}"
        f"{len(missing_readings):>9}{len(extra_readings):>7}{'—':>10}"
    )
    problems = {}
    for kind in ("booking", "reservation"):
        plans = drill.planned[kind]
        sent = [op for op in drill.sent if op.kind == kind]
        acked = [op for op in sent if op.answer is not None]
        in_db = rows[kind]
        keys = Counter(key for key, _ in in_db)
        by_key = dict(in_db)
        wrong = [
            op.key for op in acked if by_key.get(op.key) != decode_global_id(op.answer["id"], NODE[kind])[1]
        ]
        extra = [key for key in keys if key not in {op.key for op in acked}]
        duplicate_keys = [key for key, count in keys.items() if count > 1]
        problems[kind] = (wrong, extra, duplicate_keys)
        report.say(
            f"{kind + 's':<22}{plans:>9}{len(sent):>7}{sum(op.acknowledged_in_load for op in sent):>12}"
            f"{len(acked):>11}{len(in_db):>8}{len(wrong):>9}{len(extra):>7}{len(duplicate_keys):>10}"
        )
    report.say(
        f"{'care alerts':<22}{'':>9}{'':>7}{'':>12}{'':>11}{rows['alerts']:>8}   "
        f"Σ count {rows['folded']} = out-of-range readings {rows['out_of_range']}"
    )
    report.check(
        "no readings batch half-written (counted before any retry)",
        not half_at_end,
        ", ".join(half_at_end[:5]),
    )
    report.check(
        "every acknowledged reading is stored, and nothing else",
        not missing_readings and not extra_readings and stored <= drill_readings,
        f"missing {len(missing_readings)}, extra {len(extra_readings)}",
    )
    for kind, (wrong, extra, duplicate_keys) in problems.items():
        report.check(
            f"every acknowledged {kind} is stored once, as answered",
            not wrong and not extra and not duplicate_keys,
            f"wrong/missing {wrong[:3]}, extra {extra[:3]}, duplicate keys {duplicate_keys[:3]}",
        )
    report.check(
        "session places match their bookings",
        rows["bad_counters"] == 0,
        f"{rows['bad_counters']} sessions off",
    )
    raised = {
        decode_global_id(alert["id"], "CareAlert")[1]
        for op in acked_batches
        for alert in op.answer.get("alertsRaised") or []
    }
    report.check(
        "alerts fold every out-of-range reading, each has one OPENED event, no orphan event",
        rows["folded"] == rows["out_of_range"] and rows["without_opened"] == 0 and rows["orphan_events"] == 0,
        f"Σ count {rows['folded']} vs {rows['out_of_range']}, without OPENED {rows['without_opened']}, "
        f"orphans {rows['orphan_events']}",
    )
    report.check(
        "every alert answered as raised exists",
        raised <= rows["alert_ids"],
        f"{len(raised - rows['alert_ids'])} missing",
    )

    # Retries with the same key after recovery.
    same = Counter((op.kind, same_object(op)) for op in replayed)
    retried = Counter(op.kind for op in replayed if op.failures)
    report.say(
        "sent again after recovery, same key: "
        + ", ".join(
            f"{FIELD[kind]} {same[(kind, True)]}/{same[(kind, True)] + same[(kind, False)]} same "
            f"({retried[kind]} had failed)"
            for kind in KINDS
        )
    )
    report.check(
        "a request sent again with its key returns the same object (readings: all duplicates)",
        all(same_object(op) for op in replayed) and replayed,
        f"{sum(not same_object(op) for op in replayed)} differ",
    )
    report.check(
        "every request cut off by the end of the load was answered when sent again",
        all(op.answer is not None for op in drill.unfinished),
        f"{sum(op.answer is None for op in drill.unfinished)} of {len(drill.unfinished)} unanswered",
    )

    # Subscribers.
    report.say("")
    for feed in feeds:
        seen = set(feed.sequences)
        gaps = sorted(rows["events"] - seen)
        report.say(
            f"subscriber {feed.name}: {len(feed.sequences)} events, reconnected "
            f"{sum(feed.reconnects.values())} times ({dict(feed.reconnects) or 'never'}), "
            f"missed {len(gaps)}, repeated or out of order {feed.out_of_order}"
        )
        report.check(
            f"subscriber {feed.name} saw every committed event once, in order",
            not gaps and feed.out_of_order == 0 and seen <= rows["events"],
            f"missed {gaps[:5]}, unknown {sorted(seen - rows['events'])[:5]}, "
            f"out of order {feed.out_of_order}",
        )
    offline = feeds[0]
    missed_offline = sorted(
        sequence
        for sequence in rows["events"]
        if offline.last_before_offline is not None
        and sequence > offline.last_before_offline
        and sequence in offline.received
        and offline.back_online_at is not None
        and offline.received[sequence] >= offline.back_online_at
    )
    report.check(
        "the subscriber that went offline came back with afterSequence and replayed what it missed",
        offline.reconnects["offline at the outage"] == 1 and missed_offline,
        f"{len(missed_offline)} events committed while it was away, received when it came back",
    )
    reasons = [reason for feed in feeds for reason in feed.reconnects]
    answer, took = drill.outage_subscription
    report.say(f"a subscription opened during the outage: {answer} in {seconds(took)}")
    report.check(
        "subscriptions refused during the outage say SERVICE_UNAVAILABLE, fast, never an internal error",
        "SERVICE_UNAVAILABLE" in answer
        and took <= fail_fast_bound(drill.options.stop_mode)
        and not any("INTERNAL" in reason or "?" in reason for reason in reasons),
        f"{answer} in {took:.2f} s; streams ended by {sorted(set(reasons))}",
    )

    report.say("")
    report.say(f"server log: {len(server_errors)} ERROR lines; exit status after SIGTERM: {server_exit}")
    for line in server_errors[:5]:
        report.say(f"  {line[:300]}")
        print(line, file=sys.stderr)  # whole, with its traceback: the report shows the start only
    report.check("the server logged no internal error", not server_errors, f"{len(server_errors)} lines")
    report.check("the server drained and exited 0 on SIGTERM", server_exit == 0, f"status {server_exit}")


# ── The whole drill ──────────────────────────────────────────────────────────


def start_linli(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(
            linli_command("serve", "--port", str(port), "--workers", "1"), env=env, stdout=out, stderr=out
        )


def stop_linli(server: subprocess.Popen, timeout: float = 30) -> int | None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    return server.returncode


def error_lines(log: Path) -> list[str]:
    if not log.exists():
        return []
    return [
        line
        for line in log.read_text(errors="replace").splitlines()
        if '"level":"ERROR"' in line or "Traceback" in line
    ]


async def run_drill(options: DrillOptions) -> Report:
    bin_dir = postgres_bin()
    if bin_dir is None:
        raise DrillError(
            "找不到 PostgreSQL 服务器程序（apt-get install postgresql-15 postgresql-15-postgis-3）"
        )
    rng = random.Random(options.seed)
    report = Report()
    cluster = PrivateCluster(bin_dir, free_port())
    server = None
    tasks: list[asyncio.Task] = []
    began = time.monotonic()
    try:
        await asyncio.to_thread(cluster.create)
        await create_database(cluster)
        await asyncio.to_thread(upgrade, normalize_database_url(cluster.url))
        world = await build_world(cluster.url, options, rng)
        port = free_port()
        env = {
            **server_env(cluster.url),
            # One address and few accounts send the whole load: the abuse limits are not under test.
            "LINLI_MUTATIONS_PER_IP": "1000000",
            "LINLI_MUTATIONS_PER_PERSON": "1000000",
            "LINLI_MUTATIONS_PER_GATEWAY": "1000000",
        }
        server_log = cluster.root / "linli.log"
        server = start_linli(env, port, server_log)
        base = f"http://127.0.0.1:{port}"
        await wait_ready(base, server)
        set_up = time.monotonic() - began

        drill = Drill(options=options, base_url=base)
        drill.planned = {
            "booking": sum(len(plan) for plan in world.guardian_plans),
            "reservation": sum(len(plan) for plan in world.resident_plans),
        }
        feeds = (Feed("replaying"), Feed("staying"))
        tasks = [
            asyncio.create_task(watch_ready(drill)),
            asyncio.create_task(watch_listen(drill, cluster.url)),
            asyncio.create_task(
                subscribe(
                    drill,
                    feeds[0],
                    world.admin_token,
                    quiet=QUIET_SECONDS,
                    pause=0.5,
                    offline=OFFLINE_AFTER_UP_SECONDS,
                )
            ),
            asyncio.create_task(subscribe(drill, feeds[1], world.admin_token, quiet=None, pause=1.0)),
        ]
        await asyncio.sleep(0.5)  # the subscriptions are registered
        await drive(drill, cluster, world, rng)

        batches = [op for op in drill.sent if op.kind == "readings"]
        half_at_end = half_written(batches, await stored_readings(cluster.url, world.device_ids))
        await finish_unfinished(drill)
        replayed = await replay(drill, rng)
        live_seconds, probe = await probe_live_delivery(drill, world, feeds[1], cluster.url)
        for feed in feeds:
            await wait_caught_up(feed, cluster.url, CATCH_UP_BOUND_SECONDS)
        drill.finished.set()
        await asyncio.gather(*tasks)
        tasks = []

        stored = await stored_readings(cluster.url, world.device_ids)
        rows = await count_rows(cluster.url, world)
        server_alive = server.poll() is None
        server_pid = server.pid
        server_exit = await asyncio.to_thread(stop_linli, server)
        report.say(
            f"Fault drill: PostgreSQL {WHAT_HAPPENS[options.stop_mode]} mid-load (private cluster "
            f"{bin_dir.parent.name} on "
            f"127.0.0.1:{cluster.port}; {options.clients_per_kind} clients each of gateways, guardians, "
            f"residents at {options.rate_per_client:g} req/s; batches of {options.batch_size}; "
            f"set-up {set_up:.1f} s)"
        )
        summarize(
            report,
            drill,
            half_at_end=half_at_end,
            stored=stored - {probe},
            rows=rows,
            replayed=replayed,
            feeds=feeds,
            live_seconds=live_seconds,
            server_pid=server_pid,
            server_alive=server_alive,
            server_exit=server_exit,
            server_errors=error_lines(server_log),
        )
        report.say(f"drill took {time.monotonic() - began:.1f} s in all")
        if options.keep:
            report.say(f"kept: {cluster.root}")
        return report
    finally:
        for task in tasks:
            task.cancel()
        if server is not None:
            await asyncio.to_thread(stop_linli, server)
        await asyncio.to_thread(cluster.destroy, options.keep)


def main() -> int:
    parser = argparse.ArgumentParser(description="数据库重启故障演练（私有 PostgreSQL 集群）")
    defaults = DrillOptions()
    parser.add_argument("--load-seconds", type=float, default=defaults.load_seconds)
    parser.add_argument("--restart-after", type=float, default=defaults.restart_after)
    parser.add_argument("--outage-seconds", type=float, default=defaults.outage_seconds)
    parser.add_argument(
        "--stop-mode",
        choices=["fast", "immediate", "freeze"],
        default=defaults.stop_mode,
        help="fast：正常停机；immediate：模拟崩溃；freeze：数据库挂起不应答（模拟网络分区）",
    )
    parser.add_argument("--clients", type=int, default=defaults.clients_per_kind, help="每类客户端数量")
    parser.add_argument("--rate", type=float, default=defaults.rate_per_client, help="每个客户端每秒请求数")
    parser.add_argument("--short", action="store_true", help="测试套件中的短版本")
    parser.add_argument("--keep", action="store_true", help="保留临时目录（集群数据与日志）")
    args = parser.parse_args()
    if args.short:
        options = DrillOptions.short()
    else:
        options = DrillOptions(
            load_seconds=args.load_seconds,
            restart_after=args.restart_after,
            outage_seconds=args.outage_seconds,
            stop_mode=args.stop_mode,
            clients_per_kind=args.clients,
            rate_per_client=args.rate,
        )
    options.keep = args.keep
    try:
        report = asyncio.run(run_drill(options))
    except DrillError as error:
        print(f"fault-drill: {error}", file=sys.stderr)
        return 2
    print(report.text)
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
