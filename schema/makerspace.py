"""天空创客厅 in the graph: spaces, availability, reservations, check-in codes."""

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Annotated, ClassVar

import strawberry
from strawberry.types import Info

from models import makerspace as makerspace_models
from models.people import Role
from resolvers import makerspace as makerspace_service
from resolvers.compiled import Env, Selected, fetch_json
from resolvers.errors import DomainFailure
from resolvers.makerspace import compiled as makerspace_compiled
from resolvers.makerspace import errors as makerspace_failures
from resolvers.makerspace import loaders as makerspace_loaders
from resolvers.people import loaders as people_loaders
from resolvers.people import mask_phone
from schema.abuse import CountsAttempts, answer_is, code_quotas
from schema.common import (
    DomainError,
    Node,
    NotFound,
    PageInfo,
    RuleViolation,
    bad_request,
    check_first,
    decode_time_cursor,
    described_enum,
    encode_cursor,
    encode_global_id,
    mutation_result,
    or_not_found,
    pk_of,
)
from schema.node import NodePlan, load_for_viewer, register_node, register_node_plan
from schema.permissions import forbidden, has_role, signed_in

# MakerSpace.blockOuts: a month of the calendar at a time (a resource's block-outs never overlap).
MAX_BLOCK_OUT_DAYS = 31

ResourceKind = described_enum(
    makerspace_models.ResourceKind,
    name="ResourceKind",
    description="What a bookable resource is; the kind decides the longest reservation "
    "(rules.deskMaxMinutes or rules.roomMaxMinutes) and whether the daily desk cap applies.",
    values={
        "DESK": "An individual desk for one person (capacity 1): at most rules.deskMaxMinutes per "
        "reservation and rules.deskDailyCapMinutes per person per day.",
        "MEETING_ROOM": "A meeting room for a team: at most rules.roomMaxMinutes per reservation, partySize "
        "up to its capacity.",
        "VIDEO_ROOM": "The video-conference room: booked like a MEETING_ROOM.",
    },
)
ResourceFeature = described_enum(
    makerspace_models.ResourceFeature,
    name="ResourceFeature",
    description="What a desk or room offers; resourceAvailability(features:) finds resources with all of "
    "those asked for.",
    values={
        "WINDOW": "By the window (窗边).",
        "POWER": "A power socket.",
        "MONITOR": "An external monitor (desks).",
        "WHITEBOARD": "A whiteboard.",
        "SCREEN": "A screen to present on (rooms).",
        "VIDEO_CONFERENCE": "Video-conferencing equipment.",
    },
)
ReservationStatus = described_enum(
    makerspace_models.ReservationStatus,
    name="ReservationStatus",
    description="Where a reservation stands. CONFIRMED and CHECKED_IN hold the resource's time (and count "
    "toward the holder's overlaps and daily desk cap); the others do not.",
    values={
        "CONFIRMED": "Booked, not yet checked in: check in from rules.checkInBeforeMinutes before to "
        "rules.checkInAfterMinutes after the start.",
        "CHECKED_IN": "Checked in with the kiosk's code; holds its time until the end.",
        "COMPLETED": "Checked in and over: its end has passed, or it was cancelled while under way (its end "
        "is then the moment of cancelling, the rest of the time freed).",
        "CANCELLED": "Cancelled by the holder or the space's staff before it was used; its time is free "
        "again.",
        "NO_SHOW": "Not checked in by rules.checkInAfterMinutes after the start: a periodic job marks it and "
        "frees its time. rules.noShowLimit no-shows within rules.noShowWindowDays suspend booking in the "
        "space for rules.suspensionDays.",
    },
)


