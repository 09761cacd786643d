"""The authorization matrix's rows of people: communities, signing in, sessions, the community office.

Read by tests/security/matrix.py (the table) and tests/security/test_authorization_matrix.py (which
runs every cell); the world the runners act on is built in tests/security/conftest.py.
"""

from datetime import timedelta

from sqlalchemy import func, select, update

from models.notifications import Notification, NotificationKind
from models.people import PasswordResetCode, Person
from resolvers import notifications
from resolvers import people as people_service
from schema.common import encode_global_id
from tests.security.calls import (
    Call,
    Runner,
    contains,
    mutate,
    outcome_of,
    own_list,
    own_then_target,
    public_node,
    refusal,
    registrar,
    result_outcome,
    subscribe,
)
from tests.security.conftest import PASSWORD
from tests.security.rows import (
    EMPTY,
    FORBIDDEN,
    NOT_FOUND,
    NULL,
    OFFICE,
    OK,
    OWN,
    PUBLIC,
    PUBLIC_NODES,
    SIGNING_IN,
    UNAUTH,
    Row,
    by_caller,
    everyone,
    signed_in,
)

# The community office over R's holder (a resident of community 1): its office and ADMIN; another
# community's office finds no such person; every other role may not call the field at all.
OFFICE_ACT = by_caller(
    FORBIDDEN, anonymous=UNAUTH, community_admin=OK, community_admin_other=NOT_FOUND, admin=OK
)
OFFICE_READ = by_caller(
    FORBIDDEN, anonymous=UNAUTH, community_admin=OK, community_admin_other=EMPTY, admin=OK
)

ADMIN_ONLY = by_caller(FORBIDDEN, anonymous=UNAUTH, admin=OK)
OFFICE_CREATE = by_caller(FORBIDDEN, anonymous=UNAUTH, community_admin=OK, community_admin_other=OK, admin=OK)

