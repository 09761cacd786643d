"""Facilities run from the graph (#17): facilityCreate, facilityUpdate, facilityClose and
facilityHoursExceptionsSet. ADMIN for every facility; COMMUNITY_ADMIN for their own community's."""

from datetime import date
from typing import Annotated
from zoneinfo import ZoneInfo

import strawberry
from strawberry.types import Info

from models.people import Role
from resolvers.coordinates import CoordinateSystem as CoordinateSystemValue
from resolvers.facilities import operations
from resolvers.facilities.hours import period_of, weekly_period
from schema.common import NotFound, RuleViolation, mutation_result, pk_of
from schema.facilities import CoordinateSystem, Facility, FacilityCategory
from schema.people.base import Community, fetch_community
from schema.permissions import has_role

SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFICE = (Role.ADMIN, Role.COMMUNITY_ADMIN)


@strawberry.input(
    description="Where a facility is, as the map that gave it says; GCJ-02 unless said otherwise."
)
class FacilityLocationInput:
    lat: float = strawberry.field(
        description="Latitude in decimal degrees, in `system`; in mainland China (else OUTSIDE_CHINA; out of "
        "range: INVALID_COORDINATES)."
    )
    lng: float = strawberry.field(description="Longitude in decimal degrees, in `system`.")
    system: CoordinateSystem = strawberry.field(
        default=CoordinateSystemValue.GCJ02,
        description="The coordinate system of `lat` and `lng`: GCJ02 (Amap, Tencent) unless said otherwise; "
        "stored as WGS-84.",
    )


@strawberry.input(description="One weekly opening period, Asia/Shanghai wall time.")
class WeeklyPeriodInput:
    weekday: int = strawberry.field(description="ISO weekday: 1 = Monday … 7 = Sunday.")
    opens: str = strawberry.field(description="HH:MM, 00:00–23:59.")
    closes: str = strawberry.field(
        description="HH:MM, up to 24:00; at or before `opens` it is the next day's (17:00–02:00)."
    )


@strawberry.input(description="One opening period of a single day, Asia/Shanghai wall time.")
class DailyPeriodInput:
    opens: str = strawberry.field(description="HH:MM, 00:00–23:59.")
    closes: str = strawberry.field(
        description="HH:MM, up to 24:00; at or before `opens` it is the next day's."
    )


@strawberry.input(
    description="A dated exception: `closed`, or `hours` instead of the weekly ones; neither removes the "
    "day's exception (its weekly hours apply again). Both: INVALID_HOURS."
)
class HoursExceptionInput:
    day: date = strawberry.field(description="The day (Asia/Shanghai); today or later (else INVALID_DATES).")
    closed: bool = strawberry.field(default=False, description="Closed all day.")
    hours: list[DailyPeriodInput] = strawberry.field(
        default_factory=list, description="The day's periods instead of the weekly ones."
    )
    reason: str | None = strawberry.field(
        default=None, description="Why, e.g. 国庆节 or 台风停业 (at most 200 characters)."
    )


@strawberry.input(description="A new facility.")
class FacilityCreateInput:
    name: str = strawberry.field(description="Its name, 1–200 characters (trimmed).")
    category: FacilityCategory = strawberry.field(description="What kind of facility it is.")
    location: FacilityLocationInput = strawberry.field(description="Where it is.")
    address: str | None = strawberry.field(default=None, description="Street address.")
    phone: str | None = strawberry.field(default=None, description="Public contact number (at most 40).")
    accessibility: str | None = strawberry.field(
        default=None, description="Accessibility notes (无障碍设施)."
    )
    community_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The Community whose office runs it. ADMIN: any, or null for none (subdistrict-wide); "
        "a COMMUNITY_ADMIN's own community whatever is given (another: OTHER_COMMUNITY).",
    )
    weekly_hours: list[WeeklyPeriodInput] | None = strawberry.field(
        default=None, description="Its weekly opening periods; null or omitted: none recorded."
    )
    services: list[str] | None = strawberry.field(
        default=None, description="Codes of the services it offers (unknown: UNKNOWN_SERVICE)."
    )
    hours_exceptions: list[HoursExceptionInput] | None = strawberry.field(
        default=None, description="Dated exceptions (at most 31 days, none repeated)."
    )


