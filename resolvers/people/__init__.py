"""People: persons, their roles and communities, signing in and the sessions it opens."""

from resolvers.people.accounts import (
    add_user,
    authenticate,
    get_person,
    get_person_by_phone,
    list_communities,
    mask_phone,
    normalize_phone,
    password_hasher,
)
from resolvers.people.sessions import (
    ANNOUNCED,
    REVOCATION_CHANNEL,
    log_out,
    open_session,
    revocation_state,
    revoke_own_session,
    rotate,
    sessions_of,
    standing_of,
)

__all__ = [
    "ANNOUNCED",
    "REVOCATION_CHANNEL",
    "add_user",
    "authenticate",
    "get_person",
    "get_person_by_phone",
    "list_communities",
    "log_out",
    "mask_phone",
    "normalize_phone",
    "open_session",
    "password_hasher",
    "revocation_state",
    "revoke_own_session",
    "rotate",
    "sessions_of",
    "standing_of",
]
