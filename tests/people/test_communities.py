"""Communities: keyset pages, node(id:), and loaders keeping the statement count flat."""

import base64

from schema.common import encode_global_id

PAGE = """
query Page($first: Int!, $after: String) {
  communities(first: $first, after: $after) {
    edges { cursor node { id name } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
NODE = "query Node($id: ID!) { node(id: $id) { __typename id ... on Community { name subdistrict } } }"


async def test_keyset_pages_walk_every_community_once_in_name_order(gql):
    names, after = [], None
    while True:
        page = (await gql(PAGE, {"first": 3, "after": after}))["data"]["communities"]
        names += [edge["node"]["name"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert names == sorted(names)
    assert set(names) >= {"南睦未来社区", "海创社区", "文一社区", "永福社区"}
    assert len(names) == len(set(names))


async def test_a_page_is_stable_when_a_row_is_inserted_before_the_cursor(gql, session):
    first = (await gql(PAGE, {"first": 2}))["data"]["communities"]
    from models.people import Community

    session.add(Community(name="一个排在最前面的社区", subdistrict="五常街道"))
    await session.commit()
    second = (await gql(PAGE, {"first": 2, "after": first["pageInfo"]["endCursor"]}))["data"]["communities"]

    seen = {edge["node"]["name"] for edge in first["edges"]}
    assert not seen & {edge["node"]["name"] for edge in second["edges"]}


async def test_a_cursor_the_server_did_not_make_is_refused(gql):
    forged = base64.urlsafe_b64encode(b'{"offset": 10}').decode()

    response = await gql.post(PAGE, {"first": 2, "after": forged})

    assert response.json()["errors"][0]["extensions"] == {"code": "BAD_REQUEST", "reason": "INVALID_CURSOR"}


async def test_node_fetches_a_community_by_its_global_id(gql):
    edge = (await gql(PAGE, {"first": 1}))["data"]["communities"]["edges"][0]

    node = (await gql(NODE, {"id": edge["node"]["id"]}))["data"]["node"]

    assert node == {
        "__typename": "Community",
        "id": edge["node"]["id"],
        "name": edge["node"]["name"],
        "subdistrict": "五常街道",
    }


async def test_node_of_an_unknown_id_is_null_and_a_malformed_id_is_bad_request(gql):
    assert (await gql(NODE, {"id": encode_global_id("Community", 999999)}))["data"]["node"] is None
    assert (await gql(NODE, {"id": encode_global_id("Nothing", 1)}))["data"]["node"] is None

    response = await gql.post(NODE, {"id": "!!not-an-id"})
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_many_node_lookups_in_one_request_cost_one_statement(gql, count_statements):
    ids = [encode_global_id("Community", pk) for pk in range(1, 5)]
    query = (
        "{ "
        + " ".join(
            f'n{i}: node(id: "{gid}") {{ id ... on Community {{ name }} }}' for i, gid in enumerate(ids)
        )
        + " }"
    )

    with count_statements() as counter:
        data = (await gql(query))["data"]

    assert all(data[f"n{i}"] is not None for i in range(4))
    assert counter.count == 1, counter.statements


async def test_me_with_community_costs_two_statements(gql, tokens, count_statements):
    with count_statements() as counter:
        data = (await gql("{ me { name community { name } } }", token=tokens["RESIDENT"]))["data"]

    assert data["me"]["community"] == {"name": "南睦未来社区"}
    # the person with its roles (selectin) and the community
    assert counter.count == 3, counter.statements


PAGES = """query($after: String) { communities(first: 2, after: $after) {
  edges { cursor } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""


async def test_page_info_is_the_relay_specs_whole(gql):
    first = (await gql(PAGES))["data"]["communities"]
    second = (await gql(PAGES, {"after": first["pageInfo"]["endCursor"]}))["data"]["communities"]

    for page in (first, second):
        cursors = [edge["cursor"] for edge in page["edges"]]
        assert page["pageInfo"]["startCursor"] == cursors[0] and page["pageInfo"]["endCursor"] == cursors[-1]
    assert first["pageInfo"]["hasPreviousPage"] is False and first["pageInfo"]["hasNextPage"] is True
    assert second["pageInfo"]["hasPreviousPage"] is True
