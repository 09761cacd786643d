"""托育 in the graph: centres, classes, sessions, children, bookings, check-in and PIN pick-up.

Children's data is shown only to their guardians and childcare staff.
"""

from datetime import date, datetime, timedelta
from typing import Annotated

import strawberry
from strawberry.types import Info

from models import childcare as childcare_models
from models.people import Role
from resolvers import childcare as childcare_service
from resolvers import loaders
from resolvers.errors import DomainFailure
from schema.common import (
    DomainError,
    Node,
    NotFound,
    RuleViolation,
    bad_request,
    decode_global_id,
    encode_global_id,
    mutation_result,
    or_not_found,
    register_domain_errors,
)
from schema.node import register_node
from schema.permissions import forbidden, has_role, signed_in

CareType = strawberry.enum(childcare_models.CareType, name="CareType")
ClassKind = strawberry.enum(childcare_models.ClassKind, name="ClassKind")
ChildcareBookingStatus = strawberry.enum(childcare_models.BookingStatus, name="ChildcareBookingStatus")
MAX_RANGE_DAYS = 31


def pk_of(global_id: str, type_name: str) -> int:
    return decode_global_id(global_id, type_name)[1]


@strawberry.type
class ChildcareClass(Node):
    name: str
    kind: ClassKind
    min_age_months: int = strawberry.field(description="Inclusive.")
    max_age_months: int = strawberry.field(description="Exclusive: a child of this age has moved up.")
    capacity: int
    carer_ratio: int = strawberry.field(description="At most this many children per carer (1:N).")

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
        )


@register_node("ChildcareClass")
async def fetch_class(info: Info, pk: int) -> ChildcareClass | None:
    model = await info.context.loader(loaders.childcare_class_by_id_loader).load(pk)
    return ChildcareClass.from_model(model) if model is not None else None


@strawberry.type
class ChildcareCenter(Node):
    name: str
    model: strawberry.Private[childcare_models.ChildcareCenter]

    @strawberry.field
    async def classes(self, info: Info) -> list[ChildcareClass]:
        models = await info.context.loader(loaders.childcare_classes_by_center_id_loader).load(self.model.id)
        return [ChildcareClass.from_model(model) for model in models]


@strawberry.type
class ChildcareSession(Node):
    care_type: CareType
    start: datetime
    end: datetime
    capacity: int
    booked: int
    remaining: int
    eligible: bool | None = strawberry.field(description="Null unless childId was given.")
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
            remaining=model.capacity - model.confirmed_count,
            eligible=eligible,
            model=model,
        )

    @strawberry.field(name="class")
    async def childcare_class(self, info: Info) -> ChildcareClass:
        return await fetch_class(info, self.model.class_id)

    @strawberry.field
    async def waitlisted(self, info: Info) -> int:
        return await info.context.loader(loaders.waitlisted_count_by_session_id_loader).load(self.model.id)


@register_node("ChildcareSession")
async def fetch_session(info: Info, pk: int) -> ChildcareSession | None:
    model = await info.context.loader(loaders.childcare_session_by_id_loader).load(pk)
    return ChildcareSession.from_model(model) if model is not None else None


@strawberry.type
class PickupPerson:
    name: str
    phone: str


@strawberry.type
class PickupPersonAdded:
    person: PickupPerson
    pin: str = strawberry.field(description="Shown once; only its hash is stored.")


@strawberry.type
class Child(Node):
    name: str
    birth_date: date
    model: strawberry.Private[childcare_models.Child]

    @classmethod
    def from_model(cls, model: childcare_models.Child) -> "Child":
        return cls(
            id=encode_global_id("Child", model.id), name=model.name, birth_date=model.birth_date, model=model
        )

    @strawberry.field
    async def bookings(self, info: Info) -> list["ChildcareBooking"]:
        models = await info.context.loader(loaders.bookings_by_child_id_loader).load(self.model.id)
        return [ChildcareBooking.from_model(model) for model in models]

    @strawberry.field(description="The adults who may pick the child up (their PINs are never shown again).")
    async def pickup_persons(self, info: Info) -> list[PickupPerson]:
        models = await info.context.loader(loaders.pickup_persons_by_child_id_loader).load(self.model.id)
        return [PickupPerson(name=model.name, phone=model.phone) for model in models]


@strawberry.type
class ChildcareBooking(Node):
    status: ChildcareBookingStatus
    created_at: datetime
    checked_in_at: datetime | None
    checked_out_at: datetime | None
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

    @strawberry.field
    async def child(self, info: Info) -> Child:
        return Child.from_model(
            await info.context.loader(loaders.child_by_id_loader).load(self.model.child_id)
        )

    @strawberry.field
    async def session(self, info: Info) -> ChildcareSession:
        return await fetch_session(info, self.model.session_id)

    @strawberry.field(description="Place in the session's waitlist (1 = next), or null when not waitlisted.")
    async def waitlist_position(self, info: Info) -> int | None:
        if self.model.status != childcare_models.BookingStatus.WAITLISTED:
            return None
        return await info.context.loader(loaders.waitlist_position_by_booking_id_loader).load(self.model.id)


