"""`linli facilities import` end to end (#17): real files in tmp_path, the real command in its own
process, against the test database. Every rejected row is reported with where and why while the
valid rows still import; importing again updates by the source's id, never duplicates."""

import csv
import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from models.audit import AuditLog
from models.facilities import Facility, FacilityService, OpeningPeriod, Service
from models.people import Community
from resolvers.coordinates import CoordinateSystem, from_wgs84, to_wgs84
from resolvers.errors import DomainFailure
from resolvers.facilities.hours import parse_weekly_hours
from resolvers.facilities.importing import import_file
from tests.api.test_cli import linli

NANMU = "南睦未来社区"
WUCHANG_GCJ = (30.2955, 120.0465)
COLUMNS = [
    "id",
    "name",
    "category",
    "lat",
    "lng",
    "address",
    "phone",
    "accessibility",
    "community",
    "hours",
    "services",
]


@pytest.fixture
async def source(engine):
    """A source name of this test's own; its facilities are removed afterwards (its audit rows stay:
    the table is append-only)."""
    name = f"pytest-{uuid.uuid4().hex[:12]}"
    yield name
    async with engine.begin() as connection:
        await connection.execute(delete(Facility).where(Facility.source == name))


async def imported(engine, source: str) -> list[Facility]:
    async with engine.connect() as connection:
        return list(
            (
                await connection.execute(
                    select(
                        Facility.id,
                        Facility.source_id,
                        Facility.name,
                        Facility.lat,
                        Facility.lng,
                        Facility.community_id,
                        Facility.category,
                    )
                    .where(Facility.source == source)
                    .order_by(Facility.source_id)
                )
            ).all()
        )


def feature(source_id, lng, lat, **properties) -> dict:
    return {
        "type": "Feature",
        "id": source_id,
        "geometry": {"type": "Point", "coordinates": [lng, lat]},
        "properties": {"name": f"导入{source_id}", "category": "SELF_SERVICE_KIOSK", **properties},
    }


