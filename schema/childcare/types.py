"""Childcare types of the graph: centres, classes, sessions, children, bookings, results and inputs."""

from datetime import date, datetime
from typing import Annotated, ClassVar

import strawberry
from strawberry.types import Info

from models import childcare as childcare_models
from resolvers.childcare import errors as childcare_failures
from resolvers.childcare import loaders as childcare_loaders
from resolvers.childcare.bookings import places
from resolvers.errors import DomainFailure
from resolvers.people import mask_phone
from schema.common import (
    DomainError,
    Node,
    NotFound,
    RuleViolation,
    described_enum,
    encode_global_id,
)
from schema.node import load_for_viewer, register_node

CareType = described_enum(
    childcare_models.CareType,
    name="CareType",
    description="The kind of care a session offers.",
    values={
        "FULL_DAY": "全日托: full-day care.",
        "HALF_DAY": "半日托: half-day care (a morning or an afternoon).",
        "HOURLY": "计时托: care by the hour, a few hours at a time.",
        "OCCASIONAL": "临时托: occasional, drop-in care.",
    },
)
ClassKind = described_enum(
    childcare_models.ClassKind,
    name="ClassKind",
    description="The age class a ChildcareClass is; its ages, size and carer ratio stay within the 2019 "
    "national rules (国卫人口发〔2019〕58号), which the database enforces.",
    values={
        "INFANT": "乳儿班: 6–12 months, at most 10 children, at least 1 carer per 3 children.",
        "TODDLER": "托小班: 12–24 months, at most 15 children, at least 1 carer per 5.",
        "PRESCHOOL": "托大班: 24–36 months, at most 20 children, at least 1 carer per 7.",
        "MIXED": "混合班 (mixed ages): from 18 months up to 36, at most 18 children; at least 1 carer per 7 "
        "(this service's limit).",
    },
)
ChildcareBookingStatus = described_enum(
    childcare_models.BookingStatus,
    name="ChildcareBookingStatus",
    description="Where a childcare booking stands. CONFIRMED, CHECKED_IN and CHECKED_OUT hold a place "
    "(ChildcareSession.booked).",
    values={
        "CONFIRMED": "Holds a place; staff check the child in on the session day.",
        "WAITLISTED": "In line for a place (see waitlistPosition); confirmed at once when a place frees up, "
        "if the child is still eligible.",
        "CANCELLED": "Cancelled before the start: a place given up at least 24 h before the start (the "
        "centre's setting), or a waitlisted booking withdrawn.",
        "CHECKED_IN": "The child is in care: checked in by staff.",
        "CHECKED_OUT": "The child was picked up by an authorised adult with their PIN.",
        "ABSENT": "A place given up less than 24 h before the start (the centre's setting): recorded as an "
        "absence.",
    },
)
MAX_RANGE_DAYS = 31


@strawberry.type(
    description="An age class of a centre (e.g. 乳儿班); its sessions come from its weekly timetable. Public."
)
class ChildcareClass(Node):
    name: str = strawberry.field(description="The class's name, in Chinese (e.g. 乳儿班, 托小班).")
    kind: ClassKind = strawberry.field(description="Its kind under the national rules.")
    min_age_months: int = strawberry.field(
        description="Youngest age admitted, in complete months (Civil Code art. 202): inclusive."
    )
    max_age_months: int = strawberry.field(
        description="Age in complete months at which a child has moved up: exclusive (at most 36)."
    )
    capacity: int = strawberry.field(
        description="Class size: most children in the class (national limit by kind: INFANT 10, "
        "TODDLER 15, PRESCHOOL 20, MIXED 18)."
    )
    carer_ratio: int = strawberry.field(
        description="At most this many children per carer (1:N), within the national ratio of its kind: a "
        "session confirms at most its carers on duty × this many children."
    )
    model: strawberry.Private[childcare_models.ChildcareClass]

    @classmethod
    def from_model(cls, model: childcare_models.ChildcareClass) -> "ChildcareClass":
        return cls(
            id=encode_global_id("ChildcareClass", model.id),
            name=model.name,
            kind=ClassKind(model.kind),
            min_age_months=model.min_age_months,
            max_age_months=model.max_age_months,
            capacity=model.capacity,
            carer_ratio=model.carer_ratio,
            model=model,
        )

    @strawberry.field(
        description="The class's weekly timetable, by weekday and start: sessions are generated from it "
        "for the coming three weeks."
    )
    async def timetable(self, info: Info) -> list["ChildcareTimetableEntry"]:
        models = await info.context.loader(childcare_loaders.childcare_timetable_by_class_id_loader).load(
            self.model.id
        )
        return [ChildcareTimetableEntry.from_model(model) for model in models]


