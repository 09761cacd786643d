"""Asking a row's operation as one caller, and reading the answer into the matrix's vocabulary.

What every domain's runners (in `tests/<domain>/matrix_cases.py`) are written with: a runner
takes the cell's `Call` and answers the outcome it observed, which the test compares with the cell.
"""

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from websockets.asyncio.client import connect

from tests.conftest import GraphQLClient, running_server
from tests.security.conftest import World
from tests.security.rows import EMPTY, FULL, MASKED, NOT_FOUND, NULL, OK, OWN


@dataclass
class Call:
    """One caller asking during one cell; remembers the request ids it sent, which the access log
    keeps beside the server's own (`client_request_id`)."""

    gql: GraphQLClient
    app: object
    world: World
    caller: str
    sessions: object = None  # the cell's database sessions, to arrange what a runner needs
    request_ids: list[str] = field(default_factory=list)

    @property
    def token(self) -> str | None:
        member = self.world.member(self.caller)
        return member.token if member else None

    def new_request_id(self) -> str:
        self.request_ids.append(uuid.uuid4().hex)
        return self.request_ids[-1]

    async def query(self, text: str, **variables) -> dict:
        headers = {"X-Request-ID": self.new_request_id()}
        response = await self.gql.post(text, variables, token=self.token, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()


Runner = Callable[[Call], Awaitable[str]]


def registrar(runners: dict[str, Runner]) -> Callable[[str], Callable[[Runner], Runner]]:
    """`runner = registrar(RUNNERS)`: then `@runner("key")` puts a function in that module's RUNNERS."""

    def runner(key: str) -> Callable[[Runner], Runner]:
        def register(run: Runner) -> Runner:
            runners[key] = run
            return run

        return register

    return runner


# ── Reading answers into the matrix's vocabulary ──────────────────────────────


def refusal(body: dict) -> str | None:
    """The code of the answer's first error, if it has one."""
    errors = body.get("errors")
    return errors[0].get("extensions", {}).get("code", "ERROR") if errors else None


def outcome_of(body: dict, root: str, judge: Callable[[object], str] = lambda value: OK) -> str:
    """An error's code; else null, or what `judge` makes of the root field's value."""
    if code := refusal(body):
        return code
    value = body["data"][root]
    return NULL if value is None else judge(value)


def result_outcome(success: str) -> Callable[[dict], str]:
    """Judges a mutation's union result: its success type is `ok`, NotFound is NOT_FOUND."""

    def judge(result: dict) -> str:
        if result["__typename"] == success:
            return OK
        return (
            NOT_FOUND
            if result["__typename"] == "NotFound"
            else f"{result['__typename']} {result.get('code')}"
        )

    return judge


def phones_outcome(shown: list[str], whole: list[str]) -> str:
    if shown == whole:
        return FULL
    if shown == [f"{phone[:3]}****{phone[-4:]}" for phone in whole]:
        return MASKED
    return f"phones {shown} (whole: {whole})"


def own_list(listed: list[str], own: list[str], target: str) -> str:
    if target in listed:
        return OK
    return OWN if sorted(listed) == sorted(own) else f"lists {listed}, the caller's own are {own}"


async def own_then_target(
    attempt: Callable[[str], Awaitable[str]], own: str | None, target: str, hidden: str
) -> str:
    """The `own` pattern: the caller's own object works (ok, or phones whole), someone else's is
    `hidden` (null for node, NOT_FOUND for an action). Without an own object: the target's outcome."""
    if own is None:
        return await attempt(target)
    mine = await attempt(own)
    if mine not in (OK, FULL):
        return f"own object: {mine}"
    theirs = await attempt(target)
    return OWN if theirs == hidden else theirs


async def mutate(call: Call, text: str, root: str, success: str, **variables) -> str:
    return outcome_of(await call.query(text, **variables), root, result_outcome(success))


def contains(global_id: str) -> Callable[[list], str]:
    return lambda items: OK if global_id in {item["id"] for item in items} else EMPTY


# ── node(id:) ─────────────────────────────────────────────────────────────────


def node_query(selection: str = "") -> str:
    return f"query($id: ID!) {{ node(id: $id) {{ __typename id {selection} }} }}"


async def node_outcome(call: Call, global_id: str, selection: str = "", judge=lambda node: OK) -> str:
    return outcome_of(await call.query(node_query(selection), id=global_id), "node", judge)


def public_node(id_name: str, type_name: str) -> Runner:
    async def run(call: Call) -> str:
        def judge(node: dict) -> str:
            return OK if node["__typename"] == type_name else str(node)

        return await node_outcome(call, call.world.ids[id_name], judge=judge)

    return run


# ── Subscriptions, over the real WebSocket endpoint ───────────────────────────


async def subscribe(call: Call, query: str, variables: dict, finished: Callable[[list, bool], bool]):
    """The data of the `next` messages until `finished(received, quiet)` (quiet: nothing came for
    50 ms), or the code of an `error` message. Each cell has a server of its own, stopped before
    the checks."""
    received: list = []
    init: dict = {"type": "connection_init"}
    if call.token:
        init["payload"] = {"Authorization": f"Bearer {call.token}"}
    headers = {"X-Request-ID": call.new_request_id()}
    async with running_server(call.app) as address:
        url = f"ws://{address}/graphql"
        async with connect(url, subprotocols=["graphql-transport-ws"], additional_headers=headers) as socket:
            await socket.send(json.dumps(init))
            assert json.loads(await asyncio.wait_for(socket.recv(), 5))["type"] == "connection_ack"
            subscription = {"query": query, "variables": variables}
            await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": subscription}))
            deadline, quiet = asyncio.get_running_loop().time() + 5, False
            while not finished(received, quiet):
                assert asyncio.get_running_loop().time() < deadline, f"still waiting, received {received}"
                try:
                    message = json.loads(await asyncio.wait_for(socket.recv(), 0.05))
                except TimeoutError:
                    quiet = True
                    continue
                quiet = False
                if message["type"] == "error":
                    return message["payload"][0]["extensions"]["code"]
                if code := refusal(message["payload"]):
                    return code
                received.append(message["payload"]["data"])
    return received


async def query_over_websocket(call: Call, query: str, variables: dict) -> dict:
    """A query sent over graphql-transport-ws: its one answer (the cell is done when it arrives,
    so the access log is checked while the socket could still be open)."""
    answer = await subscribe(call, query, variables, lambda received, quiet: bool(received))
    return {"errors": [{"extensions": {"code": answer}}]} if isinstance(answer, str) else {"data": answer[0]}
