"""Statement-count cases of people: signing in, sessions, the community office, communities.

Run by tests/perf/test_statement_counts.py (see tests/perf/cases.py for what a case is).
"""

from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import partial

from sqlalchemy import select

from models.notifications import Notification, NotificationKind
from models.people import AuthSession, PasswordResetCode, Person, Role
from resolvers import audit, notifications
from resolvers import people as people_service
from tests.perf.cases import AliasSetup, Case, Run, World, edges, gid, node_query

PASSWORD = "perf-test-password"

# Query ----------------------------------------------------------------------

ME = "{ me { id name phone roles community { id name subdistrict } } }"


async def me(w: World, n: int) -> Run:
    _, token = await w.person(*list(Role)[:n])
    return Run(token=token)


COMMUNITIES = """
query($first: Int!) { communities(first: $first) {
  edges { cursor node { id name subdistrict } } pageInfo { hasNextPage endCursor } } }
"""


async def communities(w: World, n: int) -> Run:
    for _ in range(n):
        await w.new_community()
    await w.commit()
    return Run({"first": n})


MY_SESSIONS = "{ mySessions { id kind createdAt lastUsedAt expiresAt userAgent current } }"


async def my_sessions(w: World, n: int) -> Run:
    person, _ = await w.person()
    token, _, _ = await w.signed_in(person, sessions=n)
    return Run(token=token)


PEOPLE = """
query($s: String!) { people(search: $s, first: 50) {
  edges { cursor node { id name phone roles disabledAt community { id name } } } pageInfo { hasNextPage } } }
"""


async def people(w: World, n: int) -> Run:
    _, token = await w.person(Role.ADMIN)
    tag = f"办公{w.unique():03d}"
    for _ in range(n):
        person, _ = await w.person(Role.RESIDENT, Role.CARE_STAFF)
        person.name = f"{tag}{w.unique():03d}"
    await w.commit()
    return Run({"s": tag}, token=token)


AUDIT_LOG = """
query($o: ID!) { auditLog(objectId: $o, first: 50) {
  edges { cursor node { id at actorId requestId action objectId before after } } pageInfo { hasNextPage } } }
"""


async def audit_log(w: World, n: int) -> Run:
    admin, token = await w.person(Role.ADMIN)
    person, _ = await w.person()
    for index in range(n):
        await audit.record(
            session=w.session,
            action="test.entry",
            object_id=gid("Person", person.id),
            before={"n": index},
            after={"n": index + 1},
            actor_id=admin.id,
        )
    await w.commit()
    return Run({"o": gid("Person", person.id)}, token=token)


async def node_community(w: World, n: int) -> Run:
    return Run({"id": gid("Community", await w.new_community())}, w.tokens["RESIDENT"])


# Mutation ---------------------------------------------------------------------

LOGIN = """
mutation($phone: String!, $password: String!) { login(phone: $phone, password: $password) {
  __typename
  ... on LoginSuccess { token expiresAt viewer { id name phone roles community { id name } } }
  ... on DomainError { code message } } }
"""


async def login(w: World, n: int) -> Run:
    person, _ = await w.person(*list(Role)[:n], password=PASSWORD)
    return Run({"phone": person.phone, "password": PASSWORD})


TOKEN_REFRESH = """
mutation($t: String!) { tokenRefresh(refreshToken: $t) {
  __typename ... on LoginSuccess { token refreshToken viewer { id name roles community { id name } } }
  ... on DomainError { code message } } }
"""


async def token_refresh(w: World, n: int) -> Run:
    person, _ = await w.person(*list(Role)[:n])
    _, _, refresh = await w.signed_in(person)
    return Run({"t": refresh})


LOGOUT_EVERYWHERE = "mutation { logout(everywhere: true) { sessionsEnded } }"


async def logout(w: World, n: int) -> Run:
    person, _ = await w.person()
    token, _, _ = await w.signed_in(person, sessions=n)
    return Run(token=token)


SESSION_REVOKE = """
mutation($id: ID!) { sessionRevoke(id: $id) { __typename
  ... on Session { id kind createdAt current } ... on DomainError { code message } } }
"""