@strawberry.type(description="A weekly session of a class (e.g. Mondays 08:00–17:00, full day, 10 places).")
class ChildcareTimetableEntry:
    weekday: int = strawberry.field(description="ISO weekday: 1 = Monday … 7 = Sunday.")
    care_type: CareType = strawberry.field(description="The kind of care.")
    starts_at: str = strawberry.field(description="Start, Asia/Shanghai wall-clock time (HH:MM).")
    ends_at: str = strawberry.field(description="End, Asia/Shanghai wall-clock time (HH:MM).")
    capacity: int = strawberry.field(description="Places each of its sessions offers.")

    @classmethod
    def from_model(cls, model: childcare_models.TimetableEntry) -> "ChildcareTimetableEntry":
        return cls(
            weekday=model.weekday,
            care_type=CareType(model.care_type),
            starts_at=f"{model.starts_at:%H:%M}",
            ends_at=f"{model.ends_at:%H:%M}",
            capacity=model.capacity,
        )


@register_node("ChildcareClass")
async def fetch_class(info: Info, pk: int) -> ChildcareClass | None:
    model = await info.context.loader(childcare_loaders.childcare_class_by_id_loader).load(pk)
    return ChildcareClass.from_model(model) if model is not None else None


@strawberry.type(description="A 托育 centre for children under 3 in a community. Public.")
class ChildcareCenter(Node):
    name: str = strawberry.field(description="The centre's name, in Chinese.")
    model: strawberry.Private[childcare_models.ChildcareCenter]

    @classmethod
    def from_model(cls, model: childcare_models.ChildcareCenter) -> "ChildcareCenter":
        return cls(id=encode_global_id("ChildcareCenter", model.id), name=model.name, model=model)

    @strawberry.field(description="The centre's age classes, youngest first.")
    async def classes(self, info: Info) -> list[ChildcareClass]:
        models = await info.context.loader(childcare_loaders.childcare_classes_by_center_id_loader).load(
            self.model.id
        )
        return [ChildcareClass.from_model(model) for model in models]


@register_node("ChildcareCenter")
async def fetch_center(info: Info, pk: int) -> ChildcareCenter | None:
    model = await info.context.loader(childcare_loaders.childcare_center_by_id_loader).load(pk)
    return ChildcareCenter.from_model(model) if model is not None else None


@strawberry.type(description="A carer on duty: a person holding CHILDCARE_STAFF in the centre's community.")
class ChildcareCarer:
    id: strawberry.ID = strawberry.field(description="The carer's Person ID.")
    name: str = strawberry.field(description="The carer's name.")

    @classmethod
    def of(cls, person) -> "ChildcareCarer":
        return cls(id=encode_global_id("Person", person.id), name=person.name)


