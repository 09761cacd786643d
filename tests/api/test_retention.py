"""Retention: old months of readings and old access-log rows go; the law's six months stay."""

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select, text

from models.affairs import CaseAccessLog
from models.audit import AuditLog
from models.childcare import ChildAccessLog
from models.eldercare import HealthAccessLog
from models.people import AuthSession, Person, RateLimitHit
from resolvers.retention import apply_retention
from tests.conftest import make_settings

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


async def partitions(session) -> list[str]:
    names = await session.scalars(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = 'readings'::regclass ORDER BY c.relname"
        )
    )
    return list(names)


async def test_months_of_readings_past_retention_are_dropped_and_recent_ones_kept(session):
    for month in (date(2025, 9, 1), date(2025, 10, 1), date(2025, 11, 1), date(2026, 11, 1)):
        await session.execute(text("SELECT ensure_readings_partition(:month)"), {"month": month})
    old_log = HealthAccessLog(at=NOW - timedelta(days=400), person_id=1, elder_id=1, what=["alerts"])
    kept_log = HealthAccessLog(at=NOW - timedelta(days=200), person_id=1, elder_id=1, what=["alerts"])
    old_child_log = ChildAccessLog(at=NOW - timedelta(days=400), person_id=1, child_id=1, what=["profile"])
    kept_child_log = ChildAccessLog(at=NOW - timedelta(days=200), person_id=1, child_id=1, what=["profile"])
    old_case_log = CaseAccessLog(at=NOW - timedelta(days=400), person_id=1, case_id=1, what=["reporter"])
    kept_case_log = CaseAccessLog(at=NOW - timedelta(days=200), person_id=1, case_id=1, what=["reporter"])
    session.add_all(
        [
            old_log,
            kept_log,
            old_child_log,
            kept_child_log,
            old_case_log,
            kept_case_log,
            RateLimitHit(key="login:ip:10.1.1.1", window_start=NOW - timedelta(days=2), hits=3),
            RateLimitHit(key="login:ip:10.1.1.2", window_start=NOW - timedelta(minutes=5), hits=3),
        ]
    )
    await session.flush()

    # 400 days before 2026-11-28 is 2025-10-24: September 2025 has ended by then, October has not.
    removed = await apply_retention(session=session, now=NOW, readings_days=400, access_log_days=365)
    names = await partitions(session)
    logs = await session.scalars(
        select(HealthAccessLog.id).where(HealthAccessLog.id.in_([old_log.id, kept_log.id]))
    )
    windows = await session.scalar(
        select(func.count()).select_from(RateLimitHit).where(RateLimitHit.key.like("login:ip:10.1.1.%"))
    )

    assert removed["reading_months"] >= 1
    assert "readings_2025_09" not in names
    assert {"readings_2025_10", "readings_2025_11", "readings_2026_11", "readings_default"} <= set(names)
    child_logs = await session.scalars(
        select(ChildAccessLog.id).where(ChildAccessLog.id.in_([old_child_log.id, kept_child_log.id]))
    )
    assert list(logs) == [kept_log.id]
    assert list(child_logs) == [kept_child_log.id]
    case_logs = await session.scalars(
        select(CaseAccessLog.id).where(CaseAccessLog.id.in_([old_case_log.id, kept_case_log.id]))
    )
    assert list(case_logs) == [kept_case_log.id]
    assert windows == 1


def test_the_access_log_cannot_be_configured_below_six_months():
    with pytest.raises(ValidationError, match="6 个月"):
        make_settings(access_log_retention_days=90)
    assert make_settings(access_log_retention_days=183).access_log_retention_days == 183


async def test_the_audit_trail_and_ended_sessions_are_pruned_with_the_logs(session):
    # Given audit rows of 400 and 200 days ago, and a session that ended last week
    now = datetime.now(UTC)
    old = AuditLog(at=now - timedelta(days=400), action="test.old")
    recent = AuditLog(at=now - timedelta(days=200), action="test.recent")
    person = await session.scalar(select(Person.id).order_by(Person.id).limit(1))
    ended = AuthSession(person_id=person, kind="PASSWORD", expires_at=now - timedelta(days=7))
    session.add_all([old, recent, ended])
    await session.flush()

    # When the retention job keeps a year
    removed = await apply_retention(session=session, now=now, readings_days=400, access_log_days=365)

    # Then the old row and the ended session are gone, the recent row stays (it is append-only)
    kept = await session.scalars(select(AuditLog.id).where(AuditLog.id.in_([old.id, recent.id])))
    assert list(kept) == [recent.id]
    assert removed["audit_rows"] >= 1 and removed["sessions"] >= 1
    assert await session.get(AuthSession, ended.id, populate_existing=True) is None
