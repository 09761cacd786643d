"""A working community from an empty database, through the graph alone (#17): on a database built by
the migrations and nothing else, `linli admin create` makes the first ADMIN; everything after goes
through a real `linli serve` over HTTP — people and their staff roles, an elder with consent and a
device, a maker space with desks, a childcare class with carers and a timetable, a guardian's child
— but the facilities, which come from a GeoJSON file by `linli facilities import`. Then one desk
reservation, one childcare booking and one alert run through it, each checked for what it did."""

import asyncio
import json
import os
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from server.migrate import upgrade
from tests.conftest import LINLI, TEST_DATABASE_URL, free_port, recreate_database, start_server, wait_ready

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A database of this module's own (test_first_admin.py has `_empty`): never the seeded test database.
FRESH = (
    make_url(TEST_DATABASE_URL)
    .set(database=f"{make_url(TEST_DATABASE_URL).database}_community")
    .render_as_string(hide_password=False)
)
NANMU_GCJ = (30.296292, 120.045122)  # DOMAIN.md: Nanmu future community, GCJ-02 (what Amap shows)
PASSWORD = "a-long-enough-passphrase"

LOGIN = """mutation($p: String!, $w: String!) { login(phone: $p, password: $w) { __typename
  ... on LoginSuccess { token viewer { id roles community { id } } }
  ... on DomainError { code message } } }"""
RESET = """mutation($p: String!, $c: String!, $w: String!) {
  passwordReset(phone: $p, code: $c, newPassword: $w) { __typename ... on DomainError { code message } } }"""
ISSUE = """mutation($id: ID!) { passwordResetIssue(personId: $id) { __typename
  ... on PasswordResetIssued { resetCode } ... on DomainError { code message } } }"""
PERSON = "__typename ... on Person { id roles community { id } } ... on DomainError { code message }"
PERSON_CREATE = f"mutation($i: PersonCreateInput!) {{ personCreate(input: $i) {{ {PERSON} }} }}"
ROLE_GRANT = f"mutation($id: ID!, $r: Role!) {{ roleGrant(personId: $id, role: $r) {{ {PERSON} }} }}"
FAILED = "... on DomainError { code message }"


