"""Flat cost as data grows: the community office's caseFigures with 10 000 and then 1 000 000 cases.

    .venv/bin/python bench/case_figures_scale.py [--requests 300] [--concurrency 4] [--explain]

Builds a fresh database `<DATABASE_URL's name>_cases_bench` with the migrations and loads the demo
communities, households, accounts and the 社区共治 seed (南睦苑 with its 居委会, 业委会 and 物业).
Adds SYNTHETIC cases of the demo resident of 南睦苑 set-based (INSERT … SELECT generate_series,
random() after setseed, so the same cases every run), reported evenly over the twelve full months
(Asia/Shanghai) before the current one, in the eight default categories alike, so routed half to
南睦苑物业服务中心 (repairs, sanitation, parking, safety hazards: the hazards with the 居委会 informed)
and half to 南睦社区居委会. 3 % are still REPORTED, 5 % ACCEPTED, 30 % RESOLVED, 55 % RATED and 7 %
REOPENED (after a resolution, within 7 days). About 84 % are accepted within the category's SLA; the
resolution comes 1 minute to about a week after the report, skewed short; ratings 1–5, skewed high.

How the figures are filled: the first size goes through the real trigger (`cases_keep_figures`): the
cases are inserted as REPORTED and then moved, one set-based UPDATE per step (ACCEPTED, RESOLVED,
RATED, REOPENED), each row firing the trigger as the case steps do; the time is printed per case.
At that rate a million cases would take tens of minutes, so the cases added for the second size are
inserted with the trigger disabled (`ALTER TABLE cases DISABLE TRIGGER cases_keep_figures`) in their
final state, and case_monthly_figures, case_resolution_minutes and case_resolution_hours are then
added to in bulk from those rows, by the trigger's own rules (received and first acceptance in time
in the month reported, the first acceptance judged against the category's minutes; resolution with
its whole minutes and hours, rating and reopening in the month they happened). The cases table
really holds every row either way; the check below covers both ways of filling. After
each load: VACUUM ANALYZE, and a check that the answers agree with the cases themselves: for every
month asked, `received` and `resolved` against count(*) over cases, and `medianResolutionMinutes`
against percentile_cont(0.5) over the cases' whole minutes (the checks scan cases; the timed
requests do not).

At each size it serves Linli in its production configuration (`linli serve`, one worker, periodic
jobs off) and sends, as the demo COMMUNITY_ADMIN of 南睦未来社区 (13800000007), `caseFigures` for
the twelve months: for the 物业 alone (`organisationId`: the goal's case) and for the whole community
(its three organisations). Each case runs once untimed (warm-up) and then timed. Prints requests/s,
p50 and p99 per case and size and the ratio of the p50s, 1M/10k (the goal is ≤ 2: the kept figures
do the work, not the number of cases). `--explain` also prints EXPLAIN (ANALYZE, BUFFERS) of the SQL
`resolvers.affairs.figures.case_figures` sends, as a custom and as a generic plan.
"""

import argparse
import asyncio
import os
import statistics
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import jwt
from sqlalchemy import event, make_url, select, text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from serving import print_plans, server_env, start_server, stop_server, token_for, wait_ready  # noqa: E402

from models.affairs import Compound, Organisation  # noqa: E402
from models.people import Community, Person  # noqa: E402
from resolvers.actor import Viewer  # noqa: E402
from resolvers.affairs.figures import case_figures  # noqa: E402
from schema.common import encode_global_id  # noqa: E402
from seeds.affairs import seed_affairs  # noqa: E402
from seeds.demo import seed_communities, seed_demo_accounts, seed_households  # noqa: E402
from server.migrate import upgrade  # noqa: E402
from server.settings import normalize_database_url  # noqa: E402
from tests.conftest import recreate_database  # noqa: E402

SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFICE = "13800000007"  # COMMUNITY_ADMIN of 南睦未来社区
RESIDENT = "13800000001"  # 王晓燕, 南睦苑3幢2单元501
HANDLER = "13800000009"  # 钱管家 of 南睦苑物业服务中心
COMMUNITY = "南睦未来社区"
PROPERTY = "南睦苑物业服务中心"
COMMITTEE = "南睦社区居委会"

