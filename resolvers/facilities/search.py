"""The 15-minute life circle: facilities near a point, open now, offering a service; circle coverage.

Distances are measured on the WGS-84 spheroid (`ST_Distance(…, true)`, Karney's geodesic): the
figure shown filters (`withinMinutes`), orders and pages, so a keyset cursor never skips or repeats
a row. The GiST index only knows the sphere (`<->`, `ST_DWithin(…, false)`), which differs from the
spheroid by under 0.6 %: the index finds candidates on the sphere with that much slack, and the
spheroid decides.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from geoalchemy2 import Geography
from sqlalchemy import (
    BigInteger,
    DateTime,
    Float,
    Integer,
    Numeric,
    Select,
    String,
    Text,
    and_,
    bindparam,
    case,
    cast,
    exists,
    false,
    func,
    literal_column,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from models.facilities import (
    Facility,
    FacilityService,
    HoursException,
    LifeCircleRequirement,
    OpeningPeriod,
    Service,
)
from resolvers.batching import by_ids, grouped
from resolvers.compiled import base64url


@dataclass(frozen=True)
class Walking:
    """How whole metres become walking minutes: ceil(metres × detour ÷ pace) (edge_columns, in SQL).

    Edges show whole metres, and their minutes are computed from those same metres, so what a
    resident reads is consistent; the search radius is derived to agree with it exactly.
    """

    pace_m_per_min: float
    detour_factor: float

    def radius(self, minutes: int) -> float:
        """The exclusive bound on the exact distance: minutes(d) ≤ `minutes` ⟺ d < radius."""
        return math.floor(minutes * self.pace_m_per_min / self.detour_factor + EPSILON) + 0.5


EPSILON = 1e-9  # float noise in products like 750 × 1.2
INDEX_MARGIN_M = 1.0
# Sphere ÷ spheroid distances stay within 0.6 % of 1 anywhere; twice that, squared, bounds what the
# sphere may say of a spheroid distance and back (see search_nearby).
SPHERE_SLACK = 1.02


@dataclass(frozen=True)
class NearbyFilter:
    lat: float  # WGS-84
    lng: float
    radius: float  # exclusive, in metres (see Walking.radius)
    categories: Sequence[str] | None = None
    open_at: datetime | None = None
    service: str | None = None
    text: str | None = None

    def shape(self, *, after: Sequence | None) -> "NearbyShape":
        return NearbyShape(
            categories=bool(self.categories),
            open_at=self.open_at is not None,
            service=bool(self.service),
            text=bool(self.text),
            after=after is not None,
        )

    def parameters(self, *, first: int, after: Sequence | None, walking: Walking) -> dict[str, Any]:
        """The values of the search statement's bind parameters (see nearby_page)."""
        values: dict[str, Any] = {
            "lat": self.lat,
            "lng": self.lng,
            "radius": self.radius,
            "first": first,
            "limit": first + 1,
            "pace": walking.pace_m_per_min,
            "detour": walking.detour_factor,
            "categories": list(self.categories or ()),
            "open_at": self.open_at,
            "service": _like(self.service) if self.service else None,
            "text": _like(self.text) if self.text else None,
        }
        if after is not None:
            values["after_distance"], values["after_id"] = float(after[0]), int(after[1])
        return values


@dataclass(frozen=True)
class NearbyShape:
    """Which optional filters a search has: the statement differs by these alone, its values are
    bind parameters, so one statement per shape is built and prepared."""

    categories: bool = False
    open_at: bool = False
    service: bool = False
    text: bool = False
    after: bool = False


# What a search result shows of a facility: plain rows, not ORM objects (no identity map, no
# geography decoding), since a page of 50 is read and thrown away within the request.
LISTED_COLUMNS = (
    Facility.id,
    Facility.name,
    Facility.category,
    Facility.address,
    Facility.phone,
    Facility.accessibility,
    Facility.lat,
    Facility.lng,
    Facility.community_id,
    Facility.closed_at,
    Facility.closed_reason,
)


@dataclass
class FacilityAt:
    facility: Facility  # or a row of LISTED_COLUMNS: the same attribute names
    distance: float
    cursor: str
    distance_meters: int
    walking_minutes: int


