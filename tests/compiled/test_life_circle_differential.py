"""lifeCircle on the compiled read path answers as the resolvers do (#19): random selections,
aliases, fragments, directives and variables over the report, its tiers, requirements and their
nearest facilities, from points in and around the seeded map (and a few out of range), at both
paces, as each main role; coverage and satisfied come from the same SQL on both paths."""

import os

import orjson
from hypothesis import strategies as st

from tests.compiled.test_differential import (
    OBJECTS,
    ROLES,
    SCALARS,
    Document,
    ask_both,
    draw_cases,
    near_point,
    selection,
)

EXAMPLES = int(os.environ.get("LINLI_DIFFERENTIAL_EXAMPLES", "300")) // 3
SEED = int(os.environ.get("LINLI_DIFFERENTIAL_SEED", "19"))

CIRCLE_SCALARS = {
    **SCALARS,
    "LifeCircleReport": ["coverage"],
    "LifeCircleTier": ["minutes"],
    "LifeCircleRequirement": ["category", "label", "satisfiedBy", "satisfied"],
}
CIRCLE_OBJECTS = {
    **OBJECTS,
    "LifeCircleReport": {"tiers": "LifeCircleTier"},
    "LifeCircleTier": {"requirements": "LifeCircleRequirement"},
    "LifeCircleRequirement": {"nearest": "FacilityEdge"},
}


@st.composite
def life_circle_request(draw) -> tuple[str, dict]:
    doc = Document()
    near = near_point(draw)
    if draw(st.booleans()):
        arguments = [f"near: {doc.variable('near', 'GeoPointInput!', near)}"]
    else:
        fields = ", ".join(
            f"{key}: {value if key == 'system' else orjson.dumps(value).decode()}"
            for key, value in near.items()
        )
        arguments = [f"near: {{{fields}}}"]
    if draw(st.booleans()):
        pace = draw(st.sampled_from(["ADULT", "ELDERLY"]))
        arguments.append(
            f"pace: {doc.variable('pace', 'WalkingPace!', pace) if draw(st.booleans()) else pace}"
        )
    body = draw(selection("LifeCircleReport", doc, scalars=CIRCLE_SCALARS, objects=CIRCLE_OBJECTS))
    root = f"lifeCircle({', '.join(arguments)}) {{ {body} }}"
    if draw(st.integers(0, 3)) == 0:
        root = f"circle: {root}"
    if draw(st.integers(0, 4)) == 0:
        root += " __typename"
    definitions = ", ".join(f"${name}: {type_}" for name, type_ in doc.definitions.items())
    header = f"query Circle({definitions})" if definitions else "query Circle"
    return " ".join([f"{header} {{ {root} }}", *doc.fragments]), doc.values


def draw_requests(count: int, seed: int) -> list[tuple[str, dict, str | None]]:
    return draw_cases(life_circle_request(), st.sampled_from(ROLES), count=count, seed=seed)


def shows_a_facility(value) -> bool:
    """Whether an answer shows a requirement's nearest facility (under any alias)."""
    if isinstance(value, dict):
        return any(key.endswith("nearest") and isinstance(item, dict) for key, item in value.items()) or any(
            shows_a_facility(item) for item in value.values()
        )
    return isinstance(value, list) and any(shows_a_facility(item) for item in value)


async def test_life_circle_compiled_answers_as_the_resolvers_do(client_with, tokens):
    requests = draw_requests(EXAMPLES, SEED)
    compiled_answers = with_nearest = 0
    async with client_with(compiled_reads=True) as fast, client_with(compiled_reads=False) as slow:
        for query, variables, role in requests:
            asked = await ask_both(fast, slow, query, variables, token=tokens[role] if role else None)
            if not asked.expected[1].get("errors"):
                compiled_answers += 1
                with_nearest += shows_a_facility(asked.expected[1])
    print(
        "compiled answers", compiled_answers, "of", len(requests), "showing a nearest facility", with_nearest
    )
    assert compiled_answers >= EXAMPLES // 2 and with_nearest >= EXAMPLES // 10, (
        compiled_answers,
        with_nearest,
    )
