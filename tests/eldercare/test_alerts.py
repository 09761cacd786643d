"""Readings become alerts in the same transaction; dedup, severity, lifecycle, jobs, visibility, audit."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

import resolvers.access_log
from models.eldercare import CareAlertEvent, HealthAccessLog, Reading
from schema.common import encode_global_id
from server.jobs import run_jobs_once
from tests.eldercare.conftest import RECORD, WEDNESDAY_10, reading

ACK = """mutation($id: ID!) { careAlertAcknowledge(id: $id) {
  __typename ... on CareAlert { status acknowledgedAt } ... on DomainError { code } } }"""
RESOLVE = """mutation($id: ID!, $note: String!) { careAlertResolve(id: $id, note: $note) {
  __typename ... on CareAlert { status resolutionNote } ... on DomainError { code } } }"""
ALERTS = """query($status: [CareAlertStatus!]) { careAlerts(status: $status, first: 50) {
  totalCount edges { node { id kind severity status count escalationLevel elder { name } } } } }"""
ELDERS = """{ elders(first: 50) { edges { node {
  name livesAlone alerts { kind } latestVitals { kind value loinc } } } } }"""
DASHBOARD = (
    "{ careDashboard { openCritical openWarning overdueUnacknowledged eldersMonitored devicesOffline } }"
)
VISIT = """mutation($input: CareVisitLogInput!) { careVisitLog(input: $input) {
  __typename ... on CareVisit { note } ... on DomainError { code } } }"""


async def test_a_heart_rate_of_150_opens_a_critical_alert_and_155_counts_into_it(record):
    first = await record(reading("T-WB-A", "HEART_RATE", 150, 0))
    second = await record(reading("T-WB-A", "HEART_RATE", 155, 1))

    opened, repeated = first["alertsRaised"][0], second["alertsRaised"][0]
    assert (opened["kind"], opened["severity"], opened["status"], opened["count"]) == (
        "VITAL_OUT_OF_RANGE",
        "CRITICAL",
        "OPEN",
        1,
    )
    assert repeated["id"] == opened["id"] and repeated["count"] == 2
    assert "155" in repeated["summary"]


async def test_spo2_93_opens_a_separate_warning(record):
    hr = await record(reading("T-WB-A", "HEART_RATE", 150, 0))
    spo2 = await record(reading("T-WB-A", "SPO2", 93, 2))

    assert spo2["alertsRaised"][0]["severity"] == "WARNING"
    assert spo2["alertsRaised"][0]["id"] != hr["alertsRaised"][0]["id"]


async def test_a_repeated_reading_is_a_duplicate_and_counts_nothing(record):
    await record(reading("T-WB-A", "HEART_RATE", 150, 0))

    again = await record(reading("T-WB-A", "HEART_RATE", 150, 0))

    assert (again["accepted"], again["duplicates"], again["alertsRaised"]) == (0, 1, [])


@pytest.mark.parametrize(
    ("device", "kind", "expected"), [("T-SOS-A", "SOS", "SOS"), ("T-FALL-A", "FALL", "FALL")]
)
async def test_sos_and_fall_are_critical_at_once(record, device, kind, expected):
    result = await record(reading(device, kind, None, 5))

    assert result["alertsRaised"][0]["kind"] == expected
    assert result["alertsRaised"][0]["severity"] == "CRITICAL"


async def test_repeats_may_raise_but_never_lower_the_severity(record):
    await record(reading("T-WB-A", "SPO2", 93, 0))
    raised = await record(reading("T-WB-A", "SPO2", 90, 1))
    kept = await record(reading("T-WB-A", "SPO2", 93, 2))

    assert raised["alertsRaised"][0]["severity"] == "CRITICAL"
    assert kept["alertsRaised"][0]["severity"] == "CRITICAL" and kept["alertsRaised"][0]["count"] == 3


async def test_normal_readings_raise_nothing_and_carry_their_loinc_code(record, session):
    result = await record(reading("T-WB-A", "HEART_RATE", 72, 0), reading("T-WB-A", "SPO2", 97, 0))

    assert (result["accepted"], result["alertsRaised"]) == (2, [])
    codes = set(
        (
            await session.execute(
                text(
                    "SELECT loinc FROM readings WHERE device_id IN "
                    "(SELECT id FROM devices WHERE serial = 'T-WB-A')"
                )
            )
        ).scalars()
    )
    assert codes == {"8867-4", "59408-5"}


async def test_bad_readings_are_reported_one_by_one_and_the_valid_ones_stored(record):
    result = await record(
        reading("T-WB-A", "HEART_RATE", 80, 0),
        reading("NO-SUCH-DEVICE", "HEART_RATE", 80, 0),
        reading("T-WB-A", "HEART_RATE", 400, 1),
        reading("T-WB-A", "SPO2", None, 1),
        reading("T-WB-A", "HEART_RATE", 80, 30, hour=11),  # 90 minutes in the future
    )

    assert result["__typename"] == "ReadingsRecorded" and result["accepted"] == 1
    assert [(r["index"], r["code"]) for r in result["rejected"]] == [
        (1, "UNKNOWN_DEVICE"),
        (2, "IMPOSSIBLE_VALUE"),
        (3, "IMPOSSIBLE_VALUE"),
        (4, "IN_THE_FUTURE"),
    ]


async def test_an_elders_own_band_replaces_the_default_for_that_kind(record, ward, session):
    # 张桂英's heart runs slow: her own band makes 48 normal and 105 a warning; 刘德明 keeps the default.
    await session.execute(
        text(
            "INSERT INTO vital_thresholds (elder_id, kind, critical_low, warning_low, warning_high, "
            "critical_high) VALUES (:elder, 'HEART_RATE', 35, 40, 100, 120)"
        ),
        {"elder": ward.elder_a},
    )
    await session.commit()

    own = await record(reading("T-WB-A", "HEART_RATE", 48, 0), reading("T-WB-A", "HEART_RATE", 105, 1))
    default = await record(reading("T-WB-B", "HEART_RATE", 48, 0), reading("T-WB-B", "HEART_RATE", 105, 1))

    assert [(a["severity"], a["summary"]) for a in own["alertsRaised"]] == [
        ("WARNING", "心率异常：105 次/分")
    ]
    assert [(a["severity"], a["summary"]) for a in default["alertsRaised"]] == [
        ("WARNING", "心率异常：48 次/分")
    ]


async def test_a_batch_with_nothing_valid_or_too_large_is_invalid_readings(record):
    nothing = await record(reading("NO-SUCH-DEVICE", "HEART_RATE", 80, 0))
    too_many = await record(
        *[reading("T-WB-A", "HEART_RATE", 70, minute % 60, hour=8) for minute in range(501)]
    )

    assert (nothing["__typename"], nothing["code"]) == ("InvalidReadings", "NO_VALID_READINGS")
    assert nothing["rejected"] == [{"index": 0, "code": "UNKNOWN_DEVICE"}]
    assert too_many["code"] == "BATCH_TOO_LARGE"


async def test_only_device_gateways_record_readings(gql, ward):

    body = await gql(RECORD, {"r": [reading("T-WB-A", "HEART_RATE", 80, 0)]}, token=ward.tokens["RESIDENT"])

    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_the_lifecycle_with_its_history(gql, record, ward, session):
    alert = (await record(reading("T-WB-A", "HEART_RATE", 150, 0)))["alertsRaised"][0]
    staff, other = ward.tokens["CARE_STAFF"], ward.tokens["CARE_STAFF_HAICHUANG"]

    foreign = (await gql(ACK, {"id": alert["id"]}, token=other))["data"]["careAlertAcknowledge"]
    acked = (await gql(ACK, {"id": alert["id"]}, token=staff))["data"]["careAlertAcknowledge"]
    twice = (await gql(ACK, {"id": alert["id"]}, token=staff))["data"]["careAlertAcknowledge"]
    no_note = (await gql(RESOLVE, {"id": alert["id"], "note": "  "}, token=staff))["data"]["careAlertResolve"]
    done = (await gql(RESOLVE, {"id": alert["id"], "note": "已电话确认，运动后心率偏高"}, token=staff))[
        "data"
    ]["careAlertResolve"]
    reopened = (await record(reading("T-WB-A", "HEART_RATE", 150, 10)))["alertsRaised"][0]

    assert foreign["__typename"] == "NotFound"
    assert acked["status"] == "ACKNOWLEDGED"
    assert twice["code"] == "ALREADY_ACKNOWLEDGED"
    assert no_note["code"] == "NOTE_REQUIRED"
    assert done == {
        "__typename": "CareAlert",
        "status": "RESOLVED",
        "resolutionNote": "已电话确认，运动后心率偏高",
    }
    assert reopened["id"] != alert["id"] and reopened["count"] == 1
    from schema.common import decode_global_id

    history = (
        await session.scalars(
            select(CareAlertEvent.type)
            .where(CareAlertEvent.alert_id == decode_global_id(alert["id"])[1])
            .order_by(CareAlertEvent.sequence)
        )
    ).all()
    assert history == ["OPENED", "ACKNOWLEDGED", "RESOLVED"]


async def test_inactivity_of_an_elder_living_alone(db, ward, clock, gql):
    # Last motion 09:00; the day counts from 07:00; 4 hours of quiet → warning at 13:00.
    clock.now = WEDNESDAY_10.replace(hour=12, minute=59)
    assert (await run_jobs_once(session_factory=db, now=clock.now))["raise_inactivity_alerts"] == 0
    clock.now = WEDNESDAY_10.replace(hour=13)
    assert (await run_jobs_once(session_factory=db, now=clock.now))["raise_inactivity_alerts"] == 1
    assert (await run_jobs_once(session_factory=db, now=clock.now))[
        "raise_inactivity_alerts"
    ] == 0  # idempotent
    alerts = (await gql(ALERTS, token=ward.tokens["CARE_STAFF"]))["data"]["careAlerts"]["edges"]
    inactivity = [e["node"] for e in alerts if e["node"]["kind"] == "INACTIVITY"]
    assert [(node["severity"], node["elder"]["name"]) for node in inactivity] == [("WARNING", "张桂英")]


async def test_no_inactivity_alert_at_night(db, ward, clock):
    clock.now = WEDNESDAY_10.replace(hour=23)
    assert (await run_jobs_once(session_factory=db, now=clock.now))["raise_inactivity_alerts"] == 0


async def test_a_device_silent_for_30_minutes_is_offline(db, ward, clock, gql):
    clock.now = WEDNESDAY_10 + timedelta(minutes=24)  # the wristband was last seen at 09:55
    assert (await run_jobs_once(session_factory=db, now=clock.now))["raise_device_offline_alerts"] == 0
    clock.now = WEDNESDAY_10 + timedelta(minutes=26)
    results = await run_jobs_once(session_factory=db, now=clock.now)

    assert results["raise_device_offline_alerts"] == 1
    board = (await gql(DASHBOARD, token=ward.tokens["CARE_STAFF"]))["data"]["careDashboard"]
    assert board["devicesOffline"] == 1 and board["openWarning"] == 1


async def test_unacknowledged_critical_alerts_escalate_at_5_and_15_minutes(db, ward, clock, record, gql):
    await record(reading("T-WB-A", "HEART_RATE", 150, 59))  # opened at 10:00 (the clock)
    levels = []
    for minutes in (4, 5, 14, 15, 16):
        clock.now = WEDNESDAY_10 + timedelta(minutes=minutes)
        await run_jobs_once(session_factory=db, now=clock.now)
        edges = (await gql(ALERTS, token=ward.tokens["CARE_STAFF"]))["data"]["careAlerts"]["edges"]
        levels.append(
            next(e["node"]["escalationLevel"] for e in edges if e["node"]["kind"] == "VITAL_OUT_OF_RANGE")
        )

    assert levels == [0, 1, 1, 2, 2]
    board = (await gql(DASHBOARD, token=ward.tokens["CARE_STAFF"]))["data"]["careDashboard"]
    assert board["overdueUnacknowledged"] == 1 and board["openCritical"] == 1


async def test_an_acknowledged_alert_does_not_escalate(db, ward, clock, record, gql):
    alert = (await record(reading("T-WB-A", "HEART_RATE", 150, 59)))["alertsRaised"][0]
    await gql(ACK, {"id": alert["id"]}, token=ward.tokens["CARE_STAFF"])
    clock.now = WEDNESDAY_10 + timedelta(minutes=20)

    assert (await run_jobs_once(session_factory=db, now=clock.now))["escalate_alerts"] == 0


async def test_who_sees_what(gql, record, ward):
    await record(reading("T-WB-A", "HEART_RATE", 150, 0), reading("T-WB-B", "HEART_RATE", 150, 0))

    def names(body):
        return sorted({e["node"]["elder"]["name"] for e in body["data"]["careAlerts"]["edges"]})

    assert names(await gql(ALERTS, token=ward.tokens["CARE_STAFF"])) == ["张桂英"]
    assert names(await gql(ALERTS, token=ward.tokens["CARE_STAFF_HAICHUANG"])) == ["刘德明"]
    assert names(await gql(ALERTS, token=ward.tokens["ADMIN"])) == ["刘德明", "张桂英"]
    assert names(await gql(ALERTS, token=ward.tokens["FAMILY"])) == ["张桂英"]
    assert names(await gql(ALERTS, token=ward.tokens["FAMILY_NO_CONSENT"])) == []
    assert (await gql(ELDERS, token=ward.tokens["FAMILY_NO_CONSENT"]))["data"]["elders"]["edges"] == []
    node = await gql(
        "query($id: ID!) { node(id: $id) { ... on Elder { name } } }",
        {"id": ward.gid(ward.elder_a)},
        token=ward.tokens["FAMILY_NO_CONSENT"],
    )
    assert node["data"]["node"] is None
    assert (await gql(ALERTS))["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_every_request_reading_health_data_leaves_one_log_row_per_elder(gql, record, ward, session):
    await record(reading("T-WB-A", "HEART_RATE", 150, 0), reading("T-WB-A", "SPO2", 97, 0))
    before = (await session.scalars(select(HealthAccessLog.id))).all()

    await gql(ELDERS, token=ward.tokens["FAMILY"])

    rows = (
        await session.scalars(select(HealthAccessLog).where(HealthAccessLog.id.not_in(before or [0])))
    ).all()
    family_id = (await session.execute(text("SELECT id FROM persons WHERE phone = '13611110001'"))).scalar()
    assert [(row.person_id, row.elder_id, row.what) for row in rows] == [
        (family_id, ward.elder_a, ["alerts", "profile", "vitals"])
    ]


async def test_care_staff_log_visits(gql, ward):
    visit = {
        "elderId": ward.gid(ward.elder_a),
        "kind": "VISIT",
        "note": "上门探访，精神良好",
        "visitedAt": WEDNESDAY_10.isoformat(),
    }

    mine = await gql(VISIT, {"input": visit}, token=ward.tokens["CARE_STAFF"])
    theirs = await gql(VISIT, {"input": visit}, token=ward.tokens["CARE_STAFF_HAICHUANG"])
    empty = await gql(VISIT, {"input": {**visit, "note": " "}}, token=ward.tokens["CARE_STAFF"])

    assert mine["data"]["careVisitLog"] == {"__typename": "CareVisit", "note": "上门探访，精神良好"}
    assert theirs["data"]["careVisitLog"]["__typename"] == "NotFound"
    assert empty["data"]["careVisitLog"]["code"] == "NOTE_REQUIRED"


async def test_a_visit_by_its_id_is_shown_only_to_who_may_see_the_elder_and_logged(gql, ward, session):
    visit = {
        "elderId": ward.gid(ward.elder_a),
        "kind": "CALL",
        "note": "电话问候",
        "visitedAt": "2026-11-25T09:00:00+08:00",
    }
    logged = await gql(
        VISIT.replace("{ note }", "{ id note }"), {"input": visit}, token=ward.tokens["CARE_STAFF"]
    )
    visit_id = logged["data"]["careVisitLog"]["id"]
    by_id = "query($id: ID!) { node(id: $id) { ... on CareVisit { note elder { name } } } }"
    before = (await session.scalars(select(HealthAccessLog.id))).all()

    seen = {
        who: (await gql(by_id, {"id": visit_id}, token=ward.tokens[who]))["data"]["node"]
        for who in ("CARE_STAFF", "FAMILY", "FAMILY_NO_CONSENT", "CARE_STAFF_HAICHUANG", "RESIDENT")
    }
    anonymous = (await gql(by_id, {"id": visit_id}))["data"]["node"]

    assert seen == {
        "CARE_STAFF": {"note": "电话问候", "elder": {"name": "张桂英"}},
        "FAMILY": {"note": "电话问候", "elder": {"name": "张桂英"}},
        "FAMILY_NO_CONSENT": None,
        "CARE_STAFF_HAICHUANG": None,
        "RESIDENT": None,
    }
    assert anonymous is None
    logged_reads = await session.scalars(
        select(HealthAccessLog.what).where(HealthAccessLog.id.not_in(before or [0]))
    )
    assert logged_reads.all() == [["profile", "visits"], ["profile", "visits"]]


async def test_the_elder_list_with_nested_health_data_costs_the_same_few_statements(
    gql, ward, record, count_statements
):
    await record(reading("T-WB-A", "HEART_RATE", 150, 0))
    with count_statements() as counter:
        body = await gql(ELDERS, token=ward.tokens["ADMIN"])

    assert len(body["data"]["elders"]["edges"]) >= 2
    # elders page, alerts, vitals (one each for all elders) + the access-log insert
    assert counter.count <= 5, counter.statements


async def test_dead_ids_and_alert_ids_of_other_types_are_bad_requests(gql, ward):
    body = await gql(ACK, {"id": encode_global_id("Elder", ward.elder_a)}, token=ward.tokens["CARE_STAFF"])

    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_a_gateway_following_raised_alerts_to_the_elder_is_refused_before_anything_is_written(
    gql, ward, session
):
    query = """
    mutation($r: [ReadingInput!]!) { readingsRecord(readings: $r) {
      ... on ReadingsRecorded { accepted ...Raised } } }
    fragment Raised on ReadingsRecorded { alertsRaised { id elder { name latestVitals { kind } } } }
    """
    readings = [reading("T-WB-A", "HEART_RATE", 150, 0)]
    before = await session.scalar(select(func.count()).select_from(Reading))

    refused = await gql(query, {"r": readings}, token=ward.tokens["DEVICE_GATEWAY"])
    after = await session.scalar(select(func.count()).select_from(Reading))
    admin = await gql(query, {"r": readings}, token=ward.tokens["ADMIN"])

    assert refused["data"] is None
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert after == before
    assert admin["data"]["readingsRecord"]["alertsRaised"][0]["elder"]["name"] == "张桂英"


async def test_health_data_whose_read_cannot_be_logged_is_not_sent(gql, ward, monkeypatch):
    """The database goes away between the read and its log row: the client gets 503, not the data."""

    async def database_gone(*_args, **_kwargs):
        raise ConnectionRefusedError("the database went away")

    monkeypatch.setattr(resolvers.access_log, "write_request_reads", database_gone)
    response = await gql.post(ELDERS, token=ward.tokens["FAMILY"])

    assert response.status_code == 503 and response.headers["retry-after"] == "5"
    assert response.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert "张桂英" not in response.text and "data" not in response.json()


async def test_a_gateway_is_not_told_who_cares_for_the_elder(gql, ward):
    """A repeat of an acknowledged alert comes back to the gateway: it may see the alert, not the
    name of the care worker who took it (acknowledgedBy, resolvedBy) — refused as `elder` is."""
    first = await gql(
        RECORD, {"r": [reading("T-WB-A", "HEART_RATE", 150, 0)]}, token=ward.tokens["DEVICE_GATEWAY"]
    )
    alert = first["data"]["readingsRecord"]["alertsRaised"][0]["id"]
    acknowledge = "mutation($id: ID!) { careAlertAcknowledge(id: $id) { __typename } }"
    await gql(acknowledge, {"id": alert}, token=ward.tokens["CARE_STAFF"])
    query = """mutation($r: [ReadingInput!]!) { readingsRecord(readings: $r) {
      ... on ReadingsRecorded { alertsRaised { id acknowledgedBy { name } } } } }"""
    repeat = [reading("T-WB-A", "HEART_RATE", 152, 1)]

    refused = await gql(query, {"r": repeat}, token=ward.tokens["DEVICE_GATEWAY"])
    admin = await gql(query, {"r": repeat}, token=ward.tokens["ADMIN"])

    assert refused["data"] is None and refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert admin["data"]["readingsRecord"]["alertsRaised"][0]["acknowledgedBy"]["name"]