ROWS: dict[str, tuple[Row, ...]] = {
    PUBLIC: (Row("communities", "`communities`", ("Query.communities",), everyone(OK)),),
    PUBLIC_NODES: (Row("node_community", "`node` → Community", ("Query.node:Community",), everyone(OK)),),
    SIGNING_IN: (
        Row("login", "`login`", ("Mutation.login",), everyone(OK)),
        Row("me", "`me { phone }`", ("Query.me", "Viewer.phone"), signed_in(OWN, anonymous=NULL)),
        Row(
            "token_refresh",
            "`tokenRefresh` with a refresh token of one's own",
            ("Mutation.tokenRefresh",),
            everyone(OK),
        ),
        Row("my_sessions", "`mySessions`", ("Query.mySessions",), signed_in(OWN)),
        Row(
            "password_change",
            "`passwordChange` of one's own password",
            ("Mutation.passwordChange",),
            signed_in(OK),
        ),
        Row(
            "password_reset",
            "`passwordReset` with a code the office gave",
            ("Mutation.passwordReset",),
            everyone(OK),
        ),
    ),
    # The community office: R's holder is a resident of community 1
    OFFICE: (
        Row("people", "`people`: R's holder", ("Query.people",), OFFICE_READ),
        Row("audit_log", "`auditLog` of R's holder's sign-in", ("Query.auditLog",), OFFICE_READ),
        Row(
            "person_create",
            "`personCreate` (in the office's own community)",
            ("Mutation.personCreate",),
            by_caller(FORBIDDEN, anonymous=UNAUTH, community_admin=OK, community_admin_other=OK, admin=OK),
        ),
        Row("person_update", "`personUpdate` of R's holder", ("Mutation.personUpdate",), OFFICE_ACT),
        Row("person_disable", "`personDisable` of R's holder", ("Mutation.personDisable",), OFFICE_ACT),
        Row(
            "person_enable",
            "`personEnable` of R's holder (disabled)",
            ("Mutation.personEnable",),
            OFFICE_ACT,
        ),
        Row("role_grant", "`roleGrant` CARE_STAFF to R's holder", ("Mutation.roleGrant",), OFFICE_ACT),
        Row("role_revoke", "`roleRevoke` RESIDENT of R's holder", ("Mutation.roleRevoke",), OFFICE_ACT),
        Row(
            "password_reset_issue",
            "`passwordResetIssue` for R's holder",
            ("Mutation.passwordResetIssue",),
            OFFICE_ACT,
        ),
        Row(
            "logout",
            "`logout`: the caller's session ends, R's holder's does not",
            ("Mutation.logout",),
            signed_in(OK),
        ),
        Row(
            "session_revoke",
            "`sessionRevoke` of R's holder's session, then of one's own",
            ("Mutation.sessionRevoke",),
            signed_in(OWN),
        ),
        Row("server_time", "`serverTime` (WebSocket)", ("Subscription.serverTime",), signed_in(OK)),
        Row(
            "my_notifications",
            "`myNotifications`: R's holder's notification, one's own",
            ("Query.myNotifications",),
            signed_in(OWN),
        ),
        Row(
            "notifications_mark_read",
            "`notificationsMarkRead` of R's holder's notification, then of one's own",
            ("Mutation.notificationsMarkRead",),
            signed_in(OWN),
        ),
        Row(
            "my_notification_events",
            "`myNotificationEvents` replayed (WebSocket): R's holder's notification, one's own",
            ("Subscription.myNotificationEvents",),
            signed_in(OWN),
        ),
        Row("community_create", "`communityCreate`", ("Mutation.communityCreate",), ADMIN_ONLY),
        Row(
            "maker_space_create",
            "`makerSpaceCreate` in the office's own community (admin names community 1)",
            ("Mutation.makerSpaceCreate",),
            OFFICE_CREATE,
        ),
        Row(
            "childcare_center_create",
            "`childcareCenterCreate` in the office's own community (admin names community 1)",
            ("Mutation.childcareCenterCreate",),
            OFFICE_CREATE,
        ),
        Row(
            "node_not_a_node",
            "`node` → a Person's or a Device's id (not Node types)",
            ("Query.node",),
            everyone(NULL),
        ),
    ),
}

# Nested fields the issue names as sensitive: each needs a row of its own (or a row through it).
SENSITIVE = {"Viewer.phone"}

RUNNERS: dict[str, Runner] = {}
runner = registrar(RUNNERS)


# ── Public data, node(id:) and signing in ─────────────────────────────────────

COMMUNITIES = "{ communities(first: 5) { edges { node { id name } } } }"
LOGIN = """mutation($phone: String!, $password: String!) {
  login(phone: $phone, password: $password) { __typename } }"""
ME = "{ me { id phone } }"
NOT_NODES = "query($p: ID!, $d: ID!) { person: node(id: $p) { id } device: node(id: $d) { id } }"

RUNNERS["node_community"] = public_node("community", "Community")


@runner("node_not_a_node")
async def node_not_a_node(call: Call) -> str:
    body = await call.query(NOT_NODES, p=call.world.ids["holder"], d=call.world.ids["device_a"])
    return refusal(body) or (NULL if body["data"] == {"person": None, "device": None} else str(body["data"]))


@runner("communities")
async def communities(call: Call) -> str:
    return outcome_of(await call.query(COMMUNITIES), "communities")


@runner("login")
async def login(call: Call) -> str:
    body = await call.query(LOGIN, phone=call.world.people["resident"].phone, password=PASSWORD)
    return outcome_of(body, "login", result_outcome("LoginSuccess"))


@runner("me")
async def me(call: Call) -> str:
    member = call.world.member(call.caller)
    mine = {"id": member.id, "phone": member.phone} if member else None
    return outcome_of(await call.query(ME), "me", lambda viewer: OWN if viewer == mine else f"sees {viewer}")


REFRESH = """mutation($t: String!) { tokenRefresh(refreshToken: $t) { __typename
  ... on DomainError { code } } }"""
