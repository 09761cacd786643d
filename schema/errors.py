"""Top-level errors: every error gets a stable code; internal ones are masked and logged."""

import logging
import re
from collections.abc import Iterator

import asyncpg
import sqlalchemy.exc
from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import MaskErrors

logger = logging.getLogger("linli.errors")

# Seconds a client is asked to wait before retrying while the database is away.
UNAVAILABLE_RETRY_AFTER = 5
_OUTAGE_ERRORS = (
    OSError,  # connection refused or reset
    TimeoutError,  # connect timeout
    sqlalchemy.exc.TimeoutError,  # no pooled connection came free in time
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,  # shutdown, starting up, statement timeout
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.TooManyConnectionsError,
)


def _causes(error: BaseException | None) -> Iterator[BaseException]:
    """The error and what it wraps, through SQLAlchemy's (`orig`) and asyncpg's (`__cause__`)."""
    for _ in range(8):
        if error is None:
            return
        yield error
        error = getattr(error, "orig", None) or error.__cause__


def is_database_unavailable(error: BaseException | None) -> bool:
    """The database could not be reached or answer in time: the client may retry, nothing is wrong
    with its request."""
    return any(
        isinstance(cause, _OUTAGE_ERRORS)
        or (isinstance(cause, sqlalchemy.exc.DBAPIError) and cause.connection_invalidated)
        for cause in _causes(error)
    )


def is_invalid_value(error: BaseException | None) -> bool:
    """PostgreSQL's data exceptions (class 22) and asyncpg's own refusal of an argument."""
    return any(isinstance(cause, asyncpg.exceptions.DataError) for cause in _causes(error))


def unavailable_extensions(request_id: str | None) -> dict:
    return {"code": "SERVICE_UNAVAILABLE", "retryAfter": UNAVAILABLE_RETRY_AFTER, "requestId": request_id}


UNAVAILABLE_MESSAGE = "服务暂时不可用（数据库连接中断），请稍后重试"


def _in_place_of(error: GraphQLError, message: str, extensions: dict) -> GraphQLError:
    """What the client sees instead of `error`: at the same place, our message and code."""
    return GraphQLError(
        message, error.nodes, error.source, error.positions, error.path, extensions=extensions
    )


def _client_error_code(error: GraphQLError) -> str:
    if isinstance(error, GraphQLSyntaxError) and "tokens" in error.message:
        return "TOO_MANY_TOKENS"
    return "BAD_REQUEST"


def with_code(error: GraphQLError) -> GraphQLError:
    """The error with `extensions.code` set (kept if a resolver or rule gave one)."""
    original = error.original_error
    if isinstance(original, GraphQLError) and original.extensions:
        error.extensions = {**original.extensions, **(error.extensions or {})}
    if not (error.extensions or {}).get("code"):
        error.extensions = {**(error.extensions or {}), "code": _client_error_code(error)}
    return error


# graphql-core's " Did you mean 'x', 'y', or 'z'?" (and "… the enum value 'OPEN'?", "… to use an
# inline fragment on …?"): names are never "?", and the suggestion need not end the message.
_SUGGESTION = re.compile(r" ?Did you mean [^?]*\?")


def without_suggestions(error: GraphQLError) -> GraphQLError:
    """With introspection off, no message may name what the client did not (schema names)."""
    if "Did you mean" in error.message:
        error.message = _SUGGESTION.sub("", error.message)
    return error


def present_error(
    error: GraphQLError, request_id: str | None, *, hide_suggestions: bool = False
) -> GraphQLError:
    """What the client sees: its own mistakes with a code (and, with introspection off, no
    suggestions); our faults masked (and logged here)."""
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return without_suggestions(with_code(error)) if hide_suggestions else with_code(error)
    if is_invalid_value(original):
        # Input no rule of ours caught, refused by the database (a number out of its column's range,
        # a NUL character, text too long): the client's to fix, and the transaction rolled back.
        logger.warning(
            "value refused by the database in %s (request %s): %r", error.path, request_id, original
        )
        reason = {"code": "BAD_REQUEST", "reason": "INVALID_VALUE"}
        return _in_place_of(error, "输入的值不合法（超出范围、过长或含不支持的字符）", reason)
    if is_database_unavailable(original):
        logger.warning("database unavailable in %s (request %s): %r", error.path, request_id, original)
        return _in_place_of(error, UNAVAILABLE_MESSAGE, unavailable_extensions(request_id))
    logger.error(
        "internal error in %s (request %s)",
        ".".join(map(str, error.path or [])),
        request_id,
        exc_info=original,
    )
    masked = {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
    return _in_place_of(error, f"服务器内部错误，请稍后再试（请求编号 {request_id}）", masked)


class ErrorCodes(MaskErrors):
    """Applies `present_error` to every result, HTTP and WebSocket alike, and notes the codes."""

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        context = self.execution_context.context
        settings = getattr(context, "settings", None)
        hide = settings is not None and not settings.introspection_enabled
        request_id = getattr(context, "request_id", None)
        processed = [present_error(error, request_id, hide_suggestions=hide) for error in errors]
        if hasattr(context, "error_codes"):
            context.error_codes.extend(error.extensions["code"] for error in processed)
        return processed
