"""Elders registered and kept true through the graph (#17): consent to monitoring recorded in the
same transaction as the elder, its withdrawal ending monitoring at once, and family members who
follow an elder only on that elder's separate consent (PIPL art. 29).

Who may: care staff and the community office (COMMUNITY_ADMIN) of the elder's community, and
ADMIN. Every change writes one audit row; none shows health data."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from models.eldercare import (
    CareAlert,
    ConsentGiver,
    Elder,
    ElderConsent,
    FamilyLink,
)
from models.notifications import NotificationKind
from models.people import Community, Person, Role
from resolvers import audit, notifications
from resolvers.actor import Viewer
from resolvers.clock import SHANGHAI
from resolvers.eldercare.lifecycle import resolve_by_system
from resolvers.eldercare.queries import age_on
from resolvers.errors import DomainFailure, ErrorCode, NotFound, flush_or_fail
from resolvers.people.accounts import mask_phone, normalize_phone

ELDER_AGE = 60  # 《老年人权益保障法》第二条：六十周岁以上的公民
MAX_CONTACTS = 5
WITHDRAWN_NOTE = "监测同意已撤回，系统自动关闭告警"


def may_run_elders(viewer: Viewer, community_id: int) -> bool:
    return viewer.is_staff_of(Role.CARE_STAFF, community_id) or viewer.is_staff_of(
        Role.COMMUNITY_ADMIN, community_id
    )


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str
    relationship: str


@dataclass(frozen=True)
class ConsentIn:
    given_by: ConsentGiver
    reference: str
    guardian_name: str | None = None
    given_at: datetime | None = None  # when it was signed; omitted: now


@dataclass(frozen=True)
class ElderIn:
    """What elderRegister takes; for elderUpdate, None leaves a field as it is."""

    name: str | None = None
    birth_date: date | None = None
    address: str | None = None
    lives_alone: bool | None = None
    emergency_contacts: list[Contact] | None = None


# ── Checks ────────────────────────────────────────────────────────────────────


def _text(raw: str, *, limit: int, code: ErrorCode, what: str) -> str:
    value = raw.strip()
    if not value or len(value) > limit:
        raise DomainFailure(code, f"请填写{what}（{limit} 字以内）")
    return value


def _birth_date(birth: date, now: datetime) -> date:
    today = now.astimezone(SHANGHAI).date()
    if birth > today:
        raise DomainFailure(ErrorCode.INVALID_BIRTH_DATE, "出生日期不能晚于今天")
    if age_on(birth, today) < ELDER_AGE:
        raise DomainFailure(ErrorCode.ELDER_UNDER_SIXTY, f"养老服务面向 {ELDER_AGE} 周岁以上的老年人")
    return birth


def _contacts(contacts: list[Contact]) -> list[dict]:
    if len(contacts) > MAX_CONTACTS:
        raise DomainFailure(ErrorCode.INVALID_CONTACT, f"紧急联系人最多 {MAX_CONTACTS} 位")
    return [
        {
            "name": _text(contact.name, limit=50, code=ErrorCode.INVALID_CONTACT, what="紧急联系人姓名"),
            "phone": normalize_phone(contact.phone),
            "relationship": _text(
                contact.relationship, limit=20, code=ErrorCode.INVALID_CONTACT, what="与老人的关系"
            ),
        }
        for contact in contacts
    ]


def _consent(consent: ConsentIn, *, elder_id: int, viewer: Viewer, now: datetime) -> ElderConsent:
    reference = _text(
        consent.reference, limit=200, code=ErrorCode.CONSENT_REFERENCE_REQUIRED, what="同意书编号"
    )
    guardian = (consent.guardian_name or "").strip() or None
    if (consent.given_by == ConsentGiver.GUARDIAN) != (guardian is not None):
        raise DomainFailure(
            ErrorCode.GUARDIAN_NAME_REQUIRED, "由监护人签署时须填写监护人姓名；老人本人签署时不填"
        )
    if guardian is not None and len(guardian) > 100:
        raise DomainFailure(ErrorCode.GUARDIAN_NAME_REQUIRED, "监护人姓名须在 100 字以内")
    given_at = consent.given_at or now
    if given_at > now:
        raise DomainFailure(ErrorCode.IN_THE_FUTURE, "同意书签署时间不能晚于现在")
    return ElderConsent(
        elder_id=elder_id,
        given_by=consent.given_by.value,
        guardian_name=guardian,
        reference=reference,
        given_at=given_at,
        recorded_by=viewer.person_id,
    )


def shown_consent(consent: ElderConsent) -> dict:
    return {
        "given_by": consent.given_by,
        "reference": consent.reference,
        "given_at": consent.given_at.isoformat(),
    }


def shown_elder(elder: Elder) -> dict:
    """What the audit trail keeps of an elder: no health data, contacts' phones masked."""
    return {
        "name": elder.name,
        "birth_date": elder.birth_date.isoformat(),
        "address": elder.address,
        "lives_alone": elder.lives_alone,
        "emergency_contacts": [
            {**contact, "phone": mask_phone(contact["phone"])} for contact in elder.emergency_contacts
        ],
    }


