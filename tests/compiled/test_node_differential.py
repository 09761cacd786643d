"""node(id:) on the compiled read path answers as the resolvers do (#19): IDs of each planned type
(Facility, MakerSpace, Resource, CareAlert) that exist and that do not, of other types, of no type
and malformed, under random selections of inline fragments and fragments on Node and on each type,
one to three lookups per document (batched into one statement per type); as care staff of the
alerts' community and of another, administrators, residents and no one. The access-log rows of
each request are compared too. Seeded and bounded like tests/compiled/test_differential.py."""

import base64
import os
from datetime import UTC, datetime

import orjson
from hypothesis import strategies as st
from sqlalchemy import select, update

from models.eldercare import CareAlert, Elder
from models.facilities import Facility
from models.makerspace import MakerSpace, Resource
from schema.common import encode_global_id
from schema.compiled import PATHS
from tests.compiled import test_alerts_differential as alerts
from tests.compiled import test_differential as facilities
from tests.compiled import test_makerspace_differential as makerspace
from tests.compiled.test_differential import Document, ask_both, comparable, draw_cases
from tests.conftest import GraphQLClient

EXAMPLES = int(os.environ.get("LINLI_DIFFERENTIAL_EXAMPLES", "300")) // 3
SEED = int(os.environ.get("LINLI_DIFFERENTIAL_SEED", "19"))
PLANNED = ("Facility", "MakerSpace", "Resource", "CareAlert")

SCALARS = {
    **facilities.SCALARS,
    **makerspace.SCALARS,
    **alerts.SCALARS,
    "Community": ["id", "name"],
    "Elder": ["id", "name", "livesAlone"],
}
OBJECTS = {**facilities.OBJECTS, **makerspace.OBJECTS, **alerts.OBJECTS}


def raw_id(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@st.composite
def node_selection(draw, doc: Document) -> str:
    """Fields of Node, and of some types in inline or named fragments (those of other types than
    the ID's are left out by graphql-core, on both paths)."""
    parts = draw(st.lists(st.sampled_from(["id", "__typename", "kind: __typename"]), max_size=2))
    for type_name in draw(
        st.lists(st.sampled_from([*PLANNED, "Community", "Elder"]), min_size=1, max_size=3)
    ):
        body = draw(facilities.selection(type_name, doc, scalars=SCALARS, objects=OBJECTS))
        if draw(st.booleans()):
            parts.append(f"... on {type_name} {{ {body} }}")
        else:
            name = f"N{len(doc.fragments)}"
            doc.fragments.append(f"fragment {name} on {type_name} {{ {body} }}")
            parts.append(f"...{name}")
    if draw(st.integers(0, 4)) == 0:
        name = f"N{len(doc.fragments)}"
        doc.fragments.append(f"fragment {name} on Node {{ id }}")
        parts.append(f"...{name}")
    return " ".join(parts)


@st.composite
def node_request(draw, ids: dict) -> tuple[str, dict, bool]:
    """A document of one to three node(id:) lookups, and whether every ID is of a planned type
    (else the resolvers answer it)."""
    doc = Document()
    roots, plannable = [], True
    for index in range(draw(st.integers(1, 3))):
        kind = draw(
            st.sampled_from([*PLANNED, *PLANNED, "CareAlert", "absent", "other", "unknown", "malformed"])
        )
        if kind in PLANNED:
            id_ = draw(st.sampled_from(ids[kind]))
        elif kind == "absent":
            id_ = encode_global_id(draw(st.sampled_from(PLANNED)), 10**12)
        elif kind == "other":
            id_ = draw(st.sampled_from(ids["other"]))
        elif kind == "unknown":
            id_ = raw_id("Nothing:1")
        else:
            id_ = draw(st.sampled_from(["bad-id!", "", raw_id("Facility:0"), raw_id("Facility:x")]))
        plannable &= kind in (*PLANNED, "absent")
        given_id = doc.variable("id", "ID!", id_) if draw(st.booleans()) else orjson.dumps(id_).decode()
        root = f"node(id: {given_id}) {{ {draw(node_selection(doc))} }}"
        roots.append(f"n{index}: {root}" if index or draw(st.booleans()) else root)
    if draw(st.integers(0, 4)) == 0:
        roots.append("__typename")
    definitions = ", ".join(f"${name}: {type_}" for name, type_ in doc.definitions.items())
    header = f"query Nodes({definitions})" if definitions else "query Nodes"
    return " ".join([f"{header} {{ {' '.join(roots)} }}", *doc.fragments]), doc.values, plannable


def draw_requests(count: int, seed: int, ids: dict) -> list:
    return draw_cases(node_request(ids), st.sampled_from(alerts.CALLERS), count=count, seed=seed)


async def some_ids(session) -> dict:
    """IDs of each planned type (a closed facility and a retired resource among them; alerts of two
    communities), and of types node(id:) answers through the resolvers."""

    async def first(column, count: int = 3, *where) -> list[int]:
        return list(await session.scalars(select(column).where(*where).order_by(column).limit(count)))

    facility_ids = await first(Facility.id, 4)
    resource_ids = await first(Resource.id, 3)
    await session.execute(
        update(Facility)
        .where(Facility.id == facility_ids[-1])
        .values(closed_at=datetime(2026, 11, 1, tzinfo=UTC), closed_reason="拆除")
    )
    await session.execute(
        update(Resource)
        .where(Resource.id == resource_ids[-1])
        .values(active=False, retired_at=datetime(2026, 11, 1, tzinfo=UTC), retired_reason="报废")
    )
    await session.commit()
    alert_ids = [
        alert_id
        for community in (await session.scalars(select(CareAlert.community_id).distinct().limit(2))).all()
        for alert_id in await first(CareAlert.id, 3, CareAlert.community_id == community)
    ]
    return {
        "Facility": [encode_global_id("Facility", pk) for pk in facility_ids],
        "MakerSpace": [encode_global_id("MakerSpace", pk) for pk in await first(MakerSpace.id, 2)],
        "Resource": [encode_global_id("Resource", pk) for pk in resource_ids],
        "CareAlert": [encode_global_id("CareAlert", pk) for pk in alert_ids],
        "other": [
            encode_global_id("Elder", (await first(Elder.id, 1))[0]),
            encode_global_id("Community", 1),
        ],
    }


async def test_node_compiled_answers_and_logs_as_the_resolvers_do(client_with, session, settings):
    tokens = await alerts.callers(session, settings)
    await alerts.some_alerts(session)
    ids = await some_ids(session)
    assert len({alert for alert in ids["CareAlert"]}) == 6, ids
    compiled_answers = shown = logged_reads = 0
    async with client_with(compiled_reads=True) as fast, client_with(compiled_reads=False) as slow:
        for query, variables, plannable, caller in draw_requests(EXAMPLES, SEED, ids):
            asked = await ask_both(
                fast,
                slow,
                query,
                variables,
                token=tokens[caller] if caller else None,
                logged=lambda response: alerts.logged(session, response.headers["x-request-id"]),
                plannable=plannable,
            )
            if plannable and not asked.expected[1].get("errors"):
                compiled_answers += 1
                shown += any(value is not None for value in asked.expected[1]["data"].values())
                logged_reads += bool(asked.log)
    print("compiled answers", compiled_answers, "showing an object", shown, "with reads logged", logged_reads)
    assert compiled_answers >= EXAMPLES // 5 and shown >= EXAMPLES // 10 and logged_reads >= EXAMPLES // 20, (
        compiled_answers,
        shown,
        logged_reads,
    )