QUERY = """
query Figures($community: ID!, $from: String!, $to: String!, $organisation: ID) {
  caseFigures(communityId: $community, from: $from, to: $to, organisationId: $organisation) {
    organisation { id name }
    month received answeredInTime medianResolutionMinutes resolved averageRating reopenRate
  }
}
"""

# The cases to add, drawn into bench_draws with their final state and their first deadlines.
DRAW = """
CREATE UNLOGGED TABLE bench_draws AS
WITH category AS (
  SELECT row_number() OVER (ORDER BY position, id) - 1 AS k, id, default_kind, informed_kind,
         accept_minutes, resolve_minutes
  FROM case_categories
), drawn AS (
  SELECT g,
         CAST(:start AS timestamptz) + random() * (CAST(:until AS timestamptz) - CAST(:start AS timestamptz))
           AS reported_at,
         floor(random() * (SELECT count(*) FROM category))::int AS k,
         random() AS r_status, random() AS r_accept, random() AS r_resolve, random() AS r_rating,
         random() AS r_after
  FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS g
), shaped AS (
  SELECT d.*, c.id AS category_id, c.default_kind, c.informed_kind, c.accept_minutes, c.resolve_minutes,
         CASE WHEN r_status < 0.03 THEN 'REPORTED' WHEN r_status < 0.08 THEN 'ACCEPTED'
              WHEN r_status < 0.38 THEN 'RESOLVED' WHEN r_status < 0.93 THEN 'RATED'
              ELSE 'REOPENED' END AS status,
         1 + floor(power(r_accept, 4) * 2 * c.accept_minutes)::int AS accept_after
  FROM drawn d JOIN category c ON c.k = d.k
), timed AS (
  SELECT s.*,
         s.reported_at + make_interval(mins => s.accept_after) AS accepted,
         s.reported_at + interval '17 seconds'
           + make_interval(mins => s.accept_after + 1 + floor(power(r_resolve, 2) * 10080)::int) AS resolved
  FROM shaped s
)
SELECT nextval(pg_get_serial_sequence('cases', 'id')) AS id, g, category_id, status,
       CASE WHEN default_kind = 'PROPERTY_MANAGEMENT' THEN CAST(:property AS bigint)
            ELSE CAST(:committee AS bigint) END AS organisation_id,
       CASE WHEN informed_kind = 'RESIDENTS_COMMITTEE' THEN CAST(:committee AS bigint) END
         AS informed_organisation_id,
       reported_at,
       reported_at + make_interval(mins => accept_minutes) AS first_accept_due,
       reported_at + make_interval(mins => resolve_minutes) AS first_resolve_due,
       CASE WHEN status <> 'REPORTED' THEN accepted END AS accepted_at,
       CASE WHEN status IN ('RESOLVED', 'RATED', 'REOPENED') THEN resolved END AS resolved_at,
       CASE WHEN status = 'RATED' THEN 5 - floor(power(r_rating, 2) * 5)::int END AS rating,
       CASE WHEN status = 'RATED' THEN resolved + r_after * interval '3 days' END AS rated_at,
       CASE WHEN status = 'REOPENED' THEN resolved + r_after * interval '6 days' END AS reopened_at,
       accept_minutes, resolve_minutes
FROM timed
"""

INSERT_CASES = """
INSERT INTO cases (id, community_id, compound_id, category_id, reporter_id, description, status,
                   organisation_id, informed_organisation_id, reported_at, accept_due_at, resolve_due_at,
                   accepted_at, accepted_by, resolved_at, resolved_by, resolution_note, rating, rated_at,
                   reopened_count, reopened_at)
SELECT id, :community, :compound, category_id, :reporter, 'SYNTHETIC bench case #' || g, {status},
       organisation_id, informed_organisation_id, reported_at, {accept_due}, {resolve_due},
       {accepted_at}, {accepted_by}, {resolved_at}, {resolved_by}, {note}, {rating}, {rated_at},
       {reopened_count}, {reopened_at}
FROM bench_draws
"""

