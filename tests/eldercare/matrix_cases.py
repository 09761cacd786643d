"""The authorization matrix's rows of elder care: health data of elder A, and acting on A's care.

Read by tests/security/matrix.py (the table) and tests/security/test_authorization_matrix.py (which
runs every cell); the world the runners act on is built in tests/security/conftest.py.
"""

from datetime import timedelta

from sqlalchemy import update

from models.eldercare import Elder, ElderConsent
from schema.common import encode_global_id
from tests.security.calls import (
    Call,
    Runner,
    mutate,
    node_outcome,
    outcome_of,
    query_over_websocket,
    refusal,
    registrar,
    subscribe,
)
from tests.security.conftest import WRISTBAND_A
from tests.security.rows import (
    ELDER_CARE,
    EMPTY,
    FORBIDDEN,
    NOT_FOUND,
    NULL,
    OK,
    UNAUTH,
    Row,
    by_caller,
)

# Health data of elder A: A's care staff, A's consenting family, admin.
ELDER_A_NODE = by_caller(NULL, family=OK, care_staff=OK, admin=OK)
ELDER_A_LIST = by_caller(EMPTY, anonymous=UNAUTH, family=OK, care_staff=OK, admin=OK)
# Acting on elder A's care: A's care staff and admin; care staff elsewhere find nothing to act on.
CARE_ACTION = by_caller(FORBIDDEN, anonymous=UNAUTH, care_staff=OK, care_staff_other=NOT_FOUND, admin=OK)
# Running elder A's record (consent, family links): the care staff and the office of A's community,
# and admin; their peers of another community find nothing to act on.
ELDER_OFFICE = by_caller(
    FORBIDDEN,
    anonymous=UNAUTH,
    care_staff=OK,
    care_staff_other=NOT_FOUND,
    community_admin=OK,
    community_admin_other=NOT_FOUND,
    admin=OK,
)
# The histories the elder-care office keeps (an elder's bands, a device's assignments): A's care
# staff and admin; A's family, who see A, get null for them (the office of A's community reads
# Device.assignments in the device mutations' answers: it sees no Elder).
HISTORY_OF_A = by_caller(NULL, family=EMPTY, care_staff=OK, admin=OK)
# Writing readings: device gateways and admin.
GATEWAY_ONLY = by_caller(FORBIDDEN, anonymous=UNAUTH, gateway=OK, admin=OK)
# Running A's community's devices and A's own vital bands: its care staff and office, and admin;
# the staff and office of another community find nothing to act on.
CARE_OFFICE_ACTION = by_caller(
    FORBIDDEN,
    anonymous=UNAUTH,
    care_staff=OK,
    care_staff_other=NOT_FOUND,
    community_admin=OK,
    community_admin_other=NOT_FOUND,
    admin=OK,
)