async def session_revoke(w: World, n: int) -> Run:
    person, _ = await w.person()
    token, ids, _ = await w.signed_in(person, sessions=n)
    sessions = partial(w.count, AuthSession, AuthSession.person_id == person.id)
    return Run({"id": gid("Session", ids[-1])}, token=token, count=sessions)


PERSON_RESULT = """__typename ... on Person { id name phone roles disabledAt community { id name } }
  ... on DomainError { code message }"""


async def office_target(w: World, n: int) -> tuple[str, Person]:
    """An ADMIN's token and a person holding `n` roles (what a person's answer lists)."""
    _, token = await w.person(Role.ADMIN)
    person, _ = await w.person(*[role for role in Role if role is not Role.ADMIN][:n])
    return token, person


def office_case(query: str, prepare=None) -> Callable[[World, int], Awaitable[Run]]:
    async def setup(w: World, n: int) -> Run:
        token, person = await office_target(w, n)
        if prepare is not None:
            await prepare(w, person)
        return Run({"id": gid("Person", person.id)}, token=token)

    return setup


async def disabled(w: World, person: Person) -> None:
    person.disabled_at = w.now
    await w.commit()


PERSON_CREATE = f"""mutation($i: PersonCreateInput!) {{ personCreate(input: $i) {{ {PERSON_RESULT} }} }}"""


async def person_create(w: World, n: int) -> Run:
    _, token = await w.person(Role.ADMIN)
    return Run({"i": {"phone": f"1660{w.unique():07d}", "name": "新建"}}, token=token)


PERSON_UPDATE = (
    f"""mutation($id: ID!) {{ personUpdate(id: $id, input: {{name: "改名"}}) {{ {PERSON_RESULT} }} }}"""
)
PERSON_DISABLE = f"mutation($id: ID!) {{ personDisable(id: $id) {{ {PERSON_RESULT} }} }}"
PERSON_ENABLE = f"mutation($id: ID!) {{ personEnable(id: $id) {{ {PERSON_RESULT} }} }}"
ROLE_GRANT = (
    f"mutation($id: ID!) {{ roleGrant(personId: $id, role: MAKERSPACE_STAFF) {{ {PERSON_RESULT} }} }}"
)
ROLE_REVOKE = f"mutation($id: ID!) {{ roleRevoke(personId: $id, role: RESIDENT) {{ {PERSON_RESULT} }} }}"
RESET_ISSUE = """mutation($id: ID!) { passwordResetIssue(personId: $id) { __typename
  ... on PasswordResetIssued { resetCode expiresAt person { id roles community { id } } }
  ... on DomainError { code message } } }"""
PASSWORD_RESET = """mutation($p: String!, $c: String!) {
  passwordReset(phone: $p, code: $c, newPassword: "perf-new-passphrase") { __typename
    ... on PasswordSet { at } ... on DomainError { code message } } }"""
PASSWORD_CHANGE = f"""mutation {{
  passwordChange(oldPassword: "{PASSWORD}", newPassword: "perf-new-passphrase") {{ __typename
    ... on PasswordSet {{ at }} ... on DomainError {{ code message }} }} }}"""


async def password_reset(w: World, n: int) -> Run:
    """A person with `n` sessions, all of which the reset ends."""
    person, _ = await w.person(*list(Role)[:n])
    await w.signed_in(person, sessions=n)
    code = "PERF234567"
    w.session.add(
        PasswordResetCode(
            person_id=person.id,
            code_hash=people_service.password_hasher.hash(code),
            issued_by=person.id,
            created_at=w.now,
            expires_at=w.now + timedelta(hours=1),
        )
    )
    await w.commit()
    return Run({"p": person.phone, "c": code}, count=partial(ended_sessions, w, person))


async def password_change(w: World, n: int) -> Run:
    """Signed in `n` times with a password: the change ends the other sessions."""
    person, _ = await w.person(password=PASSWORD)
    token, _, _ = await w.signed_in(person, sessions=n)
    return Run(token=token, count=partial(ended_sessions, w, person))


