"""Elders run through the graph (#17): elderRegister, elderUpdate, consentWithdraw, consentRecord,
familyLinkAdd, familyLinkRemove. Their answers show who the elder is and the consent monitoring
stands on, never health data (a community office may run elders without seeing their health)."""

from datetime import date, datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from models import eldercare as elder_models
from models.people import Role
from resolvers.eldercare import elders as elder_office
from resolvers.people.accounts import mask_phone
from schema.common import NotFound, RuleViolation, described_enum, encode_global_id, mutation_result, pk_of
from schema.eldercare.types import optional_pk
from schema.permissions import has_role

RUNS_ELDERS = (Role.CARE_STAFF, Role.COMMUNITY_ADMIN, Role.ADMIN)

ConsentGiver = described_enum(
    elder_models.ConsentGiver,
    name="ConsentGiver",
    description="Who gave consent to monitoring.",
    values={
        "ELDER": "The elder themself.",
        "GUARDIAN": "A legal guardian (监护人), for an elder who cannot consent; `guardianName` names them.",
    },
)


@strawberry.type(description="The consent monitoring stands on: who gave it, when, and its record.")
class ElderConsent:
    given_by: ConsentGiver = strawberry.field(description="The elder, or a legal guardian.")
    guardian_name: str | None = strawberry.field(
        description="The guardian's name; null when the elder consented."
    )
    reference: str = strawberry.field(description="The paper or electronic consent record's reference.")
    given_at: datetime = strawberry.field(description="When it was given (signed).")
    withdrawn_at: datetime | None = strawberry.field(
        description="When it was withdrawn; null while it stands."
    )
    withdrawal_reason: str | None = strawberry.field(
        description="Why it was withdrawn; null while it stands."
    )

    @classmethod
    def from_model(cls, model: elder_models.ElderConsent) -> "ElderConsent":
        return cls(
            given_by=ConsentGiver(model.given_by),
            guardian_name=model.guardian_name,
            reference=model.reference,
            given_at=model.given_at,
            withdrawn_at=model.withdrawn_at,
            withdrawal_reason=model.withdrawal_reason,
        )


@strawberry.type(description="Someone to call in an emergency (phone masked in answers: 138****0001).")
class EmergencyContact:
    name: str = strawberry.field(description="Their name.")
    phone: str = strawberry.field(description="Their mobile, masked.")
    relationship: str = strawberry.field(description="How they are related to the elder (e.g. 女儿).")


@strawberry.type(
    description="An elder as the people who run elders see them: who they are, where, and the consent "
    "monitoring stands on — no health data (the Elder with the same `id` carries that)."
)
class ElderRecord:
    id: strawberry.ID = strawberry.field(description="The Elder's global ID.")
    name: str = strawberry.field(description="The elder's name.")
    birth_date: date = strawberry.field(description="Date of birth.")
    community_id: strawberry.ID = strawberry.field(description="The Community's global ID.")
    address: str | None = strawberry.field(description="The household address; null if none was given.")
    lives_alone: bool = strawberry.field(description="独居: the inactivity rule watches them.")
    emergency_contacts: list[EmergencyContact] = strawberry.field(description="At most five.")
    monitored: bool = strawberry.field(description="False once consent to monitoring was withdrawn.")
    consent: ElderConsent | None = strawberry.field(
        description="The newest consent (standing, or withdrawn when not monitored)."
    )

    @classmethod
    def of(cls, elder: elder_models.Elder, consent: elder_models.ElderConsent | None) -> "ElderRecord":
        return cls(
            id=encode_global_id("Elder", elder.id),
            name=elder.name,
            birth_date=elder.birth_date,
            community_id=encode_global_id("Community", elder.community_id),
            address=elder.address,
            lives_alone=elder.lives_alone,
            emergency_contacts=[
                EmergencyContact(
                    name=contact["name"],
                    phone=mask_phone(contact["phone"]),
                    relationship=contact["relationship"],
                )
                for contact in elder.emergency_contacts
            ],
            monitored=elder.monitoring_ended_at is None,
            consent=None if consent is None else ElderConsent.from_model(consent),
        )


@strawberry.type(description="A family member's link to an elder: they follow the elder while it stands.")
class FamilyLink:
    elder_id: strawberry.ID = strawberry.field(description="The Elder's global ID.")
    person_id: strawberry.ID = strawberry.field(description="The family member (a Person's global ID).")
    relationship: str = strawberry.field(description="How they are related (e.g. 儿子).")
    consented_at: datetime | None = strawberry.field(
        description="When the elder consented to sharing with them."
    )
    consent_reference: str | None = strawberry.field(description="The record of that consent.")
    ended_at: datetime | None = strawberry.field(description="When the link ended; null while they follow.")

    @classmethod
    def from_model(cls, link: elder_models.FamilyLink) -> "FamilyLink":
        return cls(
            elder_id=encode_global_id("Elder", link.elder_id),
            person_id=encode_global_id("Person", link.person_id),
            relationship=link.relationship,
            consented_at=link.consented_at,
            consent_reference=link.consent_reference,
            ended_at=link.consent_revoked_at,
        )