ALERT_AND_ELDER = """query($a: ID!, $b: ID!, $f: ID!) {
  first: node(id: $a) { ...Alert }
  again: node(id: $a) { ...Alert }
  other: node(id: $b) { ...Alert }
  place: node(id: $f) { ... on Facility { name isOpen services { name } } }
}
fragment Alert on Node { id ... on CareAlert { status elder { id name } } }"""


async def test_alerts_by_node_are_read_and_logged_as_the_resolvers_do(
    client_with, session, settings, count_statements
):
    """Every caller, an alert of each community and its elder: the same answer and access-log rows
    on both paths; the three lookups of alerts are one statement."""
    tokens = await alerts.callers(session, settings)
    await alerts.some_alerts(session)
    ids = await some_ids(session)
    variables = {"a": ids["CareAlert"][0], "b": ids["CareAlert"][-1], "f": ids["Facility"][0]}
    seen = 0
    async with client_with(compiled_reads=True) as fast, client_with(compiled_reads=False) as slow:
        for caller in alerts.CALLERS:
            token = tokens[caller] if caller else None
            before = PATHS["compiled"]
            with count_statements() as counter:
                fast_response = await GraphQLClient(fast).post(ALERT_AND_ELDER, variables, token=token)
            assert PATHS["compiled"] == before + 1, caller
            slow_response = await GraphQLClient(slow).post(ALERT_AND_ELDER, variables, token=token)
            assert comparable(fast_response) == comparable(slow_response), caller
            fast_log = await alerts.logged(session, fast_response.headers["x-request-id"])
            assert fast_log == await alerts.logged(session, slow_response.headers["x-request-id"]), caller
            data = fast_response.json()["data"]
            seen += data["first"] is not None or data["other"] is not None
            reads = [statement for statement in counter.statements if statement.startswith("SELECT alert.id")]
            assert len(reads) == (0 if caller is None else 1), counter.statements
    assert seen >= 3, seen  # staff of either community see theirs, the administrator both
