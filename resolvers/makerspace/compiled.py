"""The maker spaces on the compiled read path (#19): makerSpaces and resourceAvailability as one
statement each whose JSON PostgreSQL builds, from the same definitions the resolvers read: which
resources are listed and in which order (in_use, display_order, space_order), which slots are free
(free_slots) and which resources a day lists (AvailabilityFilter).

MakerSpace.blockOuts is not declared (its visibility is a check on the viewer's roles per space):
a selection with it runs through the resolvers."""

from typing import Any

from sqlalchemy import BigInteger, Date, DateTime, Integer, String, Text, cast, func, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from models.makerspace import MakerSpace, Resource
from resolvers.compiled import (
    Columns,
    Env,
    FieldSQL,
    ObjectType,
    Path,
    Plans,
    Prepared,
    Selected,
    bound,
    bound_values,
    column,
    datetime_text,
    empty_array,
    fetch_json,
    global_id,
    object_json,
    objects_by_ids,
)
from resolvers.makerspace.calendar import AvailabilityFilter, day_slots, is_held
from resolvers.makerspace.spaces import display_order, in_use, space_not_found, space_order

RESOURCE = ObjectType(
    "Resource",
    {
        "id": FieldSQL(sql=lambda source, _selected, _path: global_id("Resource", source.c.id)),
        "name": column("name"),
        "kind": column("kind"),  # stored as the enum member's name
        "capacity": column("capacity"),
        "features": column("features"),  # varchar[]: a JSON array of the members' names
        "position": column("position"),
        "active": column("active"),
        "retiredAt": FieldSQL(sql=lambda source, _selected, _path: datetime_text(source.c.retired_at)),
    },
)
# Over the day's slots' text (see _availability_statement).
TIME_SLOT = ObjectType("TimeSlot", {"start": column("start_text"), "end": column("end_text")})
RULES = ObjectType(
    "MakerSpaceRules",
    {
        "slotMinutes": column("slot_minutes"),
        "bookingHorizonDays": column("booking_horizon_days"),
        "deskMaxMinutes": column("desk_max_minutes"),
        "roomMaxMinutes": column("room_max_minutes"),
        "deskDailyCapMinutes": column("desk_daily_cap_minutes"),
        "checkInBeforeMinutes": column("check_in_before_minutes"),
        "checkInAfterMinutes": column("check_in_after_minutes"),
        "noShowLimit": column("no_show_limit"),
        "noShowWindowDays": column("no_show_window_days"),
        "suspensionDays": column("suspension_days"),
    },
)


def clock_text(moment: Any) -> Any:
    """A time of day as HH:MM (MakerSpace.from_model's f"{opens_at:%H:%M}")."""
    return func.to_char(moment, literal_column("'HH24:MI'"))


def _resources(space: Any, selected: Selected, path: Path) -> Any:
    """MakerSpace.resources(kind:): the space's resources in use, in display order, maybe of one kind."""
    resource = Resource.__table__.alias()
    kind = cast(bound(path, "kind"), String)
    element = object_json(RESOURCE, resource, selected.selections, path=path)
    return (
        select(empty_array(func.json_agg(aggregate_order_by(element, *display_order(resource)))))
        .where(
            resource.c.space_id == space.c.id, in_use(resource), kind.is_(None) | (resource.c.kind == kind)
        )
        .scalar_subquery()
    )


MAKER_SPACE = ObjectType(
    "MakerSpace",
    {
        "id": FieldSQL(sql=lambda source, _selected, _path: global_id("MakerSpace", source.c.id)),
        "name": column("name"),
        "opensAt": FieldSQL(sql=lambda source, _selected, _path: clock_text(source.c.opens_at)),
        "closesAt": FieldSQL(sql=lambda source, _selected, _path: clock_text(source.c.closes_at)),
        "rules": FieldSQL(
            sql=lambda source, selected, path: object_json(RULES, source, selected.selections, path=path),
            of=RULES,
        ),
        "resources": FieldSQL(
            sql=_resources,
            parameters=lambda arguments, _env: {
                "kind": kind.value if (kind := arguments.get("kind")) else None
            },
            of=RESOURCE,
        ),
    },
)

_PLANS = Plans()


def _maker_spaces_statement(selected: Selected) -> Any:
    space = MakerSpace.__table__.alias("space")
    element = object_json(MAKER_SPACE, space, selected.selections, path=(selected.key,))
    return select(cast(empty_array(func.json_agg(aggregate_order_by(element, *space_order(space)))), Text))


