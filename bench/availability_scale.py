"""Flat cost as data grows: a day's free slots in the maker space with 1 000, then 100 000 past reservations.

    .venv/bin/python bench/availability_scale.py [--requests 1000] [--concurrency 8] [--explain]

Builds a fresh database `<DATABASE_URL's name>_avail_bench` with the migrations and loads the demo
(`seed_demo`: among the rest the 南睦天空创客厅 with its 28 resources), plus 28 SYNTHETIC people who
hold the reservations. Tomorrow (Asia/Shanghai) gets a few CONFIRMED reservations, staggered over the
day, so the answer has busy slots. Then adds past reservations set-based (one INSERT … SELECT
generate_series): one hour each, 13 a day per resource between 08:30 and 21:30, going back day by
day from yesterday (100 000 reach about 39 weeks back), every resource alike, 70 % COMPLETED, 10 %
NO_SHOW and 20 % CANCELLED. No two overlap on a resource or for a person, so the exclusion
constraints (which only cover CONFIRMED and CHECKED_IN) would hold even if they covered them. Then
VACUUM ANALYZE.

At each size it serves Linli in its production configuration (`linli serve`, one worker, periodic
jobs off) and asks, anonymously (the field is public), `resourceAvailability(spaceId:, date:)` for
tomorrow — every resource with its free slots — and the same for the desks by the window
(`kind: DESK, features: [WINDOW]`). Each case runs once untimed (warm-up) and then timed. Prints
requests/s, p50 and p99 per case and size and the ratio of the p50s, 100k/1k (the goal is ≤ 1.5:
past reservations must not be read to answer for a future day). `--explain` also prints EXPLAIN
(ANALYZE, BUFFERS) of the SQL `resolvers.makerspace.availability` sends, as a custom and as a
generic plan (the server's asyncpg prepares its statements, so PostgreSQL may switch to the
generic one after five runs; that plan is taken from auto_explain with plan_cache_mode =
force_generic_plan).
"""

import argparse
import asyncio
import os
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import event, make_url, text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from serving import print_plans, server_env, start_server, stop_server, wait_ready  # noqa: E402

from resolvers.makerspace.calendar import availability  # noqa: E402
from seeds.demo import seed_demo  # noqa: E402
from seeds.makerspace import SPACE_NAME  # noqa: E402
from server.migrate import upgrade  # noqa: E402
from server.settings import normalize_database_url  # noqa: E402
from tests.conftest import recreate_database  # noqa: E402

SHANGHAI = ZoneInfo("Asia/Shanghai")
PEOPLE = 28  # as many as resources: the reservations of one hour on one day all have different people

QUERY = """
query Availability($space: ID!, $date: Date!, $kind: ResourceKind, $features: [ResourceFeature!]) {
  resourceAvailability(spaceId: $space, date: $date, kind: $kind, features: $features) {
    resource { id name kind capacity features }
    freeSlots { start end }
  }
}
"""
CASES = {"all resources": {}, "window desks": {"kind": "DESK", "features": ["WINDOW"]}}

ADD_PEOPLE = """
INSERT INTO persons (name, phone)
SELECT 'SYNTHETIC 创客 ' || g, '199' || lpad(g::text, 8, '0') FROM generate_series(1, :people) AS g
"""

# Tomorrow: resource k·4 (k = 0…6) is held from 10:00 + k hours for an hour, by person k.
ADD_TOMORROW = """
WITH resource AS (
  SELECT row_number() OVER (ORDER BY position, id) - 1 AS position, id, space_id
  FROM resources WHERE space_id = :space
), person AS (
  SELECT row_number() OVER (ORDER BY id) - 1 AS position, id FROM persons WHERE phone LIKE '199%'
), held AS (
  SELECT r.id, r.space_id, p.id AS person_id,
         CAST(CAST(:day AS date) AS timestamp) + make_interval(hours => (10 + r.position / 4)::int) AS starts
  FROM resource r JOIN person p ON p.position = r.position / 4
  WHERE r.position % 4 = 0
)
INSERT INTO reservations (resource_id, space_id, person_id, period, status)
SELECT id, space_id, person_id, tstzrange(starts, starts + interval '1 hour', '[)'), 'CONFIRMED' FROM held
"""

