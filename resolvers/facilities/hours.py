"""Opening hours and points as people write them, checked into what the tables hold.

Shared by the graph's operations and `linli facilities import`: "HH:MM" clock texts (a close at or
before the open is the next day's: 17:00–02:00), ISO weekdays 1–7, and a point in its declared
coordinate system turned into WGS-84 (refused outside mainland China, where the systems apply).
"""

import math
import re
from dataclasses import dataclass

from models.facilities import MINUTES_PER_DAY
from resolvers.coordinates import CoordinateSystem, outside_china, to_wgs84
from resolvers.errors import DomainFailure, ErrorCode

CLOCK = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)$")
MAX_REASON = 200


@dataclass(frozen=True)
class Period:
    open_minute: int
    close_minute: int  # past 1440: the next day's


@dataclass(frozen=True)
class WeeklyPeriod:
    weekday: int
    period: Period


def invalid_hours(message: str) -> DomainFailure:
    return DomainFailure(ErrorCode.INVALID_HOURS, message)


def minute_of(clock: str, *, closing: bool) -> int:
    match = CLOCK.match(clock.strip()) if isinstance(clock, str) else None
    if match is None:
        raise invalid_hours(f"时间应为 HH:MM 格式，收到 {clock!r}")
    minute = int(match[1]) * 60 + int(match[2])
    if minute > MINUTES_PER_DAY or (minute == MINUTES_PER_DAY and not closing):
        raise invalid_hours(f"时间超出一天的范围：{clock!r}")
    return minute


def period_of(opens: str, closes: str) -> Period:
    """("17:00", "02:00") → 1020–1560; a close at or before the open is the next day's."""
    open_minute, close_minute = minute_of(opens, closing=False), minute_of(closes, closing=True)
    if close_minute <= open_minute:
        close_minute += MINUTES_PER_DAY
    return Period(open_minute, close_minute)


def weekly_period(weekday: int, opens: str, closes: str) -> WeeklyPeriod:
    if not isinstance(weekday, int) or not 1 <= weekday <= 7:
        raise invalid_hours(f"星期应为 1（周一）到 7（周日），收到 {weekday!r}")
    return WeeklyPeriod(weekday, period_of(opens, closes))


WEEKDAY_SPEC = re.compile(r"^([1-7])(?:-([1-7]))?$")


def parse_weekly_hours(text: str) -> list[WeeklyPeriod]:
    """The import's hours text: `1-5 08:30-17:00; 6 09:00-12:00; 7 closed`, days ISO 1–7
    (a range, or one day), periods separated by ';' or ','; an empty text: no hours recorded."""
    periods: list[WeeklyPeriod] = []
    for part in re.split(r"[;；]", text or ""):
        part = part.strip()
        if not part:
            continue
        days, _, rest = part.partition(" ")
        spec = WEEKDAY_SPEC.match(days)
        if spec is None:
            raise invalid_hours(f"营业时间“{part}”：星期应为 1–7 或 1-5 这样的范围")
        first, last = int(spec[1]), int(spec[2] or spec[1])
        if last < first:
            raise invalid_hours(f"营业时间“{part}”：星期范围倒置")
        rest = rest.strip()
        if rest.lower() == "closed":
            continue
        ranges = [item.strip() for item in re.split(r"[,，]", rest) if item.strip()]
        if not ranges:
            raise invalid_hours(f"营业时间“{part}”：缺少时段")
        for item in ranges:
            opens, dash, closes = item.partition("-")
            if not dash:
                raise invalid_hours(f"营业时间“{part}”：时段应为 HH:MM-HH:MM")
            for weekday in range(first, last + 1):
                periods.append(weekly_period(weekday, opens, closes))
    return periods


def wgs84_point(lat, lng, system: CoordinateSystem) -> tuple[float, float]:
    """The point in WGS-84, or INVALID_COORDINATES / OUTSIDE_CHINA."""
    if not all(isinstance(value, int | float) and math.isfinite(value) for value in (lat, lng)):
        raise DomainFailure(ErrorCode.INVALID_COORDINATES, f"坐标不是有效数字：{lat!r}, {lng!r}")
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise DomainFailure(ErrorCode.INVALID_COORDINATES, f"坐标超出范围：纬度 {lat}，经度 {lng}")
    if outside_china(lat, lng):
        raise DomainFailure(ErrorCode.OUTSIDE_CHINA, f"坐标不在中国大陆范围内：纬度 {lat}，经度 {lng}")
    return to_wgs84(float(lat), float(lng), system)


def reason_of(reason: str | None) -> str:
    text = (reason or "").strip()
    if not 1 <= len(text) <= MAX_REASON:
        raise DomainFailure(ErrorCode.REASON_REQUIRED, f"请填写原因（1–{MAX_REASON} 个字）")
    return text
