"""The serving stack (#19, item 8): Linli under uvicorn (what `linli serve` runs: uvloop, httptools)
and under granian (a Rust HTTP server, uvloop), taking turns on the same database and load.

    .venv/bin/python bench/serving_stack.py [--rounds 4] [--duration 8] [--warmup 3] [--workers 2]

It uses ./bench/compare's database, workloads and wrk runs (W1: nearbyFacilities, 16 connections;
W4: careAlerts as care staff with the access log; W1 at 64 connections), building the database as
`./bench/compare --reuse-db` does. Each round starts each server afresh, in alternating order, so a
machine that gets slower or faster during the run weighs on both alike; it prints every round and
the median of granian ÷ uvicorn per workload.
"""

import argparse
import asyncio
import importlib.util
import os
import random
import statistics
import tempfile
from importlib.machinery import SourceFileLoader
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
_loader = SourceFileLoader("bench_compare", str(ROOT / "bench" / "compare"))
_spec = importlib.util.spec_from_loader("bench_compare", _loader)
compare = importlib.util.module_from_spec(_spec)
_loader.exec_module(compare)

STACKS = ("uvicorn", "granian")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scale", type=int, default=100_000)
    args = parser.parse_args()
    args.threads, args.connections = 2, 16

    wrk = compare.ensure_wrk()
    base_url = compare.normalize_database_url(
        os.environ.get("DATABASE_URL", "postgresql://linli:linli@127.0.0.1:5432/linli")
    )
    parsed = compare.make_url(base_url)
    url = parsed.set(database=f"{parsed.database}_compare").render_as_string(hide_password=False)
    compare.log(compare.build_database(url, args.scale, True))
    asyncio.run(compare.prepare_alerts(url))
    token = compare.care_staff_token(url)
    rng = random.Random(2026)
    box = compare.HANGZHOU_BOX
    points = [
        (
            round(rng.uniform(box["lat_min"], box["lat_max"]), 6),
            round(rng.uniform(box["lng_min"], box["lng_max"]), 6),
        )
        for _ in range(200)
    ]
    results: dict[tuple[str, str], list[float]] = {}
    p99s: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="linli-serving-") as scratch:
        directory = Path(scratch)
        w1 = compare.lua_script([compare.linli_body(compare.LINLI_W1, p) for p in points], directory, "w1")
        w4_body = orjson.dumps({"query": compare.W4_QUERY, "variables": {"first": compare.W4_FIRST}})
        w4 = compare.lua_script([w4_body], directory, "w4", token=token)
        for round_number in range(args.rounds):
            order = STACKS if round_number % 2 == 0 else tuple(reversed(STACKS))
            for stack in order:
                with compare.linli_server(url, args.workers, stack) as server:
                    for workload, script, connections in (("W1", w1, 16), ("W4", w4, 16), ("W1-c64", w1, 64)):
                        result = compare.measure(wrk, args, server, script, connections)
                        results.setdefault((stack, workload), []).append(result.rps)
                        p99s.setdefault((stack, workload), []).append(result.p99)
                        compare.log(f"round {round_number + 1} {stack:8} {workload:7} {result.show('linli')}")
    compare.log("")
    for workload in ("W1", "W4", "W1-c64"):
        medians = {stack: statistics.median(results[(stack, workload)]) for stack in STACKS}
        tails = {stack: statistics.median(p99s[(stack, workload)]) for stack in STACKS}
        compare.log(
            f"{workload:7} uvicorn={medians['uvicorn']:.0f} req/s p99={tails['uvicorn']:.1f}ms "
            f"granian={medians['granian']:.0f} req/s p99={tails['granian']:.1f}ms "
            f"granian÷uvicorn={medians['granian'] / medians['uvicorn']:.2f} (medians of {args.rounds} rounds)"
        )


if __name__ == "__main__":
    main()
