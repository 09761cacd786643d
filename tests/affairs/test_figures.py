"""caseFigures (#18): the community office's monthly figures, checked against figures computed here
from the raw case and event rows (Python's statistics.median, not the SQL the resolver sends).

The world is the seeded 南睦苑: the demo resident 王晓燕 (household 南睦苑3幢2单元501) reports;
her repairs, sanitation, parking and safety hazards go to 南睦苑物业服务中心 (钱管家), her noise
complaints to 南睦社区居委会 (吴主任). Cases are driven through the real steps over September and
October 2026 (moving `now`), with a report at 01:00 Shanghai on 1 October (still 30 September in
UTC), late acceptances, one exactly at its deadline, a reopening re-resolved the next month,
ratings, and two resolutions of the same number of minutes.
"""

import random
import statistics
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, func, insert, select

from models.affairs import (
    Case,
    CaseCategory,
    CaseEvent,
    CaseResolutionHours,
    CaseResolutionMinutes,
    Organisation,
)
from models.people import Community, Person, Role
from resolvers import people as people_service
from resolvers.actor import Viewer
from resolvers.affairs import cases as case_steps
from resolvers.affairs.figures import case_figures, months_between
from schema.common import encode_global_id
from server.auth import TokenService

SHANGHAI = ZoneInfo("Asia/Shanghai")
RESIDENT, OFFICE, COMMITTEE_MEMBER, PROPERTY_MEMBER = (
    "13800000001",
    "13800000007",
    "13800000008",
    "13800000009",
)

QUERY = """
query Figures($community: ID!, $from: String!, $to: String!, $organisation: ID) {
  caseFigures(communityId: $community, from: $from, to: $to, organisationId: $organisation) {
    organisation { id name kind }
    month received answeredInTime medianResolutionMinutes resolved averageRating reopenRate
  }
}
"""


