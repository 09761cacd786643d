"""Every cell of the authorization matrix (tests/security/matrix.py), run for real.

One test per (row, caller): the row's runner (in its domain's `tests/<domain>/matrix_cases.py`)
asks its operation as that caller over HTTP (subscriptions over the WebSocket endpoint of a real
server), reads the answer back into the matrix's vocabulary, and the test compares that with the
cell. Rows that read elder A's health data or child X's data also check the request's access log.
The world the cells run in is built in conftest.py.
"""

import graphql
import pytest
from sqlalchemy import select

from models.affairs import CaseAccessLog
from models.childcare import ChildAccessLog
from models.eldercare import HealthAccessLog
from models.people import Role
from schema import build_schema
from tests.conftest import make_settings
from tests.security.calls import Call, Runner
from tests.security.matrix import DOC, DOMAINS, ROWS, render_markdown, section_of
from tests.security.rows import (
    CALLER_ROLES,
    CALLERS,
    ONE,
    OUTCOMES,
    READS_TARGET,
    TWO,
    UNSCOPED_ROLES,
    Row,
)

# Each row's runner, from its domain's module.
RUNNERS: dict[str, Runner] = {key: run for domain in DOMAINS for key, run in domain.RUNNERS.items()}
# Nested fields the issue names as sensitive: each needs a row of its own (or a row through it).
SENSITIVE_NESTED: set[str] = {coordinate for domain in DOMAINS for coordinate in domain.SENSITIVE}

# ── The access log ────────────────────────────────────────────────────────────


async def check_access_log(call: Call, sessions, expected: str, *, log, subject: int, name: str) -> None:
    """A cell that reads the subject (elder A, child X): exactly one row of `log` for the caller,
    the subject and each request that read it. Any other cell: no row for the subject (rows for
    what else the caller may see, such as elder B or their own child, are theirs)."""
    if log is HealthAccessLog:
        whose = log.elder_id
    elif log is ChildAccessLog:
        whose = log.child_id
    else:
        whose = log.case_id
    async with sessions() as session:
        rows = (
            await session.execute(
                select(log.client_request_id, log.person_id).where(
                    log.client_request_id.in_(call.request_ids), whose == subject
                )
            )
        ).all()
    readers = [person_id for _, person_id in rows]
    if expected in READS_TARGET:
        assert len(rows) == len({request for request, _ in rows}) >= 1, (
            f"access log: {len(rows)} rows for the reads of {name} (requests {call.request_ids})"
        )
        assert set(readers) == {call.world.member(call.caller).person_id}, readers
    else:
        assert readers == [], f"access log: {len(readers)} rows for {name}, whom this cell does not read"


# ── The tests ─────────────────────────────────────────────────────────────────

CELLS = [(row, caller) for row in ROWS for caller in CALLERS]


@pytest.mark.parametrize(("row", "caller"), CELLS, ids=[f"{row.key}-{caller}" for row, caller in CELLS])
async def test_cell(row: Row, caller: str, gql, app, world, db):
    call = Call(gql=gql, app=app, world=world, caller=caller, sessions=db)

    observed = await RUNNERS[row.key](call)

    expected = row.expected(caller)
    assert observed == expected, (
        f"{row.operation} as {CALLERS[caller]}: expected {expected}, observed {observed}"
    )
    if row.logged:
        await check_access_log(
            call, db, expected, log=HealthAccessLog, subject=world.elders["A"], name="elder A"
        )
    if row.child_logged:
        await check_access_log(
            call, db, expected, log=ChildAccessLog, subject=world.children["X"], name="child X"
        )
    if row.case_logged:
        await check_access_log(call, db, expected, log=CaseAccessLog, subject=world.cases["C"], name="case C")


def test_every_root_field_node_type_and_sensitive_field_has_a_row():
    built = graphql.build_schema(build_schema(make_settings()).as_str())
    roots = (built.query_type, built.mutation_type, built.subscription_type)
    fields = {f"{root.name}.{name}" for root in roots for name in root.fields}
    nodes = {f"Query.node:{node.name}" for node in built.get_implementations(built.get_type("Node")).objects}
    covered = {coordinate for row in ROWS for coordinate in row.covers}

    assert sorted((fields | nodes | SENSITIVE_NESTED) - covered) == [], (
        "without a row in any domain's tests/<domain>/matrix_cases.py"
    )


def test_every_staff_role_has_a_caller_here_and_one_of_another_community():
    """The leak of #13 hid behind a single "childcare staff" caller: staff rights are scoped by
    community, so each community-scoped role is asked from the targets' community and another."""
    scoped = {role.value for role in Role} - UNSCOPED_ROLES
    communities = {role: set() for role in scoped}
    for role, community in CALLER_ROLES.values():
        if role in scoped:
            communities[role].add(community)
    assert {role: sorted(found) for role, found in communities.items() if found != {ONE, TWO}} == {}, (
        "each staff role needs a caller in the targets' community and one in another"
    )
    assert set(CALLER_ROLES) == set(CALLERS) - {"anonymous"}, "every signed-in caller has a role"


def test_the_table_is_well_formed():
    assert len({row.key for row in ROWS}) == len(ROWS), "row keys are unique"
    assert sorted(RUNNERS) == sorted(row.key for row in ROWS), "every row has a runner, every runner a row"
    assert sum(len(domain.RUNNERS) for domain in DOMAINS) == len(RUNNERS), "a runner in two domains"
    for row in ROWS:
        assert len(row.cells) == len(CALLERS), row.key
        assert set(row.cells) <= OUTCOMES.keys(), row.key


def test_docs_security_md_shows_the_table():
    assert section_of(DOC.read_text(encoding="utf-8")) == render_markdown(), (
        "docs/SECURITY.md has drifted from the table: run `.venv/bin/python -m tests.security.matrix`"
    )
