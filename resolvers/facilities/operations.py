"""Facilities run from the graph: create, update, close, and dated hours exceptions for one facility
or for a set of them at once (holidays, typhoon days).

ADMIN runs every facility; a COMMUNITY_ADMIN runs the facilities of their own community (a facility
of no community — a metro station, the subdistrict office — is ADMIN's alone); anyone else is
refused before this layer. Another office's facility is NotFound, as if it did not exist. Every
change writes one audit row in its own transaction; the tables' constraints have the last word
(a violated one becomes the failure it means).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from geoalchemy2.elements import WKTElement
from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from models.facilities import Facility, FacilityService, HoursException, OpeningPeriod, Service
from models.people import Role
from resolvers import audit
from resolvers.actor import Viewer
from resolvers.coordinates import CoordinateSystem
from resolvers.errors import DomainFailure, ErrorCode, NotFound, flush_or_fail, savepoint
from resolvers.facilities.hours import Period, WeeklyPeriod, invalid_hours, reason_of, wgs84_point

MAX_NAME = 200
MAX_PHONE = 40
MAX_DATES = 31


def point_wkt(lat: float, lng: float) -> WKTElement:
    return WKTElement(f"POINT({lng} {lat})", srid=4326)


# ── Who runs which facility ───────────────────────────────────────────────────


def is_admin(viewer: Viewer) -> bool:
    return viewer.has_role(Role.ADMIN.value)


def may_run(viewer: Viewer, community_id: int | None) -> bool:
    if is_admin(viewer):
        return True
    return (
        viewer.has_role(Role.COMMUNITY_ADMIN.value)
        and viewer.community_id is not None
        and community_id == viewer.community_id
    )


def community_for(viewer: Viewer, community_id: int | None) -> int | None:
    """The community a facility is put in: ADMIN any (or none), a COMMUNITY_ADMIN only their own."""
    if is_admin(viewer):
        return community_id
    if viewer.community_id is None or (community_id is not None and community_id != viewer.community_id):
        raise DomainFailure(ErrorCode.OTHER_COMMUNITY, "只能管理本社区的设施")
    return viewer.community_id


async def facility_run_by(*, session: AsyncSession, viewer: Viewer, facility_id: int) -> Facility:
    facility = await session.scalar(select(Facility).where(Facility.id == facility_id).with_for_update())
    if facility is None or not may_run(viewer, facility.community_id):
        raise NotFound("该设施")
    return facility


# ── What the operations are given ─────────────────────────────────────────────


@dataclass(frozen=True)
class DayException:
    """A dated exception: `closed`, or these periods instead of the weekly ones; neither clears it
    (the weekly hours apply that day again)."""

    day: date
    closed: bool = False
    periods: tuple[Period, ...] = ()
    reason: str | None = None

    def rows(self) -> list[tuple[int | None, int | None]]:
        if self.closed:
            return [(None, None)]
        return [(period.open_minute, period.close_minute) for period in self.periods]


@dataclass(frozen=True)
class Location:
    lat: float
    lng: float
    system: CoordinateSystem = CoordinateSystem.GCJ02


@dataclass
class FacilityFields:
    """Create: every field; update: only those in `given` change (None clears a nullable one)."""

    name: str | None = None
    category: str | None = None
    location: Location | None = None
    address: str | None = None
    phone: str | None = None
    accessibility: str | None = None
    community_id: int | None = None
    weekly_hours: Sequence[WeeklyPeriod] | None = None
    services: Sequence[str] | None = None
    exceptions: Sequence[DayException] | None = None
    given: frozenset[str] = field(default_factory=frozenset)

    def has(self, name: str) -> bool:
        return name in self.given


def clean_name(name: str | None) -> str:
    text_ = (name or "").strip()
    if not 1 <= len(text_) <= MAX_NAME:
        raise DomainFailure(ErrorCode.INVALID_NAME, f"设施名称须为 1–{MAX_NAME} 个字")
    return text_


def clean_text(value: str | None) -> str | None:
    return (value or "").strip() or None


def clean_phone(value: str | None) -> str | None:
    value = clean_text(value)
    if value is not None and len(value) > MAX_PHONE:
        raise DomainFailure(ErrorCode.INVALID_PHONE, f"电话最多 {MAX_PHONE} 个字符")
    return value


def checked_exceptions(exceptions: Sequence[DayException], today: date) -> list[DayException]:
    days = [exception.day for exception in exceptions]
    if len(days) != len(set(days)) or len(days) > MAX_DATES:
        raise DomainFailure(ErrorCode.INVALID_DATES, f"例外日期不能重复，每次最多 {MAX_DATES} 天")
    if any(day < today for day in days):
        raise DomainFailure(ErrorCode.INVALID_DATES, "不能为已过去的日期设置例外")
    for exception in exceptions:
        if exception.closed and exception.periods:
            raise invalid_hours(f"{exception.day} 不能既停业又给出营业时段")
    return list(exceptions)


# ── The rows beside a facility ────────────────────────────────────────────────


async def replace_weekly_hours(
    *, session: AsyncSession, facility_id: int, periods: Sequence[WeeklyPeriod]
) -> None:
    await session.execute(delete(OpeningPeriod).where(OpeningPeriod.facility_id == facility_id))
    if periods:
        await session.execute(
            insert(OpeningPeriod),
            [
                {
                    "facility_id": facility_id,
                    "weekday": period.weekday,
                    "open_minute": period.period.open_minute,
                    "close_minute": period.period.close_minute,
                }
                for period in periods
            ],
        )


async def replace_services(*, session: AsyncSession, facility_id: int, codes: Sequence[str]) -> None:
    codes = list(dict.fromkeys(code.strip() for code in codes))
    found = dict(
        (await session.execute(select(Service.code, Service.id).where(Service.code.in_(codes)))).all()
    )
    unknown = [code for code in codes if code not in found]
    if unknown:
        raise DomainFailure(ErrorCode.UNKNOWN_SERVICE, f"没有这些服务：{', '.join(unknown)}")
    await session.execute(delete(FacilityService).where(FacilityService.facility_id == facility_id))
    if codes:
        await session.execute(
            insert(FacilityService),
            [{"facility_id": facility_id, "service_id": found[code]} for code in codes],
        )


async def set_day_exceptions(
    *, session: AsyncSession, facility_id: int, exceptions: Sequence[DayException]
) -> None:
    if not exceptions:
        return
    await session.execute(
        delete(HoursException).where(
            HoursException.facility_id == facility_id,
            HoursException.day.in_([exception.day for exception in exceptions]),
        )
    )
    rows = [
        {
            "facility_id": facility_id,
            "day": exception.day,
            "open_minute": open_minute,
            "close_minute": close_minute,
            "reason": (exception.reason or "").strip() or None,
        }
        for exception in exceptions
        for open_minute, close_minute in exception.rows()
    ]
    if rows:
        await session.execute(insert(HoursException), rows)


# ── The audit trail's view of a facility ──────────────────────────────────────


def clock_text(minute: int) -> str:
    """1020 → "17:00"; a close past midnight shows the next day's clock, midnight itself "24:00"."""
    if minute > 1440:
        minute -= 1440
    return f"{minute // 60:02d}:{minute % 60:02d}"


