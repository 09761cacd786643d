"""The life circle on the compiled read path (#19): nearbyFacilities as one statement whose JSON
PostgreSQL builds, from the same search (nearby_page) and the same field expressions the resolvers
read (edge_columns, period_columns, is_open, SERVICE_ORDER)."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import DateTime, Text, cast, select

from models.facilities import FacilityService, OpeningPeriod, Service
from resolvers.compiled import (
    Columns,
    Env,
    FieldSQL,
    ObjectType,
    Plans,
    Prepared,
    Ranked,
    Selected,
    bound,
    bound_values,
    column,
    connection_json,
    global_id,
    list_of,
    object_json,
    one_row,
)
from resolvers.facilities.search import (
    OPENING_PERIOD_COLUMNS,
    OPENING_PERIOD_ORDER,
    SERVICE_ORDER,
    NearbyFilter,
    NearbyShape,
    Walking,
    edge_columns,
    is_open,
    nearby_count,
    nearby_page,
)

SERVICE = ObjectType("FacilityService", {"code": column("code"), "name": column("name")})
OPENING_PERIOD = ObjectType(
    "OpeningPeriod",
    {name: column(name) for name in ("weekday", "opens", "closes", "overnight")},
)
FACILITY = ObjectType(
    "Facility",
    {
        "id": FieldSQL(sql=lambda source, _selected, _path: global_id("Facility", source.c.id)),
        "name": column("name"),
        "category": column("category"),  # stored as the enum member's name
        "address": column("address"),
        "phone": column("phone"),
        "accessibility": column("accessibility"),
        "closedReason": column("closed_reason"),
        "services": list_of(
            SERVICE,
            Columns((Service.code, Service.name)),
            SERVICE_ORDER,
            lambda facility: (
                (FacilityService.facility_id == facility.c.id) & (Service.id == FacilityService.service_id)
            ),
        ),
        "openingHours": list_of(
            OPENING_PERIOD,
            Columns(OPENING_PERIOD_COLUMNS),
            OPENING_PERIOD_ORDER,
            lambda facility: OpeningPeriod.facility_id == facility.c.id,
        ),
        "isOpen": FieldSQL(
            sql=lambda source, _selected, path: is_open(
                source.c.id, source.c.closed_at, cast(bound(path, "at"), DateTime(timezone=True))
            ),
            parameters=lambda arguments, env: {"at": arguments.get("at") or env.now},
        ),
    },
)
EDGE = ObjectType(
    "FacilityEdge",
    {
        "cursor": column("cursor"),
        "distanceMeters": column("distance_meters"),
        "walkingMinutes": column("walking_minutes"),
        "node": FieldSQL(
            sql=lambda source, selected, path: object_json(FACILITY, source, selected.selections, path=path),
            of=FACILITY,
        ),
    },
)

_PLANS = Plans()


def _connection_statement(shape: NearbyShape, selected: Selected) -> Any:
    """One row, the connection's JSON as text: the page ranked by (distance, id), its first `first`
    rows aggregated as edges, the row past them telling whether a next page exists."""
    nearest = nearby_page(shape).subquery("nearest")
    page = select(nearest, *edge_columns(nearest.c.distance, nearest.c.id)).subquery("page")
    ranked = Ranked.of(page, (page.c.distance, page.c.id))
    text = connection_json(
        ranked,
        selected,
        name="FacilityConnection",
        edge=EDGE,
        extra={"totalCount": lambda: nearby_count(shape).scalar_subquery()},
    )
    return one_row(cast(text, Text), ranked=ranked)


def _bound_values(selected: Selected, env: Env) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field in selected.selections:
        if field.name == "edges":
            values.update(bound_values(EDGE, field.selections, env, path=(selected.key, field.key)))
    return values


def plan_nearby(
    selected: Selected,
    *,
    where: NearbyFilter,
    walking: Walking,
    first: int,
    after: Sequence | None,
    env: Env,
) -> tuple[Prepared, dict[str, Any]]:
    """nearbyFacilities' statement (its JSON built by PostgreSQL) and its parameters' values."""
    shape = where.shape(after=after)
    prepared = _PLANS.get(
        ("nearbyFacilities", shape, selected.structure()), lambda: _connection_statement(shape, selected)
    )
    values = where.parameters(first=first, after=after, walking=walking)
    values["has_previous"] = after is not None
    values.update(_bound_values(selected, env))
    return prepared, values
