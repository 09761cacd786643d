"""The request id of the log and the audit trail is the server's own; the client's is kept beside it."""

import logging
import re

COMMUNITIES = "query Communities { communities(first: 1) { edges { node { name } } } }"
SERVER_ID = re.compile(r"[0-9a-f]{32}")


def request_lines(caplog) -> list[dict]:
    return [record.fields for record in caplog.records if record.name == "linli.request"]


async def test_a_forged_request_id_is_not_taken_but_logged_beside_ours(gql, caplog):
    # given
    forged = "forged-4b1d-audit-trail"

    # when
    with caplog.at_level(logging.INFO, logger="linli.request"):
        response = await gql.post(COMMUNITIES, headers={"X-Request-ID": forged})

    # then
    request_id = response.headers["x-request-id"]
    assert request_id != forged and SERVER_ID.fullmatch(request_id)
    (line,) = request_lines(caplog)
    assert line["request_id"] == request_id
    assert line["client_request_id"] == forged


async def test_an_unusable_client_request_id_is_dropped(gql, caplog):
    with caplog.at_level(logging.INFO, logger="linli.request"):
        too_long = await gql.post(COMMUNITIES, headers={"X-Request-ID": "x" * 65})
        absent = await gql.post(COMMUNITIES)

    lines = request_lines(caplog)
    assert [line["client_request_id"] for line in lines] == [None, None]
    assert [line["request_id"] for line in lines] == [
        too_long.headers["x-request-id"],
        absent.headers["x-request-id"],
    ]
    assert all(SERVER_ID.fullmatch(line["request_id"]) for line in lines)
