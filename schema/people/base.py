"""People in the graph: the signed-in viewer, communities, sign-in."""

from datetime import datetime, timedelta
from typing import Annotated, ClassVar

import strawberry
from strawberry.types import Info

from models import people as people_models
from resolvers import people as people_service
from resolvers.errors import DomainFailure
from resolvers.people import errors as people_failures
from resolvers.people import loaders as people_loaders
from schema.abuse import CountsAttempts, answer_is, login_quotas, refresh_quotas
from schema.common import (
    DomainError,
    ErrorCode,
    Node,
    NotFound,
    PageInfo,
    check_first,
    commit,
    decode_cursor,
    described_enum,
    encode_cursor,
    encode_global_id,
    mutation_result,
    pk_of,
)
from schema.node import register_node
from schema.permissions import signed_in

Role = described_enum(
    people_models.Role,
    name="Role",
    description="What a person may do. The staff roles and COMMUNITY_ADMIN hold in the person's own "
    "community only; ADMIN holds everywhere.",
    values={
        "RESIDENT": "A resident (every person the office creates starts with it); it grants nothing beyond "
        "being signed in.",
        "CARE_STAFF": "Elder-care staff (智慧养老) of the person's community.",
        "CHILDCARE_STAFF": "Childcare staff (托育) of the person's community.",
        "MAKERSPACE_STAFF": "Maker-space staff (天空创客厅) of the person's community.",
        "DEVICE_GATEWAY": "A device gateway that records elders' readings; granted and revoked by ADMIN "
        "only.",
        "COMMUNITY_ADMIN": "The community office: runs the people of its own community; granted and revoked "
        "by ADMIN only.",
        "ADMIN": "Runs everything, in every community.",
    },
)


@strawberry.type(description="A community (社区) of Wuchang subdistrict, e.g. 南睦未来社区. Public.")
class Community(Node):
    name: str = strawberry.field(description="Its name, in Chinese (e.g. 南睦未来社区).")
    subdistrict: str = strawberry.field(description="The subdistrict (街道) it belongs to, e.g. 五常街道.")

    @classmethod
    def from_model(cls, model: people_models.Community) -> "Community":
        return cls(id=encode_global_id("Community", model.id), name=model.name, subdistrict=model.subdistrict)


@register_node("Community")
async def fetch_community(info: Info, pk: int) -> Community | None:
    model = await community_loader(info).load(pk)
    return Community.from_model(model) if model is not None else None


def community_loader(info: Info):
    return info.context.loader(people_loaders.community_by_id_loader)


# The graph's `Viewer` (the contract's name); in Python `Me`, so that `Viewer` is one thing: the acting
# person a rule sees (resolvers.actor.Viewer, from the token).
@strawberry.type(name="Viewer", description="The signed-in person, as they see themselves (nothing masked).")
class Me:
    id: strawberry.ID = strawberry.field(description="Your Person ID (as `actorId` in the audit log).")
    name: str = strawberry.field(description="Your name.")
    phone: str = strawberry.field(description="Your own mobile number, whole (11 digits, e.g. 13800000001).")
    roles: list[Role] = strawberry.field(description="The roles you hold.")
    community_pk: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, person: people_models.Person) -> "Me":
        return cls(
            id=encode_global_id("Person", person.id),
            name=person.name,
            phone=person.phone,
            roles=[Role(name) for name in person.role_names],
            community_pk=person.community_id,
        )

    @strawberry.field(description="The community you belong to (where your staff roles hold); null if none.")
    async def community(self, info: Info) -> Community | None:
        if self.community_pk is None:
            return None
        return await fetch_community(info, self.community_pk)


@strawberry.type(description="A community in a page of communities.")
class CommunityEdge:
    cursor: str = strawberry.field(
        description="Opaque; pass it as `after` for the communities after this one."
    )
    node: Community = strawberry.field(description="The community.")


@strawberry.type(description="A page of communities, by name.")
class CommunityConnection:
    edges: list[CommunityEdge] = strawberry.field(description="This page's communities, by name.")
    page_info: PageInfo = strawberry.field(description="Whether more follow, and the cursor to ask for them.")


@strawberry.type(
    description="A signed-in session's tokens. Send `token` as `Authorization: Bearer`; "
    "before `expiresAt`, trade `refreshToken` for new ones with `tokenRefresh` (once)."
)
class LoginSuccess:
    token: str = strawberry.field(description="The access token: short-lived.")
    expires_at: datetime = strawberry.field(
        description="When `token` stops working (15 minutes after it was issued by default)."
    )
    refresh_token: str = strawberry.field(description="Shown once; each use replaces it.")
    refresh_token_expires_at: datetime = strawberry.field(
        description="When the session ends and the refresh token with it (30 days after signing in by "
        "default; refreshing does not extend it)."
    )
    viewer: Me = strawberry.field(description="The person signed in.")


