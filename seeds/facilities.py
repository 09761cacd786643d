"""Loads the synthetic Wuchang facility map (seeds/facility_data.py) and the benchmark generator.

Loading is idempotent: facilities are upserted by `seed_key`, so their IDs stay stable; their
services, weekly hours and exceptions are replaced by what the data says.
"""

from datetime import time

from geoalchemy2.elements import WKTElement
from sqlalchemy import delete, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from models.facilities import (
    MINUTES_PER_DAY,
    Facility,
    FacilityService,
    HoursException,
    OpeningPeriod,
    Service,
)
from seeds import facility_data

SEED_PREFIX = "wuchang-demo:"


def point(lat: float, lng: float) -> WKTElement:
    return WKTElement(f"POINT({lng} {lat})", srid=4326)


def minute_of(clock: str) -> int:
    if clock == "24:00":
        return MINUTES_PER_DAY
    parsed = time.fromisoformat(clock)
    return parsed.hour * 60 + parsed.minute


def period_minutes(opens: str, closes: str) -> tuple[int, int]:
    """("17:00", "02:00") → (1020, 1560): a close at or before the open is the next day's."""
    open_minute, close_minute = minute_of(opens), minute_of(closes)
    if close_minute <= open_minute:
        close_minute += MINUTES_PER_DAY
    return open_minute, close_minute


async def seed_services(*, session: AsyncSession) -> dict[str, int]:
    for code, name in facility_data.SERVICES:
        await session.execute(
            insert(Service)
            .values(code=code, name=name)
            .on_conflict_do_update(index_elements=[Service.code], set_={"name": name})
        )
    return dict((await session.execute(select(Service.code, Service.id))).all())


async def seed_facilities(*, session: AsyncSession) -> int:
    service_ids = await seed_services(session=session)
    facility_ids: dict[str, int] = {}
    for item in facility_data.FACILITIES:
        values = {
            "name": item["name"],
            "category": item["category"],
            "address": item["address"],
            "phone": item["phone"],
            "location": point(item["lat"], item["lng"]),
            "accessibility": item["accessibility"],
            "is_synthetic": True,
            "seed_key": SEED_PREFIX + item["name"],
        }
        facility_ids[item["name"]] = await session.scalar(
            insert(Facility)
            .values(**values)
            .on_conflict_do_update(index_elements=[Facility.seed_key], set_=values)
            .returning(Facility.id)
        )
    ids = list(facility_ids.values())
    for child in (FacilityService, OpeningPeriod, HoursException):
        await session.execute(delete(child).where(child.facility_id.in_(ids)))
    links, periods = [], []
    for item in facility_data.FACILITIES:
        facility_id = facility_ids[item["name"]]
        links += [{"facility_id": facility_id, "service_id": service_ids[code]} for code in item["services"]]
        for weekdays, opens, closes in facility_data.HOURS[item["hours"]]:
            open_minute, close_minute = period_minutes(opens, closes)
            periods += [
                {
                    "facility_id": facility_id,
                    "weekday": day,
                    "open_minute": open_minute,
                    "close_minute": close_minute,
                }
                for day in weekdays
            ]
    exceptions = []
    for name, day, special in facility_data.EXCEPTIONS:
        for opens, closes in special or [(None, None)]:
            open_minute, close_minute = period_minutes(opens, closes) if opens else (None, None)
            exceptions.append(
                {
                    "facility_id": facility_ids[name],
                    "day": day,
                    "open_minute": open_minute,
                    "close_minute": close_minute,
                }
            )
    for model, rows in ((FacilityService, links), (OpeningPeriod, periods), (HoursException, exceptions)):
        if rows:
            await session.execute(insert(model).values(rows))
    return len(facility_ids)


# Hangzhou's main urban area (WGS-84), for benchmark data.
HANGZHOU_BOX = {"lat_min": 30.10, "lat_max": 30.45, "lng_min": 119.95, "lng_max": 120.40}

SCALE_SQL = text(
    """
    WITH box AS (
      SELECT CAST(:lat_min AS float8) AS lat0, CAST(:lat_max AS float8) - CAST(:lat_min AS float8) AS dlat,
             CAST(:lng_min AS float8) AS lng0, CAST(:lng_max AS float8) - CAST(:lng_min AS float8) AS dlng,
             CAST(:categories AS text[]) AS categories
    ), made AS (
      INSERT INTO facilities (name, category, address, location, is_synthetic)
      SELECT '合成设施 ' || g,
             box.categories[1 + floor(random() * cardinality(box.categories))::int],
             '杭州市（合成地址）' || g || '号',
             ST_SetSRID(ST_MakePoint(box.lng0 + random() * box.dlng, box.lat0 + random() * box.dlat), 4326)
               ::geography,
             true
        FROM box, generate_series(1, CAST(:count AS int)) AS g
      RETURNING id
    ), hours AS (
      -- every day 08:00–22:00, or around the clock for one in ten
      INSERT INTO facility_opening_hours (facility_id, weekday, open_minute, close_minute)
      SELECT made.id, day, CASE WHEN made.id % 10 = 0 THEN 0 ELSE 480 END,
             CASE WHEN made.id % 10 = 0 THEN 1440 ELSE 1320 END
        FROM made CROSS JOIN generate_series(1, 7) AS day
    ), offered AS (
      SELECT id, row_number() OVER (ORDER BY id) - 1 AS position, count(*) OVER () AS total FROM services
    )
    INSERT INTO facility_services (facility_id, service_id)
    SELECT made.id, offered.id
      FROM made JOIN offered ON offered.position = made.id % offered.total
     WHERE made.id % 5 = 0
    """
)


async def seed_scale(*, session: AsyncSession, count: int, rng_seed: float = 0.2026) -> int:
    """Add `count` synthetic facilities spread over Hangzhou (for benchmarks); returns how many."""
    from models.facilities import FacilityCategory

    await seed_services(session=session)
    await session.execute(text("SELECT setseed(:seed)"), {"seed": rng_seed})
    await session.execute(
        SCALE_SQL,
        {
            "categories": [category.value for category in FacilityCategory],
            "count": count,
            **HANGZHOU_BOX,
        },
    )
    await session.execute(text("ANALYZE facilities"))
    return count
