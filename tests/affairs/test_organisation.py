"""The 小区 and its organisation (#18), run by the community office through the graph: a compound
with its buildings and units, organisations and their members, residences, the category list and
routing rules; `contacts` tells a resident whom to reach for what. The database decides what may
exist (one 居委会 per community, one 物业 per compound, same community throughout); each refusal
has its code and changes nothing; membership ends at once."""

import pytest
from sqlalchemy import func, select

from models.affairs import Compound, Organisation, OrganisationMember, Residence
from models.audit import AuditLog
from models.people import Community, Household, Person
from schema.common import encode_global_id
from server.auth import TokenService

OFFICE, ADMIN, RESIDENT, PROPERTY = "13800000007", "13800000006", "13800000001", "13800000009"

RESULT = "__typename ... on Node { id } ... on DomainError { code message }"
COMPOUND = "mutation($input: CompoundCreateInput!) { compoundCreate(input: $input) { " + RESULT + " } }"
ORGANISATION = (
    "mutation($input: OrganisationCreateInput!) { organisationCreate(input: $input) { " + RESULT + " } }"
)
MEMBER_ADD = (
    "mutation($o: ID!, $p: ID!, $t: String) { "
    "organisationMemberAdd(organisationId: $o, personId: $p, title: $t) { " + RESULT + " } }"
)
MEMBER_REMOVE = (
    "mutation($o: ID!, $p: ID!) { organisationMemberRemove(organisationId: $o, personId: $p) { "
    + RESULT
    + " } }"
)
RESIDENCE = """mutation($h: ID!, $u: ID!, $t: Tenure!) {
  residenceSet(householdId: $h, unitId: $u, tenure: $t) {
  __typename ... on Residence { tenure } ... on DomainError { code } } }"""
CONTACTS = (
    "{ contacts { compound { name } organisation { name kind phone members { name phone } } categories } }"
)
QUEUE = "query($o: ID!) { caseQueue(filter: {organisationId: $o}) { edges { node { id } } } }"
CATEGORY_CREATE = """mutation($input: CaseCategoryCreateInput!) { caseCategoryCreate(input: $input) {
  __typename ... on CaseCategory { category: code name retired } ... on DomainError { code } } }"""
CATEGORY_UPDATE = """mutation($code: String!, $input: CaseCategoryUpdateInput!) {
  caseCategoryUpdate(code: $code, input: $input) {
  __typename ... on CaseCategory { category: code acceptMinutes informedKind retired }
  ... on DomainError { code } } }"""
CATEGORIES = "query($all: Boolean!) { caseCategories(includeRetired: $all) { code } }"
RULE = """mutation($input: CaseRoutingRuleInput!) { caseRoutingRuleSet(input: $input) {
  __typename ... on CaseRoutingRule { category } ... on DomainError { code } } }"""


@pytest.fixture
async def tokens(session, settings):
    service = TokenService(settings)
    found = {}
    for phone in (OFFICE, ADMIN, RESIDENT, PROPERTY):
        person = await session.scalar(select(Person).where(Person.phone == phone))
        await session.refresh(person, ["roles"])
        found[phone] = service.issue(person)[0]
    return found


async def community_id(session, name: str) -> str:
    return encode_global_id(
        "Community", await session.scalar(select(Community.id).where(Community.name == name))
    )


