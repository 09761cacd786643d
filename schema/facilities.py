"""The 15-minute life circle in the graph: nearbyFacilities, lifeCircle, Facility."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Annotated
from zoneinfo import ZoneInfo

import strawberry
from strawberry.types import Info

from models import facilities as facility_models
from resolvers import facilities as facility_service
from resolvers.compiled import Env, Selected, fetch_json
from resolvers.coordinates import CoordinateSystem as CoordinateSystemValue
from resolvers.coordinates import from_wgs84, to_wgs84
from resolvers.facilities import compiled as facilities_compiled
from resolvers.facilities import loaders as facilities_loaders
from schema.common import (
    Node,
    PageInfo,
    bad_request,
    check_first,
    decode_cursor,
    described_enum,
    encode_global_id,
)
from schema.node import NodePlan, register_node, register_node_plan
from schema.people.base import Community, fetch_community

CoordinateSystem = described_enum(
    CoordinateSystemValue,
    name="CoordinateSystem",
    description="How a latitude/longitude pair is meant. Points are stored in WGS-84 and converted at the "
    "edge; in Hangzhou GCJ-02 lies about 500 m from WGS-84, so say which one you send and want back. "
    "The default everywhere is GCJ02.",
    values={
        "WGS84": "WGS-84, as raw GPS gives it (iOS Core Location, most non-Chinese maps).",
        "GCJ02": "GCJ-02 (国测局坐标), as Amap (高德) and Tencent maps give it: the default. Outside "
        "mainland China it equals WGS-84.",
        "BD09": "BD-09, as Baidu maps (百度地图) give it.",
    },
)
FacilityCategory = described_enum(
    facility_models.FacilityCategory,
    name="FacilityCategory",
    description="What kind of facility it is: the 5/10/15-minute facilities of GB 50180-2018 appendix B, "
    "plus self-service kiosks, maker spaces, parks, metro stations and bus stops.",
    values={
        "NEIGHBORHOOD_CENTER": "邻里中心 (neighbourhood centre).",
        "SELF_SERVICE_KIOSK": "24小时自助服务终端 (24-hour self-service kiosk).",
        "METRO_STATION": "轨道交通站点 (metro station).",
        "BUS_STOP": "公交车站 (bus stop).",
        "HEALTH_CENTER": "社区卫生服务中心 (community health centre).",
        "HEALTH_STATION": "社区卫生服务站 (community health station).",
        "CHILDCARE": "托儿所/托育 (nursery, childcare for children under 3).",
        "KINDERGARTEN": "幼儿园 (kindergarten).",
        "ELDER_DAY_CARE": "老年人日间照料中心 (day-care centre for older people).",
        "FRESH_MARKET": "菜市场或生鲜超市 (wet market or fresh-food supermarket).",
        "PARK": "公园 (park).",
        "MAKER_SPACE": "创客空间 (maker space, e.g. 天空创客厅).",
        "MIDDLE_SCHOOL": "初中 (junior middle school).",
        "PRIMARY_SCHOOL": "小学 (primary school).",
        "SPORTS_CENTER": "体育馆/全民健身中心 (sports hall or public fitness centre).",
        "SPORTS_GROUND": "中型多功能运动场地 (medium-sized multi-sport ground).",
        "OUTDOOR_FITNESS": "室外综合健身场地 (outdoor fitness area).",
        "NURSING_HOME": "养老院 (nursing home).",
        "CULTURAL_CENTER": "文化活动中心 (cultural activity centre).",
        "CULTURAL_STATION": "文化活动站 (cultural activity station).",
        "SUBDISTRICT_SERVICE_CENTER": "街道级社区服务中心 (subdistrict community service centre).",
        "SUBDISTRICT_OFFICE": "街道办事处 (subdistrict office).",
        "COMMUNITY_SERVICE_STATION": "社区服务站（居委会） (residents' committee service station).",
        "COMMUNITY_CANTEEN": "社区食堂 (community canteen).",
        "POLICE_STATION": "派出所 (police station).",
        "SHOPPING_MALL": "商场 (shopping mall).",
        "POST_OFFICE": "邮政营业场所 (post office).",
        "BANK": "银行 (bank).",
        "RESTAURANT": "餐饮设施 (restaurant, food outlet).",
        "SUPERMARKET": "超市/便利店 (supermarket or convenience store).",
        "PHARMACY": "药店 (pharmacy).",
        "PUBLIC_TOILET": "公共厕所 (public toilet).",
    },
)

MAX_FILTER_TEXT = 100
SHANGHAI = ZoneInfo("Asia/Shanghai")


@strawberry.enum(description="Walking pace for minutes: ADULT 60 m/min, ELDERLY 48 m/min (configurable).")
class WalkingPace(Enum):
    ADULT = strawberry.enum_value(
        "ADULT", description="60 metres per minute by default (the planning convention: 15 minutes ≈ 900 m)."
    )
    ELDERLY = strawberry.enum_value(
        "ELDERLY", description="48 metres per minute by default (older pedestrians, about 0.8 m/s)."
    )


@strawberry.input(description="A point as the phone's map SDK gives it; GCJ-02 unless said otherwise.")
class GeoPointInput:
    lat: float = strawberry.field(
        description="Latitude in decimal degrees (−90 to 90; outside: BAD_REQUEST INVALID_COORDINATES), in "
        "`system`."
    )
    lng: float = strawberry.field(
        description="Longitude in decimal degrees (−180 to 180; outside: BAD_REQUEST INVALID_COORDINATES), "
        "in `system`."
    )
    system: CoordinateSystem = strawberry.field(
        default=CoordinateSystemValue.GCJ02,
        description="The coordinate system of `lat` and `lng`: GCJ02 (Amap, Tencent) unless said otherwise.",
    )


@strawberry.type(description="A point in the coordinate system that was asked for (GCJ-02 by default).")
class GeoPoint:
    lat: float = strawberry.field(description="Latitude in decimal degrees (7 decimal places).")
    lng: float = strawberry.field(description="Longitude in decimal degrees (7 decimal places).")


@strawberry.type(description="A service a facility offers, e.g. 医保参保登记 at a self-service kiosk.")
class FacilityService:
    code: str = strawberry.field(description="Stable UPPER_SNAKE_CASE code of the service, for programs.")
    name: str = strawberry.field(description="The service's name, in Chinese (what `service:` searches).")


@strawberry.type(description="A weekly opening period in Asia/Shanghai time.")
class OpeningPeriod:
    weekday: int = strawberry.field(description="ISO weekday: 1 = Monday … 7 = Sunday.")
    opens: str = strawberry.field(description="HH:MM")
    closes: str = strawberry.field(description="HH:MM; 24:00 is midnight at the end of the day.")
    overnight: bool = strawberry.field(description="Closes the next day (e.g. 17:00–02:00).")


def _clock_text(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@strawberry.type(description="An opening period of one day in Asia/Shanghai time.")
class DailyPeriod:
    opens: str = strawberry.field(description="HH:MM")
    closes: str = strawberry.field(description="HH:MM; 24:00 is midnight at the end of the day.")
    overnight: bool = strawberry.field(description="Closes the next day (e.g. 17:00–02:00).")


def daily_period(open_minute: int, close_minute: int) -> DailyPeriod:
    return DailyPeriod(
        opens=_clock_text(open_minute),
        closes=_clock_text(close_minute if close_minute <= 1440 else close_minute - 1440),
        overnight=close_minute > 1440,
    )


@strawberry.type(
    description="A dated exception to the weekly hours (a holiday, a typhoon day): closed all day, or open "
    "only in `hours` that day."
)
class FacilityHoursException:
    day: date = strawberry.field(description="The day (Asia/Shanghai).")
    closed: bool = strawberry.field(description="Closed all day.")
    hours: list[DailyPeriod] = strawberry.field(
        description="The day's periods instead of the weekly ones; empty when closed."
    )
    reason: str | None = strawberry.field(description="Why, e.g. 国庆节 or 台风停业; null if none was given.")


@strawberry.type(
    description="A place of the 15-minute life circle (a clinic, a kiosk, a market, a metro station …). "
    "Public: anyone may see it, signed in or not."
)
class Facility(Node):
    name: str = strawberry.field(description="Its name, in Chinese.")
    category: FacilityCategory = strawberry.field(description="What kind of facility it is.")
    address: str | None = strawberry.field(description="Street address, in Chinese; null if not known.")
    phone: str | None = strawberry.field(
        description="Its public contact number, as published (not masked); null if none."
    )
    accessibility: str | None = strawberry.field(description="Accessibility notes (无障碍设施).")
    closed_at: datetime | None = strawberry.field(
        description="When it closed for good (`facilityClose`); null while it operates. A closed facility "
        "keeps its ID and history but leaves `nearbyFacilities` and `lifeCircle`."
    )
    closed_reason: str | None = strawberry.field(description="Why it closed; null while it operates.")
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
            closed_at=model.closed_at,
            closed_reason=model.closed_reason,
            model=model,
        )

    @strawberry.field(
        description="The community whose office runs it (COMMUNITY_ADMIN); null: run by the subdistrict "
        "(ADMIN), e.g. a metro station."
    )
    async def community(self, info: Info) -> Community | None:
        if self.model.community_id is None:
            return None
        return await fetch_community(info, self.model.community_id)

    @strawberry.field(
        description="Its dated exceptions (holidays, typhoon days) from `from` on, by day; `isOpen` applies "
        "them."
    )
    async def hours_exceptions(
        self,
        info: Info,
        from_: Annotated[
            date | None,
            strawberry.argument(name="from", description="The first day to list; null or omitted: today."),
        ] = None,
    ) -> list[FacilityHoursException]:
        since = from_ or info.context.clock().astimezone(SHANGHAI).date()
        rows = await info.context.loader(
            facilities_loaders.hours_exceptions_by_facility_id_and_day_loader
        ).load((self.model.id, since))
        days: dict[date, list] = {}
        for row in rows:
            days.setdefault(row.day, []).append(row)
        return [
            FacilityHoursException(
                day=day,
                closed=all(row.open_minute is None for row in items),
                hours=[
                    daily_period(row.open_minute, row.close_minute)
                    for row in items
                    if row.open_minute is not None
                ],
                reason=next((row.reason for row in items if row.reason), None),
            )
            for day, items in days.items()
        ]

    @strawberry.field(description="Where it is, in the coordinate system the client draws its map in.")
    def location(
        self,
        system: Annotated[
            CoordinateSystem,
            strawberry.argument(
                description="The coordinate system to answer in; GCJ02 unless said otherwise."
            ),
        ] = CoordinateSystemValue.GCJ02,
    ) -> GeoPoint:
        lat, lng = from_wgs84(self.model.lat, self.model.lng, CoordinateSystemValue(system))
        return GeoPoint(lat=round(lat, 7), lng=round(lng, 7))

    @strawberry.field(description="Open at this moment (default: now), by weekly hours and dated exceptions.")
    async def is_open(
        self,
        info: Info,
        at: Annotated[
            datetime | None,
            strawberry.argument(
                description="The moment to ask about (with an offset), judged by Asia/Shanghai wall time; "
                "null or omitted: now."
            ),
        ] = None,
    ) -> bool:
        moment = at or info.context.clock()
        return await info.context.loader(facilities_loaders.open_status_by_facility_id_and_time_loader).load(
            (self.model.id, moment)
        )

    @strawberry.field(description="The services it offers, by name.")
    async def services(self, info: Info) -> list[FacilityService]:
        services = await info.context.loader(facilities_loaders.services_by_facility_id_loader).load(
            self.model.id
        )
        return [FacilityService(code=service.code, name=service.name) for service in services]

    @strawberry.field(
        description="Its weekly opening periods (Asia/Shanghai), by weekday and opening time; empty if none "
        "are recorded. Dated exceptions (holidays) are not listed here, but `isOpen` applies them."
    )
    async def opening_hours(self, info: Info) -> list[OpeningPeriod]:
        periods = await info.context.loader(facilities_loaders.opening_hours_by_facility_id_loader).load(
            self.model.id
        )
        return [
            OpeningPeriod(
                weekday=period.weekday, opens=period.opens, closes=period.closes, overnight=period.overnight
            )
            for period in periods
        ]


@register_node("Facility")
async def fetch_facility(info: Info, pk: int) -> Facility | None:
    model = await info.context.loader(facilities_loaders.facility_by_id_loader).load(pk)
    return Facility.from_model(model) if model is not None else None


@register_node_plan("Facility")
def plan_facility_node(context, selections: tuple[Selected, ...], env: Env) -> NodePlan:
    """node(id:) of a Facility on the compiled read path: public, as fetch_facility."""
    return NodePlan(*facilities_compiled.plan_facility_node(selections, env=env))


@strawberry.type(description="A facility found from a point, with how far it is from there.")
class FacilityEdge:
    cursor: str = strawberry.field(
        description="Opaque; pass it as `after` to `nearbyFacilities` (same arguments) for the facilities "
        "after this one."
    )
    node: Facility = strawberry.field(description="The facility.")
    distance_meters: int = strawberry.field(
        description="Straight-line (geodesic, WGS-84) distance from the point asked about, in whole metres."
    )
    walking_minutes: int = strawberry.field(
        description="Estimated walk at the requested pace, in whole minutes rounded up: distanceMeters × "
        "detour factor (1.2 by default) ÷ pace (metres per minute)."
    )


def make_edge(found: facility_service.FacilityAt) -> FacilityEdge:
    return FacilityEdge(
        cursor=found.cursor,
        node=Facility.from_model(found.facility),
        distance_meters=found.distance_meters,
        walking_minutes=found.walking_minutes,
    )


@strawberry.type(description="A page of facilities, nearest first (ties by ID).")
class FacilityConnection:
    edges: list[FacilityEdge] = strawberry.field(description="This page's facilities, nearest first.")
    page_info: PageInfo = strawberry.field(description="Whether more follow, and the cursor to ask for them.")
    where: strawberry.Private[facility_service.NearbyFilter]

    @strawberry.field(description="How many facilities match, on every page (counted only when asked).")
    async def total_count(self, info: Info) -> int:
        return await facility_service.count_nearby(session=info.context.session, where=self.where)


@strawberry.type(description="One facility a life-circle tier should offer, and whether the point has it.")
class LifeCircleRequirement:
    category: FacilityCategory = strawberry.field(description="The kind of facility required.")
    label: str = strawberry.field(description="What GB 50180-2018 calls it, e.g. 社区卫生服务站.")
    satisfied_by: list[FacilityCategory] = strawberry.field(
        description="The categories that meet it: `category` first, then any others that serve the same "
        "need (a community canteen meets 餐饮设施). Data of `life_circle_requirements`, editable."
    )
    satisfied: bool = strawberry.field(
        description="The nearest facility that meets it is within the tier's walking minutes at the "
        "requested pace."
    )
    nearest: FacilityEdge | None = strawberry.field(
        description="The nearest facility that meets it, however far (compare its walkingMinutes with the "
        "tier's); null if there is none."
    )


@strawberry.type(
    description="One walking-time tier of the life circle (by default 5, 10 and 15 minutes) and what it "
    "should offer."
)
class LifeCircleTier:
    minutes: int = strawberry.field(description="The tier's walking time, in minutes (e.g. 5, 10, 15).")
    requirements: list[LifeCircleRequirement] = strawberry.field(
        description="The facilities this tier should offer, each checked against the point."
    )


@strawberry.type(
    description="How complete the 5/10/15-minute life circles (15分钟生活圈, GB 50180-2018) are around a "
    "point."
)
class LifeCircleReport:
    coverage: float = strawberry.field(description="Satisfied ÷ required over all tiers (0–1).")
    tiers: list[LifeCircleTier] = strawberry.field(description="The tiers, shortest walk first.")


def walking_for(settings, pace: WalkingPace) -> facility_service.Walking:
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
    near: Annotated[
        GeoPointInput,
        strawberry.argument(description="Where to search from (GCJ-02 unless `near.system` says otherwise)."),
    ],
    within_minutes: Annotated[
        int,
        strawberry.argument(
            description="The longest walk, in minutes at `pace` (1–60; else BAD_REQUEST "
            "WITHIN_MINUTES_OUT_OF_RANGE)."
        ),
    ] = 15,
    pace: Annotated[
        WalkingPace, strawberry.argument(description="The walking pace that turns distance into minutes.")
    ] = WalkingPace.ADULT,
    categories: Annotated[
        list[FacilityCategory] | None,
        strawberry.argument(
            description="Only facilities of these categories; null or empty: all categories."
        ),
    ] = strawberry.UNSET,
    open_at: Annotated[
        datetime | None,
        strawberry.argument(
            description="Only facilities open at this moment (by their Asia/Shanghai hours and dated "
            "exceptions)."
        ),
    ] = strawberry.UNSET,
    service: Annotated[
        str | None,
        strawberry.argument(
            description="Only facilities offering a service whose name contains this text (e.g. 医保; at "
            "most 100 characters)."
        ),
    ] = strawberry.UNSET,
    text: Annotated[
        str | None,
        strawberry.argument(
            description="Only facilities whose name or address contains this text (at most 100 characters)."
        ),
    ] = strawberry.UNSET,
    first: Annotated[int, strawberry.argument(description="How many facilities to return: 0–100.")] = 20,
    after: Annotated[
        str | None,
        strawberry.argument(
            description="Continue after this cursor (`pageInfo.endCursor` of the previous page)."
        ),
    ] = strawberry.UNSET,
) -> FacilityConnection:
    search = nearby_search(
        info.context.settings,
        near=near,
        within_minutes=within_minutes,
        pace=pace,
        categories=categories,
        open_at=open_at,
        service=service,
        text=text,
        first=first,
        after=after,
    )
    found, has_next = await facility_service.search_nearby(
        session=info.context.session,
        where=search.where,
        first=search.first,
        after=search.after_key,
        walking=search.walking,
    )
    edges = [make_edge(item) for item in found]
    return FacilityConnection(
        edges=edges,
        page_info=PageInfo.of(edges, has_next=has_next, after=search.after),
        where=search.where,
    )


@dataclass(frozen=True)
class NearbySearch:
    """nearbyFacilities' arguments checked and turned into a search, for either read path."""

    where: facility_service.NearbyFilter
    walking: facility_service.Walking
    first: int
    after: str | None
    after_key: list | None


