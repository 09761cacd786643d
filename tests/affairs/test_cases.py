"""有事一键找 (#18): a case walks from report to rating across two organisations — one routed by a
compound's rule, one by its category's default; the SLA job escalates the one left unanswered (the
injectable clock); every step is an event, the people who must know are told, and the refusals
change nothing. Built on the demo 南睦苑 (seeds/affairs.py), inside each test's transaction."""

import asyncio
import base64
import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from websockets.asyncio.client import connect

from models.affairs import Case, CaseAccessLog, CaseEvent, CasePhoto, Compound, Organisation
from models.audit import AuditLog
from models.notifications import Notification
from models.people import Person
from resolvers.actor import Viewer
from resolvers.affairs import cases as case_service
from resolvers.affairs.jobs import escalate_overdue_cases
from schema.common import encode_global_id
from server.auth import TokenService
from tests.conftest import GraphQLClient, make_settings

RESIDENT, OFFICE, ADMIN = "13800000001", "13800000007", "13800000006"
COMMITTEE, PROPERTY, OWNERS, OTHER_PROPERTY = "13800000008", "13800000009", "13800000010", "13800000011"

# The smallest valid images, by their magic numbers (what the server judges by).
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 60
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 60
GIF = b"GIF89a" + b"\x00" * 60

REPORT = """mutation($input: CaseReportInput!) { caseReport(input: $input) { __typename
  ... on Case { id status acceptDueAt resolveDueAt organisation { name kind } informedOrganisation { name }
                compound { name } category { code } location { lat lng } }
  ... on DomainError { code message } } }"""
STEP_FIELDS = """__typename ... on Case { id status rating reopenedCount escalation acceptedAt resolvedAt
  resolutionNote events { kind note byStaff } } ... on DomainError { code message }"""
ACCEPT = "mutation($id: ID!) { caseAccept(id: $id) { " + STEP_FIELDS + " } }"
RESOLVE = "mutation($id: ID!, $note: String!) { caseResolve(id: $id, note: $note) { " + STEP_FIELDS + " } }"
RATE = (
    "mutation($id: ID!, $rating: Int!, $comment: String) { "
    "caseRate(id: $id, rating: $rating, comment: $comment) { " + STEP_FIELDS + " } }"
)
REOPEN = (
    "mutation($id: ID!, $comment: String!) { caseReopen(id: $id, comment: $comment) { " + STEP_FIELDS + " } }"
)
RULE = """mutation($input: CaseRoutingRuleInput!) { caseRoutingRuleSet(input: $input) { __typename
  ... on CaseRoutingRule { category organisation { name } acceptMinutes resolveMinutes }
  ... on DomainError { code message } } }"""
QUEUE = """query($filter: CaseQueueFilter, $first: Int, $after: String) {
  caseQueue(filter: $filter, first: $first, after: $after) {
    edges { cursor node { id description status overdue escalation } }
  pageInfo { hasNextPage endCursor } } }"""
CASE = """query($id: ID!) { node(id: $id) { ... on Case { id status description
  reporter { name phone } photos { id contentType byteSize url } } } }"""


@pytest.fixture
def settings():
    """Room for the many reports these tests make (the limit itself has a test of its own)."""
    return make_settings(case_reports_per_hour=100, case_reports_per_day=100)


@pytest.fixture
async def people(session, settings):
    """The demo people by phone, with a bearer token each."""
    service = TokenService(settings)
    found = {}
    for phone in (RESIDENT, OFFICE, ADMIN, COMMITTEE, PROPERTY, OWNERS, OTHER_PROPERTY):
        person = await session.scalar(select(Person).where(Person.phone == phone))
        await session.refresh(person, ["roles"])
        found[phone] = (person, service.issue(person)[0])
    return found


def token(people, phone: str) -> str:
    return people[phone][1]


async def organisation_id(session, name: str) -> str:
    pk = await session.scalar(select(Organisation.id).where(Organisation.name == name))
    return encode_global_id("Organisation", pk)


async def report(gql, people, category: str, description: str, **more) -> dict:
    answer = await gql(
        REPORT,
        {"input": {"category": category, "description": description, **more}},
        token=token(people, RESIDENT),
    )
    return answer["data"]["caseReport"]


