"""Care alerts on the compiled read path (#19): careAlerts as one statement whose JSON PostgreSQL
builds, from the resolvers' own query (_alert_query: the viewer's visibility and the filters as
named parameters) and cursor (alert_cursor). The statement also returns whose alerts it showed, so
the health access log notes the same reads as on the resolver path, in the same transaction."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Integer,
    Text,
    and_,
    cast,
    func,
    tuple_,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by

from models.eldercare import CareAlert, Elder
from resolvers.actor import Viewer
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
    column,
    connection_json,
    datetime_text,
    global_id,
    object_json,
    objects_by_ids,
    one_of,
    one_row,
    page_values,
    selects,
)
from resolvers.eldercare.access import viewer_values
from resolvers.eldercare.queries import AlertFilter, _alert_query, alert_cursor, elder_cursor, elder_query


def _moment(name: str) -> FieldSQL:
    return FieldSQL(sql=lambda source, _selected, _path: datetime_text(source.c[name]))


ELDER = ObjectType(
    "Elder",
    {
        "id": FieldSQL(sql=lambda source, _selected, _path: global_id("Elder", source.c.id)),
        "name": column("name"),
        "livesAlone": column("lives_alone"),
    },
)
ALERT = ObjectType(
    "CareAlert",
    {
        # Every alert the viewer sees is of an elder the viewer sees (_alert_query): always there.
        "elder": one_of(
            ELDER,
            Columns((Elder.id, Elder.name, Elder.lives_alone)),
            lambda alert: Elder.id == alert.c.elder_id,
        ),
        "id": FieldSQL(sql=lambda source, _selected, _path: global_id("CareAlert", source.c.id)),
        "kind": column("kind"),  # stored as the enum member's name
        "severity": column("severity"),
        "status": column("status"),
        "summary": column("summary"),
        "count": column("count"),
        "openedAt": _moment("opened_at"),
        "lastSeenAt": _moment("last_seen_at"),
        "escalationLevel": column("escalation_level"),
        "acknowledgedAt": _moment("acknowledged_at"),
        "resolvedAt": _moment("resolved_at"),
        "resolutionNote": column("resolution_note"),
    },
)
EDGE = ObjectType(
    "CareAlertEdge",
    {
        "cursor": column("cursor"),
        "node": FieldSQL(
            sql=lambda source, selected, path: object_json(ALERT, source, selected.selections, path=path),
            of=ALERT,
        ),
    },
)
_PLANS = Plans()


@dataclass(frozen=True)
class AlertsShape:
    filters: tuple[bool, bool, bool]  # statuses, severities, community given
    after: bool


def _statement(shape: AlertsShape, selected: Selected) -> Any:
    """(the connection's JSON text, the elders whose alerts it showed or told of)."""
    statuses, severities, community = shape.filters
    # The filter's values are bound per request: the shape alone decides the statement.
    where = AlertFilter(
        statuses=["-"] if statuses else [],
        severities=["-"] if severities else [],
        community_id=0 if community else None,
    )
    stmt = _alert_query(_ANYONE, where)
    if shape.after:
        stmt = stmt.where(
            tuple_(CareAlert.opened_at, CareAlert.id)
            < tuple_(
                cast(bound((), "after_opened_at"), DateTime(timezone=True)),
                cast(bound((), "after_id"), BigInteger),
            )
        )
    page = (
        stmt.add_columns(alert_cursor())
        .order_by(CareAlert.opened_at.desc(), CareAlert.id.desc())
        .limit(cast(bound((), "limit"), Integer))
        .subquery("page")
    )
    ranked = Ranked.of(page, (page.c.opened_at.desc(), page.c.id.desc()))
    rows = ranked.rows
    text = cast(connection_json(ranked, selected, name="CareAlertConnection", edge=EDGE), Text)
    # The alerts shown are a read of their elders; the one past the page too when the answer
    # tells that it exists (pageInfo.hasNextPage), as on the resolver path.
    shown_elders = func.array_agg(aggregate_order_by(rows.c.elder_id, rows.c.position)).filter(ranked.shown)
    told = and_(rows.c.position == ranked.first + 1, cast(bound((), "asks_next"), Boolean))
    return one_row(text, shown_elders, func.min(rows.c.elder_id).filter(told), ranked=ranked)


class _Anyone:
    """A viewer for building the statement: its visibility is bound per request (viewer_values),
    and a prepared statement keeps no viewer's values (resolvers.compiled.prepare)."""

    person_id = None
    community_id = None

    def has_role(self, _role: str) -> bool:
        return False


_ANYONE: Any = _Anyone()


def asks_has_next_page(selected: Selected) -> bool:
    return selects(selected.selections, ("pageInfo", "hasNextPage"))


def reads(selected: Selected, shown: list[int] | None, beyond: int | None) -> list[tuple[int, str]]:
    """The health reads an answer made, as the resolvers note them: each alert shown is a read of
    its elder's alerts, its `elder` a read of the profile; the alert past the page, when the answer
    tells that it exists, a read of that elder's alerts."""
    noted = [(elder_id, "alerts") for elder_id in shown or ()]
    if selects(selected.selections, ("edges", "node", "elder")):
        noted += [(elder_id, "profile") for elder_id in shown or ()]
    if beyond is not None:
        noted.append((beyond, "alerts"))
    return noted


def plan_alerts(
    selected: Selected, *, viewer: Viewer, where: AlertFilter, first: int, after: Sequence | None, env: Env
) -> tuple[Prepared, dict[str, Any]]:
    shape = AlertsShape(filters=where.shape(), after=after is not None)
    prepared = _PLANS.get(("careAlerts", shape, selected.structure()), lambda: _statement(shape, selected))
    values: dict[str, Any] = {
        **viewer_values(viewer),
        **where.values(),
        **page_values(first=first, after=after),
        "asks_next": asks_has_next_page(selected),
    }
    if after is not None:
        values["after_opened_at"], values["after_id"] = after
    return prepared, values


ELDER_EDGE = ObjectType(
    "ElderEdge",
    {
        "cursor": column("cursor"),
        "node": FieldSQL(
            sql=lambda source, selected, path: object_json(ELDER, source, selected.selections, path=path),
            of=ELDER,
        ),
    },
)


@dataclass(frozen=True)
class EldersShape:
    community: bool
    lives_alone: bool
    after: bool


def _elders_statement(shape: EldersShape, selected: Selected) -> Any:
    """(the connection's JSON text, the elders it showed, the one past the page it told of)."""
    # The filters' values are bound per request: the shape alone decides the statement.
    stmt = elder_query(
        _ANYONE, community_id=0 if shape.community else None, lives_alone=True if shape.lives_alone else None
    )
    if shape.after:
        stmt = stmt.where(Elder.id > cast(bound((), "after_id"), BigInteger))
    page = (
        stmt.add_columns(elder_cursor())
        .order_by(Elder.id)
        .limit(cast(bound((), "limit"), Integer))
        .subquery("page")
    )
    ranked = Ranked.of(page, (page.c.id,))
    rows = ranked.rows
    text = cast(connection_json(ranked, selected, name="ElderConnection", edge=ELDER_EDGE), Text)
    shown = func.array_agg(aggregate_order_by(rows.c.id, rows.c.position)).filter(ranked.shown)
    told = and_(rows.c.position == ranked.first + 1, cast(bound((), "asks_next"), Boolean))
    return one_row(text, shown, func.min(rows.c.id).filter(told), ranked=ranked)


def plan_elders(
    selected: Selected,
    *,
    viewer: Viewer,
    community_id: int | None,
    lives_alone: bool | None,
    first: int,
    after: Sequence | None,
) -> tuple[Prepared, dict[str, Any]]:
    shape = EldersShape(
        community=community_id is not None, lives_alone=lives_alone is not None, after=after is not None
    )
    prepared = _PLANS.get(("elders", shape, selected.structure()), lambda: _elders_statement(shape, selected))
    values: dict[str, Any] = {
        **viewer_values(viewer),
        **page_values(first=first, after=after),
        "elder_community_id": community_id,
        "elder_lives_alone": lives_alone,
        "asks_next": asks_has_next_page(selected),
    }
    if after is not None:
        values["after_id"] = after[0]
    return prepared, values


def elder_reads(shown: list[int] | None, beyond: int | None) -> list[tuple[int, str]]:
    """Each elder shown is a read of the profile; the one past the page too when the answer tells
    that it exists, as on the resolver path."""
    return [(elder_id, "profile") for elder_id in [*(shown or ()), *([beyond] if beyond is not None else [])]]


def plan_alert_node(selections: tuple[Selected, ...], *, viewer: Viewer) -> tuple[Prepared, dict[str, Any]]:
    """node(id:) of a CareAlert: (id, JSON, elder id) of the alert when the viewer may see its elder
    (the careAlerts query without filters: _alert_query, as fetch_alert's loader reads it)."""
    shape = tuple(field.structure() for field in selections)

    def build() -> Any:
        alert = _alert_query(_ANYONE, AlertFilter()).subquery("alert")
        return objects_by_ids(ALERT, alert, selections, alert.c.elder_id)

    return _PLANS.get(("node", "CareAlert", shape), build), viewer_values(viewer)


def alert_reads(selections: tuple[Selected, ...], elder_id: int) -> list[tuple[int, str]]:
    """The health reads of one alert shown, as the resolvers note them: the alert (fetch_alert),
    and the elder's profile when its `elder` is selected (visible_elder)."""
    noted = [(elder_id, "alerts")]
    if selects(selections, ("elder",)):
        noted.append((elder_id, "profile"))
    return noted