# Reservation n: resource n % R, its (n / R)-th hour counting back from yesterday's last
# (13 a day, 08:30–21:30 local), person n % R. Times are local: the session's time zone is Shanghai.
ADD_PAST = """
WITH resource AS (
  SELECT row_number() OVER (ORDER BY position, id) - 1 AS position, id, space_id, kind, capacity
  FROM resources WHERE space_id = :space
), person AS (
  SELECT row_number() OVER (ORDER BY id) - 1 AS position, id FROM persons WHERE phone LIKE '199%'
), counts AS (
  SELECT count(*) AS resources FROM resource
), numbered AS (
  SELECT g, g % c.resources AS r, g / c.resources AS j, random() AS dice FROM generate_series(
    CAST(:first AS bigint), CAST(:last AS bigint)) AS g, counts c
), placed AS (
  SELECT n.*,
         CAST(CAST(:yesterday AS date) AS timestamp) - make_interval(days => (j / 13)::int)
           + interval '20 hours 30 minutes' - make_interval(hours => (j % 13)::int) AS starts,
         CASE WHEN dice < 0.7 THEN 'COMPLETED' WHEN dice < 0.8 THEN 'NO_SHOW' ELSE 'CANCELLED' END AS status
  FROM numbered n
)
INSERT INTO reservations (resource_id, space_id, person_id, period, status, party_size, checked_in_at,
                          cancelled_at, cancelled_by, created_at)
SELECT r.id, r.space_id, p.id, tstzrange(x.starts, x.starts + interval '1 hour', '[)'), x.status,
       CASE WHEN r.kind = 'DESK' THEN 1 ELSE least(r.capacity, 4) END,
       CASE WHEN x.status = 'COMPLETED' THEN x.starts + interval '3 minutes' END,
       CASE WHEN x.status = 'CANCELLED' THEN x.starts - interval '1 day' END,
       CASE WHEN x.status = 'CANCELLED' THEN p.id END,
       x.starts - interval '2 days'
FROM placed x
JOIN resource r ON r.position = x.r
JOIN person p ON p.position = x.r
"""


async def build_database(url: str, tomorrow: date) -> int:
    await recreate_database(url)
    await asyncio.to_thread(upgrade, url)
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        session = AsyncSession(bind=connection)
        await seed_demo(session=session)
        await session.flush()
        space = await connection.scalar(
            text("SELECT id FROM maker_spaces WHERE name = :n"), {"n": SPACE_NAME}
        )
        await connection.execute(text(ADD_PEOPLE), {"people": PEOPLE})
        await connection.execute(text("SET LOCAL TIME ZONE 'Asia/Shanghai'"))
        await connection.execute(text(ADD_TOMORROW), {"space": space, "day": tomorrow})
    await engine.dispose()
    return space


async def add_past(url: str, space: int, first: int, last: int, yesterday: date) -> float:
    """Past reservations numbered first..last (inclusive), in one statement; then VACUUM ANALYZE."""
    engine = create_async_engine(url)
    started = time.perf_counter()
    async with engine.begin() as connection:
        await connection.execute(text("SET LOCAL TIME ZONE 'Asia/Shanghai'"))
        await connection.execute(text("SELECT setseed(:seed)"), {"seed": (first % 997) / 997})
        await connection.execute(
            text(ADD_PAST), {"space": space, "first": first, "last": last, "yesterday": yesterday}
        )
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text("VACUUM ANALYZE reservations"))
    await engine.dispose()
    return time.perf_counter() - started


async def reservation_counts(url: str) -> tuple[dict[str, int], str]:
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        by_status = "SELECT status, count(*) FROM reservations GROUP BY status"
        counts = dict((await connection.execute(text(by_status))).all())
        span = (
            await connection.execute(
                text(
                    "SELECT min(lower(period)) AT TIME ZONE 'Asia/Shanghai', "
                    "max(upper(period)) AT TIME ZONE 'Asia/Shanghai' FROM reservations "
                    "WHERE status NOT IN ('CONFIRMED', 'CHECKED_IN')"
                )
            )
        ).one()
    await engine.dispose()
    return counts, f"past from {span[0]:%Y-%m-%d %H:%M} to {span[1]:%Y-%m-%d %H:%M}"


async def ask(client: httpx.AsyncClient, variables: dict) -> list[dict]:
    response = await client.post("/graphql", json={"query": QUERY, "variables": variables})
    body = response.json()
    if response.status_code != 200 or "errors" in body:
        raise SystemExit(f"request failed: {response.status_code} {body}")
    return body["data"]["resourceAvailability"]


async def space_global_id(client: httpx.AsyncClient) -> str:
    response = await client.post("/graphql", json={"query": "{ makerSpaces { id name } }"})
    spaces = {space["name"]: space["id"] for space in response.json()["data"]["makerSpaces"]}
    return spaces[SPACE_NAME]


