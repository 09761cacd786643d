"""The authorization matrix's rows of community affairs (#18): the 小区 and its organisations (public),
case C of another resident (routed to the 物业 of 矩阵小区 in community 1), its reporter and photo
(personal information, reads logged), and the office's operations.

Read by tests/security/matrix.py (the table) and tests/security/test_authorization_matrix.py (which
runs every cell); the world the runners act on is built in tests/security/conftest.py.
"""

from sqlalchemy import insert, select, update

from models.affairs import Case, CaseCategory, CaseRoutingRule
from schema.common import pk_of
from tests.security.calls import (
    Call,
    Runner,
    mutate,
    node_outcome,
    outcome_of,
    own_list,
    phones_outcome,
    public_node,
    refusal,
    registrar,
    result_outcome,
    subscribe,
)
from tests.security.rows import (
    AFFAIRS,
    EMPTY,
    FORBIDDEN,
    FULL,
    MASKED,
    NOT_FOUND,
    NULL,
    OK,
    OWN,
    PUBLIC,
    PUBLIC_NODES,
    REFUSED,
    UNAUTH,
    Row,
    by_caller,
    everyone,
    signed_in,
)

# Those who handle case C: its 物业's staff, the office of community 1, the admin.
HANDLE = by_caller(NOT_FOUND, anonymous=UNAUTH, org_staff=OK, community_admin=OK, admin=OK)
SEE = by_caller(NULL, org_staff=OK, community_admin=OK, admin=OK)
OFFICE_ACT = by_caller(
    FORBIDDEN, anonymous=UNAUTH, community_admin=OK, community_admin_other=NOT_FOUND, admin=OK
)
OFFICE_CREATE = by_caller(
    FORBIDDEN, anonymous=UNAUTH, community_admin=OK, community_admin_other=REFUSED, admin=OK
)
ADMIN_ONLY = by_caller(FORBIDDEN, anonymous=UNAUTH, admin=OK)
OFFICE_SECTION = "community affairs: 矩阵小区 of community 1, run by its community office"
NOTICES = "community affairs: notice N of the 居委会 of community 1, to another household"