def may_see_children(info: Info) -> bool:
    viewer = info.context.viewer
    return viewer is not None and viewer.has_role(Role.CHILDCARE_STAFF.value, Role.ADMIN.value)


@register_node("Child")
async def fetch_child(info: Info, pk: int) -> Child | None:
    viewer = info.context.viewer
    if viewer is None:
        return None
    if may_see_children(info):
        model = await info.context.loader(loaders.child_by_id_loader).load(pk)
        return Child.from_model(model) if model is not None else None
    try:
        model = await childcare_service.guardian_child_or_error(
            session=info.context.session, viewer=viewer, child_id=pk
        )
    except DomainFailure:
        return None
    return Child.from_model(model)


@register_node("ChildcareBooking")
async def fetch_booking(info: Info, pk: int) -> ChildcareBooking | None:
    viewer = info.context.viewer
    if viewer is None:
        return None
    try:
        booking, *_ = await childcare_service.booking_for(
            session=info.context.session, viewer=viewer, booking_id=pk
        )
    except DomainFailure:
        return None
    return ChildcareBooking.from_model(booking)


@strawberry.type
class ChildNotEligible(DomainError):
    pass


@strawberry.type
class InvalidPickupPin(DomainError):
    pass


register_domain_errors(ChildNotEligible, InvalidPickupPin)


@strawberry.input
class ChildcareBookingCreateInput:
    session_id: strawberry.ID
    child_id: strawberry.ID
    idempotency_key: str | None = strawberry.UNSET


@strawberry.input
class ChildRegisterInput:
    name: str
    birth_date: date
    guardian_consent: bool


ChildRegisterResult = Annotated[Child | RuleViolation, strawberry.union("ChildRegisterResult")]
ChildPickupPersonAddResult = Annotated[
    PickupPersonAdded | RuleViolation | NotFound, strawberry.union("ChildPickupPersonAddResult")
]
ChildcareBookingCreateResult = Annotated[
    ChildcareBooking | ChildNotEligible | RuleViolation | NotFound,
    strawberry.union(
        "ChildcareBookingCreateResult", description="A full session gives a WAITLISTED booking, not an error."
    ),
]
ChildcareBookingCancelResult = Annotated[
    ChildcareBooking | RuleViolation | NotFound, strawberry.union("ChildcareBookingCancelResult")
]
ChildCheckInResult = Annotated[
    ChildcareBooking | RuleViolation | NotFound, strawberry.union("ChildCheckInResult")
]
ChildCheckOutResult = Annotated[
    ChildcareBooking | InvalidPickupPin | RuleViolation | NotFound, strawberry.union("ChildCheckOutResult")
]


async def resolve_sessions(
    info: Info,
    center_id: strawberry.ID,
    from_: Annotated[date, strawberry.argument(name="from")],
    to: date,
    child_id: strawberry.ID | None = strawberry.UNSET,
) -> list[ChildcareSession]:
    ctx = info.context
    if to < from_ or (to - from_) > timedelta(days=MAX_RANGE_DAYS):
        raise bad_request(f"查询区间须为 0–{MAX_RANGE_DAYS} 天", "DATE_RANGE_OUT_OF_BOUNDS")
    center = await or_not_found(
        childcare_service.get_center_or_error(
            session=ctx.session, center_id=pk_of(center_id, "ChildcareCenter")
        )
    )
    child = None
    if child_id:
        if ctx.viewer is None:
            raise forbidden()
        child = await or_not_found(
            childcare_service.guardian_child_or_error(
                session=ctx.session, viewer=ctx.viewer, child_id=pk_of(child_id, "Child")
            )
        )
    rows = await childcare_service.sessions_between(
        session=ctx.session, center_id=center.id, first_day=from_, last_day=to
    )
    return [
        ChildcareSession.from_model(
            slot, eligible=childcare_service.eligible(child, klass, slot.day) if child is not None else None
        )
        for slot, klass in rows
    ]


