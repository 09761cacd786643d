"""Readings in: the gateway's readingsRecord mutation against plain asyncpg storing the same rows.

    .venv/bin/python bench/readings_ingest.py [--batches 100] [--batch-size 500] [--rounds 5]

Builds a fresh database `<DATABASE_URL's name>_ingest` with the migrations and loads the demo
communities and accounts and the elder-care seed (40 SYNTHETIC elders, their devices and a week of
readings). Then makes one set of synthetic readings for every wristband, cuff, thermometer, motion
and door sensor — fresh timestamps over the last hour, mostly normal values, about 2 % out of range
— and stores it twice:

- run A (linli): serves Linli in its production configuration (`linli serve`, one worker, periodic
  jobs off) and posts the batches one after another as the device gateway (`readingsRecord`):
  validation, the idempotent insert, last-seen and last-activity updates and the alert rules, in
  one transaction per batch. Every batch must come back ReadingsRecorded with all readings accepted.
- run B (asyncpg): the same rows, an hour earlier, with asyncpg `executemany` of a plain INSERT …
  ON CONFLICT DO NOTHING, one transaction per batch: the floor cost of storing them.

The two runs take turns (`--rounds`: a fifth of the batches each, five times), so a machine that
speeds up or slows down meanwhile affects both alike; each first sends one untimed warm-up batch
(at other times). Readings/s is readings ÷ the summed batch times. Prints readings/s, p50 and p99
per batch for both and their ratio (the goal is linli ≥ 0.5 × asyncpg).
"""

import argparse
import asyncio
import json
import math
import os
import random
import signal
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import httpx
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from serving import server_env, start_server, stop_server, token_for, wait_ready  # noqa: E402

from models.eldercare import LOINC, ReadingKind  # noqa: E402
from resolvers.eldercare import MAX_BATCH  # noqa: E402
from seeds.demo import seed_communities, seed_demo_accounts  # noqa: E402
from seeds.eldercare import seed_eldercare  # noqa: E402
from server.migrate import upgrade  # noqa: E402
from server.settings import Settings, normalize_database_url  # noqa: E402
from tests.conftest import recreate_database  # noqa: E402

SHANGHAI = ZoneInfo("Asia/Shanghai")
GATEWAY_PHONE = "13800000005"  # the demo DEVICE_GATEWAY account
WINDOW = timedelta(hours=1)  # run A's readings lie in the last hour; run B's the hour before
SEED_LAG = timedelta(hours=5)  # the seed's week of history ends before every bench reading
OUT_OF_RANGE = 0.02

MUTATION = (
    "mutation($r: [ReadingInput!]!) { readingsRecord(readings: $r) "
    "{ __typename ... on ReadingsRecorded { accepted duplicates } } }"
)
INSERT = (
    "INSERT INTO readings (device_id, elder_id, kind, value, loinc, measured_at) "
    "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING"
)

KINDS_OF = {
    "WRISTBAND": ["HEART_RATE", "SPO2"],
    "BLOOD_PRESSURE_CUFF": ["SYSTOLIC_BP", "DIASTOLIC_BP"],
    "THERMOMETER": ["BODY_TEMPERATURE"],
    "MOTION_SENSOR": ["MOTION"],
    "DOOR_SENSOR": ["DOOR"],
}
# reading kind → (normal range, out-of-range ranges, decimals); all inside what a sensor can report.
VALUES = {
    "HEART_RATE": ((60, 95), [(42, 50), (112, 128), (132, 150)], 0),
    "SPO2": ((95, 99), [(88, 93)], 0),
    "SYSTOLIC_BP": ((110, 140), [(85, 99), (162, 200)], 0),
    "DIASTOLIC_BP": ((65, 90), [(92, 110)], 0),
    "BODY_TEMPERATURE": ((36.2, 37.2), [(38.2, 39.5)], 1),
}


async def build_database(url: str, seed_now: datetime) -> tuple[dict[str, int], list]:
    await recreate_database(url)
    await asyncio.to_thread(upgrade, url)
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        session = AsyncSession(bind=connection)
        community_ids = await seed_communities(session=session)
        await seed_demo_accounts(session=session)
        summary = await seed_eldercare(session=session, community_ids=community_ids, now=seed_now)
        await session.flush()
    async with engine.connect() as connection:
        devices = (
            await connection.execute(text("SELECT serial, kind, id, elder_id FROM devices ORDER BY serial"))
        ).all()
    await engine.dispose()
    return summary, devices


