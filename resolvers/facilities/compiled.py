"""The life circle on the compiled read path (#19): nearbyFacilities as one statement whose JSON
PostgreSQL builds, from the same search (nearby_page) and the same field expressions the resolvers
read (edge_columns, period_columns, is_open, SERVICE_ORDER)."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import DateTime, Text, case, cast, func, literal_column, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

from models.facilities import Facility, FacilityService, OpeningPeriod, Service
from resolvers.compiled import (
    Columns,
    Env,
    FieldSQL,
    ObjectType,
    Path,
    Plans,
    Prepared,
    Ranked,
    Selected,
    bound,
    bound_values,
    column,
    connection_json,
    empty_array,
    global_id,
    list_of,
    object_json,
    objects_by_ids,
    one_row,
)
from resolvers.facilities.search import (
    OPENING_PERIOD_COLUMNS,
    OPENING_PERIOD_ORDER,
    SERVICE_ORDER,
    NearbyFilter,
    NearbyShape,
    Walking,
    coverage_of,
    edge_columns,
    is_open,
    life_circle_order,
    life_circle_rows,
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


# lifeCircle: over the rows of life_circle_rows (a CTE, "circle"), one per requirement.
REQUIREMENT = ObjectType(
    "LifeCircleRequirement",
    {
        "category": column("requirement_category"),
        "label": column("label"),
        "satisfiedBy": column("satisfied_by"),  # varchar[]: a JSON array of the members' names
        "satisfied": column("satisfied"),
        "nearest": FieldSQL(
            sql=lambda source, selected, path: case(
                (source.c.id.is_(None), None),
                else_=object_json(EDGE, source, selected.selections, path=path),
            ),
            of=EDGE,
        ),
    },
)


def _requirements(circle: Any, selected: Selected, path: Path) -> Any:
    """A tier's requirements: an aggregate over its rows (the tier's query groups by tier_minutes)."""
    element = object_json(REQUIREMENT, circle, selected.selections, path=path)
    return empty_array(func.json_agg(aggregate_order_by(element, *life_circle_order(circle))))


TIER = ObjectType(
    "LifeCircleTier",
    {"minutes": column("tier_minutes"), "requirements": FieldSQL(sql=_requirements, of=REQUIREMENT)},
)


def _circle_report(circle: Any) -> ObjectType:
    def tiers(_source: Any, selected: Selected, path: Path) -> Any:
        tier = object_json(TIER, circle, selected.selections, path=path).label("tier")
        grouped = select(tier, circle.c.tier_minutes).group_by(circle.c.tier_minutes).subquery("tier")
        ordered = aggregate_order_by(grouped.c.tier, grouped.c.tier_minutes)
        return select(empty_array(func.json_agg(ordered))).scalar_subquery()

    return ObjectType(
        "LifeCircleReport",
        {
            "coverage": FieldSQL(sql=lambda source, _selected, _path: coverage_of(source.c.satisfied)),
            "tiers": FieldSQL(sql=tiers, of=TIER),
        },
    )


def _life_circle_statement(selected: Selected) -> Any:
    """One row: the report's JSON, its coverage aggregated over every requirement's row, its tiers
    grouped from the same rows (read once: a CTE)."""
    circle = life_circle_rows().cte("circle")
    report = object_json(_circle_report(circle), circle, selected.selections, path=(selected.key,))
    # Grouped by nothing: one row whatever is selected.
    return select(cast(report, Text)).select_from(circle).group_by(literal_column("()"))


# The report's fields for bound_values: what a field binds does not depend on the CTE.
_REPORT = _circle_report(None)


def plan_life_circle(
    selected: Selected, *, lat: float, lng: float, walking: Walking, env: Env
) -> tuple[Prepared, dict[str, Any]]:
    """lifeCircle's statement and its parameters' values (the same as the resolvers' query)."""
    prepared = _PLANS.get(("lifeCircle", selected.structure()), lambda: _life_circle_statement(selected))
    values = {"lat": lat, "lng": lng, "pace": walking.pace_m_per_min, "detour": walking.detour_factor}
    values.update(bound_values(_REPORT, selected.selections, env, path=(selected.key,)))
    return prepared, values


def plan_facility_node(selections: tuple[Selected, ...], *, env: Env) -> tuple[Prepared, dict[str, Any]]:
    """node(id:) of a Facility: any facility, closed ones too (public, as fetch_facility)."""
    shape = tuple(field.structure() for field in selections)
    prepared = _PLANS.get(
        ("node", "Facility", shape),
        lambda: objects_by_ids(FACILITY, Facility.__table__.alias("facility"), selections),
    )
    return prepared, bound_values(FACILITY, selections, env, path=())
