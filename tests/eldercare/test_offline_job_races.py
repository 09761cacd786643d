"""The offline job against deviceRetire, deviceUnassign and consentWithdraw at the same moment, over
real connections that commit: the job never leaves an open DEVICE_OFFLINE alert on a device its
elder no longer has, nor about an elder no longer monitored.

Whoever locks the device first wins. A retire or unassign in progress (the device locked, its alert
resolved) makes the job skip the device; a job in progress (its silent devices locked FOR SHARE)
makes the retire or unassign wait, and then resolve the alert the job has just committed."""

import asyncio
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import delete, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.eldercare import (
    CareAlert,
    CareAlertEvent,
    Device,
    Elder,
    ElderConsent,
    HealthAccessLog,
    Reading,
)
from models.people import Community, Person, Role
from resolvers import people as people_service
from resolvers.actor import Viewer
from resolvers.eldercare.devices import RETIRED_NOTE, UNASSIGNED_NOTE, retire_device, unassign_device
from resolvers.eldercare.elders import WITHDRAWN_NOTE, withdraw_consent
from resolvers.eldercare.jobs import raise_device_offline_alerts
from resolvers.eldercare.readings import ReadingIn, record_readings
from schema.common import encode_global_id
from server.auth import TokenService
from server.jobs import run_jobs_once
from tests.eldercare.conftest import SHANGHAI
from tests.eldercare.test_devices import RETIRE, UNASSIGN

# Long before any demo device was assigned or heard from: at JOB_NOW only this test's device is silent.
LAST_SEEN = datetime(2001, 3, 7, 9, 0, tzinfo=SHANGHAI)
JOB_NOW = LAST_SEEN + timedelta(minutes=45)


@pytest.fixture
async def silent_wristband(engine, settings):
    """Committed (each side of the race has a connection of its own): an elder of 南睦 whose
    wristband was last heard from at LAST_SEEN, and a care worker of 南睦; removed afterwards."""
    async with engine.begin() as connection:
        session = AsyncSession(bind=connection)
        community = await session.scalar(select(Community.id).where(Community.name == "南睦未来社区"))
        elder = Elder(name="竞态老人", birth_date=LAST_SEEN.date().replace(year=1939), community_id=community)
        session.add(elder)
        await session.flush()
        device = Device(
            serial="T-RACE-OFFLINE",
            kind="WRISTBAND",
            elder_id=elder.id,
            assigned_at=LAST_SEEN,
            last_seen_at=LAST_SEEN,
        )
        staff = await people_service.add_user(
            session=session,
            phone="13633330002",
            name="竞态护理员",
            role=Role.CARE_STAFF,
            community_name="南睦未来社区",
        )
        session.add(device)
        await session.flush()
        viewer = Viewer(staff.id, frozenset({Role.CARE_STAFF.value}), community)
        made = (elder.id, device.id, viewer, TokenService(settings).issue(staff)[0])
    yield made
    elder_id, device_id, viewer, _ = made
    async with engine.begin() as connection:
        alerts = select(CareAlert.id).where(CareAlert.elder_id == elder_id)
        await connection.execute(delete(CareAlertEvent).where(CareAlertEvent.alert_id.in_(alerts)))
        await connection.execute(delete(CareAlert).where(CareAlert.elder_id == elder_id))
        await connection.execute(delete(HealthAccessLog).where(HealthAccessLog.elder_id == elder_id))
        await connection.execute(delete(Reading).where(Reading.elder_id == elder_id))
        await connection.execute(delete(Device).where(Device.id == device_id))
        await connection.execute(delete(Elder).where(Elder.id == elder_id))
        await connection.execute(delete(Person).where(Person.id == viewer.person_id))


