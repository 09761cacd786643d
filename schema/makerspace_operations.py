"""The maker space's staff in the graph: resources (create, update, retire), a space's rules, and
block-outs of a resource's time for maintenance. MAKERSPACE_STAFF of the space's community and
ADMIN; staff of another community find nothing (NotFound); any other role is FORBIDDEN."""

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from models.people import Role
from resolvers.makerspace import operations
from schema.common import NotFound, RuleViolation, mutation_result, pk_of
from schema.makerspace import (
    MakerSpace,
    Reservation,
    Resource,
    ResourceBlockOut,
    ResourceFeature,
    ResourceKind,
)
from schema.permissions import has_role

STAFF = (Role.MAKERSPACE_STAFF, Role.ADMIN)
WHO = (
    " MAKERSPACE_STAFF of the space's community, or ADMIN; staff of another community: NotFound; any other "
    "role: FORBIDDEN."
)


def given(value) -> bool:
    return value is not strawberry.UNSET and value is not None


@strawberry.type(description="The resource is retired; the reservations that retiring it cancelled.")
class ResourceRetired:
    resource: Resource = strawberry.field(description="The resource, now active: false.")
    cancelled_reservations: list[Reservation] = strawberry.field(
        description="Its CONFIRMED reservations not yet over, now CANCELLED (each holder was notified, "
        "RESERVATION_CANCELLED), by start. Checked-in ones run to their end."
    )


@strawberry.type(description="The block-out made; the reservations it cancelled.")
class ResourceBlockedOut:
    block_out: ResourceBlockOut = strawberry.field(description="The block-out, in force.")
    cancelled_reservations: list[Reservation] = strawberry.field(
        description="The resource's CONFIRMED reservations overlapping it, now CANCELLED (each holder was "
        "notified, RESERVATION_CANCELLED), by start."
    )


@strawberry.input(description="A new bookable desk or room of a space.")
class ResourceCreateInput:
    space_id: strawberry.ID = strawberry.field(description="Global ID of the MakerSpace it belongs to.")
    name: str = strawberry.field(
        description="Its name, 1–100 characters (trimmed; else INVALID_NAME), unique in the space, retired "
        "resources included (else RESOURCE_NAME_TAKEN)."
    )
    kind: ResourceKind = strawberry.field(description="Desk, meeting room or video room.")
    capacity: int = strawberry.field(
        default=1,
        description="How many persons it seats: 1–500, exactly 1 for a DESK (else INVALID_CAPACITY). "
        "Default 1.",
    )
    features: list[ResourceFeature] = strawberry.field(
        default_factory=list, description="What it offers (repeats are ignored). Default none."
    )
    position: int | None = strawberry.field(
        default=None,
        description="Display order, 0–9999 (else INVALID_POSITION); omitted or null: after the space's last.",
    )


@strawberry.input(description="Only what is given changes (omitted or null: unchanged).")
class ResourceUpdateInput:
    name: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="A new name, 1–100 characters (INVALID_NAME), unique in the space (RESOURCE_NAME_TAKEN).",
    )
    kind: ResourceKind | None = strawberry.field(
        default=strawberry.UNSET, description="A new kind (a DESK seats exactly 1: INVALID_CAPACITY)."
    )
    capacity: int | None = strawberry.field(
        default=strawberry.UNSET,
        description="Persons it seats, 1–500, 1 for a DESK (INVALID_CAPACITY). Reservations already made "
        "keep their party size.",
    )
    features: list[ResourceFeature] | None = strawberry.field(
        default=strawberry.UNSET, description="Its features, replacing the old list ([] for none)."
    )
    position: int | None = strawberry.field(
        default=strawberry.UNSET, description="Display order, 0–9999 (INVALID_POSITION)."
    )


def rule_field(description: str):
    return strawberry.field(
        default=strawberry.UNSET, description=f"{description} Omitted or null: unchanged."
    )