MY_SESSIONS = "{ mySessions { id current } }"
LOGOUT = "mutation { logout { sessionsEnded } }"
SESSION_REVOKE = """mutation($id: ID!) { sessionRevoke(id: $id) { __typename
  ... on Session { id } ... on DomainError { code } } }"""


@runner("token_refresh")
async def token_refresh(call: Call) -> str:
    """Whoever asks (the refresh token is the credential): the resident's own, used once."""
    body = await call.query(REFRESH, t=call.world.people["resident"].refresh_token)
    return outcome_of(body, "tokenRefresh", result_outcome("LoginSuccess"))


def session_gid(member) -> str:
    return encode_global_id("Session", member.session_id)


@runner("my_sessions")
async def my_sessions(call: Call) -> str:
    member = call.world.member(call.caller)
    own = [session_gid(member)] if member else []
    target = session_gid(call.world.people["holder"])

    def judge(sessions: list) -> str:
        return own_list([session["id"] for session in sessions], own, target)

    return outcome_of(await call.query(MY_SESSIONS), "mySessions", judge)


@runner("logout")
async def logout(call: Call) -> str:
    body = await call.query(LOGOUT)
    if code := refusal(body):
        return code
    holder = call.world.people["holder"]
    still = await call.gql.post(ME, {}, token=holder.token)
    mine = await call.gql.post(ME, {}, token=call.token)
    if still.status_code != 200 or mine.status_code != 401:
        return f"holder {still.status_code}, caller after logout {mine.status_code}"
    return OK if body["data"]["logout"] == {"sessionsEnded": 1} else str(body["data"])


@runner("session_revoke")
async def session_revoke(call: Call) -> str:
    """R's holder's session first (it must stay), then the caller's own (it ends)."""
    theirs = await mutate(
        call, SESSION_REVOKE, "sessionRevoke", "Session", id=session_gid(call.world.people["holder"])
    )
    member = call.world.member(call.caller)
    if member is None:
        return theirs
    mine = await mutate(call, SESSION_REVOKE, "sessionRevoke", "Session", id=session_gid(member))
    if mine != OK:
        return f"own session: {mine}"
    return OWN if theirs == NOT_FOUND else theirs


# ── The community office, over R's holder ─────────────────────────────────────

PERSON_RESULT = "__typename ... on Person { id } ... on DomainError { code }"
PEOPLE = "query($s: String) { people(search: $s, first: 100) { edges { node { id } } } }"
AUDIT = "query($o: ID) { auditLog(objectId: $o, first: 100) { edges { node { action objectId } } } }"
PERSON_CREATE = f"mutation($i: PersonCreateInput!) {{ personCreate(input: $i) {{ {PERSON_RESULT} }} }}"
PERSON_UPDATE = (
    f'mutation($id: ID!) {{ personUpdate(id: $id, input: {{name: "矩阵改名"}}) {{ {PERSON_RESULT} }} }}'
)
PERSON_DISABLE = f"mutation($id: ID!) {{ personDisable(id: $id) {{ {PERSON_RESULT} }} }}"
PERSON_ENABLE = f"mutation($id: ID!) {{ personEnable(id: $id) {{ {PERSON_RESULT} }} }}"
ROLE_GRANT = f"mutation($id: ID!) {{ roleGrant(personId: $id, role: CARE_STAFF) {{ {PERSON_RESULT} }} }}"
ROLE_REVOKE = f"mutation($id: ID!) {{ roleRevoke(personId: $id, role: RESIDENT) {{ {PERSON_RESULT} }} }}"
RESET_ISSUE = """mutation($id: ID!) { passwordResetIssue(personId: $id) { __typename
  ... on PasswordResetIssued { resetCode } ... on DomainError { code } } }"""
RESET = """mutation($p: String!, $c: String!) {
  passwordReset(phone: $p, code: $c, newPassword: "matrix-new-passphrase") {
    __typename ... on DomainError { code } } }"""
