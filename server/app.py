"""The Starlette application: /graphql (HTTP and WebSocket), /healthz, /readyz, /metrics, GraphiQL assets,
the client pages (/board, /kiosk, /app)."""

import asyncio
import contextlib
import gc
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from resolvers.actor import Viewer
from resolvers.clock import system_clock
from resolvers.retention import retention_job
from schema import build_schema
from schema.context import Context
from server import clients, photos
from server.auth import TokenService
from server.db import create_engine, create_session_factory
from server.graphql_view import (
    GRAPHIQL_ASSETS,
    GRAPHIQL_FILES,
    LinliGraphQL,
    close_context,
    handle_graphql_http,
)
from server.jobs import JOBS, run_as_leader
from server.migrate import head_revision
from server.observability import Metrics, RequestMiddleware, configure_logging
from server.pubsub import AlertFeed
from server.revocations import Revocations
from server.security import security_middleware
from server.settings import Settings, get_settings

# A probe must answer while the database does not: no answer in this long is "unavailable".
READY_TIMEOUT_SECONDS = 2


@dataclass
class Services:
    """What a request needs from the process: settings, database, tokens, clock."""

    settings: Settings
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    tokens: TokenService
    clock: Callable[[], datetime]
    alert_feed: AlertFeed
    revocations: Revocations

    def make_context(self, *, request, response, viewer: Viewer | None) -> Context:
        state = request.scope.get("state", {})
        request_id = state.get("request_id", "-")
        if viewer is not None:
            request.scope.setdefault("state", {})["person_id"] = viewer.person_id
        return Context(
            session_factory=self.session_factory,
            viewer=viewer,
            request_id=request_id,
            client_request_id=state.get("client_request_id"),
            settings=self.settings,
            issue_token=self.tokens.issue,
            clock=self.clock,
            alert_feed=self.alert_feed.fan_out(self.session_factory),
            inbox=self.alert_feed.inbox(self.session_factory),
            revocations=self.revocations,
            request=request,
            response=response,
        )


def create_app(
    settings: Settings | None = None,
    *,
    engine: AsyncEngine | None = None,
    session_factory: async_sessionmaker[AsyncSession] | None = None,
    clock: Callable[[], datetime] = system_clock,
    configure_logs: bool = True,
) -> Starlette:
    settings = settings or get_settings()
    if configure_logs:
        configure_logging(settings.log_level)
    engine = engine or create_engine(settings)
    session_factory = session_factory or create_session_factory(engine)
    services = Services(
        settings=settings,
        engine=engine,
        session_factory=session_factory,
        tokens=TokenService(settings),
        clock=clock,
        alert_feed=AlertFeed(settings.database_url),
        revocations=Revocations(
            settings.database_url,
            session_factory,
            horizon=timedelta(seconds=settings.longest_token_seconds),
        ),
    )
    view = LinliGraphQL(build_schema(settings), app_services=services, graphiql=settings.graphiql_enabled)
    metrics = Metrics(engine)
    expected_revision = head_revision()

    async def graphql_http(request: Request) -> Response:
        return await handle_graphql_http(view, request)

    async def graphql_ws(websocket: WebSocket) -> None:
        # The viewer is set at connection_init (LinliGraphQL.on_ws_connect), not from headers.
        context = services.make_context(request=websocket, response=websocket, viewer=None)
        try:
            await view.run(websocket, context=context)
        finally:
            if context.token_watch is not None:
                context.token_watch.cancel()
            await close_context(context)  # the database may be away by now: nothing is owed

    async def photo_get(request: Request) -> Response:
        return await photos.photo_get(services, request)

    async def photo_put(request: Request) -> Response:
        return await photos.photo_put(services, request)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        try:
            async with asyncio.timeout(READY_TIMEOUT_SECONDS), engine.connect() as connection:
                revision = await connection.scalar(text("SELECT version_num FROM alembic_version"))
        except Exception as error:  # any failure to reach the database means "not ready"
            return JSONResponse({"status": "unavailable", "reason": type(error).__name__}, status_code=503)
        if revision != expected_revision:
            return JSONResponse(
                {"status": "migrations_pending", "database": revision, "expected": expected_revision},
                status_code=503,
            )
        return JSONResponse({"status": "ready", "migration": revision})

    async def metrics_endpoint(request: Request) -> Response:
        token = settings.metrics_token
        if token:
            scheme, _, supplied = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(supplied.encode(), token.encode()):
                return PlainTextResponse(
                    "Unauthorized", status_code=401, headers={"WWW-Authenticate": 'Bearer realm="metrics"'}
                )
        elif settings.is_production:  # no token: not served on the public listener at all
            return PlainTextResponse("Not Found", status_code=404)
        return PlainTextResponse(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    async def graphiql_asset(request: Request) -> Response:
        name = request.path_params["name"]
        if not settings.graphiql_enabled or name not in GRAPHIQL_FILES:
            return PlainTextResponse("Not Found", status_code=404)
        return FileResponse(GRAPHIQL_ASSETS / name, headers={"Cache-Control": "public, max-age=86400"})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        leader = None
        if settings.jobs_enabled:
            leader = asyncio.create_task(
                run_as_leader(
                    engine=engine,
                    session_factory=services.session_factory,
                    clock=clock,
                    jobs=[*JOBS, retention_job(settings)],
                )
            )
        # Tokens are then checked against memory kept current by LISTEN, not the database.
        await services.revocations.start()
        # What start-up built (schema, models, settings) lives as long as the process: frozen, it
        # is left out of every garbage collection, so full collections stay short during requests.
        gc.freeze()
        yield
        if leader is not None:
            leader.cancel()
        await services.alert_feed.close()
        await services.revocations.close()
        await engine.dispose()

    app = Starlette(
        routes=[
            Route("/graphql", graphql_http, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql_ws),
            Route("/graphiql/{name:path}", graphiql_asset, methods=["GET"]),
            *[Route(f"/{name}", clients.page, methods=["GET"]) for name in clients.PAGES],
            Route("/clients/assets/{name}", clients.asset, methods=["GET"]),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint),
            Route("/affairs/photos/{id}", photo_get, methods=["GET"]),
            Route("/affairs/cases/{id}/photos", photo_put, methods=["PUT"]),
        ],
        middleware=[Middleware(RequestMiddleware, metrics=metrics), *security_middleware(settings)],
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.schema = view.schema
    return app