ROWS: dict[str, tuple[Row, ...]] = {
    ELDER_CARE: (
        Row("elders", "`elders`: elder A", ("Query.elders",), ELDER_A_LIST, logged=True),
        Row("care_alerts", "`careAlerts`: A's alert", ("Query.careAlerts",), ELDER_A_LIST, logged=True),
        Row(
            "care_dashboard",
            "`careDashboard` of A's community",
            ("Query.careDashboard",),
            by_caller(FORBIDDEN, anonymous=UNAUTH, care_staff=OK, care_staff_other=EMPTY, admin=OK),
            logged=True,
        ),
        Row("node_elder", "`node` → Elder A", ("Query.node:Elder",), ELDER_A_NODE, logged=True),
        Row(
            "elders_over_websocket",
            "`elders { latestVitals }` asked over the WebSocket",
            ("Query.elders", "Elder.latestVitals"),
            ELDER_A_LIST,
            logged=True,
        ),
        Row(
            "elder_latest_vitals",
            "`Elder.latestVitals` of A",
            ("Elder.latestVitals",),
            ELDER_A_NODE,
            logged=True,
        ),
        Row("elder_alerts", "`Elder.alerts` of A", ("Elder.alerts",), ELDER_A_NODE, logged=True),
        Row("elder_visits", "`Elder.visits` of A", ("Elder.visits",), ELDER_A_NODE, logged=True),
        Row("elder_devices", "`Elder.devices` of A", ("Elder.devices",), ELDER_A_NODE, logged=True),
        # Not checked in the log column: the family's cell reads A (logged) but not the history;
        # tests/eldercare/test_histories.py checks what these reads log.
        Row(
            "elder_threshold_history",
            "`Elder.thresholdHistory` of A",
            ("Elder.thresholdHistory",),
            HISTORY_OF_A,
        ),
        Row(
            "device_assignments",
            "`Device.assignments` of A's wristband (through `Elder.devices`)",
            ("Device.assignments",),
            HISTORY_OF_A,
        ),
        Row(
            "node_care_alert",
            "`node` → CareAlert of A",
            ("Query.node:CareAlert",),
            ELDER_A_NODE,
            logged=True,
        ),
        Row(
            "node_care_visit",
            "`node` → CareVisit of A",
            ("Query.node:CareVisit",),
            ELDER_A_NODE,
            logged=True,
        ),
        Row(
            "care_alert_events",
            "`careAlertEvents` (WebSocket): A's events",
            ("Subscription.careAlertEvents",),
            ELDER_A_LIST,
            logged=True,
        ),
        Row(
            "readings_record",
            "`readingsRecord` for A's wristband",
            ("Mutation.readingsRecord",),
            GATEWAY_ONLY,
        ),
        Row(
            "alerts_raised",
            "`readingsRecord { alertsRaised }`",
            ("ReadingsRecorded.alertsRaised",),
            GATEWAY_ONLY,
            logged=True,
        ),
        Row(
            "alerts_raised_elder",
            "`readingsRecord { alertsRaised { elder { latestVitals visits } } }`",
            ("CareAlert.elder",),
            by_caller(FORBIDDEN, anonymous=UNAUTH, admin=OK),
            logged=True,
        ),
        Row(
            "care_alert_acknowledge",
            "`careAlertAcknowledge` of A's alert",
            ("Mutation.careAlertAcknowledge",),
            CARE_ACTION,
            logged=True,
        ),
        Row(
            "care_alert_resolve",
            "`careAlertResolve` of A's alert",
            ("Mutation.careAlertResolve",),
            CARE_ACTION,
            logged=True,
        ),
        Row("care_visit_log", "`careVisitLog` for A", ("Mutation.careVisitLog",), CARE_ACTION, logged=True),
        Row(
            "elder_register",
            "`elderRegister` in the caller's own community (admin names community 1)",
            ("Mutation.elderRegister",),
            by_caller(
                FORBIDDEN,
                anonymous=UNAUTH,
                care_staff=OK,
                care_staff_other=OK,
                community_admin=OK,
                community_admin_other=OK,
                admin=OK,
            ),
        ),
        Row(
            "device_register",
            "`deviceRegister` (in the caller's own community; admin names community 1)",
            ("Mutation.deviceRegister",),
            by_caller(
                FORBIDDEN,
                anonymous=UNAUTH,
                care_staff=OK,
                care_staff_other=OK,
                community_admin=OK,
                community_admin_other=OK,
                admin=OK,
            ),
        ),
        Row("elder_update", "`elderUpdate` of A", ("Mutation.elderUpdate",), ELDER_OFFICE),
        Row("consent_withdraw", "`consentWithdraw` of A", ("Mutation.consentWithdraw",), ELDER_OFFICE),
        Row(
            "consent_record",
            "`consentRecord` for A, after a withdrawal",
            ("Mutation.consentRecord",),
            ELDER_OFFICE,
        ),
        Row(
            "family_link_add",
            "`familyLinkAdd`: A's nephew (consent revoked) again",
            ("Mutation.familyLinkAdd",),
            ELDER_OFFICE,
        ),
        Row(
            "family_link_remove",
            "`familyLinkRemove`: A's daughter",
            ("Mutation.familyLinkRemove",),
            ELDER_OFFICE,
        ),
        Row(
            "device_assign",
            "`deviceAssign` of community 1's free device to A",
            ("Mutation.deviceAssign",),
            CARE_OFFICE_ACTION,
            logged=True,
        ),
        Row(
            "device_unassign",
            "`deviceUnassign` of A's wristband",
            ("Mutation.deviceUnassign",),
            CARE_OFFICE_ACTION,
        ),
        Row(
            "device_retire", "`deviceRetire` of A's wristband", ("Mutation.deviceRetire",), CARE_OFFICE_ACTION
        ),
        Row(
            "vital_threshold_set",
            "`vitalThresholdSet` of A's heart rate",
            ("Mutation.vitalThresholdSet",),
            CARE_OFFICE_ACTION,
            logged=True,
        ),
        Row(
            "vital_threshold_clear",
            "`vitalThresholdClear` of A's own SpO2 band",
            ("Mutation.vitalThresholdClear",),
            CARE_OFFICE_ACTION,
            logged=True,
        ),
        Row(
            "care_policy_update",
            "`carePolicyUpdate`",
            ("Mutation.carePolicyUpdate",),
            by_caller(FORBIDDEN, anonymous=UNAUTH, admin=OK),
        ),
    ),
}