async def snapshot(session: AsyncSession, facility: Facility) -> dict[str, Any]:
    """What the audit trail keeps of a facility (all public data): its fields, weekly hours, services."""
    periods = (
        await session.execute(
            select(OpeningPeriod.weekday, OpeningPeriod.open_minute, OpeningPeriod.close_minute)
            .where(OpeningPeriod.facility_id == facility.id)
            .order_by(OpeningPeriod.weekday, OpeningPeriod.open_minute)
        )
    ).all()
    services = await session.scalars(
        select(Service.code)
        .join(FacilityService, FacilityService.service_id == Service.id)
        .where(FacilityService.facility_id == facility.id)
        .order_by(Service.code)
    )
    return {
        "name": facility.name,
        "category": facility.category,
        "communityId": facility.community_id,
        "lat": facility.lat,
        "lng": facility.lng,
        "address": facility.address,
        "phone": facility.phone,
        "accessibility": facility.accessibility,
        "closedAt": facility.closed_at.isoformat() if facility.closed_at else None,
        "closedReason": facility.closed_reason,
        "weeklyHours": [f"{day} {clock_text(start)}-{clock_text(end)}" for day, start, end in periods],
        "services": list(services),
    }


def exceptions_shown(exceptions: Sequence[DayException]) -> list[dict[str, Any]]:
    return [
        {
            "day": exception.day.isoformat(),
            "closed": exception.closed,
            "hours": [f"{clock_text(p.open_minute)}-{clock_text(p.close_minute)}" for p in exception.periods],
            "reason": exception.reason,
        }
        for exception in exceptions
    ]


