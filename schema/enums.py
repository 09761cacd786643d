"""Enum values out by one dictionary look-up.

strawberry's enum type (0.341, `CustomGraphQLEnumType.coerce_output_value`) finds the GraphQL name
of a Python enum member by scanning every member of its enum, two attribute descriptors a step:
W1's 40 facility categories alone cost about 1 350 Python calls a request. Each enum type of the
built schema is given the member → name map that scan would find (its first match, as graphql-core's
own `_value_lookup` keeps it); anything not in the map goes to strawberry's scan, errors and all.
"""

from collections.abc import Callable
from typing import Any

import strawberry
from strawberry.schema.schema_converter import CustomGraphQLEnumType


def with_fast_enum_output(schema: strawberry.Schema) -> strawberry.Schema:
    for graphql_type in schema._schema.type_map.values():
        if isinstance(graphql_type, CustomGraphQLEnumType):
            graphql_type.coerce_output_value = _by_lookup(graphql_type)  # type: ignore[method-assign]
    return schema


def _by_lookup(enum_type: CustomGraphQLEnumType) -> Callable[[Any], str]:
    names_by_value = enum_type._value_lookup
    names = {member: names_by_value[member.value] for member in enum_type.wrapped_cls}
    scan = enum_type.coerce_output_value

    def coerce_output_value(output_value: Any) -> str:
        try:
            return names[output_value]
        except (KeyError, TypeError):  # not a member (nor equal to one), or unhashable
            return scan(output_value)

    return coerce_output_value
