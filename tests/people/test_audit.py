"""Every mutation of accounts and sessions writes exactly one audit row, in its request, naming its
object; a refused one writes none (#14)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from models.audit import AuditLog
from models.people import PasswordResetCode, SessionKind
from resolvers import people as people_service
from schema.common import encode_global_id
from seeds.demo import DEMO_PASSWORD
from server.auth import TokenService

RESIDENT_PHONE = "13800000001"
CODE = "AUDIT23456"
NEW_PASSWORD = "an-audited-passphrase"


@pytest.fixture
async def world(session, settings, tokens):
    """The demo resident, signed in (a session and its refresh token), and an ADMIN token."""
    resident = await people_service.get_person_by_phone(session=session, phone=RESIDENT_PHONE)
    await session.refresh(resident, ["roles"])
    now = datetime.now(UTC)
    issued = await people_service.open_session(
        session=session,
        person=resident,
        kind=SessionKind.PASSWORD,
        now=now,
        expires_at=now + timedelta(days=1),
    )
    session.add(
        PasswordResetCode(
            person_id=resident.id,
            code_hash=people_service.password_hasher.hash(CODE),
            issued_by=resident.id,
            created_at=now,
            expires_at=now + timedelta(hours=1),
        )
    )
    await session.commit()
    token = TokenService(settings).issue(resident, session_id=issued.session.id)[0]
    return {
        "resident": encode_global_id("Person", resident.id),
        "session": encode_global_id("Session", issued.session.id),
        "token": token,
        "refresh": issued.refresh_token,
        "admin": tokens["ADMIN"],
    }


LOGIN = f'mutation {{ login(phone: "{RESIDENT_PHONE}", password: "{DEMO_PASSWORD}") {{ __typename }} }}'
RESET = (
    f'mutation {{ passwordReset(phone: "{RESIDENT_PHONE}", code: "{CODE}", newPassword: "{NEW_PASSWORD}") '
    "{ __typename } }"
)
CHANGE = (
    f'mutation {{ passwordChange(oldPassword: "{DEMO_PASSWORD}", newPassword: "{NEW_PASSWORD}") '
    "{ __typename } }"
)
# (mutation, who asks, the action written, the object it names)
CASES = {
    "login": (LOGIN, None, "session.open", None),
    "tokenRefresh": (
        "mutation($r: String!) { tokenRefresh(refreshToken: $r) { __typename } }",
        None,
        "session.refresh",
        "session",
    ),
    "logout": ("mutation { logout { sessionsEnded } }", "token", "session.logout", "resident"),
    "sessionRevoke": (
        "mutation($s: ID!) { sessionRevoke(id: $s) { __typename } }",
        "token",
        "session.revoke",
        "session",
    ),
    "personCreate": (
        'mutation { personCreate(input: {phone: "17655550001", name: "审计"}) { __typename } }',
        "admin",
        "person.create",
        None,
    ),
    "personUpdate": (
        'mutation($p: ID!) { personUpdate(id: $p, input: {name: "王晓燕二"}) { __typename } }',
        "admin",
        "person.update",
        "resident",
    ),
    "personDisable": (
        "mutation($p: ID!) { personDisable(id: $p) { __typename } }",
        "admin",
        "person.disable",
        "resident",
    ),
    "roleGrant": (
        "mutation($p: ID!) { roleGrant(personId: $p, role: CARE_STAFF) { __typename } }",
        "admin",
        "role.grant",
        "resident",
    ),
    "roleRevoke": (
        "mutation($p: ID!) { roleRevoke(personId: $p, role: RESIDENT) { __typename } }",
        "admin",
        "role.revoke",
        "resident",
    ),
    "passwordResetIssue": (
        "mutation($p: ID!) { passwordResetIssue(personId: $p) { __typename } }",
        "admin",
        "password.reset_issue",
        "resident",
    ),
    "passwordReset": (RESET, None, "password.reset", "resident"),
    "passwordChange": (CHANGE, "token", "password.change", "resident"),
}


@pytest.mark.parametrize("name", CASES)
async def test_each_mutation_writes_one_audit_row_in_its_request(name, gql, world, session):
    query, who, action, names = CASES[name]
    variables = {"r": world["refresh"], "s": world["session"], "p": world["resident"]}
    used = {key: value for key, value in variables.items() if f"${key}" in query}

    response = await gql.post(query, used, token=world[who] if who else None)
    body = response.json()
    assert "errors" not in body, body
    result = next(iter(body["data"].values()))
    assert result.get("__typename") not in ("RuleViolation", "NotFound", "InvalidCredentials"), result
    rows = (
        await session.scalars(select(AuditLog).where(AuditLog.request_id == response.headers["x-request-id"]))
    ).all()

    assert [row.action for row in rows] == [action]
    if names is not None:
        assert rows[0].object_id == world[names]
    assert "hash" not in str(rows[0].after) and DEMO_PASSWORD not in str(rows[0].after)


async def test_a_refused_mutation_writes_no_audit_row(gql, world, session):
    response = await gql.post(
        "mutation($p: ID!) { roleGrant(personId: $p, role: RESIDENT) {"
        " __typename ... on DomainError { code } } }",
        {"p": world["resident"]},
        token=world["admin"],
    )

    assert response.json()["data"]["roleGrant"]["code"] == "ROLE_ALREADY_HELD"
    rows = await session.scalars(
        select(AuditLog).where(AuditLog.request_id == response.headers["x-request-id"])
    )
    assert rows.all() == []