@strawberry.type(
    description="A dated session of a class: one care type for a period of one Asia/Shanghai calendar day, "
    "with a number of places; generated three weeks ahead from the class's weekly timetable. Public: "
    "places and counts, never who booked; who is on duty (carers) only for the centre's staff."
)
class ChildcareSession(Node):
    care_type: CareType = strawberry.field(description="The kind of care (全日托, 半日托 …).")
    start: datetime = strawberry.field(description="When it begins (answered in Asia/Shanghai).")
    end: datetime = strawberry.field(description="When it ends (answered in Asia/Shanghai).")
    capacity: int = strawberry.field(
        description="Places offered, in children (never more than the class size)."
    )
    booked: int = strawberry.field(
        description="Places taken, in children: CONFIRMED, CHECKED_IN and CHECKED_OUT bookings."
    )
    remaining: int = strawberry.field(
        description="Places still free, in children: min(capacity, carersOnDuty × the class's carerRatio) − "
        "booked (never below 0; 0 once cancelled); at 0 a new booking is WAITLISTED."
    )
    carers_on_duty: int = strawberry.field(
        description="Carers rostered for the session: it confirms at most this many × the class's carerRatio "
        "children (none without a carer)."
    )
    cancelled_at: datetime | None = strawberry.field(
        description="When staff cancelled the session (a closure; its bookings were cancelled and guardians "
        "told); null while it runs."
    )
    cancel_reason: str | None = strawberry.field(description="Why it was cancelled; null while it runs.")
    eligible: bool | None = strawberry.field(
        description=(
            "Whether the child's age in complete months on the session day is within the class's range "
            "(months as the Civil Code art. 202 counts them: born 31 Oct, 6 months on 30 Apr). "
            "Null unless childId was given."
        )
    )
    model: strawberry.Private[childcare_models.ChildcareSession]

    @classmethod
    def from_model(
        cls, model: childcare_models.ChildcareSession, eligible: bool | None = None
    ) -> "ChildcareSession":
        return cls(
            id=encode_global_id("ChildcareSession", model.id),
            care_type=CareType(model.care_type),
            start=model.period.lower,
            end=model.period.upper,
            capacity=model.capacity,
            booked=model.confirmed_count,
            remaining=max(0, places(model) - model.confirmed_count),
            carers_on_duty=model.carer_count,
            cancelled_at=model.cancelled_at,
            cancel_reason=model.cancel_reason,
            eligible=eligible,
            model=model,
        )

    @strawberry.field(name="class", description="The age class the session is of.")
    async def childcare_class(self, info: Info) -> ChildcareClass:
        return await fetch_class(info, self.model.class_id)

    @strawberry.field(description="How many children wait for a place (WAITLISTED bookings).")
    async def waitlisted(self, info: Info) -> int:
        return await info.context.loader(childcare_loaders.waitlisted_count_by_session_id_loader).load(
            self.model.id
        )

    @strawberry.field(
        description="The carers on duty (its roster: childcareSessionCarerAssign, …Remove), by name. "
        "CHILDCARE_STAFF of the centre's community, or ADMIN; null for anyone else (guardians, residents, "
        "staff of another community)."
    )
    async def carers(self, info: Info) -> list[ChildcareCarer] | None:
        people = await info.context.loader(childcare_loaders.carers_by_session_id_loader).load(self.model.id)
        if people is None:
            return None
        return [
            ChildcareCarer(id=encode_global_id("Person", person.id), name=person.name) for person in people
        ]


@register_node("ChildcareSession")
async def fetch_session(info: Info, pk: int) -> ChildcareSession | None:
    model = await info.context.loader(childcare_loaders.childcare_session_by_id_loader).load(pk)
    return ChildcareSession.from_model(model) if model is not None else None


@strawberry.type(
    description="An adult a guardian has named to pick the child up, with a personal PIN (stored hashed, "
    "never shown again)."
)
class PickupPerson:
    name: str = strawberry.field(description="The adult's name.")
    phone: str = strawberry.field(
        description="The adult's mobile number: whole for the child's guardians and for CHILDCARE_STAFF of a "
        "centre the child is booked at (who verify the adult at the gate); masked (138****0001) for ADMIN."
    )


@strawberry.type(
    description="A pick-up adult just named, with the PIN to hand them (the only time it is shown)."
)
class PickupPersonAdded:
    person: PickupPerson = strawberry.field(
        description="The adult, as the guardian gave them (phone whole, normalised: 13800000001)."
    )
    pin: str = strawberry.field(
        description="6 digits, shown this once; only its hash is stored. Staff check the child out with it."
    )


@strawberry.type(
    description="A child registered before the age of 3 by a guardian with consent (a minor's data: PIPL "
    "art. 28, 31). Seen only by its guardians, CHILDCARE_STAFF of a community where the child has a "
    "booking at a centre, and ADMIN; every read is logged."
)
class Child(Node):
    name: str = strawberry.field(description="The child's name.")
    birth_date: date = strawberry.field(
        description="Date of birth; ages count from it in complete months (Civil Code art. 202)."
    )
    model: strawberry.Private[childcare_models.Child]

    @classmethod
    def from_model(cls, model: childcare_models.Child) -> "Child":
        return cls(
            id=encode_global_id("Child", model.id), name=model.name, birth_date=model.birth_date, model=model
        )

    @classmethod
    def logged_read(cls, info: Info, model: childcare_models.Child) -> "Child":
        """The child as the viewer gets it: a minor's data, so the read is logged."""
        info.context.note_child_read(model.id, "profile")
        return cls.from_model(model)

    @strawberry.field(
        description="The child's bookings the viewer may see, latest session first: all of them for "
        "guardians and ADMIN; for CHILDCARE_STAFF those at centres of their community."
    )
    async def bookings(self, info: Info) -> list["ChildcareBooking"]:
        info.context.note_child_read(self.model.id, "bookings")
        models = await info.context.loader(childcare_loaders.visible_bookings_by_child_id_loader).load(
            self.model.id
        )
        return [ChildcareBooking.logged_read(info, model) for model in models]

    @strawberry.field(
        description="The adults who may pick the child up, in the order they were named (their PINs are "
        "never shown again); phones whole for guardians and the child's centres' CHILDCARE_STAFF, masked "
        "for ADMIN."
    )
    async def pickup_persons(self, info: Info) -> list[PickupPerson]:
        info.context.note_child_read(self.model.id, "pickup")
        models = await info.context.loader(childcare_loaders.pickup_persons_by_child_id_loader).load(
            self.model.id
        )
        full = await may_see_pickup_phones(info, self.model.id)
        return [
            PickupPerson(name=model.name, phone=model.phone if full else mask_phone(model.phone))
            for model in models
        ]