@strawberry.input(
    description="A space's rules to change; only what is given changes, each checked by the database "
    "(its own ErrorCode); a refused change changes nothing. Reservations already made keep their times."
)
class MakerSpaceRulesInput:
    opens_at: str | None = rule_field(
        "Opening time, HH:MM (Asia/Shanghai), before closesAt and on a slot boundary (INVALID_OPENING_HOURS, "
        "HOURS_NOT_ON_SLOTS)."
    )
    closes_at: str | None = rule_field(
        "Closing time, HH:MM (Asia/Shanghai), after opensAt and on a slot boundary (INVALID_OPENING_HOURS, "
        "HOURS_NOT_ON_SLOTS)."
    )
    slot_minutes: int | None = rule_field(
        "Slot length: 5–240 minutes dividing the day (INVALID_SLOT_MINUTES); opening and closing must fall "
        "on its boundaries (HOURS_NOT_ON_SLOTS)."
    )
    booking_horizon_days: int | None = rule_field(
        "Days ahead booking is open: 0–90 (INVALID_BOOKING_HORIZON)."
    )
    desk_max_minutes: int | None = rule_field(
        "Longest reservation of a desk: 1–1440 minutes (INVALID_DESK_MAX_MINUTES)."
    )
    room_max_minutes: int | None = rule_field(
        "Longest reservation of a room: 1–1440 minutes (INVALID_ROOM_MAX_MINUTES)."
    )
    desk_daily_cap_minutes: int | None = rule_field(
        "Desk minutes per person per day: 1–1440 (INVALID_DESK_DAILY_CAP)."
    )
    check_in_before_minutes: int | None = rule_field(
        "Check-in opens this many minutes before the start: 0–120 (INVALID_CHECK_IN_BEFORE)."
    )
    check_in_after_minutes: int | None = rule_field(
        "Check-in closes this many minutes after the start: 1–120 (INVALID_CHECK_IN_AFTER)."
    )
    no_show_limit: int | None = rule_field("No-shows that suspend booking: 1–100 (INVALID_NO_SHOW_LIMIT).")
    no_show_window_days: int | None = rule_field(
        "Days over which no-shows count: 1–365 (INVALID_NO_SHOW_WINDOW)."
    )
    suspension_days: int | None = rule_field("Days a suspension lasts: 0–365 (INVALID_SUSPENSION_DAYS).")
    check_in_step_seconds: int | None = rule_field(
        "Seconds between two kiosk codes: 15–600 (INVALID_CHECK_IN_STEP)."
    )


RULE_INPUTS = tuple(MakerSpaceRulesInput.__annotations__)

ResourceResult = Annotated[
    Resource | RuleViolation | NotFound,
    strawberry.union(
        "ResourceResult",
        description="The resource as made or changed; or RuleViolation (INVALID_NAME, INVALID_CAPACITY, "
        "INVALID_POSITION, RESOURCE_NAME_TAKEN, RESOURCE_RETIRED); or NotFound (no such space or resource, "
        "or not one the viewer staffs).",
    ),
]
ResourceRetireResult = Annotated[
    ResourceRetired | RuleViolation | NotFound,
    strawberry.union(
        "ResourceRetireResult",
        description="The resource retired and the reservations cancelled; or RuleViolation (REASON_REQUIRED, "
        "RESOURCE_RETIRED); or NotFound.",
    ),
]
MakerSpaceRulesResult = Annotated[
    MakerSpace | RuleViolation | NotFound,
    strawberry.union(
        "MakerSpaceRulesResult",
        description="The space with its rules as changed; or RuleViolation naming the rule refused "
        "(INVALID_OPENING_HOURS, INVALID_SLOT_MINUTES, HOURS_NOT_ON_SLOTS, INVALID_BOOKING_HORIZON, "
        "INVALID_DESK_MAX_MINUTES, INVALID_ROOM_MAX_MINUTES, INVALID_DESK_DAILY_CAP, "
        "INVALID_CHECK_IN_BEFORE, INVALID_CHECK_IN_AFTER, INVALID_NO_SHOW_LIMIT, INVALID_NO_SHOW_WINDOW, "
        "INVALID_SUSPENSION_DAYS, INVALID_CHECK_IN_STEP); or NotFound.",
    ),
]
ResourceBlockOutResult = Annotated[
    ResourceBlockedOut | RuleViolation | NotFound,
    strawberry.union(
        "ResourceBlockOutResult",
        description="The block-out and the reservations it cancelled; or RuleViolation (INVALID_PERIOD, "
        "IN_THE_PAST, REASON_REQUIRED, RESOURCE_RETIRED, BLOCK_OUT_OVERLAPS, RESOURCE_IN_USE); or NotFound.",
    ),
]
ResourceBlockOutRemoveResult = Annotated[
    ResourceBlockOut | RuleViolation | NotFound,
    strawberry.union(
        "ResourceBlockOutRemoveResult",
        description="The block-out, removed; or RuleViolation (BLOCK_OUT_REMOVED, IN_THE_PAST: it is over); "
        "or NotFound.",
    ),
]

RESOURCE_ID = strawberry.argument(description="Global ID of the Resource.")
REASON = strawberry.argument(
    description="Why, 1–200 characters (else REASON_REQUIRED): kept, and quoted to the holders told."
)


def retired_answer(made: operations.Retired) -> ResourceRetired:
    return ResourceRetired(
        resource=Resource.from_model(made.resource),
        cancelled_reservations=[Reservation.from_model(model) for model in made.cancelled],
    )


def blocked_answer(made: operations.BlockedOut) -> ResourceBlockedOut:
    return ResourceBlockedOut(
        block_out=ResourceBlockOut.from_model(made.block_out),
        cancelled_reservations=[Reservation.from_model(model) for model in made.cancelled],
    )


