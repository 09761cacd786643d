"""Statement-count cases of elder care: elders, alerts, readings, visits, the alert feed.

Run by tests/perf/test_statement_counts.py (see tests/perf/cases.py for what a case is).
"""

from datetime import date, datetime, timedelta
from functools import partial

from sqlalchemy import func, select

from models.eldercare import (
    LOINC,
    CareAlert,
    CareAlertEvent,
    CareVisit,
    Device,
    DeviceAssignment,
    Elder,
    ElderConsent,
    FamilyLink,
    Reading,
    VitalThreshold,
    VitalThresholdChange,
)
from models.people import Role
from tests.perf.cases import AliasSetup, Case, Run, World, edges, gid, node_query

# The rows the cases build -----------------------------------------------------


async def care_staff_id(w: World) -> int:
    """One care staff member per test, who logs the visits the cases make."""
    if "care_staff" not in w.memo:
        w.memo["care_staff"], _ = await w.person(Role.CARE_STAFF)
    return w.memo["care_staff"].id


async def add_elder(
    w: World,
    community_id: int,
    devices: int = 1,
    alerts: int = 0,
    visits: int = 0,
    vitals: int = 0,
    device_seen: datetime | None = None,
    bands: int = 0,
) -> tuple[Elder, list[Device], list[CareAlert]]:
    elder = Elder(name=f"老人{w.unique():03d}", birth_date=date(1940, 3, 1), community_id=community_id)
    w.session.add(elder)
    await w.session.flush()
    made = [
        Device(
            serial=f"PERF-{w.unique():05d}",
            kind="WRISTBAND",
            elder_id=elder.id,
            last_seen_at=device_seen,
        )
        for _ in range(devices)
    ]
    w.session.add_all(made)
    await w.session.flush()
    raised = [
        CareAlert(
            elder_id=elder.id,
            community_id=community_id,
            kind="SOS",
            dedup_key=f"perf:{elder.id}:{index}",
            severity="CRITICAL",
            status="OPEN",
            summary="紧急呼叫（SOS）",
            opened_at=w.now - timedelta(minutes=index + 1),
            last_seen_at=w.now - timedelta(minutes=index + 1),
        )
        for index in range(alerts)
    ]
    w.session.add_all(raised)
    staff_id = await care_staff_id(w) if visits else None
    w.session.add_all(
        CareVisit(
            elder_id=elder.id,
            staff_id=staff_id,
            kind="VISIT",
            note=f"上门探访 {index}",
            visited_at=w.now - timedelta(hours=index + 1),
        )
        for index in range(visits)
    )
    band = {"criticalLow": 38.0, "warningLow": 45.0, "warningHigh": None, "criticalHigh": None}
    changer = await care_staff_id(w) if bands else None
    w.session.add_all(
        VitalThresholdChange(
            elder_id=elder.id,
            kind="HEART_RATE",
            changed_by=changer,
            changed_at=w.now - timedelta(days=bands - index),
            reason=f"调整 {index}",
            before=None if index == 0 else band,
            after=band,
        )
        for index in range(bands)
    )
    kinds = list(LOINC)
    w.session.add_all(
        Reading(
            device_id=made[0].id,
            elder_id=elder.id,
            kind=kinds[index % len(kinds)].value,
            value=36.6 if kinds[index % len(kinds)].value == "BODY_TEMPERATURE" else 80,
            loinc=LOINC[kinds[index % len(kinds)]],
            measured_at=w.now - timedelta(minutes=index + 1),
        )
        for index in range(vitals)
    )
    await w.session.flush()
    return elder, made, raised


# Query ----------------------------------------------------------------------

ELDERS = """
query($community: ID!) { elders(communityId: $community, first: 50) {
  pageInfo { hasNextPage endCursor }
  edges { cursor node {
    id name age livesAlone
    community { id name }
    devices { id serial kind lastSeenAt }
    alerts { id kind severity status }
    openAlerts: alerts(status: [OPEN]) { id }
    latestVitals { kind value unit loinc measuredAt }
    visits { id kind note visitedAt } } } } }
"""


async def elders(w: World, n: int) -> Run:
    community = await w.new_community()
    for _ in range(n):
        await add_elder(w, community, devices=2, alerts=2, visits=2, vitals=2)
    await w.commit()
    return Run({"community": gid("Community", community)}, w.tokens["ADMIN"])