@strawberry.type(
    description="A child's booking of a session. Seen by the child's guardians, CHILDCARE_STAFF of the "
    "centre's community, and ADMIN; every read is logged."
)
class ChildcareBooking(Node):
    status: ChildcareBookingStatus = strawberry.field(description="Where it stands.")
    created_at: datetime = strawberry.field(description="When it was booked.")
    checked_in_at: datetime | None = strawberry.field(
        description="When staff checked the child in; null until then."
    )
    checked_out_at: datetime | None = strawberry.field(
        description="When the child was picked up (checked out with a PIN); null until then."
    )
    model: strawberry.Private[childcare_models.ChildcareBooking]

    @classmethod
    def from_model(cls, model: childcare_models.ChildcareBooking) -> "ChildcareBooking":
        return cls(
            id=encode_global_id("ChildcareBooking", model.id),
            status=ChildcareBookingStatus(model.status),
            created_at=model.created_at,
            checked_in_at=model.checked_in_at,
            checked_out_at=model.checked_out_at,
            model=model,
        )

    @classmethod
    def logged_read(cls, info: Info, model: childcare_models.ChildcareBooking) -> "ChildcareBooking":
        """A booking tells where a child is and when: logged as a read of the child's bookings."""
        info.context.note_child_read(model.child_id, "bookings")
        return cls.from_model(model)

    @strawberry.field(description="The child booked.")
    async def child(self, info: Info) -> Child:
        return Child.logged_read(
            info, await info.context.loader(childcare_loaders.child_by_id_loader).load(self.model.child_id)
        )

    @strawberry.field(description="The session booked.")
    async def session(self, info: Info) -> ChildcareSession:
        return await fetch_session(info, self.model.session_id)

    @strawberry.field(description="Place in the session's waitlist (1 = next), or null when not waitlisted.")
    async def waitlist_position(self, info: Info) -> int | None:
        if self.model.status != childcare_models.BookingStatus.WAITLISTED:
            return None
        return await info.context.loader(childcare_loaders.waitlist_position_by_booking_id_loader).load(
            self.model.id
        )


async def may_see_pickup_phones(info: Info, child_id: int) -> bool:
    """The child's guardians, and childcare staff of a centre the child is booked at, who call and
    verify the person at the gate; administrators see the numbers masked."""
    return bool(
        await load_for_viewer(info, childcare_loaders.pickup_phones_whole_by_child_id_loader, child_id)
    )


@register_node("Child")
async def fetch_child(info: Info, pk: int) -> Child | None:
    model = await load_for_viewer(info, childcare_loaders.visible_child_by_id_loader, pk)
    return Child.logged_read(info, model) if model is not None else None


@register_node("ChildcareBooking")
async def fetch_booking(info: Info, pk: int) -> ChildcareBooking | None:
    model = await load_for_viewer(info, childcare_loaders.visible_booking_by_id_loader, pk)
    return ChildcareBooking.logged_read(info, model) if model is not None else None


@strawberry.type(
    description="CHILD_NOT_ELIGIBLE: the child's age in complete months on the session day (Civil Code "
    "art. 202) is outside the class's range, minAgeMonths inclusive to maxAgeMonths exclusive."
)
class ChildNotEligible(DomainError):
    answers: ClassVar[type[DomainFailure]] = childcare_failures.ChildNotEligible


@strawberry.type(
    description="INVALID_PICKUP_PIN: no authorised pick-up adult of the child has that PIN. The attempt "
    "counts: after the centre's limit (5 by default) on one booking, check-out is locked (CHECKOUT_LOCKED) "
    "until staff call childCheckOutUnlock; wrong PINs also count toward a limit per person and per address "
    "(beyond it: RATE_LIMITED)."
)
class InvalidPickupPin(DomainError):
    answers: ClassVar[type[DomainFailure]] = childcare_failures.InvalidPickupPin


