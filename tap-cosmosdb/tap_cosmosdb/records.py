"""Turn Cosmos DB documents and change-feed items into Singer records.

Records keep the document as stored, minus the system properties that only make sense inside
the account (``_rid``, ``_self``, ``_attachments``), and gain ``_sdc_partition_key``: the
document's partition-key value(s) in header form, exactly as the ``x-ms-documentdb-partitionkey``
request header carries them (:func:`cosmosdb_shared.partition_key.header_json`; ``[{}]`` stands
for an undefined value, i.e. a document lacking the path).
Together with ``id`` it identifies a document uniquely (Cosmos DB REST API, "Documents":
``id`` is unique within a logical partition).
"""

from __future__ import annotations

import datetime
import typing as t
from collections.abc import Mapping, Sequence

from cosmosdb_shared import conventions
from cosmosdb_shared.conventions import (
    DELETED_AT_PROPERTY,
    DROPPED_SYSTEM_PROPERTIES,
    PARTITION_KEY_PROPERTY,
)
from cosmosdb_shared.partition_key import UNDEFINED, document_header_json, lookup, path_parts

#: Values that do not fit their property's declared type, as read: ``{"<property>": <value>}``
#: (a name of the tap/target contract, :mod:`cosmosdb_shared.conventions`).
RESCUED_DATA_PROPERTY = conventions.RESCUED_DATA_PROPERTY
#: ``schema_mode: document``: the whole item as one JSON object.
DOCUMENT_PROPERTY = "document"
#: Top-level properties of a ``schema_mode: document`` record besides ``document``.
DOCUMENT_MODE_PROPERTIES: tuple[str, ...] = (PARTITION_KEY_PROPERTY, "id", "_ts", "_lsn")


def document_to_record(document: Mapping[str, t.Any], paths: Sequence[str]) -> dict[str, t.Any]:
    """Build a record from a document (as read, queried or from the LatestVersion change feed).

    Args:
        document: The document with its system properties.
        paths: The container's ``partitionKey.paths``.

    Returns:
        A new dict: the document without ``_rid``, ``_self``, ``_attachments``, plus
        ``_sdc_partition_key``.
    """
    return take_document(dict(document), paths)


def take_document(document: dict[str, t.Any], paths: Sequence[str]) -> dict[str, t.Any]:
    """Turn a document into its record in place (:func:`document_to_record` without the copy).

    For the dicts of a page the SDK has handed over (``ItemPaged`` / change-feed pages: each
    item is a dict decoded from the response body, referenced by nothing else once yielded),
    copying them only costs time.

    Args:
        document: The document with its system properties; it becomes the record.
        paths: The container's ``partitionKey.paths``.

    Returns:
        ``document`` itself, without ``_rid``, ``_self``, ``_attachments``, plus
        ``_sdc_partition_key``.
    """
    header = document_header_json(document, paths)  # before anything is dropped
    pop = document.pop
    for name in DROPPED_SYSTEM_PROPERTIES:
        pop(name, None)
    document[PARTITION_KEY_PROPERTY] = header
    return document


def _set_path(target: dict[str, t.Any], parts: Sequence[str], value: t.Any) -> None:
    node = target
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = value


def epoch_to_iso(seconds: float) -> str:
    """Format epoch seconds as an ISO-8601 UTC timestamp.

    Args:
        seconds: Seconds since 1970-01-01T00:00:00Z.

    Returns:
        E.g. ``"2026-11-21T07:35:45+00:00"``.
    """
    return datetime.datetime.fromtimestamp(float(seconds), tz=datetime.timezone.utc).isoformat()


def change_to_record(item: Mapping[str, t.Any], paths: Sequence[str]) -> dict[str, t.Any] | None:
    """Build a record from an AllVersionsAndDeletes change-feed item.

    Item shapes (.NET SDK ``ChangeFeedMetadataFields.cs``; Cosmos DB "Change feed modes",
    https://learn.microsoft.com/azure/cosmos-db/nosql/change-feed-modes)::

        {"current": {...}, "metadata": {"operationType": "create"|"replace", "lsn": 9, "crts": 1795250145}}
        {"previous": {...}, "metadata": {"operationType": "delete", "lsn": 10, "crts": ...,
                                         "id": "1", "partitionKey": {"pk": "p1"}}}

    Creates and replaces give the current image. A delete gives ``id``, the partition-key
    fields, ``_sdc_partition_key`` and ``_sdc_deleted_at`` (the commit time ``crts`` as
    ISO-8601), plus ``_lsn``.

    Args:
        item: One change-feed item.
        paths: The container's ``partitionKey.paths``.

    Returns:
        The record, or None for an item with neither a current image nor delete metadata.
    """
    metadata = item.get("metadata") or {}
    operation = str(metadata.get("operationType", "")).lower()
    if operation != "delete":
        current = item.get("current")
        if not isinstance(current, Mapping):
            # LatestVersion-shaped item (no envelope).
            if "id" in item and "metadata" not in item:
                return document_to_record(item, paths)
            return None
        record = document_to_record(current, paths)
        if "_lsn" not in record and metadata.get("lsn") is not None:
            record["_lsn"] = metadata["lsn"]
        return record
    previous = item.get("previous") if isinstance(item.get("previous"), Mapping) else None
    doc_id = metadata.get("id", previous.get("id") if previous else None)
    deleted: dict[str, t.Any] = {"id": doc_id}
    pk_source: dict[str, t.Any] = {}
    pk_meta = metadata.get("partitionKey")
    if isinstance(pk_meta, Mapping) and pk_meta:
        # {"pk": "p1"} or, for nested paths, keyed by the path's last member.
        for path in paths:
            parts = path_parts(path)
            for key in (path, path.lstrip("/"), parts[-1]):
                if key in pk_meta:
                    _set_path(pk_source, parts, pk_meta[key])
                    break
    elif previous is not None:
        for path in paths:
            parts = path_parts(path)
            value = lookup(previous, parts)
            if value is not UNDEFINED:
                _set_path(pk_source, parts, value)
    deleted.update({k: v for k, v in pk_source.items() if k != "id"})
    deleted[PARTITION_KEY_PROPERTY] = document_header_json(pk_source, paths)
    if metadata.get("lsn") is not None:
        deleted["_lsn"] = metadata["lsn"]
    crts = metadata.get("crts")
    deleted[DELETED_AT_PROPERTY] = epoch_to_iso(crts) if crts is not None else None
    return deleted


def document_record(record: Mapping[str, t.Any]) -> dict[str, t.Any]:
    """Wrap a record for ``schema_mode: document``.

    Args:
        record: A record from :func:`document_to_record` or :func:`change_to_record`.

    Returns:
        ``_sdc_partition_key``, ``id``, ``_ts``, ``_lsn`` (None when the item has none),
        ``_sdc_deleted_at`` for a delete, and ``document``: the item as read (without
        ``_rid``, ``_self``, ``_attachments``), or None for a delete.
    """
    wrapped = {name: record.get(name) for name in DOCUMENT_MODE_PROPERTIES}
    if DELETED_AT_PROPERTY in record:
        wrapped[DELETED_AT_PROPERTY] = record[DELETED_AT_PROPERTY]
        wrapped[DOCUMENT_PROPERTY] = None
    else:
        document = dict(record)
        del document[PARTITION_KEY_PROPERTY]
        wrapped[DOCUMENT_PROPERTY] = document
    return wrapped