# Nested fields the issue names as sensitive: each needs a row of its own (or a row through it).
SENSITIVE = {
    "Elder.latestVitals",
    "Elder.alerts",
    "Elder.visits",
    "Elder.devices",
    "Elder.thresholdHistory",
    "Device.assignments",
}

RUNNERS: dict[str, Runner] = {}
runner = registrar(RUNNERS)

# Which of the world's two elders each caller may see: the table's policy applied to elder B too,
# so that a list that is `empty` of A cannot hide a leak of B.
MAY_SEE_ELDERS = {"family": {"A"}, "care_staff": {"A"}, "care_staff_other": {"B"}, "admin": {"A", "B"}}


def elders_outcome(call: Call, seen_ids: set[str]) -> str:
    """`ok` when elder A is among those seen, `empty` when not; whoever sees an elder the policy
    keeps from them gets a mismatch naming it."""
    names = {call.world.ids["elder_a"]: "A", call.world.ids["elder_b"]: "B"}
    seen = {names[elder] for elder in seen_ids if elder in names}
    if beyond := seen - MAY_SEE_ELDERS.get(call.caller, set()):
        return f"sees elder {', '.join(sorted(beyond))}"
    return OK if "A" in seen else EMPTY


ELDERS = "{ elders(first: 100) { edges { node { id name age livesAlone } } } }"
CARE_ALERTS = "{ careAlerts(first: 100) { edges { node { id summary elder { id } } } } }"
DASHBOARD = """query($community: ID) { careDashboard(communityId: $community) {
  openCritical openWarning overdueUnacknowledged eldersMonitored devicesOffline } }"""
RECORD = """mutation($r: [ReadingInput!]!) { readingsRecord(readings: $r) { __typename
  ... on ReadingsRecorded { accepted %s } ... on InvalidReadings { code } } }"""
ACKNOWLEDGE = """mutation($id: ID!) { careAlertAcknowledge(id: $id) { __typename
  ... on CareAlert { id status summary elder { id } } ... on DomainError { code } } }"""
RESOLVE = """mutation($id: ID!) { careAlertResolve(id: $id, note: "已上门查看，复测正常") { __typename
  ... on CareAlert { id status summary elder { id } } ... on DomainError { code } } }"""
VISIT_LOG = """mutation($input: CareVisitLogInput!) { careVisitLog(input: $input) { __typename
  ... on CareVisit { id note elder { id } } ... on DomainError { code } } }"""
EVENTS = """subscription($after: Int) { careAlertEvents(afterSequence: $after) {
  sequence type alert { id summary elder { id } } } }"""


@runner("elders")
async def elders(call: Call) -> str:
    return outcome_of(
        await call.query(ELDERS),
        "elders",
        lambda page: elders_outcome(call, {edge["node"]["id"] for edge in page["edges"]}),
    )


@runner("elders_over_websocket")
async def elders_over_websocket(call: Call) -> str:
    query = "{ elders(first: 100) { edges { node { id latestVitals { kind value } } } } }"
    return outcome_of(
        await query_over_websocket(call, query, {}),
        "elders",
        lambda page: elders_outcome(call, {edge["node"]["id"] for edge in page["edges"]}),
    )


@runner("care_alerts")
async def care_alerts(call: Call) -> str:
    return outcome_of(
        await call.query(CARE_ALERTS),
        "careAlerts",
        lambda page: elders_outcome(call, {edge["node"]["elder"]["id"] for edge in page["edges"]}),
    )


