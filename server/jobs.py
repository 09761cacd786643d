"""Periodic jobs: idempotent functions of (session, now), run each minute by one replica.

Leadership is a Postgres advisory lock held on a dedicated connection: the replica holding it runs
the jobs; the others try again a minute later, and take over when the leader's connection dies.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from resolvers.affairs import jobs as affairs_jobs
from resolvers.childcare import jobs as childcare_jobs
from resolvers.eldercare import jobs as eldercare_jobs
from resolvers.makerspace import jobs as makerspace_jobs

logger = logging.getLogger("linli.jobs")

Job = Callable[..., Awaitable[int]]
# Each domain declares its jobs; one line per domain here.
JOBS: list[Job] = [
    *makerspace_jobs.JOBS,
    *childcare_jobs.JOBS,
    *eldercare_jobs.JOBS,
    *affairs_jobs.JOBS,
]
LEADER_LOCK_KEY = 0x4C494E4C49  # "LINLI"


async def run_jobs_once(
    *, session_factory: async_sessionmaker[AsyncSession], now: datetime, jobs: list[Job] = JOBS
) -> dict[str, int]:
    """Each job in its own transaction, so one failing job does not hold back the others."""
    results = {}
    for job in jobs:
        try:
            async with session_factory() as session:
                results[job.__name__] = await job(session=session, now=now)
                await session.commit()
        except Exception:
            logger.exception("job %s failed", job.__name__)
    return results


async def run_as_leader(
    *,
    engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
    clock: Callable[[], datetime],
    interval_seconds: float = 60,
    jobs: list[Job] = JOBS,
) -> None:
    while True:
        try:
            async with engine.connect() as connection:
                leader = await connection.scalar(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": LEADER_LOCK_KEY}
                )
                await connection.commit()
                try:
                    while leader:
                        results = await run_jobs_once(session_factory=session_factory, now=clock(), jobs=jobs)
                        if any(results.values()):
                            logger.info("jobs ran", extra={"fields": results})
                        await asyncio.sleep(interval_seconds)
                        await connection.execute(text("SELECT 1"))  # still holding the lock?
                        await connection.commit()
                finally:
                    if leader:
                        # The lock belongs to the server session, which outlives our use of the
                        # pooled connection: give it back, or no replica could lead again.
                        with contextlib.suppress(Exception):
                            await connection.execute(
                                text("SELECT pg_advisory_unlock(:key)"), {"key": LEADER_LOCK_KEY}
                            )
                            await connection.commit()
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("job leadership lost; retrying")
        await asyncio.sleep(interval_seconds)
