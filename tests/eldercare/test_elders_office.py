"""Elders run through the graph (#17): registered with their consent in one step, corrected,
consent withdrawn (monitoring ends at once: readings refused, alerts closed, family told) and given
again, family members linked on the elder's own consent — each by the staff of the elder's
community only, each audited, nothing written by a refusal."""

import asyncio
from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.audit import AuditLog
from models.eldercare import CareAlert, CareAlertEvent, Elder, ElderConsent, FamilyLink
from models.notifications import Notification
from models.people import Community, Person, Role
from resolvers import people as people_service
from schema.common import decode_global_id, encode_global_id
from server.auth import TokenService
from server.jobs import run_jobs_once
from tests.eldercare.conftest import WEDNESDAY_10, reading

RECORD_FIELDS = """__typename ... on ElderRecord { id name birthDate communityId address livesAlone monitored
  emergencyContacts { name phone relationship }
  consent { givenBy guardianName reference givenAt withdrawnAt withdrawalReason } }
  ... on DomainError { code message }"""
REGISTER = f"mutation($i: ElderRegisterInput!) {{ elderRegister(input: $i) {{ {RECORD_FIELDS} }} }}"
UPDATE = (
    f"mutation($id: ID!, $i: ElderUpdateInput!) {{ elderUpdate(id: $id, input: $i) {{ {RECORD_FIELDS} }} }}"
)
WITHDRAW = (
    f"mutation($e: ID!, $r: String!) {{ consentWithdraw(elderId: $e, reason: $r) {{ {RECORD_FIELDS} }} }}"
)
CONSENT = f"""mutation($e: ID!, $c: ElderConsentInput!) {{
  consentRecord(elderId: $e, consent: $c) {{ {RECORD_FIELDS} }} }}"""
LINK_FIELDS = """__typename
  ... on FamilyLink { elderId personId relationship consentedAt consentReference endedAt }
  ... on DomainError { code message }"""
LINK_ADD = f"""mutation($e: ID!, $p: String!, $r: String!, $c: String!) {{
  familyLinkAdd(elderId: $e, phone: $p, relationship: $r, consentReference: $c) {{ {LINK_FIELDS} }} }}"""
LINK_REMOVE = (
    f"""mutation($e: ID!, $p: ID!) {{ familyLinkRemove(elderId: $e, personId: $p) {{ {LINK_FIELDS} }} }}"""
)
ELDER = "query($id: ID!) { node(id: $id) { ... on Elder { name } } }"
RECORD = """mutation($r: [ReadingInput!]!) { readingsRecord(readings: $r) { __typename
  ... on ReadingsRecorded { accepted rejected { index deviceSerial code } alertsRaised { id } }
  ... on InvalidReadings { code rejected { index code } } } }"""


def new_elder(**changes) -> dict:
    return {
        "name": "王秀兰",
        "birthDate": "1948-03-15",
        "address": "五常街道南睦路 8 号 2 幢 301",
        "livesAlone": True,
        "emergencyContacts": [{"name": "王建国", "phone": "+86 139-0000-1234", "relationship": "儿子"}],
        "consent": {"givenBy": "GUARDIAN", "guardianName": "王建国", "reference": "NM-2026-0117"},
        **changes,
    }


async def counts(session) -> tuple[int, int, int]:
    return (
        await session.scalar(select(func.count()).select_from(Elder)),
        await session.scalar(select(func.count()).select_from(ElderConsent)),
        await session.scalar(select(func.count()).select_from(AuditLog)),
    )


@pytest.fixture
async def other_office(session, settings) -> str:
    """A COMMUNITY_ADMIN of 海创社区: the elders of 南睦 are not theirs."""
    person = await people_service.add_user(
        session=session,
        phone="13611119001",
        name="海创办公室",
        role=Role.COMMUNITY_ADMIN,
        community_name="海创社区",
    )
    await session.commit()
    return TokenService(settings).issue(person)[0]


