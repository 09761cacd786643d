"""Limits judged on the document and the variables sent, before anything runs: depth, aliases and
cost as validation rules (each failing with its own code), and the cost charged with the request's
variables (ChargeCost)."""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
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
    VariableDefinitionNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    get_operation_ast,
    is_list_type,
    parse,
)
from graphql.execution.values import get_variable_values
from strawberry.extensions import SchemaExtension


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


# ── Query cost: a field costs 1, a connection `first` × its selection ────────
#
# Charged twice: as a validation rule on the document alone (cached with the document; a page
# given as a variable counts 0 there, for it is not known yet), and for every request with the
# variables the client sent (ChargeCost), so a variable's default cannot stand in for its value.


def _page_size(
    field: GraphQLField, node: FieldNode, variables: Mapping[str, Any] | None, max_page: int
) -> int | None:
    """The `first` a connection field is asked for; with `variables` None (the document alone), a
    variable counts 0. A larger page is refused when the field runs, so it is charged as the largest."""
    if "first" not in field.args:
        return None
    for argument in node.arguments or ():
        if argument.name.value != "first":
            continue
        value = argument.value
        if isinstance(value, IntValueNode):
            return min(max(int(value.value), 0), max_page)  # a huge literal is no Int at all
        if isinstance(value, VariableNode):
            if variables is None:
                return 0
            sent = variables.get(value.name.value)
            if isinstance(sent, int):
                return min(max(sent, 0), max_page)
            break  # omitted or null: the argument's default
        else:
            return max_page
    default = field.args["first"].default_value
    if isinstance(default, int):
        return min(max(default, 0), max_page)
    literal = getattr(field.args["first"].ast_node, "default_value", None)  # schemas built from SDL
    return int(literal.value) if isinstance(literal, IntValueNode) else max_page


@dataclass(frozen=True)
class CostModel:
    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    variables: Mapping[str, Any] | None  # the request's page variables; None: the document alone
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
        page = _page_size(field, node, self.variables, self.max_page)
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
    variables: Mapping[str, Any] | None = None,
) -> int:
    """The operation's cost; `variables` are the coerced values of its page variables (None: the
    document alone, pages given as variables counting 0)."""
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    model = CostModel(schema, fragments, variables, max_page, list_factor)
    cost = model.selection_cost(operation.selection_set, schema.get_root_type(operation.operation), False)
    return min(cost, 2**53)  # stays a JSON number whatever the document


def too_costly(cost: int, max_cost: int, node=None) -> GraphQLError:
    return GraphQLError(
        f"查询代价 {cost} 超过上限 {max_cost}，请减少 first 或所选字段",
        node,
        extensions={"code": "QUERY_TOO_COSTLY", "cost": cost, "maxCost": max_cost},
    )


def query_cost_rule(*, max_cost: int, max_page: int, list_factor: int) -> type[ValidationRule]:
    class QueryCostRule(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_args) -> None:
            cost = operation_cost(
                self.context.schema, self.context.document, node, max_page=max_page, list_factor=list_factor
            )
            if cost > max_cost:
                self.report_error(too_costly(cost, max_cost, node))

    return QueryCostRule


@dataclass(frozen=True)
class CostPlan:
    """A document's operation and the definitions of the variables it gives as `first`."""

    document: DocumentNode
    operation: OperationDefinitionNode
    page_variables: tuple[VariableDefinitionNode, ...]


@lru_cache(maxsize=1024)
def _cost_plan(query: str, operation_name: str | None) -> CostPlan | None:
    document = parse(query)  # on a miss only: the same text plans the same every time
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return None
    names = {
        node.value.name.value
        for node in _arguments(document)
        if node.name.value == "first" and isinstance(node.value, VariableNode)
    }
    definitions = tuple(d for d in operation.variable_definitions or () if d.variable.name.value in names)
    return CostPlan(document, operation, definitions)


def _arguments(document: DocumentNode) -> Iterator[ArgumentNode]:
    stack: list[Any] = list(document.definitions)
    while stack:
        node = stack.pop()
        if isinstance(node, FieldNode):
            yield from node.arguments or ()
        selection_set = getattr(node, "selection_set", None)
        if selection_set is not None:
            stack.extend(selection_set.selections)


@lru_cache(maxsize=4096)
def _cost_with(
    schema: GraphQLSchema,
    query: str,
    operation_name: str | None,
    pages: tuple[tuple[str, Any], ...],
    max_page: int,
    list_factor: int,
) -> int | None:
    plan = _cost_plan(query, operation_name)
    if plan is None:
        return None
    return operation_cost(
        schema,
        plan.document,
        plan.operation,
        max_page=max_page,
        list_factor=list_factor,
        variables=dict(pages),
    )


def request_cost(
    schema: GraphQLSchema,
    query: str,
    operation_name: str | None,
    variables: Any,
    *,
    max_page: int,
    list_factor: int,
) -> int | None:
    """What this request costs with the variables it sent: only its page variables are coerced
    (a batch of 500 readings is not), and the answer is cached by their values."""
    plan = _cost_plan(query, operation_name)
    if plan is None:
        return None
    coerced: Any = {}
    if plan.page_variables:
        sent = variables if isinstance(variables, dict) else {}
        values = get_variable_values(schema, plan.page_variables, sent)
        # Not an Int: execution refuses the variables anyway.
        coerced = {} if isinstance(values, list) else values.coerced
    # Clamped as they are charged, so the cache holds at most one entry per chargeable page.
    pages = tuple(
        sorted(
            (name, min(max(value, 0), max_page)) for name, value in coerced.items() if isinstance(value, int)
        )
    )
    return _cost_with(schema, query, operation_name, pages, max_page, list_factor)


class ChargeCost(SchemaExtension):
    """Charges every request what it costs with its variables, refuses it over the limit, and
    reports the cost in the answer's `extensions.cost`."""

    cost: int | None = None

    def on_execute(self) -> Iterator[None]:
        settings = self.execution_context.context.settings
        self.cost = self._charge()
        if self.cost is not None and self.cost > settings.max_query_cost:
            raise too_costly(self.cost, settings.max_query_cost)
        yield

    def get_results(self) -> dict[str, Any]:
        # Also for a request refused before it ran (it never reached on_execute).
        cost = self.cost if self.cost is not None else self._charge()
        if cost is None:
            return {}
        return {
            "cost": {"requested": cost, "maximum": self.execution_context.context.settings.max_query_cost}
        }

    def _charge(self) -> int | None:
        execution = self.execution_context
        if execution.graphql_document is None or not execution.query:
            return None
        settings = execution.context.settings
        return request_cost(
            execution.schema._schema,
            execution.query,
            execution.operation_name,
            execution.variables,
            max_page=settings.max_page_size,
            list_factor=settings.list_cost_factor,
        )