@strawberry.type(
    description="A space's booking rules, configured per space. Public. Calendar days and times of day are "
    "Asia/Shanghai."
)
class MakerSpaceRules:
    slot_minutes: int = strawberry.field(
        description="Length of a slot, in minutes (default 30): reservations start and end on multiples "
        "of it counted from midnight (e.g. 09:00, 09:30)."
    )
    booking_horizon_days: int = strawberry.field(
        description="How far ahead booking is open, in calendar days (default 7): slots on days up to "
        "today + this (later: TOO_FAR_AHEAD)."
    )
    desk_max_minutes: int = strawberry.field(
        description="Longest single reservation of a DESK, in minutes (default 240; longer: TOO_LONG)."
    )
    room_max_minutes: int = strawberry.field(
        description="Longest single reservation of a MEETING_ROOM or VIDEO_ROOM, in minutes (default 120; "
        "longer: TOO_LONG)."
    )
    desk_daily_cap_minutes: int = strawberry.field(
        description="Most DESK minutes one person may hold in this space on one calendar day, counting "
        "CONFIRMED and CHECKED_IN reservations (default 480; more: DAILY_CAP)."
    )
    check_in_before_minutes: int = strawberry.field(
        description="Check-in opens this many minutes before a reservation's start (default 10; earlier: "
        "CHECK_IN_TOO_EARLY)."
    )
    check_in_after_minutes: int = strawberry.field(
        description="Check-in closes this many minutes after the start, inclusive (default 15; later: "
        "CHECK_IN_TOO_LATE); a reservation not checked in by then becomes NO_SHOW and its time is freed. "
        "A slot stays bookable until the same moment."
    )
    no_show_limit: int = strawberry.field(
        description="How many no-shows within noShowWindowDays suspend the person's booking in this space "
        "(default 3)."
    )
    no_show_window_days: int = strawberry.field(
        description="The window over which no-shows are counted, in days (default 30); no-shows already "
        "punished by an earlier suspension do not count again."
    )
    suspension_days: int = strawberry.field(
        description="How long a suspension lasts, in days (default 7); meanwhile reservationCreate answers "
        "BookingSuspended."
    )


@strawberry.type(description="A bookable desk or room of a maker space. Public.")
class Resource(Node):
    name: str = strawberry.field(description="Its name, in Chinese (e.g. 窗边工位 W01, 会议室 小（6人）).")
    kind: ResourceKind = strawberry.field(description="Desk, meeting room or video room.")
    capacity: int = strawberry.field(
        description="How many persons it seats: 1 for a desk; a reservation's partySize may not exceed it."
    )
    features: list[ResourceFeature] = strawberry.field(
        description="What it offers (window, power, screen …)."
    )
    position: int = strawberry.field(description="Display order within the space (0–9999, smallest first).")
    active: bool = strawberry.field(
        description="false once the space's staff retired it (resourceRetire): it leaves "
        "MakerSpace.resources and resourceAvailability and cannot be booked; its reservations stay."
    )
    retired_at: datetime | None = strawberry.field(
        description="When it was retired (answered in Asia/Shanghai); null while in use."
    )

    @classmethod
    def from_model(cls, model: makerspace_models.Resource) -> "Resource":
        return cls(
            id=encode_global_id("Resource", model.id),
            name=model.name,
            kind=ResourceKind(model.kind),
            capacity=model.capacity,
            features=[ResourceFeature(feature) for feature in model.features],
            position=model.position,
            active=model.active,
            retired_at=model.retired_at,
        )


@register_node("Resource")
async def fetch_resource(info: Info, pk: int) -> Resource | None:
    model = await info.context.loader(makerspace_loaders.resource_by_id_loader).load(pk)
    return Resource.from_model(model) if model is not None else None


@register_node_plan("Resource")
def plan_resource_node(context, selections: tuple[Selected, ...], env: Env) -> NodePlan:
    """node(id:) of a Resource on the compiled read path: public, as fetch_resource."""
    return NodePlan(*makerspace_compiled.plan_node("Resource", selections, env=env))