def write_csv(path: Path, rows: list[dict]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({"name": f"导入{row['id']}", "category": "PARK", **row})
    return path


async def test_a_geojson_file_imports_its_points_and_reports_every_rejected_feature(tmp_path, engine, source):
    lat, lng = WUCHANG_GCJ
    features = [
        feature(
            "a",
            lng,
            lat,
            hours="1-5 08:30-17:00; 6 09:00-12:00; 7 closed",
            services=["MEDICAL_INSURANCE_PAYMENT", "E_SOCIAL_SECURITY_CARD"],
            community=NANMU,
            address="五常大道 1 号",
        ),
        feature("b", 2.3522, 48.8566),
        feature("c", lng, lat, category="ZOO"),
        feature("d", lng, lat, hours="1-5 08:30-25:00"),
        feature("e", "东经", lat),
        {
            "type": "Feature",
            "id": "f",
            "geometry": {"type": "LineString", "coordinates": [[lng, lat], [lng, lat]]},
            "properties": {"name": "线", "category": "PARK"},
        },
        feature(None, lng, lat),
        feature("h", lng + 0.001, lat, services="NO_SUCH_SERVICE"),
        feature("i", lng + 0.002, lat, community="火星社区"),
        feature("a", lng, lat),
        feature("k", lng + 0.003, lat + 0.001, category="park"),
    ]
    path = tmp_path / "wuchang.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False))

    code, out, err = await linli("facilities", "import", str(path), "--source", source)

    assert code == 2, err
    rejected = [line.split(" ", 3)[1:3] for line in out.splitlines() if line.startswith("rejected ")]
    assert rejected == [
        ["features[1]:", "OUTSIDE_CHINA"],
        ["features[2]:", "UNKNOWN_CATEGORY"],
        ["features[3]:", "BAD_HOURS"],
        ["features[4]:", "BAD_COORDINATES"],
        ["features[5]:", "NOT_A_POINT"],
        ["features[6]:", "MISSING_ID"],
        ["features[7]:", "UNKNOWN_SERVICE"],
        ["features[8]:", "UNKNOWN_COMMUNITY"],
        ["features[9]:", "DUPLICATE_ID"],
    ], out
    assert "新增 2，更新 0，未变 0），拒绝 9 行，共 11 行" in out
    assert "11/11" in err  # the progress bar, on stderr
    rows = await imported(engine, source)
    assert [row.source_id for row in rows] == ["a", "k"]
    a = rows[0]
    assert (a.lat, a.lng) == pytest.approx(to_wgs84(lat, lng, CoordinateSystem.GCJ02), abs=1e-7)
    assert rows[1].category == "PARK"
    async with engine.connect() as connection:
        assert a.community_id == await connection.scalar(select(Community.id).where(Community.name == NANMU))
        hours = (
            await connection.execute(
                select(OpeningPeriod.weekday, OpeningPeriod.open_minute, OpeningPeriod.close_minute)
                .where(OpeningPeriod.facility_id == a.id)
                .order_by(OpeningPeriod.weekday)
            )
        ).all()
        services = await connection.scalars(
            select(Service.code)
            .join(FacilityService)
            .where(FacilityService.facility_id == a.id)
            .order_by(Service.code)
        )
        assert hours == [(day, 510, 1020) for day in range(1, 6)] + [(6, 540, 720)]
        assert list(services) == ["E_SOCIAL_SECURITY_CARD", "MEDICAL_INSURANCE_PAYMENT"]
        audit = (
            await connection.execute(
                select(AuditLog.after).where(
                    AuditLog.action == "facility.import", AuditLog.after["source"].astext == source
                )
            )
        ).scalar_one()
    assert (audit["inserted"], audit["updated"], audit["unchanged"], audit["rejected"]) == (2, 0, 0, 9)


async def test_importing_again_updates_by_the_sources_id_and_never_duplicates(tmp_path, engine, source):
    rows = [
        {"id": str(n), "lat": 30.29 + n / 1000, "lng": 120.04, "hours": "1-7 06:00-22:00", "services": ""}
        for n in range(5)
    ]
    path = write_csv(tmp_path / "parks.csv", rows)
    code, out, err = await linli("facilities", "import", str(path), "--source", source)
    assert code == 0, out + err
    first = await imported(engine, source)

    rows[2] |= {"name": "改名公园", "lat": 30.40}
    rows.append({"id": "new", "lat": 30.3, "lng": 120.05, "hours": "", "services": ""})
    write_csv(path, rows)
    code, out, err = await linli("facilities", "import", str(path), "--source", source)

    assert code == 0, out + err
    assert "新增 1，更新 1，未变 4），拒绝 0 行" in out
    second = await imported(engine, source)
    assert len(second) == 6
    assert {row.source_id: row.id for row in second if row.source_id != "new"} == {
        row.source_id: row.id for row in first
    }
    changed = next(row for row in second if row.source_id == "2")
    assert changed.name == "改名公园"
    assert changed.lat == pytest.approx(to_wgs84(30.40, 120.04, CoordinateSystem.GCJ02)[0], abs=1e-7)
    async with engine.connect() as connection:
        periods = await connection.scalar(
            select(func.count())
            .select_from(OpeningPeriod)
            .where(OpeningPeriod.facility_id.in_([r.id for r in second]))
        )
    assert periods == 5 * 7  # replaced, not added to; the new row gave none


@pytest.mark.parametrize("system", ["WGS84", "BD09", "GCJ02"])
async def test_the_coordinate_system_is_declared_for_the_file(tmp_path, engine, source, system):
    wgs = (30.2978, 120.0418)
    lat, lng = from_wgs84(*wgs, CoordinateSystem(system))
    path = write_csv(tmp_path / "points.csv", [{"id": "p", "lat": lat, "lng": lng}])

    code, out, err = await linli("facilities", "import", str(path), "--source", source, "--system", system)

    assert code == 0, out + err
    [row] = await imported(engine, source)
    assert (row.lat, row.lng) == pytest.approx(wgs, abs=1e-6)


async def test_a_dry_run_checks_and_reports_but_writes_nothing(tmp_path, engine, source):
    path = write_csv(
        tmp_path / "dry.csv",
        [{"id": "ok", "lat": 30.29, "lng": 120.04}, {"id": "bad", "lat": 91, "lng": 120.04}],
    )

    code, out, err = await linli("facilities", "import", str(path), "--source", source, "--dry-run")

    assert code == 2, err
    assert "rejected line 3: BAD_COORDINATES" in out
    assert "试运行（未写入）：将导入 1 行（新增 1，更新 0，未变 0），拒绝 1 行" in out
    assert await imported(engine, source) == []
    async with engine.connect() as connection:
        audited = await connection.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.after["source"].astext == source)
        )
    assert audited == 0