@strawberry.type(
    description="INVALID_CREDENTIALS (wrong phone or password; never says which, or the old password of "
    "passwordChange) or ACCOUNT_DISABLED (the right password of a disabled account)."
)
class InvalidCredentials(DomainError):
    answers: ClassVar[type[DomainFailure]] = people_failures.InvalidCredentials


@strawberry.type(
    description="REFRESH_TOKEN_INVALID, REFRESH_TOKEN_EXPIRED, REFRESH_TOKEN_REUSED (the "
    "session is then ended everywhere) or SESSION_REVOKED: sign in again."
)
class InvalidRefreshToken(DomainError):
    answers: ClassVar[type[DomainFailure]] = people_failures.InvalidRefreshToken


LoginResult = Annotated[
    LoginSuccess | InvalidCredentials,
    strawberry.union("LoginResult", description="The tokens of a new session, or why signing in failed."),
]
TokenRefreshResult = Annotated[
    LoginSuccess | InvalidRefreshToken,
    strawberry.union(
        "TokenRefreshResult",
        description="New tokens for the same session, or why the refresh token was refused.",
    ),
]


SessionKind = described_enum(
    people_models.SessionKind,
    name="SessionKind",
    description="How a session was opened.",
    values={
        "PASSWORD": "Signed in with phone and password (`login`); its refresh tokens rotate.",
        "ISSUED": "A token issued on the server (`linli token`) for a device or a script; no refresh token.",
    },
)


@strawberry.type(description="A sign-in of yours (a device), or a token issued for you on the server.")
class Session:
    id: strawberry.ID = strawberry.field(description="The session's global ID (for `sessionRevoke`).")
    kind: SessionKind = strawberry.field(description="How it was opened.")
    created_at: datetime = strawberry.field(description="When it was opened (signed in).")
    last_used_at: datetime | None = strawberry.field(
        description="When it was opened or its refresh token last used; null if never recorded."
    )
    expires_at: datetime = strawberry.field(
        description="When it ends by itself (PASSWORD: 30 days after signing in by default; ISSUED: at the "
        "issued token's expiry)."
    )
    user_agent: str | None = strawberry.field(
        description="The User-Agent of the client that opened it (first 200 characters); null if none was "
        "sent."
    )
    current: bool = strawberry.field(description="The session of the token this request carries.")

    @classmethod
    def from_model(cls, model: people_models.AuthSession, current_id: int | None) -> "Session":
        return cls(
            id=encode_global_id("Session", model.id),
            kind=SessionKind(model.kind),
            created_at=model.created_at,
            last_used_at=model.last_used_at,
            expires_at=model.expires_at,
            user_agent=model.user_agent,
            current=model.id == current_id,
        )


@strawberry.type(description="Signed out: the sessions ended and their tokens refused at once.")
class LoggedOut:
    sessions_ended: int = strawberry.field(
        description="How many sessions were ended (0 if the token carried no session)."
    )


SessionRevokeResult = Annotated[
    Session | NotFound,
    strawberry.union(
        "SessionRevokeResult",
        description="The session, now ended; or NotFound if it is not yours or has already ended.",
    ),
]


async def signed_in_tokens(info: Info, person: people_models.Person, issued) -> LoginSuccess:
    """The access token for a session just opened or refreshed, with its refresh token."""
    ctx = info.context
    token, expires_at = ctx.issue_token(
        person, ttl_seconds=ctx.settings.access_token_ttl_seconds, session_id=issued.session.id
    )
    return LoginSuccess(
        token=token,
        expires_at=expires_at,
        refresh_token=issued.refresh_token,
        refresh_token_expires_at=issued.refresh_expires_at,
        viewer=Me.from_model(person),
    )


async def resolve_me(info: Info) -> Me | None:
    viewer = info.context.viewer
    if viewer is None:
        return None
    person = await people_service.get_person(session=info.context.session, person_id=viewer.person_id)
    return Me.from_model(person) if person is not None else None


async def resolve_communities(
    info: Info,
    first: Annotated[int, strawberry.argument(description="How many communities to return: 0–100.")] = 20,
    after: Annotated[
        str | None,
        strawberry.argument(
            description="Continue after this cursor (`pageInfo.endCursor` of the previous page)."
        ),
    ] = strawberry.UNSET,
) -> CommunityConnection:
    check_first(first, info.context.settings.max_page_size)
    page = await people_service.list_communities(
        session=info.context.session, first=first, after=decode_cursor(after or None, size=2)
    )
    edges = [
        CommunityEdge(cursor=encode_cursor(key), node=Community.from_model(model))
        for model, key in zip(page.items, page.keys, strict=True)
    ]
    return CommunityConnection(
        edges=edges,
        page_info=PageInfo.of(edges, has_next=page.has_next, after=after or None),
    )