@strawberry.type(
    description="A time the space's staff took a resource out of booking (maintenance), half-open "
    "[start, end). Seen by the space's MAKERSPACE_STAFF and ADMIN: in MakerSpace.blockOuts and the "
    "answers of resourceBlockOut and resourceBlockOutRemove; resourceAvailability shows its time as not "
    "free."
)
class ResourceBlockOut:
    id: strawberry.ID = strawberry.field(description="Its global ID (for resourceBlockOutRemove).")
    start: datetime = strawberry.field(description="When it begins (answered in Asia/Shanghai).")
    end: datetime = strawberry.field(description="When it ends (exclusive; answered in Asia/Shanghai).")
    reason: str = strawberry.field(description="Why, in the staff's words (quoted to the holders told).")
    created_at: datetime = strawberry.field(description="When it was made.")
    removed_at: datetime | None = strawberry.field(
        description="When it was removed (the time is bookable again); null while in force."
    )
    model: strawberry.Private[makerspace_models.ResourceBlockOut]

    @classmethod
    def from_model(cls, model: makerspace_models.ResourceBlockOut) -> "ResourceBlockOut":
        return cls(
            id=encode_global_id("ResourceBlockOut", model.id),
            start=model.period.lower,
            end=model.period.upper,
            reason=model.reason,
            created_at=model.created_at,
            removed_at=model.removed_at,
            model=model,
        )

    @strawberry.field(description="The desk or room blocked.")
    async def resource(self, info: Info) -> Resource:
        return await fetch_resource(info, self.model.resource_id)


@strawberry.type(
    description="A 天空创客厅 maker space: bookable desks and rooms, opening hours and booking rules. Public "
    "(its blockOuts only for its staff)."
)
class MakerSpace(Node):
    name: str = strawberry.field(description="The space's name, in Chinese.")
    opens_at: str = strawberry.field(
        description="Opening time, HH:MM in Asia/Shanghai (08:30 by default): the first slot starts then."
    )
    closes_at: str = strawberry.field(
        description="Closing time, HH:MM in Asia/Shanghai (21:30 by default): every reservation ends by then."
    )
    rules: MakerSpaceRules = strawberry.field(description="The space's booking rules.")
    model: strawberry.Private[makerspace_models.MakerSpace]

    @classmethod
    def from_model(cls, model: makerspace_models.MakerSpace) -> "MakerSpace":
        return cls(
            id=encode_global_id("MakerSpace", model.id),
            name=model.name,
            opens_at=f"{model.opens_at:%H:%M}",
            closes_at=f"{model.closes_at:%H:%M}",
            rules=MakerSpaceRules(**{name: getattr(model, name) for name in MakerSpaceRules.__annotations__}),
            model=model,
        )

    @strawberry.field(description="The space's bookable desks and rooms (those in use), in display order.")
    async def resources(
        self,
        info: Info,
        kind: Annotated[
            ResourceKind | None,
            strawberry.argument(description="Only resources of this kind; all when omitted."),
        ] = strawberry.UNSET,
    ) -> list[Resource]:
        models = await info.context.loader(makerspace_loaders.resources_by_space_id_loader).load(
            self.model.id
        )
        return [Resource.from_model(model) for model in models if not kind or model.kind == kind.value]

    @strawberry.field(
        description="The block-outs in force (made with resourceBlockOut, not removed) overlapping the "
        "calendar days from `from` to `to` (Asia/Shanghai, both inclusive), by start then resource; retired "
        "resources' included. MAKERSPACE_STAFF of the space's community, or ADMIN; null for anyone else."
    )
    async def block_outs(
        self,
        info: Info,
        from_: Annotated[
            date,
            strawberry.argument(
                name="from", description="The first calendar day, Asia/Shanghai (inclusive)."
            ),
        ],
        to: Annotated[
            date,
            strawberry.argument(
                description="The last calendar day, Asia/Shanghai (inclusive): not before `from` and at most "
                f"{MAX_BLOCK_OUT_DAYS} days after it (else BAD_REQUEST, reason DATE_RANGE_OUT_OF_BOUNDS)."
            ),
        ],
    ) -> list[ResourceBlockOut] | None:
        if to < from_ or (to - from_).days > MAX_BLOCK_OUT_DAYS:
            raise bad_request(f"查询区间须为 0–{MAX_BLOCK_OUT_DAYS} 天", "DATE_RANGE_OUT_OF_BOUNDS")
        if not makerspace_service.is_space_staff(info.context.viewer, self.model):
            return None
        start, end = makerspace_service.days_window(from_, to)
        models = await info.context.loader(makerspace_loaders.block_outs_by_space_window_loader).load(
            (self.model.id, start, end)
        )
        return [ResourceBlockOut.from_model(model) for model in models]


