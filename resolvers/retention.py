"""Retention: what is kept only as long as it serves its purpose (PIPL art. 19), and no shorter
than the law asks (the access logs and the audit trail ≥ 6 months, Cybersecurity Law art. 21)."""

import re
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, text
from sqlalchemy.ext.asyncio import AsyncSession

from models.affairs import CaseAccessLog
from models.audit import MIN_RETENTION_DAYS, AuditLog
from models.childcare import ChildAccessLog
from models.eldercare import HealthAccessLog
from models.people import AuthSession, PasswordResetCode
from resolvers.clock import SHANGHAI
from resolvers.ratelimit import forget_old_windows

_PARTITION = re.compile(r"readings_(\d{4})_(\d{2})")


async def drop_old_reading_partitions(*, session: AsyncSession, before: date) -> list[str]:
    """Drops each month of readings that ended before `before`: a whole partition at a time, so no
    row-by-row delete ever competes with ingest."""
    names = await session.scalars(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = 'readings'::regclass ORDER BY c.relname"
        )
    )
    dropped = []
    for name in names:
        match = _PARTITION.fullmatch(name)
        if match is None:  # the default partition stays
            continue
        first = date(int(match[1]), int(match[2]), 1)
        month_end = (first + timedelta(days=32)).replace(day=1)
        if month_end <= before:
            await session.execute(text(f'DROP TABLE "{name}"'))
            dropped.append(name)
    return dropped


async def apply_retention(
    *, session: AsyncSession, now: datetime, readings_days: int, access_log_days: int
) -> dict[str, int]:
    today = now.astimezone(SHANGHAI).date()
    dropped = await drop_old_reading_partitions(session=session, before=today - timedelta(days=readings_days))
    before = now - timedelta(days=access_log_days)
    health = await session.execute(delete(HealthAccessLog).where(HealthAccessLog.at < before))
    children = await session.execute(delete(ChildAccessLog).where(ChildAccessLog.at < before))
    cases = await session.execute(delete(CaseAccessLog).where(CaseAccessLog.at < before))
    # The audit trail is kept as long as the access logs; its trigger refuses any row younger than
    # six months by the database's clock, so that bound is asked for too (never tripped).
    kept = func.now() - timedelta(days=MIN_RETENTION_DAYS)
    audited = await session.execute(delete(AuditLog).where(AuditLog.at < before, AuditLog.at < kept))
    # Sessions a day past their end (their refresh tokens go with them), codes a week old.
    sessions = await session.execute(
        delete(AuthSession).where(AuthSession.expires_at < now - timedelta(days=1))
    )
    codes = await session.execute(
        delete(PasswordResetCode).where(PasswordResetCode.created_at < now - timedelta(days=7))
    )
    windows = await forget_old_windows(session=session, now=now)
    return {
        "reading_months": len(dropped),
        "access_log_rows": health.rowcount + children.rowcount + cases.rowcount,
        "audit_rows": audited.rowcount,
        "sessions": sessions.rowcount + codes.rowcount,
        "rate_limit_windows": windows,
    }


def retention_job(settings):
    """The periodic job with the retention periods from settings."""

    async def apply_retention_periods(*, session: AsyncSession, now: datetime) -> int:
        removed = await apply_retention(
            session=session,
            now=now,
            readings_days=settings.readings_retention_days,
            access_log_days=settings.access_log_retention_days,
        )
        return sum(removed.values())

    return apply_retention_periods
