"""A device assigned but never heard from is silent from its assignment (DOMAIN.md; #15): it was
never flagged offline, its last_seen_at being null."""

from datetime import timedelta

import pytest

from models.eldercare import Device
from server.jobs import run_jobs_once
from tests.eldercare.conftest import WEDNESDAY_10, reading

ALERTS = "{ careAlerts(first: 50) { edges { node { kind summary } } } }"
DASHBOARD = "{ careDashboard { devicesOffline } }"


async def offline_serials(gql, ward) -> list[str]:
    edges = (await gql(ALERTS, token=ward.tokens["CARE_STAFF"]))["data"]["careAlerts"]["edges"]
    return sorted(e["node"]["summary"].split()[1] for e in edges if e["node"]["kind"] == "DEVICE_OFFLINE")


@pytest.fixture
async def new_thermometer(session, ward) -> None:
    """Elder A's thermometer, assigned at 10:00 and silent since."""
    session.add(
        Device(serial="T-TH-NEW", kind="THERMOMETER", elder_id=ward.elder_a, assigned_at=WEDNESDAY_10)
    )
    await session.commit()


@pytest.mark.usefixtures("new_thermometer")
@pytest.mark.parametrize(
    ("after", "offline"), [(timedelta(minutes=29, seconds=59), False), (timedelta(minutes=30), True)]
)
async def test_a_device_never_heard_from_is_offline_30_minutes_after_its_assignment(
    db, ward, clock, gql, after, offline
):
    # When the jobs run that long after the assignment
    clock.now = WEDNESDAY_10 + after
    await run_jobs_once(session_factory=db, now=clock.now)

    # Then from 30 minutes on it is offline, like a device that went quiet
    assert ("T-TH-NEW" in await offline_serials(gql, ward)) is offline


@pytest.mark.usefixtures("new_thermometer")
async def test_the_care_board_counts_it_offline_too(gql, ward, clock):
    clock.now = WEDNESDAY_10 + timedelta(minutes=20)  # the wristband (09:55) is not offline yet
    before = (await gql(DASHBOARD, token=ward.tokens["CARE_STAFF"]))["data"]["careDashboard"]
    clock.now = WEDNESDAY_10 + timedelta(minutes=29)  # the wristband is, the thermometer not yet
    between = (await gql(DASHBOARD, token=ward.tokens["CARE_STAFF"]))["data"]["careDashboard"]
    clock.now = WEDNESDAY_10 + timedelta(minutes=30)
    after = (await gql(DASHBOARD, token=ward.tokens["CARE_STAFF"]))["data"]["careDashboard"]

    # The ward's other devices, last seen at 10:00, go offline at 10:30 with it: A's SOS, motion, fall
    assert [before["devicesOffline"], between["devicesOffline"], after["devicesOffline"]] == [0, 1, 5]


@pytest.mark.usefixtures("new_thermometer")
async def test_once_heard_from_its_last_reading_counts(db, ward, clock, gql, record):
    # Given its first reading, measured at 10:10
    clock.now = WEDNESDAY_10 + timedelta(minutes=10)
    await record(reading("T-TH-NEW", "BODY_TEMPERATURE", 36.5, 10, hour=10))

    # Then 30 minutes after its assignment it is not offline; 30 after the reading it is
    clock.now = WEDNESDAY_10 + timedelta(minutes=39)
    await run_jobs_once(session_factory=db, now=clock.now)
    assert "T-TH-NEW" not in await offline_serials(gql, ward)
    clock.now = WEDNESDAY_10 + timedelta(minutes=40)
    await run_jobs_once(session_factory=db, now=clock.now)
    assert "T-TH-NEW" in await offline_serials(gql, ward)
