"""The places an empty database needs (#17): a community (ADMIN), its maker space and its childcare
centre (ADMIN or that community's office) — names unique in the database, each change audited."""

import pytest
from sqlalchemy import func, select

from models.audit import AuditLog
from models.childcare import ChildcareCenter
from models.makerspace import MakerSpace
from models.people import Community, Role
from resolvers import people as people_service
from schema.common import decode_global_id, encode_global_id
from server.auth import TokenService

COMMUNITY = """mutation($n: String!, $s: String!) { communityCreate(name: $n, subdistrict: $s) {
  __typename ... on Community { id name subdistrict } ... on DomainError { code message } } }"""
SPACE = """mutation($n: String!, $c: ID) { makerSpaceCreate(name: $n, communityId: $c) {
  __typename
  ... on MakerSpace { id name opensAt closesAt rules { slotMinutes bookingHorizonDays } resources { id } }
  ... on DomainError { code message } } }"""
CENTER = """mutation($n: String!, $c: ID) { childcareCenterCreate(name: $n, communityId: $c) {
  __typename ... on ChildcareCenter { id name classes { id } } ... on DomainError { code message } } }"""


@pytest.fixture
async def other_office(session, settings) -> str:
    person = await people_service.add_user(
        session=session,
        phone="13611118001",
        name="海创办公室",
        role=Role.COMMUNITY_ADMIN,
        community_name="海创社区",
    )
    await session.commit()
    return TokenService(settings).issue(person)[0]


async def test_admin_creates_a_community_once_by_name(gql, tokens, session):
    made = (await gql(COMMUNITY, {"n": " 新建未来社区 ", "s": "五常街道"}, token=tokens["ADMIN"]))["data"]
    community = made["communityCreate"]
    assert (community["__typename"], community["name"], community["subdistrict"]) == (
        "Community",
        "新建未来社区",
        "五常街道",
    )
    again = (await gql(COMMUNITY, {"n": "新建未来社区", "s": "五常街道"}, token=tokens["ADMIN"]))["data"]
    assert again["communityCreate"]["code"] == "NAME_TAKEN"
    blank = (await gql(COMMUNITY, {"n": " ", "s": "五常街道"}, token=tokens["ADMIN"]))["data"]
    assert blank["communityCreate"]["code"] == "INVALID_NAME"
    for role in ("COMMUNITY_ADMIN", "CARE_STAFF", "RESIDENT"):
        refused = await gql(COMMUNITY, {"n": "另一个社区", "s": "五常街道"}, token=tokens[role])
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN", role
    assert await session.scalar(select(func.count()).where(Community.name.like("%另一个社区%"))) == 0
    (entry,) = (await session.scalars(select(AuditLog).where(AuditLog.action == "community.create"))).all()
    assert entry.object_id == community["id"]


@pytest.mark.parametrize(
    ("mutation", "root", "model"),
    [(SPACE, "makerSpaceCreate", MakerSpace), (CENTER, "childcareCenterCreate", ChildcareCenter)],
)
async def test_a_space_or_centre_is_created_in_the_offices_own_community(
    gql, tokens, session, other_office, mutation, root, model
):
    nanmu = await session.scalar(select(Community.id).where(Community.name == "南睦未来社区"))
    office = tokens["COMMUNITY_ADMIN"]  # of 南睦
    made = (await gql(mutation, {"n": "南睦新空间"}, token=office))["data"][root]
    assert made["name"] == "南睦新空间", made
    stored = await session.get(model, decode_global_id(made["id"])[1])
    assert stored.community_id == nanmu
    if root == "makerSpaceCreate":  # the default rules, no resources yet, a secret of its own
        assert (made["opensAt"], made["closesAt"], made["rules"]["slotMinutes"]) == ("08:30", "21:30", 30)
        assert made["resources"] == [] and len(stored.check_in_secret) >= 16
    else:
        assert made["classes"] == []

    taken = (await gql(mutation, {"n": "南睦新空间"}, token=tokens["ADMIN"]))["data"][root]
    assert taken["code"] == "COMMUNITY_REQUIRED"  # ADMIN names the community
    named = {"n": "南睦新空间", "c": encode_global_id("Community", nanmu)}
    assert (await gql(mutation, named, token=tokens["ADMIN"]))["data"][root]["code"] == "NAME_TAKEN"
    elsewhere = (await gql(mutation, {**named, "n": "越界空间"}, token=other_office))["data"][root]
    assert elsewhere["code"] == "OTHER_COMMUNITY"
    missing = {"n": "无处空间", "c": encode_global_id("Community", 999_999)}
    assert (await gql(mutation, missing, token=tokens["ADMIN"]))["data"][root]["code"] == "NOT_FOUND"
    for role in ("MAKERSPACE_STAFF", "CHILDCARE_STAFF", "RESIDENT"):
        refused = await gql(mutation, {"n": "越权空间"}, token=tokens[role])
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN", role
    assert await session.scalar(select(func.count()).select_from(model).where(model.name.like("%空间"))) == 1
    action = "maker_space.create" if root == "makerSpaceCreate" else "childcare_center.create"
    assert await session.scalar(select(func.count()).where(AuditLog.action == action)) == 1
