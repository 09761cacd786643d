"""The childcare root fields: queries and mutations."""

from datetime import date, timedelta
from typing import Annotated

import strawberry
from strawberry.types import Info

from models.people import Role
from resolvers import childcare as childcare_service
from schema.abuse import CountsAttempts, answer_is, code_quotas
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
    InvalidPickupPin,
    PickupPerson,
    PickupPersonAdded,
)
from schema.common import (
    bad_request,
    mutation_result,
    or_not_found,
    pk_of,
)
from schema.permissions import forbidden, has_role, signed_in, unauthenticated

BOOKING_ID = strawberry.argument(description="Global ID of the ChildcareBooking.")


async def resolve_sessions(
    info: Info,
    center_id: Annotated[
        strawberry.ID,
        strawberry.argument(
            description="Global ID of the ChildcareCenter (from childcareCenters); one that does not exist: "
            "NOT_FOUND."
        ),
    ],
    from_: Annotated[
        date,
        strawberry.argument(name="from", description="The first calendar day, Asia/Shanghai (inclusive)."),
    ],
    to: Annotated[
        date,
        strawberry.argument(
            description=f"The last calendar day, Asia/Shanghai (inclusive): not before `from` and at most "
            f"{MAX_RANGE_DAYS} days after it (else BAD_REQUEST, reason DATE_RANGE_OUT_OF_BOUNDS)."
        ),
    ],
    child_id: Annotated[
        strawberry.ID | None,
        strawberry.argument(
            description="Global ID of a Child, to fill in `eligible`: needs sign-in (UNAUTHENTICATED) and a "
            "child the viewer may see — their own as guardian, one booked at their community's centres as "
            "CHILDCARE_STAFF, any as ADMIN (else NOT_FOUND); the read is logged."
        ),
    ] = strawberry.UNSET,
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
    @strawberry.field(description="Every childcare centre, in the order they were created. Public.")
    async def childcare_centers(self, info: Info) -> list[ChildcareCenter]:
        centers = await childcare_service.list_centers(session=info.context.session)
        return [ChildcareCenter.from_model(center) for center in centers]

    childcare_sessions: list[ChildcareSession] = strawberry.field(
        resolver=resolve_sessions,
        description="A centre's sessions on the calendar days from `from` to `to` (Asia/Shanghai, both "
        "inclusive, at most 31 days apart), by start time; with childId, each tells whether that child is "
        "eligible. Sessions exist about three weeks ahead. Public (childId needs sign-in).",
    )

    @strawberry.field(
        extensions=signed_in(),
        description="The children the signed-in viewer is guardian of, oldest first; the read is logged. "
        "Signed in.",
    )
    async def my_children(self, info: Info) -> list[Child]:
        models = await childcare_service.children_of(
            session=info.context.session, person_id=info.context.viewer.person_id
        )
        return [Child.logged_read(info, model) for model in models]

    @strawberry.field(
        extensions=has_role(Role.CHILDCARE_STAFF, Role.ADMIN),
        description="Every booking of a session, of any status: the booked ones in booking order, then the "
        "waitlist in line order; the read is logged. CHILDCARE_STAFF of the centre's community, or ADMIN; "
        "anyone else FORBIDDEN.",
    )
    async def childcare_session_roster(
        self,
        info: Info,
        session_id: Annotated[
            strawberry.ID,
            strawberry.argument(
                description="Global ID of the ChildcareSession; one that does not exist: NOT_FOUND."
            ),
        ],
    ) -> list[ChildcareBooking]:
        ctx = info.context
        slot, _class, center = await or_not_found(
            childcare_service.session_with_center(
                session=ctx.session, session_id=pk_of(session_id, "ChildcareSession")
            )
        )
        if not childcare_service.is_childcare_staff(ctx.viewer, center):
            raise forbidden()
        return [
            ChildcareBooking.logged_read(info, model)
            for model in await childcare_service.roster(session=ctx.session, session_id=slot.id)
        ]


@strawberry.type
class ChildcareMutation:
    @strawberry.mutation(
        extensions=signed_in(),
        description="A guardian registers a child under 3 (with consent to process the child's data); the "
        "caller becomes its guardian. Signed in.",
    )
    async def child_register(
        self,
        info: Info,
        input: Annotated[
            ChildRegisterInput, strawberry.argument(description="The child, and the guardian's consent.")
        ],
    ) -> ChildRegisterResult:
        ctx = info.context
        work = childcare_service.register_child(
            session=ctx.session,
            viewer=ctx.viewer,
            name=input.name,
            birth_date=input.birth_date,
            consent=input.guardian_consent,
            now=ctx.clock(),
        )
        return await mutation_result(info, work, lambda child: Child.logged_read(info, child))

    @strawberry.mutation(
        extensions=signed_in(),
        description="A guardian names an adult who may pick the child up; their 6-digit PIN is shown once. "
        "The child's guardians only (for anyone else NotFound).",
    )
    async def child_pickup_person_add(
        self,
        info: Info,
        child_id: Annotated[
            strawberry.ID, strawberry.argument(description="Global ID of a Child the viewer is guardian of.")
        ],
        name: Annotated[
            str, strawberry.argument(description="The adult's name (not blank; stored trimmed).")
        ],
        phone: Annotated[
            str,
            strawberry.argument(
                description="The adult's mainland mobile number (a +86 prefix, spaces and dashes are "
                "allowed; else INVALID_PHONE); one pick-up adult per number and child (PICKUP_PERSON_EXISTS)."
            ),
        ],
    ) -> ChildPickupPersonAddResult:
        ctx = info.context
        work = childcare_service.add_pickup_person(
            session=ctx.session, viewer=ctx.viewer, child_id=pk_of(child_id, "Child"), name=name, phone=phone
        )
        return await mutation_result(
            info,
            work,
            lambda made: PickupPersonAdded(
                person=PickupPerson(name=made[0].name, phone=made[0].phone), pin=made[1]
            ),
        )

    @strawberry.mutation(
        extensions=signed_in(),
        description="A guardian books a session for their child: CONFIRMED while places remain, else "
        "WAITLISTED. The child must be eligible on the session day (age in complete months within the "
        "class's range, Civil Code art. 202) and hold no overlapping booking; the session must not have "
        "started and lie within the centre's horizon (14 days by default). The child's guardians only.",
    )
    async def childcare_booking_create(
        self,
        info: Info,
        input: Annotated[
            ChildcareBookingCreateInput, strawberry.argument(description="Which child, which session.")
        ],
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
        return await mutation_result(info, work, lambda booking: ChildcareBooking.logged_read(info, booking))

    @strawberry.mutation(
        extensions=signed_in(),
        description="Cancel a CONFIRMED or WAITLISTED booking before its session starts: free (CANCELLED) "
        "until 24 h before the start (the centre's setting), later a given-up place is recorded ABSENT. A "
        "freed place goes at once to the first waitlisted child still eligible. The child's guardians, "
        "CHILDCARE_STAFF of the centre's community, or ADMIN; for anyone else NotFound.",
    )
    async def childcare_booking_cancel(
        self, info: Info, id: Annotated[strawberry.ID, BOOKING_ID]
    ) -> ChildcareBookingCancelResult:
        ctx = info.context
        work = childcare_service.cancel_booking(
            session=ctx.session, viewer=ctx.viewer, booking_id=pk_of(id, "ChildcareBooking"), now=ctx.clock()
        )
        return await mutation_result(info, work, lambda booking: ChildcareBooking.logged_read(info, booking))

    @strawberry.mutation(
        extensions=has_role(Role.CHILDCARE_STAFF, Role.ADMIN),
        description="Staff check a child in from a CONFIRMED booking, on the session's day (Asia/Shanghai). "
        "CHILDCARE_STAFF of the centre's community, or ADMIN (other roles FORBIDDEN; staff of another "
        "community NotFound).",
    )
    async def child_check_in(
        self, info: Info, booking_id: Annotated[strawberry.ID, BOOKING_ID]
    ) -> ChildCheckInResult:
        ctx = info.context
        work = childcare_service.check_in_child(
            session=ctx.session,
            viewer=ctx.viewer,
            booking_id=pk_of(booking_id, "ChildcareBooking"),
            now=ctx.clock(),
        )
        return await mutation_result(info, work, lambda booking: ChildcareBooking.logged_read(info, booking))

    @strawberry.mutation(
        # Only wrong PINs count: a refusal before the PIN was compared (not checked in, locked …)
        # taught the caller nothing about it.
        extensions=[
            CountsAttempts(quotas=code_quotas, counts=answer_is(InvalidPickupPin)),
            *has_role(Role.CHILDCARE_STAFF, Role.ADMIN),
        ],
        description="Staff hand a CHECKED_IN child to an authorised adult who gives their PIN: CHECKED_OUT. "
        "Wrong PINs count: after the centre's limit (5 by default) check-out is locked until "
        "childCheckOutUnlock, and they are rate-limited (RATE_LIMITED). CHILDCARE_STAFF of the centre's "
        "community, or ADMIN (other roles FORBIDDEN; staff of another community NotFound).",
    )
    async def child_check_out(
        self,
        info: Info,
        booking_id: Annotated[strawberry.ID, BOOKING_ID],
        pickup_pin: Annotated[
            str,
            strawberry.argument(
                description="The pick-up adult's 6-digit PIN (spaces around it are ignored)."
            ),
        ],
    ) -> ChildCheckOutResult:
        ctx = info.context
        pk = pk_of(booking_id, "ChildcareBooking")
        work = childcare_service.check_out_child(
            session=ctx.session, viewer=ctx.viewer, booking_id=pk, pin=pickup_pin, now=ctx.clock()
        )
        return await mutation_result(info, work, lambda booking: ChildcareBooking.logged_read(info, booking))

    @strawberry.mutation(
        extensions=has_role(Role.CHILDCARE_STAFF, Role.ADMIN),
        description="Staff who have verified the adult in person lift the lock after too many wrong PINs "
        "(the count starts again). CHILDCARE_STAFF of the centre's community, or ADMIN (other roles "
        "FORBIDDEN; staff of another community NotFound).",
    )
    async def child_check_out_unlock(
        self, info: Info, booking_id: Annotated[strawberry.ID, BOOKING_ID]
    ) -> ChildCheckInResult:
        ctx = info.context
        work = childcare_service.unlock_check_out(
            session=ctx.session, viewer=ctx.viewer, booking_id=pk_of(booking_id, "ChildcareBooking")
        )
        return await mutation_result(info, work, lambda booking: ChildcareBooking.logged_read(info, booking))
