"""Work a cancelled caller must not cut in half.

A client that leaves a WebSocket cancels its operations at whatever they await. Cancelled in the
middle of a statement, or while a session hands its connection back to the pool, the connection is
lost and SQLAlchemy logs an error ("Exception closing connection") for what was an ordinary
disconnect. Such work runs in a task of its own that finishes even when its caller is gone."""

import asyncio
from collections.abc import Awaitable
from typing import Any


async def uncancelled(work: Awaitable[Any]) -> Any:
    """`work`'s result; if the caller is cancelled meanwhile, `work` still runs to its end."""
    task = asyncio.ensure_future(work)
    task.add_done_callback(_retrieved)
    return await asyncio.shield(task)


def _retrieved(task: asyncio.Future) -> None:
    # A failure after its caller left is nobody's to handle: retrieved, so that asyncio does not
    # report it as never retrieved.
    if not task.cancelled():
        task.exception()
