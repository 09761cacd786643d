"""Persisted operations on /graphql: Apollo's automatic persisted queries (APQ) and, with
LINLI_TRUSTED_DOCUMENTS, trusted documents only. Both turn a request naming a document by its
SHA-256 into the request with that document's text, before strawberry parses and runs it: every
limit, the cost and the log then apply to a persisted operation as to any other."""

import dataclasses
import hashlib
import re
from collections import OrderedDict
from pathlib import Path
from typing import Any

import graphql
import orjson
from strawberry.http import GraphQLRequestData
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler

SHA256_HEX = re.compile(r"[0-9a-f]{64}")
APQ_VERSION = 1
APOLLO_MANIFEST = "apollo-persisted-query-manifest"
# The roots a document may select and still count as introspection (see `is_introspection`).
INTROSPECTION_ROOTS = {"__schema", "__type", "__typename"}


class PersistedRefusal(Exception):
    """The request is answered with this error and nothing runs."""

    def __init__(self, code: str, message: str, *, status: int = 400, reason: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.status, self.reason = code, message, status, reason

    def body(self) -> dict[str, Any]:
        extensions = {"code": self.code} | ({"reason": self.reason} if self.reason else {})
        return {"errors": [{"message": self.message, "extensions": extensions}]}


def not_found() -> PersistedRefusal:
    # Word for word what Apollo Server answers, with its status 200: Apollo Client's persisted-query
    # link resends with the query text on this message or code (older links on a 200 only).
    return PersistedRefusal("PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound", status=200)


def not_supported() -> PersistedRefusal:
    # The link stops sending hashes to a server that says this (LINLI_APQ_CACHE_SIZE=0).
    return PersistedRefusal("PERSISTED_QUERY_NOT_SUPPORTED", "PersistedQueryNotSupported", status=200)


def not_allowed(what: str) -> PersistedRefusal:
    return PersistedRefusal("PERSISTED_QUERY_NOT_ALLOWED", f"本服务只执行已登记的文档（{what}）", status=400)


def bad_request(reason: str, message: str) -> PersistedRefusal:
    return PersistedRefusal("BAD_REQUEST", message, reason=reason)


def batching_refused() -> PersistedRefusal:
    # Each request is costed, limited, rate-counted and logged alone; a batch would multiply every
    # per-request limit by its length (README, "Persisted operations").
    return bad_request("BATCHING_NOT_SUPPORTED", "不支持批量请求：每个请求只能包含一个操作")


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class ManifestError(ValueError):
    pass


def load_manifest(path: Path) -> dict[str, str]:
    """SHA-256 hex → document text, from either form clients' build tools write:
    `{"<sha256>": "<document>"}` (GraphQL Codegen's client preset `persistedDocuments` with
    `hashAlgorithm: 'sha256'`) or Apollo's `{"format": "apollo-persisted-query-manifest",
    "version": 1, "operations": [{"id", "body", …}]}`. Every key must be the hash of its text, and
    every text must parse: a wrong file stops the start, not a request later."""
    try:
        raw = orjson.loads(Path(path).read_bytes())
    except OSError as error:
        raise ManifestError(f"无法读取可信文档清单 {path}：{error.strerror or error}") from None
    except orjson.JSONDecodeError as error:
        raise ManifestError(f"可信文档清单 {path} 不是合法的 JSON：{error}") from None
    if isinstance(raw, dict) and raw.get("format") == APOLLO_MANIFEST:
        operations = raw.get("operations")
        if raw.get("version") != 1 or not isinstance(operations, list):
            raise ManifestError(f"可信文档清单 {path}：只支持 {APOLLO_MANIFEST} 第 1 版（operations 列表）")
        pairs = []
        for operation in operations:
            if not isinstance(operation, dict):
                raise ManifestError(f"可信文档清单 {path}：operations 的每一项须是对象")
            pairs.append((operation.get("id"), operation.get("body")))
    elif isinstance(raw, dict):
        pairs = list(raw.items())
    else:
        raise ManifestError(f"可信文档清单 {path} 须是 JSON 对象（哈希 → 文档）")
    documents: dict[str, str] = {}
    for key, text in pairs:
        digest = key.removeprefix("sha256:") if isinstance(key, str) else key
        if not isinstance(digest, str) or not SHA256_HEX.fullmatch(digest):
            raise ManifestError(
                f"可信文档清单 {path}：{key!r} 不是 SHA-256 十六进制小写哈希"
                "（GraphQL Codegen 默认用 sha1，请设 persistedDocuments.hashAlgorithm 为 'sha256'）"
            )
        if not isinstance(text, str) or not text.strip():
            raise ManifestError(f"可信文档清单 {path}：{digest} 的文档须是非空字符串")
        if sha256_hex(text) != digest:
            raise ManifestError(f"可信文档清单 {path}：{digest} 与其文档的 SHA-256 不符")
        try:
            graphql.parse(text)
        except graphql.GraphQLError as error:
            raise ManifestError(f"可信文档清单 {path}：{digest} 的文档无法解析：{error.message}") from None
        documents[digest] = text
    if not documents:
        raise ManifestError(f"可信文档清单 {path} 是空的：那样任何操作都不能执行")
    return documents


def is_introspection(text: str, max_tokens: int) -> bool:
    """Whether every operation selects only introspection roots (no fragment at the root, which
    could hide other fields): such a document is left to the introspection setting."""
    try:
        document = graphql.parse(text, max_tokens=max_tokens)
    except graphql.GraphQLError:
        return False
    operations = [d for d in document.definitions if isinstance(d, graphql.OperationDefinitionNode)]
    return bool(operations) and all(
        isinstance(selection, graphql.FieldNode) and selection.name.value in INTROSPECTION_ROOTS
        for operation in operations
        for selection in operation.selection_set.selections
    )


class DocumentCache:
    """The APQ store: the most recently used documents, at most `size`, each at most `max_bytes`.
    In this process only: a replica or worker that has not seen a document answers
    PERSISTED_QUERY_NOT_FOUND and the client resends it once, so sharing would save a round trip
    now and then, not correctness. The event loop runs one request's code at a time: no lock."""

    def __init__(self, size: int, max_bytes: int) -> None:
        self.size, self.max_bytes = size, max_bytes
        self._documents: OrderedDict[str, str] = OrderedDict()

    def get(self, digest: str) -> str | None:
        text = self._documents.get(digest)
        if text is not None:
            self._documents.move_to_end(digest)
        return text

    def put(self, digest: str, text: str) -> None:
        if len(text) > self.max_bytes or len(text.encode()) > self.max_bytes:
            return  # run, not kept: nothing larger than a request body may be held
        self._documents[digest] = text
        self._documents.move_to_end(digest)
        while len(self._documents) > self.size:
            self._documents.popitem(last=False)

    def __len__(self) -> int:
        return len(self._documents)


class PersistedOperations:
    def __init__(self, *, cache_size: int, max_bytes: int, trusted: dict[str, str] | None, max_tokens: int):
        self.cache = DocumentCache(cache_size, max_bytes) if cache_size > 0 else None
        self.trusted = trusted
        self.max_tokens = max_tokens

    @classmethod
    def from_settings(cls, settings) -> "PersistedOperations":
        return cls(
            cache_size=settings.apq_cache_size,
            max_bytes=settings.max_body_bytes,
            trusted=settings.trusted_manifest,
            max_tokens=settings.max_tokens,
        )

    def resolve(self, data: GraphQLRequestData, document_id: object = None) -> GraphQLRequestData:
        """The request with the document it names filled in; PersistedRefusal when it may not run."""
        digest = self._requested_digest(data.extensions, document_id)
        if self.trusted is not None:
            return self._trusted(data, digest)
        if digest is None:
            return data
        if self.cache is None:
            raise not_supported()
        if data.query is None:
            text = self.cache.get(digest)
            if text is None:
                raise not_found()
            return dataclasses.replace(data, query=text)
        self._check_hash(data.query, digest)
        # Kept before it is validated, as the client sent it: a document that turns out invalid
        # takes one slot of a bounded cache, as any valid one a client may send could.
        self.cache.put(digest, data.query)
        return data

    def _trusted(self, data: GraphQLRequestData, digest: str | None) -> GraphQLRequestData:
        assert self.trusted is not None
        if digest is not None:
            text = self.trusted.get(digest)
            if text is None:
                raise not_allowed("该哈希未登记")
            if data.query is not None:
                self._check_hash(data.query, digest)
            return dataclasses.replace(data, query=text)
        if data.query is None:
            return data  # no document at all: strawberry's own BAD_REQUEST
        if sha256_hex(data.query) in self.trusted or is_introspection(data.query, self.max_tokens):
            return data
        raise not_allowed("该文档未登记")

    @staticmethod
    def _check_hash(text: str, digest: str) -> None:
        if sha256_hex(text) != digest:
            raise bad_request("PERSISTED_QUERY_HASH_MISMATCH", "提供的 sha256Hash 与查询文本的 SHA-256 不符")

    @staticmethod
    def _requested_digest(extensions: dict | None, document_id: object) -> str | None:
        """The SHA-256 a request names: `documentId` (GraphQL over HTTP, persisted documents:
        `sha256:<hex>`) or `extensions.persistedQuery` (APQ)."""
        if document_id is not None:
            if isinstance(document_id, str) and document_id.startswith("sha256:"):
                digest = document_id.removeprefix("sha256:")
                if SHA256_HEX.fullmatch(digest):
                    return digest
            raise bad_request("INVALID_DOCUMENT_ID", "documentId 须为 sha256:<64 位十六进制小写哈希>")
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is None:
            return None
        if not isinstance(persisted, dict):
            raise bad_request("INVALID_PERSISTED_QUERY", "extensions.persistedQuery 须是对象")
        if persisted.get("version") != APQ_VERSION:
            raise bad_request(
                "PERSISTED_QUERY_VERSION_NOT_SUPPORTED",
                f"不支持的 persistedQuery 版本 {persisted.get('version')!r}：只支持 {APQ_VERSION}",
            )
        digest = persisted.get("sha256Hash")
        if not isinstance(digest, str) or not SHA256_HEX.fullmatch(digest.lower()):
            raise bad_request("INVALID_PERSISTED_QUERY", "persistedQuery.sha256Hash 须是 64 位十六进制哈希")
        return digest.lower()


def document_id_of(method: str, query_params, body: bytes) -> object:
    """The request's `documentId`, if any (a GET parameter or a field of the JSON body). The body
    is parsed again only when it names one, which such small bodies make cheap."""
    if method == "GET":
        return query_params.get("documentId")
    if b'"documentId"' not in body:
        return None
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    return parsed.get("documentId") if isinstance(parsed, dict) else None


def is_batch(method: str, content_type: str | None, body: bytes) -> bool:
    """A JSON array: several operations in one request."""
    return method == "POST" and "json" in (content_type or "") and body.lstrip()[:1] == b"["


def names_persisted_document(query_params) -> bool:
    """A GET naming a document by hash has no `query`: it is an operation, not a request for the IDE."""
    return "extensions" in query_params or "documentId" in query_params


class PersistedTransportWSHandler(BaseGraphQLTransportWSHandler):
    """graphql-transport-ws: a `subscribe` message goes through the same door as an HTTP request,
    else trusted documents would hold on HTTP only (the socket runs queries and mutations too)."""

    async def handle_subscribe(self, message) -> None:
        payload = message.get("payload")
        if (
            not self.connection_acknowledged
            or message["id"] in self.operations
            or not isinstance(payload, dict)
        ):
            await super().handle_subscribe(message)  # its own refusals (4401, 4409)
            return
        extensions = payload.get("extensions")
        request = GraphQLRequestData(
            query=payload.get("query"),
            variables=payload.get("variables"),
            operation_name=payload.get("operationName"),
            extensions=extensions if isinstance(extensions, dict) else None,
        )
        try:
            resolved = self.view.persisted.resolve(request, payload.get("documentId"))
        except PersistedRefusal as refused:  # nothing runs
            await self.send_message(
                {"id": message["id"], "type": "error", "payload": refused.body()["errors"]}
            )
            return
        if resolved.query is not request.query:
            message = {**message, "payload": {**payload, "query": resolved.query}}
        await super().handle_subscribe(message)
