"""DateTime and Date as the contract describes them: offsets required in, Asia/Shanghai out."""

import datetime as dt
import re

import strawberry
from strawberry.exceptions import StrawberryInputCoercionError

from resolvers.clock import SHANGHAI


def serialize_datetime(value: dt.datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime reached the schema edge")
    return value.astimezone(SHANGHAI).isoformat()


DATETIME_FORMAT = "ISO 8601 带时区偏移，例如 2026-12-02T20:00:00+08:00"
DATE_FORMAT = "YYYY-MM-DD，例如 2026-12-02"
# One documented form each: Python also reads "20261202" and week dates, which clients must not rely on.
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})")


def parse_datetime(value: object) -> dt.datetime:
    if not isinstance(value, str):
        raise StrawberryInputCoercionError(f"DateTime 的格式：{DATETIME_FORMAT}")
    if not _DATETIME.fullmatch(value):
        reason = "缺少时区偏移" if _DATETIME.fullmatch(value + "+08:00") else "无法识别的时间"
        raise StrawberryInputCoercionError(f"{reason}：{value!r}；格式：{DATETIME_FORMAT}")
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        raise StrawberryInputCoercionError(f"无法识别的时间：{value!r}；格式：{DATETIME_FORMAT}") from None


def parse_date(value: object) -> dt.date:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise StrawberryInputCoercionError(f"无法识别的日期：{value!r}；格式：{DATE_FORMAT}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise StrawberryInputCoercionError(f"没有这一天：{value!r}；格式：{DATE_FORMAT}") from None


SCALAR_MAP = {
    dt.datetime: strawberry.scalar(
        name="DateTime",
        description="ISO 8601 date-time with a UTC offset, e.g. 2026-12-02T20:00:00+08:00 (or Z). Sent with "
        "an offset (required); answered in Asia/Shanghai time (+08:00). Business rules use the Asia/Shanghai "
        "calendar.",
        serialize=serialize_datetime,
        parse_value=parse_datetime,
    ),
    dt.date: strawberry.scalar(
        name="Date",
        description="A calendar day (YYYY-MM-DD) in Asia/Shanghai.",
        serialize=dt.date.isoformat,
        parse_value=parse_date,
    ),
}
