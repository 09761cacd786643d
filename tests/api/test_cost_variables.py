"""The query cost is charged on what the client sends, variables included (#13, finding 2: fifteen
aliases of `nearbyFacilities(first: $n)` with `$n: Int = 1` and `{"n": 100}` were charged 705 and
returned 1 470 facilities; written with literals they were refused at 69 015)."""

JSON = {"Accept": "application/json"}
NEAR = "near: {lat: 30.296292, lng: 120.045122}"
FIELDS = "edges { node { id name category address location { lat lng } } }"


def aliases(first: str, count: int = 15) -> str:
    return " ".join(f"a{n}: nearbyFacilities({NEAR}, first: {first}) {{ {FIELDS} }}" for n in range(count))


def codes(response) -> list[str]:
    return [error["extensions"]["code"] for error in response.json().get("errors", [])]


async def post(client, query: str, variables: dict | None = None):
    return await client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=JSON)


async def test_a_page_size_sent_as_a_variable_is_charged_as_sent(client):
    literal = await post(client, "{ " + aliases("100") + " }")
    with_default = await post(client, "query($n: Int = 1) { " + aliases("$n") + " }", {"n": 100})
    without_default = await post(client, "query($n: Int!) { " + aliases("$n") + " }", {"n": 100})

    assert codes(literal) == ["QUERY_TOO_COSTLY"]
    refused_at = literal.json()["errors"][0]["extensions"]["cost"]
    for dodge in (with_default, without_default):
        assert codes(dodge) == ["QUERY_TOO_COSTLY"] and "data" not in dodge.json(), dodge.json()
        assert dodge.json()["errors"][0]["extensions"]["cost"] == refused_at


async def test_a_small_page_sent_as_a_variable_is_charged_small(client):
    # The same document with one facility per alias is cheap, whatever a default or the largest
    # page would have cost: what the client sent decides.
    small = await post(client, "query($n: Int!) { " + aliases("$n") + " }", {"n": 1})
    by_default = await post(client, "query($n: Int = 1) { " + aliases("$n") + " }")
    literal = await post(client, "{ " + aliases("1") + " }")

    assert codes(small) == codes(by_default) == codes(literal) == []
    charged = {answer.json()["extensions"]["cost"]["requested"] for answer in (small, by_default, literal)}
    assert len(charged) == 1 and charged.pop() < 1000
    assert all(len(edges["edges"]) <= 1 for edges in small.json()["data"].values())


async def test_an_omitted_variable_is_charged_at_the_fields_default(client):
    # nearbyFacilities(first:) defaults to 20: an omitted nullable variable leaves it at that.
    omitted = await post(client, "query($n: Int) { " + aliases("$n", 1) + " }")
    literal = await post(client, "{ " + aliases("20", 1) + " }")

    assert omitted.json()["extensions"]["cost"] == literal.json()["extensions"]["cost"]
