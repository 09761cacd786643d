"""Devices without SQL (#17): deviceRegister, deviceAssign (one elder at a time, with history),
deviceUnassign, deviceRetire — through HTTP, as care staff and the community office of this
community and of another, and ADMIN. Readings from a device assigned to nobody are rejected per
reading (DEVICE_NOT_ASSIGNED); the offline job leaves such devices alone."""

import asyncio
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models.audit import AuditLog
from models.eldercare import CareAlert, CareAlertEvent, Device, DeviceAssignment, Elder
from models.people import Community, Person, Role
from resolvers import people as people_service
from schema.common import decode_global_id, encode_global_id
from server.auth import TokenService
from server.jobs import run_jobs_once
from tests.eldercare.conftest import WEDNESDAY_10, reading

DEVICE = "id serial kind elderId assignedAt lastSeenAt retiredAt retiredReason community { name }"
RESULT = f"__typename ... on Device {{ {DEVICE} }} ... on DomainError {{ code message }}"
REGISTER = f"mutation($input: DeviceRegisterInput!) {{ deviceRegister(input: $input) {{ {RESULT} }} }}"
ASSIGN = f"mutation($d: ID!, $e: ID!) {{ deviceAssign(deviceId: $d, elderId: $e) {{ {RESULT} }} }}"
UNASSIGN = f"mutation($d: ID!) {{ deviceUnassign(deviceId: $d) {{ {RESULT} }} }}"
RETIRE = f"mutation($d: ID!, $r: String!) {{ deviceRetire(deviceId: $d, reason: $r) {{ {RESULT} }} }}"
RECORD = """mutation($r: [ReadingInput!]!) { readingsRecord(readings: $r) { __typename
  ... on ReadingsRecorded { accepted rejected { index deviceSerial code message } }
  ... on InvalidReadings { code rejected { index deviceSerial code } } } }"""
ALERTS = "{ careAlerts(first: 50) { edges { node { kind summary } } } }"


@pytest.fixture
async def offices(session, settings, ward) -> dict[str, str]:
    """Tokens of the callers that matter: this community's (南睦) and another's (海创)."""
    service = TokenService(settings)
    made = {}
    for key, phone, role, community in [
        ("COMMUNITY_ADMIN_HAICHUANG", "13622220001", Role.COMMUNITY_ADMIN, "海创社区"),
        ("ADMIN_NOWHERE", "13622220002", Role.ADMIN, None),
    ]:
        person = await people_service.add_user(
            session=session, phone=phone, name=key, role=role, community_name=community
        )
        made[key] = service.issue(person)[0]
    await session.commit()
    return {**ward.tokens, **made}


async def call(gql, query: str, token: str, root: str, **variables) -> dict:
    body = await gql(query, variables, token=token)
    assert "errors" not in body, body
    return body["data"][root]


async def register(gql, token: str, serial: str, kind: str = "WRISTBAND", **more) -> dict:
    return await call(gql, REGISTER, token, "deviceRegister", input={"serial": serial, "kind": kind, **more})


async def audit_rows(session, action: str, device_gid: str) -> int:
    return await session.scalar(
        select(func.count())
        .select_from(AuditLog)
        .where(AuditLog.action == action, AuditLog.object_id == device_gid)
    )


async def history(session, device_gid: str) -> list[tuple[int, bool]]:
    """(elder id, open) of each assignment of the device, oldest first."""
    rows = await session.execute(
        select(DeviceAssignment.elder_id, DeviceAssignment.unassigned_at.is_(None))
        .where(DeviceAssignment.device_id == decode_global_id(device_gid, "Device")[1])
        .order_by(DeviceAssignment.id)
    )
    return [tuple(row) for row in rows]


async def second_nanmu_elder(session) -> int:
    community = await session.scalar(select(Community.id).where(Community.name == "南睦未来社区"))
    elder = Elder(name="王秀兰", birth_date=WEDNESDAY_10.date().replace(year=1945), community_id=community)
    session.add(elder)
    await session.commit()
    return elder.id


