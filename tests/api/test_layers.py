"""The graph maps; the rules run the SQL (#16): no module under schema/ builds or runs a statement.
It may name SQLAlchemy's and asyncpg's exception types and the session it hands the resolvers."""

import ast
from pathlib import Path

SCHEMA = Path(__file__).resolve().parents[2] / "schema"
DRIVERS = {"sqlalchemy", "asyncpg"}
# Exception types, and the type of the request's session (which the context opens for the resolvers).
ALLOWED_IMPORTS = {"sqlalchemy.exc", "sqlalchemy.ext.asyncio", "asyncpg"}
BUILDS = {"select", "insert", "update", "delete", "text", "func", "literal"}  # called by name
RUNS = {"execute", "scalar", "scalars", "stream", "stream_scalars", "connect", "create_pool"}


def sql_in(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in DRIVERS:
            if node.module not in ALLOWED_IMPORTS:
                found.append(f"from {node.module} import …")
        elif isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if a.name.split(".")[0] in DRIVERS]
            found = [f for f in found if f.removeprefix("import ") not in ALLOWED_IMPORTS]
        elif isinstance(node, ast.Call):
            call = node.func
            if isinstance(call, ast.Name) and call.id in BUILDS:
                found.append(f"{call.id}(…) at line {node.lineno}")
            elif isinstance(call, ast.Attribute) and call.attr in RUNS:
                receiver = call.value.id if isinstance(call.value, ast.Name) else ""
                if receiver != "strawberry":  # strawberry.scalar declares a GraphQL scalar
                    found.append(f".{call.attr}(…) at line {node.lineno}")
    return found


def test_no_module_under_schema_builds_or_runs_a_statement():
    offenders = {
        str(path.relative_to(SCHEMA.parent)): sql_in(path.read_text(encoding="utf-8"))
        for path in sorted(SCHEMA.rglob("*.py"))
    }
    assert {path: found for path, found in offenders.items() if found} == {}


def test_the_check_sees_a_statement_written_the_usual_ways():
    probe = "from sqlalchemy import select\nasync def f(s):\n    await s.execute(select(1))\n"
    assert sql_in(probe) == ["from sqlalchemy import …", ".execute(…) at line 3", "select(…) at line 3"]
    assert sql_in("import asyncpg\nasync def f():\n    await asyncpg.connect('')\n") == [
        ".connect(…) at line 3"
    ]