ROWS: dict[str, tuple[Row, ...]] = {
    PUBLIC: (
        Row("case_categories", "`caseCategories`", ("Query.caseCategories",), everyone(OK)),
        Row("compounds", "`compounds` of community 1", ("Query.compounds",), everyone(OK)),
        Row("organisations", "`organisations` of community 1", ("Query.organisations",), everyone(OK)),
    ),
    PUBLIC_NODES: (
        Row("node_compound", "`node` → Compound", ("Query.node:Compound",), everyone(OK)),
        Row("node_organisation", "`node` → Organisation", ("Query.node:Organisation",), everyone(OK)),
        Row("node_building", "`node` → Building", ("Query.node:Building",), everyone(OK)),
        Row("node_unit", "`node` → Unit", ("Query.node:Unit",), everyone(OK)),
    ),
    NOTICES: (
        Row(
            "node_notice",
            "`node` → notice N",
            ("Query.node:Notice",),
            by_caller(NULL, committee_staff=OK, community_admin=OK, admin=OK),
        ),
        Row(
            "my_notices",
            "`myNotices`: N did not reach the caller's household",
            ("Query.myNotices",),
            signed_in(OWN),
        ),
        Row(
            "notice_read_receipts",
            "`noticeReadReceipts` of N",
            ("Query.noticeReadReceipts",),
            by_caller(NOT_FOUND, anonymous=UNAUTH, committee_staff=OK, community_admin=OK, admin=OK),
        ),
        Row(
            "notice_publish",
            "`noticePublish` to 矩阵小区 of community 1",
            ("Mutation.noticePublish",),
            by_caller(
                FORBIDDEN,
                anonymous=UNAUTH,
                committee_staff=OK,
                community_admin=OK,
                community_admin_other=REFUSED,
                admin=OK,
            ),
        ),
        Row(
            "notice_mark_read",
            "`noticeMarkRead` of N (another household's)",
            ("Mutation.noticeMarkRead",),
            by_caller(NOT_FOUND, anonymous=UNAUTH),
        ),
        Row(
            "notice_acknowledge",
            "`noticeAcknowledge` of N (another household's)",
            ("Mutation.noticeAcknowledge",),
            by_caller(NOT_FOUND, anonymous=UNAUTH),
        ),
    ),
    AFFAIRS: (
        Row(
            "organisation_members",
            "`Organisation.members { phone }` of C's 物业",
            ("Organisation.members",),
            by_caller(MASKED, anonymous=EMPTY, community_admin=FULL, admin=FULL),
        ),
        Row(
            "contacts",
            "`contacts`: whom the caller reaches (their community's, none without one)",
            ("Query.contacts",),
            by_caller(OK, anonymous=UNAUTH, gateway=EMPTY, admin=EMPTY),
        ),
        Row("my_cases", "`myCases`: C is not one's own", ("Query.myCases",), signed_in(OWN)),
        Row(
            "case_queue",
            "`caseQueue` (everything the caller may see)",
            ("Query.caseQueue",),
            by_caller(EMPTY, anonymous=UNAUTH, org_staff=OK, community_admin=OK, admin=OK),
        ),
        Row(
            "case_queue_organisation",
            "`caseQueue(filter: {organisationId: C's 物业})`",
            ("Query.caseQueue",),
            HANDLE,
        ),
        Row("node_case", "`node` → case C", ("Query.node:Case",), SEE),
        Row(
            "case_reporter",
            "case C's `reporter { phone }`",
            ("Case.reporter",),
            by_caller(NULL, org_staff=MASKED, community_admin=FULL, admin=FULL),
            case_logged=True,
        ),
        Row("case_photos", "case C's `photos`", ("Case.photos",), SEE, case_logged=True),
        Row(
            "case_photo_get",
            "`GET /affairs/photos/<C's photo>` (HTTP)",
            (),
            by_caller(NOT_FOUND, anonymous=UNAUTH, org_staff=OK, community_admin=OK, admin=OK),
            case_logged=True,
        ),
        Row(
            "case_report",
            "`caseReport` (in the caller's own community)",
            ("Mutation.caseReport",),
            by_caller(OK, anonymous=UNAUTH, gateway=FORBIDDEN, admin=REFUSED),
        ),
        Row("case_accept", "`caseAccept` of C", ("Mutation.caseAccept",), HANDLE),
        Row("case_resolve", "`caseResolve` of C (accepted)", ("Mutation.caseResolve",), HANDLE),
        Row(
            "case_rate",
            "`caseRate` of another resident's resolved case",
            ("Mutation.caseRate",),
            by_caller(NOT_FOUND, anonymous=UNAUTH),
        ),
        Row(
            "case_reopen",
            "`caseReopen` of another resident's resolved case",
            ("Mutation.caseReopen",),
            by_caller(NOT_FOUND, anonymous=UNAUTH),
        ),
        Row(
            "my_case_updates",
            "`myCaseUpdates` replayed (WebSocket): C as its 物业's staff were told of it",
            ("Subscription.myCaseUpdates",),
            by_caller(EMPTY, anonymous=UNAUTH, org_staff=OK),
        ),
    ),
    OFFICE_SECTION: (
        Row(
            "compound_create",
            "`compoundCreate` in community 1",
            ("Mutation.compoundCreate",),
            OFFICE_CREATE,
        ),
        Row(
            "organisation_create",
            "`organisationCreate` of a 业委会 for 矩阵小区 (in community 1)",
            ("Mutation.organisationCreate",),
            OFFICE_CREATE,
        ),
        Row(
            "organisation_member_add",
            "`organisationMemberAdd` of R's holder to C's 物业",
            ("Mutation.organisationMemberAdd",),
            OFFICE_ACT,
        ),
        Row(
            "organisation_member_remove",
            "`organisationMemberRemove` of C's 物业's staff",
            ("Mutation.organisationMemberRemove",),
            OFFICE_ACT,
        ),
        Row(
            "residence_set",
            "`residenceSet` of the holder's household in another unit of 矩阵小区",
            ("Mutation.residenceSet",),
            OFFICE_ACT,
        ),
        Row(
            "residence_remove",
            "`residenceRemove` of the holder's household from its unit",
            ("Mutation.residenceRemove",),
            OFFICE_ACT,
        ),
        Row(
            "case_routing_rule_remove",
            "`caseRoutingRuleRemove` of 矩阵小区's NOISE rule (set first)",
            ("Mutation.caseRoutingRuleRemove",),
            OFFICE_ACT,
        ),
        Row(
            "case_routing_rules",
            "`caseRoutingRules` of 矩阵小区",
            ("Query.caseRoutingRules",),
            by_caller(
                FORBIDDEN, anonymous=UNAUTH, community_admin=OK, community_admin_other=NOT_FOUND, admin=OK
            ),
        ),
        Row(
            "case_routing_rule_set",
            "`caseRoutingRuleSet`: 矩阵小区's NOISE to its 物业",
            ("Mutation.caseRoutingRuleSet",),
            OFFICE_ACT,
        ),
        Row(
            "case_figures",
            "`caseFigures` of C's 物业, this month",
            ("Query.caseFigures",),
            by_caller(
                FORBIDDEN,
                anonymous=UNAUTH,
                org_staff=OK,
                committee_staff=NOT_FOUND,
                org_staff_other=NOT_FOUND,
                community_admin=OK,
                community_admin_other=NOT_FOUND,
                admin=OK,
            ),
        ),
        Row("case_category_create", "`caseCategoryCreate`", ("Mutation.caseCategoryCreate",), ADMIN_ONLY),
        Row("case_category_update", "`caseCategoryUpdate`", ("Mutation.caseCategoryUpdate",), ADMIN_ONLY),
    ),
}

