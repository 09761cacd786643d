"""The compiled read path's front door (#19): a POST whose document this process has already
parsed, validated and answered on the compiled path is answered again without strawberry's
pipeline — what depends on the document alone was judged the first time (syntax, validation,
depth, aliases, tokens), and what depends on the request is judged here as there: the cost with
the variables sent (ChargeCost), the metrics label and the operation's name (RecordOperation),
then the same planners (schema.compiled.answer). Anything else — another content type, APQ or a
document id, a cost over the limit, a planner declining, any error — goes the whole way through
strawberry, which answers it as it always has."""

import orjson
from starlette.requests import Request
from starlette.responses import Response

from schema.compiled import ANSWERED, PATHS, answer
from schema.validation import request_cost

ACCEPTED_KEYS = frozenset({"query", "variables", "operationName"})


def _request_of(body: bytes) -> tuple[str, str | None, dict] | None:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict) or not data.keys() <= ACCEPTED_KEYS:
        return None
    query, operation_name, variables = data.get("query"), data.get("operationName"), data.get("variables")
    if not isinstance(query, str) or not isinstance(operation_name, str | None):
        return None
    if not isinstance(variables, dict | None):
        return None
    return query, operation_name, variables or {}


async def answer_known(view, request: Request, context, *, body: bytes, media_type: str) -> Response | None:
    """The answer to a known document on the compiled path, or None (strawberry answers)."""
    settings = view.services.settings
    if not settings.compiled_reads or request.method != "POST":
        return None
    if not request.headers.get("content-type", "").startswith("application/json") or b"\\u0000" in body:
        return None  # other bodies, and text the view refuses (NUL), as the view says
    asked = _request_of(body)
    if asked is None:
        return None
    query, operation_name, variables = asked
    known = ANSWERED.get(query, operation_name)
    if known is None:
        return None
    schema = view.schema._schema
    cost = request_cost(
        schema,
        query,
        operation_name,
        variables,
        max_page=settings.max_page_size,
        list_factor=settings.list_cost_factor,
    )
    if cost is None or cost > settings.max_query_cost:
        return None
    context.operation_name = known.operation_name  # for the request log, as RecordOperation sets it
    request.state.metrics_operation = known.metrics_label or "other"
    result = await answer(
        schema=schema,
        document=known.document,
        variables=variables,
        operation_name=operation_name,
        context=context,
        executor_class=view.schema.execution_context_class,  # variables coerced as the pipeline does
    )
    if result is None or result.errors:
        return None  # reads are idempotent: strawberry reads again and reports as it does
    PATHS["front door"] += 1
    payload = {
        "data": result.data,
        "extensions": {"cost": {"requested": cost, "maximum": settings.max_query_cost}},
    }
    return Response(orjson.dumps(payload), status_code=200, media_type=f"{media_type}; charset=utf-8")