# ── deviceRegister ─────────────────────────────────────────────────────────────


@pytest.mark.parametrize("role", ["CARE_STAFF", "COMMUNITY_ADMIN", "ADMIN"])
async def test_staff_office_and_admin_register_a_device_of_their_community(gql, session, offices, role):
    nanmu = await session.scalar(select(Community.id).where(Community.name == "南睦未来社区"))
    named = {"communityId": encode_global_id("Community", nanmu)} if role == "ADMIN" else {}
    device = await register(gql, offices[role], f"T-NEW-{role}", **named)

    assert device["__typename"] == "Device"
    assert (device["serial"], device["kind"], device["community"]["name"]) == (
        f"T-NEW-{role}",
        "WRISTBAND",
        "南睦未来社区",
    )
    assert (device["elderId"], device["assignedAt"], device["retiredAt"]) == (None, None, None)
    assert await audit_rows(session, "device.register", device["id"]) == 1


async def test_admin_registers_in_the_community_it_names_and_must_name_one(gql, session, offices):
    haichuang = await session.scalar(select(Community.id).where(Community.name == "海创社区"))
    named = await register(
        gql, offices["ADMIN_NOWHERE"], "T-ADMIN-1", communityId=encode_global_id("Community", haichuang)
    )
    unnamed = await register(gql, offices["ADMIN_NOWHERE"], "T-ADMIN-2")

    assert named["community"]["name"] == "海创社区"
    assert unnamed["__typename"] == "RuleViolation" and unnamed["code"] == "COMMUNITY_REQUIRED"


async def test_staff_cannot_register_in_another_community(gql, session, offices):
    haichuang = await session.scalar(select(Community.id).where(Community.name == "海创社区"))
    answer = await register(
        gql, offices["CARE_STAFF"], "T-ELSEWHERE", communityId=encode_global_id("Community", haichuang)
    )

    assert (answer["__typename"], answer["code"]) == ("RuleViolation", "OTHER_COMMUNITY")
    assert (
        await session.scalar(select(func.count()).select_from(Device).where(Device.serial == "T-ELSEWHERE"))
        == 0
    )


@pytest.mark.parametrize(
    ("serial", "code"),
    [
        ("T-WB-A", "DEVICE_SERIAL_TAKEN"),  # the ward's wristband
        ("", "INVALID_DEVICE_SERIAL"),
        (" T-PADDED", "INVALID_DEVICE_SERIAL"),
        ("T/SLASH", "INVALID_DEVICE_SERIAL"),
        ("X" * 65, "INVALID_DEVICE_SERIAL"),
    ],
)
async def test_a_bad_or_taken_serial_is_refused_and_nothing_is_written(gql, session, offices, serial, code):
    before = await session.scalar(select(func.count()).select_from(Device))
    answer = await register(gql, offices["CARE_STAFF"], serial)

    assert (answer["__typename"], answer["code"]) == ("RuleViolation", code)
    assert answer["message"]
    assert await session.scalar(select(func.count()).select_from(Device)) == before
    assert (
        await session.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == "device.register")
        )
        == 0
    )


@pytest.mark.parametrize("role", ["RESIDENT", "DEVICE_GATEWAY", "CHILDCARE_STAFF", "MAKERSPACE_STAFF"])
async def test_other_roles_are_forbidden(gql, offices, role):
    body = await gql(REGISTER, {"input": {"serial": "T-NOPE", "kind": "WRISTBAND"}}, token=offices[role])

    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


# ── deviceAssign / deviceUnassign ────────────────────────────────────────────────


