"""makerSpaces and resourceAvailability on the compiled read path answer exactly as the resolvers
do (#19): random selections, aliases, fragments, directives and variables over every field planned
(MakerSpace, MakerSpaceRules, Resource, ResourceDay, TimeSlot), as each main role, on days from
the past to far ahead and bad ones, over spaces with reservations, a block-out and a retired desk.
Each request is asked of both paths; status and JSON must be equal, and every request answered
without error must have been answered by the compiled path.

Seeded and bounded like tests/compiled/test_differential.py (LINLI_DIFFERENTIAL_EXAMPLES, _SEED).
"""

import os
from datetime import UTC, datetime, time, timedelta

import pyotp
import pytest
from hypothesis import strategies as st
from sqlalchemy import DateTime, literal, select
from sqlalchemy.dialects.postgresql import Range

from models.makerspace import MakerSpace, Reservation, Resource, ResourceBlockOut
from models.people import Person
from resolvers.compiled import datetime_text
from schema.common import encode_global_id
from schema.compiled import PATHS
from schema.scalars import serialize_datetime
from tests.compiled.test_differential import Document, ask_both, draw_cases, sometimes_bad
from tests.conftest import GraphQLClient
from tests.makerspace.conftest import SHANGHAI, TUESDAY

EXAMPLES = int(os.environ.get("LINLI_DIFFERENTIAL_EXAMPLES", "300"))
SEED = int(os.environ.get("LINLI_DIFFERENTIAL_SEED", "19"))
ROLES = (None, "RESIDENT", "MAKERSPACE_STAFF", "COMMUNITY_ADMIN", "ADMIN")
# 10:07 on a Tuesday: the morning's slots are gone, 10:00's check-in is still open.
NOW = TUESDAY.replace(hour=10, minute=7)

SCALARS = {
    "MakerSpace": ["id", "name", "opensAt", "closesAt"],
    "MakerSpaceRules": [
        "slotMinutes",
        "bookingHorizonDays",
        "deskMaxMinutes",
        "roomMaxMinutes",
        "deskDailyCapMinutes",
        "checkInBeforeMinutes",
        "checkInAfterMinutes",
        "noShowLimit",
        "noShowWindowDays",
        "suspensionDays",
    ],
    "Resource": ["id", "name", "kind", "capacity", "features", "position", "active", "retiredAt"],
    "TimeSlot": ["start", "end"],
}
OBJECTS = {
    "MakerSpace": {"rules": "MakerSpaceRules", "resources": "Resource"},
    "ResourceDay": {"resource": "Resource", "freeSlots": "TimeSlot"},
}
KINDS = ["DESK", "MEETING_ROOM", "VIDEO_ROOM"]
FEATURES = ["WINDOW", "POWER", "MONITOR", "WHITEBOARD", "SCREEN", "VIDEO_CONFERENCE"]
# Days as offsets from NOW's (None: a day that does not exist, sent as a variable).
DAYS = [0, 0, 1, 1, 1, 2, 3, 7, 8, -1, -400, 3650]
BAD_DAYS = ["2026-02-30", "2026-13-01", "tomorrow"]


@st.composite
def selection(draw, type_name: str, doc: Document) -> str:
    """Some fields of `type_name`, each maybe aliased, maybe under a directive or in a fragment."""
    candidates = [*SCALARS.get(type_name, []), *OBJECTS.get(type_name, {}), "__typename"]
    chosen = draw(st.lists(st.sampled_from(candidates), min_size=1, max_size=len(candidates) + 1))
    parts = []
    for index, name in enumerate(chosen):
        text = name
        if type_name == "MakerSpace" and name == "resources" and draw(st.booleans()):
            kind = draw(st.sampled_from([*KINDS, None]))
            if draw(st.booleans()):
                text += f"(kind: {doc.variable('kind', 'ResourceKind', kind)})"
            else:
                text += f"(kind: {kind or 'null'})"
        if draw(st.integers(0, 3)) == 0:
            text = f"a{index}_{name}: {text}"
        if draw(st.integers(0, 5)) == 0:
            directive = draw(st.sampled_from(["include", "skip"]))
            flag = doc.variable("flag", "Boolean!", draw(st.booleans()))
            text += f" @{directive}(if: {flag})"
        if name in OBJECTS.get(type_name, {}):
            text += " { " + draw(selection(OBJECTS[type_name][name], doc)) + " }"
        parts.append(text)
    body = " ".join(parts)
    wrap = draw(st.integers(0, 6))
    if wrap == 0:
        name = f"F{len(doc.fragments)}"
        doc.fragments.append(f"fragment {name} on {type_name} {{ {body} }}")
        return f"...{name}"
    if wrap == 1:
        return f"... on {type_name} {{ {body} }}"
    return body


def day_value(draw) -> str:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from(BAD_DAYS))
    return (NOW.date() + timedelta(days=draw(st.sampled_from(DAYS)))).isoformat()