async def counts(session) -> tuple[int, int, int]:
    return (
        await session.scalar(select(func.count()).select_from(Case)),
        await session.scalar(select(func.count()).select_from(CaseEvent)),
        await session.scalar(select(func.count()).select_from(CasePhoto)),
    )


async def inbox_kinds(session, phone: str) -> list[str]:
    person = await session.scalar(select(Person.id).where(Person.phone == phone))
    rows = await session.scalars(
        select(Notification.kind).where(Notification.person_id == person).order_by(Notification.id)
    )
    return list(rows)


async def test_a_case_walks_from_report_to_rating_and_an_unanswered_one_is_escalated(
    gql, people, session, clock
):
    # Given 南睦苑's office routes 噪音扰民 to its 业委会 by a rule (its default would be the 居委会)
    compound = encode_global_id(
        "Compound", await session.scalar(select(Compound.id).where(Compound.name == "南睦苑"))
    )
    owners = await organisation_id(session, "南睦苑业主委员会")
    rule = await gql(
        RULE,
        {
            "input": {
                "compoundId": compound,
                "category": "noise",
                "organisationId": owners,
                "acceptMinutes": 600,
            }
        },
        token=token(people, OFFICE),
    )
    assert rule["data"]["caseRoutingRuleSet"] == {
        "__typename": "CaseRoutingRule",
        "category": "NOISE",
        "organisation": {"name": "南睦苑业主委员会"},
        "acceptMinutes": 600,
        "resolveMinutes": 4320,
    }

    # When the resident reports noise (the rule) and a broken lift (the category's default: 物业)
    reported_at = clock.now
    noise = await report(
        gql, people, "NOISE", "楼上每晚十二点后装修噪音", location={"lat": 30.2955, "lng": 120.0465}
    )
    lift = await report(gql, people, "PUBLIC_FACILITY_REPAIR", "3幢电梯停运两天")

    # Then each went to its organisation, with its SLAs
    assert noise["organisation"] == {"name": "南睦苑业主委员会", "kind": "OWNERS_COMMITTEE"}
    assert noise["compound"] == {"name": "南睦苑"} and noise["status"] == "REPORTED"
    assert abs(noise["location"]["lat"] - 30.2955) < 1e-6 and abs(noise["location"]["lng"] - 120.0465) < 1e-6
    assert lift["organisation"] == {"name": "南睦苑物业服务中心", "kind": "PROPERTY_MANAGEMENT"}
    assert lift["informedOrganisation"] is None
    assert await inbox_kinds(session, OWNERS) == ["CASE_ASSIGNED"]
    assert await inbox_kinds(session, PROPERTY) == ["CASE_ASSIGNED"]

    # The 物业 accepts the lift case and resolves it; the 业委会 cannot touch it, nor the 物业 the noise one
    refused = await gql(ACCEPT, {"id": lift["id"]}, token=token(people, OWNERS))
    assert refused["data"]["caseAccept"]["code"] == "NOT_FOUND"
    refused = await gql(ACCEPT, {"id": noise["id"]}, token=token(people, PROPERTY))
    assert refused["data"]["caseAccept"]["code"] == "NOT_FOUND"
    clock.now += timedelta(hours=2)
    accepted = (await gql(ACCEPT, {"id": lift["id"]}, token=token(people, PROPERTY)))["data"]["caseAccept"]
    assert accepted["status"] == "ACCEPTED"
    twice = (await gql(ACCEPT, {"id": lift["id"]}, token=token(people, PROPERTY)))["data"]["caseAccept"]
    assert twice["code"] == "CASE_NOT_OPEN"
    early = await gql(RATE, {"id": lift["id"], "rating": 5}, token=token(people, RESIDENT))
    assert early["data"]["caseRate"]["code"] == "CASE_NOT_RESOLVED"
    clock.now += timedelta(hours=20)
    resolved = await gql(
        RESOLVE, {"id": lift["id"], "note": "更换控制板，电梯已恢复"}, token=token(people, PROPERTY)
    )
    assert resolved["data"]["caseResolve"]["status"] == "RESOLVED"

    # The reporter rates it once; a second rating is refused
    rated = await gql(RATE, {"id": lift["id"], "rating": 5, "comment": "很快"}, token=token(people, RESIDENT))
    rated = rated["data"]["caseRate"]
    assert rated["status"] == "RATED" and rated["rating"] == 5
    assert [event["kind"] for event in rated["events"]] == ["REPORTED", "ACCEPTED", "RESOLVED", "RATED"]
    assert [event["byStaff"] for event in rated["events"]] == [False, True, True, False]
    again = await gql(RATE, {"id": lift["id"], "rating": 1}, token=token(people, RESIDENT))
    assert again["data"]["caseRate"]["code"] == "CASE_NOT_RESOLVED"
    assert await inbox_kinds(session, RESIDENT) == ["CASE_UPDATED", "CASE_UPDATED"]  # accepted, resolved

    # Meanwhile nobody answered the noise case: past its 600 minutes the job escalates it, once
    clock.now = reported_at + timedelta(minutes=601)
    assert await escalate_overdue_cases(session=session, now=clock.now) == 1
    assert await escalate_overdue_cases(session=session, now=clock.now) == 0
    await session.commit()
    assert "CASE_ESCALATED" in await inbox_kinds(session, OFFICE)
    assert (await inbox_kinds(session, RESIDENT))[-1] == "CASE_UPDATED"
    queue = await gql(QUEUE, {"filter": {"escalatedOnly": True}}, token=token(people, OFFICE))
    assert [edge["node"]["id"] for edge in queue["data"]["caseQueue"]["edges"]] == [noise["id"]]
    assert queue["data"]["caseQueue"]["edges"][0]["node"]["escalation"] == "ACCEPT_OVERDUE"
    assert queue["data"]["caseQueue"]["edges"][0]["node"]["overdue"] is True

    # The 业委会 accepts late and resolves; the resident reopens it; it comes back and is rated
    assert (await gql(ACCEPT, {"id": noise["id"]}, token=token(people, OWNERS)))["data"]["caseAccept"][
        "status"
    ] == "ACCEPTED"
    await gql(RESOLVE, {"id": noise["id"], "note": "已与施工方沟通，夜间停工"}, token=token(people, OWNERS))
    clock.now += timedelta(days=1)
    reopened = await gql(
        REOPEN, {"id": noise["id"], "comment": "昨晚仍在施工"}, token=token(people, RESIDENT)
    )
    reopened = reopened["data"]["caseReopen"]
    assert (
        reopened["status"] == "REOPENED" and reopened["reopenedCount"] == 1 and reopened["escalation"] is None
    )
    await gql(ACCEPT, {"id": noise["id"]}, token=token(people, OWNERS))
    await gql(RESOLVE, {"id": noise["id"], "note": "物业已加派夜间巡查"}, token=token(people, OWNERS))
    final = (await gql(RATE, {"id": noise["id"], "rating": 3}, token=token(people, RESIDENT)))["data"][
        "caseRate"
    ]
    assert final["status"] == "RATED"
    assert [event["kind"] for event in final["events"]] == [
        "REPORTED",
        "ESCALATED",
        "ACCEPTED",
        "RESOLVED",
        "REOPENED",
        "ACCEPTED",
        "RESOLVED",
        "RATED",
    ]
    actions = await session.scalars(
        select(AuditLog.action).where(AuditLog.object_id == noise["id"]).order_by(AuditLog.id)
    )
    assert list(actions) == [
        "case.report",
        "case.accepted",
        "case.resolved",
        "case.reopened",
        "case.accepted",
        "case.resolved",
        "case.rated",
    ]


