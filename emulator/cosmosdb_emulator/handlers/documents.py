"""Document operations: create/upsert, point read/replace/patch/delete, read feed, pk delete.

A POST to ``docs`` is told apart by its headers, in this order: query plan
(``x-ms-cosmos-is-query-plan-request``), query (``x-ms-documentdb-isquery``), batch
(``x-ms-cosmos-is-batch-request``), upsert (``x-ms-documentdb-is-upsert``), else create
(azure-cosmos ``azure/cosmos/_base.py:GetHeaders``, ``_populate_batch_headers``).
"""

from __future__ import annotations

import json

from cosmosdb_emulator import catalog, children, feeds, scripts, tokens
from cosmosdb_emulator.app import App
from cosmosdb_emulator.documents import (
    MAX_DOCUMENT_BYTES,
    SUBSTATUS_PARTITION_KEY_MISMATCH,
    PartitionKey,
    Writer,
    WriteResult,
    find_by_rid,
    read_document_lsn,
)
from cosmosdb_emulator.epk import extract_components
from cosmosdb_emulator.errors import CosmosError, bad_request, not_found
from cosmosdb_emulator.handlers import batch, change_feed, query
from cosmosdb_emulator.handlers.common import container, page_size, partition_key, scope, writing
from cosmosdb_emulator.messages import Request, Response, text_response
from cosmosdb_emulator.storage import Connection

_BODY_LIMIT = MAX_DOCUMENT_BYTES + 64 * 1024


def _write_response(result: WriteResult, request: Request) -> Response:
    headers = {"etag": result.etag or "", "lsn": str(result.lsn)}
    if result.text is None:
        return Response(result.status, b"", headers)
    if (request.headers.get("Prefer") or "").lower() == "return=minimal":
        return Response(result.status, b"", headers)
    return text_response(result.status, result.text, headers)


def _document_body(request: Request) -> object:
    if len(request.body) > _BODY_LIMIT:
        raise CosmosError(413, "Request size is too large.")
    return request.json()


def post(app: App, request: Request) -> Response:
    """``POST .../docs/``: told apart by headers (plan, query, batch, upsert, create)."""
    h = request.headers
    if h.flag("x-ms-cosmos-is-query-plan-request"):
        return query.query_plan(app, request)
    if h.flag("x-ms-documentdb-isquery") or (h.get("Content-Type") or "").startswith(
        "application/query+json"
    ):
        return query.run(app, request)
    if h.flag("x-ms-cosmos-is-batch-request"):
        return batch.run(app, request)
    body = _document_body(request)
    pk = partition_key(request, required=False)
    upsert = h.flag("x-ms-documentdb-is-upsert")
    with writing(app, request) as writer:
        triggers = _Triggers(writer, request, "upsert" if upsert else "create", pk, body)
        body = triggers.before(body)
        result = writer.upsert(body, pk, h.get("If-Match")) if upsert else writer.create(body, pk)
        triggers.after(body, result)
    return _write_response(result, request)


class _Triggers:
    """The pre- and post-triggers a write request names (``x-ms-documentdb-*-trigger-include``).

    Each must exist (404), be of the right type and cover the operation (``All`` or the
    operation itself; else 400). They run in the write's transaction
    (:func:`cosmosdb_emulator.scripts.run_trigger`).
    """

    def __init__(
        self,
        writer: Writer,
        request: Request,
        operation: str,
        pk: PartitionKey | None,
        body: object,
    ) -> None:
        self.conn, self.writer = writer.conn, writer
        info = writer.container
        self.alt_link = f"dbs/{info.db_id}/colls/{info.id}"
        self.pre = self._scripts(request, "pre", operation)
        self.post = self._scripts(request, "post", operation)
        if pk is None and isinstance(body, dict) and (self.pre or self.post):
            pk = PartitionKey.of(extract_components(body, info.paths), info.version)
        self.pk = pk.for_version(info.version) if pk is not None else None

    def _scripts(self, request: Request, kind: str, operation: str) -> list[str]:
        header = request.headers.get(f"x-ms-documentdb-{kind}-trigger-include")
        out: list[str] = []
        for name in [n.strip() for n in (header or "").split(",") if n.strip()]:
            text = children.find(self.conn, self.writer.container.rid, "triggers", name)
            if text is None:
                raise not_found("Trigger")
            trigger = json.loads(text)
            if str(trigger.get("triggerType", "")).lower() != kind:
                raise bad_request(f"Trigger '{name}' is not a {kind}-trigger.")
            if str(trigger.get("triggerOperation", "")).lower() not in ("all", operation):
                raise bad_request(
                    f"Trigger '{name}' runs on {trigger.get('triggerOperation')}, not {operation}."
                )
            out.append(str(trigger["body"]))
        return out

    def before(self, body: object) -> object:
        """Run the pre-triggers; returns the item to write."""
        for script in self.pre:
            assert self.pk is not None
            body = scripts.run_trigger(self.writer, script, self.pk, self.alt_link, body)
        return body

    def after(self, body: object, result: WriteResult) -> None:
        """Run the post-triggers with the stored item as the response body."""
        stored = json.loads(result.text) if result.text is not None else None
        for script in self.post:
            assert self.pk is not None
            scripts.run_trigger(self.writer, script, self.pk, self.alt_link, body, stored)