@pytest.mark.parametrize("role", ["CARE_STAFF", "COMMUNITY_ADMIN", "ADMIN"])
async def test_assign_unassign_and_assign_again_keep_the_history(gql, session, offices, ward, clock, role):
    token = offices[role]
    other = await second_nanmu_elder(session)
    device = await register(gql, offices["CARE_STAFF"], "T-CYCLE")

    assigned = await call(gql, ASSIGN, token, "deviceAssign", d=device["id"], e=ward.gid(ward.elder_a))
    clock.now = WEDNESDAY_10 + timedelta(hours=1)
    again = await call(gql, ASSIGN, token, "deviceAssign", d=device["id"], e=ward.gid(other))
    unassigned = await call(gql, UNASSIGN, token, "deviceUnassign", d=device["id"])
    twice = await call(gql, UNASSIGN, token, "deviceUnassign", d=device["id"])
    moved = await call(gql, ASSIGN, token, "deviceAssign", d=device["id"], e=ward.gid(other))

    assert (assigned["elderId"], assigned["assignedAt"]) == (ward.gid(ward.elder_a), WEDNESDAY_10.isoformat())
    assert (again["__typename"], again["code"]) == ("RuleViolation", "DEVICE_ALREADY_ASSIGNED")
    assert (unassigned["elderId"], unassigned["assignedAt"]) == (None, None)
    assert (twice["__typename"], twice["code"]) == ("RuleViolation", "DEVICE_NOT_ASSIGNED")
    assert moved["elderId"] == ward.gid(other)
    assert await history(session, device["id"]) == [(ward.elder_a, False), (other, True)]
    assert [
        await audit_rows(session, action, device["id"]) for action in ("device.assign", "device.unassign")
    ] == [
        2,
        1,
    ]


async def test_a_device_inserted_assigned_has_its_open_assignment(gql, session, offices, ward):
    """Existing devices (the migration) and those inserted with an elder (seeds) have their history."""
    wristband = await session.scalar(select(Device).where(Device.serial == "T-WB-A"))
    gid = encode_global_id("Device", wristband.id)
    assert await history(session, gid) == [(ward.elder_a, True)]

    await call(gql, UNASSIGN, offices["CARE_STAFF"], "deviceUnassign", d=gid)

    assert await history(session, gid) == [(ward.elder_a, False)]


async def test_another_communitys_staff_and_office_find_no_such_device(gql, session, offices, ward):
    device = await register(gql, offices["CARE_STAFF"], "T-MINE")
    for token in (offices["CARE_STAFF_HAICHUANG"], offices["COMMUNITY_ADMIN_HAICHUANG"]):
        for query, root, variables in (
            (ASSIGN, "deviceAssign", {"d": device["id"], "e": ward.gid(ward.elder_b)}),
            (UNASSIGN, "deviceUnassign", {"d": device["id"]}),
            (RETIRE, "deviceRetire", {"d": device["id"], "r": "损坏"}),
        ):
            answer = await call(gql, query, token, root, **variables)
            assert (answer["__typename"], answer["code"]) == ("NotFound", "NOT_FOUND"), (root, answer)
    assert await history(session, device["id"]) == []


async def test_staff_cannot_assign_to_an_elder_of_another_community(gql, session, offices, ward):
    device = await register(gql, offices["CARE_STAFF"], "T-LOCAL")

    by_staff = await call(
        gql, ASSIGN, offices["CARE_STAFF"], "deviceAssign", d=device["id"], e=ward.gid(ward.elder_b)
    )
    by_admin = await call(
        gql, ASSIGN, offices["ADMIN"], "deviceAssign", d=device["id"], e=ward.gid(ward.elder_b)
    )

    assert (by_staff["__typename"], by_staff["code"]) == ("NotFound", "NOT_FOUND")
    # ADMIN may see both, but the database keeps a device's elder in its community.
    assert (by_admin["__typename"], by_admin["code"]) == ("RuleViolation", "ELDER_NOT_IN_DEVICE_COMMUNITY")
    assert await history(session, device["id"]) == []


# ── deviceRetire ───────────────────────────────────────────────────────────────