def make_readings(devices, total: int, end: datetime, rng: random.Random) -> list[tuple]:
    """(serial, device_id, elder_id, kind, value, measured_at): all sensors, step by step, over the hour."""
    streams = [(device, kind) for device in devices for kind in KINDS_OF.get(device.kind, [])]
    steps = math.ceil(total / len(streams))
    step_ms = int(WINDOW / timedelta(milliseconds=1)) // steps
    if step_ms <= len(streams):
        raise SystemExit(f"{total} readings from {len(streams)} sensors do not fit in {WINDOW}")
    start, readings = end - WINDOW, []
    for step in range(1, steps + 1):
        for index, (device, kind) in enumerate(streams):
            if len(readings) == total:
                return readings
            at = start + timedelta(milliseconds=step * step_ms - index)  # sensors a millisecond apart
            readings.append((device.serial, device.id, device.elder_id, kind, value_of(kind, rng), at))
    return readings


def value_of(kind: str, rng: random.Random) -> float | None:
    if kind not in VALUES:
        return None  # motion and door are events
    normal, unusual, digits = VALUES[kind]
    low, high = rng.choice(unusual) if rng.random() < OUT_OF_RANGE else normal
    return round(rng.uniform(low, high), digits)


def shifted(batch: list[tuple], offset: timedelta) -> list[tuple]:
    return [(*reading[:5], reading[5] + offset) for reading in batch]


def request_body(batch: list[tuple]) -> bytes:
    readings = [
        {
            "deviceId": serial,
            "kind": kind,
            "value": value,
            "measuredAt": at.astimezone(SHANGHAI).isoformat(timespec="milliseconds"),
        }
        for serial, _, _, kind, value, at in batch
    ]
    body = {"query": MUTATION, "variables": {"r": readings}}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


async def post_batch(client: httpx.AsyncClient, body: bytes, expected: int) -> None:
    response = await client.post("/graphql", content=body)
    answer = (
        response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
    )
    result = (answer.get("data") or {}).get("readingsRecord") or {}
    if response.status_code != 200 or result.get("__typename") != "ReadingsRecorded":
        raise SystemExit(f"batch failed: {response.status_code} {response.text[:500]}")
    if result["accepted"] != expected:
        raise SystemExit(
            f"batch accepted {result['accepted']} of {expected} ({result['duplicates']} duplicates)"
        )


async def run_linli(client: httpx.AsyncClient, bodies: list[bytes], sizes: list[int]) -> list[float]:
    latencies = []
    for body, size in zip(bodies, sizes, strict=True):
        started = time.perf_counter()
        await post_batch(client, body, size)
        latencies.append(time.perf_counter() - started)
    return latencies


def database_rows(batch: list[tuple]) -> list[tuple]:
    return [
        (device_id, elder_id, kind, value, LOINC.get(ReadingKind(kind)), at)
        for _, device_id, elder_id, kind, value, at in batch
    ]


async def run_asyncpg(connection: asyncpg.Connection, batches: list[list[tuple]]) -> list[float]:
    latencies = []
    for batch in batches:
        rows = database_rows(batch)
        started = time.perf_counter()
        async with connection.transaction():
            await connection.executemany(INSERT, rows)
        latencies.append(time.perf_counter() - started)
    return latencies


