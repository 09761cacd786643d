"""Every elder-care rule of DOMAIN.md at its edges (#15): vital bands, escalation, offline and
inactivity times, LOINC codes, who and when, repeats."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import text, update

from models.eldercare import Elder
from server.jobs import run_jobs_once
from tests.eldercare.conftest import WEDNESDAY_10, reading

ALERT = """query($id: ID!) { node(id: $id) { ... on CareAlert {
  kind status severity count summary lastSeenAt escalationLevel
  acknowledgedAt acknowledgedBy { name } resolvedAt resolvedBy { name } } } }"""
LEVEL = "query($id: ID!) { node(id: $id) { ... on CareAlert { escalationLevel } } }"
ALERTS = "{ careAlerts(first: 50) { edges { node { id kind severity elder { name } } } } }"
ACK = """mutation($id: ID!) { careAlertAcknowledge(id: $id) { __typename ... on DomainError { code } } }"""
RESOLVE = """mutation($id: ID!, $note: String!) { careAlertResolve(id: $id, note: $note) {
  __typename ... on DomainError { code } } }"""
REPEAT = """mutation($r: [ReadingInput!]!) { readingsRecord(readings: $r) {
  ... on ReadingsRecorded { alertsRaised { id count lastSeenAt summary severity } } } }"""

C, W, N = "CRITICAL", "WARNING", None

# DOMAIN.md's table, each edge on both sides: (device, reading kind, value, severity or None).
BAND_EDGES = [
    *[
        ("T-WB-A", "HEART_RATE", value, severity)
        for value, severity in [(40, C), (41, W), (50, W), (51, N), (110, N), (111, W), (130, W), (131, C)]
    ],
    *[
        ("T-WB-A", "SPO2", value, severity)
        for value, severity in [(91, C), (92, W), (93, W), (94, N), (100, N)]
    ],
    *[
        ("T-BP-A", "SYSTOLIC_BP", value, severity)
        for value, severity in [(90, C), (91, W), (100, W), (101, N), (159, N), (160, W), (219, W), (220, C)]
    ],
    *[
        ("T-TH-A", "BODY_TEMPERATURE", value, severity)
        for value, severity in [
            (35.0, C),
            (35.1, W),
            (36.0, W),
            (36.1, N),
            (38.0, N),
            (38.1, W),
            (39.0, W),
            (39.1, C),
        ]
    ],
]


def at(hours: int, minutes: int = 0, seconds: int = 0, day: int = 0) -> datetime:
    return WEDNESDAY_10.replace(hour=hours, minute=minutes, second=seconds) + timedelta(days=day)


async def alert_node(gql, ward, alert_id: str) -> dict:
    body = await gql(ALERT, {"id": alert_id}, token=ward.tokens["CARE_STAFF"])
    assert "errors" not in body, body
    return body["data"]["node"]


async def alerts_of_kind(gql, ward, kind: str) -> list[dict]:
    edges = (await gql(ALERTS, token=ward.tokens["ADMIN"]))["data"]["careAlerts"]["edges"]
    return [edge["node"] for edge in edges if edge["node"]["kind"] == kind]


@pytest.mark.usefixtures("instruments")
@pytest.mark.parametrize(("device", "kind", "value", "severity"), BAND_EDGES)
async def test_each_band_edge_of_the_default_thresholds(record, device, kind, value, severity):
    # Given the default bands (no own band for elder A); when one reading at the edge arrives
    result = await record(reading(device, kind, value, 0))

    # Then it is stored, and judged by DOMAIN.md's table
    assert (result["accepted"], result["rejected"]) == (1, [])
    assert [alert["severity"] for alert in result["alertsRaised"]] == ([severity] if severity else [])


@pytest.mark.usefixtures("instruments")
async def test_the_loinc_codes_stored_with_blood_pressure_and_temperature(record, session):
    await record(
        reading("T-BP-A", "SYSTOLIC_BP", 130, 0),
        reading("T-BP-A", "DIASTOLIC_BP", 80, 0),
        reading("T-TH-A", "BODY_TEMPERATURE", 36.6, 0),
    )

    codes = dict(
        (
            await session.execute(
                text(
                    "SELECT r.kind, r.loinc FROM readings r JOIN devices d ON d.id = r.device_id "
                    "WHERE d.serial IN ('T-BP-A', 'T-TH-A')"
                )
            )
        ).all()
    )
    assert codes == {"SYSTOLIC_BP": "8480-6", "DIASTOLIC_BP": "8462-4", "BODY_TEMPERATURE": "8310-5"}


@pytest.mark.parametrize(
    ("kind", "value", "after", "expected"),
    [
        ("SPO2", 93, timedelta(minutes=29), 0),
        ("SPO2", 93, timedelta(minutes=29, seconds=59), 0),
        ("SPO2", 93, timedelta(minutes=30), 1),
        ("HEART_RATE", 150, timedelta(minutes=4, seconds=59), 0),
        ("HEART_RATE", 150, timedelta(minutes=5), 1),
        ("HEART_RATE", 150, timedelta(minutes=14, seconds=59), 1),
        ("HEART_RATE", 150, timedelta(minutes=15), 2),
    ],
)
async def test_escalation_of_an_unacknowledged_alert_at_its_exact_edges(
    db, ward, clock, record, gql, kind, value, after, expected
):
    # Given an alert opened at 10:00 (a warning for SpO2 93, critical for heart rate 150)
    alert = (await record(reading("T-WB-A", kind, value, 59)))["alertsRaised"][0]

    # When the jobs run that long after, nobody having acknowledged it
    clock.now = WEDNESDAY_10 + after
    await run_jobs_once(session_factory=db, now=clock.now)

    # Then its escalation level is the policy's for that time
    shown = await gql(LEVEL, {"id": alert["id"]}, token=ward.tokens["CARE_STAFF"])
    assert shown["data"]["node"]["escalationLevel"] == expected


@pytest.mark.parametrize(
    ("silent", "offline"), [(timedelta(minutes=29, seconds=59), 0), (timedelta(minutes=30), 1)]
)
async def test_a_device_is_offline_once_silent_for_exactly_30_minutes(db, ward, clock, gql, silent, offline):
    # Given the wristband last seen at 09:55; when the jobs run after that silence
    clock.now = WEDNESDAY_10 - timedelta(minutes=5) + silent
    results = await run_jobs_once(session_factory=db, now=clock.now)

    # Then it is offline from 10:25:00, not a second before
    assert results["raise_device_offline_alerts"] == offline
    assert len(await alerts_of_kind(gql, ward, "DEVICE_OFFLINE")) == offline


async def test_acknowledge_and_resolve_record_who_and_when(gql, record, ward, clock):
    # Given a critical alert opened at 10:00
    alert = (await record(reading("T-WB-A", "HEART_RATE", 150, 0)))["alertsRaised"][0]

    # When the care worker acknowledges it at 10:03 and the administrator resolves it at 10:07
    clock.now = WEDNESDAY_10 + timedelta(minutes=3)
    assert (await gql(ACK, {"id": alert["id"]}, token=ward.tokens["CARE_STAFF"]))["data"][
        "careAlertAcknowledge"
    ] == {"__typename": "CareAlert"}
    acknowledged = await alert_node(gql, ward, alert["id"])
    clock.now = WEDNESDAY_10 + timedelta(minutes=7)
    await gql(RESOLVE, {"id": alert["id"], "note": "已上门查看"}, token=ward.tokens["ADMIN"])
    resolved = await alert_node(gql, ward, alert["id"])

    # Then the graph shows who did each, and when
    assert acknowledged["status"] == "ACKNOWLEDGED"
    assert acknowledged["acknowledgedBy"] == {"name": "测试CARE_STAFF"}
    assert datetime.fromisoformat(acknowledged["acknowledgedAt"]) == WEDNESDAY_10 + timedelta(minutes=3)
    assert (acknowledged["resolvedBy"], acknowledged["resolvedAt"]) == (None, None)
    assert resolved["status"] == "RESOLVED"
    assert resolved["acknowledgedBy"] == {"name": "测试CARE_STAFF"}
    assert datetime.fromisoformat(resolved["acknowledgedAt"]) == WEDNESDAY_10 + timedelta(minutes=3)
    assert resolved["resolvedBy"] == {"name": "测试ADMIN"}
    assert datetime.fromisoformat(resolved["resolvedAt"]) == WEDNESDAY_10 + timedelta(minutes=7)


async def test_resolving_an_unacknowledged_alert_acknowledges_it_by_the_same_person_then(
    gql, record, ward, clock
):
    alert = (await record(reading("T-SOS-A", "SOS", None, 0)))["alertsRaised"][0]

    clock.now = WEDNESDAY_10 + timedelta(minutes=2)
    await gql(RESOLVE, {"id": alert["id"], "note": "误触，已电话确认"}, token=ward.tokens["CARE_STAFF"])

    shown = await alert_node(gql, ward, alert["id"])
    assert shown["acknowledgedBy"] == shown["resolvedBy"] == {"name": "测试CARE_STAFF"}
    assert shown["acknowledgedAt"] == shown["resolvedAt"]
    assert datetime.fromisoformat(shown["resolvedAt"]) == WEDNESDAY_10 + timedelta(minutes=2)


async def test_a_repeat_reading_updates_last_seen_and_count_and_a_late_one_only_the_count(gql, ward):
    async def send(value: float, minute: int) -> dict:
        body = await gql(
            REPEAT,
            {"r": [reading("T-WB-A", "HEART_RATE", value, minute)]},
            token=ward.tokens["DEVICE_GATEWAY"],
        )
        return body["data"]["readingsRecord"]["alertsRaised"][0]

    # Given an alert opened by a reading measured at 09:00
    first = await send(150, 0)
    # When a repeat measured at 09:02 arrives, then one measured at 09:01 arriving late
    second = await send(155, 2)
    late = await send(160, 1)

    # Then the repeat moves lastSeenAt and the count; the late one adds to the count (and may raise
    # the severity) but the alert still describes the latest reading
    assert (first["count"], datetime.fromisoformat(first["lastSeenAt"])) == (1, at(9, 0))
    assert second["id"] == late["id"] == first["id"]
    assert (second["count"], datetime.fromisoformat(second["lastSeenAt"])) == (2, at(9, 2))
    assert second["summary"] == "心率危急：155 次/分"
    assert (late["count"], datetime.fromisoformat(late["lastSeenAt"])) == (3, at(9, 2))
    assert late["summary"] == "心率危急：155 次/分"


@pytest.mark.usefixtures("instruments")
@pytest.mark.parametrize(("device", "kind"), [("T-MOTION-A", "MOTION"), ("T-DOOR-A", "DOOR")])
async def test_motion_or_door_through_readings_record_resets_the_inactivity_clock(
    db, ward, clock, record, gql, device, kind
):
    # Given elder A (lives alone) last active at 09:00, and at 12:00 a motion or door reading
    clock.now = at(12)
    assert (await record(reading(device, kind, None, 0, hour=12)))["accepted"] == 1

    # When the jobs run at 13:00, four hours after 09:00, and at 16:00, four hours after 12:00
    at_13 = await run_jobs_once(session_factory=db, now=at(13))
    at_16 = await run_jobs_once(session_factory=db, now=at(16))

    # Then the reading reset the clock: no alert at 13:00, one at 16:00
    assert at_13["raise_inactivity_alerts"] == 0
    assert at_16["raise_inactivity_alerts"] == 1
    assert [a["elder"]["name"] for a in await alerts_of_kind(gql, ward, "INACTIVITY")] == ["张桂英"]


async def test_without_motion_since_09_the_alert_comes_at_13(db, ward, gql):
    results = await run_jobs_once(session_factory=db, now=at(13))

    assert results["raise_inactivity_alerts"] == 1
    assert [a["elder"]["name"] for a in await alerts_of_kind(gql, ward, "INACTIVITY")] == ["张桂英"]


@pytest.mark.parametrize(
    ("last_activity", "now", "expected"),
    [
        # Quiet since the evening before: the day's hours count from 07:00, so 11:00 is the first alert.
        (at(20, day=-1), at(7), 0),
        (at(20, day=-1), at(10, 59, 59), 0),
        (at(20, day=-1), at(11), 1),
        # Quiet since 18:00: 22:00 is still in the day (the last minute an alert is raised), 22:01 not.
        (at(18), at(21, 59, 59), 0),
        (at(18), at(22), 1),
        (at(18), at(22, 1), 0),
        # Overnight nothing, whatever the quiet.
        (at(18), at(6, 59, day=1), 0),
        (at(18), at(7, day=1), 0),
    ],
)
async def test_inactivity_only_between_07_and_22(db, ward, session, last_activity, now, expected):
    await session.execute(
        update(Elder).where(Elder.id == ward.elder_a).values(last_activity_at=last_activity)
    )
    await session.commit()

    results = await run_jobs_once(session_factory=db, now=now)

    assert results["raise_inactivity_alerts"] == expected
