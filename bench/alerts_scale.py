"""Flat cost as data grows: the care-alert list, newest first, with 10 000 and then 1 000 000 alerts.

    .venv/bin/python bench/alerts_scale.py [--requests 400] [--concurrency 8] [--explain] [--index SQL]

Builds a fresh database `<DATABASE_URL's name>_alerts_bench` with the migrations and loads the demo
communities and accounts and the elder-care seed (40 SYNTHETIC elders, ten in each of the four
communities). Adds synthetic alerts set-based (one INSERT … SELECT generate_series): spread evenly
over the 40 elders (so over the four communities) and over the last two years, every kind and
severity, 1 % OPEN, 1 % ACKNOWLEDGED and 98 % RESOLVED (with resolved_at and a note, as the check
constraint wants), each with its own dedup key; then VACUUM ANALYZE. The second size adds alerts
over the same two years, so the table grows a hundredfold and the newest alerts lie closer together.

At each size it serves Linli in its production configuration (`linli serve`, one worker, periodic
jobs off) and sends `careAlerts(first: 20)` as two viewers: the demo CARE_STAFF of 南睦未来社区
(13800000002: that community's ten elders, a quarter of the alerts) and the demo ADMIN
(13800000006: every alert). For each viewer three pages: the first page; page 5, reached by
following `after` cursors four times (the cursor is taken once per size, then the same page is
asked for again and again); and the first page with `status: [OPEN, ACKNOWLEDGED]` (the work queue).
Each case runs once untimed (warm-up) and then timed. Prints requests/s, p50 and p99 per case and
size and the ratio of the p50s, 1M/10k (the goal is ≤ 2: an index does the work, not the table
size). `--explain` also prints EXPLAIN (ANALYZE, BUFFERS) of the SQL the resolver sends for each case
(built by `resolvers.eldercare.list_alerts` for the token's viewer, captured, and explained), as a
custom and as a generic plan (the server's asyncpg prepares its statements, so PostgreSQL may switch to
the generic one after five runs; that plan is taken from auto_explain with plan_cache_mode =
force_generic_plan). `--index "CREATE INDEX …"` creates a proposed index after the
migrations (printed as not in the migrations) to measure what it would change.
"""

import argparse
import asyncio
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import jwt
from sqlalchemy import event, make_url, text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from serving import print_plans, server_env, start_server, stop_server, token_for, wait_ready  # noqa: E402

from resolvers.actor import Viewer  # noqa: E402
from resolvers.eldercare.queries import AlertFilter, list_alerts  # noqa: E402
from schema.common import decode_time_cursor  # noqa: E402
from seeds.demo import seed_communities, seed_demo_accounts  # noqa: E402
from seeds.eldercare import seed_eldercare  # noqa: E402
from server.migrate import upgrade  # noqa: E402
from server.settings import normalize_database_url  # noqa: E402
from tests.conftest import recreate_database  # noqa: E402

VIEWERS = {"staff": "13800000002", "admin": "13800000006"}  # CARE_STAFF of 南睦未来社区; ADMIN
DEEP_PAGE = 5
QUEUE = ["OPEN", "ACKNOWLEDGED"]

QUERY = """
query Alerts($first: Int!, $after: String, $status: [CareAlertStatus!]) {
  careAlerts(first: $first, after: $after, status: $status) {
    edges { cursor node { id kind severity status summary count openedAt lastSeenAt escalationLevel
      acknowledgedAt resolvedAt elder { id name } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

# Every alert its own dedup key, so the partial unique index (status <> 'RESOLVED') never clashes.
# random() after setseed: the same alerts every run.
INSERT_ALERTS = """
WITH elder AS (
  SELECT row_number() OVER (ORDER BY id) - 1 AS position, id, community_id FROM elders
), drawn AS (
  SELECT g,
         CAST(:now AS timestamptz) - random() * interval '730 days' AS opened_at,
         random() AS r_status, floor(random() * 5)::int AS k, random() AS r_severity,
         random() AS r_value, 1 + floor(random() * 4)::int AS seen
  FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS g
), alert AS (
  SELECT d.*,
         CASE WHEN r_status < 0.01 THEN 'OPEN' WHEN r_status < 0.02 THEN 'ACKNOWLEDGED'
              ELSE 'RESOLVED' END AS status
  FROM drawn d
)
INSERT INTO care_alerts (
  elder_id, community_id, kind, reading_kind, dedup_key, severity, status, summary, last_value, count,
  opened_at, last_seen_at, escalation_level, acknowledged_at, resolved_at, resolution_note
)
SELECT e.id, e.community_id,
       (ARRAY['VITAL_OUT_OF_RANGE', 'SOS', 'FALL', 'INACTIVITY', 'DEVICE_OFFLINE'])[a.k + 1],
       CASE WHEN a.k = 0 THEN 'HEART_RATE' END,
       'bench:' || a.g,
       CASE WHEN a.r_severity < 0.5 THEN 'WARNING' WHEN a.r_severity < 0.8 THEN 'CRITICAL' ELSE 'INFO' END,
       a.status,
       'SYNTHETIC bench alert #' || a.g,
       CASE WHEN a.k = 0 THEN round((125 + a.r_value * 30)::numeric, 0)::float END,
       a.seen,
       a.opened_at,
       a.opened_at + a.seen * interval '5 minutes',
       0,
       CASE WHEN a.status <> 'OPEN' THEN a.opened_at + interval '3 minutes' END,
       CASE WHEN a.status = 'RESOLVED' THEN a.opened_at + interval '45 minutes' END,
       CASE WHEN a.status = 'RESOLVED' THEN '已上门查看，情况正常（SYNTHETIC）' END
