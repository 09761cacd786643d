"""The compiled read path answers exactly as the resolvers do (#19): random selections, aliases,
fragments, directives and variables over the plannable fields, as each main role, each asked of
both paths; the JSON (and status) must be equal, errors included. Every request the resolvers
answer without error must have been answered by the compiled path, so a planner that silently
falls back fails here too.

Seeded and bounded: LINLI_DIFFERENTIAL_EXAMPLES (default 300) and LINLI_DIFFERENTIAL_SEED;
scripts/differential runs it longer.
"""

import base64
import os
from dataclasses import dataclass, field

import hypothesis
import orjson
import pytest
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from schema.compiled import PATHS
from tests.conftest import GraphQLClient

EXAMPLES = int(os.environ.get("LINLI_DIFFERENTIAL_EXAMPLES", "300"))
SEED = int(os.environ.get("LINLI_DIFFERENTIAL_SEED", "19"))
ROLES = (None, "RESIDENT", "CARE_STAFF", "COMMUNITY_ADMIN")


def cursor_of(key) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(key)).decode().rstrip("=")


# ── Documents ────────────────────────────────────────────────────────────────


@dataclass
class Document:
    """A document under construction: its variables (definitions and values) and fragments."""

    definitions: dict[str, str] = field(default_factory=dict)
    values: dict = field(default_factory=dict)
    fragments: list[str] = field(default_factory=list)

    def variable(self, name: str, type_: str, value) -> str:
        name = f"{name}{len(self.definitions)}"
        self.definitions[name] = type_
        self.values[name] = value
        return f"${name}"


SCALARS = {
    "Facility": ["id", "name", "category", "address", "phone", "accessibility", "closedReason", "isOpen"],
    "FacilityService": ["code", "name"],
    "OpeningPeriod": ["weekday", "opens", "closes", "overnight"],
    "FacilityEdge": ["cursor", "distanceMeters", "walkingMinutes"],
    "PageInfo": ["hasNextPage", "hasPreviousPage", "startCursor", "endCursor"],
    "FacilityConnection": ["totalCount"],
}
OBJECTS = {
    "Facility": {"services": "FacilityService", "openingHours": "OpeningPeriod"},
    "FacilityEdge": {"node": "Facility"},
    "FacilityConnection": {"edges": "FacilityEdge", "pageInfo": "PageInfo"},
}
MOMENTS = ["2026-10-01T10:00:00+08:00", "2026-12-02T23:30:00+08:00", "2026-12-05T08:59:59Z"]


@st.composite
def selection(
    draw, type_name: str, doc: Document, depth: int = 0, *, scalars: dict = SCALARS, objects: dict = OBJECTS
) -> str:
    """Some fields of `type_name`, each maybe aliased, maybe under a directive or in a fragment."""
    candidates = [*scalars.get(type_name, []), *objects.get(type_name, {}), "__typename"]
    chosen = draw(st.lists(st.sampled_from(candidates), min_size=1, max_size=len(candidates) + 1))
    parts = []
    for index, name in enumerate(chosen):
        text = name
        if name == "isOpen" and draw(st.booleans()):
            at = draw(st.sampled_from(MOMENTS))
            given = doc.variable("at", "DateTime", at) if draw(st.booleans()) else orjson.dumps(at).decode()
            text += f"(at: {given})"
        if draw(st.integers(0, 3)) == 0:
            text = f"a{index}_{name}: {text}"
        if draw(st.integers(0, 5)) == 0:  # a directive goes before the field's own selection
            directive = draw(st.sampled_from(["include", "skip"]))
            flag = doc.variable("flag", "Boolean!", draw(st.booleans()))
            text += f" @{directive}(if: {flag})"
        if name in objects.get(type_name, {}):
            child = selection(objects[type_name][name], doc, depth + 1, scalars=scalars, objects=objects)
            text += " { " + draw(child) + " }"
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


CENTRES = [(30.2978, 120.0418), (30.2925, 120.0380), (30.3010, 120.0470), (30.2890, 120.0520)]


