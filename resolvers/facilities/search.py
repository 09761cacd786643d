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

from geoalchemy2 import Geography
from sqlalchemy import Float, and_, cast, exists, func, literal, or_, select, true, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from models.facilities import (
    Facility,
    FacilityService,
    HoursException,
    LifeCircleRequirement,
    OpeningPeriod,
    Service,
)
from resolvers.batching import by_ids, grouped


@dataclass(frozen=True)
class Walking:
    """How whole metres become walking minutes: ceil(metres × detour ÷ pace).

    Edges show whole metres, and their minutes are computed from those same metres, so what a
    resident reads is consistent; the search radius is derived to agree with it exactly.
    """

    pace_m_per_min: float
    detour_factor: float

    @staticmethod
    def meters(distance: float) -> int:
        return math.floor(distance + 0.5)

    def minutes(self, distance: float) -> int:
        return math.ceil(self.meters(distance) * self.detour_factor / self.pace_m_per_min - EPSILON)

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


def geography_point(lat: float, lng: float):
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


def _conditions(where: NearbyFilter) -> list:
    point = geography_point(where.lat, where.lng)
    conditions = [
        # ST_DWithin on the sphere bounds the GiST scan (wider by the slack and a metre), and the
        # spheroid decides, exclusively, by the measure shown, ordered and paged by.
        func.ST_DWithin(Facility.location, point, where.radius * SPHERE_SLACK + INDEX_MARGIN_M, False),
        exact_distance(point) < where.radius,
        Facility.closed_at.is_(None),  # a closed facility keeps its row, not its place on the map
    ]
    if where.categories:
        conditions.append(Facility.category.in_(list(where.categories)))
    if where.open_at is not None:
        conditions.append(func.facility_is_open(Facility.id, where.open_at))
    if where.service:
        conditions.append(
            exists()
            .where(FacilityService.facility_id == Facility.id)
            .where(Service.id == FacilityService.service_id)
            .where(Service.name.ilike(_like(where.service)))
        )
    if where.text:
        pattern = _like(where.text)
        conditions.append(or_(Facility.name.ilike(pattern), Facility.address.ilike(pattern)))
    return conditions


async def search_nearby(
    *, session: AsyncSession, where: NearbyFilter, first: int, after: Sequence | None
) -> tuple[list[FacilityAt], bool]:
    """Nearest first (ties by id), strictly after the (distance, id) key when paging.

    Two steps in one statement, so the cost follows `first`, not how crowded the map is: a KNN
    index scan (ordered by sphere distance alone, which is what GiST can do) finds how far the
    (first+1)-th match lies on the sphere; every match within that reach, widened by the slack,
    is then sorted by its exact distance and id. (The exact first+1 all lie within it: each is
    no farther on the spheroid than the farthest of the sphere's first+1, and the two measures
    differ by less than the slack.) Sorting all matches in the radius instead grows with the
    density.
    """
    point = geography_point(where.lat, where.lng)
    exact = exact_distance(point)
    conditions = _conditions(where)
    if after is not None:
        conditions.append(
            tuple_(exact, Facility.id) > tuple_(literal(float(after[0])), literal(int(after[1])))
        )
    knn = sphere_distance(point)
    nearest = select(knn.label("distance")).where(*conditions).order_by(knn).limit(first + 1).cte("nearest")
    reach = select(func.max(nearest.c.distance)).scalar_subquery() * SPHERE_SLACK + INDEX_MARGIN_M
    stmt = (
        select(*LISTED_COLUMNS, exact.label("distance"))
        .where(*conditions)
        .where(func.ST_DWithin(Facility.location, point, reach, False))
        .order_by(exact, Facility.id)
        .limit(first + 1)
    )
    rows = (await session.execute(stmt)).all()
    return [FacilityAt(row, row.distance) for row in rows[:first]], len(rows) > first


async def count_nearby(*, session: AsyncSession, where: NearbyFilter) -> int:
    return await session.scalar(select(func.count()).select_from(Facility).where(*_conditions(where)))


async def services_by_facility_ids(*, session: AsyncSession, ids: Sequence[int]) -> list[list[Service]]:
    rows = await session.execute(
        select(FacilityService.facility_id, Service)
        .join(Service, Service.id == FacilityService.service_id)
        .where(FacilityService.facility_id.in_(ids))
        .order_by(Service.name)
    )
    by_facility: dict[int, list[Service]] = {facility_id: [] for facility_id in ids}
    for facility_id, service in rows:
        by_facility[facility_id].append(service)
    return [by_facility[facility_id] for facility_id in ids]


async def opening_hours_by_facility_ids(
    *, session: AsyncSession, ids: Sequence[int]
) -> list[list[OpeningPeriod]]:
    return await grouped(
        select(OpeningPeriod)
        .where(OpeningPeriod.facility_id.in_(ids))
        .order_by(OpeningPeriod.weekday, OpeningPeriod.open_minute),
        session=session,
        ids=ids,
        key="facility_id",
    )


async def open_status(*, session: AsyncSession, ids: Sequence[int], at: datetime) -> list[bool]:
    rows = await session.execute(
        select(Facility.id, and_(Facility.closed_at.is_(None), func.facility_is_open(Facility.id, at))).where(
            Facility.id.in_(ids)
        )
    )
    status = dict(rows.all())
    return [bool(status.get(facility_id)) for facility_id in ids]


get_facilities_by_ids = by_ids(Facility)


@dataclass
class RequirementResult:
    requirement: LifeCircleRequirement
    nearest: FacilityAt | None
    satisfied: bool


async def life_circle(
    *, session: AsyncSession, lat: float, lng: float, walking: Walking
) -> list[RequirementResult]:
    """For each requirement, the nearest facility that meets it, by exact distance (a KNN probe on
    the sphere per requirement; the spheroid decides among those within the slack of it)."""
    point = geography_point(lat, lng)
    knn, exact = sphere_distance(point), exact_distance(point)
    meets = and_(
        or_(
            Facility.category == LifeCircleRequirement.category,
            Facility.category == func.any(LifeCircleRequirement.also_satisfied_by),
        ),
        Facility.closed_at.is_(None),
    )
    closest_on_sphere = select(knn).where(meets).order_by(knn).limit(1).scalar_subquery()
    candidates = (
        select(Facility, exact.label("distance"))
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
    nearest = aliased(Facility, candidates)
    rows = await session.execute(
        select(LifeCircleRequirement, nearest, candidates.c.distance)
        .outerjoin(candidates, true())
        .order_by(LifeCircleRequirement.tier_minutes, LifeCircleRequirement.position)
    )
    results = []
    for requirement, facility, found_distance in rows:
        found = FacilityAt(facility, found_distance) if facility is not None else None
        satisfied = found is not None and walking.minutes(found.distance) <= requirement.tier_minutes
        results.append(RequirementResult(requirement=requirement, nearest=found, satisfied=satisfied))
    return results


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
