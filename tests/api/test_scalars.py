"""DateTime needs an offset on the way in and leaves in Asia/Shanghai; Date is YYYY-MM-DD."""

from datetime import UTC, date, datetime

import pytest
from strawberry.exceptions import StrawberryInputCoercionError

from schema.scalars import parse_date, parse_datetime, serialize_datetime


def test_datetime_leaves_in_shanghai_time():
    assert serialize_datetime(datetime(2026, 11, 27, 1, 30, tzinfo=UTC)) == "2026-11-27T09:30:00+08:00"


def test_a_naive_datetime_never_leaves_the_server():
    with pytest.raises(ValueError):
        serialize_datetime(datetime(2026, 11, 27, 9, 30))


def test_datetime_input_keeps_its_offset():
    parsed = parse_datetime("2026-11-27T09:30:00+08:00")

    assert parsed == datetime(2026, 11, 27, 1, 30, tzinfo=UTC)


@pytest.mark.parametrize("value", ["2026-11-27T09:30:00", "yesterday", 1764206400, None])
def test_datetime_input_without_offset_or_malformed_is_refused(value):
    with pytest.raises(StrawberryInputCoercionError):
        parse_datetime(value)


def test_date_is_iso():
    assert parse_date("2026-11-27") == date(2026, 11, 27)
    with pytest.raises(StrawberryInputCoercionError):
        parse_date("27/11/2026")
