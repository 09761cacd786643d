"""智慧养老 demo data. SYNTHETIC: 40 made-up elders, their devices and a week of made-up readings.

Ten elders in each of four communities, aged 65–95, about a third living alone (独居). Everyone has
a wristband and an SOS button; half also a blood-pressure cuff and a thermometer; those living alone
a motion and a door sensor; a few a fall detector. Wristbands also report the respiratory rate;
SOS buttons and fall detectors, which report nothing else until pressed or triggered, send an
hourly HEARTBEAT (a device never heard from is offline 30 minutes after its assignment). The
RESIDENT demo account (13800000001) is the child of the first two Nanmu elders: the father has
consented to share his data, the mother not yet.

Idempotent: elders are keyed by (name, community), devices by serial (an existing one is left as the
office has it: a device assigned to nobody gets no readings), family links by (elder, person), and
readings by (device, kind, measured_at) on a grid aligned to the clock, so running it
again with the same `now` adds nothing (a later `now` adds only the readings since). The readings
are made in the database (generate_series, random() after setseed); no alerts are raised here.
"""

from datetime import datetime, timedelta

from sqlalchemy import func, select, text, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from models.eldercare import (
    LOINC,
    ConsentGiver,
    Device,
    DeviceKind,
    Elder,
    ElderConsent,
    FamilyLink,
    ReadingKind,
)
from models.people import Person
from resolvers.clock import SHANGHAI

HISTORY = timedelta(days=7)
RANDOM_SEED = 0.2026

# community → (serial code, ten elders); the first two Nanmu elders are the demo family.
ELDERS = {
    "南睦未来社区": ("NM", "王德明 刘桂芳 陈玉兰 张国庆 李秀珍 赵志华 孙淑英 周长根 吴美娣 郑阿毛"),
    "海创社区": ("HC", "徐金凤 沈伟民 朱凤英 胡建华 钱宝娣 马国强 何素珍 高永年 罗桂花 林志刚"),
    "文一社区": ("WY", "杨丽华 黄文彬 韩秀云 冯德胜 曹月娥 邓春生 许金娣 潘立新 蒋兰英 袁福根"),
    "永福社区": ("YF", "俞阿庆 姚惠芬 陆建平 施爱珍 范荣华 方菊英 严国良 金彩凤 戴明海 章雪琴"),
}

FAMILY_PHONE = "13800000001"
FAMILY_RELATIONSHIP = "子女"

SERIAL_PREFIX = {
    DeviceKind.WRISTBAND: "WB",
    DeviceKind.SOS_BUTTON: "SOS",
    DeviceKind.BLOOD_PRESSURE_CUFF: "BP",
    DeviceKind.THERMOMETER: "TH",
    DeviceKind.MOTION_SENSOR: "MS",
    DeviceKind.DOOR_SENSOR: "DS",
    DeviceKind.FALL_DETECTOR: "FD",
}

# (device kind, reading kind, every seconds on the epoch grid, normal low, normal high, decimals)
VITALS = [
    (DeviceKind.WRISTBAND, ReadingKind.HEART_RATE, 600, 60, 95, 0),
    (DeviceKind.WRISTBAND, ReadingKind.SPO2, 1800, 95, 99, 0),
    (DeviceKind.WRISTBAND, ReadingKind.RESPIRATORY_RATE, 1800, 12, 20, 0),
    # 00:00 and 12:00 UTC: 08:00 and 20:00 in Hangzhou.
    (DeviceKind.BLOOD_PRESSURE_CUFF, ReadingKind.SYSTOLIC_BP, 43200, 110, 140, 0),
    (DeviceKind.BLOOD_PRESSURE_CUFF, ReadingKind.DIASTOLIC_BP, 43200, 65, 90, 0),
    (DeviceKind.THERMOMETER, ReadingKind.BODY_TEMPERATURE, 43200, 36.2, 37.2, 1),
]

# (device kind, event, first hour, last hour, every hours): activity within 07:00–22:00, local hours;
# heartbeats all day.
EVENTS = [
    (DeviceKind.MOTION_SENSOR, ReadingKind.MOTION, 7, 21, 1),
    (DeviceKind.DOOR_SENSOR, ReadingKind.DOOR, 8, 20, 4),
    (DeviceKind.SOS_BUTTON, ReadingKind.HEARTBEAT, 0, 23, 1),
    (DeviceKind.FALL_DETECTOR, ReadingKind.HEARTBEAT, 0, 23, 1),
]

