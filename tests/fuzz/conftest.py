"""Fuzzing fixtures: the app on one connection whose every case is rolled back, the demo accounts'
tokens, a few live objects for the fuzzer to aim at, and the totals reported at the end of the run."""

import contextlib
import json
import logging
import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection, async_sessionmaker

from models.people import Person
from schema.common import encode_global_id
from seeds.demo import DEMO_ACCOUNTS
from server.app import create_app
from server.auth import TokenService
from tests.conftest import FakeClock, make_settings

SHANGHAI = ZoneInfo("Asia/Shanghai")
ANONYMOUS = "ANONYMOUS"

# Examples drawn per operation and role; LINLI_FUZZ_EXAMPLES=200 (scripts/fuzz) digs deeper.
EXAMPLES = int(os.environ.get("LINLI_FUZZ_EXAMPLES", "25"))
# Fixed by default so the suite is repeatable; scripts/fuzz draws a new seed on every run.
SEED = int(os.environ.get("LINLI_FUZZ_SEED", "0"))

# Written whatever the answer, on purpose: abuse counters count failed attempts and the access
# logs record reads. Every other table must stay as it was after a refused request.
WRITTEN_ON_PURPOSE = ("rate_limit_hits", "health_access_log", "child_access_log", "case_access_log")

# The types the fuzzer's IDs point at (Node types and a few others arguments name), and their tables.
NODE_TABLES = {
    "Community": "communities",
    "Facility": "facilities",
    "MakerSpace": "maker_spaces",
    "Resource": "resources",
    "ResourceBlockOut": "resource_block_outs",  # not a Node, but named by global IDs all the same
    "Reservation": "reservations",
    "ChildcareCenter": "childcare_centers",
    "ChildcareClass": "childcare_classes",
    "ChildcareSession": "childcare_sessions",
    "Child": "children",
    "ChildcareBooking": "childcare_bookings",
    "Elder": "elders",
    "CareAlert": "care_alerts",
    "CareVisit": "care_visits",
    "Person": "persons",  # not a Node, but the carers of childcare sessions are named by it
    "Device": "devices",  # not a Node (node(id:) answers null), but the device mutations take its ID
    "Compound": "compounds",
    "Building": "buildings",
    "Unit": "units",
    "Household": "households",
    "Organisation": "organisations",
    "Case": "cases",
    "CasePhoto": "case_photos",
    "Notice": "notices",
}


# ── Totals of the run ────────────────────────────────────────────────────────


@dataclass
class FuzzTotals:
    examples: int = EXAMPLES
    seed: int = SEED
    operations: set[str] = field(default_factory=set)
    cases: Counter = field(default_factory=Counter)  # per role
    modes: Counter = field(default_factory=Counter)  # positive / negative
    statuses: Counter = field(default_factory=Counter)
    error_codes: Counter = field(default_factory=Counter)
    # operation → how far its cases got: an error code, or the answer's type
    outcomes: defaultdict = field(default_factory=lambda: defaultdict(Counter))
    failures: Counter = field(default_factory=Counter)  # per role
    findings: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    def summary_line(self) -> str:
        roles = len(self.cases)
        return (
            f"fuzz: {len(self.operations)} operations × {roles} roles, {sum(self.cases.values())} cases "
            f"({self.modes['positive']} positive, {self.modes['negative']} negative), "
            f"{sum(self.failures.values())} failures, {self.examples} examples per operation and role, "
            f"seed {self.seed}, {self.seconds:.1f} s"
        )

    def as_json(self) -> dict:
        return {
            "operations": len(self.operations),
            "roles": sorted(self.cases),
            "examples_per_operation_and_role": self.examples,
            "seed": self.seed,
            "cases": sum(self.cases.values()),
            "cases_per_role": dict(sorted(self.cases.items())),
            "modes": dict(self.modes),
            "http_statuses": {str(status): count for status, count in sorted(self.statuses.items())},
            "error_codes": dict(self.error_codes.most_common()),
            "outcomes": {label: dict(self.outcomes[label].most_common()) for label in sorted(self.outcomes)},
            "failures": sum(self.failures.values()),
            "failures_per_role": dict(sorted(self.failures.items())),
            "findings": self.findings[:50],
            "seconds": round(self.seconds, 1),
        }


TOTALS = FuzzTotals()


@pytest.fixture(scope="session")
def fuzz_totals() -> FuzzTotals:
    return TOTALS


def pytest_terminal_summary(terminalreporter) -> None:
    if not TOTALS.cases:
        return
    terminalreporter.write_line(TOTALS.summary_line())
    report = os.environ.get("LINLI_FUZZ_REPORT")
    if report:
        with open(report, "w", encoding="utf-8") as out:
            json.dump(TOTALS.as_json(), out, ensure_ascii=False, indent=2)
        terminalreporter.write_line(f"fuzz: report written to {report}")


# ── The world every case runs in ─────────────────────────────────────────────


