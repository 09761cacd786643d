"""The graph's common parts: Node and global IDs, DomainError, PageInfo and cursors."""

import base64
import binascii
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, ClassVar, TypeVar

import orjson
import strawberry
from graphql import GraphQLError
from strawberry.types.nodes import SelectedField

from resolvers import audit
from resolvers import errors as failures
from resolvers.errors import DomainFailure
from schema.error_codes import MEANINGS

T = TypeVar("T")


def bad_request(message: str, reason: str = "INVALID_ARGUMENT") -> GraphQLError:
    """The client's input was wrong: code BAD_REQUEST, `reason` saying which rule (for programs)."""
    return GraphQLError(message, extensions={"code": "BAD_REQUEST", "reason": reason})


# ── Node and opaque global IDs ────────────────────────────────────────────────


@strawberry.interface(description="An object with a global ID that `node(id:)` can fetch again.")
class Node:
    id: strawberry.ID = strawberry.field(
        description="The object's global ID: opaque (do not parse it); `node(id:)` fetches the object again."
    )


def described_enum(model_enum: type, *, name: str, description: str, values: dict[str, str]):
    """A model's enum in the graph, with a description for the type and for each value (the models
    know nothing of the graph; `values` must name every member, so a new one cannot go unexplained)."""
    graph_enum = strawberry.enum(model_enum, name=name, description=description)
    members = {member.name for member in model_enum}
    if set(values) != members:
        raise ValueError(f"{name}: describe exactly {sorted(members)}, not {sorted(values)}")
    for value in graph_enum.__strawberry_definition__.values:
        value.description = values[value.name]
    return graph_enum


def encode_global_id(type_name: str, pk: int) -> strawberry.ID:
    return strawberry.ID(audit.global_id(type_name, pk))


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


ErrorCode = described_enum(
    failures.ErrorCode,
    name="ErrorCode",
    description="Every code an expected failure can carry (DomainError.code, RejectedReading.code): stable, "
    "English, so a client can switch on it exhaustively; the message is for people.",
    values={code.name: meaning for code, meaning in MEANINGS.items()},
)


@strawberry.interface(description="Every expected failure of a mutation is a result type implementing this.")
class DomainError:
    code: ErrorCode = strawberry.field(description="Which rule said no (see ErrorCode).")
    message: str = strawberry.field(description="For people, in Chinese.")
    # The failure class (resolvers) this result type answers; a subclass's failure too, unless
    # another member of the field's result union answers it more closely.
    answers: ClassVar[type[DomainFailure]]


@strawberry.type(
    description="A business rule said no; code tells which (e.g. TOO_FAR_AHEAD, DAILY_CAP, ALREADY_RESOLVED)."
)
class RuleViolation(DomainError):
    answers: ClassVar[type[DomainFailure]] = DomainFailure


@strawberry.type(
    description="NOT_FOUND: the object named does not exist, or is not yours to see or change (the two "
    "are not told apart)."
)
class NotFound(DomainError):
    answers: ClassVar[type[DomainFailure]] = failures.NotFound


def result_types(info) -> tuple[type, ...]:
    """The members of the field's result union (a field that answers one type: that type)."""
    answer = info.return_type
    return tuple(getattr(answer, "types", (answer,)))


def as_domain_error(failure: DomainFailure, members: tuple[type, ...]):
    """The member of the result union that answers this failure: the one answering its own class,
    else its nearest base class's."""
    for failure_class in type(failure).__mro__:
        for member in members:
            if getattr(member, "answers", None) is failure_class:
                return member(code=failure.code, message=failure.message, **failure.details)
    raise TypeError(f"{type(failure).__name__} ({failure.code}) is none of {[m.__name__ for m in members]}")


async def mutation_result(info, work: Awaitable[T], present: Callable[[T], Any]):
    """Commit and present what `work` made, or roll back and answer the rule that said no."""
    context = info.context
    try:
        made = await work
    except DomainFailure as failure:
        if failure.keep_changes:
            await commit(context)  # e.g. a wrong PIN still counts as an attempt
        else:
            await context.session.rollback()
            context.rolled_back()
        return as_domain_error(failure, result_types(info))
    await commit(context)
    return present(made)


async def commit(context) -> None:
    """Commit the request's transaction, then let what it revoked hold here at once."""
    await context.session.commit()
    context.committed()


async def or_not_found(work: Awaitable[T]) -> T:
    """For queries: a missing object named by an argument is a NOT_FOUND error."""
    try:
        return await work
    except DomainFailure as failure:
        raise GraphQLError(failure.message, extensions={"code": failure.code}) from None


# ── Connections with keyset cursors ──────────────────────────────────────────


@strawberry.type(description="Where a page of a connection stands (keyset pagination: `first` and `after`).")
class PageInfo:
    has_next_page: bool = strawberry.field(
        description="Whether more edges follow this page: ask again with `after: endCursor`."
    )
    has_previous_page: bool = strawberry.field(
        description="Whether edges come before this page: true when it was asked for `after` a cursor "
        "(pages go forward only, so this is what the Relay spec allows for `first`/`after`)."
    )
    start_cursor: str | None = strawberry.field(
        description="The cursor of this page's first edge (opaque); null when the page is empty."
    )
    end_cursor: str | None = strawberry.field(
        description="The cursor of this page's last edge (opaque); null when the page is empty."
    )

    @classmethod
    def of(cls, edges: list, *, has_next: bool, after: str | None) -> "PageInfo":
        """The Relay spec's page info of a forward page (`first`, `after`) of these edges."""
        return cls(
            has_next_page=has_next,
            has_previous_page=bool(after),
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        )


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


def _included(selection) -> bool:
    """Whether `@skip` / `@include` (their `if` with the request's variables) keep it in the answer."""
    directives = getattr(selection, "directives", None) or {}
    return not (
        directives.get("skip", {}).get("if") is True or directives.get("include", {}).get("if") is False
    )


def shows(selections: list, path: tuple[str, ...]) -> bool:
    """Whether the answer shows the field at `path`: as `selects`, but only what `@skip` and
    `@include` keep (what the answer tells, for logging what was read)."""
    if not path:
        return True
    for selection in selections:
        if not _included(selection):
            continue
        if isinstance(selection, SelectedField):
            if selection.name == path[0] and shows(selection.selections, path[1:]):
                return True
        elif shows(selection.selections, path):  # inline fragment or fragment spread
            return True
    return False


def asks_has_next_page(info) -> bool:
    """Whether the answer shows the connection's `pageInfo { hasNextPage }`: it tells whether more
    exists, which is a read of what exists when the list is health data."""
    return any(shows(field.selections, ("pageInfo", "hasNextPage")) for field in info.selected_fields)


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
