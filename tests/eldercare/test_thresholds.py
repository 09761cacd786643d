"""An elder's own vital bands and the care policy without SQL (#17): vitalThresholdSet and
vitalThresholdClear (author and reason required, history kept, the database's order rules with
stable codes) and carePolicyUpdate (ADMIN; the database's CHECKs, a code per rule)."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models.audit import AuditLog
from models.eldercare import CarePolicy, VitalThreshold, VitalThresholdChange
from models.people import Person, Role
from resolvers import people as people_service
from schema.common import encode_global_id
from server.auth import TokenService
from server.jobs import run_jobs_once
from tests.eldercare.conftest import WEDNESDAY_10, reading

BAND = "criticalLow warningLow warningHigh criticalHigh"
RESULT = f"""__typename ... on VitalThresholdChange {{ id elderId kind reason changedAt changedById
  before {{ {BAND} }} after {{ {BAND} }} }} ... on DomainError {{ code message }}"""
SET = f"""mutation($e: ID!, $k: ReadingKind!, $r: String!, $cl: Float, $wl: Float, $wh: Float, $ch: Float) {{
  vitalThresholdSet(elderId: $e, kind: $k, reason: $r, criticalLow: $cl, warningLow: $wl, warningHigh: $wh,
                    criticalHigh: $ch) {{ {RESULT} }} }}"""
CLEAR = f"""mutation($e: ID!, $k: ReadingKind!, $r: String!) {{
  vitalThresholdClear(elderId: $e, kind: $k, reason: $r) {{ {RESULT} }} }}"""
POLICY = """mutation($input: CarePolicyUpdateInput!) { carePolicyUpdate(input: $input) { __typename
  ... on CarePolicy { inactivityHours dayStartsAt dayEndsAt deviceOfflineMinutes criticalLevel1Minutes
                      criticalLevel2Minutes warningLevel1Minutes }
  ... on DomainError { code message } } }"""

# Heart rate for one elder on a beta blocker: lower bounds lower than the default (41–50 warns).
SLOW_HEART = {"cl": 35, "wl": 42, "wh": 110, "ch": 130}


@pytest.fixture
async def haichuang_office(session, settings) -> str:
    person = await people_service.add_user(
        session=session,
        phone="13644440001",
        name="海创社区办公室",
        role=Role.COMMUNITY_ADMIN,
        community_name="海创社区",
    )
    await session.commit()
    return TokenService(settings).issue(person)[0]


async def call(gql, query: str, token: str, root: str, **variables) -> dict:
    body = await gql(query, variables, token=token)
    assert "errors" not in body, body
    return body["data"][root]


async def set_band(
    gql, token: str, elder: str, kind: str = "HEART_RATE", reason: str = "服用β受体阻滞剂", **band
):
    return await call(gql, SET, token, "vitalThresholdSet", e=elder, k=kind, r=reason, **band)


async def own_band(session, elder_id: int, kind: str = "HEART_RATE") -> tuple | None:
    row = await session.scalar(
        select(VitalThreshold).where(VitalThreshold.elder_id == elder_id, VitalThreshold.kind == kind)
    )
    return None if row is None else (row.critical_low, row.warning_low, row.warning_high, row.critical_high)


async def changes(session, elder_id: int) -> list[tuple]:
    rows = await session.scalars(
        select(VitalThresholdChange)
        .where(VitalThresholdChange.elder_id == elder_id)
        .order_by(VitalThresholdChange.id)
    )
    return [(row.kind, row.reason, row.before, row.after) for row in rows]


# ── vitalThresholdSet / vitalThresholdClear ─────────────────────────────────────


@pytest.mark.parametrize("role", ["CARE_STAFF", "COMMUNITY_ADMIN", "ADMIN"])
async def test_set_then_change_then_clear_keeps_who_when_why_before_and_after(
    gql, session, ward, clock, role
):
    token, elder = ward.tokens[role], ward.gid(ward.elder_a)
    first = await set_band(gql, token, elder, **SLOW_HEART)
    clock.now = WEDNESDAY_10 + timedelta(days=1)
    second = await set_band(gql, token, elder, reason="复诊后调整", cl=38, wl=45, wh=None, ch=None)
    cleared = await call(gql, CLEAR, token, "vitalThresholdClear", e=elder, k="HEART_RATE", r="停药")

    slow = {"criticalLow": 35.0, "warningLow": 42.0, "warningHigh": 110.0, "criticalHigh": 130.0}
    adjusted = {"criticalLow": 38.0, "warningLow": 45.0, "warningHigh": None, "criticalHigh": None}
    assert (first["before"], first["after"], first["reason"]) == (None, slow, "服用β受体阻滞剂")
    assert (second["before"], second["after"]) == (slow, adjusted)
    assert (cleared["before"], cleared["after"], cleared["reason"]) == (adjusted, None, "停药")
    assert first["changedAt"] == WEDNESDAY_10.isoformat()
    assert second["changedAt"] == (WEDNESDAY_10 + timedelta(days=1)).isoformat()
    me = await session.scalar(select(Person.id).where(Person.name == f"测试{role}"))
    assert first["changedById"] == cleared["changedById"] == encode_global_id("Person", me)
    assert await changes(session, ward.elder_a) == [
        ("HEART_RATE", "服用β受体阻滞剂", None, slow),
        ("HEART_RATE", "复诊后调整", slow, adjusted),
        ("HEART_RATE", "停药", adjusted, None),
    ]
    assert await own_band(session, ward.elder_a) is None
    audited = await session.scalar(
        select(func.count())
        .select_from(AuditLog)
        .where(
            AuditLog.action.in_(["vital_threshold.set", "vital_threshold.clear"]), AuditLog.object_id == elder
        )
    )
    assert audited == 3


async def test_the_elders_band_is_what_readings_are_judged_by(gql, ward, record):
    # 45/min warns by default (41–50); with the elder's own band it is normal, and 36 is critical
    await set_band(gql, ward.tokens["CARE_STAFF"], ward.gid(ward.elder_a), **SLOW_HEART)

    result = await record(reading("T-WB-A", "HEART_RATE", 45, 0), reading("T-WB-A", "HEART_RATE", 34, 1))

    assert [(a["kind"], a["severity"], a["count"]) for a in result["alertsRaised"]] == [
        ("VITAL_OUT_OF_RANGE", "CRITICAL", 1)
    ]


@pytest.mark.parametrize(
    ("kind", "band", "reason", "code"),
    [
        ("HEART_RATE", {"cl": 50, "wl": 45}, "调整", "THRESHOLDS_NOT_ORDERED"),  # the old CHECK
        ("HEART_RATE", {"wl": 60, "wh": 55}, "调整", "THRESHOLDS_NOT_ORDERED"),  # the old CHECK
        ("HEART_RATE", {"cl": 120, "ch": 100}, "调整", "THRESHOLDS_NOT_ORDERED"),  # the new one
        ("HEART_RATE", {"wl": 130, "ch": 120}, "调整", "THRESHOLDS_NOT_ORDERED"),  # the new one
        ("HEART_RATE", {}, "调整", "THRESHOLD_EMPTY"),
        ("HEART_RATE", {"ch": 400}, "调整", "THRESHOLD_OUT_OF_RANGE"),
        ("SPO2", {"cl": -1}, "调整", "THRESHOLD_OUT_OF_RANGE"),
        ("MOTION", {"wl": 1}, "调整", "NOT_A_VITAL"),
        ("HEART_RATE", SLOW_HEART, "  ", "REASON_REQUIRED"),
        ("HEART_RATE", SLOW_HEART, "长" * 501, "REASON_REQUIRED"),
    ],
)
async def test_a_refused_band_changes_nothing(gql, session, ward, kind, band, reason, code):
    answer = await set_band(
        gql, ward.tokens["CARE_STAFF"], ward.gid(ward.elder_a), kind=kind, reason=reason, **band
    )

    assert (answer["__typename"], answer["code"]) == ("RuleViolation", code)
    assert answer["message"]
    assert await own_band(session, ward.elder_a, kind) is None
    assert await changes(session, ward.elder_a) == []
    assert (
        await session.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == "vital_threshold.set")
        )
        == 0
    )


async def test_clearing_a_band_the_elder_does_not_have_is_refused(gql, session, ward):
    answer = await call(
        gql,
        CLEAR,
        ward.tokens["CARE_STAFF"],
        "vitalThresholdClear",
        e=ward.gid(ward.elder_a),
        k="SPO2",
        r="无",
    )

    assert (answer["__typename"], answer["code"]) == ("RuleViolation", "THRESHOLD_NOT_SET")
    assert await changes(session, ward.elder_a) == []


async def test_another_communitys_staff_and_office_find_no_such_elder(gql, session, ward, haichuang_office):
    for token in (ward.tokens["CARE_STAFF_HAICHUANG"], haichuang_office):
        answer = await set_band(gql, token, ward.gid(ward.elder_a), **SLOW_HEART)
        cleared = await call(
            gql, CLEAR, token, "vitalThresholdClear", e=ward.gid(ward.elder_a), k="SPO2", r="无"
        )
        assert (answer["code"], cleared["code"]) == ("NOT_FOUND", "NOT_FOUND")
    # … and their own elder is theirs
    theirs = await set_band(gql, haichuang_office, ward.gid(ward.elder_b), **SLOW_HEART)
    assert theirs["__typename"] == "VitalThresholdChange"
    assert await own_band(session, ward.elder_a) is None


@pytest.mark.parametrize("role", ["RESIDENT", "DEVICE_GATEWAY", "CHILDCARE_STAFF", "MAKERSPACE_STAFF"])
async def test_other_roles_are_forbidden(gql, ward, role):
    variables = {"e": ward.gid(ward.elder_a), "k": "HEART_RATE", "r": "调整", **SLOW_HEART}
    body = await gql(SET, variables, token=ward.tokens[role])

    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


# ── carePolicyUpdate ──────────────────────────────────────────────────────────


async def test_admin_changes_the_policy_and_the_jobs_follow(db, gql, session, ward, clock):
    answer = await call(
        gql,
        POLICY,
        ward.tokens["ADMIN"],
        "carePolicyUpdate",
        input={"deviceOfflineMinutes": 10, "dayStartsAt": "06:30", "criticalLevel1Minutes": 3},
    )

    assert answer == {
        "__typename": "CarePolicy",
        "inactivityHours": 4,
        "dayStartsAt": "06:30",
        "dayEndsAt": "22:00",
        "deviceOfflineMinutes": 10,
        "criticalLevel1Minutes": 3,
        "criticalLevel2Minutes": 15,
        "warningLevel1Minutes": 30,
    }
    audit = await session.scalar(select(AuditLog).where(AuditLog.action == "care_policy.update"))
    assert (audit.before["deviceOfflineMinutes"], audit.after["deviceOfflineMinutes"]) == (30, 10)
    # The wristband, last seen 09:55, is offline at 10:05 under the new policy (30 minutes before)
    clock.now = WEDNESDAY_10 + timedelta(minutes=5)
    await run_jobs_once(session_factory=db, now=clock.now)
    alerts = await gql(
        "{ careAlerts(first: 20) { edges { node { kind summary } } } }", token=ward.tokens["CARE_STAFF"]
    )
    summaries = [
        e["node"]["summary"]
        for e in alerts["data"]["careAlerts"]["edges"]
        if e["node"]["kind"] == "DEVICE_OFFLINE"
    ]
    assert any("T-WB-A" in summary for summary in summaries), summaries


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"inactivityHours": 0}, "POLICY_INACTIVITY_HOURS"),
        ({"inactivityHours": 25}, "POLICY_INACTIVITY_HOURS"),
        ({"inactivityHours": 100000}, "POLICY_INACTIVITY_HOURS"),  # beyond smallint: still the rule's code
        ({"dayStartsAt": "23:00"}, "POLICY_DAY_ORDER"),  # after 22:00, the day's end
        ({"dayStartsAt": "7:00"}, "INVALID_TIME_OF_DAY"),
        ({"dayEndsAt": "24:00"}, "INVALID_TIME_OF_DAY"),
        ({"deviceOfflineMinutes": 0}, "POLICY_OFFLINE_MINUTES"),
        ({"criticalLevel1Minutes": 15}, "POLICY_ESCALATION_ORDER"),  # not before level 2 (15)
        ({"criticalLevel1Minutes": 0}, "POLICY_ESCALATION_ORDER"),
        ({"warningLevel1Minutes": -5}, "POLICY_ESCALATION_ORDER"),
    ],
)
async def test_an_insane_policy_is_refused_by_the_database_and_changes_nothing(
    gql, session, ward, change, code
):
    answer = await call(gql, POLICY, ward.tokens["ADMIN"], "carePolicyUpdate", input=change)

    assert (answer["__typename"], answer["code"]) == ("RuleViolation", code)
    assert answer["message"]
    policy = await session.scalar(select(CarePolicy).execution_options(populate_existing=True))
    assert (policy.inactivity_hours, policy.device_offline_minutes, policy.critical_level1_minutes) == (
        4,
        30,
        5,
    )
    assert (
        await session.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == "care_policy.update")
        )
        == 0
    )


@pytest.mark.parametrize("role", ["CARE_STAFF", "COMMUNITY_ADMIN", "RESIDENT", "DEVICE_GATEWAY"])
async def test_only_admin_changes_the_policy(gql, ward, role):
    body = await gql(POLICY, {"input": {"inactivityHours": 5}}, token=ward.tokens[role])

    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
