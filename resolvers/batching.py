"""Batch reads for DataLoaders: one statement for many ids, answered in the order the ids came."""

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession


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
