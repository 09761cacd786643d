"""Enum output by look-up (schema/enums.py) answers exactly as strawberry's own scan does."""

import pytest
from strawberry.schema.schema_converter import CustomGraphQLEnumType

from schema import build_schema
from tests.conftest import make_settings


def enum_types():
    schema = build_schema(make_settings())
    return [t for t in schema._schema.type_map.values() if isinstance(t, CustomGraphQLEnumType)]


def test_every_enum_of_the_schema_answers_by_look_up():
    types = enum_types()
    assert len(types) >= 15
    for enum_type in types:
        assert "coerce_output_value" in vars(enum_type), enum_type.name  # the look-up is in place


@pytest.mark.parametrize("enum_type", enum_types(), ids=lambda t: t.name)
def test_each_member_and_its_value_give_strawberrys_name(enum_type):
    scan = CustomGraphQLEnumType.coerce_output_value  # strawberry's own, unpatched
    for member in enum_type.wrapped_cls:
        assert enum_type.coerce_output_value(member) == scan(enum_type, member)
        assert enum_type.coerce_output_value(member.value) == scan(enum_type, member.value)


@pytest.mark.parametrize("enum_type", enum_types()[:3], ids=lambda t: t.name)
def test_a_value_of_no_member_is_refused_as_strawberry_refuses_it(enum_type):
    scan = CustomGraphQLEnumType.coerce_output_value
    for wrong in ("NO_SUCH_VALUE", ["unhashable"]):
        with pytest.raises(Exception) as ours:
            enum_type.coerce_output_value(wrong)
        with pytest.raises(Exception) as theirs:
            scan(enum_type, wrong)
        assert type(ours.value) is type(theirs.value)
        assert str(ours.value) == str(theirs.value)
