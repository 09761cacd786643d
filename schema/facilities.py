"""The 15-minute life circle in the graph: nearbyFacilities, lifeCircle, Facility."""

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from models import facilities as facility_models
from resolvers import facilities as facility_service
from resolvers import loaders
from resolvers.coordinates import CoordinateSystem as CoordinateSystemValue
from resolvers.coordinates import from_wgs84, to_wgs84
from schema.common import (
    Node,
    PageInfo,
    bad_request,
    check_first,
    decode_cursor,
    encode_cursor,
    encode_global_id,
)
from schema.node import register_node

CoordinateSystem = strawberry.enum(CoordinateSystemValue, name="CoordinateSystem")
FacilityCategory = strawberry.enum(facility_models.FacilityCategory, name="FacilityCategory")

MAX_FILTER_TEXT = 100


@strawberry.enum(description="Walking pace for minutes: ADULT 60 m/min, ELDERLY 48 m/min (configurable).")
class WalkingPace(Enum):
    ADULT = "ADULT"
    ELDERLY = "ELDERLY"


@strawberry.input(description="A point as the phone's map SDK gives it; GCJ-02 unless said otherwise.")
class GeoPointInput:
    lat: float
    lng: float
    system: CoordinateSystem = CoordinateSystemValue.GCJ02


@strawberry.type
class GeoPoint:
    lat: float
    lng: float


@strawberry.type
class FacilityService:
    code: str
    name: str


@strawberry.type(description="A weekly opening period in Asia/Shanghai time.")
class OpeningPeriod:
    weekday: int = strawberry.field(description="ISO weekday: 1 = Monday … 7 = Sunday.")
    opens: str = strawberry.field(description="HH:MM")
    closes: str = strawberry.field(description="HH:MM; 24:00 is midnight at the end of the day.")
    overnight: bool = strawberry.field(description="Closes the next day (e.g. 17:00–02:00).")


