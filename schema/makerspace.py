"""天空创客厅 in the graph: spaces, availability, reservations, check-in codes."""

from datetime import date, datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from models import makerspace as makerspace_models
from models.people import Role
from resolvers import loaders
from resolvers import makerspace as makerspace_service
from resolvers.people import mask_phone
from schema.common import (
    DomainError,
    Node,
    NotFound,
    PageInfo,
    RuleViolation,
    bad_request,
    check_first,
    decode_time_cursor,
    encode_cursor,
    encode_global_id,
    mutation_result,
    or_not_found,
    pk_of,
    register_domain_errors,
)
from schema.limits import code_quotas, count_attempt, forgive_attempt
from schema.node import load_for_viewer, register_node
from schema.permissions import forbidden, has_role, signed_in

ResourceKind = strawberry.enum(makerspace_models.ResourceKind, name="ResourceKind")
ResourceFeature = strawberry.enum(makerspace_models.ResourceFeature, name="ResourceFeature")
ReservationStatus = strawberry.enum(makerspace_models.ReservationStatus, name="ReservationStatus")


@strawberry.type(description="A space's booking rules (per space; DOMAIN.md defaults).")
class MakerSpaceRules:
    slot_minutes: int
    booking_horizon_days: int
    desk_max_minutes: int
    room_max_minutes: int
    desk_daily_cap_minutes: int
    check_in_before_minutes: int
    check_in_after_minutes: int
    no_show_limit: int
    no_show_window_days: int
    suspension_days: int


@strawberry.type
class Resource(Node):
    name: str
    kind: ResourceKind
    capacity: int
    features: list[ResourceFeature]

    @classmethod
    def from_model(cls, model: makerspace_models.Resource) -> "Resource":
        return cls(
            id=encode_global_id("Resource", model.id),
            name=model.name,
            kind=ResourceKind(model.kind),
            capacity=model.capacity,
            features=[ResourceFeature(feature) for feature in model.features],
        )


@register_node("Resource")
async def fetch_resource(info: Info, pk: int) -> Resource | None:
    model = await info.context.loader(loaders.resource_by_id_loader).load(pk)
    return Resource.from_model(model) if model is not None else None


@strawberry.type
class MakerSpace(Node):
    name: str
    opens_at: str = strawberry.field(description="HH:MM, Asia/Shanghai.")
    closes_at: str = strawberry.field(description="HH:MM, Asia/Shanghai.")
    rules: MakerSpaceRules
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

    @strawberry.field
    async def resources(self, info: Info, kind: ResourceKind | None = strawberry.UNSET) -> list[Resource]:
        models = await info.context.loader(loaders.resources_by_space_id_loader).load(self.model.id)
        return [Resource.from_model(model) for model in models if not kind or model.kind == kind.value]


@register_node("MakerSpace")
async def fetch_space(info: Info, pk: int) -> MakerSpace | None:
    model = await info.context.loader(loaders.maker_space_by_id_loader).load(pk)
    return MakerSpace.from_model(model) if model is not None else None


@strawberry.type
class TimeSlot:
    start: datetime
    end: datetime


@strawberry.type
class ResourceDay:
    resource: Resource
    free_slots: list[TimeSlot]


@strawberry.type
class CheckInCode:
    code: str
    valid_until: datetime


@strawberry.type(description="Who holds a reservation: shown to the holder and the space's staff.")
class ReservationHolder:
    name: str
    phone: str = strawberry.field(description="Full to the holder; masked (138****0001) to staff.")


@strawberry.type
class Reservation(Node):
    start: datetime
    end: datetime
    status: ReservationStatus
    party_size: int
    created_at: datetime
    checked_in_at: datetime | None
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

    @strawberry.field
    async def resource(self, info: Info) -> Resource:
        return await fetch_resource(info, self.model.resource_id)

    @strawberry.field
    async def space(self, info: Info) -> MakerSpace:
        return await fetch_space(info, self.model.space_id)

    @strawberry.field(description="Only reservations the viewer may see reach here (holder or staff).")
    async def holder(self, info: Info) -> ReservationHolder:
        person = await info.context.loader(loaders.person_by_id_loader).load(self.model.person_id)
        is_holder = info.context.viewer is not None and info.context.viewer.person_id == person.id
        return ReservationHolder(
            name=person.name, phone=person.phone if is_holder else mask_phone(person.phone)
        )


@register_node("Reservation")
async def fetch_reservation(info: Info, pk: int) -> Reservation | None:
    model = await load_for_viewer(info, loaders.visible_reservation_by_id_loader, pk)
    return Reservation.from_model(model) if model is not None else None


@strawberry.type
class ReservationEdge:
    cursor: str
    node: Reservation


@strawberry.type
class ReservationConnection:
    edges: list[ReservationEdge]
    page_info: PageInfo


@strawberry.type
class SlotTaken(DomainError):
    pass


@strawberry.type
class BookingSuspended(DomainError):
    until: datetime