def sometimes_bad(draw, good, bad):
    """Mostly a valid value; one time in eight one the field refuses (both paths must agree)."""
    return draw(bad) if draw(st.integers(0, 7)) == 0 else draw(good)


def near_point(draw) -> dict:
    system = draw(st.sampled_from(["WGS84", "GCJ02", "BD09", None]))
    if draw(st.integers(0, 12)) == 0:
        point = {
            "lat": draw(st.sampled_from([91.0, -90.5, 30.3])),
            "lng": draw(st.sampled_from([181.0, 120.0])),
        }
    else:
        lat, lng = draw(st.sampled_from(CENTRES))
        point = {
            "lat": lat + draw(st.floats(-0.006, 0.006, allow_nan=False)),
            "lng": lng + draw(st.floats(-0.006, 0.006, allow_nan=False)),
        }
    if system is not None:
        point["system"] = system
    return point


@st.composite
def nearby_request(draw) -> tuple[str, dict]:
    doc = Document()
    arguments = [f"near: {doc.variable('near', 'GeoPointInput!', near_point(draw))}"]
    optional = {
        "withinMinutes": (st.sampled_from([1, 5, 10, 15, 30, 60]), st.sampled_from([0, 61, -5])),
        "pace": (st.sampled_from(["ADULT", "ELDERLY"]), st.nothing()),
        "categories": (
            st.lists(
                st.sampled_from(["HEALTH_STATION", "PARK", "SUPERMARKET", "NEIGHBORHOOD_CENTER", "BUS_STOP"]),
                max_size=3,
            ),
            st.nothing(),
        ),
        "openAt": (st.sampled_from(MOMENTS), st.nothing()),
        "service": (st.sampled_from(["医保", "社保", "%", "_", "", "无"]), st.just("x" * 101)),
        "text": (st.sampled_from(["五常", "中心", "路", "", "\\"]), st.just("y" * 101)),
        "first": (st.sampled_from([0, 1, 2, 5, 20, 50, 100]), st.sampled_from([-1, 101])),
        "after": (
            st.sampled_from([cursor_of([150.0, 3]), cursor_of([0, 1]), cursor_of([812.3456, 40]), ""]),
            st.sampled_from([cursor_of(["x", 1]), cursor_of([1.0]), "not-a-cursor!"]),
        ),
    }
    types = {
        "withinMinutes": "Int!",
        "pace": "WalkingPace!",
        "categories": "[FacilityCategory!]",
        "openAt": "DateTime",
        "service": "String",
        "text": "String",
        "first": "Int!",
        "after": "String",
    }
    for name in draw(st.lists(st.sampled_from(list(optional)), unique=True)):
        good, bad = optional[name]
        value = draw(good) if bad.is_empty else sometimes_bad(draw, good, bad)
        if draw(st.booleans()):
            arguments.append(f"{name}: {doc.variable(name, types[name], value)}")
        elif name == "pace":
            arguments.append(f"{name}: {value}")
        elif name == "categories":
            arguments.append(f"{name}: [{', '.join(value)}]")
        else:
            arguments.append(f"{name}: {orjson.dumps(value).decode()}")
    body = draw(selection("FacilityConnection", doc))
    root = f"nearbyFacilities({', '.join(arguments)}) {{ {body} }}"
    if draw(st.integers(0, 3)) == 0:
        root = f"found: {root}"
    if draw(st.integers(0, 4)) == 0:
        root += " __typename"
    definitions = ", ".join(f"${name}: {type_}" for name, type_ in doc.definitions.items())
    header = f"query Differential({definitions})" if definitions else "query Differential"
    return " ".join([f"{header} {{ {root} }}", *doc.fragments]), doc.values