CHANGE = """mutation($o: String!) { passwordChange(oldPassword: $o, newPassword: "matrix-new-passphrase") {
  __typename ... on DomainError { code } } }"""
RESET_CODE = "MATRIX2345"


@runner("people")
async def people(call: Call) -> str:
    body = await call.query(PEOPLE, s="矩阵holder")
    return outcome_of(
        body, "people", lambda page: contains(call.world.ids["holder"])([e["node"] for e in page["edges"]])
    )


@runner("audit_log")
async def audit_log(call: Call) -> str:
    body = await call.query(AUDIT, o=session_gid(call.world.people["holder"]))
    return outcome_of(body, "auditLog", lambda page: OK if page["edges"] else EMPTY)


@runner("person_create")
async def person_create(call: Call) -> str:
    person = {"phone": "17799990001", "name": "矩阵新居民"}
    return await mutate(call, PERSON_CREATE, "personCreate", "Person", i=person)


def office_act(query: str, root: str) -> Runner:
    async def run(call: Call) -> str:
        return await mutate(call, query, root, "Person", id=call.world.ids["holder"])

    return run


RUNNERS["person_update"] = office_act(PERSON_UPDATE, "personUpdate")
RUNNERS["person_disable"] = office_act(PERSON_DISABLE, "personDisable")
RUNNERS["role_grant"] = office_act(ROLE_GRANT, "roleGrant")
RUNNERS["role_revoke"] = office_act(ROLE_REVOKE, "roleRevoke")


@runner("person_enable")
async def person_enable(call: Call) -> str:
    async with call.sessions() as session:
        await session.execute(
            update(Person)
            .where(Person.id == call.world.people["holder"].person_id)
            .values(disabled_at=func.now())
        )
        await session.commit()
    return await mutate(call, PERSON_ENABLE, "personEnable", "Person", id=call.world.ids["holder"])


@runner("password_reset_issue")
async def password_reset_issue(call: Call) -> str:
    body = await call.query(RESET_ISSUE, id=call.world.ids["holder"])
    return outcome_of(body, "passwordResetIssue", result_outcome("PasswordResetIssued"))


@runner("password_reset")
async def password_reset(call: Call) -> str:
    holder = call.world.people["holder"]
    async with call.sessions() as session:
        session.add(
            PasswordResetCode(
                person_id=holder.person_id,
                code_hash=people_service.password_hasher.hash(RESET_CODE),
                issued_by=call.world.people["admin"].person_id,
                created_at=call.world.now,
                expires_at=call.world.now + timedelta(hours=24),
            )
        )
        await session.commit()
    body = await call.query(RESET, p=holder.phone, c=RESET_CODE)
    return outcome_of(body, "passwordReset", result_outcome("PasswordSet"))


@runner("password_change")
async def password_change(call: Call) -> str:
    return await mutate(call, CHANGE, "passwordChange", "PasswordSet", o=PASSWORD)


# ── A subscription any signed-in person may open ──────────────────────────────

SERVER_TIME = "subscription { serverTime(intervalSeconds: 1) }"


@runner("server_time")
async def server_time(call: Call) -> str:
    answer = await subscribe(call, SERVER_TIME, {}, lambda received, quiet: bool(received))
    return answer if isinstance(answer, str) else OK


# ── One's inbox: R's holder's notification is never another's ─────────────────

MY_NOTIFICATIONS = "{ myNotifications(first: 100) { edges { node { id } } } }"
MARK_READ = """mutation($ids: [ID!]) { notificationsMarkRead(ids: $ids) { __typename
  ... on NotificationsMarked { marked } ... on DomainError { code } } }"""
NOTIFICATION_EVENTS = "subscription($after: ID) { myNotificationEvents(after: $after) { id } }"