async def linli(*args: str) -> tuple[int, str, str]:
    env = {**os.environ, "DATABASE_URL": FRESH}
    process = await asyncio.create_subprocess_exec(
        LINLI, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode, out.decode(), err.decode()


async def drop_database(url: str) -> None:
    target = make_url(url)
    admin = create_async_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    await admin.dispose()


@pytest.fixture
async def server():
    """A database migrated and nothing else, and `linli serve` on it; both gone afterwards."""
    await recreate_database(FRESH)
    try:
        await asyncio.to_thread(upgrade, FRESH)
        port = free_port()
        process = start_server(port, database_url=FRESH)
        try:
            await wait_ready(port, process)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
                yield Graph(client)
        finally:
            process.terminate()
            await asyncio.to_thread(process.wait, 30)
    finally:
        await drop_database(FRESH)


class Graph:
    """GraphQL over real HTTP; `mutate` insists on the expected member of the result union."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def query(self, query: str, token: str | None = None, **variables) -> dict:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        return body["data"]

    async def mutate(self, query: str, typename: str, token: str | None = None, **variables) -> dict:
        (answer,) = (await self.query(query, token, **variables)).values()
        assert answer["__typename"] == typename, answer
        return answer

    async def sign_in(self, phone: str) -> str:
        signed_in = await self.mutate(LOGIN, "LoginSuccess", p=phone, w=PASSWORD)
        return signed_in["token"]

    async def person(self, admin: str, phone: str, name: str, community: str, role: str | None) -> dict:
        """Created by the ADMIN in the community, given a staff role, signed in with its own password."""
        made = await self.mutate(
            PERSON_CREATE, "Person", admin, i={"phone": phone, "name": name, "communityId": community}
        )
        assert made["roles"] == ["RESIDENT"] and made["community"] == {"id": community}
        roles = ["RESIDENT"]
        if role is not None:
            granted = await self.mutate(ROLE_GRANT, "Person", admin, id=made["id"], r=role)
            roles = sorted([role, "RESIDENT"])
            assert granted["roles"] == roles
        issued = await self.mutate(ISSUE, "PasswordResetIssued", admin, id=made["id"])
        await self.mutate(RESET, "PasswordSet", p=phone, c=issued["resetCode"], w=PASSWORD)
        signed_in = await self.mutate(LOGIN, "LoginSuccess", p=phone, w=PASSWORD)
        assert signed_in["viewer"] == {"id": made["id"], "roles": roles, "community": {"id": community}}
        return {"id": made["id"], "token": signed_in["token"]}


def shanghai_today() -> date:
    return datetime.now(SHANGHAI).date()


async def test_a_community_is_built_from_an_empty_database_through_the_graph_and_runs(server, tmp_path):
    graph = server

    # The first ADMIN, on the server: a one-time code to set a password with
    code, out, err = await linli("admin", "create", "--phone", "13900000001", "--name", "周管理")
    assert code == 0, err
    reset_code = re.search(r"一次性重置码：([A-Z0-9]{10})", out)
    assert reset_code, out
    await graph.mutate(RESET, "PasswordSet", p="13900000001", c=reset_code[1], w=PASSWORD)
    admin = await graph.sign_in("13900000001")

    # The community, and its people: three kinds of staff, a gateway, a resident guardian
    community = await graph.mutate(
        """mutation { communityCreate(name: "南睦未来社区", subdistrict: "五常街道") { __typename
          ... on Community { id name subdistrict } ... on DomainError { code message } } }""",
        "Community",
        admin,
    )
    assert (community["name"], community["subdistrict"]) == ("南睦未来社区", "五常街道")
    nanmu = community["id"]
    care = await graph.person(admin, "13900000011", "陈护理", nanmu, "CARE_STAFF")
    carer = await graph.person(admin, "13900000012", "林保育", nanmu, "CHILDCARE_STAFF")
    maker = await graph.person(admin, "13900000013", "吴创客", nanmu, "MAKERSPACE_STAFF")
    gateway = await graph.person(admin, "13900000014", "南睦网关", nanmu, "DEVICE_GATEWAY")
    guardian = await graph.person(admin, "13900000015", "王家长", nanmu, None)

    # An elder, registered by the care worker with the elder's own consent, wearing a wristband
    elder = await graph.mutate(
        f"""mutation($i: ElderRegisterInput!) {{ elderRegister(input: $i) {{ __typename
          ... on ElderRecord {{ id name communityId monitored consent {{ givenBy reference }} }}
          {FAILED} }} }}""",
        "ElderRecord",
        care["token"],
        i={
            "name": "张奶奶",
            "birthDate": "1946-05-01",
            "livesAlone": True,
            "address": "南睦未来社区 3 幢 201",
            "consent": {"givenBy": "ELDER", "reference": "NM-2026-0001"},
            "emergencyContacts": [{"name": "张女儿", "phone": "13900000099", "relationship": "女儿"}],
        },
    )
    assert (elder["communityId"], elder["monitored"]) == (nanmu, True)
    assert elder["consent"] == {"givenBy": "ELDER", "reference": "NM-2026-0001"}
    device_fields = f"__typename ... on Device {{ id serial elderId community {{ id }} }} {FAILED}"
    device = await graph.mutate(
        f"mutation($i: DeviceRegisterInput!) {{ deviceRegister(input: $i) {{ {device_fields} }} }}",
        "Device",
        care["token"],
        i={"serial": "WB-NM-0001", "kind": "WRISTBAND"},
    )
    assert (device["elderId"], device["community"]) == (None, {"id": nanmu})
    assigned = await graph.mutate(
        f"mutation($d: ID!, $e: ID!) {{ deviceAssign(deviceId: $d, elderId: $e) {{ {device_fields} }} }}",
        "Device",
        care["token"],
        d=device["id"],
        e=elder["id"],
    )
    assert assigned["elderId"] == elder["id"]
    # Her own band: 125/min is critical for her, where the default band would only warn
    band = await graph.mutate(
        f"""mutation($e: ID!) {{ vitalThresholdSet(elderId: $e, kind: HEART_RATE, reason: "医嘱：心衰随访",
          criticalLow: 40, warningLow: 50, warningHigh: 100, criticalHigh: 120) {{ __typename
          ... on VitalThresholdChange {{ elderId after {{ criticalHigh }} }} {FAILED} }} }}""",
        "VitalThresholdChange",
        care["token"],
        e=elder["id"],
    )
    assert band["after"] == {"criticalHigh": 120}

    # Facilities from a GeoJSON file (GCJ-02), one of them the community's service station
    lat, lng = NANMU_GCJ
    features = [
        {
            "type": "Feature",
            "id": "nm-station",
            "geometry": {"type": "Point", "coordinates": [lng, lat]},
            "properties": {
                "name": "南睦社区服务站",
                "category": "SELF_SERVICE_KIOSK",
                "community": "南睦未来社区",
                "address": "五常大道 1 号",
                "hours": "1-7 08:00-20:00",
                "services": ["MEDICAL_INSURANCE_PAYMENT", "E_SOCIAL_SECURITY_CARD"],
            },
        },
        {
            "type": "Feature",
            "id": "nm-park",
            "geometry": {"type": "Point", "coordinates": [lng + 0.003, lat + 0.001]},
            "properties": {"name": "南睦口袋公园", "category": "PARK"},
        },
    ]
    path = tmp_path / "nanmu.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False))
    code, out, err = await linli("facilities", "import", str(path))
    assert code == 0, (out, err)
    assert "新增 2，更新 0，未变 0），拒绝 0 行，共 2 行" in out, out
    nearby = await graph.query(
        """query($lat: Float!, $lng: Float!) { nearbyFacilities(near: {lat: $lat, lng: $lng},
          withinMinutes: 10, first: 10) { edges { distanceMeters node { name category
          community { id } services { name } } } } }""",
        guardian["token"],
        lat=lat,
        lng=lng,
    )
    edges = nearby["nearbyFacilities"]["edges"]
    assert [edge["node"]["name"] for edge in edges] == ["南睦社区服务站", "南睦口袋公园"]
    station = edges[0]
    assert station["distanceMeters"] <= 1 and station["node"]["community"] == {"id": nanmu}
    assert station["node"]["category"] == "SELF_SERVICE_KIOSK"
    # the service catalogue comes with the migrations (0019), not with the demo data
    assert sorted(s["name"] for s in station["node"]["services"]) == ["医保缴费", "电子社保卡申领"]

    # A maker space (the ADMIN, naming the community) whose staff put in two desks
    space = await graph.mutate(
        f"""mutation($c: ID!) {{ makerSpaceCreate(name: "天空创客厅", communityId: $c) {{ __typename
          ... on MakerSpace {{ id opensAt closesAt rules {{ slotMinutes }} }} {FAILED} }} }}""",
        "MakerSpace",
        admin,
        c=nanmu,
    )
    desks = [
        await graph.mutate(
            f"""mutation($i: ResourceCreateInput!) {{ resourceCreate(input: $i) {{ __typename
              ... on Resource {{ id name }} {FAILED} }} }}""",
            "Resource",
            maker["token"],
            i={"spaceId": space["id"], "name": name, "kind": "DESK", "features": ["POWER"]},
        )
        for name in ("靠窗工位 1", "靠窗工位 2")
    ]
    listed = await graph.query(
        "query($k: ResourceKind) { makerSpaces { id resources(kind: $k) { id } } }", None, k="DESK"
    )
    assert listed["makerSpaces"] == [{"id": space["id"], "resources": [{"id": d["id"]} for d in desks]}]

    # A childcare centre (the ADMIN), a toddler class and its weekly timetable with carers (its staff)
    centre = await graph.mutate(
        f"""mutation($c: ID!) {{ childcareCenterCreate(name: "南睦托育园", communityId: $c) {{ __typename
          ... on ChildcareCenter {{ id name }} {FAILED} }} }}""",
        "ChildcareCenter",
        admin,
        c=nanmu,
    )
    klass = await graph.mutate(
        f"""mutation($i: ChildcareClassCreateInput!) {{ childcareClassCreate(input: $i) {{ __typename
          ... on ChildcareClass {{ id kind }} {FAILED} }} }}""",
        "ChildcareClass",
        carer["token"],
        i={
            "centerId": centre["id"],
            "name": "托小班",
            "kind": "TODDLER",
            "minAgeMonths": 12,
            "maxAgeMonths": 24,
            "capacity": 15,
            "carerRatio": 5,
        },
    )
    timetable = await graph.mutate(
        f"""mutation($c: ID!, $e: [ChildcareTimetableEntryInput!]!) {{
          childcareTimetableSet(classId: $c, entries: $e) {{ __typename
          ... on ChildcareClass {{ id timetable {{ weekday careType capacity }} }} {FAILED} }} }}""",
        "ChildcareClass",
        carer["token"],
        c=klass["id"],
        e=[
            {
                "weekday": weekday,
                "careType": "HALF_DAY",
                "startsAt": "08:30",
                "endsAt": "12:00",
                "capacity": 10,
                "carerIds": [carer["id"]],
            }
            for weekday in range(1, 8)
        ],
    )
    assert [entry["weekday"] for entry in timetable["timetable"]] == list(range(1, 8))
    # The guardian registers their child (18 months old) with consent
    today = shanghai_today()
    child = await graph.mutate(
        f"""mutation($i: ChildRegisterInput!) {{ childRegister(input: $i) {{ __typename
          ... on Child {{ id name }} {FAILED} }} }}""",
        "Child",
        guardian["token"],
        i={"name": "王小宝", "birthDate": (today - timedelta(days=548)).isoformat(), "guardianConsent": True},
    )
    mine = await graph.query("{ myChildren { id } }", guardian["token"])
    assert mine["myChildren"] == [{"id": child["id"]}]

    # ── The community at work ──────────────────────────────────────────────────

    # 1. The resident books a desk tomorrow, in its first free slot
    tomorrow = today + timedelta(days=1)
    free = await graph.query(
        """query($s: ID!, $d: Date!) { resourceAvailability(spaceId: $s, date: $d, kind: DESK) {
          resource { id } freeSlots { start end } } }""",
        guardian["token"],
        s=space["id"],
        d=tomorrow.isoformat(),
    )
    days = free["resourceAvailability"]
    assert [day["resource"]["id"] for day in days] == [d["id"] for d in desks]
    slot = days[0]["freeSlots"][0]
    assert datetime.fromisoformat(slot["start"]).astimezone(SHANGHAI).strftime("%H:%M") == space["opensAt"]
    reservation = await graph.mutate(
        f"""mutation($i: ReservationCreateInput!) {{ reservationCreate(input: $i) {{ __typename
          ... on Reservation {{ id status start end resource {{ id }} space {{ id }} }} {FAILED} }} }}""",
        "Reservation",
        guardian["token"],
        i={"resourceId": desks[0]["id"], "start": slot["start"], "end": slot["end"]},
    )
    assert (reservation["status"], reservation["resource"], reservation["space"]) == (
        "CONFIRMED",
        {"id": desks[0]["id"]},
        {"id": space["id"]},
    )
    upcoming = await graph.query("{ myReservations { edges { node { id status } } } }", guardian["token"])
    assert upcoming["myReservations"]["edges"] == [{"node": {"id": reservation["id"], "status": "CONFIRMED"}}]
    staff_view = await graph.query(
        "query($s: ID!, $d: Date!) { makerSpaceReservations(spaceId: $s, date: $d) { id } }",
        maker["token"],
        s=space["id"],
        d=tomorrow.isoformat(),
    )
    assert staff_view["makerSpaceReservations"] == [{"id": reservation["id"]}]

    # 2. The guardian books the child into the first session not yet started: confirmed
    sessions = await graph.query(
        """query($c: ID!, $f: Date!, $t: Date!, $k: ID) { childcareSessions(centerId: $c, from: $f, to: $t,
          childId: $k) { id start remaining carersOnDuty eligible } }""",
        guardian["token"],
        c=centre["id"],
        f=today.isoformat(),
        t=(today + timedelta(days=7)).isoformat(),
        k=child["id"],
    )
    now = datetime.now(UTC)
    upcoming_sessions = [
        s
        for s in sessions["childcareSessions"]
        if datetime.fromisoformat(s["start"]) > now + timedelta(minutes=5)
    ]
    assert len(upcoming_sessions) >= 6, sessions  # a session every day, about three weeks ahead
    first = upcoming_sessions[0]
    assert (first["carersOnDuty"], first["remaining"], first["eligible"]) == (1, 5, True)  # 1 carer × 5
    booking = await graph.mutate(
        f"""mutation($i: ChildcareBookingCreateInput!) {{ childcareBookingCreate(input: $i) {{ __typename
          ... on ChildcareBooking {{ id status waitlistPosition child {{ id }} session {{ id remaining }} }}
          {FAILED} }} }}""",
        "ChildcareBooking",
        guardian["token"],
        i={"sessionId": first["id"], "childId": child["id"]},
    )
    assert (booking["status"], booking["waitlistPosition"], booking["child"]) == (
        "CONFIRMED",
        None,
        {"id": child["id"]},
    )
    assert booking["session"] == {"id": first["id"], "remaining": 4}
    roster = await graph.query(
        "query($s: ID!) { childcareSessionRoster(sessionId: $s) { id status } }",
        carer["token"],
        s=first["id"],
    )
    assert roster["childcareSessionRoster"] == [{"id": booking["id"], "status": "CONFIRMED"}]

    # 3. The gateway sends a normal reading, then a critical one; the care worker takes the alert
    record = f"""mutation($r: [ReadingInput!]!) {{ readingsRecord(readings: $r) {{ __typename
      ... on ReadingsRecorded {{ accepted duplicates rejected {{ code }}
        alertsRaised {{ id kind severity status }} }} {FAILED} }} }}"""
    measured = datetime.now(UTC).replace(microsecond=0)
    calm = await graph.mutate(
        record,
        "ReadingsRecorded",
        gateway["token"],
        r=[
            {
                "deviceSerial": "WB-NM-0001",
                "kind": "HEART_RATE",
                "value": 72,
                "measuredAt": measured.isoformat(),
            }
        ],
    )
    assert (calm["accepted"], calm["rejected"], calm["alertsRaised"]) == (1, [], [])
    racing = await graph.mutate(
        record,
        "ReadingsRecorded",
        gateway["token"],
        r=[
            {
                "deviceSerial": "WB-NM-0001",
                "kind": "HEART_RATE",
                "value": 125,
                "measuredAt": (measured + timedelta(seconds=30)).isoformat(),
            }
        ],
    )
    assert (racing["accepted"], racing["rejected"]) == (1, [])
    (raised,) = racing["alertsRaised"]
    assert (raised["kind"], raised["severity"], raised["status"]) == (
        "VITAL_OUT_OF_RANGE",
        "CRITICAL",
        "OPEN",
    )
    open_alerts = await graph.query(
        "{ careAlerts(status: [OPEN]) { edges { node { id severity elder { id name } } } } }", care["token"]
    )
    assert open_alerts["careAlerts"]["edges"] == [
        {"node": {"id": raised["id"], "severity": "CRITICAL", "elder": {"id": elder["id"], "name": "张奶奶"}}}
    ]
    taken = await graph.mutate(
        f"""mutation($id: ID!) {{ careAlertAcknowledge(id: $id) {{ __typename
          ... on CareAlert {{ id status acknowledgedAt acknowledgedBy {{ name }} }} {FAILED} }} }}""",
        "CareAlert",
        care["token"],
        id=raised["id"],
    )
    assert (taken["id"], taken["status"], taken["acknowledgedBy"]) == (
        raised["id"],
        "ACKNOWLEDGED",
        {"name": "陈护理"},
    )
    assert taken["acknowledgedAt"] is not None
    still_open = await graph.query("{ careAlerts(status: [OPEN]) { edges { node { id } } } }", care["token"])
    assert still_open["careAlerts"]["edges"] == []
