"""The compiled read path (#19), graph side: a query whose root fields are all plannable is answered
by PostgreSQL-built JSON instead of resolving field by field.

It runs as the innermost step of execution, after parsing, validation, the limits and the cost
(all as on the resolver path, the same extensions). graphql-core applies fragments, `@include` /
`@skip`, variables and argument coercion (collect_fields, get_argument_values), so what reaches the
planners is exactly what the resolvers would be asked. A root field's planner checks its arguments
with the resolver's own checks and builds its statement; anything it cannot build (a field not
declared in SQL, a bad argument, whose error the resolver gives) sends the whole operation back to
the resolvers: an answer is never given differently, only faster. The JSON text each statement
returns is spliced into the response as it is (orjson.Fragment).
"""

from collections import Counter, OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLObjectType,
    OperationDefinitionNode,
    OperationType,
    get_named_type,
    is_abstract_type,
    is_non_null_type,
    located_error,
)
from graphql.execution import Executor
from graphql.execution.collect_fields import collect_fields, collect_subfields
from graphql.execution.values import get_argument_values
from starlette.requests import Request
from strawberry.extensions import SchemaExtension

from resolvers.compiled import Env, NotPlannable, Selected
from schema.childcare.operations import plan_childcare_centers, plan_childcare_sessions
from schema.eldercare.operations import plan_care_alerts, plan_elders
from schema.facilities import plan_life_circle, plan_nearby_facilities
from schema.makerspace import plan_maker_spaces, plan_resource_availability
from schema.node import plan_node

# A root field's planner: checks the arguments, builds (or finds) the statement, and returns what
# runs it, or raises NotPlannable / GraphQLError to leave the operation to the resolvers.
Planner = Callable[[Any, Selected, Env], Callable[[], Awaitable[str]]]
PLANNERS: dict[str, Planner] = {
    "nearbyFacilities": plan_nearby_facilities,
    "lifeCircle": plan_life_circle,
    "careAlerts": plan_care_alerts,
    "elders": plan_elders,
    "makerSpaces": plan_maker_spaces,
    "resourceAvailability": plan_resource_availability,
    "childcareCenters": plan_childcare_centers,
    "childcareSessions": plan_childcare_sessions,
    "node": plan_node,
}

# Which path answered, for tests and the curious: "compiled", or why not (a few fixed words).
PATHS: Counter[str] = Counter()


