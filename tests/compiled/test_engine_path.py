"""On a served process the session is bound to the engine, not to a test's connection: a compiled
read then takes a connection from the pool and gives it straight back (resolvers.compiled.fetch_row).
The answers must be the resolvers' and no connection may stay checked out."""

import contextlib

import httpx

from schema.compiled import PATHS
from server.app import create_app
from tests.conftest import GraphQLClient, in_memory, make_settings

NEARBY = """query Near($near: GeoPointInput!, $first: Int!) {
  nearbyFacilities(near: $near, first: $first) {
    pageInfo { hasNextPage endCursor }
    edges { cursor distanceMeters walkingMinutes node { id name category services { code name } } }
  }
}"""


@contextlib.asynccontextmanager
async def served(engine, clock, **overrides):
    app = await in_memory(
        create_app(make_settings(**overrides), engine=engine, clock=clock, configure_logs=False)
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://linli.test"
    ) as client:
        yield GraphQLClient(client)


async def test_a_compiled_read_on_the_engine_answers_as_the_resolvers_and_returns_its_connection(
    engine, clock
):
    variables = {"near": {"lat": 30.2978, "lng": 120.0418, "system": "WGS84"}, "first": 7}
    async with served(engine, clock, compiled_reads=False) as slow:
        expected = await slow(NEARBY, variables)
    async with served(engine, clock) as fast:
        before = PATHS["compiled"], PATHS["front door"]
        first = await fast(NEARBY, variables)
        again = await fast(NEARBY, variables)
    assert first == expected == again
    assert len(expected["data"]["nearbyFacilities"]["edges"]) == 7
    assert (PATHS["compiled"], PATHS["front door"]) == (before[0] + 2, before[1] + 1)
    assert engine.pool.checkedout() == 0
