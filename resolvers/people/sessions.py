"""Sign-in sessions: rotating refresh tokens with reuse detection, and revocation that every replica
hears at once (NOTIFY on REVOCATION_CHANNEL, sent in the revoking transaction, so on commit).

A refresh token is 256 random bits, stored as its SHA-256 (a guess is hopeless, so a slow hash
buys nothing); it is used once and replaced. Presenting one already used means it was copied: the
whole session (every token of that sign-in) is revoked (OAuth 2.0 Security BCP, refresh token
rotation with reuse detection)."""

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.people import AuthSession, Person, RefreshToken, SessionKind
from resolvers import audit
from resolvers.errors import ErrorCode, NotFound
from resolvers.people.errors import InvalidRefreshToken

REVOCATION_CHANNEL = "linli_revocation"
ANNOUNCED = "linli.revocations"  # session.info key: what this transaction announced

# Why a session ended (auth_sessions.revoked_reason).
LOGGED_OUT = "LOGGED_OUT"
REVOKED_BY_USER = "REVOKED_BY_USER"
REFRESH_REUSED = "REFRESH_REUSED"
PERSON_DISABLED = "PERSON_DISABLED"
PASSWORD_CHANGED = "PASSWORD_CHANGED"
PASSWORD_RESET = "PASSWORD_RESET"


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


@dataclass(frozen=True)
class Issued:
    """A sign-in's session and the refresh token handed out (shown once)."""

    session: AuthSession
    refresh_token: str | None
    refresh_expires_at: datetime | None


async def open_session(
    *,
    session: AsyncSession,
    person: Person,
    kind: SessionKind,
    now: datetime,
    expires_at: datetime,
    user_agent: str | None = None,
) -> Issued:
    """A new session: for a login, with its first refresh token (valid until `expires_at`)."""
    made = AuthSession(
        person_id=person.id,
        kind=kind.value,
        created_at=now,
        last_used_at=now,
        expires_at=expires_at,
        user_agent=(user_agent or None) and user_agent[:200],
    )
    session.add(made)
    await session.flush()
    await _audit(
        session=session, action="session.open", owner=made, person=person, after={"kind": kind.value}
    )
    if kind is not SessionKind.PASSWORD:
        return Issued(made, None, None)
    token = await _new_refresh_token(session=session, owner=made, now=now)
    return Issued(made, token, made.expires_at)