async def test_refusals_say_why_and_change_nothing(gql, people, session, clock):
    before = await counts(session)
    for variables, code in (
        ({"category": "NOISE", "description": "   "}, "INVALID_DESCRIPTION"),
        ({"category": "NOISE", "description": "x" * 1001}, "INVALID_DESCRIPTION"),
        ({"category": "NO_SUCH", "description": "噪音"}, "UNKNOWN_CATEGORY"),
        (
            {"category": "NOISE", "description": "噪音", "photos": [base64.b64encode(JPEG).decode()] * 4},
            "TOO_MANY_PHOTOS",
        ),
        (
            {"category": "NOISE", "description": "噪音", "photos": [base64.b64encode(GIF).decode()]},
            "PHOTO_TYPE_NOT_ALLOWED",
        ),
        ({"category": "NOISE", "description": "噪音", "photos": ["not base64!"]}, "PHOTO_TYPE_NOT_ALLOWED"),
        (
            {"category": "NOISE", "description": "噪音", "compoundId": encode_global_id("Compound", 10**9)},
            "NOT_YOUR_COMPOUND",
        ),
    ):
        answer = await gql(REPORT, {"input": variables}, token=token(people, RESIDENT))
        assert answer["data"]["caseReport"]["code"] == code, variables
    assert await counts(session) == before

    made = await report(gql, people, "SANITATION", "垃圾房满溢", photos=[base64.b64encode(PNG).decode()])
    steps = await counts(session)
    bad_note = await gql(RESOLVE, {"id": made["id"], "note": " "}, token=token(people, PROPERTY))
    assert bad_note["data"]["caseResolve"]["code"] == "NOTE_REQUIRED"
    not_accepted = await gql(RESOLVE, {"id": made["id"], "note": "已清运"}, token=token(people, PROPERTY))
    assert not_accepted["data"]["caseResolve"]["code"] == "CASE_NOT_ACCEPTED"
    await gql(ACCEPT, {"id": made["id"]}, token=token(people, PROPERTY))
    await gql(RESOLVE, {"id": made["id"], "note": "已清运"}, token=token(people, PROPERTY))
    steps = await counts(session)
    for rating in (0, 6):
        bad = await gql(RATE, {"id": made["id"], "rating": rating}, token=token(people, RESIDENT))
        assert bad["data"]["caseRate"]["code"] == "INVALID_RATING"
    blank = await gql(REOPEN, {"id": made["id"], "comment": " "}, token=token(people, RESIDENT))
    assert blank["data"]["caseReopen"]["code"] == "INVALID_COMMENT"
    someone_else = await gql(RATE, {"id": made["id"], "rating": 4}, token=token(people, PROPERTY))
    assert someone_else["data"]["caseRate"]["code"] == "NOT_FOUND"
    clock.now += timedelta(days=8)
    late = await gql(REOPEN, {"id": made["id"], "comment": "又满了"}, token=token(people, RESIDENT))
    assert late["data"]["caseReopen"]["code"] == "REOPEN_WINDOW_PASSED"
    assert await counts(session) == steps
    status = await session.scalar(select(Case.status).where(Case.id == int(base64_pk(made["id"]))))
    assert status == "RESOLVED"