@st.composite
def availability_field(draw, doc: Document, *, alone: bool) -> str:
    # Beside makerSpaces, good arguments only: the resolvers' error (a non-null field) nulls the whole
    # answer and cancels makerSpaces' statement in flight, which breaks the test's one shared
    # connection (a server's request has a connection of its own).
    def maybe_bad(good, bad):
        return sometimes_bad(draw, good, bad) if alone else draw(good)

    # Spaces by name, resolved when the request is sent (their ids are made by the test's setup).
    space = maybe_bad(
        st.sampled_from(["space:seeded", "space:small", "space:small"]),
        st.sampled_from(["space:missing", "resource:1", "not-an-id", ""]),
    )
    arguments = [f"spaceId: {doc.variable('space', 'ID!', space)}"]
    day = day_value(draw) if alone else (NOW.date() + timedelta(days=draw(st.sampled_from(DAYS)))).isoformat()
    if draw(st.booleans()):
        arguments.append(f"date: {doc.variable('date', 'Date!', day)}")
    else:
        arguments.append(f'date: "{(NOW.date() + timedelta(days=draw(st.sampled_from(DAYS)))).isoformat()}"')
    if draw(st.booleans()):
        kind = draw(st.sampled_from([*KINDS, None]))
        given = doc.variable("kind", "ResourceKind", kind) if draw(st.booleans()) else (kind or "null")
        arguments.append(f"kind: {given}")
    if draw(st.booleans()):
        features = draw(st.one_of(st.none(), st.lists(st.sampled_from(FEATURES), max_size=3)))
        arguments.append(f"features: {doc.variable('features', '[ResourceFeature!]', features)}")
    if draw(st.booleans()):
        party = maybe_bad(st.sampled_from([None, 0, 1, 2, 6, 12, 500]), st.sampled_from([501, -1]))
        arguments.append(f"partySize: {doc.variable('party', 'Int', party)}")
    body = draw(selection("ResourceDay", doc))
    field = f"resourceAvailability({', '.join(arguments)}) {{ {body} }}"
    return f"day: {field}" if draw(st.integers(0, 3)) == 0 else field


@st.composite
def request(draw) -> tuple[str, dict]:
    doc = Document()
    roots = []
    which = draw(st.sampled_from(["availability", "availability", "spaces", "both"]))
    if which in ("availability", "both"):
        roots.append(draw(availability_field(doc, alone=which == "availability")))
    if which in ("spaces", "both"):
        spaces = f"makerSpaces {{ {draw(selection('MakerSpace', doc))} }}"
        roots.append(f"all: {spaces}" if draw(st.integers(0, 3)) == 0 else spaces)
    if draw(st.integers(0, 4)) == 0:
        roots.append("__typename")
    definitions = ", ".join(f"${name}: {type_}" for name, type_ in doc.definitions.items())
    header = f"query Differential({definitions})" if definitions else "query Differential"
    return " ".join([f"{header} {{ {' '.join(roots)} }}", *doc.fragments]), doc.values


def draw_requests(count: int, seed: int) -> list[tuple[str, dict, str | None]]:
    return draw_cases(request(), st.sampled_from(ROLES), count=count, seed=seed)


# ── The spaces asked about ─────────────────────────────────────────────────────