def plan_maker_spaces(selected: Selected, *, env: Env) -> tuple[Prepared, dict[str, Any]]:
    """makerSpaces' statement: every space, in the order list_spaces gives them."""
    prepared = _PLANS.get(("makerSpaces", selected.structure()), lambda: _maker_spaces_statement(selected))
    return prepared, bound_values(MAKER_SPACE, selected.selections, env, path=(selected.key,))


def _availability_statement(wanted: AvailabilityFilter, selected: Selected) -> Any:
    """One row, the day's JSON as text, when the space exists; no row otherwise. The day's slots
    are made once (a materialized CTE), each with its JSON object for every freeSlots selected
    (written once, not once per resource); each resource's free ones are picked from them."""
    space = MakerSpace.__table__.alias("space")
    resource = Resource.__table__.alias("resource")
    space_id = cast(bound((), "space_id"), BigInteger)
    day_space = MakerSpace.__table__.alias("day_space")  # the CTE's own (a CTE correlates to nothing)
    slots = day_slots(
        day_space, cast(bound((), "day"), Date), cast(bound((), "now"), DateTime(timezone=True))
    )
    written = Columns(
        (datetime_text(slots.start).label("start_text"), datetime_text(slots.end).label("end_text"))
    )
    objects = {
        field.key: object_json(TIME_SLOT, written, field.selections, path=(selected.key, field.key)).label(
            f"object_{index}"
        )
        for index, field in enumerate(selected.selections)
        if field.name == "freeSlots"
    }
    slot = (
        select(slots.start.label("start"), slots.end.label("end"), *objects.values())
        .select_from(day_space)  # first: the series (implicitly LATERAL) reads its row
        .where(day_space.c.id == space_id, *slots.where)
        .cte("slot")
        .prefix_with("MATERIALIZED")
    )

    def free_json(source: Any, selected: Selected, _path: Path) -> Any:
        element = slot.c[objects[selected.key].name]
        return (
            select(empty_array(func.json_agg(aggregate_order_by(element, slot.c.start))))
            .where(~is_held(source.c.id, slot.c.start, slot.c.end))
            .scalar_subquery()
        )

    resource_day = ObjectType(
        "ResourceDay",
        {
            "resource": FieldSQL(
                sql=lambda source, selected, path: object_json(
                    RESOURCE, source, selected.selections, path=path
                )
            ),
            "freeSlots": FieldSQL(sql=free_json),
        },
    )
    element = object_json(resource_day, resource, selected.selections, path=(selected.key,))
    days = (
        select(empty_array(func.json_agg(aggregate_order_by(element, *display_order(resource)))))
        .where(
            resource.c.space_id == space.c.id,
            *wanted.where(
                resource,
                kind=cast(bound((), "kind"), String),
                features=cast(bound((), "features"), ARRAY(String)),
                party_size=cast(bound((), "party_size"), Integer),
            ),
        )
        .scalar_subquery()
    )
    return select(cast(days, Text)).where(space.c.id == space_id)


def plan_availability(
    selected: Selected, *, wanted: AvailabilityFilter, day: Any, env: Env
) -> tuple[Prepared, dict[str, Any]]:
    """resourceAvailability's statement (the filters' presence is its shape) and its values."""
    prepared = _PLANS.get(
        ("resourceAvailability", wanted.shape(), selected.structure()),
        lambda: _availability_statement(wanted, selected),
    )
    values = {
        "space_id": wanted.space_id,
        "day": day,
        "now": env.now,
        "kind": wanted.kind,
        "features": list(wanted.features),
        "party_size": wanted.party_size,
    }
    return prepared, values


async def availability_json(*, session: AsyncSession, prepared: Prepared, values: dict[str, Any]) -> str:
    """The day's JSON; a space that does not exist fails as resolvers.makerspace.availability does."""
    text = await fetch_json(session=session, prepared=prepared, values=values)
    if text is None:
        raise space_not_found()
    return text


def plan_node(
    type_name: str, selections: tuple[Selected, ...], *, env: Env
) -> tuple[Prepared, dict[str, Any]]:
    """node(id:) of a MakerSpace or a Resource: any of them, retired resources too (public, as
    fetch_space and fetch_resource)."""
    kind, table = {"MakerSpace": (MAKER_SPACE, MakerSpace), "Resource": (RESOURCE, Resource)}[type_name]
    shape = tuple(field.structure() for field in selections)
    prepared = _PLANS.get(
        ("node", type_name, shape), lambda: objects_by_ids(kind, table.__table__.alias("row"), selections)
    )
    return prepared, bound_values(kind, selections, env, path=())
