"""The graph documents itself: a mobile team reads it in GraphiQL and in generated types, so every
type, field, argument, input field and enum value says what it is (units, time zones, coordinate
systems, who may see it), and connections carry the Relay spec's whole PageInfo (#15)."""

import graphql

from schema import build_schema
from tests.conftest import make_settings

SCHEMA = graphql.build_schema(build_schema(make_settings()).as_str())


def undocumented() -> list[str]:
    missing = []
    for name, kind in SCHEMA.type_map.items():
        if name.startswith("__") or name in graphql.specified_scalar_types:
            continue
        if not (kind.description or "").strip():
            missing.append(name)
        if isinstance(kind, graphql.GraphQLObjectType | graphql.GraphQLInterfaceType):
            for field_name, field in kind.fields.items():
                if not (field.description or "").strip():
                    missing.append(f"{name}.{field_name}")
                for argument_name, argument in field.args.items():
                    if not (argument.description or "").strip():
                        missing.append(f"{name}.{field_name}({argument_name})")
        elif isinstance(kind, graphql.GraphQLInputObjectType):
            missing += [
                f"{name}.{key}" for key, field in kind.fields.items() if not (field.description or "").strip()
            ]
        elif isinstance(kind, graphql.GraphQLEnumType):
            missing += [
                f"{name}.{key}" for key, value in kind.values.items() if not (value.description or "").strip()
            ]
    return missing


def test_every_type_field_argument_and_enum_value_is_described():
    missing = undocumented()
    assert missing == [], f"{len(missing)} places without a description, e.g. {missing[:20]}"


def test_page_info_is_the_relay_specs():
    fields = SCHEMA.get_type("PageInfo").fields
    assert {"hasNextPage", "hasPreviousPage", "startCursor", "endCursor"} <= set(fields)
    assert str(fields["hasPreviousPage"].type) == "Boolean!" and str(fields["startCursor"].type) == "String"