@strawberry.type
class ChildcareQuery:
    @strawberry.field
    async def childcare_centers(self, info: Info) -> list[ChildcareCenter]:
        centers = await childcare_service.list_centers(session=info.context.session)
        return [
            ChildcareCenter(id=encode_global_id("ChildcareCenter", center.id), name=center.name, model=center)
            for center in centers
        ]

    childcare_sessions: list[ChildcareSession] = strawberry.field(
        resolver=resolve_sessions,
        description="Sessions between two days; with childId, each tells whether that child is eligible.",
    )

    @strawberry.field(extensions=signed_in())
    async def my_children(self, info: Info) -> list[Child]:
        models = await childcare_service.children_of(
            session=info.context.session, person_id=info.context.viewer.person_id
        )
        return [Child.from_model(model) for model in models]

    @strawberry.field(
        extensions=has_role(Role.CHILDCARE_STAFF, Role.ADMIN),
        description="Everyone booked on a session, for its staff.",
    )
    async def childcare_session_roster(self, info: Info, session_id: strawberry.ID) -> list[ChildcareBooking]:
        ctx = info.context
        slot, _class, center = await or_not_found(
            childcare_service.session_with_center(
                session=ctx.session, session_id=pk_of(session_id, "ChildcareSession")
            )
        )
        if not childcare_service.is_childcare_staff(ctx.viewer, center):
            raise forbidden()
        return [
            ChildcareBooking.from_model(model)
            for model in await childcare_service.roster(session=ctx.session, session_id=slot.id)
        ]


@strawberry.type
class ChildcareMutation:
    @strawberry.mutation(
        extensions=signed_in(),
        description="A guardian registers a child (with consent to process the child's data).",
    )
    async def child_register(self, info: Info, input: ChildRegisterInput) -> ChildRegisterResult:
        ctx = info.context
        work = childcare_service.register_child(
            session=ctx.session,
            viewer=ctx.viewer,
            name=input.name,
            birth_date=input.birth_date,
            consent=input.guardian_consent,
            now=ctx.clock(),
        )
        return await mutation_result(ctx, work, Child.from_model)

    @strawberry.mutation(
        extensions=signed_in(),
        description="A guardian names an adult who may pick the child up; the PIN is shown once.",
    )
    async def child_pickup_person_add(
        self, info: Info, child_id: strawberry.ID, name: str, phone: str
    ) -> ChildPickupPersonAddResult:
        ctx = info.context
        work = childcare_service.add_pickup_person(
            session=ctx.session, viewer=ctx.viewer, child_id=pk_of(child_id, "Child"), name=name, phone=phone
        )
        return await mutation_result(
            ctx,
            work,
            lambda made: PickupPersonAdded(
                person=PickupPerson(name=made[0].name, phone=made[0].phone), pin=made[1]
            ),
        )

    @strawberry.mutation(extensions=signed_in())
    async def childcare_booking_create(
        self, info: Info, input: ChildcareBookingCreateInput
    ) -> ChildcareBookingCreateResult:
        ctx = info.context
        request = childcare_service.BookingRequest(
            session_id=pk_of(input.session_id, "ChildcareSession"),
            child_id=pk_of(input.child_id, "Child"),
            idempotency_key=input.idempotency_key or None,
        )
        work = childcare_service.create_booking(
            session=ctx.session, viewer=ctx.viewer, request=request, now=ctx.clock()
        )
        return await mutation_result(ctx, work, ChildcareBooking.from_model)

    @strawberry.mutation(extensions=signed_in())
    async def childcare_booking_cancel(self, info: Info, id: strawberry.ID) -> ChildcareBookingCancelResult:
        ctx = info.context
        work = childcare_service.cancel_booking(
            session=ctx.session, viewer=ctx.viewer, booking_id=pk_of(id, "ChildcareBooking"), now=ctx.clock()
        )
        return await mutation_result(ctx, work, ChildcareBooking.from_model)

    @strawberry.mutation(extensions=has_role(Role.CHILDCARE_STAFF, Role.ADMIN))
    async def child_check_in(self, info: Info, booking_id: strawberry.ID) -> ChildCheckInResult:
        ctx = info.context
        work = childcare_service.check_in_child(
            session=ctx.session,
            viewer=ctx.viewer,
            booking_id=pk_of(booking_id, "ChildcareBooking"),
            now=ctx.clock(),
        )
        return await mutation_result(ctx, work, ChildcareBooking.from_model)

    @strawberry.mutation(extensions=has_role(Role.CHILDCARE_STAFF, Role.ADMIN))
    async def child_check_out(
        self, info: Info, booking_id: strawberry.ID, pickup_pin: str
    ) -> ChildCheckOutResult:
        ctx = info.context
        work = childcare_service.check_out_child(
            session=ctx.session,
            viewer=ctx.viewer,
            booking_id=pk_of(booking_id, "ChildcareBooking"),
            pin=pickup_pin,
            now=ctx.clock(),
        )
        return await mutation_result(ctx, work, ChildcareBooking.from_model)

    @strawberry.mutation(
        extensions=has_role(Role.CHILDCARE_STAFF, Role.ADMIN),
        description="Staff who have verified the adult in person lift the lock after too many wrong PINs.",
    )
    async def child_check_out_unlock(self, info: Info, booking_id: strawberry.ID) -> ChildCheckInResult:
        ctx = info.context
        work = childcare_service.unlock_check_out(
            session=ctx.session, viewer=ctx.viewer, booking_id=pk_of(booking_id, "ChildcareBooking")
        )
        return await mutation_result(ctx, work, ChildcareBooking.from_model)
