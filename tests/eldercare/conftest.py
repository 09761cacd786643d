"""Elder-care fixtures: two elders in two communities, their devices, family with and without consent."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, select, update

from models.eldercare import Device, Elder, ElderConsent, FamilyLink
from models.people import Community, Role
from resolvers import people as people_service
from schema.common import encode_global_id
from server.auth import TokenService

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEDNESDAY_10 = datetime(2026, 12, 2, 10, 0, tzinfo=SHANGHAI)

RECORD = """
mutation($r: [ReadingInput!]!) { readingsRecord(readings: $r) {
  __typename
  ... on ReadingsRecorded { accepted duplicates rejected { index deviceId code }
                            alertsRaised { id kind severity status count summary } }
  ... on InvalidReadings { code message rejected { index code } }
} }
"""


@dataclass
class Ward:
    """What a test needs to know about the elder-care world it runs in."""

    elder_a: int  # 南睦, lives alone, wristband + SOS + motion sensor
    elder_b: int  # 海创, wristband
    tokens: dict[str, str]

    def gid(self, elder_id: int) -> str:
        return encode_global_id("Elder", elder_id)


@pytest.fixture
def clock_at_ten(clock):
    clock.now = WEDNESDAY_10
    return clock


@pytest.fixture
async def ward(session, settings, tokens, clock_at_ten) -> Ward:
    # The demo elders' devices are taken away within the test's transaction (a device never heard
    # from is still monitored, from its assignment), so the jobs and the board see only the ward below.
    await session.execute(delete(Device))
    await session.execute(update(Elder).values(lives_alone=False))
    communities = dict((await session.execute(select(Community.name, Community.id))).all())
    a = Elder(
        name="张桂英",
        birth_date=date(1942, 5, 3),
        lives_alone=True,
        community_id=communities["南睦未来社区"],
        last_activity_at=WEDNESDAY_10 - timedelta(hours=1),
    )
    b = Elder(
        name="刘德明", birth_date=date(1938, 9, 12), lives_alone=False, community_id=communities["海创社区"]
    )
    session.add_all([a, b])
    await session.flush()
    session.add_all(
        [
            ElderConsent(
                elder_id=elder.id, given_by="ELDER", reference=f"T-{elder.name}", given_at=WEDNESDAY_10
            )
            for elder in (a, b)
        ]
    )
    session.add_all(
        [
            Device(
                serial="T-WB-A",
                kind="WRISTBAND",
                elder_id=a.id,
                last_seen_at=WEDNESDAY_10 - timedelta(minutes=5),
            ),
            Device(serial="T-SOS-A", kind="SOS_BUTTON", elder_id=a.id, last_seen_at=WEDNESDAY_10),
            Device(serial="T-MOTION-A", kind="MOTION_SENSOR", elder_id=a.id, last_seen_at=WEDNESDAY_10),
            Device(serial="T-FALL-A", kind="FALL_DETECTOR", elder_id=a.id, last_seen_at=WEDNESDAY_10),
            Device(serial="T-WB-B", kind="WRISTBAND", elder_id=b.id, last_seen_at=WEDNESDAY_10),
        ]
    )
    service = TokenService(settings)
    extra = {}
    for key, phone, role, community in [
        ("FAMILY", "13611110001", Role.RESIDENT, None),
        ("FAMILY_NO_CONSENT", "13611110002", Role.RESIDENT, None),
        ("CARE_STAFF_HAICHUANG", "13611110003", Role.CARE_STAFF, "海创社区"),
    ]:
        person = await people_service.add_user(
            session=session, phone=phone, name=key, role=role, community_name=community
        )
        extra[key] = (person, service.issue(person)[0])
    session.add_all(
        [
            FamilyLink(
                elder_id=a.id, person_id=extra["FAMILY"][0].id, relationship="女儿", consented_at=WEDNESDAY_10
            ),
            FamilyLink(elder_id=a.id, person_id=extra["FAMILY_NO_CONSENT"][0].id, relationship="侄子"),
        ]
    )
    await session.commit()
    return Ward(
        elder_a=a.id, elder_b=b.id, tokens={**tokens, **{key: token for key, (_, token) in extra.items()}}
    )


def reading(device: str, kind: str, value: float | None, minute: int, hour: int = 9) -> dict:
    return {
        "deviceId": device,
        "kind": kind,
        "value": value,
        "measuredAt": WEDNESDAY_10.replace(hour=hour, minute=minute).isoformat(),
    }


@pytest.fixture
def record(gql, ward):
    async def send(*readings: dict, token: str | None = None) -> dict:
        body = await gql(RECORD, {"r": list(readings)}, token=token or ward.tokens["DEVICE_GATEWAY"])
        assert "errors" not in body, body
        return body["data"]["readingsRecord"]

    return send


@pytest.fixture
async def instruments(session, ward) -> None:
    """Elder A's other devices: a blood-pressure cuff, a thermometer and a door sensor."""
    session.add_all(
        [
            Device(serial=serial, kind=kind, elder_id=ward.elder_a, last_seen_at=WEDNESDAY_10)
            for serial, kind in [
                ("T-BP-A", "BLOOD_PRESSURE_CUFF"),
                ("T-TH-A", "THERMOMETER"),
                ("T-DOOR-A", "DOOR_SENSOR"),
            ]
        ]
    )
    await session.commit()
