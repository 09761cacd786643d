"""The raw ceiling for bench/compare: Linli's W1, W3 and W4 answers from asyncpg + Starlette.

    DATABASE_URL=postgresql://… BENCH_RADIUS_M=750.5 LINLI_JWT_SECRET=… \\
      .venv/bin/python -m uvicorn --app-dir bench \\
      --factory raw_ceiling:create_app --port 8803 --workers 2 --loop uvloop --http httptools --no-access-log

No GraphQL: POST /graphql takes the same JSON bodies bench/compare sends Linli, tells the two
operations apart by their variables (`near` → W1, `spaceId` → W3, `first` → W4), runs its SQL and
writes, with orjson, the JSON Linli answers (bench/compare checks they parse equal before timing):

- W1 `nearbyFacilities(near: {lat, lng, system: WGS84}, withinMinutes: 15, first: 50) { edges {
  node { id name category address phone accessibility } } }`: Linli's own two-step search statement
  (resolvers/facilities.py search_nearby: a KNN probe for the reach, then the matches within it by
  distance and id); the radius is BENCH_RADIUS_M, which bench/compare computes with Linli's Walking.
- W3 `resourceAvailability(spaceId:, date:) { resource { id name kind capacity features } freeSlots
  { start end } }`: the day's slots (opening hours in Asia/Shanghai, slot length, still bookable
  until start + the check-in grace), less those overlapping an active reservation, in SQL.
- W4 `careAlerts(first:) { edges { node { id kind severity status summary openedAt acknowledgedAt
  elder { name } } } }` with `Authorization: Bearer <token>`: the token verified as Linli verifies it
  (HS256, LINLI_JWT_SECRET, issuer and audience; Linli's in-memory revocation check is left out), then
  in one transaction Linli's visibility rule (resolvers/eldercare/access.py: care staff see their
  community's elders, ADMIN all, anyone also those whose consent to them stands) in one SELECT newest
  first, and the health access log's INSERT (resolvers/access_log.py: one row per elder read, what
  {alerts, profile}, the request's id, which the answer's X-Request-ID header carries, as Linli's
  does). Linli writes that log in a transaction of its own after its reads; here both share one.

What the ceiling leaves out is what a GraphQL server adds: parsing and validating the document,
resolvers, per-request sessions and transactions. The pool is sized like Linli's: per process,
LINLI_DB_POOL_SIZE connections kept (default 20), up to that plus LINLI_DB_MAX_OVERFLOW (0).
"""

import base64
import contextlib
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import asyncpg
import jwt
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

# Linli (resolvers/eldercare/queries.py list_alerts, access.py visible_elders): alerts of the elders the
# viewer may see, newest first by (opened_at, id); the elder's name joined in (Linli loads it by id).
ALERTS_SQL = """
SELECT a.id, a.kind, a.severity, a.status, a.summary, a.opened_at, a.acknowledged_at, a.elder_id,
       e.name AS elder_name
  FROM care_alerts AS a JOIN elders AS e ON e.id = a.elder_id
 WHERE {visible}
 ORDER BY a.opened_at DESC, a.id DESC
 LIMIT $1
"""
CONSENTED = (
    "SELECT f.elder_id FROM elder_family_links AS f WHERE f.person_id = $2 "
    "AND f.consented_at IS NOT NULL AND f.consent_revoked_at IS NULL"
)
ALERTS_FOR = {
    "everything": ALERTS_SQL.format(visible="true"),
    "family": ALERTS_SQL.format(visible=f"a.elder_id IN ({CONSENTED})"),
    "staff": ALERTS_SQL.format(visible=f"(e.community_id = $3 OR a.elder_id IN ({CONSENTED}))"),
}
# resolvers/access_log.py HEALTH: one row per elder read, `what` as a sorted comma list.
HEALTH_LOG_SQL = """
INSERT INTO health_access_log (person_id, elder_id, what, request_id, client_request_id)
SELECT $1, u.subject, string_to_array(u.what, ','), $2, $3
  FROM unnest($4::bigint[], $5::text[]) AS u(subject, what)
"""
ALERT_READ = "alerts,profile"  # each alert (CareAlert.logged_read) and its elder (Elder.logged_read)


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