FINAL = {
    "status": "status",
    "accept_due": "CASE WHEN status = 'REOPENED' THEN reopened_at + make_interval(mins => accept_minutes) "
    "ELSE first_accept_due END",
    "resolve_due": "CASE WHEN status = 'REOPENED' THEN reopened_at + make_interval(mins => resolve_minutes) "
    "ELSE first_resolve_due END",
    "accepted_at": "accepted_at",
    "accepted_by": "CASE WHEN accepted_at IS NOT NULL THEN CAST(:handler AS bigint) END",
    "resolved_at": "resolved_at",
    "resolved_by": "CASE WHEN resolved_at IS NOT NULL THEN CAST(:handler AS bigint) END",
    "note": "CASE WHEN resolved_at IS NOT NULL THEN '已处理（SYNTHETIC）' END",
    "rating": "rating",
    "rated_at": "rated_at",
    "reopened_count": "CASE WHEN status = 'REOPENED' THEN 1 ELSE 0 END",
    "reopened_at": "reopened_at",
}
REPORTED = {
    **{key: "NULL" for key in FINAL},
    "status": "'REPORTED'",
    "accept_due": "first_accept_due",
    "resolve_due": "first_resolve_due",
    "reopened_count": "0",
}

# The steps, as the case steps make them, each row firing the trigger.
STEPS = [
    (
        "accept",
        "UPDATE cases c SET status = 'ACCEPTED', accepted_at = d.accepted_at, accepted_by = :handler "
        "FROM bench_draws d WHERE c.id = d.id AND d.accepted_at IS NOT NULL",
    ),
    (
        "resolve",
        "UPDATE cases c SET status = 'RESOLVED', resolved_at = d.resolved_at, resolved_by = :handler, "
        "resolution_note = '已处理（SYNTHETIC）' "
        "FROM bench_draws d WHERE c.id = d.id AND d.resolved_at IS NOT NULL",
    ),
    (
        "rate",
        "UPDATE cases c SET status = 'RATED', rating = d.rating, rated_at = d.rated_at "
        "FROM bench_draws d WHERE c.id = d.id AND d.status = 'RATED'",
    ),
    (
        "reopen",
        "UPDATE cases c SET status = 'REOPENED', reopened_at = d.reopened_at, reopened_count = 1, "
        "accept_due_at = d.reopened_at + make_interval(mins => d.accept_minutes), "
        "resolve_due_at = d.reopened_at + make_interval(mins => d.resolve_minutes) "
        "FROM bench_draws d WHERE c.id = d.id AND d.status = 'REOPENED'",
    ),
]

# What the trigger would have added for the drawn cases (inserted with it disabled).
BULK_FIGURES = """
INSERT INTO case_monthly_figures AS f (organisation_id, month, received, accepted_in_time, resolved, rated,
                                       rating_sum, reopened)
SELECT organisation_id, month, sum(received), sum(in_time), sum(resolved), sum(rated), sum(rating_sum),
       sum(reopened)
FROM (
  SELECT organisation_id, case_month(reported_at) AS month, 1 AS received,
         (accepted_at IS NOT NULL AND accepted_at <= first_accept_due)::int AS in_time,
         0 AS resolved, 0 AS rated, 0 AS rating_sum, 0 AS reopened
  FROM bench_draws
  UNION ALL
  SELECT organisation_id, case_month(resolved_at), 0, 0, 1, 0, 0, 0 FROM bench_draws
  WHERE resolved_at IS NOT NULL
  UNION ALL
  SELECT organisation_id, case_month(rated_at), 0, 0, 0, 1, rating, 0 FROM bench_draws
  WHERE rated_at IS NOT NULL
  UNION ALL
  SELECT organisation_id, case_month(reopened_at), 0, 0, 0, 0, 0, 1 FROM bench_draws
  WHERE reopened_at IS NOT NULL
) happened
GROUP BY organisation_id, month
ON CONFLICT (organisation_id, month) DO UPDATE SET
  received = f.received + EXCLUDED.received,
  accepted_in_time = f.accepted_in_time + EXCLUDED.accepted_in_time,
  resolved = f.resolved + EXCLUDED.resolved, rated = f.rated + EXCLUDED.rated,
  rating_sum = f.rating_sum + EXCLUDED.rating_sum, reopened = f.reopened + EXCLUDED.reopened
"""

BULK_MINUTES = """
INSERT INTO case_resolution_minutes AS r (organisation_id, month, minutes, cases)
SELECT organisation_id, case_month(resolved_at), floor(extract(epoch FROM resolved_at - reported_at) / 60),
       count(*)
FROM bench_draws WHERE resolved_at IS NOT NULL
GROUP BY 1, 2, 3
ON CONFLICT (organisation_id, month, minutes) DO UPDATE SET cases = r.cases + EXCLUDED.cases
"""