@strawberry.input(description="Which child to book on which session.")
class ChildcareBookingCreateInput:
    session_id: strawberry.ID = strawberry.field(
        description="Global ID of the ChildcareSession (from childcareSessions): not started yet "
        "(SESSION_STARTED), on a day at most the centre's horizon (14 days by default) ahead (TOO_FAR_AHEAD)."
    )
    child_id: strawberry.ID = strawberry.field(
        description="Global ID of a Child the viewer is guardian of (any other: NotFound)."
    )
    idempotency_key: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Optional key the client chooses (at most 100 characters) to make retries safe: the same "
        "key from the same person answers the booking it first made; with a different request, "
        "IDEMPOTENCY_KEY_REUSED.",
    )


@strawberry.input(description="A child to register; the caller becomes its guardian.")
class ChildRegisterInput:
    name: str = strawberry.field(
        description="The child's name: not blank, at most 50 characters (else INVALID_NAME); stored trimmed."
    )
    birth_date: date = strawberry.field(
        description="Date of birth: not after today (INVALID_BIRTH_DATE), and under 36 complete months old "
        "today, Asia/Shanghai (NOT_UNDER_THREE)."
    )
    guardian_consent: bool = strawberry.field(
        description="The guardian consents to the processing of the child's data (PIPL art. 31): must be "
        "true, or nothing is stored (CONSENT_REQUIRED)."
    )


ChildRegisterResult = Annotated[
    Child | RuleViolation,
    strawberry.union(
        "ChildRegisterResult",
        description="The child registered, or RuleViolation: CONSENT_REQUIRED, INVALID_NAME, "
        "INVALID_BIRTH_DATE, NOT_UNDER_THREE.",
    ),
]
ChildPickupPersonAddResult = Annotated[
    PickupPersonAdded | RuleViolation | NotFound,
    strawberry.union(
        "ChildPickupPersonAddResult",
        description="The adult with their PIN (shown once), or RuleViolation (INVALID_NAME, INVALID_PHONE, "
        "PICKUP_PERSON_EXISTS), or NotFound (not a child of the viewer's).",
    ),
]
ChildcareBookingCreateResult = Annotated[
    ChildcareBooking | ChildNotEligible | RuleViolation | NotFound,
    strawberry.union(
        "ChildcareBookingCreateResult",
        description="The booking: CONFIRMED while places remain; a full session gives a WAITLISTED booking "
        "(with its waitlistPosition), not an error. Or ChildNotEligible; RuleViolation (SESSION_STARTED, "
        "TOO_FAR_AHEAD, OVERLAPPING_BOOKING, IDEMPOTENCY_KEY_REUSED); NotFound (no such session, or not a "
        "child of the viewer's).",
    ),
]
ChildcareBookingCancelResult = Annotated[
    ChildcareBooking | RuleViolation | NotFound,
    strawberry.union(
        "ChildcareBookingCancelResult",
        description="The booking after cancelling (CANCELLED, or ABSENT for a place given up less than 24 h "
        "before the start); or RuleViolation (NOT_ACTIVE, SESSION_STARTED); or NotFound.",
    ),
]
ChildCheckInResult = Annotated[
    ChildcareBooking | RuleViolation | NotFound,
    strawberry.union(
        "ChildCheckInResult",
        description="The booking after childCheckIn (CHECKED_IN) or childCheckOutUnlock; or RuleViolation "
        "(STAFF_ONLY; on check-in also NOT_CONFIRMED, NOT_SESSION_DAY); or NotFound.",
    ),
]
ChildCheckOutResult = Annotated[
    ChildcareBooking | InvalidPickupPin | RuleViolation | NotFound,
    strawberry.union(
        "ChildCheckOutResult",
        description="The booking, now CHECKED_OUT; or InvalidPickupPin; RuleViolation (STAFF_ONLY, "
        "NOT_CHECKED_IN, CHECKOUT_LOCKED); or NotFound.",
    ),
]


@strawberry.type(description="A session with its roster of carers on duty, after a change of it.")
class ChildcareSessionCarers:
    session: ChildcareSession = strawberry.field(description="The session (carersOnDuty, remaining …).")
    carers: list[ChildcareCarer] = strawberry.field(description="Its carers on duty, by name.")

    @classmethod
    def from_result(cls, made) -> "ChildcareSessionCarers":
        return cls(
            session=ChildcareSession.from_model(made.slot),
            carers=[ChildcareCarer.of(person) for person in made.carers],
        )