async def test_retiring_keeps_the_row_ends_the_assignment_and_is_final(gql, session, offices, ward):
    token = offices["CARE_STAFF"]
    device = await register(gql, token, "T-OLD")
    await call(gql, ASSIGN, token, "deviceAssign", d=device["id"], e=ward.gid(ward.elder_a))

    blank = await call(gql, RETIRE, token, "deviceRetire", d=device["id"], r="   ")
    retired = await call(gql, RETIRE, token, "deviceRetire", d=device["id"], r=" 屏幕损坏，已回收 ")
    again = await call(gql, RETIRE, token, "deviceRetire", d=device["id"], r="再次停用")
    assign = await call(gql, ASSIGN, token, "deviceAssign", d=device["id"], e=ward.gid(ward.elder_a))
    unassign = await call(gql, UNASSIGN, token, "deviceUnassign", d=device["id"])

    assert blank["code"] == "REASON_REQUIRED"
    assert (retired["elderId"], retired["retiredAt"], retired["retiredReason"]) == (
        None,
        WEDNESDAY_10.isoformat(),
        "屏幕损坏，已回收",
    )
    assert [again["code"], assign["code"], unassign["code"]] == ["DEVICE_RETIRED"] * 3
    assert await history(session, device["id"]) == [(ward.elder_a, False)]
    assert await audit_rows(session, "device.retire", device["id"]) == 1


# ── Readings and the offline job ──────────────────────────────────────────────


async def test_readings_of_unassigned_and_retired_devices_are_rejected_one_by_one(
    gql, session, offices, ward
):
    token = offices["CARE_STAFF"]
    loose = await register(gql, token, "T-LOOSE")
    old = await register(gql, token, "T-RETIRED")
    await call(gql, ASSIGN, token, "deviceAssign", d=old["id"], e=ward.gid(ward.elder_a))
    await call(gql, RETIRE, token, "deviceRetire", d=old["id"], r="电池鼓包")

    result = await call(
        gql,
        RECORD,
        offices["DEVICE_GATEWAY"],
        "readingsRecord",
        r=[
            reading("T-LOOSE", "HEART_RATE", 72, 0),
            reading("T-WB-A", "HEART_RATE", 72, 1),
            reading("T-RETIRED", "HEART_RATE", 150, 2),
            reading("T-LOOSE", "FALL", None, 3),  # not measurable either: not assigned comes first
            reading("T-NOBODY", "HEART_RATE", 72, 4),
        ],
    )

    assert result["accepted"] == 1
    assert [(r["index"], r["deviceSerial"], r["code"]) for r in result["rejected"]] == [
        (0, "T-LOOSE", "DEVICE_NOT_ASSIGNED"),
        (2, "T-RETIRED", "DEVICE_NOT_ASSIGNED"),
        (3, "T-LOOSE", "DEVICE_NOT_ASSIGNED"),
        (4, "T-NOBODY", "UNKNOWN_DEVICE"),
    ]
    ids = [decode_global_id(device["id"], "Device")[1] for device in (loose, old)]
    stored = await session.scalar(
        text("SELECT count(*) FROM readings WHERE device_id = ANY(:ids)"), {"ids": ids}
    )
    seen = await session.scalar(
        select(func.count()).select_from(Device).where(Device.id.in_(ids), Device.last_seen_at.is_not(None))
    )
    assert (stored, seen) == (0, 0)


async def test_a_batch_only_of_unassigned_readings_stores_nothing(gql, offices):
    await register(gql, offices["CARE_STAFF"], "T-LOOSE")

    result = await call(
        gql, RECORD, offices["DEVICE_GATEWAY"], "readingsRecord", r=[reading("T-LOOSE", "HEART_RATE", 72, 0)]
    )

    assert (result["__typename"], result["code"]) == ("InvalidReadings", "NO_VALID_READINGS")
    assert [r["code"] for r in result["rejected"]] == ["DEVICE_NOT_ASSIGNED"]


async def offline_serials(gql, ward) -> list[str]:
    edges = (await gql(ALERTS, token=ward.tokens["CARE_STAFF"]))["data"]["careAlerts"]["edges"]
    return sorted(e["node"]["summary"].split()[1] for e in edges if e["node"]["kind"] == "DEVICE_OFFLINE")


