"""通知一键达 (#18 part 3): a notice reaches exactly the households living where it is aimed (owners,
tenants or all; a household with several units once), each of their people gets an inbox row, and
the publishers see which households have read it (the first reading of a household kept) and which
acknowledged it. Every refusal changes nothing; only the office of the community and its 居委会
publish and see the receipts."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from models.affairs import (
    Building,
    Compound,
    Notice,
    NoticeBuilding,
    NoticeReceipt,
    Organisation,
    OrganisationKind,
    OrganisationMember,
    Residence,
    Tenure,
    Unit,
)
from models.audit import AuditLog
from models.notifications import Notification, NotificationKind
from models.people import Community, Household, Person, PersonRole, Role
from schema.common import encode_global_id, pk_of
from server.auth import TokenService

NOTICE = """id title body audience requiresAcknowledgement publishedAt households community { name }
  compound { name } buildings { name } organisation { name kind }"""
PUBLISH = f"""mutation($i: NoticePublishInput!) {{ noticePublish(input: $i) {{ __typename
  ... on Notice {{ {NOTICE} }} ... on DomainError {{ code message }} }} }}"""
READING = """__typename ... on NoticeReading { readAt acknowledgedAt notice { id } }
  ... on DomainError { code message }"""
MARK = f"mutation($id: ID!) {{ noticeMarkRead(id: $id) {{ {READING} }} }}"
ACKNOWLEDGE = f"mutation($id: ID!) {{ noticeAcknowledge(id: $id) {{ {READING} }} }}"
MINE = """query($first: Int, $after: String) { myNotices(first: $first, after: $after) {
  edges { cursor readAt acknowledgedAt node { id title } } pageInfo { hasNextPage endCursor } } }"""
RECEIPTS = """query($id: ID!, $first: Int, $after: String, $unread: Boolean) {
  noticeReadReceipts(id: $id, first: $first, after: $after, unreadOnly: $unread) {
    households read acknowledged notice { id }
    edges { cursor node { householdAddress readAt readByName acknowledgedAt
      units { building { name } unit { name } tenure } } }
    pageInfo { hasNextPage hasPreviousPage endCursor } } }"""
NODE = "query($id: ID!) { node(id: $id) { __typename ... on Notice { id title } } }"
INBOX = """{ myNotifications(first: 50) {
  unreadCount edges { node { id kind title body subjectId readAt } } } }"""
MARK_INBOX = """mutation($ids: [ID!]) { notificationsMarkRead(ids: $ids) { __typename
  ... on NotificationsMarked { marked } ... on DomainError { code } } }"""

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def gid(type_name: str, pk: int) -> str:
    return encode_global_id(type_name, pk)


@dataclass
class World:
    """Two communities: in 甲, compound 北苑 (buildings A幢, B幢, C幢 with no one) and compound 南苑 (东幢);
    in 乙, compound 乙苑. Households (and their people):
      h1 owner of A幢101 (p1a, p1b)   h2 tenant of A幢102 (p2)   h4 owner of A幢102 (p4)
      h3 owner of B幢201 and B幢202 (p3)   h5 owner of 南苑东幢301 (p5)   h6 owner in 乙苑 (p6)."""

    community: int
    other_community: int
    compound: int
    other_compound: int
    far_compound: int
    buildings: dict[str, int]
    households: dict[str, int]
    people: dict[str, int]
    tokens: dict[str, str] = field(default_factory=dict)
    committee: int = 0


@pytest.fixture
async def world(session, settings, clock) -> World:
    clock.now = T0
    community = Community(name="通知测试甲社区", subdistrict="五常街道")
    other = Community(name="通知测试乙社区", subdistrict="五常街道")
    session.add_all([community, other])
    await session.flush()
    north = Compound(community_id=community.id, name="北苑")
    south = Compound(community_id=community.id, name="南苑")
    far = Compound(community_id=other.id, name="乙苑")
    session.add_all([north, south, far])
    await session.flush()
    buildings = {
        "A": Building(compound_id=north.id, name="A幢"),
        "B": Building(compound_id=north.id, name="B幢"),
        "C": Building(compound_id=north.id, name="C幢"),
        "东": Building(compound_id=south.id, name="东幢"),
        "乙": Building(compound_id=far.id, name="乙幢"),
    }
    session.add_all(buildings.values())
    await session.flush()
    # keyed by building and name: 301 is a unit of C幢 and of 东幢
    places = (
        ("A", "101"),
        ("A", "102"),
        ("B", "201"),
        ("B", "202"),
        ("C", "301"),
        ("东", "301"),
        ("乙", "601"),
    )
    units = {
        building + name: Unit(building_id=buildings[building].id, name=name) for building, name in places
    }
    session.add_all(units.values())
    await session.flush()
    households = {
        key: Household(community_id=(other if key == "h6" else community).id, address=address)
        for key, address in (
            ("h1", "北苑A幢101"),
            ("h2", "北苑A幢102（租）"),
            ("h3", "北苑B幢201"),
            ("h4", "北苑A幢102"),
            ("h5", "南苑东幢301"),
            ("h6", "乙苑乙幢601"),
        )
    }
    session.add_all(households.values())
    await session.flush()
    for household, unit, tenure in (
        ("h1", "A101", Tenure.OWNER),
        ("h2", "A102", Tenure.TENANT),
        ("h4", "A102", Tenure.OWNER),
        ("h3", "B201", Tenure.OWNER),
        ("h3", "B202", Tenure.OWNER),
        ("h5", "东301", Tenure.OWNER),
        ("h6", "乙601", Tenure.OWNER),
    ):
        session.add(
            Residence(household_id=households[household].id, unit_id=units[unit].id, tenure=tenure.value)
        )
    committee = Organisation(
        community_id=community.id, kind=OrganisationKind.RESIDENTS_COMMITTEE.value, name="甲居委会"
    )
    other_committee = Organisation(
        community_id=other.id, kind=OrganisationKind.RESIDENTS_COMMITTEE.value, name="乙居委会"
    )
    session.add_all([committee, other_committee])
    await session.flush()
    people: dict[str, Person] = {}
    for number, (key, name, role, home, household) in enumerate(
        (
            ("p1a", "张一", Role.RESIDENT, community, "h1"),
            ("p1b", "张二", Role.RESIDENT, community, "h1"),
            ("p2", "李租", Role.RESIDENT, community, "h2"),
            ("p3", "王三", Role.RESIDENT, community, "h3"),
            ("p4", "赵四", Role.RESIDENT, community, "h4"),
            ("p5", "钱五", Role.RESIDENT, community, "h5"),
            ("p6", "孙六", Role.RESIDENT, other, "h6"),
            ("office", "甲社区办", Role.COMMUNITY_ADMIN, community, None),
            ("other_office", "乙社区办", Role.COMMUNITY_ADMIN, other, None),
            ("admin", "街道管理员", Role.ADMIN, None, None),
            ("member", "甲居委会周主任", Role.RESIDENT, community, None),
            ("other_member", "乙居委会吴主任", Role.RESIDENT, other, None),
        ),
        start=1,
    ):
        person = Person(
            name=name,
            phone=f"166000{number:05d}",
            community_id=None if home is None else home.id,
            household_id=None if household is None else households[household].id,
            roles=[PersonRole(role=role.value)],
        )
        session.add(person)
        people[key] = person
    await session.flush()
    session.add_all(
        [
            OrganisationMember(organisation_id=committee.id, person_id=people["member"].id, title="主任"),
            OrganisationMember(organisation_id=other_committee.id, person_id=people["other_member"].id),
        ]
    )
    await session.commit()
    service = TokenService(settings)
    return World(
        community=community.id,
        other_community=other.id,
        compound=north.id,
        other_compound=south.id,
        far_compound=far.id,
        buildings={key: row.id for key, row in buildings.items()},
        households={key: row.id for key, row in households.items()},
        people={key: row.id for key, row in people.items()},
        tokens={key: service.issue(row)[0] for key, row in people.items()},
        committee=committee.id,
    )


def draft(world: World, **given) -> dict:
    values = {"title": "停水通知", "body": "因管道检修，11月3日9:00–17:00停水，请提前储水。"}
    values.update(given)
    return values


async def publish(gql, world: World, who: str = "office", **given) -> dict:
    answer = await gql(PUBLISH, {"i": draft(world, **given)}, token=world.tokens[who])
    assert "errors" not in answer, answer
    return answer["data"]["noticePublish"]


def notice_pk(notice: dict) -> int:
    return pk_of(notice["id"], "Notice")


async def receipt_households(session, notice_id: int) -> set[int]:
    rows = await session.scalars(
        select(NoticeReceipt.household_id).where(NoticeReceipt.notice_id == notice_id)
    )
    return set(rows)


async def inbox_people(session, notice_id: int) -> list[int]:
    rows = await session.scalars(
        select(Notification.person_id).where(
            Notification.kind == NotificationKind.NOTICE.value,
            Notification.subject_id == gid("Notice", notice_id),
        )
    )
    return sorted(rows)


def of(world: World, kind: str, *keys: str) -> set[int]:
    table = world.households if kind == "households" else world.people
    return {table[key] for key in keys}


async def counts(session) -> tuple[int, ...]:
    return tuple(
        [
            await session.scalar(select(func.count()).select_from(model))
            for model in (Notice, NoticeBuilding, NoticeReceipt, Notification, AuditLog)
        ]
    )


# ── Reaching households ──────────────────────────────────────────────────────


async def test_a_notice_to_one_building_reaches_exactly_its_households_and_their_people(gql, session, world):
    body = "因管道检修停水。" * 40  # 320 characters: the inbox row carries the first 200
    notice = await publish(
        gql,
        world,
        compoundId=gid("Compound", world.compound),
        buildingIds=[gid("Building", world.buildings["A"])],
        body=body,
    )

    assert notice["__typename"] == "Notice"
    assert notice["households"] == 3 and notice["audience"] == "ALL"
    assert notice["community"]["name"] == "通知测试甲社区" and notice["compound"]["name"] == "北苑"
    assert notice["buildings"] == [{"name": "A幢"}] and notice["organisation"] is None
    assert notice["requiresAcknowledgement"] is False
    assert datetime.fromisoformat(notice["publishedAt"]) == T0
    pk = notice_pk(notice)
    assert await receipt_households(session, pk) == of(world, "households", "h1", "h2", "h4")
    assert await inbox_people(session, pk) == sorted(of(world, "people", "p1a", "p1b", "p2", "p4"))
    row = (
        await session.scalars(
            select(Notification).where(
                Notification.person_id == world.people["p2"], Notification.subject_id == notice["id"]
            )
        )
    ).one()
    assert row.title == "停水通知" and row.body == body[:200]
    audit = (await session.scalars(select(AuditLog).where(AuditLog.object_id == notice["id"]))).all()
    assert [entry.action for entry in audit] == ["notice.publish"]
    assert audit[0].actor_id == world.people["office"] and audit[0].community_id == world.community
    assert audit[0].after["households"] == 3
    assert audit[0].after["buildingIds"] == [gid("Building", world.buildings["A"])]

    # The residents reached see it in their inbox and their notices; the one next door does not.
    inbox = (await gql(INBOX, token=world.tokens["p1b"]))["data"]["myNotifications"]
    assert [(edge["node"]["kind"], edge["node"]["subjectId"]) for edge in inbox["edges"]] == [
        ("NOTICE", notice["id"])
    ]
    mine = (await gql(MINE, token=world.tokens["p4"]))["data"]["myNotices"]
    assert [edge["node"]["title"] for edge in mine["edges"]] == ["停水通知"]
    assert (await gql(MINE, token=world.tokens["p3"]))["data"]["myNotices"]["edges"] == []
    assert (await gql(INBOX, token=world.tokens["p5"]))["data"]["myNotifications"]["edges"] == []


async def test_owners_or_tenants_only_and_a_household_of_two_units_counted_once(gql, session, world):
    building_a = {
        "compoundId": gid("Compound", world.compound),
        "buildingIds": [gid("Building", world.buildings["A"])],
    }

    owners = await publish(gql, world, audience="OWNERS", **building_a)
    assert owners["households"] == 2
    assert await receipt_households(session, notice_pk(owners)) == of(world, "households", "h1", "h4")
    assert await inbox_people(session, notice_pk(owners)) == sorted(of(world, "people", "p1a", "p1b", "p4"))

    tenants = await publish(gql, world, audience="TENANTS", **building_a)
    assert tenants["households"] == 1
    assert await receipt_households(session, notice_pk(tenants)) == of(world, "households", "h2")
    assert await inbox_people(session, notice_pk(tenants)) == [world.people["p2"]]

    # h3 lives in B幢201 and B幢202: one receipt, one inbox row for its person
    building_b = await publish(
        gql,
        world,
        compoundId=gid("Compound", world.compound),
        buildingIds=[gid("Building", world.buildings["B"])],
    )
    assert building_b["households"] == 1
    assert await receipt_households(session, notice_pk(building_b)) == of(world, "households", "h3")
    assert await inbox_people(session, notice_pk(building_b)) == [world.people["p3"]]

    # The whole compound: A幢 and B幢, not 南苑; the whole community: 南苑 too, never 乙社区
    compound = await publish(gql, world, compoundId=gid("Compound", world.compound))
    assert compound["buildings"] == [] and compound["households"] == 4
    assert await receipt_households(session, notice_pk(compound)) == of(
        world, "households", "h1", "h2", "h3", "h4"
    )
    community = await publish(gql, world)
    assert community["compound"] is None and community["households"] == 5
    assert await receipt_households(session, notice_pk(community)) == of(
        world, "households", "h1", "h2", "h3", "h4", "h5"
    )
    assert world.people["p6"] not in await inbox_people(session, notice_pk(community))


async def test_the_committee_publishes_for_itself_and_the_admin_names_the_community(gql, session, world):
    notice = await publish(gql, world, who="member", compoundId=gid("Compound", world.other_compound))
    assert notice["organisation"] == {"name": "甲居委会", "kind": "RESIDENTS_COMMITTEE"}
    assert notice["households"] == 1
    stored = await session.get(Notice, notice_pk(notice))
    assert stored.organisation_id == world.committee and stored.publisher_id == world.people["member"]

    # Its members and the office see it and its receipts; a resident it reached sees it
    for who in ("member", "office", "admin", "p5"):
        seen = (await gql(NODE, {"id": notice["id"]}, token=world.tokens[who]))["data"]["node"]
        assert seen == {"__typename": "Notice", "id": notice["id"], "title": "停水通知"}, who
    receipts = (await gql(RECEIPTS, {"id": notice["id"]}, token=world.tokens["member"]))["data"]
    assert receipts["noticeReadReceipts"]["households"] == 1

    by_admin = await publish(gql, world, who="admin", communityId=gid("Community", world.other_community))
    assert by_admin["community"]["name"] == "通知测试乙社区" and by_admin["households"] == 1
    assert await receipt_households(session, notice_pk(by_admin)) == of(world, "households", "h6")


# ── Reading and acknowledging ─────────────────────────────────────────────────


async def test_read_receipts_show_who_has_not_read_and_keep_a_households_first_reading(
    gql, session, world, clock
):
    notice = await publish(
        gql,
        world,
        compoundId=gid("Compound", world.compound),
        buildingIds=[gid("Building", world.buildings["A"])],
    )
    nid = notice["id"]

    async def receipts(**given):
        answer = await gql(RECEIPTS, {"id": nid, **given}, token=world.tokens["office"])
        assert "errors" not in answer, answer
        return answer["data"]["noticeReadReceipts"]

    before = await receipts()
    assert (before["households"], before["read"], before["acknowledged"]) == (3, 0, 0)
    assert [edge["node"]["householdAddress"] for edge in before["edges"]] == [
        "北苑A幢101",
        "北苑A幢102",
        "北苑A幢102（租）",
    ]
    assert all(edge["node"]["readAt"] is None for edge in before["edges"])
    assert before["edges"][0]["node"]["units"] == [
        {"building": {"name": "A幢"}, "unit": {"name": "101"}, "tenure": "OWNER"}
    ]
    assert before["edges"][2]["node"]["units"] == [
        {"building": {"name": "A幢"}, "unit": {"name": "102"}, "tenure": "TENANT"}
    ]

    # Paged by address
    first = await receipts(first=2)
    assert len(first["edges"]) == 2 and first["pageInfo"]["hasNextPage"] is True
    rest = await receipts(first=2, after=first["pageInfo"]["endCursor"])
    assert [edge["node"]["householdAddress"] for edge in rest["edges"]] == ["北苑A幢102（租）"]
    assert rest["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": True,
        "endCursor": rest["edges"][0]["cursor"],
    }

    # 张一 of h1 reads it
    clock.now = T0 + timedelta(hours=1)
    read = (await gql(MARK, {"id": nid}, token=world.tokens["p1a"]))["data"]["noticeMarkRead"]
    assert read["__typename"] == "NoticeReading"
    assert datetime.fromisoformat(read["readAt"]) == clock.now and read["acknowledgedAt"] is None
    first_reading = clock.now

    # 张二 of the same household reads later: the household's first reading stays (only 张二's own
    # inbox row is read, and audited); 张一 again: nothing at all is written
    clock.now = T0 + timedelta(hours=2)
    second = (await gql(MARK, {"id": nid}, token=world.tokens["p1b"]))["data"]["noticeMarkRead"]
    assert datetime.fromisoformat(second["readAt"]) == first_reading
    readings = (
        await session.scalars(
            select(AuditLog)
            .where(AuditLog.action == "notice.read", AuditLog.object_id == nid)
            .order_by(AuditLog.id)
        )
    ).all()
    assert [(entry.actor_id, entry.after["receipt"], entry.after["inbox"]) for entry in readings] == [
        (world.people["p1a"], True, True),
        (world.people["p1b"], False, True),
    ]
    before_counts = await counts(session)
    again = (await gql(MARK, {"id": nid}, token=world.tokens["p1a"]))["data"]["noticeMarkRead"]
    assert datetime.fromisoformat(again["readAt"]) == first_reading
    assert await counts(session) == before_counts
    receipt = await session.get(NoticeReceipt, (notice_pk(notice), world.households["h1"]))
    await session.refresh(receipt)
    assert receipt.read_by == world.people["p1a"] and receipt.read_at == first_reading

    # 李租 of h2 reads it in the inbox: the household's receipt is read too
    clock.now = T0 + timedelta(hours=3)
    inbox_row = await session.scalar(
        select(Notification.id).where(
            Notification.person_id == world.people["p2"], Notification.subject_id == nid
        )
    )
    marked_inbox = await gql(MARK_INBOX, {"ids": [gid("Notification", inbox_row)]}, token=world.tokens["p2"])
    assert marked_inbox["data"]["notificationsMarkRead"] == {"__typename": "NotificationsMarked", "marked": 1}

    after = await receipts()
    assert (after["households"], after["read"], after["acknowledged"]) == (3, 2, 0)
    by_address = {edge["node"]["householdAddress"]: edge["node"] for edge in after["edges"]}
    assert by_address["北苑A幢101"]["readByName"] == "张一"
    assert datetime.fromisoformat(by_address["北苑A幢101"]["readAt"]) == first_reading
    assert by_address["北苑A幢102（租）"]["readByName"] == "李租"
    assert datetime.fromisoformat(by_address["北苑A幢102（租）"]["readAt"]) == T0 + timedelta(hours=3)
    assert by_address["北苑A幢102"]["readAt"] is None
    unread = await receipts(unread=True)
    assert [edge["node"]["householdAddress"] for edge in unread["edges"]] == ["北苑A幢102"]
    assert unread["households"] == 3  # the totals are of every household, whatever the filter

    # The household's own view: 张二 sees when it was first read
    mine = (await gql(MINE, token=world.tokens["p1b"]))["data"]["myNotices"]["edges"]
    assert datetime.fromisoformat(mine[0]["readAt"]) == first_reading
    # Reading through noticeMarkRead read 张一's inbox row too
    inbox = (await gql(INBOX, token=world.tokens["p1a"]))["data"]["myNotifications"]
    assert inbox["unreadCount"] == 0


async def test_my_notices_newest_first_in_pages(gql, world, clock):
    for hour, title in enumerate(("第一则", "第二则", "第三则")):
        clock.now = T0 + timedelta(hours=hour)
        await publish(gql, world, title=title, compoundId=gid("Compound", world.compound))
    first = (await gql(MINE, {"first": 2}, token=world.tokens["p3"]))["data"]["myNotices"]
    assert [edge["node"]["title"] for edge in first["edges"]] == ["第三则", "第二则"]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = await gql(MINE, {"first": 2, "after": first["pageInfo"]["endCursor"]}, token=world.tokens["p3"])
    assert [edge["node"]["title"] for edge in rest["data"]["myNotices"]["edges"]] == ["第一则"]
    assert rest["data"]["myNotices"]["pageInfo"]["hasNextPage"] is False


async def test_acknowledging_marks_read_once_and_only_where_asked(gql, session, world, clock):
    notice = await publish(
        gql, world, compoundId=gid("Compound", world.compound), requiresAcknowledgement=True
    )
    assert notice["requiresAcknowledgement"] is True
    clock.now = T0 + timedelta(minutes=30)
    done = (await gql(ACKNOWLEDGE, {"id": notice["id"]}, token=world.tokens["p3"]))["data"][
        "noticeAcknowledge"
    ]
    assert done["__typename"] == "NoticeReading"
    assert datetime.fromisoformat(done["acknowledgedAt"]) == clock.now
    assert datetime.fromisoformat(done["readAt"]) == clock.now  # acknowledging read it too

    # Read first, acknowledged later: the reading keeps its time
    clock.now = T0 + timedelta(minutes=40)
    await gql(MARK, {"id": notice["id"]}, token=world.tokens["p2"])
    clock.now = T0 + timedelta(minutes=50)
    later = (await gql(ACKNOWLEDGE, {"id": notice["id"]}, token=world.tokens["p2"]))["data"][
        "noticeAcknowledge"
    ]
    assert datetime.fromisoformat(later["readAt"]) == T0 + timedelta(minutes=40)
    assert datetime.fromisoformat(later["acknowledgedAt"]) == T0 + timedelta(minutes=50)

    # A repeat changes nothing
    clock.now = T0 + timedelta(hours=5)
    before = await counts(session)
    again = (await gql(ACKNOWLEDGE, {"id": notice["id"]}, token=world.tokens["p3"]))["data"][
        "noticeAcknowledge"
    ]
    assert datetime.fromisoformat(again["acknowledgedAt"]) == T0 + timedelta(minutes=30)
    assert await counts(session) == before
    totals = (await gql(RECEIPTS, {"id": notice["id"]}, token=world.tokens["office"]))["data"][
        "noticeReadReceipts"
    ]
    assert (totals["households"], totals["read"], totals["acknowledged"]) == (4, 2, 2)
    audit = await session.scalar(
        select(func.count())
        .select_from(AuditLog)
        .where(AuditLog.action == "notice.acknowledge", AuditLog.object_id == notice["id"])
    )
    assert audit == 2

    # A notice that asks for none: ACKNOWLEDGEMENT_NOT_REQUIRED, nothing written
    plain = await publish(gql, world, compoundId=gid("Compound", world.compound))
    before = await counts(session)
    refused = (await gql(ACKNOWLEDGE, {"id": plain["id"]}, token=world.tokens["p3"]))["data"][
        "noticeAcknowledge"
    ]
    assert refused["__typename"] == "RuleViolation" and refused["code"] == "ACKNOWLEDGEMENT_NOT_REQUIRED"
    assert await counts(session) == before
    receipt = await session.get(NoticeReceipt, (notice_pk(plain), world.households["h3"]))
    await session.refresh(receipt)
    assert receipt.read_at is None and receipt.acknowledged_at is None


# ── Refusals ─────────────────────────────────────────────────────────────────


async def test_every_refusal_is_a_clear_code_and_changes_nothing(gql, session, world):
    compound = gid("Compound", world.compound)
    cases = [
        ("office", {"title": "   "}, "RuleViolation", "INVALID_TITLE"),
        ("office", {"title": "题" * 101}, "RuleViolation", "INVALID_TITLE"),
        ("office", {"body": ""}, "RuleViolation", "INVALID_BODY"),
        ("office", {"body": "字" * 2001}, "RuleViolation", "INVALID_BODY"),
        # a building of another compound; buildings without a compound; a compound of another community
        (
            "office",
            {"compoundId": compound, "buildingIds": [gid("Building", world.buildings["东"])]},
            "RuleViolation",
            "NOTICE_TARGET",
        ),
        (
            "office",
            {"buildingIds": [gid("Building", world.buildings["A"])]},
            "RuleViolation",
            "NOTICE_TARGET",
        ),
        ("office", {"compoundId": gid("Compound", world.far_compound)}, "RuleViolation", "NOTICE_TARGET"),
        # C幢 has no one; B幢 has no tenant
        (
            "office",
            {"compoundId": compound, "buildingIds": [gid("Building", world.buildings["C"])]},
            "RuleViolation",
            "NO_HOUSEHOLDS",
        ),
        (
            "office",
            {
                "compoundId": compound,
                "buildingIds": [gid("Building", world.buildings["B"])],
                "audience": "TENANTS",
            },
            "RuleViolation",
            "NO_HOUSEHOLDS",
        ),
        (
            "office",
            {"communityId": gid("Community", world.other_community)},
            "RuleViolation",
            "OTHER_COMMUNITY",
        ),
        ("admin", {}, "RuleViolation", "COMMUNITY_REQUIRED"),
        # a 居委会 member of another community cannot publish here
        ("other_member", {"communityId": gid("Community", world.community)}, "NotFound", "NOT_FOUND"),
    ]
    for who, given, typename, code in cases:
        before = await counts(session)
        answer = await gql(PUBLISH, {"i": draft(world, **given)}, token=world.tokens[who])
        result = answer["data"]["noticePublish"]
        assert (result["__typename"], result["code"]) == (typename, code), (who, given, result)
        assert result["message"]
        assert await counts(session) == before, (who, given)


async def test_who_may_not_publish_read_receipts_or_see_a_notice(gql, session, world):
    before = await counts(session)
    refused = await gql(PUBLISH, {"i": draft(world)}, token=world.tokens["p1a"])
    assert refused["data"] is None and refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    anonymous = await gql(PUBLISH, {"i": draft(world)})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await counts(session) == before

    notice = await publish(
        gql,
        world,
        compoundId=gid("Compound", world.compound),
        buildingIds=[gid("Building", world.buildings["A"])],
    )
    nid = notice["id"]
    # The receipts: not another community's office, another 居委会, nor a resident reached
    for who in ("other_office", "other_member", "member", "p1a"):
        answer = await gql(RECEIPTS, {"id": nid}, token=world.tokens[who])
        assert answer["errors"][0]["extensions"]["code"] == "NOT_FOUND", who
    # node(id:): null for anyone it did not reach and who does not publish it (the office published:
    # the 居委会 is not its publisher)
    for who in ("other_office", "other_member", "member", "p3", "p5", "p6"):
        assert (await gql(NODE, {"id": nid}, token=world.tokens[who]))["data"]["node"] is None, who
    assert (await gql(NODE, {"id": nid}))["data"]["node"] is None
    for who in ("office", "admin", "p1a", "p2", "p4"):
        assert (await gql(NODE, {"id": nid}, token=world.tokens[who]))["data"]["node"]["id"] == nid, who

    # Reading one that did not reach your household: NotFound, nothing written
    before = await counts(session)
    for mutation, field_name in ((MARK, "noticeMarkRead"), (ACKNOWLEDGE, "noticeAcknowledge")):
        answer = (await gql(mutation, {"id": nid}, token=world.tokens["p5"]))["data"][field_name]
        assert (answer["__typename"], answer["code"]) == ("NotFound", "NOT_FOUND")
    assert await counts(session) == before


async def test_my_notices_reads_its_references_in_a_fixed_number_of_statements(gql, world, count_statements):
    query = """{ myNotices(first: 20) { edges { readAt node { title compound { name } buildings { name }
      organisation { name } community { name } } } } }"""
    building_a = {
        "compoundId": gid("Compound", world.compound),
        "buildingIds": [gid("Building", world.buildings["A"])],
    }
    await publish(gql, world, who="member", **building_a)  # every reference of a notice is there
    with count_statements() as one:
        page = await gql(query, token=world.tokens["p1a"])
    assert len(page["data"]["myNotices"]["edges"]) == 1
    for _ in range(3):
        await publish(gql, world, **building_a)
    await publish(gql, world, compoundId=gid("Compound", world.compound))
    with count_statements() as five:
        page = await gql(query, token=world.tokens["p1a"])
    edges = page["data"]["myNotices"]["edges"]
    assert len(edges) == 5 and edges[0]["node"]["buildings"] == [] and edges[4]["node"]["organisation"]
    assert five.count == one.count, "\n\n".join(five.statements)


async def test_marking_the_whole_inbox_read_reads_each_notice_for_the_household(gql, session, world, clock):
    building_a = {
        "compoundId": gid("Compound", world.compound),
        "buildingIds": [gid("Building", world.buildings["A"])],
    }
    notices = [await publish(gql, world, title=f"通知{n}", **building_a) for n in range(2)]
    clock.now = T0 + timedelta(minutes=5)
    marked = await gql(
        "mutation { notificationsMarkRead(all: true) { __typename } }", token=world.tokens["p4"]
    )
    assert marked["data"]["notificationsMarkRead"]["__typename"] == "NotificationsMarked"
    for notice in notices:
        receipts = await session.scalars(
            select(NoticeReceipt).where(NoticeReceipt.notice_id == notice_pk(notice))
        )
        read = {row.household_id: (row.read_at, row.read_by) for row in receipts}
        assert read == {
            world.households["h1"]: (None, None),
            world.households["h2"]: (None, None),
            world.households["h4"]: (clock.now, world.people["p4"]),
        }
    audit = await session.scalar(
        select(AuditLog).where(
            AuditLog.action == "notification.mark_read", AuditLog.actor_id == world.people["p4"]
        )
    )
    assert audit.after == {"marked": 2, "all": True, "noticesRead": 2}
