"""The histories the office keeps, read in the graph (#17): Device.assignments (who had the device
when) and Elder.thresholdHistory (every change of the elder's own bands) — for care staff and the
COMMUNITY_ADMIN of the community, and ADMIN; null for family; nothing for another community. Each
read is a logged read of the elders it names."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from models.eldercare import HealthAccessLog
from models.people import Role
from resolvers import people as people_service
from server.auth import TokenService
from tests.eldercare.conftest import WEDNESDAY_10
from tests.eldercare.test_devices import second_nanmu_elder

ASSIGNMENTS = "assignments { elderId assignedAt unassignedAt }"
DEVICES_OF = f"""query($id: ID!) {{ node(id: $id) {{ ... on Elder {{
  devices {{ serial {ASSIGNMENTS} }} }} }} }}"""
HISTORY_OF = """query($id: ID!, $kind: ReadingKind) { node(id: $id) { ... on Elder {
  thresholdHistory(kind: $kind) { id elderId kind reason changedAt changedById
    before { criticalLow warningLow warningHigh criticalHigh }
    after { criticalLow warningLow warningHigh criticalHigh } } } } }"""
DEVICE_ANSWER = f"__typename ... on Device {{ id serial {ASSIGNMENTS} }} ... on DomainError {{ code }}"
REGISTER = f"mutation($i: DeviceRegisterInput!) {{ deviceRegister(input: $i) {{ {DEVICE_ANSWER} }} }}"
ASSIGN = f"mutation($d: ID!, $e: ID!) {{ deviceAssign(deviceId: $d, elderId: $e) {{ {DEVICE_ANSWER} }} }}"
UNASSIGN = f"mutation($d: ID!) {{ deviceUnassign(deviceId: $d) {{ {DEVICE_ANSWER} }} }}"
SET = """mutation($e: ID!, $k: ReadingKind!, $cl: Float, $wl: Float, $wh: Float, $r: String!) {
  vitalThresholdSet(elderId: $e, kind: $k, criticalLow: $cl, warningLow: $wl, warningHigh: $wh, reason: $r) {
  __typename } }"""
CLEAR = """mutation($e: ID!, $k: ReadingKind!, $r: String!) {
  vitalThresholdClear(elderId: $e, kind: $k, reason: $r) { __typename } }"""


@pytest.fixture
async def haichuang_office(session, settings) -> str:
    person = await people_service.add_user(
        session=session,
        phone="13633330001",
        name="海创办公室",
        role=Role.COMMUNITY_ADMIN,
        community_name="海创社区",
    )
    await session.commit()
    return TokenService(settings).issue(person)[0]


async def ask(gql, query: str, token: str, **variables) -> tuple[dict, str]:
    """The answer and the client request id its health reads are logged under."""
    client_id = uuid.uuid4().hex
    response = await gql.post(query, variables, token=token, headers={"X-Request-ID": client_id})
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, response.text
    return body["data"], client_id


async def logged(session, client_id: str) -> dict[int, list[str]]:
    rows = await session.execute(
        select(HealthAccessLog.elder_id, HealthAccessLog.what).where(
            HealthAccessLog.client_request_id == client_id
        )
    )
    return {elder: sorted(what) for elder, what in rows}


# ── Device.assignments ─────────────────────────────────────────────────────────


@pytest.fixture
async def moved_wristband(gql, session, ward, clock) -> tuple[str, int]:
    """A new wristband given to elder A at 10:00, taken from her at 11:00 and given to another
    南睦 elder at 12:00."""
    second = await second_nanmu_elder(session)
    staff = ward.tokens["CARE_STAFF"]
    registered = await gql(REGISTER, {"i": {"serial": "T-WB-MOVED", "kind": "WRISTBAND"}}, token=staff)
    wristband = registered["data"]["deviceRegister"]["id"]
    for hour, query, variables in [
        (0, ASSIGN, {"e": ward.gid(ward.elder_a)}),
        (1, UNASSIGN, {}),
        (2, ASSIGN, {"e": ward.gid(second)}),
    ]:
        clock.now = WEDNESDAY_10 + timedelta(hours=hour)
        body = await gql(query, {"d": wristband, **variables}, token=staff)
        assert next(iter(body["data"].values()))["__typename"] == "Device", body
    return wristband, second


@pytest.mark.parametrize("role", ["CARE_STAFF", "ADMIN"])
async def test_care_staff_and_admin_read_who_had_the_device_when(gql, session, ward, moved_wristband, role):
    _, second = moved_wristband

    data, client_id = await ask(gql, DEVICES_OF, ward.tokens[role], id=ward.gid(second))

    (device,) = data["node"]["devices"]
    at = [(WEDNESDAY_10 + timedelta(hours=hour)).isoformat() for hour in range(3)]
    assert device["assignments"] == [
        {"elderId": ward.gid(second), "assignedAt": at[2], "unassignedAt": None},
        {"elderId": ward.gid(ward.elder_a), "assignedAt": at[0], "unassignedAt": at[1]},
    ]
    # Naming elder A as its earlier holder is a read of her devices too
    assert await logged(session, client_id) == {second: ["devices", "profile"], ward.elder_a: ["devices"]}


async def test_the_community_office_reads_it_in_the_device_answers(
    gql, ward, moved_wristband, haichuang_office
):
    wristband, second = moved_wristband

    mine = await gql(UNASSIGN, {"d": wristband}, token=ward.tokens["COMMUNITY_ADMIN"])
    other = await gql(ASSIGN, {"d": wristband, "e": ward.gid(ward.elder_b)}, token=haichuang_office)

    history = mine["data"]["deviceUnassign"]["assignments"]
    assert [(row["elderId"], row["unassignedAt"] is None) for row in history] == [
        (ward.gid(second), False),
        (ward.gid(ward.elder_a), False),
    ]
    assert other["data"]["deviceAssign"] == {"__typename": "NotFound", "code": "NOT_FOUND"}


async def test_family_sees_the_device_but_not_its_history(gql, session, ward):
    data, client_id = await ask(gql, DEVICES_OF, ward.tokens["FAMILY"], id=ward.gid(ward.elder_a))

    devices = {device["serial"]: device["assignments"] for device in data["node"]["devices"]}
    assert devices and set(devices.values()) == {None}
    assert await logged(session, client_id) == {ward.elder_a: ["devices", "profile"]}


async def test_another_communitys_staff_reach_neither_the_elder_nor_her_devices(gql, ward):
    data, _ = await ask(gql, DEVICES_OF, ward.tokens["CARE_STAFF_HAICHUANG"], id=ward.gid(ward.elder_a))

    assert data["node"] is None


# ── Elder.thresholdHistory ─────────────────────────────────────────────────────


@pytest.fixture
async def band_changes(gql, ward, clock) -> None:
    """Elder A's heart-rate band set then cleared, her SpO2 band set."""
    staff = ward.tokens["CARE_STAFF"]
    elder = ward.gid(ward.elder_a)
    steps = [
        (SET, {"k": "HEART_RATE", "wh": 105.0, "r": "服用β受体阻滞剂"}),
        (SET, {"k": "SPO2", "cl": 88.0, "wl": 90.0, "r": "慢阻肺"}),
        (CLEAR, {"k": "HEART_RATE", "r": "停药"}),
    ]
    for minutes, (query, variables) in enumerate(steps):
        clock.now = WEDNESDAY_10 + timedelta(minutes=minutes)
        body = await gql(query, {"e": elder, **variables}, token=staff)
        assert next(iter(body["data"].values()))["__typename"] == "VitalThresholdChange", body


