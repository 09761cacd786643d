"""Periodic jobs run on exactly one replica: the one holding the advisory lock."""

import asyncio
from collections import Counter

from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from resolvers.clock import system_clock
from server.jobs import run_as_leader, run_jobs_once
from tests.conftest import TEST_DATABASE_URL


async def test_of_two_replicas_only_the_lock_holder_runs_the_jobs(engine):
    runs: Counter[str] = Counter()

    def job_for(replica: str):
        async def tick(*, session, now) -> int:
            runs[replica] += 1
            return 0

        tick.__name__ = f"tick_{replica}"
        return tick

    factory = async_sessionmaker(engine)
    replicas = [
        asyncio.create_task(
            run_as_leader(
                engine=engine,
                session_factory=factory,
                clock=system_clock,
                interval_seconds=0.05,
                jobs=[job_for(name)],
            )
        )
        for name in ("a", "b")
    ]
    await asyncio.sleep(0.6)
    for replica in replicas:
        replica.cancel()
    await asyncio.gather(*replicas, return_exceptions=True)

    assert len(runs) == 1, runs
    assert next(iter(runs.values())) >= 3


async def test_a_failing_job_does_not_hold_back_the_others(db):
    async def broken(*, session, now) -> int:
        raise RuntimeError("boom")

    async def fine(*, session, now) -> int:
        return 7

    results = await run_jobs_once(session_factory=db, now=system_clock(), jobs=[broken, fine])

    assert results == {"fine": 7}


async def test_a_stopped_leader_hands_over(engine):
    """Two replicas have two pools: the first's pooled connection outlives its leadership, so
    unless the lock is given back, the second could never lead."""
    other_replica = create_async_engine(TEST_DATABASE_URL)
    runs: Counter[str] = Counter()

    def job_for(replica: str):
        async def tick(*, session, now) -> int:
            runs[replica] += 1
            return 0

        return tick

    def start(name: str, replica_engine) -> asyncio.Task:
        return asyncio.create_task(
            run_as_leader(
                engine=replica_engine,
                session_factory=async_sessionmaker(replica_engine),
                clock=system_clock,
                interval_seconds=0.05,
                jobs=[job_for(name)],
            )
        )

    first = start("first", engine)
    await asyncio.sleep(0.3)
    first.cancel()
    await asyncio.gather(first, return_exceptions=True)
    second = start("second", other_replica)
    await asyncio.sleep(0.3)
    second.cancel()
    await asyncio.gather(second, return_exceptions=True)
    await other_replica.dispose()

    assert runs["first"] >= 1 and runs["second"] >= 1