@strawberry.type
class InvalidCheckInCode(DomainError):
    pass


@strawberry.input
class ReservationCreateInput:
    resource_id: strawberry.ID
    start: datetime
    end: datetime
    party_size: int = 1
    idempotency_key: str | None = strawberry.UNSET


ReservationCreateResult = Annotated[
    Reservation | SlotTaken | RuleViolation | BookingSuspended | NotFound,
    strawberry.union("ReservationCreateResult"),
]
ReservationCancelResult = Annotated[
    Reservation | RuleViolation | NotFound, strawberry.union("ReservationCancelResult")
]
ReservationCheckInResult = Annotated[
    Reservation | InvalidCheckInCode | RuleViolation | NotFound, strawberry.union("ReservationCheckInResult")
]

register_domain_errors(SlotTaken, BookingSuspended, InvalidCheckInCode)


MAX_PARTY_SIZE = 500  # larger than any room; beyond it the question is a mistake


async def resolve_availability(
    info: Info,
    space_id: strawberry.ID,
    date: date,
    kind: ResourceKind | None = strawberry.UNSET,
    features: list[ResourceFeature] | None = strawberry.UNSET,
    party_size: int | None = strawberry.UNSET,
) -> list[ResourceDay]:
    if party_size and not 1 <= party_size <= MAX_PARTY_SIZE:
        raise bad_request(
            f"人数须在 1 到 {MAX_PARTY_SIZE} 之间，收到 {party_size}", "PARTY_SIZE_OUT_OF_RANGE"
        )
    days = await or_not_found(
        makerspace_service.availability(
            session=info.context.session,
            space_id=pk_of(space_id, "MakerSpace"),
            day=date,
            now=info.context.clock(),
            kind=kind.value if kind else None,
            features=[feature.value for feature in features or ()],
            party_size=party_size or None,
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
    info: Info, upcoming_only: bool = True, first: int = 20, after: str | None = strawberry.UNSET
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
        page_info=PageInfo(has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None),
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


@strawberry.type
class MakerSpaceQuery:
    @strawberry.field
    async def maker_spaces(self, info: Info) -> list[MakerSpace]:
        return [
            MakerSpace.from_model(model)
            for model in await makerspace_service.list_spaces(session=info.context.session)
        ]

    resource_availability: list[ResourceDay] = strawberry.field(
        resolver=resolve_availability, description="Free slots of each matching resource on one day."
    )
    my_reservations: ReservationConnection = strawberry.field(
        resolver=resolve_my_reservations, extensions=signed_in()
    )

    @strawberry.field(
        extensions=has_role(Role.MAKERSPACE_STAFF, Role.ADMIN),
        description="The current check-in code shown on the space's kiosk (MAKERSPACE_STAFF only).",
    )
    async def maker_space_check_in_code(self, info: Info, space_id: strawberry.ID) -> CheckInCode:
        space = await staff_space(info, space_id)
        code, valid_until = makerspace_service.check_in_code(space, info.context.clock())
        return CheckInCode(code=code, valid_until=valid_until)

    @strawberry.field(
        extensions=has_role(Role.MAKERSPACE_STAFF, Role.ADMIN),
        description="Every reservation of the space on one day, for its staff.",
    )
    async def maker_space_reservations(
        self, info: Info, space_id: strawberry.ID, date: date
    ) -> list[Reservation]:
        space = await staff_space(info, space_id)
        models = await makerspace_service.space_day(session=info.context.session, space=space, day=date)
        return [Reservation.from_model(model) for model in models]


@strawberry.type
class MakerSpaceMutation:
    @strawberry.mutation(extensions=signed_in())
    async def reservation_create(self, info: Info, input: ReservationCreateInput) -> ReservationCreateResult:
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
        return await mutation_result(ctx, work, Reservation.from_model)

    @strawberry.mutation(extensions=signed_in())
    async def reservation_cancel(self, info: Info, id: strawberry.ID) -> ReservationCancelResult:
        ctx = info.context
        work = makerspace_service.cancel(
            session=ctx.session, viewer=ctx.viewer, reservation_id=pk_of(id, "Reservation"), now=ctx.clock()
        )
        return await mutation_result(ctx, work, Reservation.from_model)

    @strawberry.mutation(extensions=signed_in())
    async def reservation_check_in(
        self, info: Info, id: strawberry.ID, code: str
    ) -> ReservationCheckInResult:
        ctx = info.context
        quotas = code_quotas(ctx)
        await count_attempt(ctx, quotas)
        work = makerspace_service.check_in(
            session=ctx.session,
            viewer=ctx.viewer,
            reservation_id=pk_of(id, "Reservation"),
            code=code,
            now=ctx.clock(),
        )
        result = await mutation_result(ctx, work, Reservation.from_model)
        if isinstance(result, Reservation):
            await forgive_attempt(ctx, quotas)  # only wrong codes count
        return result
