"""The raw ceiling for bench/compare: Linli's W1 and W3 answers from asyncpg + Starlette, one SQL each.

    DATABASE_URL=postgresql://… BENCH_RADIUS_M=750.5 .venv/bin/python -m uvicorn --app-dir bench \\
      --factory raw_ceiling:create_app --port 8803 --workers 2 --loop uvloop --http httptools --no-access-log

No GraphQL: POST /graphql takes the same JSON bodies bench/compare sends Linli, tells the two
operations apart by their variables (`near` → W1, `spaceId` → W3), runs one statement and writes,
with orjson, the JSON Linli answers (bench/compare checks they parse equal before timing):

- W1 `nearbyFacilities(near: {lat, lng, system: WGS84}, withinMinutes: 15, first: 50) { edges {
  node { id name category address phone accessibility } } }`: Linli's own two-step search statement
  (resolvers/facilities.py search_nearby: a KNN probe for the reach, then the matches within it by
  distance and id); the radius is BENCH_RADIUS_M, which bench/compare computes with Linli's Walking.
- W3 `resourceAvailability(spaceId:, date:) { resource { id name kind capacity features } freeSlots
  { start end } }`: the day's slots (opening hours in Asia/Shanghai, slot length, still bookable
  until start + the check-in grace), less those overlapping an active reservation, in SQL.

What the ceiling leaves out is what a GraphQL server adds: parsing and validating the document,
resolvers, per-request sessions and transactions. The pool is sized like Linli's: per process,
LINLI_DB_POOL_SIZE connections kept (default 10), up to that plus LINLI_DB_MAX_OVERFLOW (10).
"""

import base64
import contextlib
import os
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import asyncpg
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

SHANGHAI = ZoneInfo("Asia/Shanghai")
FIRST = 50
INDEX_MARGIN_M = 1.0  # as resolvers/facilities.py: ST_DWithin a metre wider bounds the GiST scan
SPHERE_SLACK = 1.02  # as resolvers/facilities.py: the sphere finds candidates, the spheroid decides

HERE = "CAST(ST_SetSRID(ST_MakePoint($2::float8, $1::float8), 4326) AS geography)"
EXACT = f"ST_Distance(f.location, {HERE}, true)"
WITHIN = (
    f"ST_DWithin(f.location, {HERE}, $3::float8 * {SPHERE_SLACK} + $5::float8, false)"
    f" AND {EXACT} < $3::float8"
)
NEARBY_SQL = f"""
WITH nearest AS (
  SELECT f.location <-> {HERE} AS distance
    FROM facilities AS f
   WHERE {WITHIN}
   ORDER BY f.location <-> {HERE}
   LIMIT $4::int + 1
)
SELECT f.id, f.name, f.category, f.address, f.phone, f.accessibility
  FROM facilities AS f
 WHERE {WITHIN}
   AND ST_DWithin(f.location, {HERE},
                  (SELECT max(distance) FROM nearest) * {SPHERE_SLACK} + $5::float8, false)
 ORDER BY {EXACT}, f.id
 LIMIT $4::int
"""

# Linli (resolvers/makerspace/calendar.py): slots from opening to closing in steps of slot_minutes,
# kept while now <= start + check_in_after_minutes and the day is within booking_horizon_days of
# today (Asia/Shanghai), free when no CONFIRMED/CHECKED_IN reservation overlaps [start, end).
AVAILABILITY_SQL = """
WITH space AS (
  SELECT id, make_interval(mins => slot_minutes) AS step,
         make_interval(mins => check_in_after_minutes) AS grace,
         $2::date <= ($3 AT TIME ZONE 'Asia/Shanghai')::date + booking_horizon_days AS bookable,
         ($2::date + opens_at) AT TIME ZONE 'Asia/Shanghai' AS opens,
         ($2::date + closes_at) AT TIME ZONE 'Asia/Shanghai' AS closes
    FROM maker_spaces WHERE id = $1
), slots AS (
  SELECT s AS start, s + space.step AS finish
    FROM space, generate_series(space.opens, space.closes - space.step, space.step) AS s
   WHERE $3 <= s + space.grace AND space.bookable
)
SELECT r.id, r.name, r.kind, r.capacity, r.features,
       ARRAY(SELECT slots.start FROM slots
              WHERE NOT EXISTS (
                      SELECT FROM reservations AS v
                       WHERE v.resource_id = r.id AND v.status IN ('CONFIRMED', 'CHECKED_IN')
                         AND v.period && tstzrange(slots.start, slots.finish))
              ORDER BY slots.start) AS free,
       (SELECT step FROM space) AS step
  FROM space JOIN resources AS r ON r.space_id = space.id AND r.active
 ORDER BY r.position, r.id
"""