def facility_global_id(facility_id: int) -> str:
    return audit.global_id("Facility", facility_id)


# The constraints that decide, and what their refusal means.
MEANINGS = {
    "fk_facilities_community_id_communities": lambda: NotFound("该社区"),
    "ck_facilities_name_not_blank": lambda: DomainFailure(ErrorCode.INVALID_NAME, "设施名称不能为空"),
    "ck_facility_opening_hours_weekday_iso": lambda: invalid_hours("星期应为 1 到 7"),
    "ck_facility_opening_hours_open_within_day": lambda: invalid_hours("开门时间应在当天"),
    "ck_facility_opening_hours_close_after_open": lambda: invalid_hours("关门时间应在开门之后 24 小时内"),
    "ck_facility_hours_exceptions_closed_or_period": lambda: invalid_hours("例外时段不正确"),
    "ck_facility_hours_exceptions_reason_short": lambda: DomainFailure(
        ErrorCode.REASON_REQUIRED, "原因最多 200 个字"
    ),
}


async def apply_beside(
    *, session: AsyncSession, facility_id: int, fields: FacilityFields, today: date
) -> None:
    """Weekly hours, services and exceptions, as far as `fields` gives them."""
    async with savepoint(session=session, meanings=MEANINGS):
        if fields.weekly_hours is not None:
            await replace_weekly_hours(session=session, facility_id=facility_id, periods=fields.weekly_hours)
        if fields.services is not None:
            await replace_services(session=session, facility_id=facility_id, codes=fields.services)
        if fields.exceptions:
            await set_day_exceptions(
                session=session,
                facility_id=facility_id,
                exceptions=checked_exceptions(fields.exceptions, today),
            )


# ── The operations ────────────────────────────────────────────────────────────


async def create_facility(
    *, session: AsyncSession, viewer: Viewer, fields: FacilityFields, today: date
) -> Facility:
    community_id = community_for(viewer, fields.community_id)
    if fields.location is None:
        raise DomainFailure(ErrorCode.INVALID_COORDINATES, "请给出设施的坐标")
    lat, lng = wgs84_point(fields.location.lat, fields.location.lng, fields.location.system)
    facility = Facility(
        name=clean_name(fields.name),
        category=fields.category,
        address=clean_text(fields.address),
        phone=clean_phone(fields.phone),
        accessibility=clean_text(fields.accessibility),
        location=point_wkt(lat, lng),
        community_id=community_id,
        is_synthetic=False,
    )
    session.add(facility)
    await flush_or_fail(session=session, meanings=MEANINGS)
    await apply_beside(session=session, facility_id=facility.id, fields=fields, today=today)
    await session.refresh(facility)
    after = await snapshot(session, facility)
    if fields.exceptions:
        after["hoursExceptions"] = exceptions_shown(fields.exceptions)
    await audit.record(
        session=session,
        action="facility.create",
        object_id=facility_global_id(facility.id),
        community_id=facility.community_id,
        after=after,
    )
    return facility