def base64_pk(global_id: str) -> str:
    return base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode().split(":")[1]


async def test_the_reporter_and_photos_are_seen_only_by_those_handling_it_and_each_read_is_logged(
    gql, client, people, session
):
    # A safety hazard goes to the 物业, and the 居委会 is informed of it
    hazard = await report(
        gql, people, "SAFETY_HAZARD", "消防通道被电瓶车堵塞", photos=[base64.b64encode(JPEG).decode()]
    )
    assert hazard["informedOrganisation"] == {"name": "南睦社区居委会"}
    assert "CASE_ASSIGNED" in await inbox_kinds(session, COMMITTEE)
    pk = int(base64_pk(hazard["id"]))

    async def seen_by(phone: str):
        return (await gql(CASE, {"id": hazard["id"]}, token=token(people, phone)))["data"]["node"]

    def logged():
        return session.scalar(
            select(func.count()).select_from(CaseAccessLog).where(CaseAccessLog.case_id == pk)
        )

    mine = await seen_by(RESIDENT)
    assert mine["reporter"] == {"name": "王晓燕", "phone": "13800000001"}
    assert await logged() == 0  # one's own case: not a read of someone else's data
    handler = await seen_by(PROPERTY)
    assert handler["reporter"] == {"name": "王晓燕", "phone": "138****0001"}
    assert [photo["contentType"] for photo in handler["photos"]] == ["image/jpeg"]
    rows = (await session.scalars(select(CaseAccessLog).where(CaseAccessLog.case_id == pk))).all()
    assert [sorted(row.what) for row in rows] == [["photos", "reporter"]]
    office = await seen_by(OFFICE)
    assert office["reporter"]["phone"] == "13800000001"
    informed = await seen_by(COMMITTEE)
    assert informed["description"] == "消防通道被电瓶车堵塞"
    assert informed["reporter"] is None and informed["photos"] == []
    for stranger in (OWNERS, OTHER_PROPERTY):
        assert await seen_by(stranger) is None
    assert await logged() == 2  # the 物业 and the office

    # The photo itself: to the handler (logged), never to the informed or a stranger
    url = handler["photos"][0]["url"]
    fetched = await client.get(url, headers={"Authorization": f"Bearer {token(people, PROPERTY)}"})
    assert fetched.status_code == 200 and fetched.content == JPEG
    assert fetched.headers["content-type"] == "image/jpeg"
    assert fetched.headers["cache-control"] == "private, no-store"
    assert await logged() == 3
    for phone in (COMMITTEE, OTHER_PROPERTY):
        assert (
            await client.get(url, headers={"Authorization": f"Bearer {token(people, phone)}"})
        ).status_code == 404
    assert (await client.get(url)).status_code == 401
    assert await logged() == 3


