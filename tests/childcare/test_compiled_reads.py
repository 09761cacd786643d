"""childcareCenters and childcareSessions on the compiled read path (#19): one statement each, and
what it does not build (remaining; eligibility for a child) answered by the resolvers. Answers
equal to the resolvers' for every caller: tests/compiled/test_childcare_differential.py."""

import pytest

from schema.compiled import PATHS
from tests.conftest import GraphQLClient

pytestmark = pytest.mark.usefixtures("monday")

CENTERS = """{ childcareCenters { id name classes { id name kind minAgeMonths maxAgeMonths capacity carerRatio
  timetable { weekday careType startsAt endsAt capacity } } } }"""
SESSIONS = """query($center: ID!, $child: ID, $from: Date! = "2026-11-30", $to: Date! = "2026-12-06") {
  childcareSessions(centerId: $center, from: $from, to: $to, childId: $child) {
    id careType start end capacity booked carersOnDuty cancelledAt cancelReason eligible waitlisted
    carers { id name } class { id name timetable { weekday startsAt } } } }"""


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "resolvers"])
async def test_centres_with_classes_and_timetables_cost_one_statement_compiled(
    client_with, count_statements, compiled
):
    async with client_with(compiled_reads=compiled) as client:
        with count_statements() as counter:
            body = await GraphQLClient(client)(CENTERS)

    classes = body["data"]["childcareCenters"][0]["classes"]
    assert [c["minAgeMonths"] for c in classes] == sorted(c["minAgeMonths"] for c in classes)
    assert all(c["timetable"] for c in classes)
    # Compiled: one JSON value; by the resolvers: the centres, their classes, the classes' timetables.
    assert counter.count == (1 if compiled else 3), counter.statements


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "resolvers"])
async def test_a_weeks_sessions_cost_one_statement_compiled(
    client_with, count_statements, center, tokens, compiled
):
    async with client_with(compiled_reads=compiled) as client:
        with count_statements() as counter:
            body = await GraphQLClient(client)(
                SESSIONS, {"center": center["id"]}, token=tokens["CHILDCARE_STAFF"]
            )

    sessions = body["data"]["childcareSessions"]
    assert sessions and all(s["carers"] is not None and s["eligible"] is None for s in sessions)
    # Compiled: one; by the resolvers: the centre, its sessions, then at once the classes, the
    # waitlists, the carers (and their roles) and the classes' timetables.
    assert counter.count == (1 if compiled else 7), counter.statements


async def test_staff_of_another_community_and_residents_see_no_carers_compiled(client_with, center, tokens):
    async with client_with(compiled_reads=True) as client:
        for role in ("RESIDENT", "COMMUNITY_ADMIN", None):
            before = PATHS["compiled"]
            body = await GraphQLClient(client)(
                SESSIONS, {"center": center["id"]}, token=tokens[role] if role else None
            )
            assert PATHS["compiled"] == before + 1
            assert {s["carers"] is None for s in body["data"]["childcareSessions"]} == {True}, role


@pytest.mark.parametrize(
    ("query", "why"),
    [
        (SESSIONS.replace("eligible", "remaining"), "remaining: bookings.places, in Python"),
        (SESSIONS, "childId: the child's age by the Civil Code, in Python"),
    ],
)
async def test_what_is_not_built_in_sql_is_answered_by_the_resolvers(
    client_with, center, guardians, family, query, why
):
    child = await family.register(guardians[0], "小米", "2025-01-31")
    async with client_with(compiled_reads=True) as client:
        before, compiled_before = PATHS["resolvers"], PATHS["compiled"]
        child_id = child["id"] if "remaining" not in query else None
        body = await GraphQLClient(client)(
            query, {"center": center["id"], "child": child_id}, token=guardians[0]
        )

    assert "errors" not in body, body
    # (a document the front door knows is planned there first, then again in strawberry's pipeline)
    assert PATHS["resolvers"] > before and PATHS["compiled"] == compiled_before, why