def nearby_search(
    settings,
    *,
    near: GeoPointInput,
    within_minutes: int,
    pace: WalkingPace,
    categories,
    open_at: datetime | None,
    service: str | None,
    text: str | None,
    first: int,
    after: str | None,
) -> NearbySearch:
    check_first(first, settings.max_page_size)
    if not 1 <= within_minutes <= 60:
        raise bad_request(
            f"withinMinutes 必须在 1 到 60 之间，收到 {within_minutes}", "WITHIN_MINUTES_OUT_OF_RANGE"
        )
    lat, lng = wgs84_of(near)
    walking = walking_for(settings, pace)
    where = facility_service.NearbyFilter(
        lat=lat,
        lng=lng,
        radius=walking.radius(within_minutes),
        categories=[category.value for category in categories] if categories else None,
        open_at=open_at or None,
        service=filter_text(service or None, "service"),
        text=filter_text(text or None, "text"),
    )
    return NearbySearch(
        where=where, walking=walking, first=first, after=after or None, after_key=nearby_cursor(after or None)
    )


def plan_nearby_facilities(context, selected: Selected, env: Env) -> Callable[[], Awaitable[str]]:
    """nearbyFacilities on the compiled read path (schema/compiled.py): the same checks as the
    resolver, then the statement that answers it; what it cannot build raises NotPlannable."""
    arguments = selected.arguments
    near = arguments["near"]
    search = nearby_search(
        context.settings,
        near=GeoPointInput(lat=near["lat"], lng=near["lng"], system=near["system"]),
        within_minutes=arguments["withinMinutes"],
        pace=arguments["pace"],
        categories=arguments.get("categories"),
        open_at=arguments.get("openAt"),
        service=arguments.get("service"),
        text=arguments.get("text"),
        first=arguments["first"],
        after=arguments.get("after"),
    )
    prepared, values = facilities_compiled.plan_nearby(
        selected,
        where=search.where,
        walking=search.walking,
        first=search.first,
        after=search.after_key,
        env=env,
    )
    return lambda: fetch_json(session=context.session, prepared=prepared, values=values)