async def test_an_elder_is_registered_with_the_consent_it_stands_on(gql, ward, session, other_office):
    staff = ward.tokens["CARE_STAFF"]
    body = await gql(REGISTER, {"i": new_elder()}, token=staff)
    made = body["data"]["elderRegister"]
    assert made["__typename"] == "ElderRecord", made
    assert (made["name"], made["birthDate"], made["livesAlone"], made["monitored"]) == (
        "王秀兰",
        "1948-03-15",
        True,
        True,
    )
    assert made["emergencyContacts"] == [{"name": "王建国", "phone": "139****1234", "relationship": "儿子"}]
    assert made["consent"]["givenBy"] == "GUARDIAN" and made["consent"]["guardianName"] == "王建国"
    assert made["consent"]["reference"] == "NM-2026-0117" and made["consent"]["withdrawnAt"] is None
    nanmu = await session.scalar(select(Community.id).where(Community.name == "南睦未来社区"))
    assert made["communityId"] == encode_global_id("Community", nanmu)

    elder_id = decode_global_id(made["id"])[1]
    consent = await session.scalar(select(ElderConsent).where(ElderConsent.elder_id == elder_id))
    assert consent.reference == "NM-2026-0117" and consent.recorded_by is not None
    stored = await session.get(Elder, elder_id)
    assert stored.emergency_contacts[0]["phone"] == "13900001234"  # kept whole, shown masked
    (entry,) = (await session.scalars(select(AuditLog).where(AuditLog.action == "elder.register"))).all()
    assert entry.object_id == made["id"] and entry.community_id == nanmu
    assert entry.after["emergency_contacts"][0]["phone"] == "139****1234"  # the trail keeps no phone whole

    # The community office of 南睦 registers too; ADMIN names the community, else COMMUNITY_REQUIRED
    office = await gql(REGISTER, {"i": new_elder(name="赵阿婆")}, token=ward.tokens["COMMUNITY_ADMIN"])
    assert office["data"]["elderRegister"]["__typename"] == "ElderRecord"
    admin = ward.tokens["ADMIN"]
    unnamed = await gql(REGISTER, {"i": new_elder()}, token=admin)
    assert unnamed["data"]["elderRegister"]["code"] == "COMMUNITY_REQUIRED"
    named = await gql(
        REGISTER, {"i": new_elder(communityId=encode_global_id("Community", nanmu))}, token=admin
    )
    assert named["data"]["elderRegister"]["__typename"] == "ElderRecord"
    # Staff of another community may not register into this one
    elsewhere = await gql(
        REGISTER, {"i": new_elder(communityId=encode_global_id("Community", nanmu))}, token=other_office
    )
    assert elsewhere["data"]["elderRegister"]["code"] == "OTHER_COMMUNITY"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"birthDate": "1970-01-01"}, "ELDER_UNDER_SIXTY"),
        ({"birthDate": "2999-01-01"}, "INVALID_BIRTH_DATE"),
        ({"name": "  "}, "INVALID_NAME"),
        ({"address": "长" * 201}, "INVALID_ADDRESS"),
        ({"emergencyContacts": [{"name": "甲", "phone": "12345", "relationship": "女儿"}]}, "INVALID_PHONE"),
        (
            {"emergencyContacts": [{"name": "甲", "phone": "13900000001", "relationship": " "}]},
            "INVALID_CONTACT",
        ),
        (
            {
                "emergencyContacts": [
                    {"name": f"甲{n}", "phone": "13900000001", "relationship": "女儿"} for n in range(6)
                ]
            },
            "INVALID_CONTACT",
        ),
        ({"consent": {"givenBy": "ELDER", "reference": "  "}}, "CONSENT_REFERENCE_REQUIRED"),
        ({"consent": {"givenBy": "GUARDIAN", "reference": "NM-1"}}, "GUARDIAN_NAME_REQUIRED"),
        (
            {"consent": {"givenBy": "ELDER", "guardianName": "某人", "reference": "NM-1"}},
            "GUARDIAN_NAME_REQUIRED",
        ),
        (
            {"consent": {"givenBy": "ELDER", "reference": "NM-1", "givenAt": "2999-01-01T00:00:00+08:00"}},
            "IN_THE_FUTURE",
        ),
    ],
)
async def test_a_refused_registration_stores_nothing(gql, ward, session, changes, code):
    before = await counts(session)
    body = await gql(REGISTER, {"i": new_elder(**changes)}, token=ward.tokens["CARE_STAFF"])
    assert body["data"]["elderRegister"]["code"] == code, body
    assert await counts(session) == before  # no elder without its consent, no audit row