@register_node("MakerSpace")
async def fetch_space(info: Info, pk: int) -> MakerSpace | None:
    model = await info.context.loader(makerspace_loaders.maker_space_by_id_loader).load(pk)
    return MakerSpace.from_model(model) if model is not None else None


@register_node_plan("MakerSpace")
def plan_space_node(context, selections: tuple[Selected, ...], env: Env) -> NodePlan:
    """node(id:) of a MakerSpace on the compiled read path: public, as fetch_space (its blockOuts,
    checked per viewer, are not declared in SQL: a selection with them goes to the resolvers)."""
    return NodePlan(*makerspace_compiled.plan_node("MakerSpace", selections, env=env))


@strawberry.type(description="A free slot of rules.slotMinutes, half-open: [start, end).")
class TimeSlot:
    start: datetime = strawberry.field(description="When the slot begins (answered in Asia/Shanghai).")
    end: datetime = strawberry.field(description="When it ends: start + rules.slotMinutes (exclusive).")


@strawberry.type(description="One resource's free slots on the day asked for.")
class ResourceDay:
    resource: Resource = strawberry.field(description="The desk or room.")
    free_slots: list[TimeSlot] = strawberry.field(
        description=(
            "Slots reservationCreate accepts now by the space's rules: none on days past "
            "rules.bookingHorizonDays, none whose check-in has closed (a started slot stays until "
            "rules.checkInAfterMinutes after its start). The asker's own limits (daily cap, "
            "overlapping reservations, a suspension) are checked when booking."
        )
    )


@strawberry.type(
    description="The code the space's kiosk shows for check-in (TOTP, RFC 6238). For the space's "
    "MAKERSPACE_STAFF of its community and ADMIN only."
)
class CheckInCode:
    code: str = strawberry.field(
        description="6 digits, replaced every step (60 s by default, per space); reservationCheckIn also "
        "accepts the previous code for one more step."
    )
    valid_until: datetime = strawberry.field(
        description="When the next code replaces this one (answered in Asia/Shanghai): fetch again then."
    )


@strawberry.type(
    description="Who holds a reservation: shown to the holder, the space's MAKERSPACE_STAFF of its community "
    "and ADMIN."
)
class ReservationHolder:
    name: str = strawberry.field(description="The holder's name.")
    phone: str = strawberry.field(
        description="The holder's mobile number: whole to the holder; masked (138****0001) to staff and "
        "ADMIN."
    )


@strawberry.type(
    description="A booking of one desk or room for a half-open period [start, end) on slot boundaries. Seen "
    "only by its holder, the space's MAKERSPACE_STAFF of its community, and ADMIN (for anyone else `node` "
    "answers null and the mutations NotFound)."
)
class Reservation(Node):
    start: datetime = strawberry.field(description="When it begins (answered in Asia/Shanghai).")
    end: datetime = strawberry.field(
        description="When it ends (exclusive): as booked, or the moment it was cancelled while under way."
    )
    status: ReservationStatus = strawberry.field(description="Where it stands.")
    party_size: int = strawberry.field(
        description="How many persons come: 1 to the resource's capacity (1 for a desk)."
    )
    created_at: datetime = strawberry.field(description="When it was booked.")
    checked_in_at: datetime | None = strawberry.field(description="When it was checked in; null until then.")
    model: strawberry.Private[makerspace_models.Reservation]

    @classmethod
    def from_model(cls, model: makerspace_models.Reservation) -> "Reservation":
        return cls(
            id=encode_global_id("Reservation", model.id),
            start=model.period.lower,
            end=model.period.upper,
            status=ReservationStatus(model.status),
            party_size=model.party_size,
            created_at=model.created_at,
            checked_in_at=model.checked_in_at,
            model=model,
        )

    @strawberry.field(description="The desk or room booked.")
    async def resource(self, info: Info) -> Resource:
        return await fetch_resource(info, self.model.resource_id)

    @strawberry.field(description="The maker space the resource belongs to.")
    async def space(self, info: Info) -> MakerSpace:
        return await fetch_space(info, self.model.space_id)

    @strawberry.field(
        description="Who booked it (only reservations the viewer may see reach here: the holder, the space's "
        "staff, ADMIN)."
    )
    async def holder(self, info: Info) -> ReservationHolder:
        person = await info.context.loader(people_loaders.person_by_id_loader).load(self.model.person_id)
        is_holder = info.context.viewer is not None and info.context.viewer.person_id == person.id
        return ReservationHolder(
            name=person.name, phone=person.phone if is_holder else mask_phone(person.phone)
        )


