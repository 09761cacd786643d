"""Variable coercion alone: one readingsRecord batch through graphql-core's `get_variable_values`
against the compiled coercion (schema/variables.py), in the same process, taking turns.

    .venv/bin/python bench/variable_coercion.py [--batch-size 500] [--repeats 200]

The batch is shaped as bench/readings_ingest.py sends it (wristbands, cuffs, thermometers, motion
and door sensors; serials, kinds, values, measuredAt with milliseconds and +08:00), decoded from
JSON as the server does. No database. Checks that both give the same values, then prints the
median and best µs per batch of each and their ratio (generic ÷ compiled).
"""

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
from graphql import get_variable_values, parse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from schema import build_schema  # noqa: E402
from schema.variables import compiled_variable_values  # noqa: E402
from server.settings import Settings  # noqa: E402

MUTATION = (
    "mutation($r: [ReadingInput!]!) { readingsRecord(readings: $r) "
    "{ __typename ... on ReadingsRecorded { accepted duplicates } } }"
)
STREAMS = [
    ("WB", "HEART_RATE", (60, 95), 0),
    ("WB", "SPO2", (95, 99), 0),
    ("BP", "SYSTOLIC_BP", (110, 140), 0),
    ("BP", "DIASTOLIC_BP", (65, 90), 0),
    ("TH", "BODY_TEMPERATURE", (36.2, 37.2), 1),
    ("MS", "MOTION", None, 0),
    ("DS", "DOOR", None, 0),
]


def batch_body(size: int, rng: random.Random) -> bytes:
    now = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai"))
    readings = []
    for index in range(size):
        prefix, kind, normal, digits = STREAMS[index % len(STREAMS)]
        reading = {
            "deviceId": f"{prefix}-NM-{index % 40:04d}",
            "kind": kind,
            "measuredAt": (now - timedelta(milliseconds=index)).isoformat(timespec="milliseconds"),
        }
        if normal is not None:
            reading["value"] = round(rng.uniform(*normal), digits)
        readings.append(reading)
    return orjson.dumps({"query": MUTATION, "variables": {"r": readings}})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()

    schema = build_schema(Settings())._schema
    body = orjson.loads(batch_body(args.batch_size, random.Random(2026)))
    document = parse(body["query"])
    operation = document.definitions[0]
    variables = body["variables"]

    generic = get_variable_values(schema, operation.variable_definitions, variables)
    compiled = compiled_variable_values(schema, document, operation, None, variables)  # compiles once
    if compiled is None or compiled.coerced != generic.coerced:
        raise SystemExit("the compiled coercion does not give graphql-core's values")

    times: dict[str, list[float]] = {"generic": [], "compiled": []}
    for _ in range(args.repeats):  # taking turns, so both see the same machine
        started = time.perf_counter()
        get_variable_values(schema, operation.variable_definitions, variables)
        times["generic"].append(time.perf_counter() - started)
        started = time.perf_counter()
        compiled_variable_values(schema, document, operation, None, variables)
        times["compiled"].append(time.perf_counter() - started)

    print(f"{args.batch_size} readings a batch, {args.repeats} batches each")
    for name, measured in times.items():
        median, best = statistics.median(measured) * 1e6, min(measured) * 1e6
        print(f"{name:<9} median {median:>8.0f} µs   best {best:>8.0f} µs")
    ratio = statistics.median(times["generic"]) / statistics.median(times["compiled"])
    print(f"coercion generic÷compiled ratio={ratio:.2f} (median per batch)")


if __name__ == "__main__":
    main()