@runner("care_dashboard")
async def care_dashboard(call: Call) -> str:
    def judge(board: dict) -> str:
        if not any(board.values()):
            return EMPTY
        return OK if board["openCritical"] == 1 and board["eldersMonitored"] == 1 else str(board)

    return outcome_of(
        await call.query(DASHBOARD, community=call.world.ids["community"]), "careDashboard", judge
    )


def elder_a_node(selection: str, nested: str | None = None) -> Runner:
    """node(id: A) with `selection` on Elder: `ok` when it answers (with the `nested` list filled)."""

    async def run(call: Call) -> str:
        def judge(elder: dict) -> str:
            return OK if nested is None or elder[nested] else EMPTY

        return await node_outcome(call, call.world.ids["elder_a"], f"... on Elder {{ {selection} }}", judge)

    return run


RUNNERS["node_elder"] = elder_a_node("name age livesAlone")
RUNNERS["elder_latest_vitals"] = elder_a_node("latestVitals { kind value measuredAt }", "latestVitals")
RUNNERS["elder_alerts"] = elder_a_node("alerts { id summary }", "alerts")
RUNNERS["elder_visits"] = elder_a_node("visits { id note }", "visits")
RUNNERS["elder_devices"] = elder_a_node("devices { serial kind }", "devices")


# A field withheld from the caller is answered null: `empty` (the elder is seen, not the field).


@runner("elder_threshold_history")
async def elder_threshold_history(call: Call) -> str:
    def judge(elder: dict) -> str:
        history = elder["thresholdHistory"]
        return EMPTY if history is None else OK if history else "[]"

    selection = "... on Elder { thresholdHistory { kind reason after { warningLow } } }"
    return await node_outcome(call, call.world.ids["elder_a"], selection, judge)


@runner("device_assignments")
async def device_assignments(call: Call) -> str:
    def judge(elder: dict) -> str:
        (wristband,) = [device for device in elder["devices"] if device["serial"] == WRISTBAND_A]
        if wristband["assignments"] is None:
            return EMPTY
        held = [row["elderId"] for row in wristband["assignments"]]
        return OK if held == [call.world.ids["elder_a"]] else str(held)

    selection = "... on Elder { devices { serial assignments { elderId assignedAt unassignedAt } } }"
    return await node_outcome(call, call.world.ids["elder_a"], selection, judge)


@runner("node_care_alert")
async def node_care_alert(call: Call) -> str:
    return await node_outcome(call, call.world.ids["alert_a"], "... on CareAlert { summary elder { id } }")


@runner("node_care_visit")
async def node_care_visit(call: Call) -> str:
    return await node_outcome(call, call.world.ids["visit_a"], "... on CareVisit { note elder { id } }")


@runner("care_alert_events")
async def care_alert_events(call: Call) -> str:
    """The events after the world's are replayed; the cell is done when the server waits for news
    (it has sent all this caller may see) and nothing more is in flight."""
    feed = call.app.state.services.alert_feed
    feed.caught_up.clear()
    variables = {"after": call.world.after_sequence}
    answer = await subscribe(
        call, EVENTS, variables, lambda received, quiet: quiet and feed.caught_up.is_set()
    )
    if isinstance(answer, str):
        return answer
    return elders_outcome(call, {event["careAlertEvents"]["alert"]["elder"]["id"] for event in answer})


async def record_heart_rate(call: Call, selection: str) -> dict:
    """A critical heart rate from A's wristband: it raises an alert for A."""
    measured = (call.world.now - timedelta(minutes=5)).isoformat()
    reading = {"deviceId": WRISTBAND_A, "kind": "HEART_RATE", "value": 150, "measuredAt": measured}
    return await call.query(RECORD % selection, r=[reading])


@runner("readings_record")
async def readings_record(call: Call) -> str:
    body = await record_heart_rate(call, "")
    return outcome_of(
        body, "readingsRecord", lambda result: OK if result.get("accepted") == 1 else str(result)
    )


@runner("alerts_raised")
async def alerts_raised(call: Call) -> str:
    body = await record_heart_rate(call, "alertsRaised { id kind severity summary }")
    return outcome_of(body, "readingsRecord", lambda result: OK if result["alertsRaised"] else EMPTY)