@strawberry.type
class PeopleBaseQuery:
    me: Me | None = strawberry.field(
        resolver=resolve_me, description="The signed-in person, or null when nobody is signed in."
    )
    communities: CommunityConnection = strawberry.field(
        resolver=resolve_communities, description="The communities of Wuchang, by name. Public."
    )

    @strawberry.field(
        extensions=signed_in(),
        description="Your open sessions (not ended, not expired), newest first. Signed in.",
    )
    async def my_sessions(self, info: Info) -> list[Session]:
        ctx = info.context
        models = await people_service.sessions_of(
            session=ctx.session, person_id=ctx.viewer.person_id, now=ctx.clock()
        )
        return [Session.from_model(model, ctx.viewer.session_id) for model in models]


def wrong_password(answer) -> bool:
    """Only wrong passwords count: the right one of a disabled account gives its attempt back."""
    return isinstance(answer, InvalidCredentials) and answer.code == ErrorCode.INVALID_CREDENTIALS


@strawberry.type
class PeopleBaseMutation:
    @strawberry.mutation(
        extensions=[CountsAttempts(quotas=login_quotas, counts=wrong_password)],
        description="Sign in with phone and password; the token goes in `Authorization: Bearer`. Public. "
        "Wrong passwords are rate-limited per phone and per address (RATE_LIMITED).",
    )
    async def login(
        self,
        info: Info,
        phone: Annotated[
            str,
            strawberry.argument(
                description="Mainland mobile number, e.g. 13800000001 (spaces, dashes and +86 are ignored)."
            ),
        ],
        password: Annotated[str, strawberry.argument(description="The account's password.")],
    ) -> LoginResult:
        ctx = info.context
        person = await people_service.authenticate(session=ctx.session, phone=phone, password=password)
        if person is None:
            return InvalidCredentials(code=ErrorCode.INVALID_CREDENTIALS, message="手机号或密码不正确")
        if person.disabled_at is not None:
            await ctx.session.rollback()
            return InvalidCredentials(
                code=ErrorCode.ACCOUNT_DISABLED, message="该账号已停用，请联系社区办公室"
            )
        now = ctx.clock()
        issued = await people_service.open_session(
            session=ctx.session,
            person=person,
            kind=people_models.SessionKind.PASSWORD,
            now=now,
            expires_at=now + timedelta(seconds=ctx.settings.refresh_token_ttl_seconds),
            user_agent=user_agent(ctx),
        )
        await commit(ctx)
        return await signed_in_tokens(info, person, issued)

    @strawberry.mutation(
        extensions=[CountsAttempts(quotas=refresh_quotas, counts=answer_is(InvalidRefreshToken))],
        description="Trade a refresh token (once) for a new access token and a new refresh token. A refresh "
        "token presented twice ends its session everywhere. Needs no access token; failures are rate-limited "
        "(RATE_LIMITED).",
    )
    async def token_refresh(
        self,
        info: Info,
        refresh_token: Annotated[
            str, strawberry.argument(description="The latest `refreshToken` of the session (LoginSuccess).")
        ],
    ) -> TokenRefreshResult:
        ctx = info.context
        work = people_service.rotate(session=ctx.session, refresh_token=refresh_token, now=ctx.clock())
        answer = await mutation_result(info, work, lambda made: made)
        if isinstance(answer, InvalidRefreshToken):
            return answer
        person, issued = answer
        return await signed_in_tokens(info, person, issued)

    @strawberry.mutation(
        extensions=signed_in(),
        description="End this session (with `everywhere`, all of yours): their tokens stop working at once. "
        "Signed in.",
    )
    async def logout(
        self,
        info: Info,
        everywhere: Annotated[
            bool,
            strawberry.argument(
                description="End every session of yours, on every device, not just this one."
            ),
        ] = False,
    ) -> LoggedOut:
        ctx = info.context
        ended = await people_service.log_out(
            session=ctx.session,
            person_id=ctx.viewer.person_id,
            session_id=ctx.viewer.session_id,
            everywhere=everywhere,
            now=ctx.clock(),
        )
        await commit(ctx)
        return LoggedOut(sessions_ended=len(ended))

    @strawberry.mutation(
        extensions=signed_in(), description="End one of your sessions (a lost phone). Signed in; yours only."
    )
    async def session_revoke(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID, strawberry.argument(description="The Session's ID (from `mySessions`).")
        ],
    ) -> SessionRevokeResult:
        ctx = info.context
        work = people_service.revoke_own_session(
            session=ctx.session,
            person_id=ctx.viewer.person_id,
            session_id=pk_of(id, "Session"),
            now=ctx.clock(),
        )
        return await mutation_result(
            info, work, lambda model: Session.from_model(model, ctx.viewer.session_id)
        )


def user_agent(context) -> str | None:
    request = context.request
    return request.headers.get("user-agent") if request is not None else None


__all__ = ["PeopleBaseMutation", "PeopleBaseQuery"]