def geography_point(lat, lng):
    return cast(func.ST_SetSRID(func.ST_MakePoint(lng, lat), 4326), Geography)


def sphere_distance(point):
    """What the GiST index orders by (KNN): for candidates only."""
    return Facility.location.op("<->", return_type=Float)(point)


def exact_distance(point):
    """The WGS-84 geodesic distance in metres: what is shown, filtered on, ordered and paged by."""
    return func.ST_Distance(Facility.location, point, True, type_=Float)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _bound(name: str, type_) -> Any:
    return bindparam(name, type_=type_)


def search_point():
    return geography_point(_bound("lat", Float), _bound("lng", Float))


def _conditions(shape: NearbyShape) -> list:
    point = search_point()
    radius = _bound("radius", Float)
    conditions = [
        # ST_DWithin on the sphere bounds the GiST scan (wider by the slack and a metre), and the
        # spheroid decides, exclusively, by the measure shown, ordered and paged by.
        func.ST_DWithin(Facility.location, point, radius * SPHERE_SLACK + INDEX_MARGIN_M, False),
        exact_distance(point) < radius,
        Facility.closed_at.is_(None),  # a closed facility keeps its row, not its place on the map
    ]
    if shape.categories:
        conditions.append(Facility.category == func.any(_bound("categories", ARRAY(String))))
    if shape.open_at:
        conditions.append(func.facility_is_open(Facility.id, _bound("open_at", DateTime(timezone=True))))
    if shape.service:
        conditions.append(
            exists()
            .where(FacilityService.facility_id == Facility.id)
            .where(Service.id == FacilityService.service_id)
            .where(Service.name.ilike(_bound("service", String)))
        )
    if shape.text:
        pattern = _bound("text", String)
        conditions.append(or_(Facility.name.ilike(pattern), Facility.address.ilike(pattern)))
    return conditions


@lru_cache(maxsize=64)
def nearby_page(shape: NearbyShape) -> Select:
    """Nearest first (ties by id), strictly after the (distance, id) key when paging: at most
    `first` + 1 rows of LISTED_COLUMNS and their `distance`, unordered (order by distance, id).

    Two steps in one statement, so the cost follows `first`, not how crowded the map is: a KNN
    index scan (ordered by sphere distance alone, which is what GiST can do) finds how far the
    (first+1)-th match lies on the sphere; every match within that reach, widened by the slack,
    is then sorted by its exact distance and id. (The exact first+1 all lie within it: each is
    no farther on the spheroid than the farthest of the sphere's first+1, and the two measures
    differ by less than the slack.) Sorting all matches in the radius instead grows with the
    density. Statements are immutable: one per shape serves every request.
    """
    point = search_point()
    exact = exact_distance(point)
    conditions = _conditions(shape)
    if shape.after:
        conditions.append(
            tuple_(exact, Facility.id)
            > tuple_(_bound("after_distance", Float), _bound("after_id", BigInteger))
        )
    knn = sphere_distance(point)
    limit = _bound("limit", Integer)
    nearest = select(knn.label("distance")).where(*conditions).order_by(knn).limit(limit).cte("nearest")
    reach = select(func.max(nearest.c.distance)).scalar_subquery() * SPHERE_SLACK + INDEX_MARGIN_M
    return (
        select(*LISTED_COLUMNS, exact.label("distance"))
        .where(*conditions)
        .where(func.ST_DWithin(Facility.location, point, reach, False))
        .order_by(exact, Facility.id)
        .limit(limit)
    )


def edge_columns(distance, facility_id) -> tuple:
    """An edge's cursor, whole metres and walking minutes, computed from its exact distance the one
    way both read paths use: ceil(round(metres) × detour ÷ pace) minutes, the cursor carrying
    (distance, id) as JSON (float8's shortest exact text), base64url."""
    meters = func.floor(distance + 0.5)
    minutes = func.ceil(
        meters * _bound("detour", Float) / _bound("pace", Float) - literal_column("1e-9::float8")
    )
    key = func.concat(
        literal_column("'['"),
        cast(distance, Text),
        literal_column("','"),
        cast(facility_id, Text),
        literal_column("']'"),
    )
    return (
        base64url(key).label("cursor"),
        cast(meters, BigInteger).label("distance_meters"),
        cast(minutes, Integer).label("walking_minutes"),
    )