@register_node("Reservation")
async def fetch_reservation(info: Info, pk: int) -> Reservation | None:
    model = await load_for_viewer(info, makerspace_loaders.visible_reservation_by_id_loader, pk)
    return Reservation.from_model(model) if model is not None else None


@strawberry.type(description="A reservation in a page of myReservations.")
class ReservationEdge:
    cursor: str = strawberry.field(description="This edge's position (opaque): pass it as `after` to go on.")
    node: Reservation = strawberry.field(description="The reservation.")


@strawberry.type(description="A page of the viewer's reservations (keyset pagination: `first` and `after`).")
class ReservationConnection:
    edges: list[ReservationEdge] = strawberry.field(
        description="This page's reservations, in the list's order."
    )
    page_info: PageInfo = strawberry.field(
        description="Whether more follow: ask again with `after: pageInfo.endCursor`."
    )


@strawberry.type(
    description="SLOT_TAKEN: another active reservation holds the resource for part of the time asked for; "
    "resourceAvailability shows what is free."
)
class SlotTaken(DomainError):
    answers: ClassVar[type[DomainFailure]] = makerspace_failures.SlotTaken


@strawberry.type(
    description="BOOKING_SUSPENDED: the viewer may not book in this space for now, after rules.noShowLimit "
    "no-shows within rules.noShowWindowDays."
)
class BookingSuspended(DomainError):
    answers: ClassVar[type[DomainFailure]] = makerspace_failures.BookingSuspended

    until: datetime = strawberry.field(
        description="When booking in this space reopens (answered in Asia/Shanghai)."
    )


@strawberry.type(
    description="INVALID_CHECK_IN_CODE: neither the kiosk's current code nor the one before it. Wrong codes "
    "count toward a limit per person and per address (10 in 10 minutes per person by default); beyond it "
    "the request fails with RATE_LIMITED."
)
class InvalidCheckInCode(DomainError):
    answers: ClassVar[type[DomainFailure]] = makerspace_failures.InvalidCheckInCode


@strawberry.input(
    description="What to book: a desk or room, for a period on slot boundaries within the space's opening "
    "hours, by its rules (MakerSpace.rules)."
)
class ReservationCreateInput:
    resource_id: strawberry.ID = strawberry.field(
        description="Global ID of the Resource to book (from MakerSpace.resources or resourceAvailability); "
        "one that does not exist or is no longer in use: NotFound."
    )
    start: datetime = strawberry.field(
        description="Start, with an offset (e.g. 2026-12-01T10:00:00+08:00): on a slot boundary "
        "(NOT_SLOT_ALIGNED) within opening hours (OUTSIDE_OPENING_HOURS), at most rules.checkInAfterMinutes "
        "ago (IN_THE_PAST), on a day at most rules.bookingHorizonDays ahead (TOO_FAR_AHEAD)."
    )
    end: datetime = strawberry.field(
        description="End (exclusive), with an offset: after start (INVALID_PERIOD), on a slot boundary, by "
        "closing time; at most rules.deskMaxMinutes (desks) or rules.roomMaxMinutes (rooms) after start "
        "(TOO_LONG)."
    )
    party_size: int = strawberry.field(
        default=1,
        description="How many persons come (default 1): at least 1 (INVALID_PARTY_SIZE), at most the "
        "resource's capacity (PARTY_TOO_LARGE).",
    )
    idempotency_key: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Optional key the client chooses (at most 100 characters) to make retries safe: the same "
        "key from the same person answers the reservation it first made; with a different request, "
        "IDEMPOTENCY_KEY_REUSED.",
    )