@runner("alerts_raised_elder")
async def alerts_raised_elder(call: Call) -> str:
    body = await record_heart_rate(
        call, "alertsRaised { elder { id latestVitals { kind value } visits { note } } }"
    )
    raised = ((body.get("data") or {}).get("readingsRecord") or {}).get("alertsRaised") or []
    elders_read = [alert["elder"] for alert in raised if alert and alert.get("elder")]
    if any(elder["latestVitals"] or elder["visits"] for elder in elders_read):
        return OK  # A's vitals or visit notes reached the caller, errors or not
    return refusal(body) or EMPTY


@runner("care_alert_acknowledge")
async def care_alert_acknowledge(call: Call) -> str:
    return await mutate(call, ACKNOWLEDGE, "careAlertAcknowledge", "CareAlert", id=call.world.ids["alert_a"])


@runner("care_alert_resolve")
async def care_alert_resolve(call: Call) -> str:
    return await mutate(call, RESOLVE, "careAlertResolve", "CareAlert", id=call.world.ids["alert_a"])


@runner("care_visit_log")
async def care_visit_log(call: Call) -> str:
    visit = {
        "elderId": call.world.ids["elder_a"],
        "kind": "CALL",
        "note": "电话回访，一切正常",
        "visitedAt": (call.world.now - timedelta(minutes=10)).isoformat(),
    }
    return await mutate(call, VISIT_LOG, "careVisitLog", "CareVisit", input=visit)


# ── Running elder A's record ──────────────────────────────────────────────────

RECORD_RESULT = "__typename ... on ElderRecord { id monitored } ... on DomainError { code }"
LINK_RESULT = "__typename ... on FamilyLink { personId endedAt } ... on DomainError { code }"
ELDER_REGISTER = f"mutation($i: ElderRegisterInput!) {{ elderRegister(input: $i) {{ {RECORD_RESULT} }} }}"
ELDER_UPDATE = f"""mutation($id: ID!) {{
  elderUpdate(id: $id, input: {{address: "矩阵路 1 号"}}) {{ {RECORD_RESULT} }} }}"""
CONSENT_WITHDRAW = f"""mutation($e: ID!) {{
  consentWithdraw(elderId: $e, reason: "矩阵：本人撤回") {{ {RECORD_RESULT} }} }}"""
CONSENT_RECORD = f"""mutation($e: ID!) {{
  consentRecord(elderId: $e, consent: {{givenBy: ELDER, reference: "矩阵-2"}}) {{ {RECORD_RESULT} }} }}"""
LINK_ADD = f"""mutation($e: ID!, $p: String!) {{
  familyLinkAdd(elderId: $e, phone: $p, relationship: "侄子", consentReference: "矩阵-S") {{
    {LINK_RESULT} }} }}"""
LINK_REMOVE = (
    f"""mutation($e: ID!, $p: ID!) {{ familyLinkRemove(elderId: $e, personId: $p) {{ {LINK_RESULT} }} }}"""
)


@runner("elder_register")
async def elder_register(call: Call) -> str:
    elder = {
        "name": "矩阵新老人",
        "birthDate": "1950-06-01",
        "consent": {"givenBy": "ELDER", "reference": "矩阵-1"},
    }
    if call.caller == "admin":
        elder["communityId"] = call.world.ids["community"]
    return await mutate(call, ELDER_REGISTER, "elderRegister", "ElderRecord", i=elder)


@runner("elder_update")
async def elder_update(call: Call) -> str:
    return await mutate(call, ELDER_UPDATE, "elderUpdate", "ElderRecord", id=call.world.ids["elder_a"])


@runner("consent_withdraw")
async def consent_withdraw(call: Call) -> str:
    return await mutate(call, CONSENT_WITHDRAW, "consentWithdraw", "ElderRecord", e=call.world.ids["elder_a"])


@runner("consent_record")
async def consent_record(call: Call) -> str:
    elder_id = call.world.elders["A"]
    async with call.sessions() as session:
        await session.execute(
            update(ElderConsent)
            .where(ElderConsent.elder_id == elder_id, ElderConsent.withdrawn_at.is_(None))
            .values(withdrawn_at=call.world.now, withdrawal_reason="矩阵：已撤回")
        )
        await session.execute(
            update(Elder).where(Elder.id == elder_id).values(monitoring_ended_at=call.world.now)
        )
        await session.commit()
    return await mutate(call, CONSENT_RECORD, "consentRecord", "ElderRecord", e=call.world.ids["elder_a"])


