"""Batch reads for DataLoaders: one statement for many ids, answered in the order the ids came."""

from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

LoaderFactory = Callable[..., DataLoader]


def in_order(rows: Iterable, ids: Sequence[int]) -> list:
    """The row of each id (by its `id`), in the order the ids came; None where there is none."""
    found = {row.id: row for row in rows}
    return [found.get(row_id) for row_id in ids]


def by_ids(model: type) -> Any:
    """`load(session=…, ids=[…])` → the row of each id, or None where there is none."""

    async def load(*, session: AsyncSession, ids: Sequence[int]) -> list:
        return in_order(await session.scalars(select(model).where(model.id.in_(ids))), ids)

    load.__name__ = f"{model.__tablename__}_by_ids"
    return load


async def grouped(stmt: Select, *, session: AsyncSession, ids: Sequence[int], key: str) -> list[list]:
    """The rows of `stmt` (already limited to `ids` and ordered), one list per id."""
    groups: dict[int, list] = {row_id: [] for row_id in ids}
    for row in await session.scalars(stmt):
        groups[getattr(row, key)].append(row)
    return [groups[row_id] for row_id in ids]


def batch(
    fn: Callable[..., Awaitable[Sequence[Any]]], name: str, *, per_viewer: bool = False
) -> LoaderFactory:
    """A per-request DataLoader factory (`<Model>By<Key>Loader`) over a domain's batch function
    `fn(session=…, ids=[…]) -> [one result per id]`, so a list of N objects asks for its references
    in one statement, not N. `per_viewer`: what `fn` answers depends on who asks,
    `fn(session=…, viewer=…, ids=[…])`."""

    def factory(*, session: AsyncSession, viewer=None) -> DataLoader:
        who = {"viewer": viewer} if per_viewer else {}

        async def load(ids: list[int]):
            return await fn(session=session, ids=ids, **who)

        return DataLoader(load_fn=load)

    factory.__name__ = name
    return factory
