"""Change feed (pull model): LatestVersion and AllVersionsAndDeletes.

Source relied on: azure-cosmos 4.17.1 ``_change_feed/change_feed_fetcher.py``,
``change_feed_state.py``, ``change_feed_start_from.py``; Cosmos DB REST "List documents"
(https://learn.microsoft.com/rest/api/cosmos-db/list-documents, ``A-IM: Incremental feed``) and
"Change feed pull model" (https://learn.microsoft.com/azure/cosmos-db/nosql/change-feed-pull-model).
A 304 must carry an ``etag`` (``change_feed_fetcher.py:fetch_change_feed_items`` otherwise resets
the range's token), and a split is 410 / sub-status 1002.

Token semantics (:mod:`cosmosdb_emulator.tokens`): the etag is ``"<lsn>"`` with a container-wide
LSN, so a token taken on a parent range stays valid on its children after a split.
"""

from __future__ import annotations

import json
from email.utils import parsedate_to_datetime
from typing import Any

from cosmosdb_emulator import catalog, feeds, tokens
from cosmosdb_emulator.app import App
from cosmosdb_emulator.errors import bad_request
from cosmosdb_emulator.handlers.common import container, page_size, scope
from cosmosdb_emulator.messages import Request, Response, dumps, text_response
from cosmosdb_emulator.storage import Connection

FULL_FIDELITY = "full-fidelity feed"


def _since(request: Request) -> int | None:
    raw = request.headers.get("If-Modified-Since")
    if not raw:
        return None
    try:
        return int(parsedate_to_datetime(raw).timestamp())
    except (TypeError, ValueError) as exc:
        raise bad_request(f"Invalid If-Modified-Since header {raw!r}.") from exc


def _pk_object(paths: list[str], pk_json: str) -> dict[str, object]:
    comps = json.loads(pk_json)
    out: dict[str, object] = {}
    for path, value in zip(paths, comps, strict=False):
        if value != {}:
            out[path.lstrip("/")] = value
    return out


def _with_lsn(text: str, lsn: int) -> str:
    return f'{text[:-1]},"_lsn":{lsn}}}'


def run(app: App, request: Request) -> Response:
    """Serve one change-feed page.

    Returns:
        200 with ``Documents`` and ``etag: "<lsn>"``, or 304 with the current LSN as etag when
        nothing is new (the etag is required: see the module docstring). 410/1002 if the named
        range was split.
    """
    full = (request.headers.get("A-IM") or "").strip().lower() == FULL_FIDELITY
    limit = page_size(request)
    token = tokens.decode_lsn(request.headers.get("If-None-Match"))
    since = _since(request)
    with app.store.read() as conn:
        info = container(conn, request)
        # A partition key header (sent by the .NET, Java and JavaScript SDKs, and by this SDK's
        # legacy ``partition_key`` change feed) limits the feed to that logical partition.
        lo, hi, _ = scope(conn, request, info)
        current = catalog.current_lsn(conn, info.rid)
        if token is tokens.START_NOW:
            return _not_modified(current)
        # The continuation is an LSN, so a page ends on a whole LSN: the documents of one
        # transactional batch share it and come in the same page, even past the page size.
        rows = feeds.change_rows(conn, info.rid, lo, hi, token, limit, since, full)
        if full:
            items = [_full_fidelity_item(conn, info.rid, info.paths, row) for row in rows]
        else:
            items = [_with_lsn(body, lsn) for lsn, body in rows]
    if not rows:
        return _not_modified(current)
    etag = rows[-1][0] if len(rows) >= limit else current
    body = f'{{"_rid":"{info.rid}","Documents":[{",".join(items)}],"_count":{len(items)}}}'
    return text_response(
        200,
        body,
        {"etag": tokens.lsn_etag(etag), "lsn": str(current), "x-ms-item-count": str(len(items))},
    )


def _not_modified(current: int) -> Response:
    """304 with the current LSN as etag (required: see the module docstring)."""
    return Response(304, b"", {"etag": tokens.lsn_etag(current), "lsn": str(current)})


def _full_fidelity_item(
    conn: Connection, coll_rid: str, paths: list[str], row: tuple[Any, ...]
) -> str:
    lsn, op, doc_id, pk_json, ts, body, prev_lsn, epk = row
    expired = op == "expire"  # deleted by time to live (cosmosdb_emulator.ttl)
    if expired:
        op = "delete"
    meta: dict[str, object] = {"operationType": op, "lsn": lsn, "crts": ts}
    previous: str | None = None
    if prev_lsn is not None:
        meta["previousImageLSN"] = prev_lsn
        prev = feeds.previous_image(conn, coll_rid, prev_lsn, epk, doc_id)
        if prev is not None:
            previous = _with_lsn(prev, prev_lsn)
    if op == "delete":
        meta["id"] = doc_id
        meta["partitionKey"] = _pk_object(paths, pk_json)
        meta["timeToLiveExpired"] = expired
    # A delete carries an empty current image, as from the service (azure-cosmos 4.17.1
    # tests/test_change_feed_all_versions.py checks ``"current" in`` every delete record).
    parts = [f'"current":{_with_lsn(body, lsn)}' if body is not None else '"current":{}']
    if previous is not None:
        parts.append(f'"previous":{previous}')
    parts.append(f'"metadata":{dumps(meta)}')
    return "{" + ",".join(parts) + "}"