async def test_photos_too_large_for_a_graphql_body_are_added_by_put(gql, client, people, session):
    made = await report(gql, people, "PUBLIC_FACILITY_REPAIR", "路灯不亮")
    url = f"/affairs/cases/{made['id']}/photos"
    mine = {"Authorization": f"Bearer {token(people, RESIDENT)}"}
    big = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 1000  # 256 KB: beyond the 64 KiB GraphQL body
    added = await client.put(url, content=big, headers=mine)
    assert added.status_code == 201, added.text
    assert added.json()["position"] == 1 and added.json()["byteSize"] == len(big)
    refused = await client.put(url, content=GIF, headers=mine)
    assert (
        refused.status_code == 400
        and refused.json()["errors"][0]["extensions"]["code"] == "PHOTO_TYPE_NOT_ALLOWED"
    )
    too_big = await client.put(url, content=b"\xff\xd8\xff" + b"\x00" * (2 * 1024 * 1024), headers=mine)
    assert too_big.status_code == 413
    other = await client.put(
        url, content=JPEG, headers={"Authorization": f"Bearer {token(people, PROPERTY)}"}
    )
    assert other.status_code == 404
    for _ in range(2):
        assert (await client.put(url, content=PNG, headers=mine)).status_code == 201
    fourth = await client.put(url, content=PNG, headers=mine)
    assert fourth.json()["errors"][0]["extensions"]["code"] == "TOO_MANY_PHOTOS"
    photos = (await gql(CASE, {"id": made["id"]}, token=token(people, RESIDENT)))["data"]["node"]["photos"]
    assert [photo["byteSize"] for photo in photos] == [len(big), len(PNG), len(PNG)]


async def test_reports_are_rate_limited_per_person(client_with, people, session):
    async with client_with(case_reports_per_hour=2) as client:
        gql = GraphQLClient(client)
        for number in range(2):
            made = await report(gql, people, "OTHER", f"咨询 {number}")
            assert made["__typename"] == "Case"
        answer = await gql.post(
            REPORT, {"input": {"category": "OTHER", "description": "第三次"}}, token=token(people, RESIDENT)
        )
        assert answer.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


async def test_two_staff_accepting_at_once_one_wins(engine, people):
    """Over two real connections: the conditional UPDATE lets one through, the other is told."""
    resident, _ = people[RESIDENT]
    staff, _ = people[PROPERTY]
    office, _ = people[OFFICE]
    async with engine.begin() as connection:
        session = AsyncSession(bind=connection, expire_on_commit=False)
        viewer = Viewer(
            person_id=resident.id, roles=frozenset({"RESIDENT"}), community_id=resident.community_id
        )
        made = await case_service.report_case(
            session=session,
            viewer=viewer,
            report=case_service.Report(category_code="PARKING", description="消防通道停车"),
            now=clock_now(),
        )
        case_id = made.id
    try:
        viewers = [
            Viewer(person_id=staff.id, roles=frozenset({"RESIDENT"}), community_id=staff.community_id),
            Viewer(
                person_id=office.id, roles=frozenset({"COMMUNITY_ADMIN"}), community_id=office.community_id
            ),
        ]

        async def accept(viewer):
            async with engine.connect() as connection:
                async with connection.begin():
                    session = AsyncSession(bind=connection)
                    try:
                        await case_service.accept_case(
                            session=session, viewer=viewer, case_id=case_id, now=clock_now()
                        )
                        await asyncio.sleep(0.2)  # hold the row while the other tries
                        return "accepted"
                    except case_service.DomainFailure as failure:
                        return failure.code.value

        outcomes = sorted(await asyncio.gather(*(accept(viewer) for viewer in viewers)))
        assert outcomes == ["CASE_NOT_OPEN", "accepted"]
        async with engine.connect() as connection:
            accepted = await connection.scalar(
                select(func.count())
                .select_from(CaseEvent)
                .where(CaseEvent.case_id == case_id, CaseEvent.kind == "ACCEPTED")
            )
        assert accepted == 1
    finally:
        async with engine.begin() as connection:
            # The audit rows stay (the trail is append-only); the figures the trigger counted go back.
            await connection.execute(
                text(
                    "UPDATE case_monthly_figures f SET received = f.received - 1, "
                    "accepted_in_time = f.accepted_in_time - 1 FROM cases c "
                    "WHERE c.id = :id AND f.organisation_id = c.organisation_id "
                    "AND f.month = case_month(c.reported_at)"
                ),
                {"id": case_id},
            )
            await connection.execute(
                delete(Notification).where(Notification.subject_id == encode_global_id("Case", case_id))
            )
            await connection.execute(delete(Case).where(Case.id == case_id))