VITALS_SQL = """
INSERT INTO readings (device_id, elder_id, kind, value, loinc, measured_at)
SELECT d.id, d.elder_id, s.kind, round(CAST(s.low + random() * (s.high - s.low) AS numeric), s.digits),
       s.loinc, t
FROM devices d
JOIN unnest(CAST(:device_kinds AS text[]), CAST(:kinds AS text[]), CAST(:loincs AS text[]),
            CAST(:step_s AS int[]), CAST(:lows AS float8[]), CAST(:highs AS float8[]), CAST(:digits AS int[]))
     AS s(device_kind, kind, loinc, step_s, low, high, digits) ON s.device_kind = d.kind
CROSS JOIN LATERAL generate_series(
    to_timestamp(ceil(extract(epoch FROM CAST(:since AS timestamptz)) / s.step_s) * s.step_s),
    CAST(:now AS timestamptz), make_interval(secs => s.step_s)) AS t
WHERE d.serial = ANY(CAST(:serials AS text[])) AND d.elder_id IS NOT NULL
ORDER BY d.id, s.kind, t
ON CONFLICT (device_id, kind, measured_at) DO NOTHING
"""

# An event in most local hours, at a minute fixed by (device, hour), so a rerun makes the same rows.
EVENTS_SQL = """
INSERT INTO readings (device_id, elder_id, kind, value, loinc, measured_at)
SELECT d.id, d.elder_id, s.kind, NULL, NULL, h + make_interval(mins => CAST((d.id * 7 + n * 13) % 50 AS int))
FROM devices d
JOIN unnest(CAST(:device_kinds AS text[]), CAST(:kinds AS text[]), CAST(:first_hours AS int[]),
            CAST(:last_hours AS int[]), CAST(:step_h AS int[]))
     AS s(device_kind, kind, first_hour, last_hour, step_h) ON s.device_kind = d.kind
CROSS JOIN LATERAL generate_series(date_trunc('hour', CAST(:since AS timestamptz)) + interval '1 hour',
                                   CAST(:now AS timestamptz), interval '1 hour') AS h
CROSS JOIN LATERAL (SELECT CAST(extract(epoch FROM h) AS bigint) / 3600 AS n,
                           CAST(extract(hour FROM h AT TIME ZONE 'Asia/Shanghai') AS int) AS local_hour) AS c
WHERE d.serial = ANY(CAST(:serials AS text[])) AND d.elder_id IS NOT NULL
  AND c.local_hour BETWEEN s.first_hour AND s.last_hour AND (c.local_hour - s.first_hour) % s.step_h = 0
  AND (d.id + n) % 7 <> 0
  AND h + make_interval(mins => CAST((d.id * 7 + n * 13) % 50 AS int)) <= CAST(:now AS timestamptz)
ON CONFLICT (device_id, kind, measured_at) DO NOTHING
"""

LAST_SEEN_SQL = """
UPDATE devices d SET last_seen_at = r.latest
FROM (SELECT device_id, max(measured_at) AS latest FROM readings
      WHERE device_id = ANY(CAST(:ids AS bigint[])) AND measured_at >= CAST(:since AS timestamptz)
      GROUP BY device_id) AS r
WHERE d.id = r.device_id AND (d.last_seen_at IS NULL OR d.last_seen_at < r.latest)
"""

LAST_ACTIVITY_SQL = """
UPDATE elders e SET last_activity_at = r.latest
FROM (SELECT elder_id, max(measured_at) AS latest FROM readings
      WHERE elder_id = ANY(CAST(:ids AS bigint[])) AND kind IN ('MOTION', 'DOOR')
        AND measured_at >= CAST(:since AS timestamptz)
      GROUP BY elder_id) AS r
WHERE e.id = r.elder_id AND (e.last_activity_at IS NULL OR e.last_activity_at < r.latest)
"""


def elder_rows(community_ids: dict[str, int], now: datetime) -> list[dict]:
    """The 40 elders with derived (stable) ages, living arrangements and devices."""
    today = now.astimezone(SHANGHAI).date()
    rows = []
    for community, (code, names) in ELDERS.items():
        for number, name in enumerate(names.split(), start=1):
            index = len(rows)
            age = 65 + (index * 13) % 31  # 65–95
            lives_alone = index % 3 == 2
            kinds = [DeviceKind.WRISTBAND, DeviceKind.SOS_BUTTON]
            if index % 2 == 0:
                kinds += [DeviceKind.BLOOD_PRESSURE_CUFF, DeviceKind.THERMOMETER]
            if lives_alone:
                kinds += [DeviceKind.MOTION_SENSOR, DeviceKind.DOOR_SENSOR]
            if index % 9 == 4:
                kinds.append(DeviceKind.FALL_DETECTOR)
            rows.append(
                {
                    "name": name,
                    "community_id": community_ids[community],
                    "birth_date": today - timedelta(days=int(365.25 * age) + 30 + (index * 37) % 300),
                    "lives_alone": lives_alone,
                    "serials": {f"{SERIAL_PREFIX[kind]}-{code}-{number:04d}": kind for kind in kinds},
                }
            )
    return rows