async def _new_refresh_token(*, session: AsyncSession, owner: AuthSession, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    session.add(
        RefreshToken(
            session_id=owner.id, token_hash=hash_token(token), created_at=now, expires_at=owner.expires_at
        )
    )
    await session.flush()
    return token


async def rotate(*, session: AsyncSession, refresh_token: str, now: datetime) -> tuple[Person, Issued]:
    """The person and a new refresh token for a valid, unused one (which is now used). A token
    used before revokes its whole session; an unknown, expired or revoked one is refused."""
    row = (
        await session.execute(
            select(RefreshToken, AuthSession)
            .join(AuthSession, AuthSession.id == RefreshToken.session_id)
            .where(RefreshToken.token_hash == hash_token(refresh_token))
            .with_for_update(of=[RefreshToken, AuthSession])
        )
    ).first()
    if row is None:
        raise InvalidRefreshToken(ErrorCode.REFRESH_TOKEN_INVALID, "刷新凭证无效，请重新登录")
    token, owner = row.RefreshToken, row.AuthSession
    if owner.revoked_at is not None:
        raise InvalidRefreshToken(ErrorCode.SESSION_REVOKED, "该登录已失效，请重新登录")
    if token.used_at is not None:
        await revoke_sessions(session=session, ids=[owner.id], reason=REFRESH_REUSED, now=now)
        await _audit(
            session=session,
            action="session.revoke",
            owner=owner,
            person=await session.get(Person, owner.person_id),
            after={"reason": REFRESH_REUSED},
        )
        raise InvalidRefreshToken(
            ErrorCode.REFRESH_TOKEN_REUSED,
            "刷新凭证已被使用过：为安全起见，该登录已在所有设备上失效，请重新登录",
        )
    if token.expires_at <= now:
        raise InvalidRefreshToken(ErrorCode.REFRESH_TOKEN_EXPIRED, "登录已过期，请重新登录")
    person = await session.get(Person, owner.person_id)
    if person is None or person.disabled_at is not None:
        raise InvalidRefreshToken(ErrorCode.SESSION_REVOKED, "该登录已失效，请重新登录")
    token.used_at = now
    owner.last_used_at = now
    fresh = await _new_refresh_token(session=session, owner=owner, now=now)
    await session.refresh(person, ["roles"])
    await _audit(session=session, action="session.refresh", owner=owner, person=person)
    return person, Issued(owner, fresh, owner.expires_at)


async def _audit(
    *,
    session: AsyncSession,
    action: str,
    owner: AuthSession,
    person: Person | None,
    after: dict | None = None,
) -> None:
    """A session's row: the actor is its person (who may not be signed in yet, at login)."""
    await audit.record(
        session=session,
        action=action,
        object_id=audit.global_id("Session", owner.id),
        community_id=person.community_id if person is not None else None,
        after=after,
        actor_id=owner.person_id,
    )


async def log_out(
    *, session: AsyncSession, person_id: int, session_id: int | None, everywhere: bool, now: datetime
) -> list[int]:
    """Ends the caller's session (or all of theirs); one audit row for the request."""
    if everywhere:
        ended = await revoke_person_sessions(session=session, person_id=person_id, reason=LOGGED_OUT, now=now)
    elif session_id is not None:
        ended = await revoke_sessions(session=session, ids=[session_id], reason=LOGGED_OUT, now=now)
    else:
        ended = []
    person = await session.get(Person, person_id)
    await audit.record(
        session=session,
        action="session.logout",
        object_id=audit.global_id("Person", person_id),
        community_id=person.community_id if person is not None else None,
        after={"sessions": [audit.global_id("Session", pk) for pk in ended], "everywhere": everywhere},
    )
    return ended


async def revoke_sessions(*, session: AsyncSession, ids: list[int], reason: str, now: datetime) -> list[int]:
    """Ends these sessions (those not ended already) and tells every replica; the ids ended."""
    ended = list(
        await session.scalars(
            update(AuthSession)
            .where(AuthSession.id.in_(ids), AuthSession.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason=reason)
            .returning(AuthSession.id)
        )
    )
    if ended:
        await announce(session=session, sessions=ended)
    return ended


async def revoke_person_sessions(
    *, session: AsyncSession, person_id: int, reason: str, now: datetime, keep: int | None = None
) -> list[int]:
    """Ends every open session of the person (but `keep`)."""
    stmt = select(AuthSession.id).where(AuthSession.person_id == person_id, AuthSession.revoked_at.is_(None))
    if keep is not None:
        stmt = stmt.where(AuthSession.id != keep)
    ids = list(await session.scalars(stmt))
    return await revoke_sessions(session=session, ids=ids, reason=reason, now=now)


async def refuse_older_tokens(*, session: AsyncSession, person: Person) -> None:
    """Every token the person holds now is refused (their rights changed); their sessions stay,
    so a client refreshes and gets a token with the rights as they are. Tokens carry the real time
    they were issued at (server.auth), so this is compared on the same clock, not the rules' one."""
    person.tokens_valid_after = datetime.now(UTC)
    await session.flush()
    await announce(session=session, person=person)


async def announce(
    *, session: AsyncSession, sessions: list[int] | None = None, person: Person | None = None
) -> None:
    """NOTIFY in this transaction: delivered to every replica when it commits, never if it rolls back."""
    payload: dict = {}
    if sessions:
        payload["sessions"] = sessions
    if person is not None:
        payload["person"] = person.id
        payload["not_before"] = person.tokens_valid_after.timestamp() if person.tokens_valid_after else None
        payload["disabled"] = person.disabled_at is not None
    await session.execute(
        text("SELECT pg_notify(:channel, :payload)"),
        {"channel": REVOCATION_CHANNEL, "payload": json.dumps(payload)},
    )
    # This replica applies it as soon as the transaction commits (schema.context.Context.committed).
    session.info.setdefault(ANNOUNCED, []).append(payload)


@dataclass(frozen=True)
class RevocationState:
    """What a replica must know to refuse tokens without reading the database per request."""

    revoked_sessions: set[int]
    not_before: dict[int, float]
    disabled: set[int]


async def revocation_state(*, session: AsyncSession, now: datetime, horizon: timedelta) -> RevocationState:
    """Revoked sessions whose tokens may still be presented, people with a not-before within the
    longest token lifetime (`horizon`), and disabled people."""
    since = now - horizon
    sessions = await session.scalars(
        select(AuthSession.id).where(AuthSession.revoked_at > since, AuthSession.expires_at > since)
    )
    people = (
        await session.execute(
            select(Person.id, Person.tokens_valid_after, Person.disabled_at).where(
                (Person.tokens_valid_after > since) | Person.disabled_at.is_not(None)
            )
        )
    ).all()
    return RevocationState(
        revoked_sessions=set(sessions),
        not_before={pk: valid.timestamp() for pk, valid, _ in people if valid is not None},
        disabled={pk for pk, _, disabled in people if disabled is not None},
    )


@dataclass(frozen=True)
class Standing:
    """One token's standing, read from the database (when a replica cannot trust its registry)."""

    disabled: bool
    not_before: float | None
    session_revoked: bool


async def standing_of(*, session: AsyncSession, person_id: int, session_id: int | None) -> Standing:
    revoked = (
        select(AuthSession.revoked_at.is_not(None)).where(AuthSession.id == session_id).scalar_subquery()
    )
    row = (
        await session.execute(
            select(Person.disabled_at, Person.tokens_valid_after, func.coalesce(revoked, False)).where(
                Person.id == person_id
            )
        )
    ).first()
    if row is None:  # the person is gone
        return Standing(disabled=True, not_before=None, session_revoked=True)
    disabled_at, valid_after, session_revoked = row
    return Standing(
        disabled=disabled_at is not None,
        not_before=valid_after.timestamp() if valid_after is not None else None,
        session_revoked=bool(session_revoked) and session_id is not None,
    )


async def revoke_own_session(
    *, session: AsyncSession, person_id: int, session_id: int, now: datetime
) -> AuthSession:
    """One of the person's own sessions, ended (NotFound for anyone else's, or one already ended)."""
    owned = await session.scalar(
        select(AuthSession)
        .where(
            AuthSession.id == session_id, AuthSession.person_id == person_id, AuthSession.revoked_at.is_(None)
        )
        .with_for_update()
    )
    if owned is None:
        raise NotFound("该登录会话")
    await revoke_sessions(session=session, ids=[owned.id], reason=REVOKED_BY_USER, now=now)
    await session.refresh(owned)
    person = await session.get(Person, person_id)
    await _audit(
        session=session,
        action="session.revoke",
        owner=owned,
        person=person,
        after={"reason": REVOKED_BY_USER},
    )
    return owned


async def sessions_of(*, session: AsyncSession, person_id: int, now: datetime) -> list[AuthSession]:
    """The person's open sessions, newest first."""
    return list(
        await session.scalars(
            select(AuthSession)
            .where(
                AuthSession.person_id == person_id,
                AuthSession.revoked_at.is_(None),
                AuthSession.expires_at > now,
            )
            .order_by(AuthSession.created_at.desc(), AuthSession.id.desc())
        )
    )