async def test_only_the_staff_of_the_elders_community_run_it(gql, ward, session, other_office):
    elder = ward.gid(ward.elder_a)
    for token in (ward.tokens["CARE_STAFF_HAICHUANG"], other_office):
        for query, variables in (
            (UPDATE, {"id": elder, "i": {"name": "改名"}}),
            (WITHDRAW, {"e": elder, "r": "测试"}),
            (LINK_ADD, {"e": elder, "p": "13611110002", "r": "侄子", "c": "C-1"}),
        ):
            answer = (await gql(query, variables, token=token))["data"]
            assert next(iter(answer.values()))["code"] == "NOT_FOUND", (query, answer)
    for role in ("RESIDENT", "CHILDCARE_STAFF", "MAKERSPACE_STAFF", "DEVICE_GATEWAY"):
        refused = await gql(UPDATE, {"id": elder, "i": {"name": "改名"}}, token=ward.tokens[role])
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN", role
    assert (await gql(UPDATE, {"id": elder, "i": {"name": "改名"}}))["errors"][0]["extensions"]["code"] == (
        "UNAUTHENTICATED"
    )
    assert (await session.get(Elder, ward.elder_a)).name == "张桂英"


async def test_an_update_changes_only_what_is_given_and_is_audited(gql, ward, session):
    body = await gql(
        UPDATE,
        {"id": ward.gid(ward.elder_a), "i": {"address": "南睦路 1 号", "livesAlone": False}},
        token=ward.tokens["COMMUNITY_ADMIN"],
    )
    record = body["data"]["elderUpdate"]
    assert (record["name"], record["address"], record["livesAlone"]) == ("张桂英", "南睦路 1 号", False)
    (entry,) = (await session.scalars(select(AuditLog).where(AuditLog.action == "elder.update"))).all()
    assert (entry.before["lives_alone"], entry.after["lives_alone"]) == (True, False)
    # The same again changes nothing and leaves no row
    await gql(
        UPDATE, {"id": ward.gid(ward.elder_a), "i": {"livesAlone": False}}, token=ward.tokens["CARE_STAFF"]
    )
    assert await session.scalar(select(func.count()).where(AuditLog.action == "elder.update")) == 1