def clock_now():
    return datetime.now(UTC)


async def test_the_reporter_sees_the_case_move_live(engine, live_server, settings):
    """Over a real server and WebSocket: the reporter's `myCaseUpdates` delivers the case as the
    物业 accepts and resolves it (committed, so cleaned up after; the figures are put back)."""
    service = TokenService(settings)
    async with engine.connect() as connection:
        session = AsyncSession(bind=connection)
        resident = await session.scalar(select(Person).where(Person.phone == RESIDENT))
        staff = await session.scalar(select(Person).where(Person.phone == PROPERTY))
        for person in (resident, staff):
            await session.refresh(person, ["roles"])
        tokens = {RESIDENT: service.issue(resident)[0], PROPERTY: service.issue(staff)[0]}
        figures = (await connection.execute(text("SELECT * FROM case_monthly_figures"))).mappings().all()
        minutes = (await connection.execute(text("SELECT * FROM case_resolution_minutes"))).mappings().all()
    made_id = None
    try:
        async with httpx.AsyncClient(base_url=f"http://{live_server}") as http:

            async def post(query: str, variables: dict, phone: str) -> dict:
                response = await http.post(
                    "/graphql",
                    json={"query": query, "variables": variables},
                    headers={"Authorization": f"Bearer {tokens[phone]}"},
                )
                return response.json()["data"]

            init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {tokens[RESIDENT]}"}}
            url = f"ws://{live_server}/graphql"
            async with connect(url, subprotocols=["graphql-transport-ws"]) as socket:
                await socket.send(json.dumps(init))
                assert json.loads(await socket.recv())["type"] == "connection_ack"
                updates = (
                    "subscription { myCaseUpdates { notificationId case { id status resolutionNote } } }"
                )
                await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": updates}}))
                await asyncio.sleep(0.5)  # the subscription is placed
                made = (
                    await post(
                        REPORT, {"input": {"category": "PARKING", "description": "车位被占"}}, RESIDENT
                    )
                )["caseReport"]
                made_id = made["id"]
                await post(ACCEPT, {"id": made_id}, PROPERTY)
                await post(RESOLVE, {"id": made_id, "note": "已联系车主挪车"}, PROPERTY)
                seen = []
                for _ in range(2):
                    message = json.loads(await asyncio.wait_for(socket.recv(), 10))
                    assert message["type"] == "next", message
                    seen.append(message["payload"]["data"]["myCaseUpdates"]["case"])
                # Each delivery reads the case as it stands then: by the second it is resolved
                assert [case["id"] for case in seen] == [made_id, made_id]
                assert seen[-1] == {"id": made_id, "status": "RESOLVED", "resolutionNote": "已联系车主挪车"}
    finally:
        if made_id is not None:
            async with engine.begin() as connection:
                await connection.execute(delete(Notification).where(Notification.subject_id == made_id))
                await connection.execute(delete(Case).where(Case.id == int(base64_pk(made_id))))
                await connection.execute(text("DELETE FROM case_monthly_figures"))
                await connection.execute(text("DELETE FROM case_resolution_minutes"))
                for table, rows in (("case_monthly_figures", figures), ("case_resolution_minutes", minutes)):
                    for row in rows:
                        columns = ", ".join(row.keys())
                        values = ", ".join(f":{key}" for key in row.keys())
                        await connection.execute(
                            text(f"INSERT INTO {table} ({columns}) VALUES ({values})"), dict(row)
                        )
