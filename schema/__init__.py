"""The public graph: root Query, Mutation and Subscription assembled from the domains."""

import asyncio
from collections.abc import AsyncGenerator, Iterator
from datetime import datetime

import strawberry
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

from schema.childcare import ChildcareMutation, ChildcareQuery
from schema.common import Node, NotFound, RuleViolation
from schema.eldercare import ElderCareMutation, ElderCareQuery, ElderCareSubscription
from schema.errors import ErrorCodes
from schema.facilities import FacilitiesQuery
from schema.limits import MutationGuard, ReportCost, alias_limit_rule, query_cost_rule, query_depth_rule
from schema.makerspace import MakerSpaceMutation, MakerSpaceQuery
from schema.node import resolve_node
from schema.people import PeopleMutation, PeopleQuery
from schema.permissions import signed_in
from schema.scalars import SCALAR_MAP


@strawberry.type
class Query(PeopleQuery, FacilitiesQuery, MakerSpaceQuery, ChildcareQuery, ElderCareQuery):
    @strawberry.field(description="Fetch any object by its global ID; null if absent or not yours to see.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await resolve_node(info, id)


@strawberry.type
class Mutation(PeopleMutation, MakerSpaceMutation, ChildcareMutation, ElderCareMutation):
    pass


@strawberry.type
class Subscription(ElderCareSubscription):
    @strawberry.subscription(
        extensions=signed_in(),
        description="The server's time every `intervalSeconds` (1–60): lets a kiosk or a care board show "
        "that its live connection is alive.",
    )
    async def server_time(self, info: Info, interval_seconds: int = 15) -> AsyncGenerator[datetime, None]:
        interval = min(max(interval_seconds, 1), 60)
        while True:
            yield info.context.clock()
            await asyncio.sleep(interval)


class RecordOperation(SchemaExtension):
    """Makes the operation's name known to the request log and the metrics."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context.context
        if hasattr(context, "operation_name"):
            context.operation_name = self.execution_context.operation_name
        yield


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
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[RuleViolation, NotFound],
        config=StrawberryConfig(
            scalar_map=SCALAR_MAP,
            disable_field_suggestions=settings.is_production,
        ),
        extensions=[
            lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
            lambda: ParserCache(maxsize=1024),
            lambda: AddValidationRules(rules),
            lambda: ValidationCache(maxsize=1024),
            RecordOperation,
            MutationGuard,
            ReportCost,
            ErrorCodes,
        ],
    )