class Unauthenticated(Exception):
    pass


@dataclass(frozen=True)
class Viewer:
    person_id: int
    roles: frozenset[str]
    community_id: int | None


def viewer_of(authorization: str | None, secret: str, issuer: str, audience: str) -> Viewer:
    """As server/auth.py TokenService.verify (HS256)."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("a bearer token is needed")
    try:
        claims = jwt.decode(
            token.strip(),
            secret,
            algorithms=["HS256"],
            audience=audience,
            issuer=issuer,
            options={"require": ["exp", "iat", "sub", "iss", "aud"]},
        )
        community = claims.get("community")
        return Viewer(
            person_id=int(claims["sub"]),
            roles=frozenset(str(role) for role in claims.get("roles") or []),
            community_id=int(community) if community is not None else None,
        )
    except (jwt.PyJWTError, TypeError, ValueError) as problem:
        raise Unauthenticated(f"invalid token: {problem}") from None


async def care_alerts(
    pool: asyncpg.Pool, viewer: Viewer, variables: dict, request_id: str, client_request_id: str | None
) -> dict:
    first = int(variables["first"])
    if not 0 <= first <= 100:
        raise ValueError("first must be between 0 and 100")
    if "ADMIN" in viewer.roles:
        sql, args = ALERTS_FOR["everything"], (first,)
    elif "CARE_STAFF" in viewer.roles and viewer.community_id is not None:
        sql, args = ALERTS_FOR["staff"], (first, viewer.person_id, viewer.community_id)
    else:
        sql, args = ALERTS_FOR["family"], (first, viewer.person_id)
    async with pool.acquire() as connection, connection.transaction():
        rows = await connection.fetch(sql, *args)
        elders = list(dict.fromkeys(row["elder_id"] for row in rows))
        if elders:
            await connection.execute(
                HEALTH_LOG_SQL,
                viewer.person_id,
                request_id,
                client_request_id,
                elders,
                [ALERT_READ] * len(elders),
            )
    edges = [
        {
            "node": {
                "id": global_id("CareAlert", row["id"]),
                "kind": row["kind"],
                "severity": row["severity"],
                "status": row["status"],
                "summary": row["summary"],
                "openedAt": local_iso(row["opened_at"]),
                "acknowledgedAt": local_iso(row["acknowledged_at"]) if row["acknowledged_at"] else None,
                "elder": {"name": row["elder_name"]},
            }
        }
        for row in rows
    ]
    return {"data": {"careAlerts": {"edges": edges}}}


def create_app() -> Starlette:
    url = os.environ["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://", 1)
    radius = float(os.environ["BENCH_RADIUS_M"])
    pool_size = int(os.environ.get("LINLI_DB_POOL_SIZE", "20"))
    max_overflow = int(os.environ.get("LINLI_DB_MAX_OVERFLOW", "0"))
    secret = os.environ.get("LINLI_JWT_SECRET", "")
    issuer = os.environ.get("LINLI_JWT_ISSUER", "linli")
    audience = os.environ.get("LINLI_JWT_AUDIENCE", "linli-api")
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
            if "first" in variables:
                # As server/observability.py: the server's own id, the client's X-Request-ID kept apart.
                request_id = uuid.uuid4().hex
                incoming = request.headers.get("x-request-id", "")
                client_request_id = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else None
                try:
                    viewer = viewer_of(request.headers.get("authorization"), secret, issuer, audience)
                except Unauthenticated as refused:
                    return error(str(refused), 401)
                answer = await care_alerts(state["pool"], viewer, variables, request_id, client_request_id)
                response = json_response(answer)
                response.headers["x-request-id"] = request_id
                return response
        except (KeyError, TypeError, ValueError) as problem:
            return error(f"bad variables: {problem}")
        return error("unknown operation: send `near` (W1), `spaceId` and `date` (W3) or `first` (W4)")

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
