"""The community office runs its people from the graph: people, roles, reset codes, passwords, the
audit trail; a revoked right stops working at once; the last ADMIN stays (#14)."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text, update

from models.audit import AuditLog
from models.people import Community, Household, Person, PersonRole, Role
from resolvers import people as people_service
from schema.common import encode_global_id
from server.auth import TokenService

NANMU, HAICHUANG = "南睦未来社区", "海创社区"
PERSON_FIELDS = "id name phone roles disabledAt community { name }"
RESULT = f"__typename ... on Person {{ {PERSON_FIELDS} }} ... on DomainError {{ code message }}"
CREATE = f"mutation($i: PersonCreateInput!) {{ personCreate(input: $i) {{ {RESULT} }} }}"
UPDATE = f"mutation($id: ID!, $i: PersonUpdateInput!) {{ personUpdate(id: $id, input: $i) {{ {RESULT} }} }}"
DISABLE = f"mutation($id: ID!) {{ personDisable(id: $id) {{ {RESULT} }} }}"
ENABLE = f"mutation($id: ID!) {{ personEnable(id: $id) {{ {RESULT} }} }}"
GRANT = f"mutation($id: ID!, $r: Role!) {{ roleGrant(personId: $id, role: $r) {{ {RESULT} }} }}"
REVOKE = f"mutation($id: ID!, $r: Role!) {{ roleRevoke(personId: $id, role: $r) {{ {RESULT} }} }}"
ISSUE = """mutation($id: ID!) { passwordResetIssue(personId: $id) { __typename
  ... on PasswordResetIssued { resetCode expiresAt person { id } } ... on DomainError { code } } }"""
RESET = """mutation($p: String!, $c: String!, $w: String!) {
  passwordReset(phone: $p, code: $c, newPassword: $w) { __typename
    ... on PasswordSet { at } ... on DomainError { code message } } }"""
CHANGE = """mutation($o: String!, $n: String!) { passwordChange(oldPassword: $o, newPassword: $n) {
  __typename ... on PasswordSet { at } ... on DomainError { code } } }"""
PEOPLE = "query($s: String) { people(search: $s, first: 100) { edges { node { id name phone roles } } } }"
AUDIT = """query($o: ID, $a: String) { auditLog(objectId: $o, action: $a, first: 100) {
  edges { node { actorId action objectId before after requestId } } } }"""
LOGIN = """mutation($p: String!, $w: String!) { login(phone: $p, password: $w) { __typename
  ... on LoginSuccess { token refreshToken } ... on DomainError { code } } }"""
REFRESH = """mutation($t: String!) { tokenRefresh(refreshToken: $t) { __typename
  ... on LoginSuccess { token } ... on DomainError { code } } }"""
ME = "{ me { roles } }"
BOARD = "{ careDashboard { openCritical } }"


@pytest.fixture
async def office(session, settings):
    """ADMIN, the office of 南睦 and the office of 海创 (fresh people, in the test's transaction)."""
    service = TokenService(settings)
    made = {}
    for key, phone, role, community in (
        ("admin", "17600000001", Role.ADMIN, None),
        ("nanmu", "17600000002", Role.COMMUNITY_ADMIN, NANMU),
        ("haichuang", "17600000003", Role.COMMUNITY_ADMIN, HAICHUANG),
    ):
        person = await people_service.add_user(
            session=session, phone=phone, name=f"办公室{key}", role=role, community_name=community
        )
        made[key] = service.issue(person)[0]
    await session.commit()
    return made


async def mutate(gql, query: str, token: str, **variables) -> dict:
    body = await gql(query, variables, token=token)
    assert "errors" not in body, body
    return next(iter(body["data"].values()))


async def new_resident(gql, office, phone: str = "17611110001", name: str = "新居民") -> dict:
    made = await mutate(gql, CREATE, office["nanmu"], i={"phone": phone, "name": name})
    assert made["__typename"] == "Person", made
    return made


async def sign_in_with_code(
    gql, office, person: dict, phone: str, password: str = "a-new-long-passphrase"
) -> dict:
    issued = await mutate(gql, ISSUE, office["nanmu"], id=person["id"])
    await mutate(gql, RESET, None, p=phone, c=issued["resetCode"], w=password)
    return await mutate(gql, LOGIN, None, p=phone, w=password)


async def test_an_office_creates_people_in_its_own_community_and_phones_are_unique(gql, office, session):
    made = await new_resident(gql, office)
    elsewhere = await mutate(
        gql,
        CREATE,
        office["nanmu"],
        i={"phone": "17611110002", "name": "外社区", "communityId": encode_global_id("Community", 2)},
    )
    again = await mutate(gql, CREATE, office["haichuang"], i={"phone": "176 1111 0001", "name": "重复"})
    by_admin = await mutate(gql, CREATE, office["admin"], i={"phone": "17611110003", "name": "无社区"})

    assert made["community"] == {"name": NANMU} and made["roles"] == ["RESIDENT"]
    assert made["phone"] == "176****0001", "the office sees others' phones masked"
    assert elsewhere["code"] in ("OTHER_COMMUNITY", "NOT_FOUND")
    assert again["code"] == "PHONE_TAKEN"
    assert by_admin["community"] is None
    rows = (await session.execute(select(AuditLog).where(AuditLog.object_id == made["id"]))).scalars().all()
    assert [(row.action, row.before) for row in rows] == [("person.create", None)]
    assert rows[0].after["phone"] == "176****0001" and "password" not in str(rows[0].after)


async def test_offices_reach_only_their_own_people_and_only_admin_grants_office_roles(gql, office):
    person = await new_resident(gql, office)

    other_office = await mutate(gql, GRANT, office["haichuang"], id=person["id"], r="CARE_STAFF")
    office_role = await mutate(gql, GRANT, office["nanmu"], id=person["id"], r="COMMUNITY_ADMIN")
    gateway = await mutate(gql, GRANT, office["nanmu"], id=person["id"], r="DEVICE_GATEWAY")
    staff = await mutate(gql, GRANT, office["nanmu"], id=person["id"], r="CARE_STAFF")
    twice = await mutate(gql, GRANT, office["nanmu"], id=person["id"], r="CARE_STAFF")
    by_admin = await mutate(gql, GRANT, office["admin"], id=person["id"], r="COMMUNITY_ADMIN")
    # Once an office holder, the person is the ADMIN's to run, not their peers'
    peer = await mutate(gql, DISABLE, office["nanmu"], id=person["id"])

    assert other_office["code"] == "NOT_FOUND"
    assert office_role["code"] == gateway["code"] == "ADMIN_ONLY_ROLE"
    assert staff["roles"] == ["CARE_STAFF", "RESIDENT"]
    assert twice["code"] == "ROLE_ALREADY_HELD"
    assert by_admin["roles"] == ["CARE_STAFF", "COMMUNITY_ADMIN", "RESIDENT"]
    assert peer["code"] == "NOT_FOUND"


async def test_a_revoked_role_stops_working_at_once_and_a_refresh_gives_the_rights_as_they_are(
    gql, office, client
):
    person = await new_resident(gql, office)
    await mutate(gql, GRANT, office["nanmu"], id=person["id"], r="CARE_STAFF")
    signed_in = await sign_in_with_code(gql, office, person, "17611110001")
    board = await client.post(
        "/graphql", json={"query": BOARD}, headers={"Authorization": f"Bearer {signed_in['token']}"}
    )

    await mutate(gql, REVOKE, office["nanmu"], id=person["id"], r="CARE_STAFF")
    stale = await client.post(
        "/graphql", json={"query": BOARD}, headers={"Authorization": f"Bearer {signed_in['token']}"}
    )
    refreshed = await mutate(gql, REFRESH, None, t=signed_in["refreshToken"])
    now_board = await gql(BOARD, token=refreshed["token"])
    me = await gql(ME, token=refreshed["token"])

    assert "errors" not in board.json()
    assert stale.status_code == 401 and stale.json()["errors"][0]["extensions"]["reason"] == "TOKEN_EXPIRED"
    assert now_board["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert me["data"]["me"]["roles"] == ["RESIDENT"]


async def test_a_disabled_person_cannot_sign_in_and_their_tokens_end_until_enabled(gql, office, client):
    person = await new_resident(gql, office)
    signed_in = await sign_in_with_code(gql, office, person, "17611110001")

    disabled = await mutate(gql, DISABLE, office["nanmu"], id=person["id"])
    refused = await client.post(
        "/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {signed_in['token']}"}
    )
    login = await mutate(gql, LOGIN, None, p="17611110001", w="a-new-long-passphrase")
    refresh = await mutate(gql, REFRESH, None, t=signed_in["refreshToken"])
    twice = await mutate(gql, DISABLE, office["nanmu"], id=person["id"])
    await mutate(gql, ENABLE, office["nanmu"], id=person["id"])
    again = await mutate(gql, LOGIN, None, p="17611110001", w="a-new-long-passphrase")

    assert disabled["disabledAt"] is not None
    assert (
        refused.status_code == 401
        and refused.json()["errors"][0]["extensions"]["reason"] == "SESSION_REVOKED"
    )
    assert login["code"] == "ACCOUNT_DISABLED"
    assert refresh["code"] == "SESSION_REVOKED"
    assert twice["code"] == "ALREADY_DISABLED"
    assert again["__typename"] == "LoginSuccess"


async def test_the_last_admin_can_be_neither_disabled_nor_stripped(gql, office, session):
    # Given one active ADMIN besides the test's: every other ADMIN disabled
    admins = select(PersonRole.person_id).where(PersonRole.role == "ADMIN")
    mine = await session.scalar(select(Person.id).where(Person.phone == "17600000001"))
    await session.execute(
        update(Person).where(Person.id.in_(admins), Person.id != mine).values(disabled_at=func.now())
    )
    await session.commit()
    me = encode_global_id("Person", mine)

    disable_self = await mutate(gql, DISABLE, office["admin"], id=me)
    strip_self = await mutate(gql, REVOKE, office["admin"], id=me, r="ADMIN")

    assert disable_self["code"] == strip_self["code"] == "LAST_ADMIN"
    assert await session.scalar(select(Person.disabled_at).where(Person.id == mine)) is None


async def test_a_reset_code_works_once_within_a_day_and_ends_every_session(gql, office, clock, client):
    person = await new_resident(gql, office)
    signed_in = await sign_in_with_code(gql, office, person, "17611110001")
    issued = await mutate(gql, ISSUE, office["nanmu"], id=person["id"])

    wrong = await mutate(gql, RESET, None, p="17611110001", c="XXXXXXXXXX", w="another-long-passphrase")
    code = issued["resetCode"]
    unknown = await mutate(gql, RESET, None, p="17699999999", c=code, w="another-long-passphrase")
    weak = [
        (await mutate(gql, RESET, None, p="17611110001", c=issued["resetCode"], w=weak))["code"]
        for weak in ("short", "x17611110001x", "qwertyuiop")
    ]
    done = await mutate(
        gql, RESET, None, p="17611110001", c=issued["resetCode"].lower(), w="another-long-passphrase"
    )
    used = await mutate(gql, RESET, None, p="17611110001", c=issued["resetCode"], w="yet-another-passphrase")
    old_session = await client.post(
        "/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {signed_in['token']}"}
    )
    late_code = (await mutate(gql, ISSUE, office["nanmu"], id=person["id"]))["resetCode"]
    clock.now += timedelta(hours=25)
    late = await mutate(gql, RESET, None, p="17611110001", c=late_code, w="yet-another-passphrase")

    assert len(issued["resetCode"]) == 10
    assert wrong["code"] == unknown["code"] == "RESET_CODE_INVALID"
    assert weak == ["PASSWORD_TOO_SHORT", "PASSWORD_IS_PHONE", "PASSWORD_TOO_COMMON"]
    assert done["__typename"] == "PasswordSet"
    assert used["code"] == "RESET_CODE_USED"
    assert old_session.status_code == 401
    assert late["code"] == "RESET_CODE_EXPIRED"