@strawberry.input(description="What to change; what is omitted stays as it is.")
class FacilityUpdateInput:
    name: str | None = strawberry.field(default=strawberry.UNSET, description="A new name.")
    category: FacilityCategory | None = strawberry.field(
        default=strawberry.UNSET, description="A new category."
    )
    location: FacilityLocationInput | None = strawberry.field(
        default=strawberry.UNSET, description="A new location."
    )
    address: str | None = strawberry.field(default=strawberry.UNSET, description="Null: none.")
    phone: str | None = strawberry.field(default=strawberry.UNSET, description="Null: none.")
    accessibility: str | None = strawberry.field(default=strawberry.UNSET, description="Null: none.")
    community_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="Move it to this Community (null: none). ADMIN only (else OTHER_COMMUNITY).",
    )
    weekly_hours: list[WeeklyPeriodInput] | None = strawberry.field(
        default=strawberry.UNSET, description="Replaces every weekly period; [] or null: none."
    )
    services: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description="Replaces its services (codes); [] or null: none."
    )
    hours_exceptions: list[HoursExceptionInput] | None = strawberry.field(
        default=strawberry.UNSET,
        description="Sets the exception of each day given (other days keep theirs).",
    )


@strawberry.input(description="Which facilities: every open one matching all that is given.")
class FacilityFilterInput:
    community_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Only this Community's. A COMMUNITY_ADMIN's own community whatever is given (another: "
        "OTHER_COMMUNITY); ADMIN: null is every facility, of any community or none.",
    )
    categories: list[FacilityCategory] | None = strawberry.field(
        default=None, description="Only these categories; null or empty: all."
    )


@strawberry.type(description="What facilityHoursExceptionsSet did.")
class FacilityHoursExceptionsSet:
    matched: int = strawberry.field(description="Open facilities the filter named.")
    changed: int = strawberry.field(
        description="Of those, how many changed; the others had exactly these exceptions already (a repeat "
        "changes none, and writes no audit row)."
    )
    dates: list[date] = strawberry.field(description="The dates set, in order.")
    community_id: strawberry.Private[int | None]

    @strawberry.field(description="The community the set was limited to; null: every community.")
    async def community(self, info: Info) -> Community | None:
        return await fetch_community(info, self.community_id) if self.community_id is not None else None


FacilityResult = Annotated[
    Facility | RuleViolation | NotFound,
    strawberry.union(
        "FacilityResult",
        description="The facility as changed; or the rule that said no; or NotFound (no such facility, or "
        "not one your office runs).",
    ),
]
FacilityHoursExceptionsResult = Annotated[
    FacilityHoursExceptionsSet | RuleViolation,
    strawberry.union("FacilityHoursExceptionsResult", description="What was set; or the rule that said no."),
]


def given(value) -> bool:
    return value is not strawberry.UNSET


def location_of(value: FacilityLocationInput | None) -> operations.Location | None:
    if value is None:
        return None
    return operations.Location(value.lat, value.lng, CoordinateSystemValue(value.system))


def weekly_of(periods: list[WeeklyPeriodInput] | None):
    return [weekly_period(period.weekday, period.opens, period.closes) for period in periods or []]


def periods_of(periods: list[DailyPeriodInput] | None):
    return tuple(period_of(period.opens, period.closes) for period in periods or [])


def exceptions_of(exceptions: list[HoursExceptionInput] | None):
    return [
        operations.DayException(
            day=item.day, closed=item.closed, periods=periods_of(item.hours), reason=item.reason
        )
        for item in exceptions or []
    ]


def optional_pk(global_id, type_name: str) -> int | None:
    return pk_of(global_id, type_name) if global_id else None


def today(info: Info) -> date:
    return info.context.clock().astimezone(SHANGHAI).date()