async def run_rounds(
    base: str, token: str, dsn: str, batches: list[list[tuple]], rounds: int
) -> dict[str, list[float]]:
    """Both runs take turns, a slice of batches each per round, so both see the same machine."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    bodies = [request_body(batch) for batch in batches]
    sizes = [len(batch) for batch in batches]
    latencies: dict[str, list[float]] = {"linli": [], "asyncpg": []}
    connection = await asyncpg.connect(dsn)
    try:
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as client:
            # One untimed warm-up batch each, at times no timed batch uses.
            await post_batch(client, request_body(shifted(batches[0], -2 * WINDOW)), sizes[0])
            await run_asyncpg(connection, [shifted(batches[0], -3 * WINDOW)])
            step = math.ceil(len(batches) / rounds)
            for start in range(0, len(batches), step):
                part = slice(start, start + step)
                latencies["linli"] += await run_linli(client, bodies[part], sizes[part])
                latencies["asyncpg"] += await run_asyncpg(
                    connection, [shifted(batch, -WINDOW) for batch in batches[part]]
                )
    finally:
        await connection.close()
    return latencies


async def count_stored(dsn: str, windows: dict[str, tuple[datetime, datetime]]) -> dict[str, int]:
    connection = await asyncpg.connect(dsn)
    try:
        counts = {
            name: await connection.fetchval(
                "SELECT count(*) FROM readings WHERE measured_at > $1 AND measured_at <= $2", low, high
            )
            for name, (low, high) in windows.items()
        }
        counts["alerts"] = await connection.fetchval("SELECT count(*) FROM care_alerts")
        counts["alert_events"] = await connection.fetchval("SELECT count(*) FROM care_alert_events")
    finally:
        await connection.close()
    return counts


def summary(latencies: list[float], readings: int) -> dict[str, float]:
    ordered = sorted(latencies)
    elapsed = sum(latencies)
    return {
        "seconds": elapsed,
        "rate": readings / elapsed,
        "p50": statistics.median(ordered) * 1000,
        "p99": ordered[max(math.ceil(len(ordered) * 0.99) - 1, 0)] * 1000,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5, help="the runs take turns this many times")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    if not 1 <= args.batch_size <= MAX_BATCH or args.batches < 1:
        raise SystemExit(f"--batch-size must be 1–{MAX_BATCH} (the mutation's limit) and --batches ≥ 1")
    task = asyncio.current_task()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)  # cleanup runs on SIGTERM

    base_url = normalize_database_url(
        os.environ.get("DATABASE_URL", "postgresql://linli:linli@127.0.0.1:5432/linli")
    )
    parsed = make_url(base_url)
    url = parsed.set(database=f"{parsed.database}_ingest").render_as_string(hide_password=False)
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    end = datetime.now(UTC).replace(microsecond=0)
    seeded, devices = await build_database(url, end - SEED_LAG)
    print("seeded: " + ", ".join(f"{key}={value}" for key, value in seeded.items()), flush=True)

    total = args.batches * args.batch_size
    readings = make_readings(devices, total, end, random.Random(2026))
    batches = [readings[i : i + args.batch_size] for i in range(0, total, args.batch_size)]
    limit = int(os.environ.get("LINLI_MAX_BODY_BYTES") or Settings.model_fields["max_body_bytes"].default)
    largest = max(len(request_body(batch)) for batch in batches)
    print(f"{total} readings in {len(batches)} batches; largest request {largest / 1024:.1f} KiB", flush=True)
    if largest > limit:
        raise SystemExit(f"a request of {largest} bytes exceeds the server's {limit} (LINLI_MAX_BODY_BYTES)")

    env = server_env(url)
    token = await asyncio.to_thread(token_for, env, GATEWAY_PHONE)
    server = start_server(env, args.port)
    try:
        base = f"http://127.0.0.1:{args.port}"
        await wait_ready(base, server)
        latencies = await run_rounds(base, token, dsn, batches, args.rounds)
    finally:
        await asyncio.to_thread(stop_server, server)
    linli, baseline = summary(latencies["linli"], total), summary(latencies["asyncpg"], total)
    stored = await count_stored(
        dsn, {"linli": (end - WINDOW, end), "asyncpg": (end - 2 * WINDOW, end - WINDOW)}
    )

    print()
    header = ("readings", 9), ("batches", 8), ("seconds", 8), ("readings/s", 11), ("p50 ms", 8), ("p99 ms", 8)
    print(f"{'run':<8} " + " ".join(f"{title:>{width}}" for title, width in header))
    for name, result in (("linli", linli), ("asyncpg", baseline)):
        print(
            f"{name:<8} {total:>9} {len(batches):>8} {result['seconds']:>8.2f} {result['rate']:>11.0f} "
            f"{result['p50']:>8.1f} {result['p99']:>8.1f}"
        )
    print(
        f"stored: linli={stored['linli']} asyncpg={stored['asyncpg']}; "
        f"alerts={stored['alerts']} alert events={stored['alert_events']}"
    )
    print(
        f"ingest linli={linli['rate']:.0f} asyncpg={baseline['rate']:.0f} "
        f"ratio={linli['rate'] / baseline['rate']:.2f} (goal ≥ 0.5)"
    )


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except (KeyboardInterrupt, asyncio.CancelledError):
        sys.exit(130)
