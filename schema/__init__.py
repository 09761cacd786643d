"""The public graph: root Query, Mutation and Subscription assembled from the domains."""

import asyncio
from collections.abc import AsyncGenerator, Iterator
from datetime import datetime
from typing import Annotated

import strawberry
from graphql import FieldNode, FragmentDefinitionNode, FragmentSpreadNode, get_operation_ast
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import Info

from schema.abuse import MutationGuard
from schema.affairs import AffairsMutation, AffairsQuery, AffairsSubscription
from schema.childcare import ChildcareMutation, ChildcareQuery
from schema.common import Node, NotFound, RuleViolation
from schema.compiled import CompiledReads
from schema.context import GuardDelivery
from schema.eldercare import ElderCareMutation, ElderCareQuery, ElderCareSubscription
from schema.eldercare.office import ElderCareOfficeMutation
from schema.enums import with_fast_enum_output
from schema.errors import ErrorCodes
from schema.facilities import FacilitiesQuery
from schema.facilities_operations import FacilitiesMutation
from schema.makerspace import MakerSpaceMutation, MakerSpaceQuery
from schema.makerspace_operations import MakerSpaceOperationsMutation
from schema.node import resolve_node
from schema.notifications import NotificationsMutation, NotificationsQuery, NotificationsSubscription
from schema.people import PeopleMutation, PeopleQuery
from schema.permissions import signed_in
from schema.places import PlacesMutation
from schema.scalars import SCALAR_MAP
from schema.validation import ChargeCost, alias_limit_rule, query_cost_rule, query_depth_rule
from schema.variables import CompiledVariables


@strawberry.type(
    description="Everything Linli answers: the signed-in person and the communities, the 15-minute life "
    "circle, the maker space, childcare and elder care. Each field says who may read it; DateTime values are "
    "answered in Asia/Shanghai time."
)
class Query(
    PeopleQuery,
    NotificationsQuery,
    FacilitiesQuery,
    MakerSpaceQuery,
    ChildcareQuery,
    ElderCareQuery,
    AffairsQuery,
):
    @strawberry.field(description="Fetch any object by its global ID; null if absent or not yours to see.")
    async def node(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID,
            strawberry.argument(
                description="A global ID as the graph gave it (`id` of a Node); a malformed one is "
                "BAD_REQUEST INVALID_ID."
            ),
        ],
    ) -> Node | None:
        return await resolve_node(info, id)


@strawberry.type(
    description="Every change. An expected failure is data: a member of the field's result union "
    "implementing DomainError { code message }; top-level errors are for UNAUTHENTICATED, FORBIDDEN, "
    "BAD_REQUEST, limits and server faults. Each field says who may call it."
)
class Mutation(
    PeopleMutation,
    NotificationsMutation,
    PlacesMutation,
    FacilitiesMutation,
    MakerSpaceMutation,
    MakerSpaceOperationsMutation,
    ChildcareMutation,
    ElderCareMutation,
    ElderCareOfficeMutation,
    AffairsMutation,
):
    pass


@strawberry.type(
    description="Live streams over the WebSocket at /graphql (graphql-transport-ws). Once the connection's "
    "token expires or is refused (a revoked role, a disabled person, an ended session), nothing more is sent "
    "and the socket closes (4403)."
)
class Subscription(ElderCareSubscription, NotificationsSubscription, AffairsSubscription):
    @strawberry.subscription(
        extensions=signed_in(),
        description="The server's time every `intervalSeconds` (1–60), the first at once: lets a kiosk or a "
        "care board show that its live connection is alive. Signed in.",
    )
    async def server_time(
        self,
        info: Info,
        interval_seconds: Annotated[
            int,
            strawberry.argument(description="Seconds between ticks; values outside 1–60 are clamped to it."),
        ] = 15,
    ) -> AsyncGenerator[datetime, None]:
        interval = min(max(interval_seconds, 1), 60)
        while True:
            yield info.context.clock()
            await asyncio.sleep(interval)


class RecordOperation(SchemaExtension):
    """Makes the operation known to the request log (its name) and to the metrics (a bounded label:
    a trusted document's name, else `<type>.<root field>` for a field the schema has, else `other`).
    The client chooses its operation's name, so only names on `metrics_operations` become labels."""

    def on_validate(self) -> Iterator[None]:
        execution = self.execution_context
        context = execution.context
        if hasattr(context, "operation_name"):
            context.operation_name = execution.operation_name
        state = getattr(getattr(context, "request", None), "state", None)
        if state is not None and execution.graphql_document is not None:
            trusted = getattr(getattr(context, "settings", None), "metrics_operations", ())
            name = execution.operation_name
            state.metrics_operation = name if name in trusted else self._root_field_label()
        yield

    def _root_field_label(self) -> str:
        """`query.nearbyFacilities`: the operation's first root field, if the schema has it. Runs
        before validation, so the document may name anything (or loop through its fragments)."""
        document = self.execution_context.graphql_document
        operation = get_operation_ast(document, self.execution_context.operation_name)
        if operation is None:
            return "other"
        fragments = {
            node.name.value: node for node in document.definitions if isinstance(node, FragmentDefinitionNode)
        }
        pending, seen = list(operation.selection_set.selections), set()
        while pending:
            selection = pending.pop(0)
            if isinstance(selection, FieldNode):
                root = self.execution_context.schema._schema.get_root_type(operation.operation)
                field = selection.name.value
                if root is None or field not in root.fields:
                    return "other"
                return f"{operation.operation.value}.{field}"
            if isinstance(selection, FragmentSpreadNode):
                fragment = fragments.get(selection.name.value)
                if fragment is None or selection.name.value in seen:
                    return "other"
                seen.add(selection.name.value)
                pending[:0] = fragment.selection_set.selections
            else:  # an inline fragment
                pending[:0] = selection.selection_set.selections
        return "other"


def build_schema(settings) -> strawberry.Schema:
    rules = [
        query_depth_rule(settings.max_depth),
        alias_limit_rule(settings.max_aliases),
        query_cost_rule(
            max_cost=settings.max_query_cost,
            max_page=settings.max_page_size,
            list_factor=settings.list_cost_factor,
        ),
    ]
    if not settings.introspection_enabled:
        rules.append(NoSchemaIntrospectionCustomRule)
    schema = strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[RuleViolation, NotFound],
        execution_context_class=CompiledVariables if settings.compiled_variables else None,
        config=StrawberryConfig(
            scalar_map=SCALAR_MAP,
            disable_field_suggestions=not settings.introspection_enabled,
        ),
        extensions=[
            lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
            lambda: ParserCache(maxsize=1024),
            lambda: AddValidationRules(rules),
            lambda: ValidationCache(maxsize=1024),
            RecordOperation,
            ChargeCost,
            MutationGuard,
            ErrorCodes,
            GuardDelivery,
            CompiledReads,  # innermost: after every limit and check above
        ],
    )
    return with_fast_enum_output(schema)
