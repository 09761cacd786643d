"""The front door (server/front_door.py) answers a known document as the whole pipeline would, in
the request log and the metrics too; and what it must not answer goes the whole way through."""

import logging

from schema.compiled import PATHS
from tests.conftest import GraphQLClient

NEARBY = (
    """query Nearby($near: GeoPointInput!) { nearbyFacilities(near: $near, first: 2) { edges { cursor } } }"""
)
NEAR = {"near": {"lat": 30.2978, "lng": 120.0418}}


def request_lines(caplog) -> list[dict]:
    return [record.fields for record in caplog.records if record.name == "linli.request"]


async def test_the_front_door_logs_and_counts_a_request_as_the_pipeline_does(client, caplog):
    gql = GraphQLClient(client)
    with caplog.at_level(logging.INFO, logger="linli.request"):
        door = PATHS["front door"]
        first = await gql.post(NEARBY, NEAR)
        again = await gql.post(NEARBY, NEAR)
        assert PATHS["front door"] == door + 1
    assert first.json() == again.json() and first.headers["content-type"] == again.headers["content-type"]
    logged = request_lines(caplog)
    assert [line["operation"] for line in logged] == ["Nearby", "Nearby"]
    assert [line["status"] for line in logged] == [200, 200]
    metrics = (await client.get("/metrics")).text
    assert 'linli_graphql_requests_total{operation="query.nearbyFacilities",status="200"} ' in metrics


async def test_what_the_front_door_must_not_answer_goes_through_the_pipeline(client_with):
    async with client_with(max_query_cost=60) as client:
        gql = GraphQLClient(client)
        await gql.post(NEARBY, NEAR)  # known from now on
        door = PATHS["front door"]
        costly = await gql.post(NEARBY.replace("first: 2", "first: 100"), NEAR)
        bad_point = await gql.post(NEARBY, {"near": {"lat": 91, "lng": 120}})
        missing = await gql.post(NEARBY, {})
        graphql_media = await client.post(
            "/graphql",
            json={"query": NEARBY, "variables": NEAR},
            headers={"accept": "application/graphql-response+json"},
        )
    assert PATHS["front door"] == door + 1  # only the last: the others are errors, said by the pipeline
    assert costly.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert bad_point.json()["errors"][0]["extensions"]["reason"] == "INVALID_COORDINATES"
    assert missing.status_code == 200 and missing.json()["errors"][0]["message"].startswith("Variable")
    assert graphql_media.headers["content-type"].startswith("application/graphql-response+json")