# ── Reads ─────────────────────────────────────────────────────────────────────


async def elder_to_run(*, session: AsyncSession, viewer: Viewer, elder_id: int, lock: bool = True) -> Elder:
    """The elder, locked for the change, if the viewer runs its community (else NOT_FOUND)."""
    stmt = select(Elder).where(Elder.id == elder_id)
    elder = await session.scalar(stmt.with_for_update() if lock else stmt)
    if elder is None or not may_run_elders(viewer, elder.community_id):
        raise NotFound("该老人")
    return elder


async def standing_consent(*, session: AsyncSession, elder_id: int) -> ElderConsent | None:
    return await session.scalar(
        select(ElderConsent).where(ElderConsent.elder_id == elder_id, ElderConsent.withdrawn_at.is_(None))
    )


async def consents_of(*, session: AsyncSession, elder_ids: list[int]) -> dict[int, ElderConsent]:
    """Each elder's newest consent (standing or withdrawn), one statement for all."""
    rows = await session.scalars(
        select(ElderConsent)
        .where(ElderConsent.elder_id.in_(elder_ids))
        .order_by(ElderConsent.elder_id, ElderConsent.given_at.desc(), ElderConsent.id.desc())
        .ext(distinct_on(ElderConsent.elder_id))
    )
    return {row.elder_id: row for row in rows}


# ── Changes ───────────────────────────────────────────────────────────────────


async def register(
    *,
    session: AsyncSession,
    viewer: Viewer,
    data: ElderIn,
    consent: ConsentIn,
    community_id: int | None,
    now: datetime,
) -> Elder:
    """A new elder and the consent that allows monitoring, in one transaction: an elder is never
    stored without it. ADMIN names the community; staff register in their own."""
    if viewer.has_role(Role.ADMIN.value):
        if community_id is None:
            raise DomainFailure(ErrorCode.COMMUNITY_REQUIRED, "请指定老人所在的社区")
    elif community_id is not None and community_id != viewer.community_id:
        raise DomainFailure(ErrorCode.OTHER_COMMUNITY, "只能在本社区登记老人")
    else:
        community_id = viewer.community_id
    if community_id is None or await session.get(Community, community_id) is None:
        raise NotFound("该社区")
    if data.name is None or data.birth_date is None:
        raise DomainFailure(ErrorCode.INVALID_NAME, "请填写老人姓名和出生日期")
    elder = Elder(
        name=_text(data.name, limit=100, code=ErrorCode.INVALID_NAME, what="老人姓名"),
        birth_date=_birth_date(data.birth_date, now),
        address=_address(data.address),
        lives_alone=bool(data.lives_alone),
        emergency_contacts=_contacts(data.emergency_contacts or []),
        community_id=community_id,
    )
    session.add(elder)
    await session.flush()
    recorded = _consent(consent, elder_id=elder.id, viewer=viewer, now=now)
    session.add(recorded)
    await session.flush()
    await audit.record(
        session=session,
        action="elder.register",
        object_id=audit.global_id("Elder", elder.id),
        community_id=community_id,
        after={**shown_elder(elder), "consent": shown_consent(recorded)},
    )
    return elder