def global_id(type_name: str, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


def local_iso(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).isoformat()


def json_response(body: dict, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def error(message: str, status: int = 400) -> Response:
    return json_response({"errors": [{"message": message}]}, status)


async def nearby(pool: asyncpg.Pool, radius: float, variables: dict) -> dict:
    near = variables["near"]
    if near.get("system") != "WGS84":
        raise ValueError("the raw ceiling takes WGS84 points only")
    rows = await pool.fetch(NEARBY_SQL, float(near["lat"]), float(near["lng"]), radius, FIRST, INDEX_MARGIN_M)
    edges = [
        {
            "node": {
                "id": global_id("Facility", row["id"]),
                "name": row["name"],
                "category": row["category"],
                "address": row["address"],
                "phone": row["phone"],
                "accessibility": row["accessibility"],
            }
        }
        for row in rows
    ]
    return {"data": {"nearbyFacilities": {"edges": edges}}}


def space_pk(space_id: str) -> int:
    type_name, _, pk = base64.urlsafe_b64decode(space_id + "=" * (-len(space_id) % 4)).decode().partition(":")
    if type_name != "MakerSpace":
        raise ValueError(f"not a MakerSpace ID: {space_id!r}")
    return int(pk)


async def availability(pool: asyncpg.Pool, variables: dict) -> dict:
    day = date.fromisoformat(variables["date"])
    rows = await pool.fetch(AVAILABILITY_SQL, space_pk(variables["spaceId"]), day, datetime.now(UTC))
    days = [
        {
            "resource": {
                "id": global_id("Resource", row["id"]),
                "name": row["name"],
                "kind": row["kind"],
                "capacity": row["capacity"],
                "features": list(row["features"]),
            },
            "freeSlots": [
                {"start": local_iso(start), "end": local_iso(start + row["step"])} for start in row["free"]
            ],
        }
        for row in rows
    ]
    return {"data": {"resourceAvailability": days}}


def create_app() -> Starlette:
    url = os.environ["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://", 1)
    radius = float(os.environ["BENCH_RADIUS_M"])
    pool_size = int(os.environ.get("LINLI_DB_POOL_SIZE", "10"))
    max_overflow = int(os.environ.get("LINLI_DB_MAX_OVERFLOW", "10"))
    state: dict = {}

    async def graphql(request: Request) -> Response:
        try:
            body = orjson.loads(await request.body())
            variables = body.get("variables") or {}
        except (orjson.JSONDecodeError, AttributeError):
            return error("the body must be a JSON object")
        try:
            if "near" in variables:
                return json_response(await nearby(state["pool"], radius, variables))
            if "spaceId" in variables:
                return json_response(await availability(state["pool"], variables))
        except (KeyError, TypeError, ValueError) as problem:
            return error(f"bad variables: {problem}")
        return error("unknown operation: send `near` (W1) or `spaceId` and `date` (W3)")

    async def readyz(request: Request) -> Response:
        await state["pool"].fetchval("SELECT 1")
        return json_response({"status": "ready"})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        state["pool"] = await asyncpg.create_pool(
            url,
            min_size=pool_size,
            max_size=pool_size + max_overflow,
            server_settings={"application_name": "linli-raw-ceiling", "timezone": "UTC"},
        )
        try:
            yield
        finally:
            await state["pool"].close()

    return Starlette(
        routes=[Route("/graphql", graphql, methods=["POST"]), Route("/readyz", readyz)], lifespan=lifespan
    )
