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


SESSIONS = (
    """query($c: ID!, $from: Date!) { childcareSessions(centerId: $c, from: $from, to: $from) { id } }"""
)
NEARBY = """query($at: DateTime!) {
  nearbyFacilities(near: {lat: 30.3, lng: 120.04}, openAt: $at) { totalCount } }"""


@pytest.mark.parametrize(
    ("query", "variables", "expected"),
    [
        (SESSIONS, {"c": "Q2hpbGRjYXJlQ2VudGVyOjE", "from": "2026/12/01"}, "YYYY-MM-DD"),
        (SESSIONS, {"c": "Q2hpbGRjYXJlQ2VudGVyOjE", "from": "2026-12-32"}, "YYYY-MM-DD"),
        (NEARBY, {"at": "tomorrow"}, "2026-12-02T20:00:00+08:00"),
        (NEARBY, {"at": "2026-12-02T20:00:00"}, "2026-12-02T20:00:00+08:00"),
    ],
    ids=["slashes", "no-such-day", "words", "no-offset"],
)
async def test_a_bad_date_or_time_says_the_expected_format(gql, query, variables, expected):
    body = await gql(query, variables)

    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert expected in error["message"], error["message"]


def test_basic_iso_forms_python_accepts_are_refused_for_one_documented_form():
    # Python 3.11 also reads "20261201" and week dates; the contract documents one form only.
    for value in ("20261201", "2026-W49-2"):
        with pytest.raises(StrawberryInputCoercionError):
            parse_date(value)
