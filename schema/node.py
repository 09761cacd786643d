"""`node(id:)`: each Node type registers how to fetch one object, with its own permission check."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from strawberry.types import Info

from resolvers.compiled import Env, NotPlannable, Prepared, Selected, by_ids
from schema.common import Node, decode_global_id

NodeFetcher = Callable[[Info, int], Awaitable[Any | None]]
_FETCHERS: dict[str, NodeFetcher] = {}


def register_node(type_name: str) -> Callable[[NodeFetcher], NodeFetcher]:
    def decorator(fetch: NodeFetcher) -> NodeFetcher:
        _FETCHERS[type_name] = fetch
        return fetch

    return decorator


async def load_for_viewer(info: Info, factory: Callable[..., Any], pk: int) -> Any | None:
    """What `factory`'s permission-checked loader gives the signed-in viewer; None for anyone else."""
    if info.context.viewer is None:
        return None
    return await info.context.loader(factory).load(pk)


async def resolve_node(info: Info, global_id: str) -> Node | None:
    """The object, or null when it does not exist or the viewer may not see it (no IDOR)."""
    type_name, pk = decode_global_id(global_id)
    fetch = _FETCHERS.get(type_name)
    if fetch is None:
        return None
    return await fetch(info, pk)


# ── The compiled read path (#19) ─────────────────────────────────────────────


@dataclass(frozen=True)
class NodePlan:
    """How the compiled path finds one type's object: an objects_by_ids statement (the viewer's
    visibility in it, as the type's fetcher checks it) and its values; `found` is told the columns
    the row has after its JSON (to note the reads the fetcher notes)."""

    prepared: Prepared
    values: dict[str, Any]
    found: Callable[[tuple], None] | None = None


# A type's planner: (context, the selections under node(id:) for that type, env) → its NodePlan,
# or None when the fetcher would answer null without reading (e.g. no one signed in).
NodePlanner = Callable[[Any, tuple[Selected, ...], Env], NodePlan | None]
_PLANNERS: dict[str, NodePlanner] = {}


def register_node_plan(type_name: str) -> Callable[[NodePlanner], NodePlanner]:
    def decorator(plan: NodePlanner) -> NodePlanner:
        _PLANNERS[type_name] = plan
        return plan

    return decorator


def planned_type(context, arguments: dict) -> str:
    """The object type node(id:) answers with, from the ID (the resolver's own decoding: a
    malformed ID raises its BAD_REQUEST, for the resolver to give); a type without a planner (or
    none at all, which the resolver answers with null) is left to the resolver."""
    type_name, _pk = decode_global_id(arguments["id"])
    if type_name not in _PLANNERS:
        raise NotPlannable(f"node(id:) of {type_name}")
    return type_name


def plan_node(context, selected: Selected, env: Env) -> Callable[[], Awaitable[str]]:
    """node(id:) on the compiled read path: the type's statement, shared by every node(id:) of the
    operation that asks the same of the same type (by_ids); null when absent or not visible."""
    type_name, pk = decode_global_id(selected.arguments["id"])
    planned = _PLANNERS[type_name](context, selected.selections, env)
    if planned is None:
        return _null
    lookup = by_ids(env, planned.prepared, planned.values, pk)

    async def run() -> str:
        row = await lookup(context.session)
        if row is None:
            return "null"
        if planned.found is not None:
            planned.found(row[1:])
        return row[0]

    return run


plan_node.runtime_type = planned_type  # type: ignore[attr-defined]


async def _null() -> str:
    return "null"