@lru_cache(maxsize=64)
def nearby_rows(shape: NearbyShape) -> Select:
    page = nearby_page(shape).subquery("page")
    return select(page, *edge_columns(page.c.distance, page.c.id)).order_by(page.c.distance, page.c.id)


async def search_nearby(
    *, session: AsyncSession, where: NearbyFilter, first: int, after: Sequence | None, walking: Walking
) -> tuple[list[FacilityAt], bool]:
    rows = (
        await session.execute(
            nearby_rows(where.shape(after=after)), where.parameters(first=first, after=after, walking=walking)
        )
    ).all()
    found = [
        FacilityAt(row, row.distance, row.cursor, row.distance_meters, row.walking_minutes) for row in rows
    ]
    return found[:first], len(rows) > first


@lru_cache(maxsize=64)
def nearby_count(shape: NearbyShape) -> Select:
    return select(func.count()).select_from(Facility).where(*_conditions(shape))


async def count_nearby(*, session: AsyncSession, where: NearbyFilter) -> int:
    shape = where.shape(after=None)
    values = where.parameters(first=0, after=None, walking=Walking(1.0, 1.0))
    return await session.scalar(nearby_count(shape), values)


SERVICE_ORDER = (Service.name,)  # names are unique


async def services_by_facility_ids(*, session: AsyncSession, ids: Sequence[int]) -> list[list[Service]]:
    rows = await session.execute(
        select(FacilityService.facility_id, Service)
        .join(Service, Service.id == FacilityService.service_id)
        .where(FacilityService.facility_id.in_(ids))
        .order_by(*SERVICE_ORDER)
    )
    by_facility: dict[int, list[Service]] = {facility_id: [] for facility_id in ids}
    for facility_id, service in rows:
        by_facility[facility_id].append(service)
    return [by_facility[facility_id] for facility_id in ids]