FROM alert a
JOIN elder e ON e.position = a.g % (SELECT count(*) FROM elders)
"""


async def build_database(url: str, extra: list[str]) -> dict[str, int]:
    await recreate_database(url)
    await asyncio.to_thread(upgrade, url)
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        for statement in extra:
            await connection.execute(text(statement))
        session = AsyncSession(bind=connection)
        community_ids = await seed_communities(session=session)
        await seed_demo_accounts(session=session)
        summary = await seed_eldercare(session=session, community_ids=community_ids, now=datetime.now(UTC))
        await session.flush()
    await engine.dispose()
    return summary


async def add_alerts(url: str, first: int, last: int, now: datetime) -> float:
    """Alerts numbered first..last (inclusive), in one statement; then VACUUM ANALYZE."""
    engine = create_async_engine(url)
    started = time.perf_counter()
    async with engine.begin() as connection:
        await connection.execute(text("SELECT setseed(:seed)"), {"seed": (first % 997) / 997})
        await connection.execute(text(INSERT_ALERTS), {"first": first, "last": last, "now": now})
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text("VACUUM ANALYZE care_alerts"))
    await engine.dispose()
    return time.perf_counter() - started


async def alert_counts(url: str) -> dict[str, int]:
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        rows = await connection.execute(text("SELECT status, count(*) FROM care_alerts GROUP BY status"))
        counts = dict(rows.all())
    await engine.dispose()
    return counts


def viewer_of(token: str) -> Viewer:
    """The viewer the server builds from this token (read without checking the signature: ours)."""
    claims = jwt.decode(token, options={"verify_signature": False})
    community = claims.get("community")
    return Viewer(
        person_id=int(claims["sub"]),
        roles=frozenset(claims.get("roles") or []),
        community_id=int(community) if community is not None else None,
    )


async def ask(client: httpx.AsyncClient, token: str, variables: dict) -> dict:
    response = await client.post(
        "/graphql",
        json={"query": QUERY, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    body = response.json()
    if response.status_code != 200 or "errors" in body:
        raise SystemExit(f"request failed: {response.status_code} {body}")
    return body["data"]["careAlerts"]


async def cases_for(client: httpx.AsyncClient, tokens: dict[str, str]) -> list[tuple[str, str, dict]]:
    """(viewer, case, variables): first page, page DEEP_PAGE by following cursors, the work queue."""
    cases = []
    for viewer, token in tokens.items():
        cases.append((viewer, "first page", {"first": 20}))
        after = None
        for _ in range(DEEP_PAGE - 1):
            page = await ask(client, token, {"first": 20, "after": after})
            if not page["pageInfo"]["hasNextPage"]:
                raise SystemExit(f"{viewer}: fewer than {DEEP_PAGE} pages of alerts")
            after = page["pageInfo"]["endCursor"]
        cases.append((viewer, f"page {DEEP_PAGE}", {"first": 20, "after": after}))
        cases.append((viewer, "OPEN+ACK", {"first": 20, "status": QUEUE}))
    return cases


async def drive(
    client: httpx.AsyncClient, token: str, variables: dict, requests: int, concurrency: int
) -> dict:
    latencies: list[float] = []
    returned: list[int] = []

    async def worker(queue) -> None:
        for _ in queue:
            started = time.perf_counter()
            page = await ask(client, token, variables)
            latencies.append(time.perf_counter() - started)
            returned.append(len(page["edges"]))

    queue = iter(range(requests))
    await asyncio.gather(*(worker(queue) for _ in range(concurrency)))  # warm-up, the same requests
    latencies.clear()
    returned.clear()
    queue = iter(range(requests))
    started = time.perf_counter()
    await asyncio.gather(*(worker(queue) for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(ordered) * 1000,
        "p99": ordered[max(int(len(ordered) * 0.99) - 1, 0)] * 1000,
        "mean_results": statistics.mean(returned),
    }


async def explain(url: str, tokens: dict[str, str], cases: list[tuple[str, str, dict]]) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the statement list_alerts sends for each case."""
    engine = create_async_engine(url)
    sent: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))

    try:
        for viewer, case, variables in cases:
            async with engine.connect() as connection:
                event.listen(engine.sync_engine, "before_cursor_execute", capture)
                try:
                    await list_alerts(
                        session=AsyncSession(bind=connection),
                        viewer=viewer_of(tokens[viewer]),
                        where=AlertFilter(statuses=variables.get("status") or []),
                        first=variables["first"],
                        after=decode_time_cursor(variables.get("after")),
                    )
                finally:
                    event.remove(engine.sync_engine, "before_cursor_execute", capture)
                await print_plans(connection, f"{viewer}, {case}", *sent[-1])
    finally:
        await engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=400, help="timed requests per case and size")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--port", type=int, default=8811)
    parser.add_argument("--explain", action="store_true", help="print the plans of the resolver's SQL")
    parser.add_argument(
        "--index",
        action="append",
        default=[],
        metavar="SQL",
        help="a proposed index (CREATE INDEX …) to create after the migrations, to measure its effect; "
        "not part of the application's schema",
    )
    args = parser.parse_args()

    base_url = normalize_database_url(
        os.environ.get("DATABASE_URL", "postgresql://linli:linli@127.0.0.1:5432/linli")
    )
    parsed = make_url(base_url)
    url = parsed.set(database=f"{parsed.database}_alerts_bench").render_as_string(hide_password=False)
    seeded = await build_database(url, args.index)
    print("seeded: " + ", ".join(f"{key}={value}" for key, value in seeded.items()), flush=True)
    for statement in args.index:
        print(f"NOT IN THE MIGRATIONS, added for this run: {statement}", flush=True)
    env = server_env(url)
    tokens = {viewer: await asyncio.to_thread(token_for, env, phone) for viewer, phone in VIEWERS.items()}
    now = datetime.now(UTC)
    base = f"http://127.0.0.1:{args.port}"

    rows, loaded = [], 0
    for size in (int(value) for value in args.sizes.split(",")):
        seconds = await add_alerts(url, loaded + 1, size, now)
        loaded = size
        counts = await alert_counts(url)
        print(
            f"loaded {size} synthetic alerts ({seconds:.1f} s): "
            + ", ".join(f"{status}={count}" for status, count in sorted(counts.items())),
            flush=True,
        )
        server = start_server(env, args.port)
        try:
            await wait_ready(base, server)
            limits = httpx.Limits(
                max_connections=args.concurrency, max_keepalive_connections=args.concurrency
            )
            async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
                cases = await cases_for(client, tokens)
                for viewer, case, variables in cases:
                    result = await drive(client, tokens[viewer], variables, args.requests, args.concurrency)
                    rows.append((size, viewer, case, result))
                    print(
                        f"  {size:>9} {viewer:<6} {case:<11} p50 {result['p50']:7.2f} ms "
                        f"p99 {result['p99']:7.2f} ms {result['rps']:6.0f} req/s",
                        flush=True,
                    )
        finally:
            await asyncio.to_thread(stop_server, server)
        if args.explain:
            await explain(url, tokens, cases)

    print()
    print(
        f"{'alerts':>9} {'viewer':<6} {'case':<11} {'requests':>9} {'req/s':>7} {'p50 ms':>8} "
        f"{'p99 ms':>8} {'results':>8}"
    )
    for size, viewer, case, result in rows:
        print(
            f"{size:>9} {viewer:<6} {case:<11} {args.requests:>9} {result['rps']:>7.0f} "
            f"{result['p50']:>8.2f} {result['p99']:>8.2f} {result['mean_results']:>8.1f}"
        )
    sizes = sorted({size for size, *_ in rows})
    if len(sizes) >= 2:
        small, large = sizes[0], sizes[-1]
        by_key = {(size, viewer, case): result for size, viewer, case, result in rows}
        print()
        ratios = []
        for viewer, case in dict.fromkeys((viewer, case) for _, viewer, case, _ in rows):
            first, last = by_key[(small, viewer, case)], by_key[(large, viewer, case)]
            ratio = last["p50"] / first["p50"]
            ratios.append(ratio)
            print(
                f"p50 ratio {large}/{small} {viewer:<6} {case:<11} = {ratio:6.2f}; "
                f"req/s ratio = {last['rps'] / first['rps']:.2f}"
            )
        verdict = "met" if max(ratios) <= 2 else "NOT met"
        print(f"worst p50 ratio {large}/{small} = {max(ratios):.2f} (goal ≤ 2): {verdict}")


if __name__ == "__main__":
    asyncio.run(main())