@strawberry.input(description="An emergency contact.")
class EmergencyContactInput:
    name: str = strawberry.field(description="1–50 characters.")
    phone: str = strawberry.field(description="A mainland mobile (spaces, dashes and +86 are ignored).")
    relationship: str = strawberry.field(description="1–20 characters, e.g. 女儿.")


@strawberry.input(description="The consent to monitoring, recorded with the elder (PIPL art. 28–29).")
class ElderConsentInput:
    given_by: ConsentGiver = strawberry.field(description="The elder, or a legal guardian.")
    reference: str = strawberry.field(
        description="The reference of the signed paper form or electronic record (1–200 characters)."
    )
    guardian_name: str | None = strawberry.field(
        default=None, description="Required when a guardian consented; omitted when the elder did."
    )
    given_at: datetime | None = strawberry.field(
        default=None, description="When it was signed; omitted: now."
    )


@strawberry.input(description="A new elder; consent is required, and is stored in the same step.")
class ElderRegisterInput:
    name: str = strawberry.field(description="1–100 characters.")
    birth_date: date = strawberry.field(description="Aged 60 or over (else ELDER_UNDER_SIXTY).")
    consent: ElderConsentInput = strawberry.field(description="The consent monitoring will stand on.")
    community_id: strawberry.ID | None = strawberry.field(
        default=None, description="ADMIN only (required for ADMIN); staff register in their own community."
    )
    address: str | None = strawberry.field(
        default=None, description="The household address, ≤ 200 characters."
    )
    lives_alone: bool = strawberry.field(
        default=False, description="独居: the inactivity rule will watch them."
    )
    emergency_contacts: list[EmergencyContactInput] = strawberry.field(
        default_factory=list, description="At most five."
    )


@strawberry.input(description="Only what is given changes.")
class ElderUpdateInput:
    name: str | None = strawberry.field(default=None, description="1–100 characters.")
    birth_date: date | None = strawberry.field(default=None, description="Aged 60 or over.")
    address: str | None = strawberry.field(default=None, description="≤ 200 characters; empty clears it.")
    lives_alone: bool | None = strawberry.field(default=None, description="独居.")
    emergency_contacts: list[EmergencyContactInput] | None = strawberry.field(
        default=None, description="The whole list (at most five); an empty list clears it."
    )


ElderRecordResult = Annotated[
    ElderRecord | RuleViolation | NotFound,
    strawberry.union(
        "ElderRecordResult", description="The elder as it now stands, or why not (nothing changed)."
    ),
]
FamilyLinkResult = Annotated[
    FamilyLink | RuleViolation | NotFound,
    strawberry.union(
        "FamilyLinkResult", description="The link as it now stands, or why not (nothing changed)."
    ),
]


def _contacts(contacts) -> list[elder_office.Contact] | None:
    if contacts is None:
        return None
    return [elder_office.Contact(name=c.name, phone=c.phone, relationship=c.relationship) for c in contacts]


def _elder_in(input: ElderRegisterInput | ElderUpdateInput) -> elder_office.ElderIn:
    return elder_office.ElderIn(
        name=input.name,
        birth_date=input.birth_date,
        address=input.address,
        lives_alone=input.lives_alone,
        emergency_contacts=_contacts(input.emergency_contacts),
    )


def _consent(consent: ElderConsentInput) -> elder_office.ConsentIn:
    return elder_office.ConsentIn(
        given_by=elder_models.ConsentGiver(consent.given_by.value),
        reference=consent.reference,
        guardian_name=consent.guardian_name,
        given_at=consent.given_at,
    )


async def _record(info: Info, work) -> ElderRecord:
    """Present what `work` made: the elder with its newest consent (read after the change)."""

    async def made():
        elder = await work
        consents = await elder_office.consents_of(session=info.context.session, elder_ids=[elder.id])
        return elder, consents.get(elder.id)

    return await mutation_result(info, made(), lambda both: ElderRecord.of(*both))