# Nested fields that are personal information: each has a row.
SENSITIVE = {"Case.reporter", "Case.photos", "Organisation.members"}

RUNNERS: dict[str, Runner] = {}
runner = registrar(RUNNERS)

RUNNERS["node_compound"] = public_node("compound", "Compound")
RUNNERS["node_organisation"] = public_node("property", "Organisation")
RUNNERS["node_building"] = public_node("building", "Building")
RUNNERS["node_unit"] = public_node("spare_unit", "Unit")


def community_one(call: Call) -> str:
    return call.world.ids["community"]


def listed(name: str):
    return lambda items: OK if name in {item["name"] for item in items} else EMPTY


@runner("case_categories")
async def case_categories(call: Call) -> str:
    body = await call.query("{ caseCategories { code name } }")
    return outcome_of(body, "caseCategories", lambda items: OK if items else EMPTY)


@runner("compounds")
async def compounds(call: Call) -> str:
    body = await call.query("query($c: ID!) { compounds(communityId: $c) { name } }", c=community_one(call))
    return outcome_of(body, "compounds", listed("矩阵小区"))


@runner("organisations")
async def organisations(call: Call) -> str:
    body = await call.query(
        "query($c: ID!) { organisations(communityId: $c) { name } }", c=community_one(call)
    )
    return outcome_of(body, "organisations", listed("矩阵一物业"))


@runner("organisation_members")
async def organisation_members(call: Call) -> str:
    body = await call.query(
        "query($id: ID!) { node(id: $id) { ... on Organisation { members { phone } } } }",
        id=call.world.ids["property"],
    )
    if code := refusal(body):
        return code
    shown = [member["phone"] for member in body["data"]["node"]["members"]]
    if not shown:
        return EMPTY
    return phones_outcome(shown, [call.world.people["org_staff"].phone])


@runner("contacts")
async def contacts(call: Call) -> str:
    body = await call.query("{ contacts { organisation { name } categories } }")
    return outcome_of(body, "contacts", lambda items: OK if items else EMPTY)


CASE_LIST = "edges { node { id } }"


def ids_of(connection: dict) -> list[str]:
    return [edge["node"]["id"] for edge in connection["edges"]]


@runner("my_cases")
async def my_cases(call: Call) -> str:
    body = await call.query("{ myCases { " + CASE_LIST + " } }")
    if code := refusal(body):
        return code
    return own_list(ids_of(body["data"]["myCases"]), [], call.world.ids["case_c"])


@runner("case_queue")
async def case_queue(call: Call) -> str:
    body = await call.query("{ caseQueue { " + CASE_LIST + " } }")
    if code := refusal(body):
        return code
    return OK if call.world.ids["case_c"] in ids_of(body["data"]["caseQueue"]) else EMPTY