BULK_HOURS = """
INSERT INTO case_resolution_hours AS h (organisation_id, month, hours, cases)
SELECT organisation_id, case_month(resolved_at),
       floor(floor(extract(epoch FROM resolved_at - reported_at) / 60) / 60.0), count(*)
FROM bench_draws WHERE resolved_at IS NOT NULL
GROUP BY 1, 2, 3
ON CONFLICT (organisation_id, month, hours) DO UPDATE SET cases = h.cases + EXCLUDED.cases
"""

# The checks' own count, from the cases (Asia/Shanghai months; the median of whole minutes).
FROM_CASES = """
SELECT m.month, coalesce(r.received, 0), coalesce(s.resolved, 0), s.median
FROM unnest(CAST(:months AS date[])) AS m(month)
LEFT JOIN (
  SELECT case_month(reported_at) AS month, count(*) AS received
  FROM cases WHERE organisation_id = :organisation GROUP BY 1
) r USING (month)
LEFT JOIN (
  SELECT case_month(resolved_at) AS month, count(*) AS resolved,
         percentile_cont(0.5) WITHIN GROUP (
           ORDER BY floor(extract(epoch FROM resolved_at - reported_at) / 60)) AS median
  FROM cases WHERE organisation_id = :organisation AND resolved_at IS NOT NULL GROUP BY 1
) s USING (month)
ORDER BY m.month
"""