def _doc_key(app: App, request: Request, conn: Connection) -> tuple[str, PartitionKey]:
    """``(id, partition key)`` for a point operation (name-based or ``_self`` link)."""
    doc = request.route.document or ""
    pk = partition_key(request, required=not request.route.rid_based)
    info = container(conn, request)
    if pk is not None and pk.components and len(pk.components) != len(info.paths):
        # A point operation names one item: a prefix of a hierarchical key is a mismatch.
        raise bad_request(
            "Partition key provided either doesn't correspond to definition in the collection"
            " or doesn't match partition key field values specified in the document.",
            substatus=SUBSTATUS_PARTITION_KEY_MISMATCH,
        )
    if request.route.rid_based:
        found = find_by_rid(conn, info, doc)
        if found is None:
            raise not_found("Document")
        if pk is None:
            raise bad_request("The partition key header is required.")
        return found[0], pk.for_version(info.version)
    assert pk is not None
    return doc, pk.for_version(info.version)


def read(app: App, request: Request) -> Response:
    """``GET .../docs/{id}/`` (404 if missing; 304 on a matching ``If-None-Match``)."""
    with app.store.read() as conn:
        info = container(conn, request)
        doc_id, pk = _doc_key(app, request, conn)
        row = read_document_lsn(conn, info, pk.epk, doc_id)
        current_lsn = catalog.current_lsn(conn, info.rid)
    if row is None:
        raise not_found("Document")
    text = str(row[0])
    etag = json.loads(text).get("_etag", "")
    # ``lsn``: the (container-wide) LSN the read saw; ``x-ms-item-lsn``: the item's own.
    headers = {"etag": etag, "lsn": str(current_lsn), "x-ms-item-lsn": str(row[1])}
    inm = request.headers.get("If-None-Match")
    if inm and inm == etag:
        return Response(304, b"", headers)
    return text_response(200, text, headers)


def replace(app: App, request: Request) -> Response:
    """``PUT .../docs/{id}/`` (404 if missing, 412 on ``If-Match`` mismatch)."""
    body = _document_body(request)
    with writing(app, request) as writer:
        doc_id, pk = _doc_key(app, request, writer.conn)
        triggers = _Triggers(writer, request, "replace", pk, body)
        body = triggers.before(body)
        result = writer.replace(doc_id, body, pk, request.headers.get("If-Match"))
        triggers.after(body, result)
    return _write_response(result, request)


def patch(app: App, request: Request) -> Response:
    """``PATCH .../docs/{id}/`` (200 + full document)."""
    body = _document_body(request)
    with writing(app, request) as writer:
        doc_id, pk = _doc_key(app, request, writer.conn)
        result = writer.patch(doc_id, body, pk, request.headers.get("If-Match"))
    return _write_response(result, request)


def delete(app: App, request: Request) -> Response:
    """``DELETE .../docs/{id}/`` (204; 404 if missing)."""
    with writing(app, request) as writer:
        doc_id, pk = _doc_key(app, request, writer.conn)
        triggers = _Triggers(writer, request, "delete", pk, None)
        triggers.before(None)
        result = writer.delete(doc_id, pk, request.headers.get("If-Match"))
        triggers.after(None, result)
    return _write_response(result, request)


def delete_partition_key(app: App, request: Request) -> Response:
    """``POST .../operations/partitionkeydelete``: delete every item of a (prefix) key."""
    with writing(app, request) as writer:
        pk = partition_key(request, required=True)
        assert pk is not None
        lo, hi, _ = scope(writer.conn, request, writer.container)
        writer.delete_range(lo, hi)
    return Response(200, b"", {})


def get_feed(app: App, request: Request) -> Response:
    """``GET .../docs/``: change feed when ``A-IM`` is present, else the read feed."""
    if request.headers.get("A-IM"):
        return change_feed.run(app, request)
    return read_feed(app, request)


def read_feed(app: App, request: Request) -> Response:
    """``read_all_items``: documents ordered by (EPK, id), paged by ``x-ms-continuation``."""
    limit = page_size(request)
    token = request.headers.get("x-ms-continuation")
    with app.store.read() as conn:
        info = container(conn, request)
        lo, hi, _ = scope(conn, request, info)
        after = tokens.read_feed_position(token) if token else None
        rows = feeds.read_feed_page(conn, info.rid, lo, hi, after, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    headers = {"x-ms-item-count": str(len(rows))}
    if more:
        headers["x-ms-continuation"] = tokens.read_feed_token(rows[-1][0], rows[-1][1])
    body = (
        f'{{"_rid":"{info.rid}","Documents":[{",".join(r[2] for r in rows)}],"_count":{len(rows)}}}'
    )
    return text_response(200, body, headers)
