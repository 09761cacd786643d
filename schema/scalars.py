"""DateTime and Date as the contract describes them: offsets required in, Asia/Shanghai out."""

import datetime as dt
from zoneinfo import ZoneInfo

import strawberry
from strawberry.exceptions import StrawberryInputCoercionError

SHANGHAI = ZoneInfo("Asia/Shanghai")


def serialize_datetime(value: dt.datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime reached the schema edge")
    return value.astimezone(SHANGHAI).isoformat()


def parse_datetime(value: object) -> dt.datetime:
    if not isinstance(value, str):
        raise StrawberryInputCoercionError("DateTime 必须是带时区偏移的 ISO 8601 字符串")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise StrawberryInputCoercionError(f"无法识别的时间：{value!r}") from None
    if parsed.tzinfo is None:
        raise StrawberryInputCoercionError(f"时间必须带时区偏移（例如 +08:00）：{value!r}")
    return parsed


def parse_date(value: object) -> dt.date:
    if not isinstance(value, str):
        raise StrawberryInputCoercionError("Date 必须是 YYYY-MM-DD 字符串")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise StrawberryInputCoercionError(f"无法识别的日期：{value!r}") from None


SCALAR_MAP = {
    dt.datetime: strawberry.scalar(
        name="DateTime",
        description="ISO 8601 date-time with offset. Business rules use the Asia/Shanghai calendar.",
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
