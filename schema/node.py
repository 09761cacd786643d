"""`node(id:)`: each Node type registers how to fetch one object, with its own permission check."""

from collections.abc import Awaitable, Callable
from typing import Any

from strawberry.types import Info

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