def at(text: str) -> datetime:
    """A moment given in UTC, `2026-09-03 02:00[:59]`."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def person(session, phone: str) -> Person:
    found = await session.scalar(select(Person).where(Person.phone == phone))
    await session.refresh(found, ["roles"])
    return found


async def viewer(session, phone: str) -> Viewer:
    who = await person(session, phone)
    return Viewer(who.id, frozenset(who.role_names), who.community_id)


async def token(session, settings, phone: str) -> str:
    return TokenService(settings).issue(await person(session, phone))[0]


async def community_id(session, name: str = "南睦未来社区") -> int:
    return await session.scalar(select(Community.id).where(Community.name == name))


# (category, reported, [(step, minutes after the report, extra)]): minutes may carry seconds.
STORIES = [
    # September (Shanghai)
    ("PUBLIC_FACILITY_REPAIR", "2026-09-03 02:00", [("accept", 30), ("resolve", 3060.99), ("rate", 4000, 5)]),
    ("SANITATION", "2026-09-10 01:00", [("accept", 2880), ("resolve", 4320), ("rate", 5000, 3)]),  # late
    (
        "PARKING",
        "2026-09-20 03:00",
        [
            ("accept", 60),
            ("resolve", 2 * 1440),
            ("reopen", 5 * 1440),  # 09-25
            ("accept", 6 * 1440),
            ("resolve", 12 * 1440 + 11),  # 10-02: resolved again, the next month
            ("rate", 13 * 1440, 2),
        ],
    ),
    ("PUBLIC_FACILITY_REPAIR", "2026-09-24 04:00", [("accept", 1440), ("resolve", 1530)]),  # at the deadline
    # 01:00 on 1 October in Shanghai, still September in UTC: an October case
    ("PUBLIC_FACILITY_REPAIR", "2026-09-30 17:00", [("accept", 10), ("resolve", 733)]),
    # October
    ("NOISE", "2026-10-05 02:00", [("accept", 1500), ("resolve", 1800)]),  # 居委会, late
    ("SAFETY_HAZARD", "2026-10-07 02:00", [("accept", 180)]),  # 2 h to accept: late; not resolved
    ("PUBLIC_FACILITY_REPAIR", "2026-10-15 02:00", []),  # never accepted
    ("PUBLIC_FACILITY_REPAIR", "2026-10-20 02:00", [("accept", 20), ("resolve", 1447), ("rate", 1500, 4)]),
    ("PUBLIC_FACILITY_REPAIR", "2026-10-21 02:00", [("accept", 5), ("resolve", 17)]),
    (
        "SANITATION",
        "2026-10-22 02:00",
        [("accept", 40), ("resolve", 1447.5), ("rate", 2000, 5)],
    ),  # same minute
]


async def drive_stories(session) -> list[int]:
    """Every story through the real steps, in the order their moments come."""
    resident = await viewer(session, RESIDENT)
    staff = {
        "PROPERTY_MANAGEMENT": await viewer(session, PROPERTY_MEMBER),
        "RESIDENTS_COMMITTEE": await viewer(session, COMMITTEE_MEMBER),
    }
    steps = []
    for index, (category, reported, story) in enumerate(STORIES):
        start = at(reported)
        steps.append((start, index, "report", category))
        for step, minutes, *extra in story:
            steps.append((start + timedelta(minutes=minutes), index, step, extra[0] if extra else None))
    steps.sort(key=lambda item: (item[0], item[1]))
    ids: dict[int, int] = {}
    for now, index, step, extra in steps:
        if step == "report":
            made = await case_steps.report_case(
                session=session,
                viewer=resident,
                report=case_steps.Report(category_code=extra, description=f"测试事项 {index}"),
                now=now,
            )
            ids[index] = made.id
            continue
        row = await session.get(Case, ids[index])
        handler = staff[(await session.get(Organisation, row.organisation_id)).kind]
        if step == "accept":
            await case_steps.accept_case(session=session, viewer=handler, case_id=row.id, now=now)
        elif step == "resolve":
            await case_steps.resolve_case(
                session=session, viewer=handler, case_id=row.id, note="已处理", now=now
            )
        elif step == "rate":
            await case_steps.rate_case(
                session=session, viewer=resident, case_id=row.id, rating=extra, comment=None, now=now
            )
        elif step == "reopen":
            await case_steps.reopen_case(
                session=session, viewer=resident, case_id=row.id, comment="还没修好", now=now
            )
    await session.flush()
    return [ids[index] for index in range(len(STORIES))]


def month_of(moment: datetime) -> date:
    local = moment.astimezone(SHANGHAI)
    return date(local.year, local.month, 1)


async def expected_figures(session, community: int, months: list[date]) -> dict[tuple[int, str], dict]:
    """The figures, by (organisation id, YYYY-MM), from the cases and their events as stored."""
    organisations = list(
        await session.scalars(select(Organisation.id).where(Organisation.community_id == community))
    )
    cases = {
        row.id: (row, accept_minutes)
        for row, accept_minutes in (
            await session.execute(
                select(Case, CaseCategory.accept_minutes)
                .join(CaseCategory, CaseCategory.id == Case.category_id)
                .where(Case.community_id == community)
            )
        ).all()
    }
    events = defaultdict(list)
    for item in await session.scalars(
        select(CaseEvent).where(CaseEvent.case_id.in_(list(cases))).order_by(CaseEvent.id)
    ):
        events[item.case_id].append(item)
    counts = defaultdict(lambda: defaultdict(int))
    minutes = defaultdict(list)
    ratings = defaultdict(list)
    for case_id, (row, accept_minutes) in cases.items():
        org = row.organisation_id
        counts[(org, month_of(row.reported_at))]["received"] += 1
        accepts = [item for item in events[case_id] if item.kind == "ACCEPTED"]
        if accepts and accepts[0].at <= row.reported_at + timedelta(minutes=accept_minutes):
            counts[(org, month_of(row.reported_at))]["in_time"] += 1
        for item in events[case_id]:
            month = month_of(item.at)
            if item.kind == "RESOLVED":
                counts[(org, month)]["resolved"] += 1
                minutes[(org, month)].append((item.at - row.reported_at).total_seconds() // 60)
            elif item.kind == "RATED":
                ratings[(org, month)].append(row.rating)
            elif item.kind == "REOPENED":
                counts[(org, month)]["reopened"] += 1
    expected = {}
    for org in organisations:
        for month in months:
            key = (org, month)
            received, resolved = counts[key]["received"], counts[key]["resolved"]
            expected[(org, f"{month:%Y-%m}")] = {
                "received": received,
                "answeredInTime": counts[key]["in_time"] / received if received else None,
                "medianResolutionMinutes": statistics.median(minutes[key]) if minutes[key] else None,
                "resolved": resolved,
                "averageRating": statistics.mean(ratings[key]) if ratings[key] else None,
                "reopenRate": counts[key]["reopened"] / resolved if resolved else None,
            }
    return expected


def answered(rows: list[dict]) -> dict[tuple[str, str], dict]:
    return {
        (row["organisation"]["id"], row["month"]): {
            key: value for key, value in row.items() if key not in ("organisation", "month")
        }
        for row in rows
    }


def approx(figures: dict[tuple[int, str], dict]) -> dict:
    return {
        (encode_global_id("Organisation", org), month): {
            key: value if value is None else pytest.approx(value) for key, value in row.items()
        }
        for (org, month), row in figures.items()
    }


async def test_figures_agree_with_the_cases_and_events(session, gql, settings):
    community = await community_id(session)
    await drive_stories(session)
    months = months_between(date(2026, 8, 1), date(2026, 11, 1))
    expected = await expected_figures(session, community, months)

    body = await gql(
        QUERY,
        {"community": encode_global_id("Community", community), "from": "2026-08", "to": "2026-11"},
        token=await token(session, settings, OFFICE),
    )

    assert "errors" not in body, body
    rows = body["data"]["caseFigures"]
    assert answered(rows) == approx(expected)
    organisations = list(
        await session.scalars(
            select(Organisation.id).where(Organisation.community_id == community).order_by(Organisation.id)
        )
    )
    assert [(row["organisation"]["id"], row["month"]) for row in rows] == [
        (encode_global_id("Organisation", org), month)
        for org in organisations
        for month in ("2026-08", "2026-09", "2026-10", "2026-11")
    ]
    # The stories as written, so the independent count itself is checked too.
    property_id = await session.scalar(
        select(Organisation.id).where(Organisation.name == "南睦苑物业服务中心")
    )
    by_month = answered(rows)
    september = by_month[(encode_global_id("Organisation", property_id), "2026-09")]
    october = by_month[(encode_global_id("Organisation", property_id), "2026-10")]
    assert september == {
        "received": 4,  # the 01:00 report of 1 October is October's
        "answeredInTime": pytest.approx(3 / 4),  # the sanitation case was accepted late
        "medianResolutionMinutes": pytest.approx((2880 + 3060) / 2),  # of 1530, 2880, 3060, 4320
        "resolved": 4,
        "averageRating": pytest.approx(4.0),  # 5 and 3
        "reopenRate": pytest.approx(1 / 4),
    }
    assert october == {
        "received": 6,
        "answeredInTime": pytest.approx(4 / 6),  # the hazard late, one never accepted
        "medianResolutionMinutes": pytest.approx(1447),  # of 17, 733, 1447, 1447, 17291
        "resolved": 5,
        "averageRating": pytest.approx((2 + 4 + 5) / 3),
        "reopenRate": pytest.approx(0.0),
    }
    empty = by_month[(encode_global_id("Organisation", property_id), "2026-08")]
    assert empty == {
        "received": 0,
        "answeredInTime": None,
        "medianResolutionMinutes": None,
        "resolved": 0,
        "averageRating": None,
        "reopenRate": None,
    }


async def test_a_member_reads_their_own_organisation_only(session, gql, settings):
    community = await community_id(session)
    await drive_stories(session)
    property_id = await session.scalar(
        select(Organisation.id).where(Organisation.name == "南睦苑物业服务中心")
    )
    committee_id = await session.scalar(select(Organisation.id).where(Organisation.name == "南睦社区居委会"))
    member = await token(session, settings, PROPERTY_MEMBER)
    variables = {"community": encode_global_id("Community", community), "from": "2026-09", "to": "2026-10"}
    expected = await expected_figures(session, community, [date(2026, 9, 1), date(2026, 10, 1)])

    own = await gql(
        QUERY, {**variables, "organisation": encode_global_id("Organisation", property_id)}, token=member
    )
    other = await gql(
        QUERY, {**variables, "organisation": encode_global_id("Organisation", committee_id)}, token=member
    )
    whole = await gql(QUERY, variables, token=member)

    assert "errors" not in own, own
    assert answered(own["data"]["caseFigures"]) == approx(
        {key: value for key, value in expected.items() if key[0] == property_id}
    )
    for body in (other, whole):
        assert body["data"] is None
        assert [error["extensions"]["code"] for error in body["errors"]] == ["NOT_FOUND"]


async def test_another_community_office_and_a_resident_are_refused(session, gql, settings):
    community = await community_id(session)
    await drive_stories(session)
    elsewhere = await people_service.add_user(
        session=session,
        phone="17700009901",
        name="海创社区办",
        role=Role.COMMUNITY_ADMIN,
        community_name="海创社区",
    )
    await session.flush()
    await session.refresh(elsewhere, ["roles"])
    variables = {"community": encode_global_id("Community", community), "from": "2026-09", "to": "2026-10"}
    property_id = await session.scalar(
        select(Organisation.id).where(Organisation.name == "南睦苑物业服务中心")
    )

    other_office = await gql(QUERY, variables, token=TokenService(settings).issue(elsewhere)[0])
    other_office_one = await gql(
        QUERY,
        {**variables, "organisation": encode_global_id("Organisation", property_id)},
        token=TokenService(settings).issue(elsewhere)[0],
    )
    resident = await gql(QUERY, variables, token=await token(session, settings, RESIDENT))
    anonymous = await gql(QUERY, variables)
    own_office = await gql(
        QUERY,
        {**variables, "community": encode_global_id("Community", await community_id(session, "海创社区"))},
        token=TokenService(settings).issue(elsewhere)[0],
    )

    assert [error["extensions"]["code"] for error in other_office["errors"]] == ["NOT_FOUND"]
    assert [error["extensions"]["code"] for error in other_office_one["errors"]] == ["NOT_FOUND"]
    assert "南睦" not in str(other_office) + str(other_office_one)
    assert [error["extensions"]["code"] for error in resident["errors"]] == ["FORBIDDEN"]
    assert [error["extensions"]["code"] for error in anonymous["errors"]] == ["UNAUTHENTICATED"]
    # …while the same office reads its own community: its organisations, nothing of 南睦.
    assert "errors" not in own_office, own_office
    names = {row["organisation"]["name"] for row in own_office["data"]["caseFigures"]}
    assert names == {"海创社区居委会", "海创园物业服务中心"}


@pytest.mark.parametrize(
    ("first", "last", "reason"),
    [
        ("2026-13", "2026-12", "INVALID_ARGUMENT"),
        ("2026-9", "2026-10", "INVALID_ARGUMENT"),
        ("september", "2026-10", "INVALID_ARGUMENT"),
        ("2026-10", "2026-09", "DATE_RANGE_OUT_OF_BOUNDS"),
        ("2024-10", "2026-10", "DATE_RANGE_OUT_OF_BOUNDS"),  # 25 months
    ],
)
async def test_bad_months_are_bad_requests(session, gql, settings, first, last, reason):
    community = await community_id(session)

    body = await gql(
        QUERY,
        {"community": encode_global_id("Community", community), "from": first, "to": last},
        token=await token(session, settings, OFFICE),
    )

    assert body["data"] is None
    assert [(error["extensions"]["code"], error["extensions"]["reason"]) for error in body["errors"]] == [
        ("BAD_REQUEST", reason)
    ]


async def test_twenty_four_months_are_allowed(session, gql, settings):
    community = await community_id(session)

    body = await gql(
        QUERY,
        {"community": encode_global_id("Community", community), "from": "2024-11", "to": "2026-10"},
        token=await token(session, settings, OFFICE),
    )

    assert "errors" not in body, body
    organisations = await session.scalar(
        select(func.count()).select_from(Organisation).where(Organisation.community_id == community)
    )
    assert len(body["data"]["caseFigures"]) == 24 * organisations


def relations(plan: dict) -> set[str]:
    found = {plan["Relation Name"]} if "Relation Name" in plan else set()
    for child in plan.get("Plans", []):
        found |= relations(child)
    return found


async def test_the_figures_read_no_cases(session, engine):
    """The statement the resolver sends, explained: only the kept figures and the organisations."""
    community = await community_id(session)
    await drive_stories(session)
    office = await viewer(session, OFFICE)
    sent = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        rows = await case_figures(
            session=session,
            viewer=office,
            community_id=community,
            first_month=date(2026, 1, 1),
            last_month=date(2026, 12, 1),
        )
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)
    assert sum(row.received for row in rows) == len(STORIES)
    statement, parameters = next((text, params) for text, params in sent if "case_monthly_figures" in text)
    connection = await session.connection()
    plan = (await connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters)).scalar()

    touched = relations(plan[0]["Plan"])

    assert touched == {
        "organisations",
        "case_monthly_figures",
        "case_resolution_hours",
        "case_resolution_minutes",
    }


async def test_the_median_from_the_kept_counts_is_the_median_of_the_minutes(session):
    """24 months of minutes drawn at random (many in the same hour, many repeated), kept as the
    trigger keeps them, against statistics.median of the minutes themselves."""
    community = await community_id(session, "海创社区")
    organisation = await session.scalar(select(Organisation.id).where(Organisation.name == "海创社区居委会"))
    rng = random.Random(18)
    months = months_between(date(2024, 1, 1), date(2025, 12, 1))
    drawn = {
        month: [rng.choice([rng.randint(0, 150), rng.randint(0, 5000)]) for _ in range(rng.randint(1, 41))]
        for month in months
    }
    for month, values in drawn.items():
        by_minute = Counter(values)
        by_hour = Counter(value // 60 for value in values)
        await session.execute(
            insert(CaseResolutionMinutes),
            [
                {"organisation_id": organisation, "month": month, "minutes": m, "cases": n}
                for m, n in by_minute.items()
            ],
        )
        await session.execute(
            insert(CaseResolutionHours),
            [
                {"organisation_id": organisation, "month": month, "hours": h, "cases": n}
                for h, n in by_hour.items()
            ],
        )
    office = Viewer(0, frozenset({Role.ADMIN.value}))

    rows = await case_figures(
        session=session,
        viewer=office,
        community_id=community,
        first_month=months[0],
        last_month=months[-1],
        organisation_id=organisation,
    )

    assert {row.month: row.median_resolution_minutes for row in rows} == {
        month: pytest.approx(statistics.median(values)) for month, values in drawn.items()
    }