async def test_an_office_builds_a_compound_its_organisations_and_residences(gql, tokens, session):
    made = await gql(
        COMPOUND,
        {
            "input": {
                "name": "南睦二期",
                "address": "五常大道 1 号",
                "buildings": [{"name": "1幢", "units": ["101", "102"]}, {"name": "2幢", "units": ["201"]}],
            }
        },
        token=tokens[OFFICE],
    )
    compound = made["data"]["compoundCreate"]
    assert compound["__typename"] == "Compound"
    shape = await gql(
        "query($id: ID!) { node(id: $id) { ... on Compound { name community { name } buildings { name units "
        "{ id name } } } } }",
        {"id": compound["id"]},
    )
    node = shape["data"]["node"]
    assert node["community"] == {"name": "南睦未来社区"}
    assert [(b["name"], [u["name"] for u in b["units"]]) for b in node["buildings"]] == [
        ("1幢", ["101", "102"]),
        ("2幢", ["201"]),
    ]

    # The same name again, and a unit repeated in a building: refused, nothing added
    before = await session.scalar(select(func.count()).select_from(Compound))
    for buildings, name in (([], "南睦二期"), ([{"name": "1幢", "units": ["101", "101"]}], "南睦三期")):
        again = await gql(COMPOUND, {"input": {"name": name, "buildings": buildings}}, token=tokens[OFFICE])
        assert again["data"]["compoundCreate"]["code"] == "NAME_TAKEN"
    elsewhere = await gql(
        COMPOUND,
        {"input": {"name": "别处", "communityId": await community_id(session, "海创社区")}},
        token=tokens[OFFICE],
    )
    assert elsewhere["data"]["compoundCreate"]["code"] == "OTHER_COMMUNITY"
    assert await session.scalar(select(func.count()).select_from(Compound)) == before

    # A 物业 for it; a second 物业 for the same compound, a second 居委会, a 居委会 with compounds: refused
    pm = {
        "kind": "PROPERTY_MANAGEMENT",
        "name": "二期物业",
        "phone": "0571-88009999",
        "compoundIds": [compound["id"]],
    }
    created = await gql(ORGANISATION, {"input": pm}, token=tokens[OFFICE])
    organisation = created["data"]["organisationCreate"]
    assert organisation["__typename"] == "Organisation"
    organisations = await session.scalar(select(func.count()).select_from(Organisation))
    for variables, code in (
        ({**pm, "name": "另一家物业"}, "ORGANISATION_KIND_TAKEN"),
        ({"kind": "RESIDENTS_COMMITTEE", "name": "第二居委会"}, "RESIDENTS_COMMITTEE_EXISTS"),
        (
            {"kind": "RESIDENTS_COMMITTEE", "name": "带小区的居委会", "compoundIds": [compound["id"]]},
            "ORGANISATION_COMPOUNDS",
        ),
        ({"kind": "OWNERS_COMMITTEE", "name": "空业委会"}, "ORGANISATION_COMPOUNDS"),
    ):
        refused = await gql(ORGANISATION, {"input": variables}, token=tokens[OFFICE])
        assert refused["data"]["organisationCreate"]["code"] == code, variables
    # A compound of another community is not one a 业委会 here may serve (the composite key says so)
    haichuang = await session.scalar(select(Compound.id).where(Compound.name == "海创园小区"))
    foreign = await gql(
        ORGANISATION,
        {
            "input": {
                "kind": "OWNERS_COMMITTEE",
                "name": "越界业委会",
                "compoundIds": [encode_global_id("Compound", haichuang)],
            }
        },
        token=tokens[OFFICE],
    )
    assert foreign["data"]["organisationCreate"]["code"] == "COMPOUND_NOT_IN_COMMUNITY"
    assert await session.scalar(select(func.count()).select_from(Organisation)) == organisations

    # A household of 南睦 lives in 1幢101 as a tenant; a household of 海创 cannot
    unit = node["buildings"][0]["units"][0]["id"]
    nanmu_household = await session.scalar(
        select(Household.id).where(Household.address == "南睦苑5幢1单元1102")
    )
    set_ = await gql(
        RESIDENCE,
        {"h": encode_global_id("Household", nanmu_household), "u": unit, "t": "TENANT"},
        token=tokens[OFFICE],
    )
    assert set_["data"]["residenceSet"] == {"__typename": "Residence", "tenure": "TENANT"}
    twice = await gql(
        RESIDENCE,
        {"h": encode_global_id("Household", nanmu_household), "u": unit, "t": "OWNER"},
        token=tokens[OFFICE],
    )
    assert twice["data"]["residenceSet"]["code"] == "ALREADY_RESIDENT"
    haichuang_household = await session.scalar(
        select(Household.id).where(Household.address == "海创园小区2幢601")
    )
    other = await gql(
        RESIDENCE,
        {"h": encode_global_id("Household", haichuang_household), "u": unit, "t": "OWNER"},
        token=tokens[ADMIN],
    )
    assert other["data"]["residenceSet"]["code"] == "UNIT_NOT_IN_COMMUNITY"
    not_theirs = await gql(
        RESIDENCE,
        {"h": encode_global_id("Household", haichuang_household), "u": unit, "t": "OWNER"},
        token=tokens[OFFICE],
    )
    assert not_theirs["data"]["residenceSet"]["code"] == "NOT_FOUND"
    assert (
        await session.scalar(
            select(func.count()).select_from(Residence).where(Residence.household_id == haichuang_household)
        )
        == 1
    )

    actions = await session.scalars(
        select(AuditLog.action)
        .where(AuditLog.action.in_(["compound.create", "organisation.create", "residence.set"]))
        .order_by(AuditLog.id)
    )
    assert list(actions) == ["compound.create", "organisation.create", "residence.set"]


