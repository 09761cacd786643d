"""One JSON log line per request with a request id, and Prometheus metrics."""

import logging
import sys
import time
import uuid

import orjson
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from starlette.types import ASGIApp, Message, Receive, Scope, Send

request_logger = logging.getLogger("linli.request")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(entry).decode()


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Strawberry logs every client mistake at ERROR; ours (schema.errors) logs the server's faults.
    logging.getLogger("strawberry.execution").setLevel(logging.CRITICAL)


class Metrics:
    def __init__(self, engine) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "linli_graphql_requests_total",
            "GraphQL requests by operation and HTTP status",
            ["operation", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "linli_graphql_request_duration_seconds",
            "GraphQL request latency by operation",
            ["operation"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.errors = Counter(
            "linli_graphql_errors_total",
            "GraphQL errors by code",
            ["operation", "code"],
            registry=self.registry,
        )
        self.registry.register(PoolCollector(engine))


class PoolCollector:
    """The database pool as it is at scrape time."""

    def __init__(self, engine) -> None:
        self.engine = engine

    def collect(self):
        pool = self.engine.pool
        for name, help_text, value in (
            ("linli_db_pool_size", "Configured pool size", pool.size()),
            ("linli_db_pool_checked_out", "Connections in use", pool.checkedout()),
            ("linli_db_pool_overflow", "Connections beyond the pool size", pool.overflow()),
        ):
            gauge = GaugeMetricFamily(name, help_text)
            gauge.add_metric([], value)
            yield gauge


class RequestMiddleware:
    """Request id in and out, one JSON log line per HTTP request, GraphQL metrics."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        # The audit trail (access logs) keys on the request id: ours alone, never the client's,
        # which is only kept beside it so a client's own tracing can still be matched.
        request_id = uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        state["client_request_id"] = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else None
        started = time.perf_counter()
        status_holder = {"status": 500}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if scope["type"] == "http":
                self._record(scope, state, status_holder["status"], time.perf_counter() - started)

    def _record(self, scope: Scope, state: dict, status: int, elapsed: float) -> None:
        path = scope.get("path", "")
        operation = state.get("operation") or "-"
        if path == "/graphql":
            # Never the client's operation name: a bounded label (schema.RecordOperation).
            label = state.get("metrics_operation") or "other"
            self.metrics.requests.labels(label, str(status)).inc()
            self.metrics.latency.labels(label).observe(elapsed)
            for code in state.get("error_codes") or ():
                self.metrics.errors.labels(label, code).inc()
        request_logger.info(
            "request",
            extra={
                "fields": {
                    "request_id": state["request_id"],
                    "client_request_id": state["client_request_id"],
                    "method": scope.get("method"),
                    "path": path,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                    "operation": operation,
                    "person": state.get("person_id"),
                }
            },
        )
