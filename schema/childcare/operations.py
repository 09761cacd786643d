"""The childcare root fields: queries and mutations."""

from datetime import date, timedelta
from typing import Annotated

import strawberry
from strawberry.types import Info

from models.people import Role
from resolvers import childcare as childcare_service
from schema.childcare.types import (
    MAX_RANGE_DAYS,
    Child,
    ChildcareBooking,
    ChildcareBookingCancelResult,
    ChildcareBookingCreateInput,
    ChildcareBookingCreateResult,
    ChildcareCenter,
    ChildcareSession,
    ChildCheckInResult,
    ChildCheckOutResult,
    ChildPickupPersonAddResult,
    ChildRegisterInput,
    ChildRegisterResult,
    PickupPerson,
    PickupPersonAdded,
)
from schema.common import (
    bad_request,
    mutation_result,
    or_not_found,
    pk_of,
)
from schema.limits import code_quotas, count_attempt, forgive_attempt
from schema.permissions import forbidden, has_role, signed_in, unauthenticated


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
            raise unauthenticated()
        child = await or_not_found(
            childcare_service.visible_child_or_error(
                session=ctx.session, viewer=ctx.viewer, child_id=pk_of(child_id, "Child")
            )
        )
        ctx.note_child_read(child.id, "profile")  # eligibility tells the child's age
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
        return [ChildcareCenter.from_model(center) for center in centers]

    childcare_sessions: list[ChildcareSession] = strawberry.field(
        resolver=resolve_sessions,
        description="Sessions between two days; with childId, each tells whether that child is eligible.",
    )

    @strawberry.field(extensions=signed_in())
    async def my_children(self, info: Info) -> list[Child]:
        models = await childcare_service.children_of(
            session=info.context.session, person_id=info.context.viewer.person_id
        )
        return [Child.shown(info, model) for model in models]

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
            ChildcareBooking.shown(info, model)
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
        return await mutation_result(ctx, work, lambda child: Child.shown(info, child))

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
        return await mutation_result(ctx, work, lambda booking: ChildcareBooking.shown(info, booking))

    @strawberry.mutation(extensions=signed_in())
    async def childcare_booking_cancel(self, info: Info, id: strawberry.ID) -> ChildcareBookingCancelResult:
        ctx = info.context
        work = childcare_service.cancel_booking(
            session=ctx.session, viewer=ctx.viewer, booking_id=pk_of(id, "ChildcareBooking"), now=ctx.clock()
        )
        return await mutation_result(ctx, work, lambda booking: ChildcareBooking.shown(info, booking))

    @strawberry.mutation(extensions=has_role(Role.CHILDCARE_STAFF, Role.ADMIN))
    async def child_check_in(self, info: Info, booking_id: strawberry.ID) -> ChildCheckInResult:
        ctx = info.context
        work = childcare_service.check_in_child(
            session=ctx.session,
            viewer=ctx.viewer,
            booking_id=pk_of(booking_id, "ChildcareBooking"),
            now=ctx.clock(),
        )
        return await mutation_result(ctx, work, lambda booking: ChildcareBooking.shown(info, booking))

    @strawberry.mutation(extensions=has_role(Role.CHILDCARE_STAFF, Role.ADMIN))
    async def child_check_out(
        self, info: Info, booking_id: strawberry.ID, pickup_pin: str
    ) -> ChildCheckOutResult:
        ctx = info.context
        quotas = code_quotas(ctx)
        await count_attempt(ctx, quotas)
        work = childcare_service.check_out_child(
            session=ctx.session,
            viewer=ctx.viewer,
            booking_id=pk_of(booking_id, "ChildcareBooking"),
            pin=pickup_pin,
            now=ctx.clock(),
        )
        result = await mutation_result(ctx, work, lambda booking: ChildcareBooking.shown(info, booking))
        if isinstance(result, ChildcareBooking):
            await forgive_attempt(ctx, quotas)  # only wrong codes count
        return result

    @strawberry.mutation(
        extensions=has_role(Role.CHILDCARE_STAFF, Role.ADMIN),
        description="Staff who have verified the adult in person lift the lock after too many wrong PINs.",
    )
    async def child_check_out_unlock(self, info: Info, booking_id: strawberry.ID) -> ChildCheckInResult:
        ctx = info.context
        work = childcare_service.unlock_check_out(
            session=ctx.session, viewer=ctx.viewer, booking_id=pk_of(booking_id, "ChildcareBooking")
        )
        return await mutation_result(ctx, work, lambda booking: ChildcareBooking.shown(info, booking))