ReservationCreateResult = Annotated[
    Reservation | SlotTaken | RuleViolation | BookingSuspended | NotFound,
    strawberry.union(
        "ReservationCreateResult",
        description="The reservation made (CONFIRMED), or why not: SlotTaken; BookingSuspended; "
        "RuleViolation (INVALID_PERIOD, NOT_SLOT_ALIGNED, OUTSIDE_OPENING_HOURS, IN_THE_PAST, TOO_FAR_AHEAD, "
        "TOO_LONG, INVALID_PARTY_SIZE, PARTY_TOO_LARGE, DAILY_CAP, OVERLAPPING_RESERVATION, "
        "IDEMPOTENCY_KEY_REUSED); NotFound (no such resource).",
    ),
]
ReservationCancelResult = Annotated[
    Reservation | RuleViolation | NotFound,
    strawberry.union(
        "ReservationCancelResult",
        description="The reservation after cancelling (CANCELLED, or COMPLETED when it was under way), or "
        "RuleViolation NOT_ACTIVE (already cancelled, a no-show, or over), or NotFound (no such reservation, "
        "or not the viewer's to manage).",
    ),
]
ReservationCheckInResult = Annotated[
    Reservation | InvalidCheckInCode | RuleViolation | NotFound,
    strawberry.union(
        "ReservationCheckInResult",
        description="The reservation, now CHECKED_IN; or InvalidCheckInCode; RuleViolation "
        "(CHECK_IN_TOO_EARLY, CHECK_IN_TOO_LATE, ALREADY_CHECKED_IN, NOT_ACTIVE); NotFound (no such "
        "reservation, or not the viewer's to manage).",
    ),
]


MAX_PARTY_SIZE = 500  # larger than any room; beyond it the question is a mistake


def availability_filter(
    space_id: str, *, kind, features, party_size
) -> makerspace_service.AvailabilityFilter:
    """resourceAvailability's arguments checked (both read paths): BAD_REQUEST for a party size out
    of range or an ID not of a MakerSpace."""
    if party_size and not 1 <= party_size <= MAX_PARTY_SIZE:
        raise bad_request(
            f"人数须在 1 到 {MAX_PARTY_SIZE} 之间，收到 {party_size}", "PARTY_SIZE_OUT_OF_RANGE"
        )
    return makerspace_service.AvailabilityFilter(
        space_id=pk_of(space_id, "MakerSpace"),
        kind=kind.value if kind else None,
        features=tuple(feature.value for feature in features or ()),
        party_size=party_size or None,
    )


def plan_resource_availability(context, selected: Selected, env: Env) -> Callable[[], Awaitable[str]]:
    """resourceAvailability on the compiled read path (schema/compiled.py): the resolver's checks,
    then the statement; a space that does not exist is the resolver's NOT_FOUND."""
    arguments = selected.arguments
    wanted = availability_filter(
        arguments["spaceId"],
        kind=arguments.get("kind"),
        features=arguments.get("features"),
        party_size=arguments.get("partySize"),
    )
    prepared, values = makerspace_compiled.plan_availability(
        selected, wanted=wanted, day=arguments["date"], env=env
    )
    return lambda: or_not_found(
        makerspace_compiled.availability_json(session=context.session, prepared=prepared, values=values)
    )


def plan_maker_spaces(context, selected: Selected, env: Env) -> Callable[[], Awaitable[str]]:
    """makerSpaces on the compiled read path: every space, no arguments to check."""
    prepared, values = makerspace_compiled.plan_maker_spaces(selected, env=env)
    return lambda: fetch_json(session=context.session, prepared=prepared, values=values)


async def resolve_availability(
    info: Info,
    space_id: Annotated[
        strawberry.ID,
        strawberry.argument(
            description="Global ID of the MakerSpace (from makerSpaces); one that does not exist: NOT_FOUND."
        ),
    ],
    date: Annotated[date, strawberry.argument(description="The calendar day, in Asia/Shanghai.")],
    kind: Annotated[
        ResourceKind | None, strawberry.argument(description="Only resources of this kind; all when omitted.")
    ] = strawberry.UNSET,
    features: Annotated[
        list[ResourceFeature] | None,
        strawberry.argument(description="Only resources with every one of these features; omitted: any."),
    ] = strawberry.UNSET,
    party_size: Annotated[
        int | None,
        strawberry.argument(
            description=f"Only resources seating at least this many persons: 1–{MAX_PARTY_SIZE} (outside: "
            "BAD_REQUEST, reason PARTY_SIZE_OUT_OF_RANGE); omitted: any."
        ),
    ] = strawberry.UNSET,
) -> list[ResourceDay]:
    wanted = availability_filter(space_id, kind=kind, features=features, party_size=party_size)
    days = await or_not_found(
        makerspace_service.availability(
            session=info.context.session,
            space_id=wanted.space_id,
            day=date,
            now=info.context.clock(),
            kind=wanted.kind,
            features=wanted.features,
            party_size=wanted.party_size,
        )
    )
    return [
        ResourceDay(
            resource=Resource.from_model(day.resource),
            free_slots=[TimeSlot(start=start, end=end) for start, end in day.free_slots],
        )
        for day in days
    ]