async def offline_alerts(engine, elder_id: int) -> list[tuple[str, str | None, int | None, str | None]]:
    """(status, note, resolved by, serial) of the elder's DEVICE_OFFLINE alerts, as committed."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(
                CareAlert.status, CareAlert.resolution_note, CareAlert.resolved_by, CareAlert.reading_kind
            ).where(CareAlert.elder_id == elder_id, CareAlert.kind == "DEVICE_OFFLINE")
        )
        return [tuple(row) for row in rows]


async def blocked_by(engine, pid: int) -> list[int]:
    """The backends waiting for a lock that backend `pid` holds."""
    async with engine.connect() as connection:
        rows = await connection.scalars(
            text("SELECT pid FROM pg_stat_activity WHERE CAST(:pid AS int) = ANY(pg_blocking_pids(pid))"),
            {"pid": pid},
        )
        return list(rows)


@pytest.mark.parametrize(
    ("take_away", "why"),
    [(retire_device, {"reason": "腕带丢失"}), (unassign_device, {})],
    ids=["retire", "unassign"],
)
async def test_the_job_skips_a_device_being_taken_from_its_elder(engine, silent_wristband, take_away, why):
    elder_id, device_id, viewer, _ = silent_wristband
    jobs = async_sessionmaker(engine, expire_on_commit=False)
    async with AsyncSession(engine, expire_on_commit=False) as taking:
        # Given the real retire (or unassign) under way: the device locked, its (no) alert resolved
        await take_away(session=taking, viewer=viewer, device_id=device_id, now=JOB_NOW, **why)

        # When the offline job runs meanwhile, as the leader runs it (its own transaction, committed)
        results = await asyncio.wait_for(
            run_jobs_once(session_factory=jobs, now=JOB_NOW, jobs=[raise_device_offline_alerts]), timeout=5
        )

        # Then it neither waited nor raised anything about the device it could not lock
        assert "raise_device_offline_alerts" in results, "the job failed"
        assert await offline_alerts(engine, elder_id) == []
        await taking.commit()

    # And once the device is gone from her, no offline alert about it is left open
    assert [alert for alert in await offline_alerts(engine, elder_id) if alert[0] != "RESOLVED"] == []


@pytest.mark.parametrize(
    ("query", "root", "why", "note"),
    [
        (RETIRE, "deviceRetire", {"r": "腕带丢失"}, RETIRED_NOTE),
        (UNASSIGN, "deviceUnassign", {}, UNASSIGNED_NOTE),
    ],
    ids=["retire", "unassign"],
)
async def test_a_retire_waits_for_the_job_and_resolves_the_alert_it_raised(
    engine, live_server, silent_wristband, query, root, why, note
):
    elder_id, device_id, _, token = silent_wristband

    async def take_away() -> dict:
        async with httpx.AsyncClient(base_url=f"http://{live_server}", timeout=30) as client:
            response = await client.post(
                "/graphql",
                json={"query": query, "variables": {"d": encode_global_id("Device", device_id), **why}},
                headers={"Authorization": f"Bearer {token}"},
            )
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        return body["data"][root]

    async with AsyncSession(engine, expire_on_commit=False) as job:
        # Given the offline job in its transaction, not yet committed, having raised the alert
        assert await raise_device_offline_alerts(session=job, now=JOB_NOW) == 1
        job_pid = await job.scalar(text("SELECT pg_backend_pid()"))

        # When the care worker retires (or unassigns) the device over HTTP meanwhile
        request = asyncio.create_task(take_away())
        try:
            # Then the request waits for the job's lock on the device
            for _ in range(100):
                if await blocked_by(engine, job_pid) or request.done():
                    break
                await asyncio.sleep(0.03)
            assert await blocked_by(engine, job_pid), "the request did not wait for the job"
            assert not request.done()

            # And once the job commits, the request goes on
            await job.commit()
            done = await asyncio.wait_for(request, timeout=10)
        finally:
            if not request.done():
                request.cancel()
                await asyncio.gather(request, return_exceptions=True)

    # And resolves the alert the job committed, as the system, with its note
    assert done["__typename"] == "Device" and done["elderId"] is None
    assert await offline_alerts(engine, elder_id) == [("RESOLVED", note, None, "T-RACE-OFFLINE")]


async def test_the_job_skips_a_device_being_heard_from(engine, silent_wristband):
    """Readings lock the devices they mark seen: the job passes such a device by, without waiting."""
    elder_id, _, _, _ = silent_wristband
    jobs = async_sessionmaker(engine, expire_on_commit=False)
    heard = ReadingIn("T-RACE-OFFLINE", "HEART_RATE", 72.0, JOB_NOW - timedelta(minutes=1))
    async with AsyncSession(engine, expire_on_commit=False) as gateway:
        # Given a batch from the wristband being stored, not yet committed
        stored = await record_readings(session=gateway, readings=[heard], now=JOB_NOW)
        assert stored.accepted == 1

        # When the offline job runs meanwhile
        await asyncio.wait_for(
            run_jobs_once(session_factory=jobs, now=JOB_NOW, jobs=[raise_device_offline_alerts]), timeout=5
        )
        await gateway.commit()

    # Then it raised nothing, and the device, heard from a minute ago, is not silent the next time
    assert await offline_alerts(engine, elder_id) == []
    await run_jobs_once(session_factory=jobs, now=JOB_NOW, jobs=[raise_device_offline_alerts])
    assert await offline_alerts(engine, elder_id) == []


async def consent_on_paper(engine, elder_id: int, viewer: Viewer) -> None:
    """The elder's standing consent, committed (the fixture's elder has none of her own)."""
    async with engine.begin() as connection:
        await connection.execute(
            insert(ElderConsent).values(
                elder_id=elder_id,
                given_by="ELDER",
                reference="纸质同意书 RACE-1",
                given_at=LAST_SEEN,
                recorded_by=viewer.person_id,
            )
        )


async def test_the_job_skips_an_elder_whose_consent_is_being_withdrawn(engine, silent_wristband):
    elder_id, _, viewer, _ = silent_wristband
    await consent_on_paper(engine, elder_id, viewer)
    jobs = async_sessionmaker(engine, expire_on_commit=False)
    async with AsyncSession(engine, expire_on_commit=False) as withdrawing:
        # Given the real withdrawal under way: the elder locked, her (no) alerts resolved
        await withdraw_consent(
            session=withdrawing, viewer=viewer, elder_id=elder_id, reason="家属要求", now=JOB_NOW
        )

        # When the offline job runs meanwhile
        results = await asyncio.wait_for(
            run_jobs_once(session_factory=jobs, now=JOB_NOW, jobs=[raise_device_offline_alerts]), timeout=5
        )

        # Then it neither waited nor raised anything about the elder it could not lock
        assert "raise_device_offline_alerts" in results, "the job failed"
        assert await offline_alerts(engine, elder_id) == []
        await withdrawing.commit()

    # And with monitoring ended, no alert about her is left open
    assert [alert for alert in await offline_alerts(engine, elder_id) if alert[0] != "RESOLVED"] == []


async def test_a_withdrawal_waits_for_the_job_and_resolves_the_alert_it_raised(engine, silent_wristband):
    elder_id, _, viewer, _ = silent_wristband
    await consent_on_paper(engine, elder_id, viewer)
    async with AsyncSession(engine, expire_on_commit=False) as job:
        # Given the offline job in its transaction, not yet committed, having raised the alert
        assert await raise_device_offline_alerts(session=job, now=JOB_NOW) == 1
        job_pid = await job.scalar(text("SELECT pg_backend_pid()"))

        async def withdraw() -> None:
            async with AsyncSession(engine, expire_on_commit=False) as withdrawing:
                await withdraw_consent(
                    session=withdrawing, viewer=viewer, elder_id=elder_id, reason="家属要求", now=JOB_NOW
                )
                await withdrawing.commit()

        # When her consent is withdrawn meanwhile
        request = asyncio.create_task(withdraw())
        try:
            # Then the withdrawal waits for the job's lock on her
            for _ in range(100):
                if await blocked_by(engine, job_pid) or request.done():
                    break
                await asyncio.sleep(0.03)
            assert await blocked_by(engine, job_pid), "the withdrawal did not wait for the job"
            assert not request.done()
            await job.commit()
            await asyncio.wait_for(request, timeout=10)
        finally:
            if not request.done():
                request.cancel()
                await asyncio.gather(request, return_exceptions=True)

    # And resolves the alert the job committed, as the system, with its note
    assert await offline_alerts(engine, elder_id) == [("RESOLVED", WITHDRAWN_NOTE, None, "T-RACE-OFFLINE")]
