"""Flat cost as data grows: a 15-minute search with 10 000 and then 1 000 000 facilities.

    .venv/bin/python bench/facilities_scale.py [--requests 2000] [--concurrency 8]

Builds a fresh database `<DATABASE_URL's name>_bench` with the migrations, loads the demo map plus
synthetic facilities spread over Hangzhou (`seed_scale`), serves Linli in its production
configuration (`linli serve`, one worker), and sends the same nearbyFacilities search from random
points in Hangzhou at both sizes. Prints requests/s, p50 and p99 at each size and the ratio of the
two p50s (the goal is ≤ 2: the GiST index does the work, not the table size).

Memory: after each size's timed run, while the client's keep-alive connections are still open, finds
the process that holds the server side of those connections (`linli serve` itself with one worker,
or the uvicorn worker child that served them) and reads its VmRSS (resident now) and VmHWM (peak
resident) from /proc/<pid>/status. The goal after the 1 000 000-facility load is VmRSS ≤ 200 MB
(MiB, as /proc counts): the search must not hold the table, or large results, in the process.
"""

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import make_url
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from serving import server_env, start_server, stop_server, wait_ready  # noqa: E402

from seeds.demo import seed_demo  # noqa: E402
from seeds.facilities import HANGZHOU_BOX, seed_scale  # noqa: E402
from server.migrate import upgrade  # noqa: E402
from server.settings import normalize_database_url  # noqa: E402
from tests.conftest import recreate_database  # noqa: E402

QUERY = """
query Nearby($near: GeoPointInput!) {
  nearbyFacilities(near: $near, withinMinutes: 15, first: 20) {
    edges { distanceMeters walkingMinutes node { id name category address } }
  }
}
"""


async def add_facilities(url: str, count: int) -> float:
    engine = create_async_engine(url)
    started = time.perf_counter()
    async with engine.begin() as connection:
        await seed_scale(session=AsyncSession(bind=connection), count=count)
    await engine.dispose()
    return time.perf_counter() - started


async def load_demo(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        session = AsyncSession(bind=connection)
        await seed_demo(session=session)
        await session.flush()
    await engine.dispose()


def process_tree(root: int) -> list[int]:
    """root and all its descendants (from the parent ids in /proc/<pid>/stat)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parents[int(entry)] = int(stat.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                pass  # gone meanwhile
    tree, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        tree += frontier
    return tree


def serving_process(root: int, port: int) -> int:
    """The process of root's tree that holds the server side of the open connections to port."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":  # ESTABLISHED
                    inodes.add(f"socket:[{fields[9]}]")
    holders = []
    for pid in process_tree(root):
        try:
            targets = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
        except OSError:
            continue
        if targets & inodes:
            holders.append(pid)
    if len(holders) != 1:
        raise SystemExit(f"expected one process serving port {port} under {root}, found {holders}")
    return holders[0]


def memory_of(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM of the process, in MiB."""
    with open(f"/proc/{pid}/status") as status:
        fields = dict(line.split(":", 1) for line in status if line.startswith(("VmRSS", "VmHWM")))
    return {name: int(value.split()[0]) / 1024 for name, value in fields.items()}


async def drive(
    base: str, requests: int, concurrency: int, rng: random.Random, server: subprocess.Popen, port: int
) -> dict:
    points = [
        {
            "lat": rng.uniform(HANGZHOU_BOX["lat_min"], HANGZHOU_BOX["lat_max"]),
            "lng": rng.uniform(HANGZHOU_BOX["lng_min"], HANGZHOU_BOX["lng_max"]),
            "system": "WGS84",
        }
        for _ in range(requests)
    ]
    latencies: list[float] = []
    returned: list[int] = []
    queue = iter(points)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def worker(client: httpx.AsyncClient) -> None:
        for point in queue:
            started = time.perf_counter()
            response = await client.post("/graphql", json={"query": QUERY, "variables": {"near": point}})
            latencies.append(time.perf_counter() - started)
            body = response.json()
            if response.status_code != 200 or "errors" in body:
                raise SystemExit(f"request failed: {response.status_code} {body}")
            returned.append(len(body["data"]["nearbyFacilities"]["edges"]))

    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))  # warm-up on the same points
        latencies.clear()
        returned.clear()
        queue = iter(points)
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
        pid = serving_process(server.pid, port)  # while our keep-alive connections are open
        memory = memory_of(pid)
    ordered = sorted(latencies)
    return {
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(ordered) * 1000,
        "p99": ordered[int(len(ordered) * 0.99) - 1] * 1000,
        "mean_results": statistics.mean(returned),
        "pid": pid,
        "rss": memory["VmRSS"],
        "hwm": memory["VmHWM"],
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()

    base_url = normalize_database_url(
        os.environ.get("DATABASE_URL", "postgresql://linli:linli@127.0.0.1:5432/linli")
    )
    parsed = make_url(base_url)
    url = parsed.set(database=f"{parsed.database}_bench").render_as_string(hide_password=False)
    await recreate_database(url)
    await asyncio.to_thread(upgrade, url)
    await load_demo(url)

    rows, loaded = [], 0
    for size in (int(value) for value in args.sizes.split(",")):
        seconds = await add_facilities(url, size - loaded)
        loaded = size
        print(f"loaded {size} synthetic facilities ({seconds:.1f} s)", flush=True)
        server = start_server(server_env(url), args.port)
        try:
            await wait_ready(f"http://127.0.0.1:{args.port}", server)
            result = await drive(
                f"http://127.0.0.1:{args.port}",
                args.requests,
                args.concurrency,
                random.Random(2026),
                server,
                args.port,
            )
        finally:
            await asyncio.to_thread(stop_server, server)
        rows.append((size, result))

    print()
    print(
        f"{'facilities':>12} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'results':>8} "
        f"{'RSS MiB':>8} {'peak MiB':>8}"
    )
    for size, result in rows:
        print(
            f"{size:>12} {args.requests:>9} {result['rps']:>8.0f} {result['p50']:>8.2f} "
            f"{result['p99']:>8.2f} {result['mean_results']:>8.1f} "
            f"{result['rss']:>8.1f} {result['hwm']:>8.1f}"
        )
    if len(rows) >= 2:
        first, last = rows[0][1], rows[-1][1]
        print(
            f"p50 ratio {rows[-1][0]}/{rows[0][0]} = {last['p50'] / first['p50']:.2f} (goal ≤ 2); "
            f"req/s ratio = {last['rps'] / first['rps']:.2f}"
        )
    size, last = rows[-1]
    print(
        f"memory after {size} facilities (pid {last['pid']}, the process that served the requests): "
        f"VmRSS {last['rss']:.1f} MiB, peak VmHWM {last['hwm']:.1f} MiB (goal ≤ 200 MB): "
        + ("met" if last["rss"] <= 200 else "NOT met")
    )


if __name__ == "__main__":
    asyncio.run(main())
