"""One bad row does not stop a periodic job for everyone else (#15): a 36-character device serial
made the offline job's one statement fail, and no elder got a DEVICE_OFFLINE alert."""

import logging
from datetime import date, timedelta

import pytest
from sqlalchemy import select, text

from models.eldercare import CareAlert, Device, Elder
from models.people import Community
from server.jobs import run_jobs_once
from tests.eldercare.conftest import WEDNESDAY_10, reading

LONG_SERIAL = "HZ-WUCHANG-NANMU-" + "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"[:47]


async def alerts(session, kind: str) -> dict[int, CareAlert]:
    stmt = select(CareAlert).where(CareAlert.kind == kind).execution_options(populate_existing=True)
    rows = await session.scalars(stmt)
    return {alert.elder_id: alert for alert in rows}


def logged_about(caplog, row_id: int) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno >= logging.WARNING and f" {row_id} skipped" in record.getMessage()
    ]


async def refuse_alerts_of(session, elder_id: int, change: str = "true") -> None:
    """A rule the database enforces for real (the rows already there are left alone): no alert of
    this elder may be written with `change`. Rolled back with the test."""
    await session.execute(
        text(
            "ALTER TABLE care_alerts ADD CONSTRAINT ck_test_refused "
            f"CHECK (elder_id <> {elder_id} OR NOT ({change})) NOT VALID"
        )
    )
    await session.commit()


async def test_a_64_character_serial_and_a_normal_one_both_go_offline(db, ward, session, clock):
    # Given elder B's second wristband, whose serial is as long as devices.serial allows
    assert len(LONG_SERIAL) == 64
    session.add(
        Device(
            serial=LONG_SERIAL,
            kind="WRISTBAND",
            elder_id=ward.elder_b,
            last_seen_at=WEDNESDAY_10 - timedelta(minutes=10),
        )
    )
    await session.commit()

    # When both it and elder A's wristband (last seen 09:55) have been silent 30 minutes
    clock.now = WEDNESDAY_10 + timedelta(minutes=25)
    results = await run_jobs_once(session_factory=db, now=clock.now)

    # Then each elder has a DEVICE_OFFLINE alert naming the device
    assert results.get("raise_device_offline_alerts") == 2
    offline = await alerts(session, "DEVICE_OFFLINE")
    assert offline[ward.elder_b].summary == f"设备 {LONG_SERIAL} 已离线超过 30 分钟"
    assert offline[ward.elder_a].summary == "设备 T-WB-A 已离线超过 30 分钟"


async def test_one_elder_whose_inactivity_alert_cannot_be_written_does_not_stop_the_others(
    db, ward, session, caplog
):
    # Given a second elder living alone in 南睦, quiet like elder A, whose alert the database refuses
    community = await session.scalar(select(Community.id).where(Community.name == "南睦未来社区"))
    quiet = Elder(
        name="钱阿婆",
        birth_date=date(1941, 2, 2),
        lives_alone=True,
        community_id=community,
        last_activity_at=WEDNESDAY_10 - timedelta(hours=1),
    )
    session.add(quiet)
    await session.flush()
    session.add(
        Device(serial="T-MOTION-Q", kind="MOTION_SENSOR", elder_id=quiet.id, last_seen_at=WEDNESDAY_10)
    )
    await session.commit()
    await refuse_alerts_of(session, quiet.id)

    # When the jobs run at 13:00, four hours after both were last active
    results = await run_jobs_once(session_factory=db, now=WEDNESDAY_10.replace(hour=13))

    # Then elder A has her alert, and the refused elder is logged by id
    assert results.get("raise_inactivity_alerts") == 1
    assert set(await alerts(session, "INACTIVITY")) == {ward.elder_a}
    assert logged_about(caplog, quiet.id), caplog.text


async def test_one_device_whose_offline_alert_cannot_be_written_does_not_stop_the_others(
    db, ward, session, caplog
):
    session.add(
        Device(
            serial="T-WB-B2",
            kind="WRISTBAND",
            elder_id=ward.elder_b,
            last_seen_at=WEDNESDAY_10 - timedelta(minutes=10),
        )
    )
    await session.commit()
    refused = await session.scalar(select(Device.id).where(Device.serial == "T-WB-B2"))
    await refuse_alerts_of(session, ward.elder_b)

    results = await run_jobs_once(session_factory=db, now=WEDNESDAY_10 + timedelta(minutes=25))

    assert results.get("raise_device_offline_alerts") == 1
    assert set(await alerts(session, "DEVICE_OFFLINE")) == {ward.elder_a}
    assert logged_about(caplog, refused), caplog.text


async def test_one_alert_that_cannot_be_escalated_does_not_stop_the_others(db, ward, session, record, caplog):
    # Given two critical alerts opened at 10:00, the database refusing to escalate elder B's
    await record(reading("T-WB-A", "HEART_RATE", 150, 59), reading("T-WB-B", "HEART_RATE", 150, 59))
    opened = await alerts(session, "VITAL_OUT_OF_RANGE")
    await refuse_alerts_of(session, ward.elder_b, "escalation_level > 0")

    # When the jobs run five minutes later, nobody having acknowledged either
    results = await run_jobs_once(session_factory=db, now=WEDNESDAY_10 + timedelta(minutes=5))

    # Then elder A's alert is at level 1, elder B's stays at 0 and is logged by its id
    assert results.get("escalate_alerts") == 1
    levels = {
        elder: alert.escalation_level
        for elder, alert in (await alerts(session, "VITAL_OUT_OF_RANGE")).items()
    }
    assert levels == {ward.elder_a: 1, ward.elder_b: 0}
    assert logged_about(caplog, opened[ward.elder_b].id), caplog.text


@pytest.fixture(autouse=True)
def warnings_captured(caplog):
    caplog.set_level(logging.WARNING)
