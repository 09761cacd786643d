"""`linli facilities import` at 100 000 rows, GeoJSON and CSV: rows/s, time, peak memory, and a
second (idempotent) import of the same file.

    .venv/bin/python bench/facilities_import.py [--rows 100000]

Generates a GeoJSON FeatureCollection and a CSV file of `--rows` synthetic facilities spread over
Hangzhou (GCJ-02, each with weekly hours and one or two services, one in 500 rejected on purpose:
outside China), then for each format: recreates `<DATABASE_URL's name>_import` with the
migrations, the service catalogue and the four communities, runs the real command
(`linli facilities import FILE`) in a process of its own, and runs it again on the same file. The
command's peak memory is its VmHWM (/proc/<pid>/status), read while it runs. A re-import must insert nothing
and leave as many facilities as the first.
"""

import argparse
import asyncio
import csv
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.facilities import FacilityCategory  # noqa: E402
from models.people import Community  # noqa: E402
from seeds.facilities import HANGZHOU_BOX, seed_services  # noqa: E402
from server.migrate import upgrade  # noqa: E402
from server.settings import normalize_database_url  # noqa: E402
from tests.conftest import recreate_database  # noqa: E402

LINLI = str(Path(sys.executable).with_name("linli"))
COMMUNITIES = ("南睦未来社区", "海创社区", "文一社区", "永福社区")
SERVICES = ("MEDICAL_INSURANCE_PAYMENT", "SOCIAL_SECURITY_CARD_APPLICATION", "E_SOCIAL_SECURITY_CARD")
HOURS = ("1-5 08:30-17:00; 6 09:00-12:00", "1-7 00:00-24:00", "1-7 06:00-22:00", "1-5 17:00-02:00")
REJECT_EVERY = 500
SUMMARY = re.compile(r"新增 (\d+)，更新 (\d+)，未变 (\d+)），拒绝 (\d+) 行")


def rows(count: int, rng: random.Random) -> list[dict]:
    categories = [category.value for category in FacilityCategory]
    made = []
    for index in range(count):
        outside = index % REJECT_EVERY == REJECT_EVERY - 1
        made.append(
            {
                "id": f"bench-{index:06d}",
                "name": f"导入测试设施{index:06d}",
                "category": categories[index % len(categories)],
                "lat": 48.8566 if outside else rng.uniform(HANGZHOU_BOX["lat_min"], HANGZHOU_BOX["lat_max"]),
                "lng": 2.3522 if outside else rng.uniform(HANGZHOU_BOX["lng_min"], HANGZHOU_BOX["lng_max"]),
                "address": f"杭州市余杭区测试路{index}号",
                "phone": f"0571-{index:08d}",
                "community": COMMUNITIES[index % len(COMMUNITIES)],
                "hours": HOURS[index % len(HOURS)],
                "services": SERVICES[: 1 + index % 2],
            }
        )
    return made


def write_geojson(path: Path, items: list[dict]) -> None:
    features = [
        {
            "type": "Feature",
            "id": item["id"],
            "geometry": {"type": "Point", "coordinates": [item["lng"], item["lat"]]},
            "properties": {
                key: item[key] for key in ("name", "category", "address", "phone", "community", "hours")
            }
            | {"services": list(item["services"])},
        }
        for item in items
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False))


def write_csv(path: Path, items: list[dict]) -> None:
    columns = ["id", "name", "category", "lat", "lng", "address", "phone", "community", "hours", "services"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for item in items:
            writer.writerow(item | {"services": ";".join(item["services"])})


async def fresh_database(url: str) -> None:
    await recreate_database(url)
    await asyncio.to_thread(upgrade, url)
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        session = AsyncSession(bind=connection)
        await seed_services(session=session)
        session.add_all(Community(name=name, subdistrict="五常街道") for name in COMMUNITIES)
        await session.flush()
    await engine.dispose()


async def count_facilities(url: str) -> int:
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        found = await connection.scalar(text("SELECT count(*) FROM facilities WHERE source IS NOT NULL"))
    await engine.dispose()
    return found


def peak_of(pid: int, stop: threading.Event, peak: list[float]) -> None:
    """VmHWM of the process (peak resident, from its exec on), read until it ends: the last value
    read is its peak. (ru_maxrss of a child would count the parent's pages it was forked with.)"""
    while not stop.is_set():
        try:
            with open(f"/proc/{pid}/status") as status:
                for line in status:
                    if line.startswith("VmHWM"):
                        peak[0] = max(peak[0], int(line.split()[1]) / 1024)
        except OSError:
            return
        stop.wait(0.05)


def run_import(plain_url: str, path: Path) -> dict:
    env = {**os.environ, "DATABASE_URL": plain_url}
    started = time.perf_counter()
    process = subprocess.Popen(
        [LINLI, "facilities", "import", str(path)], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    stop, peak = threading.Event(), [0.0]
    watcher = threading.Thread(target=peak_of, args=(process.pid, stop, peak))
    watcher.start()
    output = process.stdout.read().decode()
    code = process.wait()
    seconds = time.perf_counter() - started
    stop.set()
    watcher.join()
    found = SUMMARY.search(output)
    if code not in (0, 2) or found is None:
        raise SystemExit(f"import of {path.name} exited {code}:\n{output[-2000:]}")
    inserted, updated, unchanged, rejected = map(int, found.groups())
    return {
        "seconds": seconds,
        "inserted": inserted,
        "updated": updated,
        "unchanged": unchanged,
        "rejected": rejected,
        "peak_mib": peak[0],
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()

    base_url = normalize_database_url(
        os.environ.get("DATABASE_URL", "postgresql://linli:linli@127.0.0.1:5432/linli")
    )
    parsed = make_url(base_url)
    url = parsed.set(database=f"{parsed.database}_import").render_as_string(hide_password=False)
    plain_url = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    items = rows(args.rows, random.Random(2026))
    expected_rejected = sum(1 for index in range(args.rows) if index % REJECT_EVERY == REJECT_EVERY - 1)
    with tempfile.TemporaryDirectory() as directory:
        files = {"geojson": Path(directory) / "bench.geojson", "csv": Path(directory) / "bench.csv"}
        write_geojson(files["geojson"], items)
        write_csv(files["csv"], items)
        for name, path in files.items():
            await fresh_database(url)
            first = run_import(plain_url, path)
            second = run_import(plain_url, path)
            stored = await count_facilities(url)
            valid = args.rows - expected_rejected
            checks = (
                first["inserted"] == valid
                and first["rejected"] == second["rejected"] == expected_rejected
                and second["inserted"] == 0
                and second["updated"] == 0
                and second["unchanged"] == valid
                and stored == valid
            )
            size_mib = path.stat().st_size / 1024 / 1024
            print(
                f"{name} import: {args.rows} rows ({size_mib:.1f} MiB) in {first['seconds']:.1f} s = "
                f"{args.rows / first['seconds']:,.0f} rows/s, {first['inserted']} inserted, "
                f"{first['rejected']} rejected, peak memory {first['peak_mib']:.0f} MiB",
                flush=True,
            )
            print(
                f"{name} re-import: {second['seconds']:.1f} s = {args.rows / second['seconds']:,.0f} rows/s, "
                f"{second['inserted']} inserted, {second['updated']} updated, "
                f"{second['unchanged']} unchanged, peak memory {second['peak_mib']:.0f} MiB; "
                f"facilities stored {stored}",
                flush=True,
            )
            print(f"check {name} idempotent {'ok' if checks else 'FAILED'}", flush=True)
            if not checks:
                raise SystemExit(1)


if __name__ == "__main__":
    asyncio.run(main())
