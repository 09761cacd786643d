"""`linli facilities import`: facilities from a GeoJSON FeatureCollection of Points or a CSV file.

Every row is checked on its own (coordinates in the declared system and in mainland China, a known
category, services and community, hours that parse); a rejected row is reported with its CSV line
or its feature's index and a reason, and never stops the others. Valid rows are written in batches,
set-based (one INSERT … ON CONFLICT per batch, then one DELETE and one INSERT each for weekly hours
and services), keyed by (source, source id): importing the same file again updates, never
duplicates. The whole import is one transaction (a dry run rolls it back), with one audit row.

CSV columns (a header row; only `id`, `name`, `category`, `lat`, `lng` are required):

    id, name, category, lat, lng, address, phone, accessibility, community, hours, services

GeoJSON: each Feature's `id` (or `properties.id`), `geometry` a Point `[lng, lat]`, and the same
names in `properties` (`services` may be a list). `hours` is `1-5 08:30-17:00; 6 09:00-12:00`
(ISO weekdays 1–7, a range or one day; a close at or before the open is the next day's; `7 closed`
allowed); `services` are service codes separated by `;`; `community` a community's name. An empty
`hours`, `services` or `community` leaves what the facility has; given, it replaces it.
"""

import csv
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from models.facilities import FacilityCategory, Service
from models.people import Community
from resolvers import audit
from resolvers.coordinates import CoordinateSystem
from resolvers.errors import DomainFailure, ErrorCode
from resolvers.facilities.hours import WeeklyPeriod, parse_weekly_hours, wgs84_point

BATCH = 2000
MAX_NAME = 200
MAX_SOURCE_ID = 200
MAX_PHONE = 40
CATEGORIES = frozenset(category.value for category in FacilityCategory)
CSV_REQUIRED = ("id", "name", "category", "lat", "lng")

# Why a row is refused: a stable reason for programs, then a message for people.
BAD_COORDINATES = "BAD_COORDINATES"
OUTSIDE_CHINA = "OUTSIDE_CHINA"
UNKNOWN_CATEGORY = "UNKNOWN_CATEGORY"
BAD_HOURS = "BAD_HOURS"
UNKNOWN_SERVICE = "UNKNOWN_SERVICE"
UNKNOWN_COMMUNITY = "UNKNOWN_COMMUNITY"
MISSING_ID = "MISSING_ID"
DUPLICATE_ID = "DUPLICATE_ID"
BAD_NAME = "BAD_NAME"
NOT_A_POINT = "NOT_A_POINT"
BAD_PHONE = "BAD_PHONE"
REASON_OF = {
    ErrorCode.INVALID_COORDINATES: BAD_COORDINATES,
    ErrorCode.OUTSIDE_CHINA: OUTSIDE_CHINA,
    ErrorCode.INVALID_HOURS: BAD_HOURS,
}


class ImportFileError(Exception):
    """The file as a whole cannot be read (not JSON, not a FeatureCollection, columns missing)."""


@dataclass(frozen=True)
class Rejected:
    where: str  # "line 12" (CSV, the header is line 1) or "features[4]" (GeoJSON, from 0)
    reason: str
    message: str


@dataclass(frozen=True)
class Row:
    source_id: str
    name: str
    category: str
    lat: float  # WGS-84
    lng: float
    address: str | None
    phone: str | None
    accessibility: str | None
    community_id: int | None
    hours: list[WeeklyPeriod] | None  # None: not given, keep
    services: list[int] | None


@dataclass
class Report:
    source: str
    total: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    seconds: float = 0.0
    dry_run: bool = False

    @property
    def imported(self) -> int:
        return self.inserted + self.updated + self.unchanged


