"""Abuse limits counted in the database, shared by every replica: attempts per person and per
address (login, codes, refresh tokens, every mutation), and the count-then-forgive of fields where
only failures count (CountsAttempts)."""

from collections.abc import AsyncIterator, Callable
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    get_operation_ast,
)
from starlette.websockets import WebSocket
from strawberry.extensions import FieldExtension, SchemaExtension
from strawberry.types.graphql import OperationType

from models.people import Role
from resolvers import ratelimit
from resolvers.errors import DomainFailure
from resolvers.people import normalize_phone
from resolvers.ratelimit import Quota
from schema.errors import UNAVAILABLE_MESSAGE, is_database_unavailable, unavailable_extensions

# ── Abuse limits: per person and per IP, counted in the database ─────────────


def client_ip(context) -> str:
    client = getattr(getattr(context, "request", None), "client", None)
    return client.host if client is not None and client.host else "unknown"


def rate_limited(retry_after: int) -> GraphQLError:
    return GraphQLError(
        f"操作过于频繁，请 {retry_after} 秒后再试",
        extensions={"code": "RATE_LIMITED", "retryAfter": retry_after},
    )


def _account(phone: str) -> str:
    """The account a phone names: "+86 138-0000-0001" is the same account as 13800000001."""
    try:
        return normalize_phone(phone)
    except DomainFailure:
        return "".join(phone.split())[:40]


def login_quotas(context, arguments: dict[str, Any]) -> list[Quota]:
    """Password guessing: on one account from anywhere, and from one address on any account."""
    settings = context.settings
    account = _account(arguments["phone"])
    return [
        Quota(f"login:phone:{account}", settings.login_attempts_per_phone, settings.login_window_seconds),
        Quota(
            f"login:ip:{client_ip(context)}", settings.login_attempts_per_ip, settings.login_window_seconds
        ),
    ]


def code_quotas(context, _arguments: dict[str, Any] | None = None) -> list[Quota]:
    """Guessing a pick-up PIN or a kiosk check-in code."""
    settings = context.settings
    person = context.viewer.person_id if context.viewer is not None else "-"
    return [
        Quota(f"code:person:{person}", settings.code_attempts_per_person, settings.code_window_seconds),
        Quota(f"code:ip:{client_ip(context)}", settings.code_attempts_per_ip, settings.code_window_seconds),
    ]


def refresh_quotas(context, _arguments: dict[str, Any] | None = None) -> list[Quota]:
    """Refused refresh tokens, per address only: no one is signed in when refreshing, so a
    per-person key would be one key for everybody (and 256 random bits are not guessed anyway)."""
    settings = context.settings
    return [
        Quota(f"code:ip:{client_ip(context)}", settings.code_attempts_per_ip, settings.code_window_seconds)
    ]


def reset_quotas(context, arguments: dict[str, Any]) -> list[Quota]:
    """Guessing a password reset code: counted like PINs, per account (the phone) and per address."""
    settings = context.settings
    account = _account(arguments["phone"])
    return [
        Quota(f"reset:phone:{account}", settings.code_attempts_per_person, settings.code_window_seconds),
        Quota(f"code:ip:{client_ip(context)}", settings.code_attempts_per_ip, settings.code_window_seconds),
    ]


def mutation_quotas(context) -> list[Quota]:
    settings = context.settings
    window = settings.mutation_window_seconds
    quotas = [Quota(f"mutation:ip:{client_ip(context)}", settings.mutations_per_ip, window)]
    viewer = context.viewer
    if viewer is not None:
        gateway = viewer.has_role(Role.DEVICE_GATEWAY.value)
        allowed = settings.mutations_per_gateway if gateway else settings.mutations_per_person
        quotas.append(Quota(f"mutation:person:{viewer.person_id}", allowed, window))
    return quotas


async def count_attempt(context, quotas: list[Quota], *, weight: int = 1) -> None:
    """Counts the attempt in a transaction of its own (it stands whatever the attempt does)."""
    try:
        async with context.session_factory() as session:
            await ratelimit.count_attempts(session=session, quotas=quotas, now=context.clock(), weight=weight)
    except ratelimit.RateLimited as limited:
        raise rate_limited(limited.retry_after) from None


async def forgive_attempt(context, quotas: list[Quota]) -> None:
    """The attempt succeeded: where only failures count, it is given back."""
    async with context.session_factory() as session:
        await ratelimit.give_back(session=session, quotas=quotas, now=context.clock())


class CountsAttempts(FieldExtension):
    """Where only failures count (a wrong password, PIN or code): the attempt is counted before the
    field runs, in a transaction of its own (so parallel guesses cannot slip past the count), and
    given back unless the answer is one that `counts`. Raising (RATE_LIMITED) stops the field.
    List it before the field's permission extensions: the last listed runs first, so a caller
    refused sign-in is not counted."""

    def __init__(
        self,
        *,
        quotas: Callable[[Any, dict[str, Any]], list[Quota]],
        counts: Callable[[Any], bool],
    ) -> None:
        super().__init__()
        self.quotas = quotas  # (context, the field's arguments) → the keys counted
        self.counts = counts  # the answer → whether it was a failure that counts

    async def resolve_async(self, next_: Callable[..., Any], source: Any, info, **kwargs: Any) -> Any:
        context = info.context
        quotas = self.quotas(context, kwargs)
        await count_attempt(context, quotas)
        try:
            answer = await next_(source, info, **kwargs)
        except GraphQLError:
            # Refused before anything was compared (a malformed ID, FORBIDDEN): not a guess.
            await forgive_attempt(context, quotas)
            raise
        if not self.counts(answer):
            await forgive_attempt(context, quotas)
        return answer


def answer_is(*types: type) -> Callable[[Any], bool]:
    """`counts` for CountsAttempts: the answer is one of these result types."""
    return lambda answer: isinstance(answer, types)


def root_field_count(document: DocumentNode, operation_name: str | None) -> int:
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    count, stack = 0, list(operation.selection_set.selections)
    while stack:
        selection = stack.pop()
        if isinstance(selection, FieldNode):
            count += not selection.name.value.startswith("__")
        elif isinstance(selection, InlineFragmentNode):
            stack.extend(selection.selection_set.selections)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value in fragments:
            stack.extend(fragments[selection.name.value].selection_set.selections)
    return count


class MutationGuard(SchemaExtension):
    """Mutations run only from an HTTP POST (GET is refused by the view, the WebSocket here), and
    each root mutation field counts against its person's and its address's limits."""

    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        if execution.operation_type is OperationType.MUTATION:
            error = await self._refusal()
            if error is not None:
                execution.result = ExecutionResult(data=None, errors=[error])
        yield

    async def _refusal(self) -> GraphQLError | None:
        execution = self.execution_context
        context = execution.context
        if isinstance(context.request, WebSocket):
            return GraphQLError("变更操作只能通过 HTTP POST 提交", extensions={"code": "METHOD_NOT_ALLOWED"})
        weight = root_field_count(execution.graphql_document, execution.operation_name)
        try:
            await count_attempt(context, mutation_quotas(context), weight=max(weight, 1))
        except GraphQLError as error:
            return error
        except Exception as error:
            if not is_database_unavailable(error):
                raise
            return GraphQLError(UNAVAILABLE_MESSAGE, extensions=unavailable_extensions(context.request_id))
        return None
