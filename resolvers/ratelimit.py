"""Abuse limits counted in the database, so every replica shares them: fixed windows per key.

An attempt is counted before it is tried (a burst of parallel guesses cannot slip past the count)
and, where only failures should count (a right password, a right PIN), given back afterwards.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from math import ceil

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class Quota:
    key: str  # what is counted, e.g. "login:phone:13800000001", "mutation:ip:10.0.0.7"
    attempts: int  # allowed per window
    window_seconds: int


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"rate limited for {retry_after} s")
        self.retry_after = retry_after


# Keys in sorted order, so two requests counting the same keys lock their rows in the same order.
_COUNT = text(
    """
    INSERT INTO rate_limit_hits AS hit (key, window_start, hits)
    SELECT quota.key,
           to_timestamp(floor(extract(epoch FROM CAST(:now AS timestamptz)) / quota.seconds) * quota.seconds),
           :weight
    FROM unnest(CAST(:keys AS text[]), CAST(:seconds AS int[])) AS quota(key, seconds)
    ORDER BY quota.key
    ON CONFLICT (key, window_start) DO UPDATE SET hits = hit.hits + EXCLUDED.hits
    RETURNING hit.key, hit.hits, hit.window_start
    """
)


async def count_attempts(
    *, session: AsyncSession, quotas: Sequence[Quota], now: datetime, weight: int = 1
) -> None:
    """Counts `weight` attempts under every quota (committed, whatever the attempt's outcome);
    raises RateLimited with the longest wait when any quota is now exceeded."""
    if not quotas:
        return
    by_key = {quota.key: quota for quota in quotas}
    rows = await session.execute(
        _COUNT,
        {
            "now": now,
            "keys": list(by_key),
            "seconds": [q.window_seconds for q in by_key.values()],
            "weight": weight,
        },
    )
    waits = []
    for key, hits, window_start in rows:
        quota = by_key[key]
        if hits > quota.attempts:
            window_end = window_start + timedelta(seconds=quota.window_seconds)
            waits.append(max(1, ceil((window_end - now).total_seconds())))
    await session.commit()
    if waits:
        raise RateLimited(max(waits))


_GIVE_BACK = text(
    """
    UPDATE rate_limit_hits AS hit SET hits = greatest(hit.hits - 1, 0)
    FROM unnest(CAST(:keys AS text[]), CAST(:seconds AS int[])) AS quota(key, seconds)
    WHERE hit.key = quota.key
      AND hit.window_start
          = to_timestamp(floor(extract(epoch FROM CAST(:now AS timestamptz)) / quota.seconds) * quota.seconds)
    """
)


async def give_back(*, session: AsyncSession, quotas: Sequence[Quota], now: datetime) -> None:
    """Returns one attempt to every quota: the attempt succeeded and only failures count."""
    if not quotas:
        return
    await session.execute(
        _GIVE_BACK,
        {"now": now, "keys": [q.key for q in quotas], "seconds": [q.window_seconds for q in quotas]},
    )
    await session.commit()


async def forget_old_windows(*, session: AsyncSession, now: datetime) -> int:
    """The job's part: windows over a day old count for nothing any more."""
    result = await session.execute(
        text("DELETE FROM rate_limit_hits WHERE window_start < :before"), {"before": now - timedelta(days=1)}
    )
    return result.rowcount