@pytest.mark.usefixtures("band_changes")
@pytest.mark.parametrize("role", ["CARE_STAFF", "ADMIN"])
async def test_care_staff_and_admin_read_the_band_history_newest_first(gql, session, ward, role):
    data, client_id = await ask(gql, HISTORY_OF, ward.tokens[role], id=ward.gid(ward.elder_a))

    history = data["node"]["thresholdHistory"]
    assert [(row["kind"], row["reason"]) for row in history] == [
        ("HEART_RATE", "停药"),
        ("SPO2", "慢阻肺"),
        ("HEART_RATE", "服用β受体阻滞剂"),
    ]
    cleared, _, first = history
    assert cleared["after"] is None and cleared["before"]["warningHigh"] == 105
    assert first["before"] is None and first["after"]["warningHigh"] == 105
    assert {row["elderId"] for row in history} == {ward.gid(ward.elder_a)}
    assert await logged(session, client_id) == {ward.elder_a: ["profile", "thresholds"]}

    only, _ = await ask(gql, HISTORY_OF, ward.tokens[role], id=ward.gid(ward.elder_a), kind="SPO2")
    assert [row["reason"] for row in only["node"]["thresholdHistory"]] == ["慢阻肺"]


@pytest.mark.usefixtures("band_changes")
async def test_family_sees_the_elder_but_not_her_band_history(gql, session, ward):
    data, client_id = await ask(gql, HISTORY_OF, ward.tokens["FAMILY"], id=ward.gid(ward.elder_a))

    assert data["node"] == {"thresholdHistory": None}
    assert await logged(session, client_id) == {ward.elder_a: ["profile"]}


@pytest.mark.usefixtures("band_changes")
@pytest.mark.parametrize("who", ["CARE_STAFF_HAICHUANG", "RESIDENT", "COMMUNITY_ADMIN"])
async def test_no_one_else_reaches_it(gql, ward, who):
    """Another community's staff, a resident, and the community office (which runs elders without
    seeing their health: the Elder itself is not theirs to read) find no such elder."""
    data, _ = await ask(gql, HISTORY_OF, ward.tokens[who], id=ward.gid(ward.elder_a))

    assert data["node"] is None