async def resolve_life_circle(
    info: Info,
    near: Annotated[
        GeoPointInput,
        strawberry.argument(
            description="The point to check, e.g. a home (GCJ-02 unless `near.system` says otherwise)."
        ),
    ],
    pace: Annotated[
        WalkingPace, strawberry.argument(description="The walking pace that turns distance into minutes.")
    ] = WalkingPace.ADULT,
) -> LifeCircleReport:
    lat, lng = wgs84_of(near)
    walking = walking_for(info.context.settings, pace)
    results, coverage = await facility_service.life_circle(
        session=info.context.session, lat=lat, lng=lng, walking=walking
    )
    tiers: dict[int, list[LifeCircleRequirement]] = {}
    for result in results:
        nearest = result.nearest
        tiers.setdefault(result.tier_minutes, []).append(
            LifeCircleRequirement(
                category=FacilityCategory(result.category),
                label=result.label,
                satisfied_by=[FacilityCategory(category) for category in result.satisfied_by],
                satisfied=result.satisfied,
                nearest=make_edge(nearest) if nearest is not None else None,
            )
        )
    return LifeCircleReport(
        coverage=coverage,
        tiers=[LifeCircleTier(minutes=minutes, requirements=items) for minutes, items in tiers.items()],
    )


def plan_life_circle(context, selected: Selected, env: Env) -> Callable[[], Awaitable[str]]:
    """lifeCircle on the compiled read path: the resolver's checks, then one statement over the
    same rows (life_circle_rows) and the same coverage (coverage_of)."""
    near = selected.arguments["near"]
    lat, lng = wgs84_of(GeoPointInput(lat=near["lat"], lng=near["lng"], system=near["system"]))
    walking = walking_for(context.settings, selected.arguments["pace"])
    prepared, values = facilities_compiled.plan_life_circle(
        selected, lat=lat, lng=lng, walking=walking, env=env
    )
    return lambda: fetch_json(session=context.session, prepared=prepared, values=values)


@strawberry.type
class FacilitiesQuery:
    nearby_facilities: FacilityConnection = strawberry.field(
        resolver=resolve_nearby_facilities,
        description="Facilities within `withinMinutes` of walking, nearest first. Public.",
    )
    life_circle: LifeCircleReport = strawberry.field(
        resolver=resolve_life_circle,
        description="How complete the 5/10/15-minute life circles are around a point. Public.",
    )
