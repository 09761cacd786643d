"""Time as Linli tells it: the instant (UTC, from one injectable clock) and the local zone."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

# Wuchang's time zone: calendar days, opening hours and ages are counted in it.
SHANGHAI = ZoneInfo("Asia/Shanghai")


def system_clock() -> datetime:
    """The real clock; tests and jobs are given another (`Context.clock`, `run_jobs_once(now=)`)."""
    return datetime.now(UTC)
