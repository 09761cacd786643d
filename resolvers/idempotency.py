"""Idempotency keys: the same key from the same person replays the first answer, never a second booking."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.errors import DomainFailure, ErrorCode


async def replay(
    *, session: AsyncSession, model: type, owner_column: Any, owner_id: int, key: str | None, fingerprint: str
) -> Any | None:
    """What this key made before, or None; the key with a different request is IDEMPOTENCY_KEY_REUSED.

    Callers hold a row lock that serialises the owner's requests (the person, or the session),
    so a second request with the key waits for the first to commit and then finds its result.
    """
    if key is None:
        return None
    existing = await session.scalar(
        select(model).where(owner_column == owner_id, model.idempotency_key == key)
    )
    if existing is not None and existing.request_fingerprint != fingerprint:
        raise DomainFailure(ErrorCode.IDEMPOTENCY_KEY_REUSED, "该幂等键已用于另一项不同的预约请求")
    return existing