CARE_ALERTS = """
query($community: ID!) { careAlerts(communityId: $community, first: 50) {
  totalCount
  pageInfo { hasNextPage endCursor }
  edges { cursor node {
    id kind severity status summary count openedAt lastSeenAt escalationLevel
    elder { id name community { id name } devices { serial } } } } } }
"""


async def care_alerts(w: World, n: int) -> Run:
    community = await w.new_community()
    for _ in range(n):
        await add_elder(w, community, alerts=1)
    await w.commit()
    return Run({"community": gid("Community", community)}, w.tokens["ADMIN"])


DASHBOARD = """
query($community: ID!) { careDashboard(communityId: $community) {
  openCritical openWarning overdueUnacknowledged eldersMonitored devicesOffline } }
"""


async def care_dashboard(w: World, n: int) -> Run:
    community = await w.new_community()
    for _ in range(n):
        await add_elder(w, community, alerts=1, device_seen=w.now - timedelta(days=1))
    await w.commit()
    return Run({"community": gid("Community", community)}, w.tokens["ADMIN"])


async def node_elder(w: World, n: int) -> Run:
    elder, _, _ = await add_elder(
        w, await w.new_community(), devices=n, alerts=n, visits=n, vitals=n, bands=n
    )
    await w.commit()
    return Run({"id": gid("Elder", elder.id)}, w.tokens["ADMIN"])


async def node_care_alert(w: World, n: int) -> Run:
    _, _, alerts = await add_elder(w, await w.new_community(), devices=n, alerts=n, visits=n, vitals=n)
    await w.commit()
    return Run({"id": gid("CareAlert", alerts[0].id)}, w.tokens["ADMIN"])


async def node_care_visit(w: World, n: int) -> Run:
    elder, _, _ = await add_elder(w, await w.new_community(), devices=n, alerts=n, visits=n, vitals=n)
    await w.commit()
    visit = await w.session.scalar(select(CareVisit.id).where(CareVisit.elder_id == elder.id).limit(1))
    return Run({"id": gid("CareVisit", visit)}, w.tokens["ADMIN"])


# Mutation ---------------------------------------------------------------------

READINGS_RECORD = """
mutation($r: [ReadingInput!]!) { readingsRecord(readings: $r) {
  __typename
  ... on ReadingsRecorded { accepted duplicates rejected { index deviceId code message }
    alertsRaised { id kind severity status count summary
      elder { id name community { id name } devices { serial } alerts { id } visits { id }
              latestVitals { kind } } } }
  ... on InvalidReadings { code message rejected { index code } } } }
"""


async def readings_record(w: World, n: int) -> Run:
    readings = []
    for index in range(n):  # one elder (in a community of its own) each: every reading raises an alert
        _, (device,), _ = await add_elder(w, await w.new_community(), visits=1)
        measured = w.now - timedelta(minutes=2, seconds=index)
        readings.append(
            {
                "deviceId": device.serial,
                "kind": "HEART_RATE",
                "value": 150,
                "measuredAt": measured.isoformat(),
            }
        )
        readings.append(
            {"deviceId": device.serial, "kind": "SPO2", "value": 97, "measuredAt": measured.isoformat()}
        )
    await w.commit()
    # An administrator may follow the raised alerts to the elders (a gateway may not).
    return Run({"r": readings}, w.tokens["ADMIN"])


ALERT_RESULT = """
  __typename
  ... on CareAlert { id status acknowledgedAt resolvedAt resolutionNote
    elder { id name community { id name } alerts { id status } devices { serial }
            visits { id note } latestVitals { kind value } } }
  ... on DomainError { code message }
"""
ACKNOWLEDGE = f"mutation($id: ID!) {{ careAlertAcknowledge(id: $id) {{ {ALERT_RESULT} }} }}"
RESOLVE = f'mutation($id: ID!) {{ careAlertResolve(id: $id, note: "已电话确认平安") {{ {ALERT_RESULT} }} }}'


async def alert_of_nanmu_elder(w: World, n: int) -> Run:
    _, _, alerts = await add_elder(w, await w.community_id(), devices=2, alerts=n, visits=n, vitals=n)
    _, token = await w.person(Role.CARE_STAFF)
    return Run({"id": gid("CareAlert", alerts[0].id)}, token)


VISIT_LOG = """
mutation($input: CareVisitLogInput!) { careVisitLog(input: $input) {
  __typename
  ... on CareVisit { id kind note visitedAt
    elder { id name community { name } visits { id note } alerts { id } devices { serial } } }
  ... on DomainError { code message } } }
"""


