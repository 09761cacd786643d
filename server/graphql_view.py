"""/graphql over HTTP (GraphQL-over-HTTP spec) and WebSocket (graphql-transport-ws)."""

import contextlib
import re
from collections.abc import AsyncGenerator
from json import JSONDecodeError
from pathlib import Path
from typing import Any

import orjson
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from starlette.websockets import WebSocketDisconnected as StarletteWebSocketDisconnected
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse
from strawberry.http.exceptions import NonJsonMessageReceived, NonTextMessageReceived
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.execution import ExecutionResult
from strawberry.types.unset import UNSET

from schema.context import Context
from schema.errors import (
    UNAVAILABLE_MESSAGE,
    is_database_unavailable,
    present_error,
    unavailable_extensions,
)
from server.auth import InvalidToken
from server.front_door import answer_known
from server.persisted import (
    PersistedOperations,
    PersistedRefusal,
    PersistedTransportWSHandler,
    batching_refused,
    document_id_of,
    is_batch,
    names_persisted_document,
)

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
# A request refused as a whole (no data) for one of these answers with this status and Retry-After.
REFUSAL_STATUS = {"RATE_LIMITED": 429, "SERVICE_UNAVAILABLE": 503}
GRAPHIQL_ASSETS = Path(__file__).resolve().parent / "graphiql" / "node_modules"
# The only files the IDE page loads; served from the npm install the set-up made (no CDN).
GRAPHIQL_FILES = {
    "react/umd/react.production.min.js",
    "react-dom/umd/react-dom.production.min.js",
    "js-cookie/dist/js.cookie.min.js",
    "graphiql/graphiql.min.css",
    "graphiql/graphiql.min.js",
    "@graphiql/plugin-explorer/dist/style.css",
    "@graphiql/plugin-explorer/dist/index.umd.js",
}


def graphiql_html() -> str:
    """Strawberry's GraphiQL page with every asset pointed at our own /graphiql/ path."""
    import strawberry

    template = (Path(strawberry.__file__).parent / "static" / "graphiql.html").read_text()
    # https://unpkg.com/graphiql@3.8.3/x → /graphiql/graphiql/x (the versions package.json pins)
    html = re.sub(r"https://unpkg\.com/((?:@[^/]+/)?[^@/]+)@[0-9.]+/", r"/graphiql/\1/", template)
    html = html.replace("Strawberry GraphiQL", "Linli 邻里 · GraphiQL")
    if "https://" in html.replace("http://www.w3.org/2000/svg", ""):
        raise RuntimeError("GraphiQL page still refers to a remote asset")
    return html


def error_body(code: str, message: str, **extensions: Any) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code, **extensions}}]}


def websocket_authorization(context: Context) -> str | None:
    """The bearer token the ways common clients send it: `connectionParams.Authorization`
    (graphql-ws, Apollo), `connectionParams.headers.Authorization` (urql, some Apollo links),
    `connectionParams.token`, or the upgrade request's own Authorization header."""
    params = context.connection_params if isinstance(context.connection_params, dict) else {}
    headers = params.get("headers") if isinstance(params.get("headers"), dict) else {}
    for source in (params, headers):
        for key in ("Authorization", "authorization"):
            if isinstance(source.get(key), str):
                return source[key]
    if isinstance(params.get("token"), str) and params["token"]:
        return f"Bearer {params['token']}"
    return context.request.headers.get("authorization") if context.request is not None else None


def refusal(response_data: Any) -> tuple[int, int] | None:
    """(HTTP status, Retry-After seconds) when no data came back because of a limit or an outage."""
    if not isinstance(response_data, dict) or response_data.get("data") is not None:
        return None
    for error in response_data.get("errors") or ():
        extensions = error.get("extensions") or {}
        status = REFUSAL_STATUS.get(extensions.get("code"))
        if status is not None:
            return status, int(extensions.get("retryAfter") or 1)
    return None


def preferred_media_type(accept: str | None) -> str:
    """application/graphql-response+json when the client lists it, else application/json."""
    for part in (accept or "").split(","):
        media_type, *params = (piece.strip() for piece in part.split(";"))
        if media_type == GRAPHQL_RESPONSE_JSON and "q=0" not in params:
            return GRAPHQL_RESPONSE_JSON
    return "application/json"


def json_response(body: Any, *, status: int, media_type: str, headers: dict | None = None) -> Response:
    return Response(
        orjson.dumps(body), status_code=status, media_type=f"{media_type}; charset=utf-8", headers=headers
    )