async def test_the_offline_job_ignores_unassigned_and_retired_devices(db, gql, offices, ward, clock):
    token = offices["CARE_STAFF"]
    for serial in ("T-KEPT", "T-LOOSE", "T-RETIRED"):
        device = await register(gql, token, serial)
        await call(gql, ASSIGN, token, "deviceAssign", d=device["id"], e=ward.gid(ward.elder_a))
        if serial == "T-LOOSE":
            await call(gql, UNASSIGN, token, "deviceUnassign", d=device["id"])
        if serial == "T-RETIRED":
            await call(gql, RETIRE, token, "deviceRetire", d=device["id"], r="丢失")

    clock.now = WEDNESDAY_10 + timedelta(minutes=45)
    await run_jobs_once(session_factory=db, now=clock.now)

    offline = await offline_serials(gql, ward)
    assert "T-KEPT" in offline
    assert "T-LOOSE" not in offline and "T-RETIRED" not in offline


async def test_an_assignment_starts_the_silence_afresh(db, gql, session, offices, ward, clock):
    """A device heard from long ago, moved to another elder, is silent from its new assignment."""
    token = offices["CARE_STAFF"]
    wristband = await session.scalar(select(Device.id).where(Device.serial == "T-WB-A"))
    gid = encode_global_id("Device", wristband)
    other = await second_nanmu_elder(session)
    await call(gql, UNASSIGN, token, "deviceUnassign", d=gid)
    clock.now = WEDNESDAY_10 + timedelta(hours=2)
    moved = await call(gql, ASSIGN, token, "deviceAssign", d=gid, e=ward.gid(other))

    clock.now = WEDNESDAY_10 + timedelta(hours=2, minutes=29)
    await run_jobs_once(session_factory=db, now=clock.now)

    assert moved["lastSeenAt"] is None
    assert "T-WB-A" not in await offline_serials(gql, ward)


@pytest.mark.parametrize(
    ("query", "root", "why", "note"),
    [
        (RETIRE, "deviceRetire", {"r": "腕带丢失"}, "设备已停用，系统自动关闭离线告警"),
        (UNASSIGN, "deviceUnassign", {}, "设备已解除分配，系统自动关闭离线告警"),
    ],
)
async def test_a_device_taken_from_its_elder_closes_its_offline_alert(
    db, gql, session, offices, ward, clock, query, root, why, note
):
    """Its silence says nothing about her any more: the system resolves the alert, with a note and
    the RESOLVED event the feed carries, in the same transaction; her other devices' alerts stay."""
    clock.now = WEDNESDAY_10 + timedelta(minutes=45)
    await run_jobs_once(session_factory=db, now=clock.now)
    offline = dict(
        (
            await session.execute(
                select(CareAlert.reading_kind, CareAlert.id).where(
                    CareAlert.kind == "DEVICE_OFFLINE", CareAlert.elder_id == ward.elder_a
                )
            )
        ).all()
    )
    assert {"T-WB-A", "T-SOS-A"} <= offline.keys()
    wristband = await session.scalar(select(Device.id).where(Device.serial == "T-WB-A"))

    done = await call(
        gql, query, offices["COMMUNITY_ADMIN"], root, d=encode_global_id("Device", wristband), **why
    )

    assert done["__typename"] == "Device" and done["elderId"] is None
    closed = await session.get(CareAlert, offline["T-WB-A"], populate_existing=True)
    assert (closed.status, closed.resolved_by, closed.resolution_note) == ("RESOLVED", None, note)
    assert closed.resolved_at == clock.now
    event = await session.scalar(
        select(CareAlertEvent)
        .where(CareAlertEvent.alert_id == closed.id)
        .order_by(CareAlertEvent.sequence.desc())
        .limit(1)
    )
    assert (event.type, event.status, event.note, event.actor_id) == ("RESOLVED", "RESOLVED", note, None)
    other = await session.get(CareAlert, offline["T-SOS-A"], populate_existing=True)
    assert other.status == "OPEN"