def asked_months(now: datetime) -> list[date]:
    """The twelve full months (Asia/Shanghai) before the current one."""
    local = now.astimezone(SHANGHAI)
    index = local.year * 12 + local.month - 1
    return [date(i // 12, i % 12 + 1, 1) for i in range(index - 12, index)]


async def build_database(url: str) -> dict[str, int]:
    await recreate_database(url)
    await asyncio.to_thread(upgrade, url)
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        session = AsyncSession(bind=connection)
        community_ids = await seed_communities(session=session)
        await seed_households(session=session, community_ids=community_ids)
        await seed_demo_accounts(session=session)
        summary = await seed_affairs(session=session, community_ids=community_ids)
        await session.flush()
        ids = {
            "community": await session.scalar(select(Community.id).where(Community.name == COMMUNITY)),
            "compound": await session.scalar(select(Compound.id).where(Compound.name == "南睦苑")),
            "reporter": await session.scalar(select(Person.id).where(Person.phone == RESIDENT)),
            "handler": await session.scalar(select(Person.id).where(Person.phone == HANDLER)),
            "property": await session.scalar(select(Organisation.id).where(Organisation.name == PROPERTY)),
            "committee": await session.scalar(select(Organisation.id).where(Organisation.name == COMMITTEE)),
        }
    await engine.dispose()
    print("seeded: " + ", ".join(f"{key}={value}" for key, value in summary.items()), flush=True)
    return ids


def insert_cases(columns: dict[str, str]) -> str:
    return INSERT_CASES.format(**columns)


async def add_cases(url: str, ids: dict, first: int, last: int, months: list[date], through_trigger: bool):
    """Cases numbered first..last; through the trigger step by step, or in bulk. Seconds per phase."""
    engine = create_async_engine(url)
    start = datetime(months[0].year, months[0].month, 1, tzinfo=SHANGHAI)
    after = months[-1].year * 12 + months[-1].month
    until = datetime(after // 12, after % 12 + 1, 1, tzinfo=SHANGHAI)
    timings = {}
    params = {key: ids[key] for key in ("community", "compound", "reporter", "handler")}
    async with engine.begin() as connection:
        began = time.perf_counter()
        await connection.execute(text("SELECT setseed(:seed)"), {"seed": (first % 997) / 997})
        await connection.execute(
            text(DRAW),
            {
                "start": start,
                "until": until,
                "first": first,
                "last": last,
                "property": ids["property"],
                "committee": ids["committee"],
            },
        )
        timings["draw"] = time.perf_counter() - began
        began = time.perf_counter()
        if through_trigger:
            await connection.execute(text(insert_cases(REPORTED)), params)
            timings["insert"] = time.perf_counter() - began
            for step, statement in STEPS:
                began = time.perf_counter()
                await connection.execute(text(statement), {"handler": ids["handler"]})
                timings[step] = time.perf_counter() - began
        else:
            await connection.execute(text("ALTER TABLE cases DISABLE TRIGGER cases_keep_figures"))
            await connection.execute(text(insert_cases(FINAL)), params)
            await connection.execute(text("ALTER TABLE cases ENABLE TRIGGER cases_keep_figures"))
            timings["insert"] = time.perf_counter() - began
            began = time.perf_counter()
            await connection.execute(text(BULK_FIGURES))
            await connection.execute(text(BULK_MINUTES))
            await connection.execute(text(BULK_HOURS))
            timings["figures"] = time.perf_counter() - began
        await connection.execute(text("DROP TABLE bench_draws"))
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        began = time.perf_counter()
        for table in ("cases", "case_monthly_figures", "case_resolution_hours", "case_resolution_minutes"):
            await connection.execute(text(f"VACUUM ANALYZE {table}"))
        timings["vacuum"] = time.perf_counter() - began
    await engine.dispose()
    return timings


async def table_counts(url: str, organisation: int, months: list[date]) -> dict[str, int]:
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        counts = {
            "cases": await connection.scalar(text("SELECT count(*) FROM cases")),
            "figure rows": await connection.scalar(text("SELECT count(*) FROM case_monthly_figures")),
            "minute rows": await connection.scalar(text("SELECT count(*) FROM case_resolution_minutes")),
            **{
                f"{table.removeprefix('case_resolution_')} rows asked": await connection.scalar(
                    text(
                        f"SELECT count(*) FROM {table} WHERE organisation_id = :o AND month BETWEEN :a AND :b"
                    ),
                    {"o": organisation, "a": months[0], "b": months[-1]},
                )
                for table in ("case_resolution_hours", "case_resolution_minutes")
            },
        }
    await engine.dispose()
    return counts


async def check_against_cases(url: str, organisation: int, months: list[date], answer: list[dict]) -> None:
    """The answers against the cases themselves (a scan: not timed)."""
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        rows = (
            await connection.execute(text(FROM_CASES), {"organisation": organisation, "months": months})
        ).all()
    await engine.dispose()
    got = [(row["month"], row["received"], row["resolved"], row["medianResolutionMinutes"]) for row in answer]
    want = [(f"{month:%Y-%m}", received, resolved, median) for month, received, resolved, median in rows]
    if got != want:
        raise SystemExit(f"check failed: caseFigures {got}\n  != counted from cases {want}")
    print(f"  check caseFigures = counted from cases ({len(want)} months) ok", flush=True)


def viewer_of(token: str) -> Viewer:
    claims = jwt.decode(token, options={"verify_signature": False})
    community = claims.get("community")
    return Viewer(
        person_id=int(claims["sub"]),
        roles=frozenset(claims.get("roles") or []),
        community_id=int(community) if community is not None else None,
    )


async def ask(client: httpx.AsyncClient, token: str, variables: dict) -> list[dict]:
    response = await client.post(
        "/graphql",
        json={"query": QUERY, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    body = response.json()
    if response.status_code != 200 or "errors" in body:
        raise SystemExit(f"request failed: {response.status_code} {body}")
    return body["data"]["caseFigures"]


async def drive(
    client: httpx.AsyncClient, token: str, variables: dict, requests: int, concurrency: int
) -> dict:
    latencies: list[float] = []
    returned: list[int] = []

    async def worker(queue) -> None:
        for _ in queue:
            started = time.perf_counter()
            rows = await ask(client, token, variables)
            latencies.append(time.perf_counter() - started)
            returned.append(len(rows))

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
        "rows": statistics.mean(returned),
    }


async def explain(url: str, token: str, ids: dict, months: list[date], cases: dict[str, dict]) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the figures statement case_figures sends, for each case."""
    engine = create_async_engine(url)
    sent: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))

    try:
        for case, variables in cases.items():
            async with engine.connect() as connection:
                event.listen(engine.sync_engine, "before_cursor_execute", capture)
                try:
                    await case_figures(
                        session=AsyncSession(bind=connection),
                        viewer=viewer_of(token),
                        community_id=ids["community"],
                        first_month=months[0],
                        last_month=months[-1],
                        organisation_id=ids["property"] if variables.get("organisation") else None,
                    )
                finally:
                    event.remove(engine.sync_engine, "before_cursor_execute", capture)
                await print_plans(connection, case, *sent[-1])
    finally:
        await engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="timed requests per case and size")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--port", type=int, default=8812)
    parser.add_argument("--explain", action="store_true", help="print the plans of the resolver's SQL")
    args = parser.parse_args()

    base_url = normalize_database_url(
        os.environ.get("DATABASE_URL", "postgresql://linli:linli@127.0.0.1:5432/linli")
    )
    parsed = make_url(base_url)
    url = parsed.set(database=f"{parsed.database}_cases_bench").render_as_string(hide_password=False)
    ids = await build_database(url)
    env = server_env(url)
    token = await asyncio.to_thread(token_for, env, OFFICE)
    months = asked_months(datetime.now(UTC))
    community = encode_global_id("Community", ids["community"])
    span = {"community": community, "from": f"{months[0]:%Y-%m}", "to": f"{months[-1]:%Y-%m}"}
    cases = {
        "organisation x 12mo": {**span, "organisation": encode_global_id("Organisation", ids["property"])},
        "community x 12mo": span,
    }
    base = f"http://127.0.0.1:{args.port}"

    rows, loaded = [], 0
    for number, size in enumerate(int(value) for value in args.sizes.split(",")):
        through_trigger = number == 0
        timings = await add_cases(url, ids, loaded + 1, size, months, through_trigger)
        added, loaded = size - loaded, size
        how = "through the trigger" if through_trigger else "trigger disabled, figures added in bulk"
        print(
            f"loaded {size} synthetic cases (+{added}, {how}): "
            + ", ".join(f"{phase} {seconds:.1f} s" for phase, seconds in timings.items()),
            flush=True,
        )
        if through_trigger:
            fired = sum(seconds for phase, seconds in timings.items() if phase not in ("draw", "vacuum"))
            print(f"  through the trigger: {fired / added * 1e6:.0f} µs per case (insert and every step)")
        counts = await table_counts(url, ids["property"], months)
        print("  " + ", ".join(f"{name}={value}" for name, value in counts.items()), flush=True)
        server = start_server(env, args.port)
        try:
            await wait_ready(base, server)
            limits = httpx.Limits(
                max_connections=args.concurrency, max_keepalive_connections=args.concurrency
            )
            async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
                await check_against_cases(
                    url, ids["property"], months, await ask(client, token, cases["organisation x 12mo"])
                )
                for case, variables in cases.items():
                    result = await drive(client, token, variables, args.requests, args.concurrency)
                    rows.append((size, case, result))
                    print(
                        f"  {size:>9} {case:<20} p50 {result['p50']:7.2f} ms "
                        f"p99 {result['p99']:7.2f} ms {result['rps']:6.0f} req/s",
                        flush=True,
                    )
        finally:
            await asyncio.to_thread(stop_server, server)
        if args.explain:
            await explain(url, token, ids, months, cases)

    print()
    print(f"{'cases':>9} {'case':<20} {'requests':>9} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'rows':>5}")
    for size, case, result in rows:
        print(
            f"{size:>9} {case:<20} {args.requests:>9} {result['rps']:>7.0f} "
            f"{result['p50']:>8.2f} {result['p99']:>8.2f} {result['rows']:>5.0f}"
        )
    sizes = sorted({size for size, *_ in rows})
    if len(sizes) >= 2:
        small, large = sizes[0], sizes[-1]
        by_key = {(size, case): result for size, case, result in rows}
        print()
        for case in cases:
            first, last = by_key[(small, case)], by_key[(large, case)]
            print(
                f"p50 ratio {large}/{small} {case:<20} = {last['p50'] / first['p50']:6.2f}; "
                f"req/s ratio = {last['rps'] / first['rps']:.2f}"
            )
        goal = by_key[(large, "organisation x 12mo")]["p50"] / by_key[(small, "organisation x 12mo")]["p50"]
        verdict = "met" if goal <= 2 else "NOT met"
        print(f"p50 ratio {large}/{small} one organisation × 12 months = {goal:.2f} (goal ≤ 2): {verdict}")


if __name__ == "__main__":
    asyncio.run(main())