async def test_a_member_acts_for_the_organisation_until_removed_at_once(gql, tokens, session):
    # Given the resident is made staff of 南睦苑's 物业
    property_id = await session.scalar(
        select(Organisation.id).where(Organisation.name == "南睦苑物业服务中心")
    )
    organisation = encode_global_id("Organisation", property_id)
    resident = await session.scalar(select(Person.id).where(Person.phone == RESIDENT))
    person = encode_global_id("Person", resident)
    refused = await gql(QUEUE, {"o": organisation}, token=tokens[RESIDENT])
    assert refused["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    added = await gql(MEMBER_ADD, {"o": organisation, "p": person, "t": "客服"}, token=tokens[OFFICE])
    assert added["data"]["organisationMemberAdd"]["__typename"] == "Organisation"
    again = await gql(MEMBER_ADD, {"o": organisation, "p": person}, token=tokens[OFFICE])
    assert again["data"]["organisationMemberAdd"]["code"] == "ALREADY_MEMBER"

    # Then the same token reads the queue (membership is read on every request, not from the token)
    assert "errors" not in await gql(QUEUE, {"o": organisation}, token=tokens[RESIDENT])
    members = await gql(
        "query($id: ID!) { node(id: $id) { ... on Organisation { members { name title phone } } } }",
        {"id": organisation},
        token=tokens[RESIDENT],
    )
    assert {"name": "王晓燕", "title": "客服", "phone": "138****0001"} in members["data"]["node"]["members"]

    # When the office removes them, their very next request is refused
    removed = await gql(MEMBER_REMOVE, {"o": organisation, "p": person}, token=tokens[OFFICE])
    assert removed["data"]["organisationMemberRemove"]["__typename"] == "Organisation"
    refused = await gql(QUEUE, {"o": organisation}, token=tokens[RESIDENT])
    assert refused["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    gone = await gql(MEMBER_REMOVE, {"o": organisation, "p": person}, token=tokens[OFFICE])
    assert gone["data"]["organisationMemberRemove"]["code"] == "NOT_MEMBER"
    assert (
        await session.scalar(
            select(func.count())
            .select_from(OrganisationMember)
            .where(OrganisationMember.person_id == resident)
        )
        == 0
    )


async def test_contacts_tell_a_resident_whom_to_reach_for_what(gql, tokens):
    answer = await gql(CONTACTS, token=tokens[RESIDENT])
    contacts = {item["organisation"]["name"]: item for item in answer["data"]["contacts"]}
    # As DOMAIN.md routes: 物业 for repairs, sanitation, parking and hazards; the 居委会 for the rest
    assert contacts["南睦苑物业服务中心"]["categories"] == ["公共设施报修", "环境卫生", "停车", "安全隐患"]
    assert contacts["南睦社区居委会"]["categories"] == ["噪音扰民", "邻里纠纷", "政策咨询", "其他"]
    assert {item["compound"]["name"] for item in answer["data"]["contacts"]} == {"南睦苑"}
    property_ = contacts["南睦苑物业服务中心"]["organisation"]
    assert property_["phone"] == "0571-88000002"
    assert property_["members"] == [{"name": "钱管家", "phone": "138****0009"}]
    assert (await gql(CONTACTS))["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_the_admin_keeps_the_category_list_and_offices_set_their_rules(gql, tokens, session):
    made = await gql(
        CATEGORY_CREATE,
        {
            "input": {
                "code": "pets",
                "name": "宠物扰民",
                "defaultKind": "RESIDENTS_COMMITTEE",
                "acceptMinutes": 60,
                "resolveMinutes": 1440,
            }
        },
        token=tokens[ADMIN],
    )
    assert made["data"]["caseCategoryCreate"] == {
        "__typename": "CaseCategory",
        "category": "PETS",
        "name": "宠物扰民",
        "retired": False,
    }
    for variables, code in (
        (
            {
                "code": "PETS",
                "name": "别名",
                "defaultKind": "RESIDENTS_COMMITTEE",
                "acceptMinutes": 60,
                "resolveMinutes": 60,
            },
            "NAME_TAKEN",
        ),
        (
            {
                "code": "X Y",
                "name": "坏代码",
                "defaultKind": "RESIDENTS_COMMITTEE",
                "acceptMinutes": 60,
                "resolveMinutes": 60,
            },
            "INVALID_CATEGORY",
        ),
        (
            {
                "code": "SLOW",
                "name": "慢",
                "defaultKind": "RESIDENTS_COMMITTEE",
                "acceptMinutes": 600,
                "resolveMinutes": 60,
            },
            "INVALID_SLA",
        ),
        (
            {
                "code": "SAME",
                "name": "同",
                "defaultKind": "RESIDENTS_COMMITTEE",
                "informedKind": "RESIDENTS_COMMITTEE",
                "acceptMinutes": 60,
                "resolveMinutes": 60,
            },
            "INVALID_CATEGORY",
        ),
    ):
        refused = await gql(CATEGORY_CREATE, {"input": variables}, token=tokens[ADMIN])
        assert refused["data"]["caseCategoryCreate"]["code"] == code, variables
    office = await gql(
        CATEGORY_UPDATE, {"code": "PETS", "input": {"acceptMinutes": 30}}, token=tokens[OFFICE]
    )
    assert office["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    retired = await gql(CATEGORY_UPDATE, {"code": "PETS", "input": {"retired": True}}, token=tokens[ADMIN])
    assert retired["data"]["caseCategoryUpdate"]["retired"] is True
    offered = await gql(CATEGORIES, {"all": False})
    assert "PETS" not in [c["code"] for c in offered["data"]["caseCategories"]]
    everything = await gql(CATEGORIES, {"all": True})
    assert everything["data"]["caseCategories"][-1]["code"] == "PETS"
    reported = await gql(
        'mutation { caseReport(input: {category: "PETS", description: "狗叫"}) { __typename '
        "... on DomainError { code } } }",
        token=tokens[RESIDENT],
    )
    assert reported["data"]["caseReport"]["code"] == "CATEGORY_RETIRED"
    informed = await gql(
        CATEGORY_UPDATE, {"code": "SAFETY_HAZARD", "input": {"informedKind": None}}, token=tokens[ADMIN]
    )
    assert informed["data"]["caseCategoryUpdate"]["informedKind"] is None

    # A rule may name only organisations of the compound's community
    nanmu = await session.scalar(select(Compound.id).where(Compound.name == "南睦苑"))
    haichuang_pm = await session.scalar(
        select(Organisation.id).where(Organisation.name == "海创园物业服务中心")
    )
    rule = {
        "compoundId": encode_global_id("Compound", nanmu),
        "category": "NOISE",
        "organisationId": encode_global_id("Organisation", haichuang_pm),
    }
    as_office = await gql(RULE, {"input": rule}, token=tokens[OFFICE])
    assert as_office["data"]["caseRoutingRuleSet"]["code"] == "NOT_FOUND"
    as_admin = await gql(RULE, {"input": rule}, token=tokens[ADMIN])
    assert as_admin["data"]["caseRoutingRuleSet"]["code"] == "COMPOUND_NOT_IN_COMMUNITY"
    committee = await session.scalar(select(Organisation.id).where(Organisation.name == "南睦社区居委会"))
    rule["organisationId"] = encode_global_id("Organisation", committee)
    for minutes in ({"acceptMinutes": 0}, {"acceptMinutes": 600, "resolveMinutes": 60}):
        bad_sla = await gql(RULE, {"input": {**rule, **minutes}}, token=tokens[OFFICE])
        assert bad_sla["data"]["caseRoutingRuleSet"]["code"] == "INVALID_SLA", minutes
    assert (await gql(RULE, {"input": rule}, token=tokens[OFFICE]))["data"]["caseRoutingRuleSet"] == {
        "__typename": "CaseRoutingRule",
        "category": "NOISE",
    }


async def test_a_household_moves_out_and_a_rule_is_removed(gql, tokens, session):
    # The demo resident's household moves out of 南睦苑3幢2单元501: contacts fall back to the community
    household = await session.scalar(select(Household.id).where(Household.address == "南睦苑3幢2单元501"))
    unit = await session.scalar(select(Residence.unit_id).where(Residence.household_id == household))
    remove = """mutation($h: ID!, $u: ID!) { residenceRemove(householdId: $h, unitId: $u) {
      __typename ... on Residence { tenure } ... on DomainError { code } } }"""
    variables = {"h": encode_global_id("Household", household), "u": encode_global_id("Unit", unit)}
    moved = await gql(remove, variables, token=tokens[OFFICE])
    assert moved["data"]["residenceRemove"] == {"__typename": "Residence", "tenure": "OWNER"}
    again = await gql(remove, variables, token=tokens[OFFICE])
    assert again["data"]["residenceRemove"]["code"] == "NOT_FOUND"
    contacts = (await gql(CONTACTS, token=tokens[RESIDENT]))["data"]["contacts"]
    assert {item["compound"] is None for item in contacts} == {True}
    assert {item["organisation"]["name"] for item in contacts} == {
        "南睦社区居委会"
    }  # no compound: its 居委会

    # A rule sends 南睦苑's noise to its 物业; removing it restores the default (the 居委会)
    nanmu = encode_global_id(
        "Compound", await session.scalar(select(Compound.id).where(Compound.name == "南睦苑"))
    )
    property_ = await session.scalar(select(Organisation.id).where(Organisation.name == "南睦苑物业服务中心"))
    rule = {
        "compoundId": nanmu,
        "category": "NOISE",
        "organisationId": encode_global_id("Organisation", property_),
    }
    assert (await gql(RULE, {"input": rule}, token=tokens[OFFICE]))["data"]["caseRoutingRuleSet"][
        "category"
    ] == "NOISE"
    rules = "query($c: ID!) { caseRoutingRules(compoundId: $c) { category organisation { name } } }"
    listed = await gql(rules, {"c": nanmu}, token=tokens[OFFICE])
    assert listed["data"]["caseRoutingRules"] == [
        {"category": "NOISE", "organisation": {"name": "南睦苑物业服务中心"}}
    ]
    remove_rule = """mutation($c: ID!) { caseRoutingRuleRemove(compoundId: $c, category: "NOISE") {
      __typename ... on DomainError { code } } }"""
    assert (await gql(remove_rule, {"c": nanmu}, token=tokens[OFFICE]))["data"]["caseRoutingRuleRemove"] == {
        "__typename": "Compound"
    }
    assert (await gql(rules, {"c": nanmu}, token=tokens[OFFICE]))["data"]["caseRoutingRules"] == []
    gone = await gql(remove_rule, {"c": nanmu}, token=tokens[OFFICE])
    assert gone["data"]["caseRoutingRuleRemove"]["code"] == "NOT_FOUND"