async def test_csv_line_numbers_count_the_header_and_quoted_line_breaks(tmp_path, engine, source):
    path = tmp_path / "lines.csv"
    path.write_text(
        "id,name,category,lat,lng,address\n"
        'a,一,PARK,30.29,120.04,"两行\n地址"\n'
        "b,二,PARK,30.29,999,\n"
        "c,三,NOPE,30.29,120.04,\n",
        encoding="utf-8",
    )

    code, out, _ = await linli("facilities", "import", str(path), "--source", source)

    assert code == 2
    assert [line.split(":")[0] for line in out.splitlines() if line.startswith("rejected")] == [
        "rejected line 4",
        "rejected line 5",
    ]
    assert [row.source_id for row in await imported(engine, source)] == ["a"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("broken.geojson", "{not json", "不是有效的 JSON"),
        ("points.geojson", '{"type": "Feature"}', "FeatureCollection"),
        ("few.csv", "id,name\n1,x\n", "CSV 缺少列：category, lat, lng"),
        ("data.txt", "id,name\n", "--format"),
    ],
)
async def test_a_file_that_cannot_be_imported_is_one_clear_line_and_exit_1(
    tmp_path, engine, source, name, content, message
):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")

    code, _, err = await linli("facilities", "import", str(path), "--source", source)

    assert code == 1
    assert err.startswith("linli: ") and message in err, err
    assert "Traceback" not in err
    assert await imported(engine, source) == []


async def test_a_missing_file_is_a_clear_error(tmp_path):
    code, _, err = await linli("facilities", "import", str(tmp_path / "none.csv"))
    assert code == 1 and "找不到文件" in err


async def test_rows_are_written_set_based_whatever_their_number(tmp_path, session, count_statements):
    """A batch is one upsert and one delete and insert each for hours and services: 10 rows and
    300 rows in one batch cost the same statements."""
    measured = []
    for n in (10, 300):
        rows = [
            {
                "id": f"s{n}-{i}",
                "lat": 30.2 + i / 10000,
                "lng": 120.1,
                "hours": "1-5 09:00-17:00",
                "services": "MEDICAL_INSURANCE_PAYMENT",
            }
            for i in range(n)
        ]
        path = write_csv(tmp_path / f"set{n}.csv", rows)
        with count_statements() as counter:
            report = await import_file(session=session, path=path, source=f"setbased{n}", batch_size=1000)
        assert report.inserted == n
        measured.append(counter.count)
    assert measured[0] == measured[1], measured


def test_the_hours_text():
    periods = parse_weekly_hours("1-5 08:30-17:00; 6 09:00-12:00,13:00-17:00；7 closed; 3 22:00-02:00")
    assert [(p.weekday, p.period.open_minute, p.period.close_minute) for p in periods] == [
        *[(day, 510, 1020) for day in range(1, 6)],
        (6, 540, 720),
        (6, 780, 1020),
        (3, 1320, 1560),
    ]
    assert parse_weekly_hours("") == []
    for bad in ("8 09:00-10:00", "5-1 09:00-10:00", "1 09:00", "1 9-10", "1-5", "一 09:00-10:00"):
        with pytest.raises(DomainFailure):
            parse_weekly_hours(bad)
