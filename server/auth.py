"""Bearer tokens: HS256 with our secret by default, or RS256 against an identity provider's key.

A token says who the person is, their roles and community, when it was issued (to the
microsecond, so a revocation in the same second refuses it) and, when Linli issued it, its
sign-in session (`sid`), which can be revoked. Whether it still holds is asked of the revocation
registry (server/revocations.py), not the token."""

from datetime import UTC, datetime, timedelta

import jwt

from models.people import Person
from resolvers.actor import Viewer
from server.settings import Settings

# Why a token was refused: a client refreshes on TOKEN_EXPIRED and signs in again on the others.
TOKEN_EXPIRED = "TOKEN_EXPIRED"
TOKEN_INVALID = "TOKEN_INVALID"
SESSION_REVOKED = "SESSION_REVOKED"


class InvalidToken(Exception):
    """The token is malformed, expired, revoked or not ours; the message is for people."""

    def __init__(self, message: str, reason: str = TOKEN_INVALID) -> None:
        super().__init__(message)
        self.reason = reason


def expired(message: str = "登录已过期，请刷新登录状态") -> InvalidToken:
    return InvalidToken(message, TOKEN_EXPIRED)


def revoked(message: str = "登录已失效，请重新登录") -> InvalidToken:
    return InvalidToken(message, SESSION_REVOKED)


class TokenService:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        if settings.jwt_public_key:
            self.algorithm, self.verify_key = "RS256", settings.jwt_public_key
        else:
            self.algorithm, self.verify_key = "HS256", settings.jwt_secret

    def issue(
        self, person: Person, ttl_seconds: int | None = None, *, session_id: int | None = None
    ) -> tuple[str, datetime]:
        if self.algorithm != "HS256":
            raise RuntimeError("tokens are issued by the outside identity provider (RS256 configured)")
        now = datetime.now(UTC)
        expires_at = (now + timedelta(seconds=ttl_seconds or self.settings.token_ttl_seconds)).replace(
            microsecond=0
        )
        claims = {
            "sub": str(person.id),
            "roles": person.role_names,
            "community": person.community_id,
            "iss": self.settings.jwt_issuer,
            "aud": self.settings.jwt_audience,
            "iat": now.timestamp(),
            "exp": expires_at,
        }
        if session_id is not None:
            claims["sid"] = session_id
        return jwt.encode(claims, self.settings.jwt_secret, algorithm="HS256"), expires_at

    def verify(self, token: str) -> Viewer:
        try:
            claims = jwt.decode(
                token,
                self.verify_key,
                algorithms=[self.algorithm],
                audience=self.settings.jwt_audience,
                issuer=self.settings.jwt_issuer,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise expired() from None
        except jwt.PyJWTError:
            raise InvalidToken("登录凭证无效，请重新登录") from None
        try:
            person_id = int(claims["sub"])
            roles = frozenset(str(role) for role in claims.get("roles") or [])
            community = claims.get("community")
            community_id = int(community) if community is not None else None
            session = claims.get("sid")
            session_id = int(session) if session is not None else None
            issued_at, expires_at = float(claims["iat"]), float(claims["exp"])
        except (TypeError, ValueError):
            raise InvalidToken("登录凭证无效，请重新登录") from None
        return Viewer(
            person_id=person_id,
            roles=roles,
            community_id=community_id,
            session_id=session_id,
            issued_at=issued_at,
            expires_at=expires_at,
        )

    def viewer_from_header(self, authorization: str | None) -> Viewer | None:
        """None when there is no header; InvalidToken when there is one that does not verify."""
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise InvalidToken("Authorization 头必须是 Bearer <token>")
        return self.verify(token.strip())
