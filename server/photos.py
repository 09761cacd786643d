"""Case photos over plain HTTP (有事一键找): bytes are not GraphQL's strength, and a GraphQL body is
limited to 64 KiB. `PUT /affairs/cases/{id}/photos` adds one (the reporter, up to three, at most
2 MiB, JPEG/PNG/WebP by its bytes); `GET /affairs/photos/{id}` fetches one for whoever may see the
case's reporter, and the read is written to the case access log before the bytes go out."""

from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from models.affairs import MAX_PHOTO_BYTES
from resolvers.affairs import cases as case_service
from resolvers.errors import DomainFailure
from schema.abuse import count_attempt, mutation_quotas
from schema.common import decode_global_id, encode_global_id
from server.auth import InvalidToken
from server.graphql_view import close_context, read_limited_body

PRIVATE = {
    "Cache-Control": "private, no-store",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'",
}


def refused(status: int, code: str, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": code}}]}, status_code=status, headers=headers
    )


async def signed_in_context(services, request: Request):
    try:
        viewer = services.tokens.viewer_from_header(request.headers.get("authorization"))
        await services.revocations.check(viewer)
    except InvalidToken as error:
        return None, refused(
            401, "UNAUTHENTICATED", str(error), {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        )
    if viewer is None:
        return None, refused(401, "UNAUTHENTICATED", "请先登录", {"WWW-Authenticate": "Bearer"})
    return services.make_context(request=request, response=None, viewer=viewer), None


def primary_key(value: str, type_name: str) -> int | None:
    try:
        return decode_global_id(value, type_name)[1]
    except GraphQLError:  # BAD_REQUEST INVALID_ID: malformed, or of another type
        return None


async def photo_get(services, request: Request) -> Response:
    context, refusal = await signed_in_context(services, request)
    if refusal is not None:
        return refusal
    pk = primary_key(request.path_params["id"], "CasePhoto")
    try:
        if pk is None:
            return refused(400, "BAD_REQUEST", "照片 ID 无效")
        try:
            photo, standing = await case_service.photo_for(
                session=context.session, viewer=context.viewer, photo_id=pk
            )
        except DomainFailure as failure:
            return refused(404, failure.code.value, failure.message)
        if not standing.reporter:
            context.note_case_read(photo.case_id, "photos")
        body, media_type = photo.data, photo.content_type
    finally:
        logged = await close_context(context)
    if not logged:  # the read could not be logged: the bytes do not go out
        return refused(503, "SERVICE_UNAVAILABLE", "服务暂不可用，请稍后再试", {"Retry-After": "5"})
    return Response(body, media_type=media_type, headers=PRIVATE)


async def photo_put(services, request: Request) -> Response:
    context, refusal = await signed_in_context(services, request)
    if refusal is not None:
        return refusal
    try:
        pk = primary_key(request.path_params["id"], "Case")
        if pk is None:
            return refused(400, "BAD_REQUEST", "事项 ID 无效")
        body = await read_limited_body(request, MAX_PHOTO_BYTES)
        if body is None:
            return refused(413, "PHOTO_TOO_LARGE", f"照片不能超过 {MAX_PHOTO_BYTES // 1024 // 1024} MiB")
        try:
            await count_attempt(context, mutation_quotas(context))
        except GraphQLError as error:  # RATE_LIMITED, as the graph answers it
            retry = str(error.extensions["retryAfter"])
            return refused(429, "RATE_LIMITED", str(error), {"Retry-After": retry})
        session = context.session
        try:
            photo = await case_service.add_photo(
                session=session, viewer=context.viewer, case_id=pk, data=body
            )
            await session.commit()
        except DomainFailure as failure:
            await session.rollback()
            status = 404 if failure.code.value == "NOT_FOUND" else 400
            return refused(status, failure.code.value, failure.message)
        answer = {
            "id": encode_global_id("CasePhoto", photo.id),
            "position": photo.position,
            "contentType": photo.content_type,
            "byteSize": len(body),
        }
    finally:
        await close_context(context)
    return JSONResponse(answer, status_code=201, headers={"Cache-Control": "no-store"})