async def resolve_my_reservations(
    info: Info,
    upcoming_only: Annotated[
        bool,
        strawberry.argument(
            description="true (default): only CONFIRMED and CHECKED_IN reservations not yet ended, soonest "
            "first; false: all of them, whatever their status, latest start first."
        ),
    ] = True,
    first: Annotated[
        int,
        strawberry.argument(
            description="How many to return: 0–100 (outside: BAD_REQUEST, reason PAGE_SIZE_OUT_OF_RANGE)."
        ),
    ] = 20,
    after: Annotated[
        str | None,
        strawberry.argument(
            description="The previous page's pageInfo.endCursor; omitted for the first page (a cursor this "
            "server did not make: BAD_REQUEST, reason INVALID_CURSOR)."
        ),
    ] = strawberry.UNSET,
) -> ReservationConnection:
    ctx = info.context
    check_first(first, ctx.settings.max_page_size)
    page = await makerspace_service.my_reservations(
        session=ctx.session,
        person_id=ctx.viewer.person_id,
        upcoming_only=upcoming_only,
        now=ctx.clock(),
        first=first,
        after=decode_time_cursor(after or None),
    )
    edges = [
        ReservationEdge(cursor=encode_cursor([start.isoformat(), pk]), node=Reservation.from_model(model))
        for model, (start, pk) in zip(page.items, page.keys, strict=True)
    ]
    return ReservationConnection(
        edges=edges,
        page_info=PageInfo.of(edges, has_next=page.has_next, after=after or None),
    )


async def staff_space(info: Info, space_id: str) -> makerspace_models.MakerSpace:
    """The space, if the viewer staffs it; FORBIDDEN otherwise."""
    space = await or_not_found(
        makerspace_service.get_space_or_error(
            session=info.context.session, space_id=pk_of(space_id, "MakerSpace")
        )
    )
    if not makerspace_service.is_space_staff(info.context.viewer, space):
        raise forbidden()
    return space


SPACE_ID = strawberry.argument(
    description="Global ID of the MakerSpace; one that does not exist: NOT_FOUND; one the viewer does not "
    "staff: FORBIDDEN."
)
RESERVATION_ID = strawberry.argument(description="Global ID of the Reservation.")


@strawberry.type
class MakerSpaceQuery:
    @strawberry.field(description="Every maker space, in the order they were created. Public.")
    async def maker_spaces(self, info: Info) -> list[MakerSpace]:
        return [
            MakerSpace.from_model(model)
            for model in await makerspace_service.list_spaces(session=info.context.session)
        ]

    resource_availability: list[ResourceDay] = strawberry.field(
        resolver=resolve_availability,
        description=(
            "Free slots of each matching resource of a space on one day, in display order: only slots "
            "that can be booked now (none beyond rules.bookingHorizonDays, none whose check-in has "
            "closed). Public."
        ),
    )
    my_reservations: ReservationConnection = strawberry.field(
        resolver=resolve_my_reservations,
        extensions=signed_in(),
        description="The signed-in viewer's own reservations in every space, a page at a time. Signed in.",
    )

    @strawberry.field(
        extensions=has_role(Role.MAKERSPACE_STAFF, Role.ADMIN),
        description="The check-in code the space's kiosk shows now; fetch again at validUntil. "
        "MAKERSPACE_STAFF of the space's community, or ADMIN; anyone else FORBIDDEN.",
    )
    async def maker_space_check_in_code(
        self, info: Info, space_id: Annotated[strawberry.ID, SPACE_ID]
    ) -> CheckInCode:
        space = await staff_space(info, space_id)
        code, valid_until = makerspace_service.check_in_code(space, info.context.clock())
        return CheckInCode(code=code, valid_until=valid_until)

    @strawberry.field(
        extensions=has_role(Role.MAKERSPACE_STAFF, Role.ADMIN),
        description="Every reservation of the space, of any status, overlapping its opening hours on one "
        "day, by start time then resource; holders' phones masked. MAKERSPACE_STAFF of the space's "
        "community, or ADMIN; anyone else FORBIDDEN.",
    )
    async def maker_space_reservations(
        self,
        info: Info,
        space_id: Annotated[strawberry.ID, SPACE_ID],
        date: Annotated[date, strawberry.argument(description="The calendar day, in Asia/Shanghai.")],
    ) -> list[Reservation]:
        space = await staff_space(info, space_id)
        models = await makerspace_service.space_day(session=info.context.session, space=space, day=date)
        return [Reservation.from_model(model) for model in models]