@strawberry.type
class ElderOfficeMutation:
    @strawberry.mutation(
        extensions=has_role(*RUNS_ELDERS),
        description="Register an elder with the consent monitoring stands on, in one step. Care staff and "
        "the community office of the community; ADMIN in any (naming it).",
    )
    async def elder_register(
        self, info: Info, input: Annotated[ElderRegisterInput, strawberry.argument(description="The elder.")]
    ) -> ElderRecordResult:
        ctx = info.context
        data = _elder_in(input)
        work = elder_office.register(
            session=ctx.session,
            viewer=ctx.viewer,
            data=data,
            consent=_consent(input.consent),
            community_id=optional_pk(input.community_id, "Community"),
            now=ctx.clock(),
        )
        return await _record(info, work)

    @strawberry.mutation(
        extensions=has_role(*RUNS_ELDERS),
        description="Correct an elder's name, birth date, address, living alone or emergency contacts. Care "
        "staff and the community office of the elder's community; ADMIN.",
    )
    async def elder_update(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The Elder's global ID.")],
        input: Annotated[ElderUpdateInput, strawberry.argument(description="What changes.")],
    ) -> ElderRecordResult:
        ctx = info.context
        data = _elder_in(input)
        work = elder_office.update_elder(
            session=ctx.session, viewer=ctx.viewer, elder_id=pk_of(id, "Elder"), data=data, now=ctx.clock()
        )
        return await _record(info, work)

    @strawberry.mutation(
        extensions=has_role(*RUNS_ELDERS),
        description="The elder (or guardian) withdraws consent to monitoring: from now on their readings are "
        "refused (CONSENT_WITHDRAWN), their open alerts are resolved by the system with a note, and every "
        "family member stops following them and is told. Care staff and the community office of the elder's "
        "community; ADMIN.",
    )
    async def consent_withdraw(
        self,
        info: Info,
        elder_id: Annotated[strawberry.ID, strawberry.argument(description="The Elder's global ID.")],
        reason: Annotated[str, strawberry.argument(description="Why (1–500 characters), as recorded.")],
    ) -> ElderRecordResult:
        ctx = info.context
        work = elder_office.withdraw_consent(
            session=ctx.session,
            viewer=ctx.viewer,
            elder_id=pk_of(elder_id, "Elder"),
            reason=reason,
            now=ctx.clock(),
        )
        return await _record(info, work)

    @strawberry.mutation(
        extensions=has_role(*RUNS_ELDERS),
        description="A new consent after a withdrawal: monitoring resumes (family members are added again, "
        "each with their own consent). CONSENT_STANDS if one stands.",
    )
    async def consent_record(
        self,
        info: Info,
        elder_id: Annotated[strawberry.ID, strawberry.argument(description="The Elder's global ID.")],
        consent: Annotated[ElderConsentInput, strawberry.argument(description="The new consent.")],
    ) -> ElderRecordResult:
        ctx = info.context
        work = elder_office.record_consent(
            session=ctx.session,
            viewer=ctx.viewer,
            elder_id=pk_of(elder_id, "Elder"),
            consent=_consent(consent),
            now=ctx.clock(),
        )
        return await _record(info, work)

    @strawberry.mutation(
        extensions=has_role(*RUNS_ELDERS),
        description="A family member (a resident, by phone) follows the elder from their next request on, on "
        "the elder's separate consent to sharing with them (PIPL art. 29), whose record is referenced.",
    )
    async def family_link_add(
        self,
        info: Info,
        elder_id: Annotated[strawberry.ID, strawberry.argument(description="The Elder's global ID.")],
        phone: Annotated[str, strawberry.argument(description="The family member's registered mobile.")],
        relationship: Annotated[str, strawberry.argument(description="1–30 characters, e.g. 儿子.")],
        consent_reference: Annotated[
            str, strawberry.argument(description="The record of the elder's consent to share with them.")
        ],
    ) -> FamilyLinkResult:
        ctx = info.context
        work = elder_office.add_family_link(
            session=ctx.session,
            viewer=ctx.viewer,
            elder_id=pk_of(elder_id, "Elder"),
            phone=phone,
            relationship=relationship,
            consent_reference=consent_reference,
            now=ctx.clock(),
        )
        return await mutation_result(info, work, FamilyLink.from_model)

    @strawberry.mutation(
        extensions=has_role(*RUNS_ELDERS),
        description="The family member stops following the elder from their next request on, and is told.",
    )
    async def family_link_remove(
        self,
        info: Info,
        elder_id: Annotated[strawberry.ID, strawberry.argument(description="The Elder's global ID.")],
        person_id: Annotated[
            strawberry.ID, strawberry.argument(description="The family member's Person ID.")
        ],
    ) -> FamilyLinkResult:
        ctx = info.context
        work = elder_office.remove_family_link(
            session=ctx.session,
            viewer=ctx.viewer,
            elder_id=pk_of(elder_id, "Elder"),
            person_id=pk_of(person_id, "Person"),
            now=ctx.clock(),
        )
        return await mutation_result(info, work, FamilyLink.from_model)