async def care_visit_log(w: World, n: int) -> Run:
    elder, _, _ = await add_elder(w, await w.community_id(), alerts=n, visits=n)
    _, token = await w.person(Role.CARE_STAFF)
    variables = {
        "input": {
            "elderId": gid("Elder", elder.id),
            "kind": "CALL",
            "note": "电话问候，一切正常",
            "visitedAt": (w.now - timedelta(minutes=5)).isoformat(),
        }
    }
    return Run(variables, token)


# The elder-care office: devices, an elder's own bands, the care policy ------------

DEVICE_RESULT = """__typename
  ... on Device { id serial kind elderId assignedAt lastSeenAt retiredAt retiredReason community { id name }
                  assignments { elderId assignedAt unassignedAt } }
  ... on DomainError { code message }"""
DEVICE_REGISTER = f"""mutation($input: DeviceRegisterInput!) {{ deviceRegister(input: $input) {{
  {DEVICE_RESULT} }} }}"""
DEVICE_ASSIGN = (
    f"mutation($d: ID!, $e: ID!) {{ deviceAssign(deviceId: $d, elderId: $e) {{ {DEVICE_RESULT} }} }}"
)
DEVICE_UNASSIGN = f"mutation($d: ID!) {{ deviceUnassign(deviceId: $d) {{ {DEVICE_RESULT} }} }}"
DEVICE_RETIRE = f'mutation($d: ID!) {{ deviceRetire(deviceId: $d, reason: "已回收") {{ {DEVICE_RESULT} }} }}'


async def device_register(w: World, n: int) -> Run:
    _, token = await w.person(Role.CARE_STAFF)
    return Run({"input": {"serial": f"PERF-NEW-{w.unique():05d}", "kind": "WRISTBAND"}}, token)


async def device_with_history(w: World, n: int, *, assigned: bool) -> tuple[Device, Elder]:
    """A device of 南睦 given to `n` elders before (closed assignments), to one more now if
    `assigned` (and offline: an open DEVICE_OFFLINE alert), and an elder of 南睦 to give it to."""
    community = await w.community_id()
    elders = [(await add_elder(w, community, devices=0))[0] for _ in range(n + 1)]
    device = Device(serial=f"PERF-HIST-{w.unique():05d}", kind="WRISTBAND", community_id=community)
    w.session.add(device)
    await w.session.flush()
    w.session.add_all(
        DeviceAssignment(
            device_id=device.id,
            elder_id=elder.id,
            assigned_at=w.now - timedelta(days=index + 2),
            unassigned_at=w.now - timedelta(days=index + 1),
        )
        for index, elder in enumerate(elders[:n])
    )
    if assigned:
        w.session.add(DeviceAssignment(device_id=device.id, elder_id=elders[n].id, assigned_at=w.now))
        device.elder_id, device.assigned_at = elders[n].id, w.now
        # Silent: its open offline alert is what unassigning or retiring it resolves.
        w.session.add(
            CareAlert(
                elder_id=elders[n].id,
                community_id=community,
                kind="DEVICE_OFFLINE",
                reading_kind=device.serial,
                dedup_key=f"{elders[n].id}:DEVICE_OFFLINE:{device.serial}",
                severity="WARNING",
                summary=f"设备 {device.serial} 已离线超过 30 分钟",
                opened_at=w.now,
                last_seen_at=w.now,
            )
        )
    await w.commit()
    return device, elders[n]


def assignments_of(w: World, device: Device):
    return partial(w.count, DeviceAssignment, DeviceAssignment.device_id == device.id)


async def device_assign(w: World, n: int) -> Run:
    device, elder = await device_with_history(w, n, assigned=False)
    _, token = await w.person(Role.CARE_STAFF)
    variables = {"d": gid("Device", device.id), "e": gid("Elder", elder.id)}
    return Run(variables, token, count=assignments_of(w, device))


async def device_unassign(w: World, n: int) -> Run:
    device, _ = await device_with_history(w, n, assigned=True)
    _, token = await w.person(Role.COMMUNITY_ADMIN)
    return Run({"d": gid("Device", device.id)}, token, count=assignments_of(w, device))


async def device_retire(w: World, n: int) -> Run:
    device, _ = await device_with_history(w, n, assigned=True)
    _, token = await w.person(Role.CARE_STAFF)
    return Run({"d": gid("Device", device.id)}, token, count=assignments_of(w, device))