async def notifications_for(call: Call) -> tuple[str, str | None, str]:
    """Written in the cell: a first and a second notification of R's holder and one of the caller
    (if signed in); their global ids: (the holder's first, the caller's, the holder's second)."""
    holder = call.world.people["holder"].person_id
    member = call.world.member(call.caller)
    written = []
    async with call.sessions() as session:
        for person_id in (holder, member.person_id if member else None, holder):
            if person_id is None:
                written.append(None)
                continue
            await notifications.notify(
                session=session,
                person_ids=[person_id],
                kind=NotificationKind.RESERVATION_CANCELLED,
                title="预约已取消",
                body="矩阵测试通知",
            )
            written.append(
                await session.scalar(
                    select(Notification.id)
                    .where(Notification.person_id == person_id)
                    .order_by(Notification.id.desc())
                )
            )
        await session.commit()
    return tuple(None if pk is None else encode_global_id("Notification", pk) for pk in written)


@runner("my_notifications")
async def my_notifications(call: Call) -> str:
    first, own, target = await notifications_for(call)
    member = call.world.member(call.caller)
    earlier = set()
    if member is not None:  # what the world told the caller before the cell (a case, for its 物业)
        async with call.sessions() as session:
            rows = await session.scalars(
                select(Notification.id).where(Notification.person_id == member.person_id)
            )
            earlier = {encode_global_id("Notification", pk) for pk in rows} - {own}

    def judge(inbox: dict) -> str:
        listed = [edge["node"]["id"] for edge in inbox["edges"]]
        return own_list(
            [pk for pk in listed if pk != first and pk not in earlier], [own] if own else [], target
        )

    return outcome_of(await call.query(MY_NOTIFICATIONS), "myNotifications", judge)


@runner("notifications_mark_read")
async def notifications_mark_read(call: Call) -> str:
    _, own, target = await notifications_for(call)

    async def attempt(global_id: str) -> str:
        body = await call.query(MARK_READ, ids=[global_id])
        return outcome_of(
            body,
            "notificationsMarkRead",
            lambda result: (
                result_outcome("NotificationsMarked")(result) if result.get("marked", 1) else "marked 0"
            ),
        )

    return await own_then_target(attempt, own, target, NOT_FOUND)


@runner("my_notification_events")
async def my_notification_events(call: Call) -> str:
    first, own, target = await notifications_for(call)
    expected = 1 if own else 0
    answer = await subscribe(
        call,
        NOTIFICATION_EVENTS,
        {"after": first},
        lambda received, quiet: quiet and len(received) >= expected,
    )
    if isinstance(answer, str):
        return answer
    listed = [event["myNotificationEvents"]["id"] for event in answer]
    return own_list(listed, [own] if own else [], target)


# ── Places an empty database needs ────────────────────────────────────────────

PLACE = "__typename ... on Node { id } ... on DomainError { code }"
COMMUNITY_CREATE = (
    f'mutation {{ communityCreate(name: "矩阵新社区", subdistrict: "五常街道") {{ {PLACE} }} }}'
)
SPACE_CREATE = f'mutation($c: ID) {{ makerSpaceCreate(name: "矩阵新空间", communityId: $c) {{ {PLACE} }} }}'
CENTER_CREATE = (
    f'mutation($c: ID) {{ childcareCenterCreate(name: "矩阵新机构", communityId: $c) {{ {PLACE} }} }}'
)


@runner("community_create")
async def community_create(call: Call) -> str:
    return await mutate(call, COMMUNITY_CREATE, "communityCreate", "Community")


def place_create(query: str, root: str, success: str) -> Runner:
    async def run(call: Call) -> str:
        community = call.world.ids["community"] if call.caller == "admin" else None
        return await mutate(call, query, root, success, c=community)

    return run


RUNNERS["maker_space_create"] = place_create(SPACE_CREATE, "makerSpaceCreate", "MakerSpace")
RUNNERS["childcare_center_create"] = place_create(CENTER_CREATE, "childcareCenterCreate", "ChildcareCenter")
