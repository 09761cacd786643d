"""The served schema is the checked-in SDL, and implemented root fields match the clients' contract."""

from pathlib import Path

import pytest
from graphql import GraphQLSchema, build_schema, print_ast, print_type
from graphql.utilities import ast_from_value

from schema import build_schema as build_linli_schema
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parents[2]
EXPORTED = ROOT / "schema" / "schema.graphql"
CONTRACT = ROOT.parent / "shared" / "design" / "contract.graphql"

# The contract's root fields built so far; each domain issue adds its own until all are here.
IMPLEMENTED = {
    "Query": [
        "node",
        "me",
        "nearbyFacilities",
        "lifeCircle",
        "makerSpaces",
        "resourceAvailability",
        "myReservations",
        "makerSpaceCheckInCode",
        "childcareCenters",
        "childcareSessions",
        "myChildren",
        "elders",
        "careAlerts",
        "careDashboard",
    ],
    "Mutation": [
        "login",
        "reservationCreate",
        "reservationCancel",
        "reservationCheckIn",
        "childRegister",
        "childPickupPersonAdd",
        "childcareBookingCreate",
        "childcareBookingCancel",
        "childCheckIn",
        "childCheckOut",
        "readingsRecord",
        "careAlertAcknowledge",
        "careAlertResolve",
        "careVisitLog",
    ],
    "Subscription": ["careAlertEvents"],
}


def served() -> GraphQLSchema:
    return build_linli_schema(make_settings())._schema


def test_exported_sdl_is_what_the_server_serves():
    sdl = build_linli_schema(make_settings()).as_str() + "\n"

    assert EXPORTED.read_text(encoding="utf-8") == sdl, "schema drifted: run `linli export-schema`"


def signature(schema: GraphQLSchema, root: str, name: str) -> dict:
    field = getattr(schema, f"{root.lower()}_type").fields[name]
    args = {}
    for arg_name, arg in field.args.items():
        printed = None
        if arg.ast_node is not None:  # built from SDL (the contract): the default as written
            if arg.ast_node.default_value is not None:
                printed = print_ast(arg.ast_node.default_value)
        elif arg.default_value is not None and repr(arg.default_value) != "Undefined":
            printed = print_ast(ast_from_value(arg.default_value, arg.type))
        args[arg_name] = (str(arg.type), printed)
    return {"type": str(field.type), "args": args}


def contract() -> GraphQLSchema:
    if not CONTRACT.exists():
        pytest.skip(f"{CONTRACT} is absent (a user's own clone): the contract cannot be compared")
    return build_schema(CONTRACT.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("root", "name"), [(root, name) for root, names in IMPLEMENTED.items() for name in names]
)
def test_implemented_root_field_matches_the_contract(root, name):
    expected = signature(contract(), root, name)

    assert signature(served(), root, name) == expected


def test_every_served_root_field_named_in_the_contract_is_listed_as_implemented():
    contract_schema, served_schema = contract(), served()
    for root in ("Query", "Mutation", "Subscription"):
        contract_type = getattr(contract_schema, f"{root.lower()}_type")
        served_type = getattr(served_schema, f"{root.lower()}_type")
        shared = set(contract_type.fields) & set(served_type.fields if served_type else {})
        assert shared <= set(IMPLEMENTED[root]), (
            f"{root}: add {shared - set(IMPLEMENTED[root])} to IMPLEMENTED"
        )


def is_error_code(have, want) -> bool:
    """The one refinement the contract's sketches allow (#16): DomainError.code, a `String!` in the
    sketch, is the ErrorCode enum, which a client can switch on; on the wire it is the same string."""
    return str(want) == "String!" and str(have) == "ErrorCode!"


def test_shared_types_keep_the_contracts_fields():
    """Types the contract sketches keep at least its fields with the same types (extras are allowed)."""
    contract_schema, served_schema = contract(), served()
    for name in [
        "PageInfo",
        "Viewer",
        "Community",
        "RuleViolation",
        "NotFound",
        "LoginSuccess",
        "InvalidCredentials",
    ]:
        want = contract_schema.type_map[name]
        have = served_schema.type_map[name]
        for field_name, field in want.fields.items():
            assert field_name in have.fields, f"{name}.{field_name} missing:\n{print_type(have)}"
            assert str(have.fields[field_name].type) == str(field.type) or is_error_code(
                have.fields[field_name].type, field.type
            ), f"{name}.{field_name}"
