"""Compiled variable coercion (#19, schema/variables.py) against graphql-core's own.

For any variables, valid or not: where graphql-core's `get_variable_values` coerces them, the
compiled path gives the same values (types, order and all) and the same sources; where graphql-core
refuses them, the compiled path refuses too (and graphql-core then answers, so the errors are its).
Over HTTP, a request with bad variables is answered identically with the feature on and off.
"""

import datetime as dt
import functools
import json
import math

import hypothesis
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    Undefined,
    get_variable_values,
    parse,
)
from graphql.execution import executor as graphql_executor
from graphql.type import is_required_input_field
from graphql.utilities import type_from_ast
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from schema import build_schema
from schema.variables import CompiledVariables, compiled_variable_values
from tests.conftest import GraphQLClient, make_settings

READINGS = (
    "mutation($r: [ReadingInput!]!) { readingsRecord(readings: $r) "
    "{ __typename ... on ReadingsRecorded { accepted duplicates rejected { index code } } } }"
)
NEARBY = """
query Nearby($near: GeoPointInput!, $within: Int! = 15, $pace: WalkingPace! = ADULT,
             $categories: [FacilityCategory!], $openAt: DateTime, $service: String, $text: String,
             $first: Int! = 20, $after: String) {
  nearbyFacilities(near: $near, withinMinutes: $within, pace: $pace, categories: $categories,
                   openAt: $openAt, service: $service, text: $text, first: $first, after: $after) {
    totalCount edges { node { name category } }
  }
}
"""
COMPOUND = "mutation($input: CompoundCreateInput!) { compoundCreate(input: $input) { __typename } }"
OPERATIONS = {"readingsRecord": READINGS, "nearbyFacilities": NEARBY, "compoundCreate": COMPOUND}


@functools.cache
def schema():
    return build_schema(make_settings())._schema


# ── Values ───────────────────────────────────────────────────────────────────

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
JUNK = st.sampled_from(
    [None, 0, -1, 2**40, 1.5, math.inf, "", "x", "HEART_RATE", True, [], [None], {}, {"bogus": 1},
     "2026-02-30", "2026-12-02T20:00:00", "2026-12-02T20:00:00+08:00", "20261202"]
)  # fmt: skip
SCALARS = {
    "String": st.text(max_size=6),
    "ID": st.one_of(st.text(max_size=6), st.integers(0, 10**6)),
    "Int": st.integers(-(2**31), 2**31 - 1),
    "Float": st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.integers(-1000, 1000)),
    "Boolean": st.booleans(),
    "DateTime": st.datetimes(timezones=st.sampled_from([dt.UTC, SHANGHAI])).map(
        lambda at: at.isoformat(timespec=("seconds", "milliseconds", "microseconds")[at.microsecond % 3])
    ),
    "Date": st.dates().map(dt.date.isoformat),
}


def values(type_, loose: bool, depth: int = 0) -> st.SearchStrategy:
    """Values of the type; `loose`: now and then anything, anywhere (a missing required field,
    a key the type lacks, a wrong scalar, a null)."""
    if isinstance(type_, GraphQLNonNull):
        strategy = bare(type_.of_type, loose, depth)
    else:
        strategy = st.one_of(st.none(), bare(type_, loose, depth))
    if loose:
        return st.integers(0, 7).flatmap(lambda n: JUNK if n == 0 else strategy)
    return strategy


def bare(type_, loose: bool, depth: int) -> st.SearchStrategy:
    if isinstance(type_, GraphQLList):
        item = values(type_.of_type, loose, depth + 1)
        lone = bare(
            type_.of_type.of_type if isinstance(type_.of_type, GraphQLNonNull) else type_.of_type,
            loose,
            depth,
        )
        return st.one_of(st.lists(item, max_size=3), lone)  # a lone value is a list of one
    if isinstance(type_, GraphQLInputObjectType):
        fields = type_.fields.items()
        required = {n: values(f.type, loose, depth + 1) for n, f in fields if is_required_input_field(f)}
        optional = {n: values(f.type, loose, depth + 1) for n, f in fields if not is_required_input_field(f)}
        strategy = st.fixed_dictionaries(required, optional={} if depth > 3 else optional)
        if loose:
            names = st.sampled_from(sorted(type_.fields))
            strategy = st.tuples(strategy, st.integers(0, 9), names).map(spoil)
        return strategy
    if isinstance(type_, GraphQLEnumType):
        return st.sampled_from(sorted(type_.values))
    assert isinstance(type_, GraphQLScalarType)
    return SCALARS.get(type_.name, st.text(max_size=6))