async def ended_sessions(w: World, person: Person) -> int:
    return await w.count(AuthSession, AuthSession.person_id == person.id, AuthSession.revoked_at.is_not(None))


# Subscription ---------------------------------------------------------------------

SERVER_TIME = "subscription { serverTime(intervalSeconds: 1) }"


async def server_time(w: World, n: int) -> Run:
    return Run(token=w.tokens["RESIDENT"], messages=n)


# The inbox --------------------------------------------------------------------

MY_NOTIFICATIONS = """
query($first: Int!) { myNotifications(first: $first) {
  unreadCount edges { cursor node { id kind title body subjectId createdAt readAt } }
  pageInfo { hasNextPage endCursor } } }
"""
MARK_READ = """
mutation($ids: [ID!]) { notificationsMarkRead(ids: $ids) {
  __typename ... on NotificationsMarked { marked unreadCount } ... on DomainError { code } } }
"""
NOTIFICATION_EVENTS = """
subscription($after: ID) { myNotificationEvents(after: $after) {
  id kind title body subjectId createdAt readAt } }
"""


async def inbox_of(w: World, n: int) -> tuple[str, list[int]]:
    """A resident with n notifications: their token and the notifications' ids, oldest first."""
    person, token = await w.person()
    for number in range(n):
        await notifications.notify(
            session=w.session,
            person_ids=[person.id],
            kind=NotificationKind.RESERVATION_CANCELLED,
            title="预约已取消",
            body=f"性能测试通知 {number}",
        )
    await w.commit()
    ids = await w.session.scalars(select(Notification.id).where(Notification.person_id == person.id))
    return token, sorted(ids)


async def my_notifications(w: World, n: int) -> Run:
    token, _ = await inbox_of(w, n)
    return Run({"first": n}, token)


async def notifications_mark_read(w: World, n: int) -> Run:
    token, ids = await inbox_of(w, n)
    return Run({"ids": [gid("Notification", pk) for pk in ids]}, token)


async def notification_events(w: World, n: int) -> Run:
    """n + 1 notifications, replayed after the first (a phone that reconnects)."""
    token, ids = await inbox_of(w, n + 1)
    return Run({"after": gid("Notification", ids[0])}, token, messages=n)


# Places an empty database needs -------------------------------------------------

COMMUNITY_CREATE = """mutation($n: String!) { communityCreate(name: $n, subdistrict: "五常街道") {
  __typename ... on Community { id name subdistrict } ... on DomainError { code } } }"""
SPACE_CREATE = """mutation($n: String!) { makerSpaceCreate(name: $n) {
  __typename ... on MakerSpace { id name opensAt closesAt rules { slotMinutes } resources { id } }
  ... on DomainError { code } } }"""
CENTER_CREATE = """mutation($n: String!) { childcareCenterCreate(name: $n) {
  __typename ... on ChildcareCenter { id name classes { id } } ... on DomainError { code } } }"""
NEW_PLACE = "a new place is one row with nothing in it yet (no resources, no classes); the names taken "


def place_create(role: str) -> Callable[[World, int], Awaitable[Run]]:
    async def setup(w: World, n: int) -> Run:
        return Run({"n": f"性能新地点{w.unique()}"}, w.tokens[role])

    return setup


# The cases ----------------------------------------------------------------------