def has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(key) or has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(has_nul(item) for item in value)
    return False


# Close code for a message over the size limit (4000–4999 are the application's; 413 as on HTTP).
MESSAGE_TOO_LARGE = 4413


class TextWebSocketAdapter(ASGIWebSocketAdapter):
    """graphql-transport-ws messages are text frames; browsers' clients reject binary ones. Each
    message is held to the HTTP body limit before it is parsed."""

    async def iter_json(self, *, ignore_parsing_errors: bool = False) -> AsyncGenerator[object, None]:
        limit = self.view.services.settings.max_body_bytes
        try:
            while self.ws.application_state != WebSocketState.DISCONNECTED:
                text = await self.ws.receive_text()
                if len(text) > limit or len(text.encode()) > limit:
                    await self.ws.close(code=MESSAGE_TOO_LARGE, reason=f"消息超过上限 {limit // 1024} KiB")
                    return
                try:
                    yield self.view.decode_json(text)
                except JSONDecodeError as error:
                    if not ignore_parsing_errors:
                        raise NonJsonMessageReceived from error
        except KeyError as error:  # a binary frame
            raise NonTextMessageReceived from error
        except WebSocketDisconnect:
            pass

    async def send_json(self, message) -> None:
        # A client that is gone (a reset mid-send, a close meanwhile) gets nothing more, quietly:
        # receiving, the handler sees it leave and ends its operations. Raised, it reached strawberry
        # as an error of the operation's task, logged with a traceback ("Exception in worker task").
        if self.ws.application_state == WebSocketState.DISCONNECTED:
            return
        with contextlib.suppress(WebSocketDisconnect, StarletteWebSocketDisconnected):
            await self.ws.send_text(self.view.encode_json_string(message))


class LinliGraphQL(GraphQL):
    websocket_adapter_class = TextWebSocketAdapter
    graphql_transport_ws_handler_class = PersistedTransportWSHandler

    def __init__(self, schema, *, app_services, graphiql: bool) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if graphiql else None,
            allow_queries_via_get=True,
            # graphql-transport-ws only: the legacy `graphql-ws` protocol is refused (close 4406).
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        )
        self.services = app_services
        self.persisted = PersistedOperations.from_settings(app_services.settings)
        self._ide_html = graphiql_html() if graphiql else ""

    def should_render_graphql_ide(self, request) -> bool:
        hashed = names_persisted_document(request.query_params)
        return not hashed and super().should_render_graphql_ide(request)

    async def parse_http_body(self, request):
        # Persisted operations (server/persisted.py): the document a hash names is filled in here.
        body = b"" if request.method == "GET" else await request.get_body()
        if is_batch(request.method, request.content_type, body):
            raise batching_refused()
        data = await super().parse_http_body(request)
        return self.persisted.resolve(data, document_id_of(request.method, request.query_params, body))

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        value = orjson.loads(data)
        escaped_nul = b"\\u0000" if isinstance(data, bytes) else "\\u0000"
        if escaped_nul in data and has_nul(value):
            # PostgreSQL text cannot hold U+0000: refused here, clearly, rather than by the database.
            raise HTTPException(400, "请求中不能包含空字符（U+0000）")
        return value

    async def render_graphql_ide(self, request: Request) -> Response:
        return HTMLResponse(self._ide_html)

    async def on_ws_connect(self, context: Context):
        authorization = websocket_authorization(context)
        viewer = None
        try:
            viewer = self.services.tokens.viewer_from_header(authorization)
            await self.services.revocations.check(viewer)
        except InvalidToken as error:
            rejection = {"code": "UNAUTHENTICATED", "reason": error.reason, "message": str(error)}
            raise ConnectionRejectionError(rejection) from None
        except Exception as error:
            if not is_database_unavailable(error):
                raise
            # The token verifies but its standing cannot be read now: the connection opens, and
            # nothing is delivered until it can be (GuardDelivery checks before each answer).
        context.viewer = viewer
        if viewer is not None:
            # Revoked or expired, the token ends the connection at once (close 4403), even when
            # nothing is being delivered; GuardDelivery refuses anything still in flight.
            websocket = context.request

            async def close(error: InvalidToken) -> None:
                with contextlib.suppress(Exception):  # already closing: nothing more to do
                    await websocket.close(code=4403, reason=error.reason)

            context.token_watch = self.services.revocations.watch(viewer, close)
        return UNSET

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        sub_response.media_type = preferred_media_type(request.headers.get("accept"))
        return sub_response

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        # Errors raised before the operation started (e.g. syntax) skip the schema extensions.
        request_id = request.scope.get("state", {}).get("request_id")
        hide = not self.services.settings.introspection_enabled
        result.errors = [
            present_error(error, request_id, hide_suggestions=hide) for error in result.errors or ()
        ] or None
        body = await super().process_result(request, result)
        if result.data is None and result.errors and all(error.path is None for error in result.errors):
            # A request error (parse, validation, limits): the operation never ran, so no data key.
            body.pop("data", None)
        return body

    def create_response(self, response_data, sub_response: Response) -> Response:
        media_type = sub_response.media_type or "application/json"
        status = sub_response.status_code or 200
        if (
            media_type == GRAPHQL_RESPONSE_JSON
            and isinstance(response_data, dict)
            and "data" not in response_data
        ):
            status = 400
        refused = refusal(response_data)
        if refused is not None:
            status = refused[0]
            sub_response.headers["Retry-After"] = str(refused[1])
        response = Response(
            self.encode_json(response_data), status_code=status, media_type=f"{media_type}; charset=utf-8"
        )
        for key, value in sub_response.headers.items():
            if key.lower() not in ("content-type", "content-length"):
                response.headers[key] = value
        return response