@runner("case_queue_organisation")
async def case_queue_organisation(call: Call) -> str:
    body = await call.query(
        "query($o: ID!) { caseQueue(filter: {organisationId: $o}) { " + CASE_LIST + " } }",
        o=call.world.ids["property"],
    )
    if code := refusal(body):
        return code
    return OK if call.world.ids["case_c"] in ids_of(body["data"]["caseQueue"]) else EMPTY


@runner("node_case")
async def node_case(call: Call) -> str:
    return await node_outcome(call, call.world.ids["case_c"], "... on Case { description }")


@runner("case_reporter")
async def case_reporter(call: Call) -> str:
    body = await call.query(
        "query($id: ID!) { node(id: $id) { ... on Case { reporter { phone } } } }",
        id=call.world.ids["case_c"],
    )
    if code := refusal(body):
        return code
    node = body["data"]["node"]
    if node is None or node["reporter"] is None:
        return NULL
    return phones_outcome([node["reporter"]["phone"]], [call.world.people["holder"].phone])


@runner("case_photos")
async def case_photos(call: Call) -> str:
    body = await call.query(
        "query($id: ID!) { node(id: $id) { ... on Case { photos { id } } } }", id=call.world.ids["case_c"]
    )
    if code := refusal(body):
        return code
    node = body["data"]["node"]
    if node is None:
        return NULL
    return OK if [photo["id"] for photo in node["photos"]] == [call.world.ids["photo_c"]] else EMPTY


@runner("case_photo_get")
async def case_photo_get(call: Call) -> str:
    headers = {"X-Request-ID": call.new_request_id()}
    if call.token:
        headers["Authorization"] = f"Bearer {call.token}"
    response = await call.gql.client.get(f"/affairs/photos/{call.world.ids['photo_c']}", headers=headers)
    if response.status_code == 200:
        return OK if response.headers["content-type"] == "image/jpeg" else response.headers["content-type"]
    return {401: UNAUTH, 404: NOT_FOUND}.get(response.status_code, str(response.status_code))


CASE_RESULT = "__typename ... on Case { id } ... on DomainError { code }"


def case_judge(result: dict) -> str:
    outcome = result_outcome("Case")(result)
    return REFUSED if outcome.startswith("RuleViolation") else outcome


@runner("case_report")
async def case_report(call: Call) -> str:
    body = await call.query(
        'mutation { caseReport(input: {category: "OTHER", description: "矩阵：咨询"}) { '
        + CASE_RESULT
        + " } }"
    )
    return outcome_of(body, "caseReport", case_judge)


@runner("case_accept")
async def case_accept(call: Call) -> str:
    text = "mutation($id: ID!) { caseAccept(id: $id) { " + CASE_RESULT + " } }"
    return await mutate(call, text, "caseAccept", "Case", id=call.world.ids["case_c"])


@runner("case_resolve")
async def case_resolve(call: Call) -> str:
    async with call.sessions() as session:  # C accepted by its 物业 first
        await session.execute(
            update(Case)
            .where(Case.id == call.world.cases["C"])
            .values(
                status="ACCEPTED",
                accepted_at=call.world.now,
                accepted_by=call.world.people["org_staff"].person_id,
            )
        )
        await session.commit()
    text = 'mutation($id: ID!) { caseResolve(id: $id, note: "矩阵：已修好") { ' + CASE_RESULT + " } }"
    return await mutate(call, text, "caseResolve", "Case", id=call.world.ids["case_c"])


@runner("case_rate")
async def case_rate(call: Call) -> str:
    text = "mutation($id: ID!) { caseRate(id: $id, rating: 5) { " + CASE_RESULT + " } }"
    return await mutate(call, text, "caseRate", "Case", id=call.world.ids["case_done"])


@runner("case_reopen")
async def case_reopen(call: Call) -> str:
    text = 'mutation($id: ID!) { caseReopen(id: $id, comment: "矩阵：又坏了") { ' + CASE_RESULT + " } }"
    return await mutate(call, text, "caseReopen", "Case", id=call.world.ids["case_done"])


UPDATES = "subscription($after: ID) { myCaseUpdates(after: $after) { case { id } } }"


@runner("my_case_updates")
async def my_case_updates(call: Call) -> str:
    answer = await subscribe(
        call, UPDATES, {"after": call.world.ids["before_case_notice"]}, lambda received, quiet: quiet
    )
    if isinstance(answer, str):
        return answer
    cases = [item["myCaseUpdates"]["case"]["id"] for item in answer]
    if not cases:
        return EMPTY
    return OK if cases == [call.world.ids["case_c"]] else f"received {cases}"