def clock_text(minute):
    """HH:MM of a minute of the day (0–1440; 24:00 is the day's end)."""
    return func.concat(
        func.lpad(cast(minute // 60, Text), 2, literal_column("'0'")),
        literal_column("':'"),
        func.lpad(cast(minute % 60, Text), 2, literal_column("'0'")),
    )


def period_columns(open_minute, close_minute) -> tuple:
    """A period's opens, closes (a close past midnight shown on the next day's clock) and overnight."""
    return (
        clock_text(open_minute).label("opens"),
        clock_text(case((close_minute <= 1440, close_minute), else_=close_minute - 1440)).label("closes"),
        (close_minute > 1440).label("overnight"),
    )


OPENING_PERIOD_COLUMNS = (
    OpeningPeriod.facility_id,
    OpeningPeriod.weekday,
    *period_columns(OpeningPeriod.open_minute, OpeningPeriod.close_minute),
)
OPENING_PERIOD_ORDER = (OpeningPeriod.weekday, OpeningPeriod.open_minute)


async def opening_hours_by_facility_ids(*, session: AsyncSession, ids: Sequence[int]) -> list[list]:
    """Each facility's weekly periods as rows of OPENING_PERIOD_COLUMNS, by weekday and opening."""
    rows = await session.execute(
        select(*OPENING_PERIOD_COLUMNS)
        .where(OpeningPeriod.facility_id.in_(ids))
        .order_by(*OPENING_PERIOD_ORDER)
    )
    groups: dict[int, list] = {facility_id: [] for facility_id in ids}
    for row in rows:
        groups[row.facility_id].append(row)
    return [groups[facility_id] for facility_id in ids]


def is_open(facility_id, closed_at, at):
    """Open at `at`: operating (not closed for good), by its weekly hours and dated exceptions."""
    return and_(closed_at.is_(None), func.facility_is_open(facility_id, at))


async def open_status(*, session: AsyncSession, ids: Sequence[int], at: datetime) -> list[bool]:
    rows = await session.execute(
        select(Facility.id, is_open(Facility.id, Facility.closed_at, at)).where(Facility.id.in_(ids))
    )
    status = dict(rows.all())
    return [bool(status.get(facility_id)) for facility_id in ids]


get_facilities_by_ids = by_ids(Facility)


@dataclass
class RequirementResult:
    tier_minutes: int
    category: str
    label: str
    satisfied_by: list[str]  # the requirement's category first, then also_satisfied_by
    nearest: FacilityAt | None
    satisfied: bool


def coverage_of(satisfied, *, window: bool = False):
    """Satisfied ÷ required over the rows, to 4 places as PostgreSQL rounds numeric, 0 when nothing
    is required: an aggregate (the compiled path), or over all rows as a window (the resolvers)."""
    share = func.avg(case((satisfied, 1), else_=0))
    if window:
        share = share.over()
    return cast(func.coalesce(func.round(cast(share, Numeric), 4), 0), Float)


@lru_cache(maxsize=1)
def life_circle_rows() -> Select:
    """For each requirement, the nearest facility that meets it, by exact distance (a KNN probe on
    the sphere per requirement; the spheroid decides among those within the slack of it), as its
    LISTED_COLUMNS and edge_columns (null when none), and whether it is within the tier: the rows
    both read paths read (unordered: by tier_minutes, position, requirement_id)."""
    point = search_point()
    knn, exact = sphere_distance(point), exact_distance(point)
    meets = and_(
        or_(
            Facility.category == LifeCircleRequirement.category,
            Facility.category == func.any(LifeCircleRequirement.also_satisfied_by),
        ),
        Facility.closed_at.is_(None),
    )
    closest_on_sphere = select(knn).where(meets).order_by(knn).limit(1).scalar_subquery()
    nearest = (
        select(*LISTED_COLUMNS, exact.label("distance"), *edge_columns(exact, Facility.id))
        .where(meets)
        .where(
            func.ST_DWithin(
                Facility.location, point, closest_on_sphere * SPHERE_SLACK + INDEX_MARGIN_M, False
            )
        )
        .order_by(exact, Facility.id)
        .limit(1)
        .lateral("nearest")
    )
    satisfied = func.coalesce(nearest.c.walking_minutes <= LifeCircleRequirement.tier_minutes, false())
    return select(
        LifeCircleRequirement.id.label("requirement_id"),
        LifeCircleRequirement.tier_minutes,
        LifeCircleRequirement.position,
        LifeCircleRequirement.category.label("requirement_category"),
        LifeCircleRequirement.label,
        func.array_prepend(LifeCircleRequirement.category, LifeCircleRequirement.also_satisfied_by).label(
            "satisfied_by"
        ),
        *nearest.c,
        satisfied.label("satisfied"),
    ).outerjoin(nearest, true())


def life_circle_order(rows) -> tuple:
    return (rows.c.tier_minutes, rows.c.position, rows.c.requirement_id)


async def life_circle(
    *, session: AsyncSession, lat: float, lng: float, walking: Walking
) -> tuple[list[RequirementResult], float]:
    """Each requirement with its nearest facility (life_circle_rows), by tier and position, and the
    coverage (coverage_of)."""
    rows = life_circle_rows().subquery("circle")
    coverage = coverage_of(rows.c.satisfied, window=True).label("coverage")
    found = (
        await session.execute(
            select(rows, coverage).order_by(*life_circle_order(rows)),
            {"lat": lat, "lng": lng, "pace": walking.pace_m_per_min, "detour": walking.detour_factor},
        )
    ).all()
    results = [
        RequirementResult(
            tier_minutes=row.tier_minutes,
            category=row.requirement_category,
            label=row.label,
            satisfied_by=row.satisfied_by,
            nearest=(
                FacilityAt(row, row.distance, row.cursor, row.distance_meters, row.walking_minutes)
                if row.id is not None
                else None
            ),
            satisfied=row.satisfied,
        )
        for row in found
    ]
    # No requirement, no row to carry the window's value: coverage_of's 0 for none.
    return results, found[0].coverage if found else 0.0


async def hours_exceptions_from(
    *, session: AsyncSession, ids: Sequence[int], since: date
) -> list[list[HoursException]]:
    """Each facility's dated exceptions on or after `since`, by day and opening time."""
    return await grouped(
        select(HoursException)
        .where(HoursException.facility_id.in_(ids), HoursException.day >= since)
        .order_by(HoursException.day, HoursException.open_minute.nulls_first()),
        session=session,
        ids=ids,
        key="facility_id",
    )
