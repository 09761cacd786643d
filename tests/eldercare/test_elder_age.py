"""An elder's age is counted on the request's clock in Asia/Shanghai (#16: it read the wall clock,
so a test, a replay or a clock set for a drill saw today's age)."""

from datetime import datetime

from tests.eldercare.conftest import SHANGHAI

AGE = "query($id: ID!) { node(id: $id) { ... on Elder { age } } }"


async def test_the_age_turns_on_the_birthday_in_shanghai_by_the_requests_clock(gql, ward, clock):
    # 张桂英 was born on 3 May 1942: 83 until the day before, 84 from midnight in Hangzhou.
    ages = []
    for moment in (
        datetime(2026, 5, 2, 23, 59, tzinfo=SHANGHAI),
        datetime(2026, 5, 3, 0, 0, tzinfo=SHANGHAI),
        datetime(2031, 5, 3, 0, 0, tzinfo=SHANGHAI),
    ):
        clock.now = moment
        body = await gql(AGE, {"id": ward.gid(ward.elder_a)}, token=ward.tokens["CARE_STAFF"])
        ages.append(body["data"]["node"]["age"])
    assert ages == [83, 84, 89]