async def update_facility(
    *, session: AsyncSession, viewer: Viewer, facility_id: int, fields: FacilityFields, today: date
) -> Facility:
    facility = await facility_run_by(session=session, viewer=viewer, facility_id=facility_id)
    if facility.closed_at is not None:
        raise DomainFailure(ErrorCode.FACILITY_CLOSED, "该设施已关闭，不能修改")
    before = await snapshot(session, facility)
    if fields.has("name"):
        facility.name = clean_name(fields.name)
    if fields.has("category") and fields.category is not None:
        facility.category = fields.category
    if fields.has("location") and fields.location is not None:
        lat, lng = wgs84_point(fields.location.lat, fields.location.lng, fields.location.system)
        facility.location = point_wkt(lat, lng)
    if fields.has("address"):
        facility.address = clean_text(fields.address)
    if fields.has("phone"):
        facility.phone = clean_phone(fields.phone)
    if fields.has("accessibility"):
        facility.accessibility = clean_text(fields.accessibility)
    if fields.has("community_id"):
        if not is_admin(viewer) and fields.community_id != facility.community_id:
            raise DomainFailure(ErrorCode.OTHER_COMMUNITY, "只有系统管理员可以把设施移到其他社区")
        facility.community_id = fields.community_id
    facility.updated_at = func.now()
    await flush_or_fail(session=session, meanings=MEANINGS)
    await apply_beside(session=session, facility_id=facility.id, fields=fields, today=today)
    await session.refresh(facility)
    after = await snapshot(session, facility)
    if fields.exceptions:
        after["hoursExceptions"] = exceptions_shown(fields.exceptions)
    await audit.record(
        session=session,
        action="facility.update",
        object_id=facility_global_id(facility.id),
        community_id=facility.community_id,
        before=before,
        after=after,
    )
    return facility


async def close_facility(
    *, session: AsyncSession, viewer: Viewer, facility_id: int, reason: str, now: datetime
) -> Facility:
    """Closed for good: the row, its hours and history stay; search and the life circle skip it."""
    facility = await facility_run_by(session=session, viewer=viewer, facility_id=facility_id)
    if facility.closed_at is not None:
        raise DomainFailure(ErrorCode.FACILITY_CLOSED, "该设施已关闭")
    facility.closed_reason = reason_of(reason)
    facility.closed_at = now
    facility.updated_at = now
    await flush_or_fail(session=session, meanings=MEANINGS)
    await session.refresh(facility)  # the computed lat, lng expire with an update
    await audit.record(
        session=session,
        action="facility.close",
        object_id=facility_global_id(facility.id),
        community_id=facility.community_id,
        before={"closedAt": None},
        after={"closedAt": now.isoformat(), "closedReason": facility.closed_reason},
    )
    return facility


# ── Hours exceptions for a set of facilities ──────────────────────────────────


@dataclass(frozen=True)
class FacilitySet:
    community_id: int | None = None
    categories: Sequence[str] | None = None


@dataclass(frozen=True)
class ExceptionsSet:
    matched: int  # open facilities the filter named
    changed: int  # of those, the ones whose exceptions on the dates were not already these
    dates: list[date]
    community_id: int | None


# The set, locked in id order (two runs over overlapping sets queue, never deadlock; every other
# writer of a facility's exceptions locks its row too). Then, under those locks and in a snapshot
# taken after them, which of its facilities already have exactly these exceptions on these dates:
# the others are changed. Set operations compare NULLs as equal, so a closed day (NULL, NULL) matches.
LOCK_SET = text("""
SELECT coalesce(array_agg(id ORDER BY id), '{}') AS ids FROM (
  SELECT id FROM facilities
   WHERE closed_at IS NULL
     AND (CAST(:community_id AS bigint) IS NULL OR community_id = CAST(:community_id AS bigint))
     AND (CAST(:categories AS text[]) IS NULL OR category = ANY(CAST(:categories AS text[])))
   ORDER BY id
   FOR UPDATE
) AS locked
""")
DIFFERING = text("""
WITH target AS (
  SELECT unnest(CAST(:ids AS bigint[])) AS id
), wanted AS (
  SELECT t.id AS facility_id, d.day, p.open_minute, p.close_minute, CAST(:reason AS text) AS reason
    FROM target t
   CROSS JOIN unnest(CAST(:days AS date[])) AS d(day)
   CROSS JOIN unnest(CAST(:opens AS smallint[]), CAST(:closes AS smallint[])) AS p(open_minute, close_minute)
), present AS (
  SELECT e.facility_id, e.day, e.open_minute, e.close_minute, e.reason
    FROM facility_hours_exceptions e
   WHERE e.facility_id = ANY(CAST(:ids AS bigint[])) AND e.day = ANY(CAST(:days AS date[]))
), differing AS (
  (SELECT * FROM wanted EXCEPT ALL SELECT * FROM present)
  UNION ALL
  (SELECT * FROM present EXCEPT ALL SELECT * FROM wanted)
)
SELECT coalesce(array_agg(DISTINCT facility_id), '{}') FROM differing
""")