def spoil(drawn: tuple[dict, int, str]) -> dict:
    value, n, name = drawn
    if n == 0:
        value = {**value, "notAField": 1}
    elif n == 1:
        value = {key: each for key, each in value.items() if key != name}  # maybe a required one
    return value


def variables(text: str, loose: bool) -> st.SearchStrategy:
    operation = parse(text).definitions[0]
    required, optional = {}, {}
    for definition in operation.variable_definitions:
        type_ = type_from_ast(schema(), definition.type)
        needed = isinstance(type_, GraphQLNonNull) and definition.default_value is None
        (required if needed else optional)[definition.variable.name.value] = values(type_, loose)
    strategy = st.fixed_dictionaries(required, optional=optional)
    if loose:  # a missing non-null variable now and then
        strategy = st.tuples(
            strategy, st.integers(0, 9), st.sampled_from(sorted({**required, **optional}))
        ).map(spoil)
    return strategy


# ── Comparing ────────────────────────────────────────────────────────────────


def same(a, b) -> bool:
    """Equal, of the same types all the way down, dicts in the same key order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[key], b[key]) for key in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dt.datetime):
        return a == b and a.utcoffset() == b.utcoffset()
    return a == b or (a is Undefined and b is Undefined)


def sources(values) -> dict:
    """Each variable's source as comparable data (a fresh signature's wrapped types are new objects)."""
    return {
        name: (
            source.signature.name,
            str(source.signature.type),
            None if source.signature.default is None else id(source.signature.default.literal),
            id(source.value) if source.value is not Undefined else None,
        )
        for name, source in values.sources.items()
    }


def check(text: str, inputs: dict) -> bool:
    """Both coercions of these inputs agree; True if they were valid."""
    document = parse(text)
    operation = document.definitions[0]
    generic = get_variable_values(schema(), operation.variable_definitions, inputs)
    compiled = compiled_variable_values(schema(), document, operation, None, inputs)
    if isinstance(generic, list):  # refused: so must the compiled path be, for graphql-core to answer
        assert compiled is None, (inputs, generic)
        return False
    assert compiled is not None, f"valid input not compiled: {inputs}"
    assert same(compiled.coerced, generic.coerced), (inputs, compiled.coerced, generic.coerced)
    assert sources(compiled) == sources(generic), inputs
    return True


PROPERTY = hypothesis_settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


@pytest.mark.parametrize("name", sorted(OPERATIONS))
@PROPERTY
@given(data=st.data())
def test_the_compiled_coercion_agrees_with_graphql_core(name, data):
    text = OPERATIONS[name]
    check(text, data.draw(variables(text, loose=data.draw(st.booleans(), label="loose")), label="variables"))


def input_types() -> list[str]:
    built = build_schema(make_settings())._schema
    return sorted(
        name
        for name, type_ in built.type_map.items()
        if isinstance(type_, GraphQLInputObjectType) and not name.startswith("__")
    )


@pytest.mark.parametrize("type_name", input_types())
@hypothesis_settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_every_input_type_coerces_as_graphql_core_does(type_name, data):
    text = f"query($a: {type_name}!, $b: [{type_name}!], $c: [{type_name}]! = []) {{ __typename }}"
    check(text, data.draw(variables(text, loose=data.draw(st.booleans(), label="loose")), label="variables"))


MEASURED = "2026-12-02T20:00:00.123+08:00"


@pytest.mark.parametrize(
    ("text", "inputs", "valid"),
    [
        # The bench's batch shape: serial alias, enum, float and int values, an event without one.
        (READINGS, {"r": [{"deviceId": "WB-1", "kind": "HEART_RATE", "value": 72, "measuredAt": MEASURED},
                          {"deviceSerial": "D-1", "kind": "DOOR", "measuredAt": MEASURED},
                          {"deviceId": "WB-1", "kind": "SPO2", "value": 97.5, "measuredAt": MEASURED}]},
         True),
        (READINGS, {"r": {"deviceId": "WB-1", "kind": "MOTION", "measuredAt": MEASURED}}, True),  # one
        (READINGS, {"r": [{"deviceId": "WB-1", "kind": "MOTION", "value": None, "measuredAt": MEASURED}]},
         True),
        (READINGS, {}, False),  # a missing non-null variable
        (READINGS, {"r": None}, False),
        (READINGS, {"r": [None]}, False),
        (READINGS, {"r": [{"deviceId": "WB-1", "kind": "MOTION"}]}, False),  # a missing required field
        (READINGS, {"r": [{"deviceId": "WB-1", "kind": "BOGUS", "measuredAt": MEASURED}]}, False),
        (READINGS, {"r": [{"deviceId": "WB-1", "kind": "MOTION", "measuredAt": "2026-12-02 20:00"}]}, False),
        (READINGS, {"r": [{"deviceId": 7, "kind": "MOTION", "measuredAt": MEASURED}]}, False),
        (READINGS, {"r": [{"x": 1, "deviceId": "WB-1", "kind": "MOTION", "measuredAt": MEASURED}]}, False),
        # Defaults of the operation ($within, $pace, $first) and nulls for nullable variables.
        (NEARBY, {"near": {"lat": 30.3, "lng": 120.04}}, True),
        (NEARBY, {"near": {"lat": 30, "lng": 120, "system": "GCJ02"}, "categories": ["RESTAURANT"],
                  "openAt": MEASURED, "text": None, "after": None, "pace": "ELDERLY"}, True),
        (NEARBY, {"near": {"lat": 30.3, "lng": 120.04}, "within": None}, False),
        (NEARBY, {"near": {"lat": "30.3", "lng": 120.04}}, False),
        (NEARBY, {"near": {"lat": 30.3, "lng": 120.04}, "categories": "CAFE"}, False),
        # Nested input objects and lists, an input field's default (`buildings: [...] = []`).
        (COMPOUND, {"input": {"name": "南睦苑"}}, True),
        (COMPOUND, {"input": {"name": "南睦苑",
                              "buildings": [{"name": "1幢", "units": ["1单元"]}, {"name": "2幢"}]}}, True),
        (COMPOUND, {"input": {"name": "南睦苑", "buildings": [{"units": []}]}}, False),
        (COMPOUND, {"input": {"name": "南睦苑", "buildings": [{"name": "1幢", "units": [None]}]}}, False),
    ],
)  # fmt: skip
def test_chosen_cases(text, inputs, valid):
    assert check(text, inputs) is valid


def test_a_default_is_not_shared_between_requests():
    """graphql-core memoizes an operation default's coerced value on that request's signature."""
    text = 'query($c: [String!]! = ["a"]) { __typename }'
    document = parse(text)
    operation = document.definitions[0]
    first = compiled_variable_values(schema(), document, operation, None, {})
    second = compiled_variable_values(schema(), document, operation, None, {})
    assert first.coerced == second.coerced == {"c": ["a"]}
    assert first.coerced["c"] is not second.coerced["c"]


def test_the_executor_is_built_as_graphql_core_builds_it():
    """Fragments, the operation chosen by name, the coerced values: as Executor.build has them."""
    text = (
        "query A { __typename } "
        "mutation B($r: [ReadingInput!]!) { readingsRecord(readings: $r) { ...F } } "
        "fragment F on ReadingsRecordResult { __typename }"
    )
    document = parse(text)
    inputs = {"r": [{"deviceId": "WB-1", "kind": "MOTION", "measuredAt": MEASURED}]}
    ours = CompiledVariables.build(schema(), document, raw_variable_values=inputs, operation_name="B")
    theirs = graphql_executor.Executor.build(
        schema(), document, raw_variable_values=inputs, operation_name="B"
    )
    assert ours.operation is theirs.operation
    assert ours.fragment_definitions == theirs.fragment_definitions
    assert ours.fragments == theirs.fragments
    assert same(ours.variable_values.coerced, theirs.variable_values.coerced)
    for attribute in ("root_value", "context_value", "field_resolver", "type_resolver", "hide_suggestions"):
        assert getattr(ours, attribute) == getattr(theirs, attribute), attribute
    # Missing variables: graphql-core's errors, from graphql-core.
    ours = CompiledVariables.build(schema(), document, operation_name="B")
    theirs = graphql_executor.Executor.build(schema(), document, operation_name="B")
    assert [error.formatted for error in ours] == [error.formatted for error in theirs] != []


# ── Over HTTP ────────────────────────────────────────────────────────────────


def comparable(response) -> tuple[int, object]:
    """Status and body, without what differs by request alone (the request id)."""
    body = response.json()
    for error in body.get("errors") or ():
        (error.get("extensions") or {}).pop("requestId", None)
    return response.status_code, body


def draw_invalid(text: str, count: int, seed: int) -> list[dict]:
    drawn: list[dict] = []

    @hypothesis.seed(seed)
    @hypothesis_settings(
        max_examples=count * 4,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(variables(text, loose=True))
    def collect(inputs) -> None:
        document = parse(text)
        try:
            json.dumps(inputs, allow_nan=False)  # what a request can carry
        except ValueError:
            return
        if len(drawn) < count and isinstance(
            get_variable_values(schema(), document.definitions[0].variable_definitions, inputs), list
        ):
            drawn.append(inputs)

    collect()
    return drawn


@pytest.fixture
def spy(monkeypatch) -> list[int]:
    """Counts graphql-core's generic coercions."""
    calls = []
    generic = graphql_executor.get_variable_values

    def counted(*args, **kwargs):
        calls.append(1)
        return generic(*args, **kwargs)

    monkeypatch.setattr(graphql_executor, "get_variable_values", counted)
    return calls


