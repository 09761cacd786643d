"""The audit trail: one row per change, written in the change's own transaction (so a change that
rolls back leaves no row, and none commits without one). Who and in which request come from the
request's database session (schema.context stamps them on it), so every operation records the
same way with one call."""

import base64
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from models.audit import AuditLog


def global_id(type_name: str, pk: int) -> str:
    """An object's global ID, as the graph names it (schema.common.encode_global_id)."""
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


ACTOR = "linli.actor_id"  # session.info keys: the signed-in person and the request id
REQUEST = "linli.request_id"


async def record(
    *,
    session: AsyncSession,
    action: str,
    object_id: str | None,
    community_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor_id: int | None = None,
) -> None:
    """One row: `before` and `after` hold only what the caller chose to show (never a secret);
    `actor_id` when the actor is not the signed-in person (a sign-in, a reset by code)."""
    session.add(
        AuditLog(
            actor_id=actor_id if actor_id is not None else session.info.get(ACTOR),
            request_id=session.info.get(REQUEST),
            action=action,
            object_id=object_id,
            community_id=community_id,
            before=before,
            after=after,
        )
    )
    await session.flush()