@strawberry.type
class MakerSpaceOperationsMutation:
    @strawberry.mutation(
        extensions=has_role(*STAFF), description="Add a bookable desk or room to a space." + WHO
    )
    async def resource_create(
        self,
        info: Info,
        input: Annotated[
            ResourceCreateInput, strawberry.argument(description="The resource, and its space.")
        ],
    ) -> ResourceResult:
        ctx = info.context
        data = operations.ResourceInput(
            space_id=pk_of(input.space_id, "MakerSpace"),
            name=input.name,
            kind=input.kind.value,
            capacity=input.capacity,
            features=[feature.value for feature in input.features],
            position=input.position,
        )
        work = operations.create_resource(session=ctx.session, viewer=ctx.viewer, data=data)
        return await mutation_result(info, work, Resource.from_model)

    @strawberry.mutation(
        extensions=has_role(*STAFF),
        description="Change a resource's name, kind, capacity, features or display order (not once retired: "
        "RESOURCE_RETIRED)." + WHO,
    )
    async def resource_update(
        self,
        info: Info,
        id: Annotated[strawberry.ID, RESOURCE_ID],
        input: Annotated[ResourceUpdateInput, strawberry.argument(description="What to change.")],
    ) -> ResourceResult:
        ctx = info.context
        change = operations.ResourceChange(
            name=input.name if given(input.name) else None,
            kind=input.kind.value if given(input.kind) else None,
            capacity=input.capacity if given(input.capacity) else None,
            features=[feature.value for feature in input.features] if given(input.features) else None,
            position=input.position if given(input.position) else None,
        )
        work = operations.update_resource(
            session=ctx.session, viewer=ctx.viewer, resource_id=pk_of(id, "Resource"), change=change
        )
        return await mutation_result(info, work, Resource.from_model)

    @strawberry.mutation(
        extensions=has_role(*STAFF),
        description="Retire a resource: it stays on record (active: false) but leaves availability and can "
        "never be booked again (the database refuses it). Its CONFIRMED reservations not yet over are "
        "cancelled in the same transaction and each holder is notified; checked-in ones run to their end."
        + WHO,
    )
    async def resource_retire(
        self, info: Info, id: Annotated[strawberry.ID, RESOURCE_ID], reason: Annotated[str, REASON]
    ) -> ResourceRetireResult:
        ctx = info.context
        work = operations.retire_resource(
            session=ctx.session,
            viewer=ctx.viewer,
            resource_id=pk_of(id, "Resource"),
            reason=reason,
            now=ctx.clock(),
        )
        return await mutation_result(info, work, retired_answer)

    @strawberry.mutation(
        extensions=has_role(*STAFF),
        description="Change a space's booking rules and opening hours; only what is given changes." + WHO,
    )
    async def maker_space_rules_update(
        self,
        info: Info,
        space_id: Annotated[strawberry.ID, strawberry.argument(description="Global ID of the MakerSpace.")],
        input: Annotated[MakerSpaceRulesInput, strawberry.argument(description="The rules to change.")],
    ) -> MakerSpaceRulesResult:
        ctx = info.context
        changes = {name: getattr(input, name) for name in RULE_INPUTS if given(getattr(input, name))}
        work = operations.update_rules(
            session=ctx.session, viewer=ctx.viewer, space_id=pk_of(space_id, "MakerSpace"), changes=changes
        )
        return await mutation_result(info, work, MakerSpace.from_model)

    @strawberry.mutation(
        extensions=has_role(*STAFF),
        description="Take a resource out of booking for [startsAt, endsAt) (maintenance). The database keeps "
        "it and the reservations apart, whichever comes first: its CONFIRMED reservations then are cancelled "
        "in the same transaction and each holder notified; a checked-in one refuses it (RESOURCE_IN_USE), as "
        "another block-out does (BLOCK_OUT_OVERLAPS). resourceAvailability shows the time as not free and "
        "reservationCreate answers SlotTaken." + WHO,
    )
    async def resource_block_out(
        self,
        info: Info,
        resource_id: Annotated[strawberry.ID, RESOURCE_ID],
        starts_at: Annotated[datetime, strawberry.argument(description="Start, with an offset.")],
        ends_at: Annotated[
            datetime,
            strawberry.argument(
                description="End (exclusive), with an offset: after startsAt (INVALID_PERIOD), in the future "
                "(IN_THE_PAST)."
            ),
        ],
        reason: Annotated[str, REASON],
    ) -> ResourceBlockOutResult:
        ctx = info.context
        work = operations.block_out(
            session=ctx.session,
            viewer=ctx.viewer,
            resource_id=pk_of(resource_id, "Resource"),
            start=starts_at,
            end=ends_at,
            reason=reason,
            now=ctx.clock(),
        )
        return await mutation_result(info, work, blocked_answer)

    @strawberry.mutation(
        extensions=has_role(*STAFF),
        description="Remove a block-out that is not over: its time is bookable again (the record stays, "
        "with removedAt). Cancelled reservations stay cancelled." + WHO,
    )
    async def resource_block_out_remove(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Global ID of the ResourceBlockOut.")],
    ) -> ResourceBlockOutRemoveResult:
        ctx = info.context
        work = operations.remove_block_out(
            session=ctx.session,
            viewer=ctx.viewer,
            block_out_id=pk_of(id, "ResourceBlockOut"),
            now=ctx.clock(),
        )
        return await mutation_result(info, work, ResourceBlockOut.from_model)


__all__ = ["MakerSpaceOperationsMutation", "ResourceBlockOut"]