async def test_withdrawing_consent_ends_monitoring_at_once(gql, ward, session, db, clock):
    staff, gateway, family = ward.tokens["CARE_STAFF"], ward.tokens["DEVICE_GATEWAY"], ward.tokens["FAMILY"]
    # An open alert of elder A, and a family member who follows her
    raised = await gql(RECORD, {"r": [reading("T-WB-A", "HEART_RATE", 150, 30)]}, token=gateway)
    (alert,) = raised["data"]["readingsRecord"]["alertsRaised"]
    assert (await gql(ELDER, {"id": ward.gid(ward.elder_a)}, token=family))["data"]["node"] == {
        "name": "张桂英"
    }

    body = await gql(WITHDRAW, {"e": ward.gid(ward.elder_a), "r": "本人书面撤回（NM-W-01）"}, token=staff)
    record = body["data"]["consentWithdraw"]
    assert record["__typename"] == "ElderRecord", body
    assert record["monitored"] is False and record["consent"]["withdrawalReason"] == "本人书面撤回（NM-W-01）"
    assert record["consent"]["withdrawnAt"] is not None

    # The alert is closed by the system, with a note and an event the feed carries
    closed = await session.get(CareAlert, decode_global_id(alert["id"])[1], populate_existing=True)
    assert (closed.status, closed.resolved_by) == ("RESOLVED", None) and "撤回" in closed.resolution_note
    last = await session.scalar(
        select(CareAlertEvent.type)
        .where(CareAlertEvent.alert_id == closed.id)
        .order_by(CareAlertEvent.sequence.desc())
    )
    assert last == "RESOLVED"
    # The family member no longer sees her, from the next request on, and was told
    assert (await gql(ELDER, {"id": ward.gid(ward.elder_a)}, token=family))["data"]["node"] is None
    told = (await session.scalars(select(Notification).where(Notification.kind == "CONSENT_WITHDRAWN"))).all()
    assert len(told) == 1 and "张桂英" in told[0].body
    # Her readings are refused one by one; B's in the same batch are stored
    batch = [reading("T-WB-A", "HEART_RATE", 72, 40), reading("T-WB-B", "HEART_RATE", 70, 40)]
    answer = (await gql(RECORD, {"r": batch}, token=gateway))["data"]["readingsRecord"]
    assert answer["accepted"] == 1
    assert answer["rejected"] == [{"index": 0, "deviceSerial": "T-WB-A", "code": "CONSENT_WITHDRAWN"}]
    alone = (await gql(RECORD, {"r": [reading("T-WB-A", "HEART_RATE", 160, 41)]}, token=gateway))["data"]
    assert alone["readingsRecord"]["code"] == "NO_VALID_READINGS"
    # The jobs pass her by: no inactivity (she lives alone) nor offline alert however long it is quiet
    later = WEDNESDAY_10 + timedelta(hours=8)
    ran = await run_jobs_once(session_factory=db, now=later)
    assert ran["raise_device_offline_alerts"] == 1  # elder B's wristband, silent as long
    assert (
        await session.scalar(
            select(func.count()).where(CareAlert.elder_id == ward.elder_a, CareAlert.status != "RESOLVED")
        )
        == 0
    )
    # Withdrawing again, or linking family now: CONSENT_WITHDRAWN
    again = await gql(WITHDRAW, {"e": ward.gid(ward.elder_a), "r": "再次"}, token=staff)
    assert again["data"]["consentWithdraw"]["code"] == "CONSENT_WITHDRAWN"
    link = await gql(
        LINK_ADD, {"e": ward.gid(ward.elder_a), "p": "13611110001", "r": "女儿", "c": "C-2"}, token=staff
    )
    assert link["data"]["familyLinkAdd"]["code"] == "CONSENT_WITHDRAWN"
    (entry,) = (await session.scalars(select(AuditLog).where(AuditLog.action == "consent.withdraw"))).all()
    assert entry.after["alerts_resolved"] == 1 and entry.after["family_links_ended"] == 1

    # A new consent: monitoring resumes (family must be linked again); a second one: CONSENT_STANDS
    consent = {"givenBy": "ELDER", "reference": "NM-2026-0200"}
    resumed = (await gql(CONSENT, {"e": ward.gid(ward.elder_a), "c": consent}, token=staff))["data"]
    assert resumed["consentRecord"]["monitored"] is True
    assert resumed["consentRecord"]["consent"]["reference"] == "NM-2026-0200"
    stands = (await gql(CONSENT, {"e": ward.gid(ward.elder_a), "c": consent}, token=staff))["data"]
    assert stands["consentRecord"]["code"] == "CONSENT_STANDS"
    accepted = await gql(RECORD, {"r": [reading("T-WB-A", "HEART_RATE", 72, 50)]}, token=gateway)
    assert accepted["data"]["readingsRecord"]["accepted"] == 1
    assert (await gql(ELDER, {"id": ward.gid(ward.elder_a)}, token=family))["data"]["node"] is None