async def test_a_password_change_needs_the_old_one_and_ends_the_other_sessions(gql, office, client):
    person = await new_resident(gql, office)
    phone_session = await sign_in_with_code(gql, office, person, "17611110001", "first-long-passphrase")
    laptop = await mutate(gql, LOGIN, None, p="17611110001", w="first-long-passphrase")

    wrong = await mutate(
        gql, CHANGE, phone_session["token"], o="not-the-password", n="second-long-passphrase"
    )
    done = await mutate(
        gql, CHANGE, phone_session["token"], o="first-long-passphrase", n="second-long-passphrase"
    )
    this_one = await gql(ME, token=phone_session["token"])
    other = await client.post(
        "/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {laptop['token']}"}
    )
    new_login = await mutate(gql, LOGIN, None, p="17611110001", w="second-long-passphrase")

    assert wrong["code"] == "INVALID_CREDENTIALS"
    assert done["__typename"] == "PasswordSet"
    assert this_one["data"]["me"]["roles"] == ["RESIDENT"]
    assert other.status_code == 401
    assert new_login["__typename"] == "LoginSuccess"


async def test_people_lists_the_offices_own_people_searchable_by_name_or_phone(gql, office, tokens):
    await new_resident(gql, office, "17611110001", "甲乙丙")
    await mutate(gql, CREATE, office["haichuang"], i={"phone": "17611110002", "name": "甲乙丁"})

    nanmu = await gql(PEOPLE, {"s": "甲乙"}, token=office["nanmu"])
    admin = await gql(PEOPLE, {"s": "甲乙"}, token=office["admin"])
    by_phone = await gql(PEOPLE, {"s": "1111 0002"}, token=office["admin"])
    anonymous = await gql(PEOPLE, {"s": "甲"})
    resident = await gql(PEOPLE, {"s": "甲"}, token=tokens["RESIDENT"])

    def names(body: dict) -> list[str]:
        return [edge["node"]["name"] for edge in body["data"]["people"]["edges"]]

    assert names(nanmu) == ["甲乙丙"]
    assert sorted(names(admin)) == sorted(["甲乙丙", "甲乙丁"])
    assert names(by_phone) == ["甲乙丁"]
    assert {edge["node"]["phone"] for edge in admin["data"]["people"]["edges"]} == {
        "176****0001",
        "176****0002",
    }
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert resident["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_the_audit_trail_by_office_and_a_failed_change_leaves_no_row(gql, office):
    person = await new_resident(gql, office)
    await mutate(gql, GRANT, office["nanmu"], id=person["id"], r="CARE_STAFF")
    failed = await mutate(gql, GRANT, office["nanmu"], id=person["id"], r="ADMIN")

    nanmu = await gql(AUDIT, {"o": person["id"]}, token=office["nanmu"])
    haichuang = await gql(AUDIT, {"o": person["id"]}, token=office["haichuang"])
    grants = await gql(AUDIT, {"o": person["id"], "a": "role.grant"}, token=office["admin"])

    entries = [edge["node"] for edge in nanmu["data"]["auditLog"]["edges"]]
    assert failed["code"] == "ADMIN_ONLY_ROLE"
    assert [entry["action"] for entry in entries] == ["role.grant", "person.create"]
    assert entries[0]["before"]["roles"] == ["RESIDENT"] and entries[0]["after"]["roles"] == [
        "CARE_STAFF",
        "RESIDENT",
    ]
    assert entries[0]["requestId"] and entries[0]["actorId"]
    assert haichuang["data"]["auditLog"]["edges"] == []
    assert len(grants["data"]["auditLog"]["edges"]) == 1


async def test_the_audit_log_is_append_only_in_the_database(engine):
    async with engine.connect() as connection:
        row_id = await connection.scalar(
            text("INSERT INTO audit_log (action, object_id) VALUES ('test.append', 'x') RETURNING id")
        )
        old_id = await connection.scalar(
            text(
                "INSERT INTO audit_log (at, action) VALUES (now() - interval '200 days', 'test.old') "
                "RETURNING id"
            )
        )
        refused = []
        for statement in (
            f"UPDATE audit_log SET action = 'tampered' WHERE id = {row_id}",
            f"DELETE FROM audit_log WHERE id = {row_id}",
            "TRUNCATE audit_log",
        ):
            savepoint = await connection.begin_nested()
            try:
                await connection.execute(text(statement))
            except Exception as error:  # the trigger's insufficient_privilege
                refused.append("append-only" in str(error))
            await savepoint.rollback()
        pruned = (await connection.execute(text(f"DELETE FROM audit_log WHERE id = {old_id}"))).rowcount
        await connection.rollback()

    assert refused == [True, True, True]
    assert pruned == 1, "rows older than the six months every log is kept can be pruned"


async def test_moving_a_person_is_for_admin_and_refuses_their_tokens_naming_the_old_community(
    gql, office, client, session
):
    person = await new_resident(gql, office)
    await mutate(gql, GRANT, office["nanmu"], id=person["id"], r="CARE_STAFF")
    signed_in = await sign_in_with_code(gql, office, person, "17611110001")
    haichuang = await session.scalar(select(Community.id).where(Community.name == HAICHUANG))
    elsewhere = encode_global_id("Community", haichuang)
    household = await session.scalar(select(Household.id).where(Household.community_id == haichuang))

    by_office = await mutate(gql, UPDATE, office["nanmu"], id=person["id"], i={"communityId": elsewhere})
    wrong_household = await mutate(
        gql,
        UPDATE,
        office["nanmu"],
        id=person["id"],
        i={"householdId": encode_global_id("Household", household)},
    )
    renamed = await mutate(gql, UPDATE, office["nanmu"], id=person["id"], i={"name": "新名字"})
    moved = await mutate(gql, UPDATE, office["admin"], id=person["id"], i={"communityId": elsewhere})
    stale = await client.post(
        "/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {signed_in['token']}"}
    )

    assert by_office["code"] == "OTHER_COMMUNITY"
    assert wrong_household["code"] == "HOUSEHOLD_NOT_IN_COMMUNITY"
    assert renamed["name"] == "新名字" and renamed["community"] == {"name": NANMU}
    assert moved["community"] == {"name": HAICHUANG}
    assert stale.status_code == 401 and stale.json()["errors"][0]["extensions"]["reason"] == "TOKEN_EXPIRED"
