"""Request limits: depth, aliases and cost as validation rules, each failing with its own code;
abuse limits (login, codes, mutations) per person and per address."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    VariableNode,
    get_named_type,
    get_nullable_type,
    get_operation_ast,
    is_list_type,
    parse,
)
from starlette.websockets import WebSocket
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from models.people import Role
from resolvers import ratelimit
from resolvers.errors import DomainFailure
from resolvers.people import normalize_phone
from resolvers.ratelimit import Quota
from schema.errors import UNAVAILABLE_MESSAGE, is_database_unavailable, unavailable_extensions


def _depth(
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    seen: frozenset[str],
) -> int:
    if selection_set is None:
        return 0
    deepest = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            # Introspection (GraphiQL's schema query nests ofType eight deep) is not counted.
            if selection.name.value.startswith("__"):
                continue
            deepest = max(deepest, 1 + _depth(selection.selection_set, fragments, seen))
        elif isinstance(selection, InlineFragmentNode):
            deepest = max(deepest, _depth(selection.selection_set, fragments, seen))
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in seen:  # cycles are reported by NoFragmentCycles
                deepest = max(deepest, _depth(fragment.selection_set, fragments, seen | {name}))
    return deepest


def query_depth_rule(max_depth: int) -> type[ValidationRule]:
    class QueryDepthRule(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_args) -> None:
            fragments = {
                definition.name.value: definition
                for definition in self.context.document.definitions
                if isinstance(definition, FragmentDefinitionNode)
            }
            depth = _depth(node.selection_set, fragments, frozenset())
            if depth > max_depth:
                self.report_error(
                    GraphQLError(
                        f"查询嵌套 {depth} 层，超过上限 {max_depth} 层",
                        node,
                        extensions={"code": "QUERY_TOO_DEEP"},
                    )
                )

    return QueryDepthRule


def alias_limit_rule(max_aliases: int) -> type[ValidationRule]:
    class AliasLimitRule(ValidationRule):
        def enter_document(self, node, *_args) -> None:
            count = 0
            stack = list(node.definitions)
            while stack:
                current = stack.pop()
                if isinstance(current, FieldNode) and current.alias is not None:
                    count += 1
                selection_set = getattr(current, "selection_set", None)
                if selection_set is not None:
                    stack.extend(selection_set.selections)
            if count > max_aliases:
                self.report_error(
                    GraphQLError(
                        f"查询使用了 {count} 个别名，超过上限 {max_aliases} 个",
                        node,
                        extensions={"code": "TOO_MANY_ALIASES"},
                    )
                )

    return AliasLimitRule


# ── Abuse limits: per person and per IP, counted in the database ─────────────


def client_ip(context) -> str:
    client = getattr(getattr(context, "request", None), "client", None)
    return client.host if client is not None and client.host else "unknown"


def rate_limited(retry_after: int) -> GraphQLError:
    return GraphQLError(
        f"操作过于频繁，请 {retry_after} 秒后再试",
        extensions={"code": "RATE_LIMITED", "retryAfter": retry_after},
    )


def login_quotas(context, phone: str) -> list[Quota]:
    """Password guessing: on one account from anywhere, and from one address on any account."""
    settings = context.settings
    try:
        account = normalize_phone(phone)  # "+86 138-0000-0001" is the same account as 13800000001
    except DomainFailure:
        account = "".join(phone.split())[:40]
    return [
        Quota(f"login:phone:{account}", settings.login_attempts_per_phone, settings.login_window_seconds),
        Quota(
            f"login:ip:{client_ip(context)}", settings.login_attempts_per_ip, settings.login_window_seconds
        ),
    ]


def code_quotas(context) -> list[Quota]:
    """Guessing a pick-up PIN or a kiosk check-in code."""
    settings = context.settings
    person = context.viewer.person_id if context.viewer is not None else "-"
    return [
        Quota(f"code:person:{person}", settings.code_attempts_per_person, settings.code_window_seconds),
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


# ── Query cost: a field costs 1, a connection `first` × its selection ────────


def _page_size(field: GraphQLField, node: FieldNode, defaults: dict[str, Any], max_page: int) -> int | None:
    """The `first` a connection field is asked for (a variable counts as its default or the maximum)."""
    if "first" not in field.args:
        return None
    for argument in node.arguments or ():
        if argument.name.value != "first":
            continue
        if isinstance(argument.value, IntValueNode):
            # A larger page is refused when the field runs (and a huge literal is no Int at all).
            return min(max(int(argument.value.value), 0), max_page)
        if isinstance(argument.value, VariableNode):
            return defaults.get(argument.value.name.value, max_page)
        return max_page
    argument = field.args["first"]
    default = argument.default_value
    if isinstance(default, int):
        return default
    literal = getattr(argument.ast_node, "default_value", None)  # schemas built from SDL keep the literal
    return int(literal.value) if isinstance(literal, IntValueNode) else max_page


@dataclass(frozen=True)
class CostModel:
    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    defaults: dict[str, int]  # variables' literal integer defaults
    max_page: int
    list_factor: int

    def selection_cost(self, selection_set: SelectionSetNode | None, parent: Any, in_connection: bool) -> int:
        if selection_set is None or parent is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field_cost(selection, parent, in_connection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selection_cost(selection.selection_set, target, in_connection)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.pop(selection.name.value, None)  # each fragment once: no cycles
                if fragment is not None:
                    target = self.schema.get_type(fragment.type_condition.name.value)
                    total += self.selection_cost(fragment.selection_set, target, in_connection)
                    self.fragments[selection.name.value] = fragment
        return total

    def field_cost(self, node: FieldNode, parent: Any, in_connection: bool) -> int:
        fields = getattr(parent, "fields", None)
        field = fields.get(node.name.value) if fields else None
        if field is None:  # introspection and unknown fields (reported by other rules)
            return 0
        page = _page_size(field, node, self.defaults, self.max_page)
        # A connection multiplies its whole selection by `first`; its own lists (edges) are that page.
        if page is not None:
            multiplier, inside = page, True
        elif is_list_type(get_nullable_type(field.type)) and not in_connection:
            multiplier, inside = self.list_factor, False
        else:
            multiplier, inside = 1, False
        return 1 + multiplier * self.selection_cost(node.selection_set, get_named_type(field.type), inside)


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    *,
    max_page: int,
    list_factor: int,
) -> int:
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    defaults = {
        definition.variable.name.value: int(definition.default_value.value)
        for definition in operation.variable_definitions or ()
        if isinstance(definition.default_value, IntValueNode)
    }
    model = CostModel(schema, fragments, defaults, max_page, list_factor)
    cost = model.selection_cost(operation.selection_set, schema.get_root_type(operation.operation), False)
    return min(cost, 2**53)  # stays a JSON number whatever the document


def query_cost_rule(*, max_cost: int, max_page: int, list_factor: int) -> type[ValidationRule]:
    class QueryCostRule(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_args) -> None:
            cost = operation_cost(
                self.context.schema, self.context.document, node, max_page=max_page, list_factor=list_factor
            )
            if cost > max_cost:
                self.report_error(
                    GraphQLError(
                        f"查询代价 {cost} 超过上限 {max_cost}，请减少 first 或所选字段",
                        node,
                        extensions={"code": "QUERY_TOO_COSTLY", "cost": cost, "maxCost": max_cost},
                    )
                )

    return QueryCostRule


class ReportCost(SchemaExtension):
    """`extensions.cost` on every answer: what the operation was charged and the limit."""

    def get_results(self) -> dict[str, Any]:
        execution = self.execution_context
        if execution.graphql_document is None or not execution.query:
            return {}
        settings = execution.context.settings
        cost = _cached_cost(
            execution.schema._schema,
            execution.query,
            execution.operation_name,
            settings.max_page_size,
            settings.list_cost_factor,
        )
        if cost is None:
            return {}
        return {"cost": {"requested": cost, "maximum": settings.max_query_cost}}


@lru_cache(maxsize=1024)
def _cached_cost(
    schema: GraphQLSchema, query: str, operation_name: str | None, max_page: int, list_factor: int
) -> int | None:
    document = parse(query)  # on a miss only; the same text costs the same every time
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return None
    return operation_cost(schema, document, operation, max_page=max_page, list_factor=list_factor)