async def read_limited_body(request: Request, limit: int) -> bytes | None:
    """The body, or None when it is larger than `limit` (counted as it streams, not trusted)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def http_error_code(status: int) -> str:
    return {401: "UNAUTHENTICATED", 403: "FORBIDDEN", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(
        status, "BAD_REQUEST"
    )


async def handle_graphql_http(view: LinliGraphQL, request: Request) -> Response:
    services = view.services
    settings = services.settings
    media_type = preferred_media_type(request.headers.get("accept"))
    if request.method == "POST":
        body = await read_limited_body(request, settings.max_body_bytes)
        if body is None:
            return json_response(
                error_body("REQUEST_TOO_LARGE", f"请求体超过上限 {settings.max_body_bytes // 1024} KiB"),
                status=413,
                media_type=media_type,
            )
        request._body = body  # strawberry reads the body we already counted
    try:
        viewer = services.tokens.viewer_from_header(request.headers.get("authorization"))
        await services.revocations.check(viewer)
    except InvalidToken as error:
        return json_response(
            error_body("UNAUTHENTICATED", str(error), reason=error.reason),
            status=401,
            media_type=media_type,
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    except Exception as error:  # the standing of the token could not be read
        if not is_database_unavailable(error):
            raise
        request_id = request.scope.get("state", {}).get("request_id")
        return unavailable_response(request_id=request_id, media_type=media_type)
    context = services.make_context(request=request, response=None, viewer=viewer)
    try:
        response = None
        if request.method == "POST":  # a document answered before, on the compiled path
            response = await answer_known(view, request, context, body=request._body, media_type=media_type)
        if response is None:
            response = await view.run(request, context=context)
    except HTTPException as error:
        response = http_exception_response(error, request=request, media_type=media_type)
    except PersistedRefusal as refused:  # nothing ran
        context.error_codes.append(refused.code)
        response = json_response(refused.body(), status=refused.status, media_type=media_type)
    finally:
        request.state.operation = context.operation_name
        request.state.error_codes = getattr(context, "error_codes", [])
        closed = await close_context(context)
    if not closed:
        return unavailable_response(request_id=context.request_id, media_type=media_type)
    return response


def http_exception_response(error: HTTPException, *, request: Request, media_type: str) -> Response:
    status = error.status_code
    headers = None
    if request.method == "GET" and "not allowed when using GET" in error.reason:
        # GraphQL over HTTP: a mutation over GET is refused with 405, POST being allowed.
        status, headers = 405, {"Allow": "POST"}
    body = error_body(http_error_code(status), error.reason)
    return json_response(body, status=status, media_type=media_type, headers=headers)


async def close_context(context: Context) -> bool:
    """Ends the request's session and writes the access log of what it read. False when the
    database went away meanwhile: then the answer must not be sent, its reads being unlogged."""
    try:
        await context.close()
    except Exception as error:
        if not is_database_unavailable(error):
            raise
        return False
    return True


def unavailable_response(*, request_id: str | None, media_type: str) -> Response:
    extensions = unavailable_extensions(request_id)
    return json_response(
        {"errors": [{"message": UNAVAILABLE_MESSAGE, "extensions": extensions}]},
        status=503,
        media_type=media_type,
        headers={"Retry-After": str(extensions["retryAfter"])},
    )