def _address(raw: str | None) -> str | None:
    if raw is None or not raw.strip():
        return None
    if len(raw.strip()) > 200:
        raise DomainFailure(ErrorCode.INVALID_ADDRESS, "住址须在 200 字以内")
    return raw.strip()


async def update_elder(
    *, session: AsyncSession, viewer: Viewer, elder_id: int, data: ElderIn, now: datetime
) -> Elder:
    elder = await elder_to_run(session=session, viewer=viewer, elder_id=elder_id)
    before = shown_elder(elder)
    if data.name is not None:
        elder.name = _text(data.name, limit=100, code=ErrorCode.INVALID_NAME, what="老人姓名")
    if data.birth_date is not None:
        elder.birth_date = _birth_date(data.birth_date, now)
    if data.address is not None:
        elder.address = _address(data.address)
    if data.lives_alone is not None:
        elder.lives_alone = data.lives_alone
    if data.emergency_contacts is not None:
        elder.emergency_contacts = _contacts(data.emergency_contacts)
    await session.flush()
    after = shown_elder(elder)
    if after != before:
        await audit.record(
            session=session,
            action="elder.update",
            object_id=audit.global_id("Elder", elder.id),
            community_id=elder.community_id,
            before=before,
            after=after,
        )
    return elder


async def withdraw_consent(
    *, session: AsyncSession, viewer: Viewer, elder_id: int, reason: str, now: datetime
) -> Elder:
    """Monitoring ends at once: the consent is withdrawn, readings are refused from now on
    (CONSENT_WITHDRAWN), the open alerts are resolved by the system with a note, and every family
    member who followed the elder stops following and is told."""
    elder = await elder_to_run(session=session, viewer=viewer, elder_id=elder_id)
    why = _text(reason, limit=500, code=ErrorCode.NOTE_REQUIRED, what="撤回原因")
    consent = await standing_consent(session=session, elder_id=elder.id)
    if consent is None:
        raise DomainFailure(ErrorCode.CONSENT_WITHDRAWN, "该老人的监测同意已撤回")
    consent.withdrawn_at, consent.withdrawn_by, consent.withdrawal_reason = now, viewer.person_id, why
    elder.monitoring_ended_at = now
    resolved = await resolve_by_system(
        session=session, where=CareAlert.elder_id == elder.id, note=WITHDRAWN_NOTE, now=now
    )
    followers = (
        await session.scalars(
            update(FamilyLink)
            .where(
                FamilyLink.elder_id == elder.id,
                FamilyLink.consented_at.is_not(None),
                FamilyLink.consent_revoked_at.is_(None),
            )
            .values(consent_revoked_at=now)
            .returning(FamilyLink.person_id)
        )
    ).all()
    await notifications.notify(
        session=session,
        person_ids=followers,
        kind=NotificationKind.CONSENT_WITHDRAWN,
        title="老人已撤回监测同意",
        body=f"{elder.name} 已撤回健康监测同意，您将不再收到其健康信息与告警。",
        subject_id=audit.global_id("Elder", elder.id),
    )
    await session.flush()
    await audit.record(
        session=session,
        action="consent.withdraw",
        object_id=audit.global_id("Elder", elder.id),
        community_id=elder.community_id,
        before=shown_consent(consent),
        after={"reason": why, "alerts_resolved": len(resolved), "family_links_ended": len(followers)},
    )
    return elder