@strawberry.type
class MakerSpaceMutation:
    @strawberry.mutation(
        extensions=signed_in(),
        description="Book a desk or room for the signed-in viewer by the space's rules (defaults: 30-minute "
        "slots, a desk at most 4 h per booking and 8 h a day, a room at most 2 h, up to 7 days ahead, no two "
        "overlapping reservations of one person). Signed in.",
    )
    async def reservation_create(
        self,
        info: Info,
        input: Annotated[ReservationCreateInput, strawberry.argument(description="What to book, and when.")],
    ) -> ReservationCreateResult:
        ctx = info.context
        request = makerspace_service.ReservationRequest(
            resource_id=pk_of(input.resource_id, "Resource"),
            start=input.start,
            end=input.end,
            party_size=input.party_size,
            idempotency_key=input.idempotency_key or None,
        )
        work = makerspace_service.create_reservation(
            session=ctx.session, viewer=ctx.viewer, request=request, now=ctx.clock()
        )
        return await mutation_result(info, work, Reservation.from_model)

    @strawberry.mutation(
        extensions=signed_in(),
        description="Cancel a reservation before it ends, without penalty: CANCELLED, or, when checked in "
        "and under way, COMPLETED at once with the rest of its time freed. The holder, the space's "
        "MAKERSPACE_STAFF of its community, or ADMIN; for anyone else NotFound.",
    )
    async def reservation_cancel(
        self, info: Info, id: Annotated[strawberry.ID, RESERVATION_ID]
    ) -> ReservationCancelResult:
        ctx = info.context
        work = makerspace_service.cancel(
            session=ctx.session, viewer=ctx.viewer, reservation_id=pk_of(id, "Reservation"), now=ctx.clock()
        )
        return await mutation_result(info, work, Reservation.from_model)

    @strawberry.mutation(
        # Only wrong codes count: an answer before the code was compared (too early, too late, not
        # found …) taught the caller nothing about it.
        extensions=[CountsAttempts(quotas=code_quotas, counts=answer_is(InvalidCheckInCode)), *signed_in()],
        description="Check in with the code the kiosk shows, from rules.checkInBeforeMinutes (10) before to "
        "rules.checkInAfterMinutes (15) after the start. The holder, the space's MAKERSPACE_STAFF of its "
        "community, or ADMIN; for anyone else NotFound. Wrong codes are rate-limited (RATE_LIMITED).",
    )
    async def reservation_check_in(
        self,
        info: Info,
        id: Annotated[strawberry.ID, RESERVATION_ID],
        code: Annotated[
            str,
            strawberry.argument(
                description="The 6-digit code on the kiosk: its current one or the one before it (spaces "
                "around it are ignored)."
            ),
        ],
    ) -> ReservationCheckInResult:
        ctx = info.context
        reservation_id = pk_of(id, "Reservation")
        work = makerspace_service.check_in(
            session=ctx.session, viewer=ctx.viewer, reservation_id=reservation_id, code=code, now=ctx.clock()
        )
        return await mutation_result(info, work, Reservation.from_model)
