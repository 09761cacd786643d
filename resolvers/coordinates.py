"""WGS-84 ⇄ GCJ-02 ⇄ BD-09. We store WGS-84; the apps mostly speak GCJ-02 (Amap, Tencent) or BD-09.

GCJ-02 uses the public constants of the published algorithm; outside mainland China's box it does
not shift. The inverses have no closed form: they iterate the forward transform until the error is
far below a millimetre, so a point round-trips within 0.5 m anywhere in Hangzhou.
"""

import math
from collections.abc import Callable
from enum import StrEnum

A = 6378245.0
EE = 0.00669342162296594323
X_PI = math.pi * 3000.0 / 180.0
Point = tuple[float, float]  # (lat, lng)


class CoordinateSystem(StrEnum):
    WGS84 = "WGS84"
    GCJ02 = "GCJ02"
    BD09 = "BD09"


def outside_china(lat: float, lng: float) -> bool:
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _shift_lat(x: float, y: float) -> float:
    value = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    value += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    value += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    value += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return value


def _shift_lng(x: float, y: float) -> float:
    value = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    value += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    value += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    value += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return value


def wgs84_to_gcj02(lat: float, lng: float) -> Point:
    if outside_china(lat, lng):
        return lat, lng
    d_lat = _shift_lat(lng - 105.0, lat - 35.0)
    d_lng = _shift_lng(lng - 105.0, lat - 35.0)
    rad_lat = lat / 180.0 * math.pi
    magic = 1 - EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((A * (1 - EE)) / (magic * sqrt_magic) * math.pi)
    d_lng = (d_lng * 180.0) / (A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return lat + d_lat, lng + d_lng


def gcj02_to_bd09(lat: float, lng: float) -> Point:
    z = math.sqrt(lng * lng + lat * lat) + 0.00002 * math.sin(lat * X_PI)
    theta = math.atan2(lat, lng) + 0.000003 * math.cos(lng * X_PI)
    return z * math.sin(theta) + 0.006, z * math.cos(theta) + 0.0065


def _invert(forward: Callable[[float, float], Point], lat: float, lng: float) -> Point:
    """The point p with forward(p) == (lat, lng), by fixed-point iteration (converges in a few steps)."""
    guess_lat, guess_lng = lat, lng
    for _ in range(30):
        out_lat, out_lng = forward(guess_lat, guess_lng)
        err_lat, err_lng = out_lat - lat, out_lng - lng
        guess_lat, guess_lng = guess_lat - err_lat, guess_lng - err_lng
        if abs(err_lat) < 1e-10 and abs(err_lng) < 1e-10:
            break
    return guess_lat, guess_lng


def gcj02_to_wgs84(lat: float, lng: float) -> Point:
    return _invert(wgs84_to_gcj02, lat, lng)


def bd09_to_gcj02(lat: float, lng: float) -> Point:
    return _invert(gcj02_to_bd09, lat, lng)


def to_wgs84(lat: float, lng: float, system: CoordinateSystem) -> Point:
    if system is CoordinateSystem.GCJ02:
        return gcj02_to_wgs84(lat, lng)
    if system is CoordinateSystem.BD09:
        return gcj02_to_wgs84(*bd09_to_gcj02(lat, lng))
    return lat, lng


def from_wgs84(lat: float, lng: float, system: CoordinateSystem) -> Point:
    if system is CoordinateSystem.GCJ02:
        return wgs84_to_gcj02(lat, lng)
    if system is CoordinateSystem.BD09:
        return gcj02_to_bd09(*wgs84_to_gcj02(lat, lng))
    return lat, lng


def haversine_m(a: Point, b: Point) -> float:
    """Great-circle metres; for tests and seeds (queries measure in PostGIS)."""
    lat1, lng1, lat2, lng2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 2 * 6371008.8 * math.asin(math.sqrt(h))