BAND = "criticalLow warningLow warningHigh criticalHigh"
THRESHOLD_RESULT = f"""__typename
  ... on VitalThresholdChange {{ id elderId kind reason changedAt changedById
    before {{ {BAND} }} after {{ {BAND} }} }}
  ... on DomainError {{ code message }}"""
THRESHOLD_SET = f"""mutation($e: ID!) {{ vitalThresholdSet(elderId: $e, kind: HEART_RATE, criticalLow: 35,
  warningLow: 42, warningHigh: 110, criticalHigh: 130, reason: "服用β受体阻滞剂") {{
  {THRESHOLD_RESULT} }} }}"""
THRESHOLD_CLEAR = f"""mutation($e: ID!) {{ vitalThresholdClear(elderId: $e, kind: HEART_RATE,
  reason: "停药") {{ {THRESHOLD_RESULT} }} }}"""


async def elder_with_band_history(w: World, n: int) -> Elder:
    """An elder of 南睦 whose heart-rate band was changed `n` times, the last one standing."""
    elder, _, _ = await add_elder(w, await w.community_id(), devices=0, bands=n)
    w.session.add(VitalThreshold(elder_id=elder.id, kind="HEART_RATE", critical_low=38, warning_low=45))
    await w.commit()
    return elder


def changes_of(w: World, elder: Elder):
    return partial(w.count, VitalThresholdChange, VitalThresholdChange.elder_id == elder.id)


async def vital_threshold_set(w: World, n: int) -> Run:
    elder = await elder_with_band_history(w, n)
    _, token = await w.person(Role.CARE_STAFF)
    return Run({"e": gid("Elder", elder.id)}, token, count=changes_of(w, elder))


async def vital_threshold_clear(w: World, n: int) -> Run:
    elder = await elder_with_band_history(w, n)
    _, token = await w.person(Role.COMMUNITY_ADMIN)
    return Run({"e": gid("Elder", elder.id)}, token, count=changes_of(w, elder))


CARE_POLICY_UPDATE = """mutation($m: Int!) {
  carePolicyUpdate(input: {deviceOfflineMinutes: $m, dayStartsAt: "06:30"}) {
  __typename
  ... on CarePolicy { inactivityHours dayStartsAt dayEndsAt deviceOfflineMinutes criticalLevel1Minutes
                      criticalLevel2Minutes warningLevel1Minutes }
  ... on DomainError { code message } } }"""


async def care_policy_update(w: World, n: int) -> Run:
    # A new value each run: a change to what the row holds already would write nothing.
    return Run({"m": 20 + w.unique()}, w.tokens["ADMIN"])


# Subscription ---------------------------------------------------------------------

ALERT_EVENTS = """
subscription($after: Int) { careAlertEvents(afterSequence: $after) {
  sequence type at
  alert { id kind severity status count elder { id name community { id name } } } } }
"""


async def care_alert_events(w: World, n: int) -> Run:
    """n alerts of n elders in n communities, each with an OPENED event, replayed after the sequence
    before them (the administrator sees every community; only these events come after it)."""
    after = await w.session.scalar(select(func.coalesce(func.max(CareAlertEvent.sequence), 0)))
    for _ in range(n):
        community = await w.new_community()
        elder, _, (alert,) = await add_elder(w, community, alerts=1)
        w.session.add(
            CareAlertEvent(
                alert_id=alert.id, elder_id=elder.id, community_id=community, type="OPENED", at=w.now
            )
        )
    await w.commit()
    return Run({"after": after}, w.tokens["ADMIN"], messages=n)


# The cases ----------------------------------------------------------------------


# Running elders (#17) ---------------------------------------------------------------

ELDER_RECORD = """__typename
  ... on ElderRecord { id name monitored emergencyContacts { name phone relationship }
  consent { givenBy reference givenAt withdrawnAt } } ... on DomainError { code message }"""
ELDER_REGISTER = f"mutation($i: ElderRegisterInput!) {{ elderRegister(input: $i) {{ {ELDER_RECORD} }} }}"
ELDER_UPDATE = (
    f"mutation($id: ID!, $i: ElderUpdateInput!) {{ elderUpdate(id: $id, input: $i) {{ {ELDER_RECORD} }} }}"
)
CONSENT_WITHDRAW = (
    f'mutation($e: ID!) {{ consentWithdraw(elderId: $e, reason: "撤回") {{ {ELDER_RECORD} }} }}'
)
CONSENT_RECORD = f"""mutation($e: ID!) {{
  consentRecord(elderId: $e, consent: {{givenBy: ELDER, reference: "P-NEW"}}) {{ {ELDER_RECORD} }} }}"""