@strawberry.input(description="A new age class of a centre, within the national rules of its kind.")
class ChildcareClassCreateInput:
    center_id: strawberry.ID = strawberry.field(
        description="Global ID of the ChildcareCenter (NOT_FOUND if none); the caller must be its "
        "community's CHILDCARE_STAFF or ADMIN (staff of another community: NOT_FOUND)."
    )
    name: str = strawberry.field(
        description="1–100 characters, trimmed (INVALID_NAME); unique in the centre (CLASS_NAME_TAKEN)."
    )
    kind: ClassKind = strawberry.field(description="Its kind under the national rules.")
    min_age_months: int = strawberry.field(description="Youngest age admitted, complete months (inclusive).")
    max_age_months: int = strawberry.field(
        description="Age at which a child has moved up (exclusive); above min (INVALID_CLASS)."
    )
    capacity: int = strawberry.field(
        description="Class size; with the ages and ratio within the kind's national rules "
        "(NATIONAL_CLASS_RULES)."
    )
    carer_ratio: int = strawberry.field(description="At most this many children per carer (INFANT ≤ 3 …).")


@strawberry.input(description="What to change of a class; omitted or null fields stay as they are.")
class ChildcareClassUpdateInput:
    name: str | None = strawberry.field(
        default=None, description="A new name (CLASS_NAME_TAKEN, INVALID_NAME)."
    )
    kind: ClassKind | None = strawberry.field(default=None, description="A new kind (NATIONAL_CLASS_RULES).")
    min_age_months: int | None = strawberry.field(default=None, description="Youngest age admitted.")
    max_age_months: int | None = strawberry.field(default=None, description="Age at which a child moves up.")
    capacity: int | None = strawberry.field(
        default=None,
        description="Class size: not below the places of its sessions and timetable (CLASS_SIZE_EXCEEDED).",
    )
    carer_ratio: int | None = strawberry.field(
        default=None,
        description="Children per carer: not so low that a session's carers could no longer look after its "
        "confirmed children (CARER_RATIO_EXCEEDED).",
    )


@strawberry.input(description="A weekly session of the class.")
class ChildcareTimetableEntryInput:
    weekday: int = strawberry.field(description="ISO weekday, 1 = Monday … 7 (INVALID_TIMETABLE_ENTRY).")
    care_type: CareType = strawberry.field(description="The kind of care.")
    starts_at: str = strawberry.field(description="Start, Asia/Shanghai, HH:MM (e.g. 08:30).")
    ends_at: str = strawberry.field(description="End, Asia/Shanghai, HH:MM, after the start.")
    capacity: int = strawberry.field(
        description="Places of each session: at least 1, at most the class size (CLASS_SIZE_EXCEEDED)."
    )
    carer_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description="Person IDs of the carers on duty each week (CHILDCARE_STAFF of the centre's community, "
        "else CARER_NOT_STAFF): copied onto each session generated from the entry.",
    )


ChildcareClassResult = Annotated[
    ChildcareClass | RuleViolation | NotFound,
    strawberry.union(
        "ChildcareClassResult",
        description="The class as it now is (with its timetable); or RuleViolation ("
        "NATIONAL_CLASS_RULES, INVALID_CLASS, INVALID_NAME, CLASS_NAME_TAKEN, CLASS_SIZE_EXCEEDED, "
        "CARER_RATIO_EXCEEDED; for the timetable also INVALID_TIMETABLE_ENTRY, DUPLICATE_TIMETABLE_ENTRY, "
        "TIMETABLE_SESSIONS_BOOKED, CARER_NOT_STAFF); or NotFound. Nothing is written on a refusal.",
    ),
]
ChildcareSessionCancelResult = Annotated[
    ChildcareSession | RuleViolation | NotFound,
    strawberry.union(
        "ChildcareSessionCancelResult",
        description="The session, now cancelled; or RuleViolation (REASON_REQUIRED, "
        "SESSION_CANCELLED, SESSION_STARTED); or NotFound.",
    ),
]
ChildcareSessionCarersResult = Annotated[
    ChildcareSessionCarers | RuleViolation | NotFound,
    strawberry.union(
        "ChildcareSessionCarersResult",
        description="The session with its roster; or RuleViolation (SESSION_ENDED, "
        "SESSION_CANCELLED, CARER_NOT_STAFF, CARER_ALREADY_ON_DUTY, CARER_NOT_ON_DUTY, "
        "CARER_RATIO_EXCEEDED); or NotFound.",
    ),
]