def _clock_text(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@strawberry.type
class Facility(Node):
    name: str
    category: FacilityCategory
    address: str | None
    phone: str | None
    accessibility: str | None = strawberry.field(description="Accessibility notes (无障碍设施).")
    model: strawberry.Private[facility_models.Facility]

    @classmethod
    def from_model(cls, model: facility_models.Facility) -> "Facility":
        return cls(
            id=encode_global_id("Facility", model.id),
            name=model.name,
            category=FacilityCategory(model.category),
            address=model.address,
            phone=model.phone,
            accessibility=model.accessibility,
            model=model,
        )

    @strawberry.field(description="Where it is, in the coordinate system the client draws its map in.")
    def location(self, system: CoordinateSystem = CoordinateSystemValue.GCJ02) -> GeoPoint:
        lat, lng = from_wgs84(self.model.lat, self.model.lng, CoordinateSystemValue(system))
        return GeoPoint(lat=round(lat, 7), lng=round(lng, 7))

    @strawberry.field(description="Open at this moment (default: now), by weekly hours and dated exceptions.")
    async def is_open(self, info: Info, at: datetime | None = None) -> bool:
        moment = at or info.context.clock()
        return await info.context.loader(loaders.open_status_by_facility_id_and_time_loader).load(
            (self.model.id, moment)
        )

    @strawberry.field
    async def services(self, info: Info) -> list[FacilityService]:
        services = await info.context.loader(loaders.services_by_facility_id_loader).load(self.model.id)
        return [FacilityService(code=service.code, name=service.name) for service in services]

    @strawberry.field
    async def opening_hours(self, info: Info) -> list[OpeningPeriod]:
        periods = await info.context.loader(loaders.opening_hours_by_facility_id_loader).load(self.model.id)
        return [
            OpeningPeriod(
                weekday=period.weekday,
                opens=_clock_text(period.open_minute),
                closes=_clock_text(
                    period.close_minute if period.close_minute <= 1440 else period.close_minute - 1440
                ),
                overnight=period.close_minute > 1440,
            )
            for period in periods
        ]


@register_node("Facility")
async def fetch_facility(info: Info, pk: int) -> Facility | None:
    model = await info.context.loader(loaders.facility_by_id_loader).load(pk)
    return Facility.from_model(model) if model is not None else None


@strawberry.type
class FacilityEdge:
    cursor: str
    node: Facility
    distance_meters: int
    walking_minutes: int


def make_edge(
    found: facility_service.FacilityAt, walking: facility_service.Walking, cursor: str
) -> FacilityEdge:
    return FacilityEdge(
        cursor=cursor,
        node=Facility.from_model(found.facility),
        distance_meters=walking.meters(found.distance),
        walking_minutes=walking.minutes(found.distance),
    )


@strawberry.type
class FacilityConnection:
    edges: list[FacilityEdge]
    page_info: PageInfo
    where: strawberry.Private[facility_service.NearbyFilter]

    @strawberry.field(description="How many facilities match, on every page (counted only when asked).")
    async def total_count(self, info: Info) -> int:
        return await facility_service.count_nearby(session=info.context.session, where=self.where)


@strawberry.type
class LifeCircleRequirement:
    category: FacilityCategory
    label: str = strawberry.field(description="What GB 50180-2018 calls it, e.g. 社区卫生服务站.")
    satisfied: bool
    nearest: FacilityEdge | None


@strawberry.type
class LifeCircleTier:
    minutes: int
    requirements: list[LifeCircleRequirement]


@strawberry.type
class LifeCircleReport:
    coverage: float = strawberry.field(description="Satisfied ÷ required over all tiers (0–1).")
    tiers: list[LifeCircleTier]


def walking_for(info: Info, pace: WalkingPace) -> facility_service.Walking:
    settings = info.context.settings
    meters_per_minute = (
        settings.walking_pace_elderly_m_per_min
        if pace is WalkingPace.ELDERLY
        else settings.walking_pace_adult_m_per_min
    )
    return facility_service.Walking(
        pace_m_per_min=meters_per_minute, detour_factor=settings.walking_detour_factor
    )


def wgs84_of(near: GeoPointInput) -> tuple[float, float]:
    if not (-90 <= near.lat <= 90) or not (-180 <= near.lng <= 180):
        raise bad_request(f"坐标超出范围：纬度 {near.lat}，经度 {near.lng}", "INVALID_COORDINATES")
    return to_wgs84(near.lat, near.lng, CoordinateSystemValue(near.system))


def filter_text(value: str | None, name: str) -> str | None:
    if not value or not value.strip():
        return None
    if len(value) > MAX_FILTER_TEXT:
        raise bad_request(f"{name} 最多 {MAX_FILTER_TEXT} 个字符", "FILTER_TOO_LONG")
    return value.strip()


def nearby_cursor(after: str | None) -> list | None:
    key = decode_cursor(after, size=2)
    if key is not None and not (isinstance(key[0], int | float) and isinstance(key[1], int)):
        raise bad_request(f"无效的分页游标：{after!r}", "INVALID_CURSOR")
    return key


async def resolve_nearby_facilities(
    info: Info,
    near: GeoPointInput,
    within_minutes: int = 15,
    pace: WalkingPace = WalkingPace.ADULT,
    categories: list[FacilityCategory] | None = strawberry.UNSET,
    open_at: Annotated[
        datetime | None, strawberry.argument(description="Only facilities open at this moment.")
    ] = strawberry.UNSET,
    service: Annotated[
        str | None,
        strawberry.argument(
            description="Only facilities offering a service whose name contains this text (e.g. 医保)."
        ),
    ] = strawberry.UNSET,
    text: Annotated[
        str | None, strawberry.argument(description="Name or address contains this text.")
    ] = strawberry.UNSET,
    first: int = 20,
    after: str | None = strawberry.UNSET,
) -> FacilityConnection:
    settings = info.context.settings
    check_first(first, settings.max_page_size)
    if not 1 <= within_minutes <= 60:
        raise bad_request(
            f"withinMinutes 必须在 1 到 60 之间，收到 {within_minutes}", "WITHIN_MINUTES_OUT_OF_RANGE"
        )
    lat, lng = wgs84_of(near)
    walking = walking_for(info, pace)
    where = facility_service.NearbyFilter(
        lat=lat,
        lng=lng,
        radius=walking.radius(within_minutes),
        categories=[category.value for category in categories] if categories else None,
        open_at=open_at or None,
        service=filter_text(service or None, "service"),
        text=filter_text(text or None, "text"),
    )
    found, has_next = await facility_service.search_nearby(
        session=info.context.session, where=where, first=first, after=nearby_cursor(after or None)
    )
    edges = [make_edge(item, walking, encode_cursor([item.distance, item.facility.id])) for item in found]
    return FacilityConnection(
        edges=edges,
        page_info=PageInfo(has_next_page=has_next, end_cursor=edges[-1].cursor if edges else None),
        where=where,
    )


async def resolve_life_circle(
    info: Info, near: GeoPointInput, pace: WalkingPace = WalkingPace.ADULT
) -> LifeCircleReport:
    lat, lng = wgs84_of(near)
    walking = walking_for(info, pace)
    results = await facility_service.life_circle(
        session=info.context.session, lat=lat, lng=lng, walking=walking
    )
    tiers: dict[int, list[LifeCircleRequirement]] = {}
    for result in results:
        nearest = result.nearest
        tiers.setdefault(result.requirement.tier_minutes, []).append(
            LifeCircleRequirement(
                category=FacilityCategory(result.requirement.category),
                label=result.requirement.label,
                satisfied=result.satisfied,
                nearest=make_edge(nearest, walking, encode_cursor([nearest.distance, nearest.facility.id]))
                if nearest is not None
                else None,
            )
        )
    satisfied = sum(result.satisfied for result in results)
    return LifeCircleReport(
        coverage=round(satisfied / len(results), 4) if results else 0.0,
        tiers=[
            LifeCircleTier(minutes=minutes, requirements=items) for minutes, items in sorted(tiers.items())
        ],
    )


@strawberry.type
class FacilitiesQuery:
    nearby_facilities: FacilityConnection = strawberry.field(
        resolver=resolve_nearby_facilities,
        description="Facilities within `withinMinutes` of walking, nearest first.",
    )
    life_circle: LifeCircleReport = strawberry.field(
        resolver=resolve_life_circle,
        description="How complete the 5/10/15-minute life circles are around a point.",
    )