async def test_unassigning_a_device_without_an_offline_alert_resolves_nothing(gql, session, offices, ward):
    wristband = await session.scalar(select(Device.id).where(Device.serial == "T-WB-A"))
    before = await session.scalar(select(func.count()).select_from(CareAlertEvent))

    await call(
        gql, UNASSIGN, offices["CARE_STAFF"], "deviceUnassign", d=encode_global_id("Device", wristband)
    )

    assert await session.scalar(select(func.count()).select_from(CareAlertEvent)) == before


# ── At most one open assignment, whatever races ─────────────────────────────────


async def test_the_database_holds_at_most_one_open_assignment_per_device(session, ward):
    wristband = await session.scalar(select(Device.id).where(Device.serial == "T-WB-A"))
    with pytest.raises(IntegrityError, match="uq_device_assignments_open"):
        async with session.begin_nested():
            session.add(
                DeviceAssignment(device_id=wristband, elder_id=ward.elder_b, assigned_at=WEDNESDAY_10)
            )
            await session.flush()


@pytest.fixture
async def two_elders_one_device(engine, settings):
    """Committed (the live server has connections of its own): two elders of 南睦, a free device,
    a care worker; removed again afterwards."""
    service = TokenService(settings)
    async with engine.begin() as connection:
        session = AsyncSession(bind=connection)
        community = await session.scalar(select(Community.id).where(Community.name == "南睦未来社区"))
        elders = [
            Elder(name=name, birth_date=WEDNESDAY_10.date().replace(year=1940), community_id=community)
            for name in ("并发老人甲", "并发老人乙")
        ]
        device = Device(serial="T-RACE", kind="WRISTBAND", community_id=community, assigned_at=None)
        session.add_all([*elders, device])
        await session.flush()
        staff = await people_service.add_user(
            session=session,
            phone="13633330001",
            name="并发护理员",
            role=Role.CARE_STAFF,
            community_name="南睦未来社区",
        )
        made = (device.id, [elder.id for elder in elders], staff.id, service.issue(staff)[0])
    yield made
    device_id, elder_ids, staff_id, _ = made
    async with engine.begin() as connection:
        await connection.execute(delete(Device).where(Device.id == device_id))
        await connection.execute(delete(Elder).where(Elder.id.in_(elder_ids)))
        await connection.execute(delete(Person).where(Person.id == staff_id))


async def test_two_concurrent_assignments_of_one_device_leave_one_open(
    live_server, engine, two_elders_one_device
):
    device_id, elder_ids, _, token = two_elders_one_device

    async def assign(client: httpx.AsyncClient, elder_id: int) -> dict:
        variables = {"d": encode_global_id("Device", device_id), "e": encode_global_id("Elder", elder_id)}
        response = await client.post(
            "/graphql",
            json={"query": ASSIGN, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        return body["data"]["deviceAssign"]

    for _ in range(5):  # five rounds, each two requests at once
        async with httpx.AsyncClient(base_url=f"http://{live_server}", timeout=30) as client:
            results = await asyncio.gather(*(assign(client, elder_id) for elder_id in elder_ids))
        kinds = sorted(result["__typename"] for result in results)
        assert kinds == ["Device", "RuleViolation"], results
        assert (
            next(r for r in results if r["__typename"] == "RuleViolation")["code"]
            == "DEVICE_ALREADY_ASSIGNED"
        )
        async with engine.connect() as connection:
            open_rows = await connection.scalar(
                select(func.count())
                .select_from(DeviceAssignment)
                .where(DeviceAssignment.device_id == device_id, DeviceAssignment.unassigned_at.is_(None))
            )
            current = await connection.scalar(select(Device.elder_id).where(Device.id == device_id))
            winner = next(r for r in results if r["__typename"] == "Device")
            assert open_rows == 1
            assert encode_global_id("Elder", current) == winner["elderId"]
            # free it for the next round
            await connection.execute(
                text(
                    "UPDATE device_assignments SET unassigned_at = now() "
                    "WHERE device_id = :d AND unassigned_at IS NULL"
                ),
                {"d": device_id},
            )
            await connection.execute(
                text("UPDATE devices SET elder_id = NULL, assigned_at = NULL WHERE id = :d"), {"d": device_id}
            )
            await connection.commit()