async def drive(client: httpx.AsyncClient, variables: dict, requests: int, concurrency: int) -> dict:
    latencies: list[float] = []
    free: list[int] = []
    resources: list[int] = []

    async def worker(queue) -> None:
        for _ in queue:
            started = time.perf_counter()
            days = await ask(client, variables)
            latencies.append(time.perf_counter() - started)
            resources.append(len(days))
            free.append(sum(len(day["freeSlots"]) for day in days))

    queue = iter(range(requests))
    await asyncio.gather(*(worker(queue) for _ in range(concurrency)))  # warm-up, the same requests
    latencies.clear()
    queue = iter(range(requests))
    started = time.perf_counter()
    await asyncio.gather(*(worker(queue) for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(ordered) * 1000,
        "p99": ordered[max(int(len(ordered) * 0.99) - 1, 0)] * 1000,
        "resources": resources[-1],
        "free": free[-1],
    }


async def explain(url: str, space: int, day: date) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the statement availability() sends: custom, then generic plan."""
    engine = create_async_engine(url)
    sent: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))

    try:
        for case, variables in CASES.items():
            async with engine.connect() as connection:
                event.listen(engine.sync_engine, "before_cursor_execute", capture)
                try:
                    await availability(
                        session=AsyncSession(bind=connection),
                        space_id=space,
                        day=day,
                        now=datetime.now(UTC),
                        kind=variables.get("kind"),
                        features=variables.get("features") or (),
                    )
                finally:
                    event.remove(engine.sync_engine, "before_cursor_execute", capture)
                await print_plans(connection, case, *sent[-1])
                await connection.rollback()
    finally:
        await engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000, help="timed requests per case and size")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--port", type=int, default=8812)
    parser.add_argument("--explain", action="store_true", help="print the plans of the resolver's SQL")
    args = parser.parse_args()

    base_url = normalize_database_url(
        os.environ.get("DATABASE_URL", "postgresql://linli:linli@127.0.0.1:5432/linli")
    )
    parsed = make_url(base_url)
    url = parsed.set(database=f"{parsed.database}_avail_bench").render_as_string(hide_password=False)
    today = datetime.now(SHANGHAI).date()
    tomorrow, yesterday = today + timedelta(days=1), today - timedelta(days=1)
    space = await build_database(url, tomorrow)
    base = f"http://127.0.0.1:{args.port}"

    rows, loaded = [], 0
    for size in (int(value) for value in args.sizes.split(",")):
        seconds = await add_past(url, space, loaded, size - 1, yesterday)
        loaded = size
        counts, span = await reservation_counts(url)
        print(
            f"loaded {size} past reservations ({seconds:.1f} s): "
            + ", ".join(f"{status}={count}" for status, count in sorted(counts.items()))
            + f"; {span}",
            flush=True,
        )
        server = start_server(server_env(url), args.port)
        try:
            await wait_ready(base, server)
            limits = httpx.Limits(
                max_connections=args.concurrency, max_keepalive_connections=args.concurrency
            )
            async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
                space_id = await space_global_id(client)
                for case, extra in CASES.items():
                    variables = {"space": space_id, "date": tomorrow.isoformat(), **extra}
                    result = await drive(client, variables, args.requests, args.concurrency)
                    rows.append((size, case, result))
                    print(
                        f"  {size:>7} {case:<14} p50 {result['p50']:7.2f} ms p99 {result['p99']:7.2f} ms "
                        f"{result['rps']:6.0f} req/s",
                        flush=True,
                    )
        finally:
            await asyncio.to_thread(stop_server, server)
        if args.explain:
            await explain(url, space, tomorrow)

    print()
    print(f"day asked: {tomorrow} (Asia/Shanghai)")
    print(
        f"{'past':>7} {'case':<14} {'requests':>9} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'resources':>9} {'free slots':>10}"
    )
    for size, case, result in rows:
        print(
            f"{size:>7} {case:<14} {args.requests:>9} {result['rps']:>7.0f} {result['p50']:>8.2f} "
            f"{result['p99']:>8.2f} {result['resources']:>9} {result['free']:>10}"
        )
    sizes = sorted({size for size, *_ in rows})
    if len(sizes) >= 2:
        small, large = sizes[0], sizes[-1]
        by_key = {(size, case): result for size, case, result in rows}
        print()
        ratios = []
        for case in CASES:
            first, last = by_key[(small, case)], by_key[(large, case)]
            ratios.append(last["p50"] / first["p50"])
            print(
                f"p50 ratio {large}/{small} {case:<14} = {ratios[-1]:6.2f}; "
                f"req/s ratio = {last['rps'] / first['rps']:.2f}"
            )
        verdict = "met" if max(ratios) <= 1.5 else "NOT met"
        print(f"worst p50 ratio {large}/{small} = {max(ratios):.2f} (goal ≤ 1.5): {verdict}")


if __name__ == "__main__":
    asyncio.run(main())
