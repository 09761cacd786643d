"""The childcare root fields: queries and mutations."""

from collections.abc import Awaitable, Callable
from datetime import date, time, timedelta
from typing import Annotated

import strawberry
from strawberry.types import Info

from models.people import Role
from resolvers import childcare as childcare_service
from resolvers.childcare import compiled as childcare_compiled
from resolvers.compiled import Env, NotPlannable, Selected, fetch_json
from resolvers.errors import DomainFailure, ErrorCode
from schema.abuse import CountsAttempts, answer_is, code_quotas
from schema.childcare.types import (
    MAX_RANGE_DAYS,
    Child,
    ChildcareBooking,
    ChildcareBookingCancelResult,
    ChildcareBookingCreateInput,
    ChildcareBookingCreateResult,
    ChildcareCenter,
    ChildcareClass,
    ChildcareClassCreateInput,
    ChildcareClassResult,
    ChildcareClassUpdateInput,
    ChildcareSession,
    ChildcareSessionCancelResult,
    ChildcareSessionCarers,
    ChildcareSessionCarersResult,
    ChildcareTimetableEntryInput,
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
SESSION_ID = strawberry.argument(description="Global ID of the ChildcareSession (NOT_FOUND if none).")
CARER_ID = strawberry.argument(
    description="Person ID of the carer: CHILDCARE_STAFF of the centre's community, not disabled (else "
    "CARER_NOT_STAFF)."
)
CENTRE_STAFF = has_role(Role.CHILDCARE_STAFF, Role.ADMIN)
CENTRE_STAFF_ONLY = (
    " CHILDCARE_STAFF of the centre's community, or ADMIN (other roles FORBIDDEN; childcare staff of another "
    "community NotFound). Audited."
)


def wall_clock(value: str) -> time:
    """HH:MM (or HH:MM:SS) as a time of day; anything else is INVALID_TIMETABLE_ENTRY."""
    try:
        parsed = time.fromisoformat(value.strip())
    except ValueError:
        raise DomainFailure(ErrorCode.INVALID_TIMETABLE_ENTRY, f"时间格式应为 HH:MM：{value!r}") from None
    if parsed.tzinfo is not None:
        raise DomainFailure(ErrorCode.INVALID_TIMETABLE_ENTRY, "时间不带时区（按上海时间）")
    return parsed


def entries_of(entries: list[ChildcareTimetableEntryInput]) -> list:
    return [
        childcare_service.EntryInput(
            weekday=entry.weekday,
            care_type=entry.care_type.value,
            starts_at=wall_clock(entry.starts_at),
            ends_at=wall_clock(entry.ends_at),
            capacity=entry.capacity,
            carer_ids=tuple(pk_of(carer, "Person") for carer in entry.carer_ids),
        )
        for entry in entries
    ]


def class_input(input) -> "childcare_service.ClassInput":
    return childcare_service.ClassInput(
        name=input.name,
        kind=input.kind.value if input.kind is not None else None,
        min_age_months=input.min_age_months,
        max_age_months=input.max_age_months,
        capacity=input.capacity,
        carer_ratio=input.carer_ratio,
    )


def check_days(from_: date, to: date) -> None:
    """childcareSessions' range (both read paths)."""
    if to < from_ or (to - from_) > timedelta(days=MAX_RANGE_DAYS):
        raise bad_request(f"查询区间须为 0–{MAX_RANGE_DAYS} 天", "DATE_RANGE_OUT_OF_BOUNDS")


def plan_childcare_sessions(context, selected: Selected, env: Env) -> Callable[[], Awaitable[str]]:
    """childcareSessions on the compiled read path (schema/compiled.py): the resolver's checks, then
    the statement; a centre that does not exist is the resolver's NOT_FOUND. With childId (a read
    of the child, and its age by the Civil Code, computed in Python) the resolvers answer."""
    arguments = selected.arguments
    check_days(arguments["from"], arguments["to"])
    if arguments.get("childId"):
        raise NotPlannable("childcareSessions(childId:)")
    prepared, values = childcare_compiled.plan_sessions(
        selected,
        viewer=context.viewer,
        center_id=pk_of(arguments["centerId"], "ChildcareCenter"),
        first_day=arguments["from"],
        last_day=arguments["to"],
        env=env,
    )
    return lambda: or_not_found(
        childcare_compiled.sessions_json(session=context.session, prepared=prepared, values=values)
    )


def plan_childcare_centers(context, selected: Selected, env: Env) -> Callable[[], Awaitable[str]]:
    """childcareCenters on the compiled read path: every centre, public, no arguments to check."""
    prepared, values = childcare_compiled.plan_centers(selected, env=env)
    return lambda: fetch_json(session=context.session, prepared=prepared, values=values)


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
    check_days(from_, to)
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

    @strawberry.mutation(
        extensions=CENTRE_STAFF,
        description="A new age class of a centre: its ages, size and carer ratio must keep the national "
        "rules of its kind (a database constraint: NATIONAL_CLASS_RULES)." + CENTRE_STAFF_ONLY,
    )
    async def childcare_class_create(
        self,
        info: Info,
        input: Annotated[ChildcareClassCreateInput, strawberry.argument(description="The class.")],
    ) -> ChildcareClassResult:
        ctx = info.context
        work = childcare_service.create_class(
            session=ctx.session,
            viewer=ctx.viewer,
            center_id=pk_of(input.center_id, "ChildcareCenter"),
            data=class_input(input),
        )
        return await mutation_result(info, work, ChildcareClass.from_model)

    @strawberry.mutation(
        extensions=CENTRE_STAFF,
        description="Change a class's name, kind, ages, size or ratio, within the national rules; its "
        "sessions follow its size and ratio, and the change is refused if one of them could then not hold "
        "its places (CLASS_SIZE_EXCEEDED) or its confirmed children (CARER_RATIO_EXCEEDED)."
        + CENTRE_STAFF_ONLY,
    )
    async def childcare_class_update(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Global ID of the ChildcareClass.")],
        input: Annotated[ChildcareClassUpdateInput, strawberry.argument(description="What to change.")],
    ) -> ChildcareClassResult:
        ctx = info.context
        work = childcare_service.update_class(
            session=ctx.session,
            viewer=ctx.viewer,
            class_id=pk_of(id, "ChildcareClass"),
            change=class_input(input),
        )
        return await mutation_result(info, work, ChildcareClass.from_model)

    @strawberry.mutation(
        extensions=CENTRE_STAFF,
        description="The class's weekly timetable becomes `entries` (an entry is known by weekday, care type "
        "and start). Entries kept as they were keep their sessions (a change of their carers reaches their "
        "future sessions, and places added carers free go at once to the waitlist, in line: guardians told, "
        "CHILDCARE_WAITLIST_PROMOTED); sessions of removed or changed entries that have not started go, "
        "and sessions are generated for the booking horizon. Future sessions holding confirmed or "
        "waitlisted bookings are never dropped: the change is refused (TIMETABLE_SESSIONS_BOOKED names "
        "them) until they are cancelled with childcareSessionCancel." + CENTRE_STAFF_ONLY,
    )
    async def childcare_timetable_set(
        self,
        info: Info,
        class_id: Annotated[
            strawberry.ID, strawberry.argument(description="Global ID of the ChildcareClass.")
        ],
        entries: Annotated[
            list[ChildcareTimetableEntryInput],
            strawberry.argument(description="The whole weekly timetable (an empty list removes it)."),
        ],
    ) -> ChildcareClassResult:
        ctx = info.context

        async def work():
            return await childcare_service.set_timetable(
                session=ctx.session,
                viewer=ctx.viewer,
                class_id=pk_of(class_id, "ChildcareClass"),
                entries=entries_of(entries),
                now=ctx.clock(),
            )

        return await mutation_result(info, work(), ChildcareClass.from_model)

    @strawberry.mutation(
        extensions=CENTRE_STAFF,
        description="Close a session that has not started (illness, weather …): it takes no more bookings, "
        "every CONFIRMED or WAITLISTED booking of it is CANCELLED in the same transaction, and each child's "
        "guardians find a CHILDCARE_SESSION_CANCELLED notification in their inbox." + CENTRE_STAFF_ONLY,
    )
    async def childcare_session_cancel(
        self,
        info: Info,
        session_id: Annotated[strawberry.ID, SESSION_ID],
        reason: Annotated[
            str,
            strawberry.argument(description="Why, for the guardians: 1–200 characters (REASON_REQUIRED)."),
        ],
    ) -> ChildcareSessionCancelResult:
        ctx = info.context
        work = childcare_service.cancel_session(
            session=ctx.session,
            viewer=ctx.viewer,
            session_id=pk_of(session_id, "ChildcareSession"),
            reason=reason,
            now=ctx.clock(),
        )
        return await mutation_result(info, work, ChildcareSession.from_model)

    @strawberry.mutation(
        extensions=CENTRE_STAFF,
        description="Put a carer on duty for a session that has not ended: it may then confirm up to "
        "carers × the class's ratio children (never above its capacity), and places this frees go at "
        "once to the waitlist, in line (guardians told: CHILDCARE_WAITLIST_PROMOTED)." + CENTRE_STAFF_ONLY,
    )
    async def childcare_session_carer_assign(
        self,
        info: Info,
        session_id: Annotated[strawberry.ID, SESSION_ID],
        person_id: Annotated[strawberry.ID, CARER_ID],
    ) -> ChildcareSessionCarersResult:
        ctx = info.context
        work = childcare_service.assign_carer(
            session=ctx.session,
            viewer=ctx.viewer,
            session_id=pk_of(session_id, "ChildcareSession"),
            person_id=pk_of(person_id, "Person"),
            now=ctx.clock(),
        )
        return await mutation_result(info, work, ChildcareSessionCarers.from_result)

    @strawberry.mutation(
        extensions=CENTRE_STAFF,
        description="Take a carer off a session that has not ended; refused by the database when the carers "
        "left could not look after its confirmed children at the class's ratio (CARER_RATIO_EXCEEDED)."
        + CENTRE_STAFF_ONLY,
    )
    async def childcare_session_carer_remove(
        self,
        info: Info,
        session_id: Annotated[strawberry.ID, SESSION_ID],
        person_id: Annotated[
            strawberry.ID, strawberry.argument(description="Person ID of the carer on duty.")
        ],
    ) -> ChildcareSessionCarersResult:
        ctx = info.context
        work = childcare_service.remove_carer(
            session=ctx.session,
            viewer=ctx.viewer,
            session_id=pk_of(session_id, "ChildcareSession"),
            person_id=pk_of(person_id, "Person"),
            now=ctx.clock(),
        )
        return await mutation_result(info, work, ChildcareSessionCarers.from_result)