class CompiledReads(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        context = execution.context
        if execution.result is None and getattr(context.settings, "compiled_reads", False):
            result = await answer(
                schema=execution.schema._schema,
                document=execution.graphql_document,
                variables=execution.variables,
                operation_name=execution.operation_name,
                context=context,
                executor_class=execution.schema.execution_context_class,
            )
            if result is not None:
                execution.result = result
                if not result.errors and execution.query is not None:
                    # Parsed, validated and answered here: the front door may answer it again.
                    label = getattr(getattr(context.request, "state", None), "metrics_operation", None)
                    ANSWERED.remember(
                        execution.query, execution.operation_name, execution.graphql_document, label
                    )
        yield


@dataclass(frozen=True)
class Answered:
    document: DocumentNode
    operation_name: str | None  # as strawberry resolved it (the request log's "operation")
    metrics_label: str | None


class AnsweredDocuments:
    """The documents (text and operation name) this process has parsed, validated and answered on
    the compiled path: server.front_door answers them again without strawberry's pipeline, since
    every check that depends on the document alone (syntax, validation, depth, aliases, tokens, the
    document's cost) gave the same verdict for the same text. Bounded, least recently used first."""

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._known: OrderedDict[tuple[str, str | None], Answered] = OrderedDict()

    def remember(self, query: str, operation_name: str | None, document, label: str | None) -> None:
        keys = [(query, operation_name)]
        operations = [node for node in document.definitions if isinstance(node, OperationDefinitionNode)]
        if len(operations) == 1:
            keys.append((query, None))  # the one operation, asked for without its name
        for key in keys:
            self._known[key] = Answered(document, operation_name, label)
            self._known.move_to_end(key)
        while len(self._known) > self._size:
            self._known.popitem(last=False)

    def get(self, query: str, operation_name: str | None) -> Answered | None:
        return self._known.get((query, operation_name))


ANSWERED = AnsweredDocuments()


async def answer(
    *, schema, document, variables, operation_name, context, executor_class=None
) -> ExecutionResult | None:
    """The operation's result from the compiled path, or None: the resolvers answer it."""
    if not isinstance(context.request, Request) or document is None:
        return None
    # The schema's execution class: variables coerced as on the resolver path (schema/variables.py).
    executor = (executor_class or Executor).build(
        schema, document, raw_variable_values=variables, operation_name=operation_name
    )
    if isinstance(executor, list) or executor.operation.operation is not OperationType.QUERY:
        return None  # bad variables: the resolver path reports them
    env = Env(now=context.clock(), settings=context.settings)
    try:
        runs = plan(schema, executor, context, env)
    except (NotPlannable, GraphQLError) as reason:
        PATHS["resolvers"] += 1
        PATHS[f"resolvers: {type(reason).__name__}"] += 1
        return None
    PATHS["compiled"] += 1
    data: dict[str, Any] | None = {}
    errors = []
    for key, nodes, non_null, run in runs:
        try:
            value = await run()
        except Exception as error:  # as a resolver's exception: located at its field
            errors.append(located_error(error, nodes, [key]))
            if non_null:
                data = None
                break
            data[key] = None
            continue
        data[key] = orjson.Fragment(value)
    return ExecutionResult(data=data, errors=errors or None)


def plan(schema, executor, context, env: Env) -> list[tuple[str, list, bool, Callable[[], Awaitable[str]]]]:
    root = schema.query_type
    collected = collect_fields(schema, executor.fragments, executor.variable_values, root, executor.operation)
    if collected.new_defer_usages:
        raise NotPlannable("@defer")
    runs = []
    for key, details in collected.grouped_field_set.items():
        node = details[0].node
        name = node.name.value
        nodes = [detail.node for detail in details]
        if name == "__typename":
            text = orjson.dumps(root.name).decode()
            runs.append((key, nodes, True, _constant(text)))
            continue
        planner = PLANNERS.get(name)
        if planner is None:
            raise NotPlannable(f"Query.{name}")
        field = root.fields[name]
        arguments = get_argument_values(field, node, executor.variable_values)
        named = get_named_type(field.type)
        if is_abstract_type(named):
            named = _runtime_type(schema, planner, context, arguments, named)
        selected = Selected(
            key=key,
            name=name,
            arguments=arguments,
            selections=_selections(schema, executor, named, details),
        )
        runs.append((key, nodes, is_non_null_type(field.type), planner(context, selected, env)))
    return runs


def _runtime_type(schema, planner, context, arguments, abstract) -> GraphQLObjectType:
    """The object type a root field of an interface type answers with, when its arguments alone
    tell it (node(id:): the ID names it): the planner's `runtime_type`; the selection is then
    collected for that type, its inline fragments and fragments on others left out."""
    runtime_type = getattr(planner, "runtime_type", None)
    if runtime_type is None:
        raise NotPlannable(f"{abstract}: an interface or union")
    object_type = schema.get_type(runtime_type(context, arguments))
    if not isinstance(object_type, GraphQLObjectType) or not schema.is_sub_type(abstract, object_type):
        raise NotPlannable(f"{abstract}: not a type of it")
    return object_type


def _selections(schema, executor, parent, details) -> tuple[Selected, ...]:
    if not isinstance(parent, GraphQLObjectType):
        raise NotPlannable(f"{parent}: an interface or union")
    collected = collect_subfields(
        schema, executor.fragments, executor.variable_values, executor.operation, parent, details
    )
    if collected.new_defer_usages:
        raise NotPlannable("@defer")
    selections = []
    for key, grouped in collected.grouped_field_set.items():
        node = grouped[0].node
        name = node.name.value
        if any(detail.fragment_variable_values is not None for detail in grouped):
            raise NotPlannable("fragment arguments")
        if name == "__typename":
            selections.append(Selected(key=key, name=name))
            continue
        field = parent.fields[name]
        if _guarded(field):
            raise NotPlannable(f"{parent.name}.{name}: checked by a field extension")
        named = get_named_type(field.type)
        selections.append(
            Selected(
                key=key,
                name=name,
                arguments=get_argument_values(field, node, executor.variable_values) if field.args else {},
                selections=_selections(schema, executor, named, grouped) if node.selection_set else (),
            )
        )
    return tuple(selections)


def _guarded(field) -> bool:
    """A field with strawberry field extensions (permissions, attempt counting …) runs them in its
    resolver: below the root, such a field is left to the resolvers. (A root planner checks its own
    field's permission, e.g. signed in, and falls back when it does not hold.)"""
    definition = field.extensions.get("strawberry-definition")
    return bool(getattr(definition, "extensions", None))


def _constant(text: str) -> Callable[[], Awaitable[str]]:
    async def run() -> str:
        return text

    return run