LINK = "__typename ... on FamilyLink { personId relationship endedAt } ... on DomainError { code message }"
LINK_ADD = f"""mutation($e: ID!, $p: String!) {{
  familyLinkAdd(elderId: $e, phone: $p, relationship: "女儿", consentReference: "P-S") {{ {LINK} }} }}"""
LINK_REMOVE = f"mutation($e: ID!, $p: ID!) {{ familyLinkRemove(elderId: $e, personId: $p) {{ {LINK} }} }}"


def contacts(n: int) -> list[dict]:
    return [{"name": f"联系人{k}", "phone": f"1390000{k:04d}", "relationship": "子女"} for k in range(n)]


async def consented_elder(w: World, **made) -> Elder:
    elder, _, _ = await add_elder(w, await w.community_id(), **made)
    w.session.add(ElderConsent(elder_id=elder.id, given_by="ELDER", reference="P-0", given_at=w.now))
    await w.session.flush()
    return elder


async def followers(w: World, elder: Elder, n: int) -> list[int]:
    people = []
    for _ in range(n):
        person, _ = await w.person()
        w.session.add(
            FamilyLink(elder_id=elder.id, person_id=person.id, relationship="子女", consented_at=w.now)
        )
        people.append(person.id)
    await w.commit()
    return people


async def elder_register(w: World, n: int) -> Run:
    elder = {"name": "新老人", "birthDate": "1950-01-01", "emergencyContacts": contacts(n)}
    elder["consent"] = {"givenBy": "ELDER", "reference": "P-1"}
    return Run({"i": elder}, w.tokens["CARE_STAFF"])


async def elder_update(w: World, n: int) -> Run:
    elder = await consented_elder(w)
    await w.commit()
    return Run(
        {"id": gid("Elder", elder.id), "i": {"emergencyContacts": contacts(n)}}, w.tokens["CARE_STAFF"]
    )


async def consent_withdraw(w: World, n: int) -> Run:
    """n open alerts closed and n family members told, in statements that do not grow with them."""
    elder = await consented_elder(w, alerts=n)
    await followers(w, elder, n)
    resolved = partial(w.count, CareAlert, CareAlert.elder_id == elder.id, CareAlert.status == "RESOLVED")
    return Run({"e": gid("Elder", elder.id)}, w.tokens["CARE_STAFF"], count=resolved)


async def consent_record(w: World, n: int) -> Run:
    """After n consents given and withdrawn."""
    elder, _, _ = await add_elder(w, await w.community_id())
    for k in range(n):
        w.session.add(
            ElderConsent(
                elder_id=elder.id,
                given_by="ELDER",
                reference=f"P-{k}",
                given_at=w.now - timedelta(days=n - k),
                withdrawn_at=w.now - timedelta(days=n - k - 1),
                withdrawal_reason="撤回",
            )
        )
    elder.monitoring_ended_at = w.now
    await w.commit()
    return Run(
        {"e": gid("Elder", elder.id)},
        w.tokens["CARE_STAFF"],
        count=partial(w.count, ElderConsent, ElderConsent.elder_id == elder.id),
    )


async def family_link_add(w: World, n: int) -> Run:
    elder = await consented_elder(w)
    await followers(w, elder, n)
    newcomer, _ = await w.person()
    variables = {"e": gid("Elder", elder.id), "p": newcomer.phone}
    return Run(
        variables, w.tokens["CARE_STAFF"], count=partial(w.count, FamilyLink, FamilyLink.elder_id == elder.id)
    )


async def family_link_remove(w: World, n: int) -> Run:
    elder = await consented_elder(w)
    first, *_ = await followers(w, elder, n)
    variables = {"e": gid("Elder", elder.id), "p": gid("Person", first)}
    return Run(
        variables, w.tokens["CARE_STAFF"], count=partial(w.count, FamilyLink, FamilyLink.elder_id == elder.id)
    )


