"""The database goes away under a running server.

- The drill (bench/fault_drill.py, its short version): a private PostgreSQL cluster restarted in
  the middle of a load of readings, childcare bookings and desk reservations. Requests fail fast
  with SERVICE_UNAVAILABLE, the same process recovers by itself, nothing acknowledged is lost or
  half-written, and subscribers replay with afterSequence (the drill's docstring says how).
- The live feed's LISTEN connection, cut on the test database: the feed opens it again by itself
  and wakes its subscribers, without waiting for a new subscription or the slow poll.
"""

import asyncio
import time

import pytest
from sqlalchemy import text

from bench.fault_drill import DrillOptions, postgres_bin, run_drill
from resolvers.eldercare import EVENT_CHANNEL
from server.pubsub import APPLICATION_NAME, AlertFeed
from tests.conftest import TEST_DATABASE_URL

DRILL_BOUND_SECONDS = 60

CUT_LISTEN = text(
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
    "WHERE datname = current_database() AND application_name = :name"
)


@pytest.mark.skipif(
    postgres_bin() is None, reason="需要 PostgreSQL 服务器程序（initdb、pg_ctl）来运行私有集群"
)
async def test_a_database_restart_mid_load_loses_nothing_and_the_server_recovers_by_itself():
    started = time.monotonic()
    report = await run_drill(DrillOptions.short())
    took = time.monotonic() - started
    print("\n" + report.text)

    assert not report.failures, "\n".join(report.failures)
    assert took < DRILL_BOUND_SECONDS, f"the drill took {took:.0f} s"


async def notify(engine) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT pg_notify(:channel, '0')"), {"channel": EVENT_CHANNEL})
        await connection.commit()


async def woken(subscriber, within: float) -> bool:
    try:
        await asyncio.wait_for(subscriber.wait(poll_seconds=600), within)
    except TimeoutError:
        return False
    return True


async def test_the_live_feed_listens_again_by_itself_after_its_connection_is_cut(engine):
    # Given a subscriber whose poll is far away: only LISTEN can wake it in time.
    feed = AlertFeed(TEST_DATABASE_URL, poll_seconds=600, retry_seconds=0.2)
    subscriber = await feed.subscribe()
    try:
        await notify(engine)
        assert await woken(subscriber, within=2), "no live delivery to begin with"

        # When the database cuts the LISTEN connection (as a restart or failover does) …
        async with engine.connect() as connection:
            cut = await connection.scalar(CUT_LISTEN, {"name": APPLICATION_NAME})
            await connection.commit()
        assert cut >= 1

        # … the feed listens again by itself and wakes the subscriber, whose NOTIFYs went nowhere
        # meanwhile, so it reads what was committed; and live delivery goes on.
        assert await woken(subscriber, within=5), "the feed did not reopen LISTEN by itself"
        assert feed.listening
        await notify(engine)
        assert await woken(subscriber, within=2), "no live delivery after the connection came back"
    finally:
        feed.unsubscribe(subscriber)
        await feed.close()