def at(day_offset: int, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(NOW.date() + timedelta(days=day_offset), time(hour, minute), SHANGHAI)


@pytest.fixture
async def spaces(session, tokens, clock) -> dict[str, str]:
    """The seeded space with reservations today and tomorrow and a block-out; a small space of its own
    hours (09:00–18:00, hour slots, a 3-day horizon) with a retired desk; their global IDs by name."""
    clock.now = NOW
    seeded = await session.scalar(select(MakerSpace).where(MakerSpace.name == "南睦天空创客厅"))
    resources = list(
        await session.scalars(
            select(Resource).where(Resource.space_id == seeded.id).order_by(Resource.position, Resource.id)
        )
    )
    holder = await session.scalar(select(Person).where(Person.name == "测试RESIDENT"))
    staff = await session.scalar(select(Person).where(Person.name == "测试MAKERSPACE_STAFF"))
    for index, resource in enumerate(resources[:6]):
        start = at(index % 2, 10 + index, 30 * (index % 2))
        session.add(
            Reservation(
                resource_id=resource.id,
                space_id=seeded.id,
                person_id=holder.id,
                period=Range(start, start + timedelta(minutes=60), bounds="[)"),
                status=["CONFIRMED", "CHECKED_IN", "CANCELLED"][index % 3],
                party_size=1,
            )
        )
        await session.flush()  # one at a time: the holder's own reservations may not overlap
    session.add(
        ResourceBlockOut(
            resource_id=resources[7].id,
            space_id=seeded.id,
            period=Range(at(1, 8, 30), at(1, 13), bounds="[)"),
            reason="检修",
            created_by=staff.id,
        )
    )
    small = MakerSpace(
        name="差分测试创客厅",
        community_id=seeded.community_id,
        check_in_secret=pyotp.random_base32(),
        opens_at=time(9),
        closes_at=time(18),
        slot_minutes=60,
        booking_horizon_days=3,
        check_in_after_minutes=5,
    )
    session.add(small)
    await session.flush()
    session.add_all(
        [
            Resource(
                space_id=small.id, name="会议室 A", kind="MEETING_ROOM", capacity=6, features=["SCREEN"]
            ),
            Resource(space_id=small.id, name="工位 1", kind="DESK", capacity=1, features=[], position=2),
            Resource(
                space_id=small.id,
                name="工位 0",
                kind="DESK",
                capacity=1,
                features=["POWER"],
                active=False,
                retired_at=NOW - timedelta(days=3, microseconds=250),
                retired_reason="报废",
            ),
        ]
    )
    await session.commit()
    return {
        "space:seeded": encode_global_id("MakerSpace", seeded.id),
        "space:small": encode_global_id("MakerSpace", small.id),
        "space:missing": encode_global_id("MakerSpace", 2**62),
        "resource:1": encode_global_id("Resource", resources[0].id),
    }


def resolved(variables: dict, spaces: dict[str, str]) -> dict:
    return {
        name: spaces.get(value, value) if isinstance(value, str) else value
        for name, value in variables.items()
    }


async def test_the_compiled_path_answers_as_the_resolvers_do(client_with, tokens, spaces):
    requests = draw_requests(EXAMPLES, SEED)
    compiled_answers = 0
    slots_seen = 0
    async with client_with(compiled_reads=True) as fast, client_with(compiled_reads=False) as slow:
        for query, variables, role in requests:
            token = tokens[role] if role else None
            asked = await ask_both(fast, slow, query, resolved(variables, spaces), token=token)
            if not asked.expected[1].get("errors"):
                compiled_answers += 1
                slots_seen += "+08:00" in str(asked.expected[1])
    print("compiled answers", compiled_answers, "of", len(requests), "with free slots", slots_seen)
    assert compiled_answers >= EXAMPLES // 4, compiled_answers
    assert slots_seen >= EXAMPLES // 20, slots_seen  # free slots were compared, not only empty days


W3 = """query W3($spaceId: ID!, $date: Date!) { resourceAvailability(spaceId: $spaceId, date: $date)
  { resource { id name kind capacity features } freeSlots { start end } } }"""


@pytest.mark.parametrize(
    ("query", "planned"),
    [
        (W3, True),
        (
            "{ makerSpaces { id name opensAt rules { slotMinutes } resources(kind: DESK) { id features } } }",
            True,
        ),
        # blockOuts is not declared in SQL (a check on the viewer per space): the resolvers answer.
        ('{ makerSpaces { name blockOuts(from: "2026-12-01", to: "2026-12-02") { id } } }', False),
        ("{ makerSpaces { name } myReservations { edges { cursor } } }", False),
    ],
)
async def test_a_query_is_compiled_only_when_every_field_can_be(client_with, spaces, tokens, query, planned):
    variables = {"spaceId": spaces["space:seeded"], "date": NOW.date().isoformat()} if "W3" in query else None
    async with client_with(compiled_reads=True) as client:
        before = PATHS["compiled"]
        response = await GraphQLClient(client).post(query, variables, token=tokens["RESIDENT"])
    assert response.status_code == 200 and "errors" not in response.json(), response.text
    assert (PATHS["compiled"] > before) is planned


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "resolvers"])
async def test_a_hold_takes_only_its_own_resource_s_slots(client_with, spaces, compiled):
    """Tomorrow the seeded space's second resource is held 11:30–12:30 (checked in) and its eighth
    blocked out 08:30–13:00; no other resource is (a hold is matched to its own resource)."""
    variables = {"spaceId": spaces["space:seeded"], "date": (NOW.date() + timedelta(days=1)).isoformat()}
    async with client_with(compiled_reads=compiled) as client:
        body = (await GraphQLClient(client).post(W3, variables)).json()
    days = body["data"]["resourceAvailability"]
    starts = [[slot["start"][11:16] for slot in day["freeSlots"]] for day in days]
    assert [index for index, day in enumerate(starts) if "12:00" not in day] == [1, 7], starts
    assert starts[1][:7] == ["08:30", "09:00", "09:30", "10:00", "10:30", "11:00", "12:30"]
    assert starts[7][0] == "13:00"
    assert body["data"]["resourceAvailability"][0]["freeSlots"][0] == {
        "start": f"{NOW.date() + timedelta(days=1)}T08:30:00+08:00",
        "end": f"{NOW.date() + timedelta(days=1)}T09:00:00+08:00",
    }


@pytest.mark.parametrize(
    "moment",
    [
        NOW,
        NOW.replace(microsecond=250),
        datetime(2026, 12, 31, 16, 0, 0, 999999, tzinfo=UTC),
        datetime(1988, 7, 1, 12, tzinfo=UTC),  # summer time in Shanghai then: +09:00
        datetime(1900, 1, 1, tzinfo=UTC),  # local mean time: +08:05:43
        datetime(1, 1, 2, tzinfo=UTC),
        datetime(9999, 12, 31, 12, tzinfo=UTC),
    ],
)
async def test_datetimes_are_written_as_the_scalar_writes_them(session, moment):
    written = await session.scalar(select(datetime_text(literal(moment, DateTime(timezone=True)))))
    assert written == serialize_datetime(moment)