async def record_consent(
    *, session: AsyncSession, viewer: Viewer, elder_id: int, consent: ConsentIn, now: datetime
) -> Elder:
    """A new consent after a withdrawal: monitoring resumes (family members are added again, each
    with their own consent)."""
    elder = await elder_to_run(session=session, viewer=viewer, elder_id=elder_id)
    recorded = _consent(consent, elder_id=elder.id, viewer=viewer, now=now)
    session.add(recorded)
    await flush_or_fail(session=session, meanings={"uq_elder_consents_standing": _already_consented})
    elder.monitoring_ended_at = None
    await session.flush()
    await audit.record(
        session=session,
        action="consent.record",
        object_id=audit.global_id("Elder", elder.id),
        community_id=elder.community_id,
        after=shown_consent(recorded),
    )
    return elder


def _already_consented() -> DomainFailure:
    return DomainFailure(ErrorCode.CONSENT_STANDS, "该老人已有有效的监测同意")


async def add_family_link(
    *,
    session: AsyncSession,
    viewer: Viewer,
    elder_id: int,
    phone: str,
    relationship: str,
    consent_reference: str,
    now: datetime,
) -> FamilyLink:
    """A family member follows the elder from the next request on, on the elder's consent to
    sharing with this named person (its record's reference). Adding one who followed before
    records the new consent."""
    elder = await elder_to_run(session=session, viewer=viewer, elder_id=elder_id)
    if elder.monitoring_ended_at is not None:
        raise DomainFailure(ErrorCode.CONSENT_WITHDRAWN, "该老人已撤回监测同意，不能添加家属")
    person = await session.scalar(select(Person).where(Person.phone == normalize_phone(phone)))
    if person is None:
        raise NotFound("该手机号的居民")
    values = {
        "relationship": _text(
            relationship, limit=30, code=ErrorCode.INVALID_RELATIONSHIP, what="与老人的关系"
        ),
        "consented_at": now,
        "consent_revoked_at": None,
        "consent_reference": _text(
            consent_reference, limit=200, code=ErrorCode.CONSENT_REFERENCE_REQUIRED, what="同意书编号"
        ),
    }
    link = await session.get(FamilyLink, (elder.id, person.id), with_for_update=True)
    if link is not None and link.consented_at is not None and link.consent_revoked_at is None:
        raise _already_following()
    if link is None:
        link = FamilyLink(elder_id=elder.id, person_id=person.id, **values)
        session.add(link)
    else:
        for key, value in values.items():
            setattr(link, key, value)
    # The key refused: added by someone else at the same moment.
    await flush_or_fail(session=session, meanings={"pk_elder_family_links": _already_following})
    await audit.record(
        session=session,
        action="family_link.add",
        object_id=audit.global_id("Elder", elder.id),
        community_id=elder.community_id,
        after={
            "person": audit.global_id("Person", person.id),
            "relationship": link.relationship,
            "consent_reference": link.consent_reference,
        },
    )
    return link


def _already_following() -> DomainFailure:
    return DomainFailure(ErrorCode.ALREADY_FOLLOWING, "该家属已在关注这位老人")


async def remove_family_link(
    *, session: AsyncSession, viewer: Viewer, elder_id: int, person_id: int, now: datetime
) -> FamilyLink:
    """The family member stops following from the next request on (the link is kept, ended, for
    the record) and is told."""
    elder = await elder_to_run(session=session, viewer=viewer, elder_id=elder_id)
    link = await session.get(FamilyLink, (elder.id, person_id), with_for_update=True)
    if link is None or link.consented_at is None or link.consent_revoked_at is not None:
        raise NotFound("该家属关注关系")
    link.consent_revoked_at = now
    await session.flush()
    await notifications.notify(
        session=session,
        person_ids=[person_id],
        kind=NotificationKind.FAMILY_LINK_REMOVED,
        title="已停止关注老人",
        body=f"您已不再关注 {elder.name} 的健康信息与告警。",
        subject_id=audit.global_id("Elder", elder.id),
    )
    await audit.record(
        session=session,
        action="family_link.remove",
        object_id=audit.global_id("Elder", elder.id),
        community_id=elder.community_id,
        before={"person": audit.global_id("Person", person_id), "relationship": link.relationship},
    )
    return link