# ── The office ────────────────────────────────────────────────────────────────

COMPOUND_RESULT = "__typename ... on Compound { id } ... on DomainError { code }"
ORGANISATION_RESULT = "__typename ... on Organisation { id } ... on DomainError { code }"


def office_judge(success: str):
    def judge(result: dict) -> str:
        outcome = result_outcome(success)(result)
        return REFUSED if outcome.startswith("RuleViolation") else outcome

    return judge


@runner("compound_create")
async def compound_create(call: Call) -> str:
    body = await call.query(
        'mutation($c: ID!) { compoundCreate(input: {communityId: $c, name: "矩阵新小区", '
        'buildings: [{name: "1幢", units: ["101"]}]}) { ' + COMPOUND_RESULT + " } }",
        c=community_one(call),
    )
    return outcome_of(body, "compoundCreate", office_judge("Compound"))


@runner("organisation_create")
async def organisation_create(call: Call) -> str:
    body = await call.query(
        "mutation($c: ID!, $compound: ID!) { organisationCreate(input: {communityId: $c, "
        'kind: OWNERS_COMMITTEE, name: "矩阵业委会", compoundIds: [$compound]}) { '
        + ORGANISATION_RESULT
        + " } }",
        c=community_one(call),
        compound=call.world.ids["compound"],
    )
    return outcome_of(body, "organisationCreate", office_judge("Organisation"))


@runner("organisation_member_add")
async def organisation_member_add(call: Call) -> str:
    text = (
        "mutation($o: ID!, $p: ID!) { organisationMemberAdd(organisationId: $o, personId: $p) { "
        + ORGANISATION_RESULT
        + " } }"
    )
    return await mutate(
        call,
        text,
        "organisationMemberAdd",
        "Organisation",
        o=call.world.ids["property"],
        p=call.world.ids["holder"],
    )


@runner("organisation_member_remove")
async def organisation_member_remove(call: Call) -> str:
    text = (
        "mutation($o: ID!, $p: ID!) { organisationMemberRemove(organisationId: $o, personId: $p) { "
        + ORGANISATION_RESULT
        + " } }"
    )
    staff = call.world.people["org_staff"].id
    return await mutate(
        call, text, "organisationMemberRemove", "Organisation", o=call.world.ids["property"], p=staff
    )


@runner("residence_set")
async def residence_set(call: Call) -> str:
    text = (
        "mutation($h: ID!, $u: ID!) { residenceSet(householdId: $h, unitId: $u, tenure: TENANT) { "
        "__typename ... on DomainError { code } } }"
    )
    return await mutate(
        call, text, "residenceSet", "Residence", h=call.world.ids["household"], u=call.world.ids["spare_unit"]
    )


@runner("case_routing_rules")
async def case_routing_rules(call: Call) -> str:
    body = await call.query(
        "query($c: ID!) { caseRoutingRules(compoundId: $c) { category } }", c=call.world.ids["compound"]
    )
    return outcome_of(body, "caseRoutingRules")


@runner("case_routing_rule_set")
async def case_routing_rule_set(call: Call) -> str:
    text = (
        'mutation($c: ID!, $o: ID!) { caseRoutingRuleSet(input: {compoundId: $c, category: "NOISE", '
        "organisationId: $o}) { __typename ... on DomainError { code } } }"
    )
    return await mutate(
        call,
        text,
        "caseRoutingRuleSet",
        "CaseRoutingRule",
        c=call.world.ids["compound"],
        o=call.world.ids["property"],
    )


@runner("case_category_create")
async def case_category_create(call: Call) -> str:
    text = (
        'mutation { caseCategoryCreate(input: {code: "MATRIX_PETS", name: "矩阵宠物扰民", '
        "defaultKind: RESIDENTS_COMMITTEE, acceptMinutes: 60, resolveMinutes: 600}) { "
        "__typename ... on DomainError { code } } }"
    )
    return await mutate(call, text, "caseCategoryCreate", "CaseCategory")