CASES = [
    # Query
    Case("Query.elders", ELDERS, elders, edges("elders", "edges")),
    Case("Query.careAlerts", CARE_ALERTS, care_alerts, edges("careAlerts", "edges")),
    Case(
        "Query.careDashboard", DASHBOARD, care_dashboard, lambda data: data["careDashboard"]["openCritical"]
    ),
    Case(
        "Query.node[CareVisit]",
        node_query("CareVisit", "kind note elder { name alerts { id } devices { serial } visits { note } }"),
        node_care_visit,
        edges("node", "elder", "visits"),
    ),
    Case(
        "Query.node[Elder]",
        node_query(
            "Elder",
            "name community { name } devices { serial assignments { elderId } } alerts { id } "
            "latestVitals { kind } visits { note } thresholdHistory { kind reason }",
        ),
        node_elder,
        edges("node", "alerts"),
    ),
    Case(
        "Query.node[CareAlert]",
        node_query(
            "CareAlert", "kind status elder { name alerts { id } devices { serial } visits { note } }"
        ),
        node_care_alert,
        edges("node", "elder", "alerts"),
    ),
    # Mutation
    Case(
        "Mutation.readingsRecord", READINGS_RECORD, readings_record, edges("readingsRecord", "alertsRaised")
    ),
    Case(
        "Mutation.careAlertAcknowledge",
        ACKNOWLEDGE,
        alert_of_nanmu_elder,
        edges("careAlertAcknowledge", "elder", "alerts"),
    ),
    Case(
        "Mutation.careAlertResolve",
        RESOLVE,
        alert_of_nanmu_elder,
        edges("careAlertResolve", "elder", "alerts"),
    ),
    Case("Mutation.careVisitLog", VISIT_LOG, care_visit_log, edges("careVisitLog", "elder", "visits")),
    Case(
        "Mutation.elderRegister",
        ELDER_REGISTER,
        elder_register,
        edges("elderRegister", "emergencyContacts"),
        sizes=(1, 5),
    ),
    Case(
        "Mutation.elderUpdate",
        ELDER_UPDATE,
        elder_update,
        edges("elderUpdate", "emergencyContacts"),
        sizes=(1, 5),
    ),
    Case("Mutation.consentWithdraw", CONSENT_WITHDRAW, consent_withdraw, None),
    Case("Mutation.consentRecord", CONSENT_RECORD, consent_record, None),
    Case("Mutation.familyLinkAdd", LINK_ADD, family_link_add, None),
    Case("Mutation.familyLinkRemove", LINK_REMOVE, family_link_remove, None),
    Case(
        "Mutation.deviceRegister",
        DEVICE_REGISTER,
        device_register,
        None,
        sizes=(1, 1),
        why_fixed="a new device has no assignments and no readings yet; it answers itself and its community",
    ),
    # The device's earlier assignments (its history) grow; the answer is the device, with that history.
    Case("Mutation.deviceAssign", DEVICE_ASSIGN, device_assign, None),
    Case("Mutation.deviceUnassign", DEVICE_UNASSIGN, device_unassign, None),
    Case("Mutation.deviceRetire", DEVICE_RETIRE, device_retire, None),
    # The elder's earlier changes of the band (its history) grow; the answer is the new change.
    Case("Mutation.vitalThresholdSet", THRESHOLD_SET, vital_threshold_set, None),
    Case("Mutation.vitalThresholdClear", THRESHOLD_CLEAR, vital_threshold_clear, None),
    Case(
        "Mutation.carePolicyUpdate",
        CARE_POLICY_UPDATE,
        care_policy_update,
        None,
        sizes=(1, 1),
        why_fixed="the care policy is one row (its id is 1, a CHECK)",
    ),
    # Subscription (over a real WebSocket)
    Case("Subscription.careAlertEvents", ALERT_EVENTS, care_alert_events, len, sizes=(1, 10), transport="ws"),
]


# node(id:) asked many times in one request (aliases) ------------------------------


async def alias_elders(w: World, k: int) -> tuple[list[int], str]:
    community = await w.community_id()
    return [(await add_elder(w, community))[0].id for _ in range(k)], w.tokens["CARE_STAFF"]


async def alias_care_alerts(w: World, k: int) -> tuple[list[int], str]:
    _, _, alerts = await add_elder(w, await w.community_id(), alerts=k)
    return [alert.id for alert in alerts], w.tokens["CARE_STAFF"]


async def alias_care_visits(w: World, k: int) -> tuple[list[int], str]:
    elder, _, _ = await add_elder(w, await w.community_id(), visits=k)
    visits = await w.session.scalars(select(CareVisit.id).where(CareVisit.elder_id == elder.id))
    return list(visits), w.tokens["CARE_STAFF"]


NODE_ALIASES: dict[str, AliasSetup] = {
    "Elder": alias_elders,
    "CareAlert": alias_care_alerts,
    "CareVisit": alias_care_visits,
}
