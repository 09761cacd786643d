"""The graph's common parts: Node and global IDs, DomainError, PageInfo and cursors."""

import base64
import binascii
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import orjson
import strawberry
from graphql import GraphQLError
from strawberry.types.nodes import SelectedField

from resolvers.errors import DomainFailure

T = TypeVar("T")


def bad_request(message: str, reason: str = "INVALID_ARGUMENT") -> GraphQLError:
    """The client's input was wrong: code BAD_REQUEST, `reason` saying which rule (for programs)."""
    return GraphQLError(message, extensions={"code": "BAD_REQUEST", "reason": reason})


# ── Node and opaque global IDs ────────────────────────────────────────────────


@strawberry.interface(description="An object with a global ID that `node(id:)` can fetch again.")
class Node:
    id: strawberry.ID


def encode_global_id(type_name: str, pk: int) -> strawberry.ID:
    raw = f"{type_name}:{pk}".encode()
    return strawberry.ID(base64.urlsafe_b64encode(raw).decode().rstrip("="))


def decode_global_id(global_id: str, expected_type: str | None = None) -> tuple[str, int]:
    """Return (type name, primary key); a malformed ID or one of another type is BAD_REQUEST."""
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        type_name, _, pk = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
        value = int(pk)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise bad_request(f"无效的 ID：{global_id!r}", "INVALID_ID") from None
    if not type_name or (expected_type is not None and type_name != expected_type):
        raise bad_request(f"ID {global_id!r} 不是 {expected_type or '已知'} 类型", "INVALID_ID")
    if not 0 < value < 2**63:  # keys are positive bigints: anything else names nothing we made
        raise bad_request(f"无效的 ID：{global_id!r}", "INVALID_ID")
    return type_name, value


# ── Expected failures are data ───────────────────────────────────────────────


@strawberry.interface(description="Every expected failure of a mutation is a result type implementing this.")
class DomainError:
    code: str = strawberry.field(
        description="Stable, English, UPPER_SNAKE_CASE, documented (e.g. SLOT_TAKEN)."
    )
    message: str = strawberry.field(description="For people, in Chinese.")


@strawberry.type(
    description="A business rule said no; code tells which (e.g. TOO_FAR_AHEAD, DAILY_CAP, ALREADY_RESOLVED)."
)
class RuleViolation(DomainError):
    pass


@strawberry.type
class NotFound(DomainError):
    pass


# DomainFailure.kind → the result type that answers it; each domain registers its own.
DOMAIN_ERROR_TYPES: dict[str, type] = {"RuleViolation": RuleViolation, "NotFound": NotFound}


def register_domain_errors(*types: type) -> None:
    DOMAIN_ERROR_TYPES.update({error_type.__name__: error_type for error_type in types})


def as_domain_error(failure: DomainFailure):
    return DOMAIN_ERROR_TYPES[failure.kind](code=failure.code, message=failure.message, **failure.details)


async def mutation_result(context, work: Awaitable[T], present: Callable[[T], Any]):
    """Commit and present what `work` made, or roll back and answer the rule that said no."""
    try:
        made = await work
    except DomainFailure as failure:
        if getattr(failure, "keep_changes", False):
            await context.session.commit()  # e.g. a wrong PIN still counts as an attempt
        else:
            await context.session.rollback()
        return as_domain_error(failure)
    await context.session.commit()
    return present(made)


async def or_not_found(work: Awaitable[T]) -> T:
    """For queries: a missing object named by an argument is a NOT_FOUND error."""
    try:
        return await work
    except DomainFailure as failure:
        raise GraphQLError(failure.message, extensions={"code": failure.code}) from None


# ── Connections with keyset cursors ──────────────────────────────────────────


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


def encode_cursor(key: list | tuple) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(list(key))).decode().rstrip("=")


def decode_cursor(cursor: str | None, *, size: int) -> list | None:
    """The key a cursor carries; a cursor this server did not make is BAD_REQUEST."""
    if cursor is None:
        return None
    try:
        key = orjson.loads(base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()))
    except (binascii.Error, orjson.JSONDecodeError, ValueError):
        raise bad_request(f"无效的分页游标：{cursor!r}", "INVALID_CURSOR") from None
    if not isinstance(key, list) or len(key) != size:
        raise bad_request(f"无效的分页游标：{cursor!r}", "INVALID_CURSOR")
    return key


def selects(selections: list, path: tuple[str, ...]) -> bool:
    """Whether a selection (e.g. `info.selected_fields`) asks for the field at `path`, looking
    through fragments; for refusing a request before it writes rather than after."""
    if not path:
        return True
    for selection in selections:
        if isinstance(selection, SelectedField):
            if selection.name == path[0] and selects(selection.selections, path[1:]):
                return True
        elif selects(selection.selections, path):  # inline fragment or fragment spread
            return True
    return False


def pk_of(global_id: str, type_name: str) -> int:
    """The primary key inside a global ID of the expected type (BAD_REQUEST otherwise)."""
    return decode_global_id(global_id, type_name)[1]


def decode_time_cursor(cursor: str | None) -> list | None:
    """A cursor of (aware datetime, id), as the lists ordered by time make them."""
    key = decode_cursor(cursor, size=2)
    if key is None:
        return None
    try:
        moment = datetime.fromisoformat(key[0])
    except (TypeError, ValueError):
        moment = None
    if moment is None or moment.tzinfo is None or not isinstance(key[1], int):
        raise bad_request(f"无效的分页游标：{cursor!r}", "INVALID_CURSOR")
    return [moment, key[1]]


def check_first(first: int, maximum: int) -> None:
    if first < 0 or first > maximum:
        raise bad_request(f"first 必须在 0 到 {maximum} 之间，收到 {first}", "PAGE_SIZE_OUT_OF_RANGE")