@runner("case_category_update")
async def case_category_update(call: Call) -> str:
    text = (
        'mutation { caseCategoryUpdate(code: "OTHER", input: {acceptMinutes: 720}) { '
        "__typename ... on DomainError { code } } }"
    )
    return await mutate(call, text, "caseCategoryUpdate", "CaseCategory")


# ── Notices ───────────────────────────────────────────────────────────────────


@runner("node_notice")
async def node_notice(call: Call) -> str:
    return await node_outcome(call, call.world.ids["notice_n"], "... on Notice { title }")


@runner("my_notices")
async def my_notices(call: Call) -> str:
    body = await call.query("{ myNotices { edges { node { id } } } }")
    if code := refusal(body):
        return code
    return own_list(ids_of(body["data"]["myNotices"]), [], call.world.ids["notice_n"])


@runner("notice_read_receipts")
async def notice_read_receipts(call: Call) -> str:
    body = await call.query(
        "query($id: ID!) { noticeReadReceipts(id: $id) { households edges { node { readAt } } } }",
        id=call.world.ids["notice_n"],
    )
    return outcome_of(body, "noticeReadReceipts", lambda found: OK if found["households"] == 1 else EMPTY)


@runner("notice_publish")
async def notice_publish(call: Call) -> str:
    body = await call.query(
        "mutation($c: ID!, $compound: ID!) { noticePublish(input: {communityId: $c, compoundId: $compound, "
        'title: "矩阵：通知", body: "矩阵：内容"}) { '
        "__typename ... on Notice { id } ... on DomainError { code } } }",
        c=community_one(call),
        compound=call.world.ids["compound"],
    )
    return outcome_of(body, "noticePublish", office_judge("Notice"))


NOTICE_READING = "__typename ... on NoticeReading { readAt } ... on DomainError { code }"


@runner("notice_mark_read")
async def notice_mark_read(call: Call) -> str:
    text = "mutation($id: ID!) { noticeMarkRead(id: $id) { " + NOTICE_READING + " } }"
    return await mutate(call, text, "noticeMarkRead", "NoticeReading", id=call.world.ids["notice_n"])


@runner("notice_acknowledge")
async def notice_acknowledge(call: Call) -> str:
    text = "mutation($id: ID!) { noticeAcknowledge(id: $id) { " + NOTICE_READING + " } }"
    return await mutate(call, text, "noticeAcknowledge", "NoticeReading", id=call.world.ids["notice_n"])


@runner("case_figures")
async def case_figures(call: Call) -> str:
    month = call.world.now.strftime("%Y-%m")
    body = await call.query(
        "query($c: ID!, $o: ID!, $m: String!) { "
        "caseFigures(communityId: $c, from: $m, to: $m, organisationId: $o) "
        "{ organisation { name } received } }",
        c=community_one(call),
        o=call.world.ids["property"],
        m=month,
    )
    # The 物业's row for the month, whatever its counts.
    return outcome_of(
        body,
        "caseFigures",
        lambda rows: OK if [row["organisation"]["name"] for row in rows] == ["矩阵一物业"] else str(rows),
    )


@runner("residence_remove")
async def residence_remove(call: Call) -> str:
    text = (
        "mutation($h: ID!, $u: ID!) { residenceRemove(householdId: $h, unitId: $u) { "
        "__typename ... on DomainError { code } } }"
    )
    return await mutate(
        call, text, "residenceRemove", "Residence", h=call.world.ids["household"], u=call.world.ids["unit"]
    )


@runner("case_routing_rule_remove")
async def case_routing_rule_remove(call: Call) -> str:
    async with call.sessions() as session:  # the rule exists first, set as the office would
        await session.execute(
            insert(CaseRoutingRule).values(
                community_id=pk_of(call.world.ids["community"], "Community"),
                compound_id=pk_of(call.world.ids["compound"], "Compound"),
                category_id=select(CaseCategory.id).where(CaseCategory.code == "NOISE").scalar_subquery(),
                organisation_id=pk_of(call.world.ids["property"], "Organisation"),
                accept_minutes=60,
                resolve_minutes=600,
            )
        )
        await session.commit()
    text = (
        'mutation($c: ID!) { caseRoutingRuleRemove(compoundId: $c, category: "NOISE") { '
        "__typename ... on DomainError { code } } }"
    )
    return await mutate(call, text, "caseRoutingRuleRemove", "Compound", c=call.world.ids["compound"])
