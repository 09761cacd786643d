"""A count or an existence answer over health data is a read of it, and is logged like one (#13,
finding 6: a consenting family member's `careAlerts(first: 0) { totalCount }` answered 3 and
`elders(first: 0) { pageInfo { hasNextPage } }` answered true, with no access-log row)."""

import uuid

import pytest
from sqlalchemy import select

from models.eldercare import HealthAccessLog
from tests.eldercare.conftest import reading

COUNT = "{ careAlerts(first: 0, status: [OPEN]) { totalCount } }"
EXISTS = "{ elders(first: 0, livesAlone: true) { pageInfo { hasNextPage } } }"
MORE_ALERTS = "{ careAlerts(first: 0) { pageInfo { hasNextPage } } }"
NOTHING_COUNTED = "{ careAlerts(first: 0) { edges { cursor } } }"
DASHBOARD = "{ careDashboard { openCritical openWarning eldersMonitored devicesOffline } }"


@pytest.fixture
async def sos(record):
    """An open critical alert for elder A (南睦), whom the family member follows with consent."""
    await record(reading("T-SOS-A", "SOS", None, 30))


async def ask(gql, query: str, token: str) -> tuple[dict, str]:
    client_id = uuid.uuid4().hex
    response = await gql.post(query, token=token, headers={"X-Request-ID": client_id})
    assert response.status_code == 200 and "errors" not in response.json(), response.text
    return response.json()["data"], client_id


async def logged(session, client_id: str) -> dict[int, list[str]]:
    rows = await session.execute(
        select(HealthAccessLog.elder_id, HealthAccessLog.what).where(
            HealthAccessLog.client_request_id == client_id
        )
    )
    return {elder: sorted(what) for elder, what in rows}


@pytest.mark.usefixtures("sos")
async def test_a_count_over_an_elders_alerts_is_logged_as_a_read_of_them(gql, ward, session):
    data, client_id = await ask(gql, COUNT, ward.tokens["FAMILY"])

    assert data["careAlerts"]["totalCount"] == 1
    assert await logged(session, client_id) == {ward.elder_a: ["alerts"]}


@pytest.mark.usefixtures("sos")
async def test_whether_there_is_more_is_logged_as_a_read_of_what_is_next(gql, ward, session):
    elders, elders_id = await ask(gql, EXISTS, ward.tokens["FAMILY"])
    alerts, alerts_id = await ask(gql, MORE_ALERTS, ward.tokens["FAMILY"])
    nothing, nothing_id = await ask(gql, NOTHING_COUNTED, ward.tokens["FAMILY"])

    assert elders["elders"]["pageInfo"]["hasNextPage"] is True
    assert await logged(session, elders_id) == {ward.elder_a: ["profile"]}
    assert alerts["careAlerts"]["pageInfo"]["hasNextPage"] is True
    assert await logged(session, alerts_id) == {ward.elder_a: ["alerts"]}
    # An empty page that tells nothing about what lies beyond it reads nothing.
    assert nothing["careAlerts"]["edges"] == []
    assert await logged(session, nothing_id) == {}


@pytest.mark.usefixtures("sos")
async def test_the_care_dashboards_counts_are_logged_for_the_elders_counted(gql, ward, session):
    data, client_id = await ask(gql, DASHBOARD, ward.tokens["CARE_STAFF"])

    board = data["careDashboard"]
    assert board["openCritical"] >= 1 and board["eldersMonitored"] >= 1
    rows = await logged(session, client_id)
    assert rows[ward.elder_a] == ["alerts", "devices"]
    assert ward.elder_b not in rows  # 海创's elder is not this worker's, and not counted