@pytest.mark.parametrize("name", ["readingsRecord", "nearbyFacilities"])
async def test_bad_variables_are_answered_alike_on_and_off(client_with, tokens, name, spy):
    text = OPERATIONS[name]
    token = tokens["DEVICE_GATEWAY"] if name == "readingsRecord" else None
    requests = draw_invalid(text, 40, 19)
    assert len(requests) >= 20
    async with client_with(compiled_variables=True) as fast, client_with(compiled_variables=False) as slow:
        for inputs in requests:
            compiled = comparable(await GraphQLClient(fast).post(text, inputs, token=token))
            expected = comparable(await GraphQLClient(slow).post(text, inputs, token=token))
            assert compiled == expected, inputs
            assert expected[1].get("errors"), expected


async def test_valid_variables_take_the_compiled_path(client_with, tokens, spy):
    inputs = {
        "near": {"lat": 30.2978, "lng": 120.0418},
        "categories": ["RESTAURANT", "METRO_STATION"],
        "openAt": MEASURED,
    }
    async with client_with(compiled_variables=True) as fast, client_with(compiled_variables=False) as slow:
        compiled = comparable(await GraphQLClient(fast).post(NEARBY, inputs))
        assert spy == []  # graphql-core's coercion was not asked
        expected = comparable(await GraphQLClient(slow).post(NEARBY, inputs))
        assert spy == [1]
    assert compiled == expected
    assert "errors" not in compiled[1], compiled


async def test_a_readings_batch_takes_the_compiled_path(client_with, tokens, spy):
    readings = [
        {"deviceId": f"NOPE-{index}", "kind": "HEART_RATE", "value": 60 + index, "measuredAt": MEASURED}
        for index in range(20)
    ]
    async with client_with(compiled_variables=True) as fast:
        response = await GraphQLClient(fast).post(READINGS, {"r": readings}, token=tokens["DEVICE_GATEWAY"])
    assert spy == []
    body = response.json()
    # Unknown devices: every reading rejected by the domain, after coercion let them through.
    assert "errors" not in body and body["data"]["readingsRecord"]["__typename"] == "InvalidReadings", body