REPLACE = text("""
WITH gone AS (
  DELETE FROM facility_hours_exceptions
   WHERE facility_id = ANY(CAST(:ids AS bigint[])) AND day = ANY(CAST(:days AS date[]))
)
INSERT INTO facility_hours_exceptions (facility_id, day, open_minute, close_minute, reason)
SELECT f.id, d.day, p.open_minute, p.close_minute, CAST(:reason AS text)
  FROM unnest(CAST(:ids AS bigint[])) AS f(id)
 CROSS JOIN unnest(CAST(:days AS date[])) AS d(day)
 CROSS JOIN unnest(CAST(:opens AS smallint[]), CAST(:closes AS smallint[])) AS p(open_minute, close_minute)
""")


async def set_hours_exceptions(
    *,
    session: AsyncSession,
    viewer: Viewer,
    where: FacilitySet,
    days: Sequence[date],
    closed: bool,
    periods: Sequence[Period],
    reason: str,
    today: date,
) -> ExceptionsSet:
    """Closes (or gives other hours, or with neither restores the weekly hours of) every open
    facility of the set on each of the dates, in one transaction. Idempotent: a facility whose
    exceptions on those dates are already exactly these is left alone, and a run that changes
    nothing writes no audit row. One audit row sums a run up: the filter, the dates, the hours,
    the reason and the IDs of every facility it changed."""
    community_id = community_for(viewer, where.community_id)
    days = sorted(set(days))
    if not 1 <= len(days) <= MAX_DATES:
        raise DomainFailure(ErrorCode.INVALID_DATES, f"请给出 1–{MAX_DATES} 个日期")
    if days[0] < today:
        raise DomainFailure(ErrorCode.INVALID_DATES, "不能为已过去的日期设置例外")
    if closed and periods:
        raise invalid_hours("不能既停业又给出营业时段")
    reason = reason_of(reason)
    shape = DayException(day=days[0], closed=closed, periods=tuple(periods), reason=reason)
    rows = shape.rows()
    parameters = {
        "community_id": community_id,
        "categories": list(where.categories) if where.categories else None,
        "days": days,
        "opens": [row[0] for row in rows],
        "closes": [row[1] for row in rows],
        "reason": reason,
    }
    locked = list(await session.scalar(LOCK_SET, parameters))
    changed = sorted(await session.scalar(DIFFERING, {**parameters, "ids": locked})) if locked else []
    if changed:
        async with savepoint(session=session, meanings=MEANINGS):
            await session.execute(REPLACE, {**parameters, "ids": changed})
        await audit.record(
            session=session,
            action="facility.hours_exceptions_set",
            object_id=None,
            community_id=community_id,
            after={
                "filter": {"communityId": community_id, "categories": parameters["categories"]},
                "dates": [day.isoformat() for day in days],
                "closed": closed,
                "hours": [f"{clock_text(p.open_minute)}-{clock_text(p.close_minute)}" for p in periods],
                "reason": reason,
                "matched": len(locked),
                "changed": len(changed),
                "facilityIds": [facility_global_id(pk) for pk in changed],
            },
        )
    return ExceptionsSet(matched=len(locked), changed=len(changed), dates=days, community_id=community_id)