class ErrorLog(logging.Handler):
    """Keeps our server's ERROR records (with tracebacks) so a finding shows what went wrong."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(logging.Formatter().format(record))


@dataclass
class FuzzWorld:
    connection: AsyncConnection
    client: httpx.AsyncClient
    tokens: dict[str, str | None]  # role → bearer token (None: anonymous)
    ids: dict[str, list[str]]  # Node type → global IDs of live objects
    phones: list[str]
    serials: list[str]  # devices' serial numbers, as gateways send them
    baseline: dict[int, int]  # table oid → row count before any case
    names: dict[int, str]  # table oid → name
    error_log: ErrorLog

    @contextlib.asynccontextmanager
    async def case(self):
        """One fuzz case inside a savepoint, rolled back whatever happened: no case sees another's
        writes, the rate limits start afresh, and the test database is left as it was."""
        self.error_log.records.clear()
        # A plain SAVEPOINT, released after the rollback: SQLAlchemy's begin_nested() only rolls
        # back to it, and thousands of savepoints left open exhaust Postgres's lock table.
        await self.connection.exec_driver_sql("SAVEPOINT fuzz_case")
        try:
            # Transaction ids from the snapshot's xmax on are this case's (as 32-bit xmin values).
            since = await self.connection.scalar(
                text("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint % 4294967296")
            )
            yield CaseProbe(self, since, await self.write_counters())
        finally:
            await self.connection.exec_driver_sql("ROLLBACK TO SAVEPOINT fuzz_case")
            await self.connection.exec_driver_sql("RELEASE SAVEPOINT fuzz_case")

    async def write_counters(self) -> dict[int, int]:
        """Rows inserted, updated or deleted per table so far in this transaction, rolled-back
        savepoints included: an unchanged counter proves the table untouched, cheaply."""
        rows = await self.connection.execute(
            text(
                "SELECT relid, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_xact_user_tables "
                "WHERE relname <> ALL(:excluded)"
            ),
            {"excluded": list(WRITTEN_ON_PURPOSE)},
        )
        return dict(rows.all())


@dataclass
class CaseProbe:
    world: FuzzWorld
    since: int  # transaction ids from here on belong to this case
    counters: dict[int, int]

    async def changed_tables(self) -> list[str]:
        """Tables whose rows this case left changed: a count that moved, or a row version it wrote."""
        after = await self.world.write_counters()
        changed = []
        for oid, written in after.items():
            if written == self.counters.get(oid, 0):
                continue
            name = self.world.names[oid]
            count, new_versions = (
                await self.world.connection.execute(
                    text(
                        f"SELECT count(*), count(*) FILTER (WHERE xmin::text::bigint >= :since) FROM {name}"
                    ),
                    {"since": self.since},
                )
            ).one()
            if count != self.world.baseline[oid] or new_versions:
                changed.append(f"{name} ({count - self.world.baseline[oid]:+d} rows, {new_versions} written)")
        return changed


async def live_objects(gql, tokens: dict[str, str | None], connection: AsyncConnection, now: datetime):
    """A reservation and a block-out of another resource, a newly registered child with a booking
    and a pick-up person, and an open SOS alert, made through the API as the demo accounts would
    (inside the module's transaction), so cancel, check-in, check-out, block-out removal and alert
    mutations meet real targets."""
    resident, gateway = tokens["RESIDENT"], tokens["DEVICE_GATEWAY"]
    tomorrow = (now.astimezone(SHANGHAI) + timedelta(days=1)).date().isoformat()

    spaces = await gql("{ makerSpaces { id } }", token=resident)
    days = await gql(
        "query($id: ID!, $date: Date!) { resourceAvailability(spaceId: $id, date: $date) "
        "{ resource { id } freeSlots { start end } } }",
        {"id": spaces["data"]["makerSpaces"][0]["id"], "date": tomorrow},
        token=resident,
    )
    day = next(day for day in days["data"]["resourceAvailability"] if day["freeSlots"])
    slot = day["freeSlots"][0]
    made = await gql(
        "mutation($input: ReservationCreateInput!) { reservationCreate(input: $input) { __typename } }",
        {"input": {"resourceId": day["resource"]["id"], "start": slot["start"], "end": slot["end"]}},
        token=resident,
    )
    assert made["data"]["reservationCreate"]["__typename"] == "Reservation", made
    # A block-out of another resource, for resourceBlockOutRemove to meet.
    other = next(day for day in reversed(days["data"]["resourceAvailability"]) if day["freeSlots"])
    free = other["freeSlots"][-1]
    blocked = await gql(
        "mutation($r: ID!, $s: DateTime!, $e: DateTime!) { resourceBlockOut(resourceId: $r, startsAt: $s, "
        'endsAt: $e, reason: "检修") { __typename } }',
        {"r": other["resource"]["id"], "s": free["start"], "e": free["end"]},
        token=tokens["MAKERSPACE_STAFF"],
    )
    assert blocked["data"]["resourceBlockOut"]["__typename"] == "ResourceBlockedOut", blocked

    centers = await gql("{ childcareCenters { id } }", token=resident)
    birth = (now.astimezone(SHANGHAI) - timedelta(days=400)).date().isoformat()  # a toddler, whatever the day
    child = await gql(
        "mutation($input: ChildRegisterInput!) { childRegister(input: $input) { ... on Child { id } } }",
        {"input": {"name": "王小禾", "birthDate": birth, "guardianConsent": True}},
        token=resident,
    )
    child_id = child["data"]["childRegister"]["id"]
    week = [(now.astimezone(SHANGHAI) + timedelta(days=days)).date().isoformat() for days in (1, 14)]
    sessions = await gql(
        "query($c: ID!, $from: Date!, $to: Date!, $child: ID) { childcareSessions("
        "centerId: $c, from: $from, to: $to, childId: $child) { id eligible remaining } }",
        {
            "c": centers["data"]["childcareCenters"][0]["id"],
            "from": week[0],
            "to": week[1],
            "child": child_id,
        },
        token=resident,
    )
    bookable = next(s for s in sessions["data"]["childcareSessions"] if s["eligible"] and s["remaining"])
    booked = await gql(
        "mutation($input: ChildcareBookingCreateInput!) { childcareBookingCreate(input: $input) "
        "{ __typename } }",
        {"input": {"sessionId": bookable["id"], "childId": child_id}},
        token=resident,
    )
    assert booked["data"]["childcareBookingCreate"]["__typename"] == "ChildcareBooking", booked
    pickup = await gql(
        'mutation($child: ID!) { childPickupPersonAdd(childId: $child, name: "王大伯", '
        'phone: "13900000001") { __typename } }',
        {"child": child_id},
        token=resident,
    )
    assert pickup["data"]["childPickupPersonAdd"]["__typename"] == "PickupPersonAdded", pickup

    serial = await connection.scalar(text("SELECT serial FROM devices WHERE kind = 'SOS_BUTTON' LIMIT 1"))
    recorded = await gql(
        "mutation($r: [ReadingInput!]!) { readingsRecord(readings: $r) { __typename } }",
        {"r": [{"deviceId": serial, "kind": "SOS", "value": 1, "measuredAt": now.isoformat()}]},
        token=gateway,
    )
    assert recorded["data"]["readingsRecord"]["__typename"] == "ReadingsRecorded", recorded


@pytest.fixture(scope="module")
async def world(engine):
    settings = make_settings(jobs_enabled=False)
    clock = FakeClock(datetime.now(UTC))
    async with engine.connect() as connection:
        transaction = await connection.begin()
        factory = async_sessionmaker(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        app = create_app(settings, engine=engine, session_factory=factory, clock=clock, configure_logs=False)
        error_log = ErrorLog()
        logging.getLogger("linli").addHandler(error_log)
        # Thousands of refused queries: silence their echo as production does (server/observability.py).
        strawberry_log = logging.getLogger("strawberry.execution")
        strawberry_level = strawberry_log.level
        strawberry_log.setLevel(logging.CRITICAL)
        try:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://linli.test"
            ) as client:
                tokens: dict[str, str | None] = {ANONYMOUS: None}
                async with factory() as session:
                    service = TokenService(settings)
                    for phone, _name, role, _community in DEMO_ACCOUNTS:
                        person = await session.scalar(select(Person).where(Person.phone == phone))
                        tokens[role.value] = service.issue(person)[0]

                async def gql(query: str, variables: dict | None = None, *, token: str | None) -> dict:
                    response = await client.post(
                        "/graphql",
                        json={"query": query, "variables": variables or {}},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                    assert response.status_code == 200, response.text
                    return response.json()

                await live_objects(gql, tokens, connection, clock.now)
                yield await build_world(connection, client, tokens, error_log)
        finally:
            logging.getLogger("linli").removeHandler(error_log)
            strawberry_log.setLevel(strawberry_level)
            await transaction.rollback()


async def build_world(connection, client, tokens, error_log) -> FuzzWorld:
    ids = {}
    for type_name, table in NODE_TABLES.items():
        keys = await connection.scalars(text(f"SELECT id FROM {table} ORDER BY id DESC LIMIT 30"))
        # A table with no rows still gets one (absent) ID: dictionaries may not be empty.
        ids[type_name] = [encode_global_id(type_name, key) for key in keys] or [
            encode_global_id(type_name, 1)
        ]
    serials = list(await connection.scalars(text("SELECT serial FROM devices ORDER BY id LIMIT 20")))
    phones = [phone for phone, *_ in DEMO_ACCOUNTS] + ["13900000001"]
    tables = await connection.execute(
        text(
            "SELECT relid, quote_ident(schemaname) || '.' || quote_ident(relname) "
            "FROM pg_stat_user_tables WHERE relname <> ALL(:excluded)"
        ),
        {"excluded": list(WRITTEN_ON_PURPOSE)},
    )
    names = dict(tables.all())
    baseline = {
        oid: await connection.scalar(text(f"SELECT count(*) FROM {name}")) for oid, name in names.items()
    }
    return FuzzWorld(connection, client, tokens, ids, phones, serials, baseline, names, error_log)