class RowRefused(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


# ── Reading the file ──────────────────────────────────────────────────────────


def detect_format(path: Path, given: str | None) -> str:
    if given:
        return given
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json"):
        return "geojson"
    if suffix == ".csv":
        return "csv"
    raise ImportFileError(f"无法从扩展名判断格式：{path.name}（请用 --format geojson|csv）")


def csv_records(path: Path) -> tuple[int, Iterator[tuple[str, dict[str, Any]]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        lines = handle.read()
    reader = csv.DictReader(lines.splitlines(keepends=True))
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in CSV_REQUIRED if name not in header]
    if missing:
        raise ImportFileError(f"CSV 缺少列：{', '.join(missing)}（需要 {', '.join(CSV_REQUIRED)}）")
    reader.fieldnames = header
    total = max(0, sum(1 for line in lines.splitlines() if line.strip()) - 1)

    def records():
        start = reader.line_num + 1
        for record in reader:
            yield f"line {start}", {key: value for key, value in record.items() if key is not None}
            start = reader.line_num + 1

    return total, records()


def geojson_records(path: Path) -> tuple[int, Iterator[tuple[str, dict[str, Any]]]]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ImportFileError(f"不是有效的 JSON：{error}") from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise ImportFileError("GeoJSON 须为 FeatureCollection")
    features = document.get("features")
    if not isinstance(features, list):
        raise ImportFileError("FeatureCollection 缺少 features 数组")

    def records():
        for index, feature in enumerate(features):
            yield f"features[{index}]", feature_record(feature)

    return len(features), records()


def feature_record(feature: Any) -> dict[str, Any]:
    if not isinstance(feature, dict):
        return {"_error": (NOT_A_POINT, "不是 Feature 对象")}
    properties = feature.get("properties") or {}
    geometry = feature.get("geometry") or {}
    record = dict(properties) if isinstance(properties, dict) else {}
    if feature.get("id") is not None:
        record["id"] = feature["id"]
    coordinates = geometry.get("coordinates") if isinstance(geometry, dict) else None
    if not isinstance(geometry, dict) or geometry.get("type") != "Point":
        record["_error"] = (NOT_A_POINT, "geometry 须为 Point")
    elif not isinstance(coordinates, list) or len(coordinates) < 2:
        record["_error"] = (BAD_COORDINATES, "Point 须有 [经度, 纬度]")
    else:
        record["lng"], record["lat"] = coordinates[0], coordinates[1]
    return record


# ── Checking one row ──────────────────────────────────────────────────────────


@dataclass
class Catalog:
    communities: dict[str, int]
    services: dict[str, int]


def text_of(value: Any) -> str | None:
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def number(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int | float):
        return float(value)
    return float(str(value).strip())


def checked_row(record: dict[str, Any], *, system: CoordinateSystem, catalog: Catalog) -> Row:
    if "_error" in record:
        raise RowRefused(*record["_error"])
    source_id = text_of(record.get("id"))
    if source_id is None or len(source_id) > MAX_SOURCE_ID:
        raise RowRefused(MISSING_ID, f"缺少来源 id（或超过 {MAX_SOURCE_ID} 个字符）")
    name = text_of(record.get("name"))
    if name is None or len(name) > MAX_NAME:
        raise RowRefused(BAD_NAME, f"名称须为 1–{MAX_NAME} 个字")
    category = (text_of(record.get("category")) or "").upper()
    if category not in CATEGORIES:
        raise RowRefused(UNKNOWN_CATEGORY, f"未知的设施类别：{record.get('category')!r}")
    try:
        lat, lng = number(record.get("lat")), number(record.get("lng"))
    except (TypeError, ValueError):
        raise RowRefused(
            BAD_COORDINATES, f"坐标不是数字：{record.get('lat')!r}, {record.get('lng')!r}"
        ) from None
    try:
        lat, lng = wgs84_point(lat, lng, system)
        hours_text = text_of(record.get("hours"))
        hours = parse_weekly_hours(hours_text) if hours_text else None
    except DomainFailure as failure:
        raise RowRefused(REASON_OF.get(failure.code, failure.code.value), failure.message) from None
    phone = text_of(record.get("phone"))
    if phone is not None and len(phone) > MAX_PHONE:
        raise RowRefused(BAD_PHONE, f"电话最多 {MAX_PHONE} 个字符")
    community = text_of(record.get("community"))
    community_id = None
    if community is not None:
        community_id = catalog.communities.get(community)
        if community_id is None:
            raise RowRefused(UNKNOWN_COMMUNITY, f"没有名为“{community}”的社区")
    services = None
    given = record.get("services")
    if given not in (None, "", []):
        codes = given if isinstance(given, list) else str(given).split(";")
        codes = list(dict.fromkeys(str(code).strip() for code in codes if str(code).strip()))
        unknown = [code for code in codes if code not in catalog.services]
        if unknown:
            raise RowRefused(UNKNOWN_SERVICE, f"没有这些服务：{', '.join(unknown)}")
        services = [catalog.services[code] for code in codes]
    return Row(
        source_id=source_id,
        name=name,
        category=category,
        lat=lat,
        lng=lng,
        address=text_of(record.get("address")),
        phone=phone,
        accessibility=text_of(record.get("accessibility")),
        community_id=community_id,
        hours=hours,
        services=services,
    )


# ── Writing a batch, set-based ────────────────────────────────────────────────

# One statement per batch: the rows as arrays, upserted by (source, source_id). A row whose fields
# are already these is not rewritten (no new tuple, no index updates): importing the same file
# again writes nothing. The answer gives every row's id, written or not.
UPSERT = text("""
WITH input AS (
  SELECT * FROM unnest(CAST(:names AS text[]), CAST(:categories AS text[]), CAST(:addresses AS text[]),
                       CAST(:phones AS text[]), CAST(:accessibility AS text[]), CAST(:lats AS float8[]),
                       CAST(:lngs AS float8[]), CAST(:communities AS bigint[]), CAST(:source_ids AS text[]))
         AS r(name, category, address, phone, accessibility, lat, lng, community_id, source_id)
), written AS (
  INSERT INTO facilities (name, category, address, phone, accessibility, location, community_id,
                          is_synthetic, source, source_id)
  SELECT r.name, r.category, r.address, r.phone, r.accessibility,
         CAST(ST_SetSRID(ST_MakePoint(r.lng, r.lat), 4326) AS geography), r.community_id,
         false, CAST(:source AS varchar), r.source_id
    FROM input r
  ON CONFLICT (source, source_id) DO UPDATE
     SET name = EXCLUDED.name, category = EXCLUDED.category, address = EXCLUDED.address,
         phone = EXCLUDED.phone, accessibility = EXCLUDED.accessibility, location = EXCLUDED.location,
         community_id = coalesce(EXCLUDED.community_id, facilities.community_id), updated_at = now()
   WHERE (facilities.name, facilities.category, facilities.address, facilities.phone,
          facilities.accessibility, CAST(facilities.location AS text), facilities.community_id)
         IS DISTINCT FROM
         (EXCLUDED.name, EXCLUDED.category, EXCLUDED.address, EXCLUDED.phone, EXCLUDED.accessibility,
          CAST(EXCLUDED.location AS text), coalesce(EXCLUDED.community_id, facilities.community_id))
  RETURNING id, source_id, (xmax = 0) AS inserted
)
SELECT i.source_id, coalesce(w.id, f.id) AS id, coalesce(w.inserted, false) AS inserted,
       w.id IS NOT NULL AS written
  FROM input i
  LEFT JOIN written w ON w.source_id = i.source_id
  LEFT JOIN facilities f ON f.source = CAST(:source AS varchar) AND f.source_id = i.source_id
""")


def replace_changed(table: str, columns: tuple[str, ...], types: tuple[str, ...]):
    """Replaces the rows of `table` of the facilities whose rows differ from those given, in one
    statement; answers the ids of the facilities it changed. Facilities whose rows are already
    exactly these are left alone (multisets compared: EXCEPT ALL both ways)."""
    given = ", ".join(f"CAST(:{column} AS {kind}[])" for column, kind in zip(columns, types, strict=True))
    names = ", ".join(columns)
    return text(f"""
WITH given AS (
  SELECT * FROM unnest(CAST(:ids AS bigint[]), {given}) AS g(facility_id, {names})
), present AS (
  SELECT facility_id, {names} FROM {table} WHERE facility_id = ANY(CAST(:facilities AS bigint[]))
), differing AS (
  SELECT DISTINCT facility_id FROM (
    (SELECT * FROM given EXCEPT ALL SELECT * FROM present)
    UNION ALL
    (SELECT * FROM present EXCEPT ALL SELECT * FROM given)
  ) AS changed
), gone AS (
  DELETE FROM {table} t USING differing d WHERE t.facility_id = d.facility_id
), added AS (
  INSERT INTO {table} (facility_id, {names})
  SELECT g.facility_id, {", ".join(f"g.{column}" for column in columns)} FROM given g
    JOIN differing d ON d.facility_id = g.facility_id
)
SELECT coalesce(array_agg(facility_id), '{{}}') FROM differing
""")


REPLACE_HOURS = replace_changed(
    "facility_opening_hours", ("weekday", "open_minute", "close_minute"), ("smallint", "smallint", "smallint")
)
REPLACE_SERVICES = replace_changed("facility_services", ("service_id",), ("bigint",))


@dataclass(frozen=True)
class Written:
    inserted: int
    updated: int  # its fields, weekly hours or services changed
    unchanged: int


async def write_batch(session: AsyncSession, source: str, rows: list[Row]) -> Written:
    """Upserts the rows (ids unique within the file) and replaces the weekly hours and services
    that differ from those given."""
    answered = (
        await session.execute(
            UPSERT,
            {
                "source": source,
                "names": [row.name for row in rows],
                "categories": [row.category for row in rows],
                "addresses": [row.address for row in rows],
                "phones": [row.phone for row in rows],
                "accessibility": [row.accessibility for row in rows],
                "lats": [row.lat for row in rows],
                "lngs": [row.lng for row in rows],
                "communities": [row.community_id for row in rows],
                "source_ids": [row.source_id for row in rows],
            },
        )
    ).all()
    found = {item.source_id: item for item in answered}
    ids = [found[row.source_id].id for row in rows]
    inserted = {item.id for item in answered if item.inserted}
    changed = {item.id for item in answered if item.written and not item.inserted}
    with_hours = [(pk, row) for pk, row in zip(ids, rows, strict=True) if row.hours is not None]
    if with_hours:
        periods = [(pk, period) for pk, row in with_hours for period in row.hours]
        changed.update(
            await session.scalar(
                REPLACE_HOURS,
                {
                    "facilities": [pk for pk, _ in with_hours],
                    "ids": [pk for pk, _ in periods],
                    "weekday": [period.weekday for _, period in periods],
                    "open_minute": [period.period.open_minute for _, period in periods],
                    "close_minute": [period.period.close_minute for _, period in periods],
                },
            )
        )
    with_services = [(pk, row) for pk, row in zip(ids, rows, strict=True) if row.services is not None]
    if with_services:
        links = [(pk, service) for pk, row in with_services for service in row.services]
        changed.update(
            await session.scalar(
                REPLACE_SERVICES,
                {
                    "facilities": [pk for pk, _ in with_services],
                    "ids": [pk for pk, _ in links],
                    "service_id": [service for _, service in links],
                },
            )
        )
    updated = len(changed - inserted)
    return Written(len(inserted), updated, len(rows) - len(inserted) - updated)


# ── The import ────────────────────────────────────────────────────────────────


async def load_catalog(session: AsyncSession) -> Catalog:
    return Catalog(
        communities=dict((await session.execute(select(Community.name, Community.id))).all()),
        services=dict((await session.execute(select(Service.code, Service.id))).all()),
    )


async def import_file(
    *,
    session: AsyncSession,
    path: Path,
    file_format: str | None = None,
    system: CoordinateSystem = CoordinateSystem.GCJ02,
    source: str | None = None,
    dry_run: bool = False,
    progress: Callable[[int, int], None] = lambda done, total: None,
    batch_size: int = BATCH,
) -> Report:
    """Imports the file in the session's transaction (the caller commits, or rolls back a dry run)."""
    started = time.perf_counter()
    file_format = detect_format(path, file_format)
    total, records = csv_records(path) if file_format == "csv" else geojson_records(path)
    report = Report(source=(source or path.stem).strip(), total=total, dry_run=dry_run)
    if not report.source or len(report.source) > 40:
        raise ImportFileError("来源名（--source，默认文件名）须为 1–40 个字符")
    catalog = await load_catalog(session)
    seen: dict[str, str] = {}
    batch: list[Row] = []
    done = 0
    for where, record in records:
        done += 1
        try:
            row = checked_row(record, system=system, catalog=catalog)
            if row.source_id in seen:
                raise RowRefused(DUPLICATE_ID, f"id {row.source_id!r} 与 {seen[row.source_id]} 重复")
            seen[row.source_id] = where
            batch.append(row)
        except RowRefused as refused:
            report.rejected.append(Rejected(where, refused.reason, refused.message))
        if len(batch) >= batch_size:
            await _write(session, report, batch)
            batch = []
            progress(done, total)
    if batch:
        await _write(session, report, batch)
    progress(done, total)
    await audit.record(
        session=session,
        action="facility.import",
        object_id=None,
        after={
            "source": report.source,
            "file": path.name,
            "inserted": report.inserted,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "rejected": len(report.rejected),
        },
    )
    report.seconds = time.perf_counter() - started
    return report


async def _write(session: AsyncSession, report: Report, batch: list[Row]) -> None:
    written = await write_batch(session, report.source, batch)
    report.inserted += written.inserted
    report.updated += written.updated
    report.unchanged += written.unchanged
