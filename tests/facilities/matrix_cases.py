"""The authorization matrix's rows of facilities: public data, open to everyone.

Read by tests/security/matrix.py (the table) and tests/security/test_authorization_matrix.py (which
runs every cell); the world the runners act on is built in tests/security/conftest.py.
"""

from tests.security.calls import Call, Runner, outcome_of, public_node, registrar
from tests.security.rows import OK, PUBLIC, PUBLIC_NODES, Row, everyone

ROWS: dict[str, tuple[Row, ...]] = {
    PUBLIC: (
        Row("nearby_facilities", "`nearbyFacilities`", ("Query.nearbyFacilities",), everyone(OK)),
        Row("life_circle", "`lifeCircle`", ("Query.lifeCircle",), everyone(OK)),
    ),
    PUBLIC_NODES: (Row("node_facility", "`node` → Facility", ("Query.node:Facility",), everyone(OK)),),
}

# Nested fields the issue names as sensitive: none of facilities'.
SENSITIVE: set[str] = set()

RUNNERS: dict[str, Runner] = {}
runner = registrar(RUNNERS)

NEAR = {"lat": 30.2978, "lng": 120.0418, "system": "WGS84"}
NEARBY = (
    "query($near: GeoPointInput!) { nearbyFacilities(near: $near, first: 5) { edges { node { name } } } }"
)
LIFE_CIRCLE = "query($near: GeoPointInput!) { lifeCircle(near: $near) { coverage } }"

RUNNERS["node_facility"] = public_node("facility", "Facility")


@runner("nearby_facilities")
async def nearby_facilities(call: Call) -> str:
    return outcome_of(await call.query(NEARBY, near=NEAR), "nearbyFacilities")


@runner("life_circle")
async def life_circle(call: Call) -> str:
    return outcome_of(await call.query(LIFE_CIRCLE, near=NEAR), "lifeCircle")