async def test_a_family_member_follows_only_on_the_elders_consent(gql, ward, session):
    staff, elder = ward.tokens["CARE_STAFF"], ward.gid(ward.elder_a)
    nephew = ward.tokens["FAMILY_NO_CONSENT"]  # linked, but the elder never consented to share with him
    assert (await gql(ELDER, {"id": elder}, token=nephew))["data"]["node"] is None

    added = await gql(LINK_ADD, {"e": elder, "p": "136 1111 0002", "r": "侄子", "c": "NM-S-07"}, token=staff)
    link = added["data"]["familyLinkAdd"]
    assert (link["relationship"], link["consentReference"], link["endedAt"]) == ("侄子", "NM-S-07", None)
    assert (await gql(ELDER, {"id": elder}, token=nephew))["data"]["node"] == {"name": "张桂英"}
    twice = await gql(LINK_ADD, {"e": elder, "p": "13611110002", "r": "侄子", "c": "NM-S-08"}, token=staff)
    assert twice["data"]["familyLinkAdd"]["code"] == "ALREADY_FOLLOWING"
    unknown = await gql(LINK_ADD, {"e": elder, "p": "13599999999", "r": "侄子", "c": "NM-S-09"}, token=staff)
    assert unknown["data"]["familyLinkAdd"]["code"] == "NOT_FOUND"
    blank = await gql(LINK_ADD, {"e": elder, "p": "13611110002", "r": "侄子", "c": " "}, token=staff)
    assert blank["data"]["familyLinkAdd"]["code"] == "CONSENT_REFERENCE_REQUIRED"

    removed = await gql(LINK_REMOVE, {"e": elder, "p": link["personId"]}, token=staff)
    assert removed["data"]["familyLinkRemove"]["endedAt"] is not None
    assert (await gql(ELDER, {"id": elder}, token=nephew))["data"]["node"] is None
    again = await gql(LINK_REMOVE, {"e": elder, "p": link["personId"]}, token=staff)
    assert again["data"]["familyLinkRemove"]["code"] == "NOT_FOUND"
    told = (
        await session.scalars(select(Notification.kind).where(Notification.kind == "FAMILY_LINK_REMOVED"))
    ).all()
    assert told == ["FAMILY_LINK_REMOVED"]
    actions = (
        await session.scalars(select(AuditLog.action).where(AuditLog.action.like("family_link.%")))
    ).all()
    assert sorted(actions) == ["family_link.add", "family_link.remove"]
    kept = await session.get(FamilyLink, (ward.elder_a, decode_global_id(link["personId"])[1]))
    assert kept.consent_revoked_at is not None  # ended, kept for the record


@pytest.fixture
async def withdrawn_elder(engine, settings):
    """Committed: an elder of 南睦 whose consent was withdrawn, and a care worker (removed after)."""
    async with engine.begin() as connection:
        session = AsyncSession(bind=connection)
        community = await session.scalar(select(Community.id).where(Community.name == "南睦未来社区"))
        elder = Elder(
            name="并发老人",
            birth_date=date(1940, 1, 1),
            community_id=community,
            monitoring_ended_at=WEDNESDAY_10,
        )
        session.add(elder)
        await session.flush()
        session.add(
            ElderConsent(
                elder_id=elder.id,
                given_by="ELDER",
                reference="C-0",
                given_at=WEDNESDAY_10 - timedelta(days=30),
                withdrawn_at=WEDNESDAY_10,
                withdrawal_reason="测试",
            )
        )
        staff = await people_service.add_user(
            session=session,
            phone="13611119002",
            name="并发护理员",
            role=Role.CARE_STAFF,
            community_name="南睦未来社区",
        )
        ids = (elder.id, staff.id, TokenService(settings).issue(staff)[0])
    yield ids
    async with engine.begin() as connection:
        await connection.execute(delete(Elder).where(Elder.id == ids[0]))
        await connection.execute(delete(Person).where(Person.id == ids[1]))


async def test_concurrent_consents_leave_one_standing(live_server, withdrawn_elder, engine):
    elder_id, _, token = withdrawn_elder
    variables = {"e": encode_global_id("Elder", elder_id), "c": {"givenBy": "ELDER", "reference": "C-1"}}

    async def record_one() -> dict:
        async with httpx.AsyncClient() as client:
            response = await client.post(
                f"http://{live_server}/graphql",
                json={"query": CONSENT, "variables": variables},
                headers={"Authorization": f"Bearer {token}"},
            )
            return response.json()["data"]["consentRecord"]

    answers = await asyncio.gather(*(record_one() for _ in range(6)))
    kinds = sorted(answer.get("code", answer["__typename"]) for answer in answers)
    assert kinds == ["CONSENT_STANDS"] * 5 + ["ElderRecord"]
    async with engine.connect() as connection:
        standing = await connection.scalar(
            select(func.count()).where(ElderConsent.elder_id == elder_id, ElderConsent.withdrawn_at.is_(None))
        )
    assert standing == 1
