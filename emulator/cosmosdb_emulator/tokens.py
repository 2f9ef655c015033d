"""Continuation tokens: the one codec of the query, read-feed and change-feed paths.

The SDK treats every token as opaque and sends back exactly what it received (Cosmos DB REST
"Common request headers": ``x-ms-continuation``; "List documents": ``If-None-Match`` with the
``etag`` of the previous change-feed page).

- **Query and read feed** (``x-ms-continuation``): URL-safe base64 of compact JSON. The read
  feed puts ``[epk, id]`` of the last document sent; a query ``{"p": [sort key..., rows
  already sent from that document]}`` (a position-paged scan) or ``{"o": offset, "k": cache
  key}`` (a cached result).
- **Change feed** (``etag`` / ``If-None-Match``): ``"<lsn>"``, the container-wide LSN of the
  last change sent (quoted, as an HTTP entity tag); ``*`` means "from now". Being
  container-wide, a token taken on a range stays valid on its children after a split.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from cosmosdb_emulator.errors import bad_request
from cosmosdb_emulator.messages import dumps

START_NOW = None
"""What :func:`decode_lsn` returns for ``If-None-Match: *`` (read changes from now on)."""


def encode(value: Any) -> str:
    """An ``x-ms-continuation`` token for a JSON value (URL-safe base64 of compact JSON)."""
    return base64.urlsafe_b64encode(dumps(value).encode("utf-8")).decode("ascii")


def decode(token: str, message: str = "Invalid x-ms-continuation token.") -> Any:
    """The JSON value of a token made by :func:`encode`.

    Raises:
        CosmosError: 400 with ``message`` when the token is not base64 of JSON.
    """
    try:
        return json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, TypeError) as exc:
        raise bad_request(message) from exc


def read_feed_position(token: str) -> tuple[str, str]:
    """``(epk, id)`` of the last document a read-feed page sent.

    Raises:
        CosmosError: 400 when the token is not one of the read feed's.
    """
    value = decode(token)
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)):
        raise bad_request("Invalid x-ms-continuation token.")
    return value[0], value[1]


def read_feed_token(epk: str, doc_id: str) -> str:
    """The token of a read-feed page that ended on the document ``(epk, id)``."""
    return encode([epk, doc_id])


_QUERY_INVALID = "Invalid query continuation token."


def query_position(token: str, width: int) -> list[Any]:
    """The resume position ``[sort key (width values)..., rows sent]`` of a paged query.

    Raises:
        CosmosError: 400 when the token is not a position of that width.
    """
    try:
        start = list(decode(token, _QUERY_INVALID)["p"])
    except (KeyError, TypeError) as exc:
        raise bad_request(_QUERY_INVALID) from exc
    if len(start) != width + 1:
        raise bad_request(_QUERY_INVALID)
    return start


def query_position_token(position: list[Any]) -> str:
    """The token of a position-paged query page (see :func:`query_position`)."""
    return encode({"p": position})


def query_cursor(token: str) -> tuple[int, str]:
    """``(offset, cache key)`` of a query whose whole result is cached.

    Raises:
        CosmosError: 400 when the token is not such a cursor.
    """
    state = decode(token, _QUERY_INVALID)
    try:
        return int(state["o"]), str(state["k"])
    except (ValueError, KeyError, TypeError) as exc:
        raise bad_request(_QUERY_INVALID) from exc


def query_cursor_token(offset: int, key: str | None) -> str:
    """The token of a cached query result's next page (see :func:`query_cursor`)."""
    return encode({"o": offset, "k": key})


def lsn_etag(lsn: int) -> str:
    """The change-feed ``etag`` naming the container-wide LSN ``lsn``."""
    return f'"{lsn}"'


def decode_lsn(if_none_match: str | None) -> int | None:
    """The LSN after which a change-feed request reads.

    Args:
        if_none_match: The ``If-None-Match`` header: absent (from the beginning: 0), ``*``
            (from now: :data:`START_NOW`) or an etag from :func:`lsn_etag`.

    Raises:
        CosmosError: 400 for anything else.
    """
    if not if_none_match:
        return 0
    inm = if_none_match.strip()
    if inm == "*":
        return START_NOW
    try:
        return int(inm.strip('"'))
    except ValueError as exc:
        raise bad_request(f"Invalid change feed continuation (If-None-Match) {inm!r}.") from exc
