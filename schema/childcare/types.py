"""Childcare types of the graph: centres, classes, sessions, children, bookings, results and inputs."""

from datetime import date, datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from models import childcare as childcare_models
from models.people import Role
from resolvers import loaders
from resolvers.people import mask_phone
from schema.common import (
    DomainError,
    Node,
    NotFound,
    RuleViolation,
    encode_global_id,
    register_domain_errors,
)
from schema.node import load_for_viewer, register_node

CareType = strawberry.enum(childcare_models.CareType, name="CareType")
ClassKind = strawberry.enum(childcare_models.ClassKind, name="ClassKind")
ChildcareBookingStatus = strawberry.enum(childcare_models.BookingStatus, name="ChildcareBookingStatus")
MAX_RANGE_DAYS = 31


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

    @classmethod
    def from_model(cls, model: childcare_models.ChildcareCenter) -> "ChildcareCenter":
        return cls(id=encode_global_id("ChildcareCenter", model.id), name=model.name, model=model)

    @strawberry.field
    async def classes(self, info: Info) -> list[ChildcareClass]:
        models = await info.context.loader(loaders.childcare_classes_by_center_id_loader).load(self.model.id)
        return [ChildcareClass.from_model(model) for model in models]


@register_node("ChildcareCenter")
async def fetch_center(info: Info, pk: int) -> ChildcareCenter | None:
    model = await info.context.loader(loaders.childcare_center_by_id_loader).load(pk)
    return ChildcareCenter.from_model(model) if model is not None else None


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

    @classmethod
    def shown(cls, info: Info, model: childcare_models.Child) -> "Child":
        """The child as the viewer gets it: a minor's data, so the read is logged."""
        info.context.note_child_read(model.id, "profile")
        return cls.from_model(model)

    @strawberry.field
    async def bookings(self, info: Info) -> list["ChildcareBooking"]:
        info.context.note_child_read(self.model.id, "bookings")
        models = await info.context.loader(loaders.bookings_by_child_id_loader).load(self.model.id)
        return [ChildcareBooking.shown(info, model) for model in models]

    @strawberry.field(description="The adults who may pick the child up (their PINs are never shown again).")
    async def pickup_persons(self, info: Info) -> list[PickupPerson]:
        info.context.note_child_read(self.model.id, "pickup")
        models = await info.context.loader(loaders.pickup_persons_by_child_id_loader).load(self.model.id)
        full = await may_see_pickup_phones(info, self.model.id)
        return [
            PickupPerson(name=model.name, phone=model.phone if full else mask_phone(model.phone))
            for model in models
        ]


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

    @classmethod
    def shown(cls, info: Info, model: childcare_models.ChildcareBooking) -> "ChildcareBooking":
        """A booking tells where a child is and when: logged as a read of the child's bookings."""
        info.context.note_child_read(model.child_id, "bookings")
        return cls.from_model(model)

    @strawberry.field
    async def child(self, info: Info) -> Child:
        return Child.shown(
            info, await info.context.loader(loaders.child_by_id_loader).load(self.model.child_id)
        )

    @strawberry.field
    async def session(self, info: Info) -> ChildcareSession:
        return await fetch_session(info, self.model.session_id)

    @strawberry.field(description="Place in the session's waitlist (1 = next), or null when not waitlisted.")
    async def waitlist_position(self, info: Info) -> int | None:
        if self.model.status != childcare_models.BookingStatus.WAITLISTED:
            return None
        return await info.context.loader(loaders.waitlist_position_by_booking_id_loader).load(self.model.id)


async def may_see_pickup_phones(info: Info, child_id: int) -> bool:
    """The child's guardians, and childcare staff who call and verify the person at the gate;
    administrators see the numbers masked."""
    viewer = info.context.viewer
    if viewer is not None and viewer.has_role(Role.CHILDCARE_STAFF.value):
        return True
    return await load_for_viewer(info, loaders.guardian_child_by_id_loader, child_id) is not None


def may_see_children(info: Info) -> bool:
    viewer = info.context.viewer
    return viewer is not None and viewer.has_role(Role.CHILDCARE_STAFF.value, Role.ADMIN.value)


@register_node("Child")
async def fetch_child(info: Info, pk: int) -> Child | None:
    if may_see_children(info):
        model = await info.context.loader(loaders.child_by_id_loader).load(pk)
        return Child.shown(info, model) if model is not None else None
    model = await load_for_viewer(info, loaders.guardian_child_by_id_loader, pk)
    return Child.shown(info, model) if model is not None else None


@register_node("ChildcareBooking")
async def fetch_booking(info: Info, pk: int) -> ChildcareBooking | None:
    model = await load_for_viewer(info, loaders.visible_booking_by_id_loader, pk)
    return ChildcareBooking.shown(info, model) if model is not None else None


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