@strawberry.type
class FacilitiesMutation:
    @strawberry.mutation(
        extensions=has_role(*OFFICE),
        description="A new facility with its hours and services. ADMIN in any community (or none); "
        "COMMUNITY_ADMIN in their own.",
    )
    async def facility_create(
        self,
        info: Info,
        input: Annotated[FacilityCreateInput, strawberry.argument(description="The facility.")],
    ) -> FacilityResult:
        ctx = info.context
        community_id = optional_pk(input.community_id, "Community")

        async def work():
            fields = operations.FacilityFields(
                name=input.name,
                category=input.category.value,
                location=location_of(input.location),
                address=input.address,
                phone=input.phone,
                accessibility=input.accessibility,
                community_id=community_id,
                weekly_hours=weekly_of(input.weekly_hours) if input.weekly_hours is not None else None,
                services=input.services,
                exceptions=exceptions_of(input.hours_exceptions),
            )
            return await operations.create_facility(
                session=ctx.session, viewer=ctx.viewer, fields=fields, today=today(info)
            )

        return await mutation_result(info, work(), Facility.from_model)

    @strawberry.mutation(
        extensions=has_role(*OFFICE),
        description="Change a facility: its fields, weekly hours (replaced), services (replaced) and dated "
        "exceptions (by day). ADMIN, or the COMMUNITY_ADMIN of its community. A closed one: FACILITY_CLOSED.",
    )
    async def facility_update(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The Facility's ID.")],
        input: Annotated[FacilityUpdateInput, strawberry.argument(description="What to change.")],
    ) -> FacilityResult:
        ctx = info.context
        facility_id = pk_of(id, "Facility")
        community_id = optional_pk(input.community_id, "Community") if given(input.community_id) else None
        names = {
            "name": input.name,
            "category": input.category,
            "location": input.location,
            "address": input.address,
            "phone": input.phone,
            "accessibility": input.accessibility,
            "community_id": input.community_id,
        }

        async def work():
            fields = operations.FacilityFields(
                name=input.name if given(input.name) else None,
                category=input.category.value if given(input.category) and input.category else None,
                location=location_of(input.location) if given(input.location) else None,
                address=input.address if given(input.address) else None,
                phone=input.phone if given(input.phone) else None,
                accessibility=input.accessibility if given(input.accessibility) else None,
                community_id=community_id,
                weekly_hours=weekly_of(input.weekly_hours) if given(input.weekly_hours) else None,
                services=(input.services or []) if given(input.services) else None,
                exceptions=exceptions_of(input.hours_exceptions) if given(input.hours_exceptions) else None,
                given=frozenset(name for name, value in names.items() if given(value)),
            )
            return await operations.update_facility(
                session=ctx.session,
                viewer=ctx.viewer,
                facility_id=facility_id,
                fields=fields,
                today=today(info),
            )

        return await mutation_result(info, work(), Facility.from_model)

    @strawberry.mutation(
        extensions=has_role(*OFFICE),
        description="Close a facility for good: it keeps its ID, hours and history (closedAt, closedReason) "
        "but leaves nearbyFacilities and lifeCircle, and is never open. ADMIN, or the COMMUNITY_ADMIN of its "
        "community. Closed already: FACILITY_CLOSED.",
    )
    async def facility_close(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The Facility's ID.")],
        reason: Annotated[
            str, strawberry.argument(description="Why, 1–200 characters (else REASON_REQUIRED).")
        ],
    ) -> FacilityResult:
        ctx = info.context
        work = operations.close_facility(
            session=ctx.session,
            viewer=ctx.viewer,
            facility_id=pk_of(id, "Facility"),
            reason=reason,
            now=ctx.clock(),
        )
        return await mutation_result(info, work, Facility.from_model)

    @strawberry.mutation(
        extensions=has_role(*OFFICE),
        description="One step for many facilities (a holiday, a typhoon day): every open facility the filter "
        "names gets, on each date, `closed`, or `hours` instead of its weekly ones — or, with neither, its "
        "exception on those dates removed. One transaction; idempotent (facilities that already have exactly "
        "this are left alone); one audit row listing the facilities changed. ADMIN for any set; "
        "COMMUNITY_ADMIN within their community.",
    )
    async def facility_hours_exceptions_set(
        self,
        info: Info,
        filter: Annotated[FacilityFilterInput, strawberry.argument(description="Which facilities.")],
        dates: Annotated[
            list[date],
            strawberry.argument(description="1–31 days, today or later (else INVALID_DATES)."),
        ],
        reason: Annotated[
            str, strawberry.argument(description="Why, 1–200 characters (else REASON_REQUIRED).")
        ],
        closed: Annotated[bool, strawberry.argument(description="Closed all day.")] = False,
        hours: Annotated[
            list[DailyPeriodInput] | None,
            strawberry.argument(description="The periods instead of the weekly ones (not with `closed`)."),
        ] = None,
    ) -> FacilityHoursExceptionsResult:
        ctx = info.context
        where = operations.FacilitySet(
            community_id=optional_pk(filter.community_id, "Community"),
            categories=[category.value for category in filter.categories or []] or None,
        )

        async def work():
            return await operations.set_hours_exceptions(
                session=ctx.session,
                viewer=ctx.viewer,
                where=where,
                days=dates,
                closed=closed,
                periods=periods_of(hours),
                reason=reason,
                today=today(info),
            )

        return await mutation_result(
            info,
            work(),
            lambda done: FacilityHoursExceptionsSet(
                matched=done.matched, changed=done.changed, dates=done.dates, community_id=done.community_id
            ),
        )


__all__ = ["FacilitiesMutation"]