def draw_cases(requests, callers, *, count: int, seed: int) -> list[tuple[str, dict, str | None]]:
    """`count` (document, variables, caller) cases from a fixed seed (hypothesis only generates:
    the cases run afterwards, over HTTP, in the test's own event loop)."""
    drawn = []

    @hypothesis.seed(seed)
    @hypothesis_settings(
        max_examples=count,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(requests, callers)
    def collect(request, caller) -> None:
        drawn.append((*request, caller))

    collect()
    return drawn


def draw_requests(count: int, seed: int) -> list[tuple[str, dict, str | None]]:
    return draw_cases(nearby_request(), st.sampled_from(ROLES), count=count, seed=seed)


# ── Asking both paths ────────────────────────────────────────────────────────


def comparable(response) -> tuple[int, object]:
    """Status and body, without what differs by request alone (the request id)."""
    body = response.json()
    for error in body.get("errors") or ():
        (error.get("extensions") or {}).pop("requestId", None)
    return response.status_code, body


@dataclass
class Asked:
    expected: tuple[int, object]  # the resolvers' status and body (comparable)
    compiled: bool  # the compiled path answered the first asking
    log: object = None  # the access-log rows of the resolvers' answer, when `logged` was given


async def ask_both(
    fast, slow, query: str, variables: dict, *, token: str | None, logged=None, plannable: bool | None = True
) -> Asked:
    """Asks the compiled path (`fast`) and the resolvers (`slow`) the same; answers, and the
    access-log rows `logged(response)` finds, must be equal. `plannable` True: a request answered
    without error must have been compiled, and asked again it is answered by the front door, the
    same; False: it must not have been compiled; None: either."""
    where = f"{query}\n{variables}"
    before = PATHS["compiled"]
    fast_response = await GraphQLClient(fast).post(query, variables, token=token)
    compiled = PATHS["compiled"] > before
    slow_response = await GraphQLClient(slow).post(query, variables, token=token)
    expected = comparable(slow_response)
    assert comparable(fast_response) == expected, where
    log = await logged(slow_response) if logged else None
    if logged:
        assert await logged(fast_response) == log, where
    if plannable is False:
        assert not compiled, where
    elif plannable and not expected[1].get("errors"):
        assert compiled, f"answered by the resolvers: {where}"
        door = PATHS["front door"]
        again = await GraphQLClient(fast).post(query, variables, token=token)
        assert comparable(again) == expected and PATHS["front door"] == door + 1, where
        if logged:
            assert await logged(again) == log, where
    return Asked(expected=expected, compiled=compiled, log=log)


async def test_the_compiled_path_answers_as_the_resolvers_do(client_with, tokens):
    requests = draw_requests(EXAMPLES, SEED)
    compiled_answers = 0
    async with client_with(compiled_reads=True) as fast, client_with(compiled_reads=False) as slow:
        for query, variables, role in requests:
            asked = await ask_both(fast, slow, query, variables, token=tokens[role] if role else None)
            compiled_answers += asked.compiled and not asked.expected[1].get("errors")
    # The draw is not all bad input: most requests are answered, and so by the compiled path.
    print("compiled answers", compiled_answers, "of", len(requests))
    assert compiled_answers >= EXAMPLES // 4, compiled_answers


@pytest.mark.parametrize(
    ("query", "planned"),
    [
        ("{ nearbyFacilities(near: {lat: 30.3, lng: 120.04}) { edges { node { name } } } }", True),
        # Fields without SQL of their own yet: the whole operation goes to the resolvers.
        (
            "{ nearbyFacilities(near: {lat: 30.3, lng: 120.04}) { edges { node { location { lat } } } } }",
            False,
        ),
        ("{ nearbyFacilities(near: {lat: 30.3, lng: 120.04}) { edges { node { name } } } me { id } }", False),
        ("{ lifeCircle(near: {lat: 30.3, lng: 120.04}) { coverage } }", True),
        (
            "{ lifeCircle(near: {lat: 30.3, lng: 120.04}) { tiers { requirements { nearest { node { location "
            "{ lat } } } } } } }",
            False,
        ),
    ],
)
async def test_a_query_is_compiled_only_when_every_field_can_be(client_with, query, planned):
    async with client_with(compiled_reads=True) as client:
        before = PATHS["compiled"]
        response = await GraphQLClient(client).post(query)
    assert response.status_code == 200 and "errors" not in response.json(), response.text
    assert (PATHS["compiled"] > before) is planned