async def seed_elders(*, session: AsyncSession, rows: list[dict]) -> list[int]:
    keys = [(row["name"], row["community_id"]) for row in rows]
    existing = await session.execute(
        select(Elder.name, Elder.community_id, Elder.id).where(
            tuple_(Elder.name, Elder.community_id).in_(keys)
        )
    )
    ids = {(name, community_id): elder_id for name, community_id, elder_id in existing}
    for row, key in zip(rows, keys, strict=True):
        if key not in ids:
            elder = Elder(
                name=row["name"],
                community_id=row["community_id"],
                birth_date=row["birth_date"],
                lives_alone=row["lives_alone"],
            )
            session.add(elder)
            await session.flush()
            # As elderRegister does: the elder comes with the consent monitoring stands on.
            session.add(
                ElderConsent(
                    elder_id=elder.id,
                    given_by=ConsentGiver.ELDER.value,
                    reference=f"DEMO-{elder.id:05d}（演示数据）",
                    given_at=func.now(),
                )
            )
            await session.flush()
            ids[key] = elder.id
    return [ids[key] for key in keys]


async def seed_devices(*, session: AsyncSession, rows: list[dict], elder_ids: list[int]) -> list[int]:
    device_ids = []
    for row, elder_id in zip(rows, elder_ids, strict=True):
        for serial, kind in row["serials"].items():
            added = insert(Device).values(serial=serial, kind=kind.value, elder_id=elder_id)
            # A new device is assigned (the database opens its history row); one that exists is left
            # as the office has it since (deviceAssign, deviceUnassign, deviceRetire keep its history).
            device_ids.append(
                await session.scalar(
                    added.on_conflict_do_update(
                        index_elements=[Device.serial], set_={"serial": added.excluded.serial}
                    ).returning(Device.id)
                )
            )
    return device_ids


async def seed_family(*, session: AsyncSession, elder_ids: list[int], now: datetime) -> int:
    """Consent once given (or withheld) is the elder's to change: a rerun updates only the relationship."""
    person_id = await session.scalar(select(Person.id).where(Person.phone == FAMILY_PHONE))
    if person_id is None:
        return 0
    for elder_id, consented_at in zip(elder_ids[:2], (now, None), strict=True):
        await session.execute(
            insert(FamilyLink)
            .values(
                elder_id=elder_id,
                person_id=person_id,
                relationship=FAMILY_RELATIONSHIP,
                consented_at=consented_at,
            )
            .on_conflict_do_update(
                index_elements=[FamilyLink.elder_id, FamilyLink.person_id],
                set_={"relationship": FAMILY_RELATIONSHIP},
            )
        )
    return 2


async def seed_readings(*, session: AsyncSession, serials: list[str], now: datetime) -> int:
    span = {"serials": serials, "since": now - HISTORY, "now": now}
    await session.execute(text("SELECT setseed(:seed)"), {"seed": RANDOM_SEED})
    vitals = await session.execute(
        text(VITALS_SQL),
        {
            **span,
            "device_kinds": [spec[0].value for spec in VITALS],
            "kinds": [spec[1].value for spec in VITALS],
            "loincs": [LOINC[spec[1]] for spec in VITALS],
            "step_s": [spec[2] for spec in VITALS],
            "lows": [float(spec[3]) for spec in VITALS],
            "highs": [float(spec[4]) for spec in VITALS],
            "digits": [spec[5] for spec in VITALS],
        },
    )
    events = await session.execute(
        text(EVENTS_SQL),
        {
            **span,
            "device_kinds": [spec[0].value for spec in EVENTS],
            "kinds": [spec[1].value for spec in EVENTS],
            "first_hours": [spec[2] for spec in EVENTS],
            "last_hours": [spec[3] for spec in EVENTS],
            "step_h": [spec[4] for spec in EVENTS],
        },
    )
    return vitals.rowcount + events.rowcount


async def seed_eldercare(
    *, session: AsyncSession, community_ids: dict[str, int], now: datetime
) -> dict[str, int]:
    rows = elder_rows(community_ids, now)
    elder_ids = await seed_elders(session=session, rows=rows)
    device_ids = await seed_devices(session=session, rows=rows, elder_ids=elder_ids)
    links = await seed_family(session=session, elder_ids=elder_ids, now=now)
    serials = [serial for row in rows for serial in row["serials"]]
    added = await seed_readings(session=session, serials=serials, now=now)
    since = {"since": now - HISTORY}
    await session.execute(text(LAST_SEEN_SQL), {"ids": device_ids, **since})
    await session.execute(text(LAST_ACTIVITY_SQL), {"ids": elder_ids, **since})
    return {
        "elders": len(elder_ids),
        "devices": len(device_ids),
        "family_links": links,
        "readings_added": added,
    }
