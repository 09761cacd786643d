"""Keyset (not offset) pagination: the next page starts strictly after the last key seen."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    items: list[T]
    keys: list[tuple]
    has_next: bool
    next_item: T | None = None  # the first beyond the page: what `has_next` tells exists
    cursors: list[str] | None = None  # each item's cursor, when the statement made them


async def keyset_page(
    stmt: Select,
    *,
    session: AsyncSession,
    key_columns: Sequence[ColumnElement[Any]],
    first: int,
    after: Sequence[Any] | None,
    descending: bool = False,
    cursor: ColumnElement[Any] | None = None,
) -> Page:
    """Page through `stmt` ordered by `key_columns` (which must end in a unique column); `cursor`:
    each row's cursor made by the statement (read into `cursors`)."""
    key = tuple_(*key_columns)
    if after is not None:
        stmt = stmt.where(key < tuple_(*after) if descending else key > tuple_(*after))
    order = [column.desc() for column in key_columns] if descending else list(key_columns)
    extra = [cursor] if cursor is not None else []
    stmt = stmt.add_columns(*key_columns, *extra).order_by(*order).limit(first + 1)
    rows = (await session.execute(stmt)).all()
    width = len(key_columns)
    items = [row[0] for row in rows[:first]]
    keys = [tuple(row[1 : 1 + width]) for row in rows[:first]]
    cursors = [row[-1] for row in rows[:first]] if cursor is not None else None
    beyond = rows[first][0] if len(rows) > first else None
    return Page(items=items, keys=keys, has_next=beyond is not None, next_item=beyond, cursors=cursors)