CASES = [
    # Query
    Case("Query.me", ME, me, edges("me", "roles"), sizes=(1, 6)),
    Case("Query.mySessions", MY_SESSIONS, my_sessions, lambda data: len(data["mySessions"])),
    Case("Query.people", PEOPLE, people, edges("people", "edges")),
    Case("Query.auditLog", AUDIT_LOG, audit_log, edges("auditLog", "edges")),
    Case("Query.communities", COMMUNITIES, communities, edges("communities", "edges")),
    Case("Query.myNotifications", MY_NOTIFICATIONS, my_notifications, edges("myNotifications", "edges")),
    Case(
        "Query.node[Community]",
        node_query("Community", "name subdistrict"),
        node_community,
        None,
        sizes=(1, 1),
        why_fixed="a Community has only scalar fields: nothing in it is a list; many communities in "
        "one request are test_node_lookups_by_alias_cost_what_one_lookup_costs's",
    ),
    # Mutation
    Case("Mutation.login", LOGIN, login, edges("login", "viewer", "roles"), sizes=(1, 6)),
    Case(
        "Mutation.tokenRefresh",
        TOKEN_REFRESH,
        token_refresh,
        edges("tokenRefresh", "viewer", "roles"),
        sizes=(1, 6),
    ),
    Case("Mutation.logout", LOGOUT_EVERYWHERE, logout, lambda data: data["logout"]["sessionsEnded"]),
    Case("Mutation.sessionRevoke", SESSION_REVOKE, session_revoke, None),
    Case(
        "Mutation.communityCreate",
        COMMUNITY_CREATE,
        place_create("ADMIN"),
        None,
        sizes=(1, 1),
        why_fixed=NEW_PLACE + "by others are checked by the unique index, not read",
    ),
    Case(
        "Mutation.makerSpaceCreate",
        SPACE_CREATE,
        place_create("COMMUNITY_ADMIN"),
        None,
        sizes=(1, 1),
        why_fixed=NEW_PLACE + "by others are checked by the unique index, not read",
    ),
    Case(
        "Mutation.childcareCenterCreate",
        CENTER_CREATE,
        place_create("COMMUNITY_ADMIN"),
        None,
        sizes=(1, 1),
        why_fixed=NEW_PLACE + "by others are checked by the unique index, not read",
    ),
    Case(
        "Mutation.notificationsMarkRead",
        MARK_READ,
        notifications_mark_read,
        lambda data: data["notificationsMarkRead"]["marked"],
    ),
    Case(
        "Mutation.personCreate",
        PERSON_CREATE,
        person_create,
        None,
        sizes=(1, 1),
        why_fixed="a new person is one row made from scalar input (phone, name, community, household): "
        "they hold nothing yet, and their roles are the one the office gives every new person",
    ),
    Case(
        "Mutation.personUpdate",
        PERSON_UPDATE,
        office_case(PERSON_UPDATE),
        edges("personUpdate", "roles"),
        sizes=(1, 5),
    ),
    Case(
        "Mutation.personDisable",
        PERSON_DISABLE,
        office_case(PERSON_DISABLE),
        edges("personDisable", "roles"),
        sizes=(1, 5),
    ),
    Case(
        "Mutation.personEnable",
        PERSON_ENABLE,
        office_case(PERSON_ENABLE, disabled),
        edges("personEnable", "roles"),
        sizes=(1, 5),
    ),
    Case(
        "Mutation.roleGrant", ROLE_GRANT, office_case(ROLE_GRANT), edges("roleGrant", "roles"), sizes=(1, 3)
    ),
    Case(
        "Mutation.roleRevoke",
        ROLE_REVOKE,
        office_case(ROLE_REVOKE),
        edges("roleRevoke", "roles"),
        sizes=(1, 5),
    ),
    Case(
        "Mutation.passwordResetIssue",
        RESET_ISSUE,
        office_case(RESET_ISSUE),
        edges("passwordResetIssue", "person", "roles"),
        sizes=(1, 5),
    ),
    Case("Mutation.passwordReset", PASSWORD_RESET, password_reset, None),
    Case("Mutation.passwordChange", PASSWORD_CHANGE, password_change, None),
    # Subscription (over a real WebSocket)
    # Ticks: whatever a delivery costs (nothing should: the token is watched, not read) would grow.
    Case("Subscription.serverTime", SERVER_TIME, server_time, len, sizes=(1, 4), transport="ws"),
    Case(
        "Subscription.myNotificationEvents",
        NOTIFICATION_EVENTS,
        notification_events,
        len,
        sizes=(1, 10),
        transport="ws",
    ),
]


# node(id:) asked many times in one request (aliases) ------------------------------


async def alias_communities(w: World, k: int) -> tuple[list[int], str]:
    return [await w.new_community() for _ in range(k)], w.tokens["RESIDENT"]


NODE_ALIASES: dict[str, AliasSetup] = {"Community": alias_communities}
