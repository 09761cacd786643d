"""A device reports only what its kind can measure (#15): the table `device_kind_readings` says
what, and a reading outside it is rejected on its own, the rest of the batch stored."""

import pytest
from sqlalchemy import text

from tests.eldercare.conftest import reading

STORED = """SELECT r.kind FROM readings r JOIN devices d ON d.id = r.device_id
WHERE d.serial = :serial ORDER BY r.measured_at, r.kind"""


async def stored_kinds(session, serial: str) -> list[str]:
    return list((await session.execute(text(STORED), {"serial": serial})).scalars())


@pytest.mark.usefixtures("instruments")
async def test_a_door_sensor_sending_a_heart_rate_is_rejected_and_the_rest_stored(record, session):
    # When a batch holds a door event, a heart rate from the door sensor, and a wristband's heart rate
    result = await record(
        reading("T-DOOR-A", "DOOR", None, 0),
        reading("T-DOOR-A", "HEART_RATE", 150, 1),
        reading("T-WB-A", "HEART_RATE", 72, 2),
    )

    # Then only the impossible pairing is rejected, by its index, and raises nothing
    assert result["__typename"] == "ReadingsRecorded"
    assert (result["accepted"], result["duplicates"]) == (2, 0)
    assert [(r["index"], r["deviceId"], r["code"]) for r in result["rejected"]] == [
        (1, "T-DOOR-A", "KIND_NOT_MEASURED_BY_DEVICE")
    ]
    assert result["alertsRaised"] == []
    assert await stored_kinds(session, "T-DOOR-A") == ["DOOR"]
    assert await stored_kinds(session, "T-WB-A") == ["HEART_RATE"]


@pytest.mark.parametrize(
    ("device", "kind", "value"),
    [
        ("T-WB-A", "SOS", None),  # a wristband has no SOS button here
        ("T-SOS-A", "HEART_RATE", 80),
        ("T-MOTION-A", "DOOR", None),
        ("T-FALL-A", "SPO2", 97),
    ],
)
async def test_a_batch_of_only_unmeasurable_readings_stores_nothing(record, session, device, kind, value):
    result = await record(reading(device, kind, value, 0))

    assert (result["__typename"], result["code"]) == ("InvalidReadings", "NO_VALID_READINGS")
    assert result["rejected"] == [{"index": 0, "code": "KIND_NOT_MEASURED_BY_DEVICE"}]
    assert await stored_kinds(session, device) == []


async def test_every_device_says_it_is_alive_with_a_heartbeat(record):
    result = await record(
        *[reading(serial, "HEARTBEAT", None, 0) for serial in ("T-WB-A", "T-SOS-A", "T-MOTION-A", "T-FALL-A")]
    )

    assert (result["accepted"], result["rejected"]) == (4, [])


async def test_what_a_kind_measures_is_data(record, session):
    # Given a wristband model that also has an SOS key, entered as a row, not a release
    await session.execute(
        text("INSERT INTO device_kind_readings (device_kind, reading_kind) VALUES ('WRISTBAND', 'SOS')")
    )
    await session.commit()

    result = await record(reading("T-WB-A", "SOS", None, 0))

    assert (result["accepted"], result["rejected"]) == (1, [])
    assert [alert["kind"] for alert in result["alertsRaised"]] == ["SOS"]