@runner("family_link_add")
async def family_link_add(call: Call) -> str:
    nephew = call.world.people["family_no_consent"].phone
    return await mutate(call, LINK_ADD, "familyLinkAdd", "FamilyLink", e=call.world.ids["elder_a"], p=nephew)


@runner("family_link_remove")
async def family_link_remove(call: Call) -> str:
    daughter = encode_global_id("Person", call.world.people["family"].person_id)
    return await mutate(
        call, LINK_REMOVE, "familyLinkRemove", "FamilyLink", e=call.world.ids["elder_a"], p=daughter
    )


# The elder-care office: devices, A's own bands, the care policy ------------------

DEVICE_RESULT = "__typename ... on Device { id elderId retiredAt } ... on DomainError { code }"
DEVICE_REGISTER = f"mutation($i: DeviceRegisterInput!) {{ deviceRegister(input: $i) {{ {DEVICE_RESULT} }} }}"
DEVICE_ASSIGN = (
    f"mutation($d: ID!, $e: ID!) {{ deviceAssign(deviceId: $d, elderId: $e) {{ {DEVICE_RESULT} }} }}"
)
DEVICE_UNASSIGN = f"mutation($d: ID!) {{ deviceUnassign(deviceId: $d) {{ {DEVICE_RESULT} }} }}"
DEVICE_RETIRE = (
    f'mutation($d: ID!) {{ deviceRetire(deviceId: $d, reason: "矩阵：回收") {{ {DEVICE_RESULT} }} }}'
)
THRESHOLD_RESULT = (
    "__typename ... on VitalThresholdChange { id after { criticalLow } } ... on DomainError { code }"
)
THRESHOLD_SET = f"""mutation($e: ID!) {{ vitalThresholdSet(elderId: $e, kind: HEART_RATE, criticalLow: 35,
  warningLow: 42, reason: "矩阵：服药") {{ {THRESHOLD_RESULT} }} }}"""
THRESHOLD_CLEAR = f"""mutation($e: ID!) {{ vitalThresholdClear(elderId: $e, kind: SPO2,
  reason: "矩阵：停药") {{ {THRESHOLD_RESULT} }} }}"""
POLICY_UPDATE = """mutation { carePolicyUpdate(input: {deviceOfflineMinutes: 20}) { __typename
  ... on CarePolicy { deviceOfflineMinutes } ... on DomainError { code } } }"""


@runner("device_register")
async def device_register(call: Call) -> str:
    device = {"serial": f"MATRIX-NEW-{call.caller}".upper().replace("_", "-"), "kind": "SOS_BUTTON"}
    if call.caller == "admin":  # the admin belongs to no community: it names one
        device["communityId"] = call.world.ids["community"]
    return await mutate(call, DEVICE_REGISTER, "deviceRegister", "Device", i=device)


@runner("device_assign")
async def device_assign(call: Call) -> str:
    ids = call.world.ids
    return await mutate(call, DEVICE_ASSIGN, "deviceAssign", "Device", d=ids["free_device"], e=ids["elder_a"])


@runner("device_unassign")
async def device_unassign(call: Call) -> str:
    return await mutate(call, DEVICE_UNASSIGN, "deviceUnassign", "Device", d=call.world.ids["device_a"])


@runner("device_retire")
async def device_retire(call: Call) -> str:
    return await mutate(call, DEVICE_RETIRE, "deviceRetire", "Device", d=call.world.ids["device_a"])


@runner("vital_threshold_set")
async def vital_threshold_set(call: Call) -> str:
    return await mutate(
        call, THRESHOLD_SET, "vitalThresholdSet", "VitalThresholdChange", e=call.world.ids["elder_a"]
    )


@runner("vital_threshold_clear")
async def vital_threshold_clear(call: Call) -> str:
    return await mutate(
        call, THRESHOLD_CLEAR, "vitalThresholdClear", "VitalThresholdChange", e=call.world.ids["elder_a"]
    )


@runner("care_policy_update")
async def care_policy_update(call: Call) -> str:
    return await mutate(call, POLICY_UPDATE, "carePolicyUpdate", "CarePolicy")
