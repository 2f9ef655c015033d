"""Pure batching logic: dedupe, group by logical partition, and cut into batch-sized chunks.

Limits (Cosmos DB "Transactional batch operations",
https://learn.microsoft.com/azure/cosmos-db/nosql/transactional-batch): one transactional batch
holds at most 100 operations, all for one logical partition key, and its request body is at most
2 MB. The SDK enforces none of this; the service answers 400 or 413.
"""

from __future__ import annotations

import json
import typing as t
from dataclasses import dataclass, field

import msgspec

from cosmosdb_shared.partition_key import group_key, header_json
from target_cosmosdb import partition_key as pkmod

if t.TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

#: Most operations in one transactional batch.
MAX_BATCH_OPERATIONS = 100
#: Largest transactional batch request body, in bytes.
MAX_BATCH_BYTES = 2 * 1024 * 1024
#: Bytes the batch envelope adds per operation (``{"operationType":"Upsert","resourceBody":}`` and
#: a comma), rounded up.
OPERATION_OVERHEAD_BYTES = 64

#: Largest body estimated by an upper bound (:func:`estimate_operation_bytes`): a full batch of
#: operations this size stays within :data:`MAX_BATCH_BYTES`, so the bound never moves a cut.
SMALL_BODY_BYTES = (MAX_BATCH_BYTES - 2) // MAX_BATCH_OPERATIONS - OPERATION_OVERHEAD_BYTES
#: Compact JSON encoder for size estimates (msgspec, already installed with singer-sdk).
_encode = msgspec.json.Encoder().encode

#: What one record asks for.
Action = t.Literal["upsert", "create", "patch", "delete"]


@dataclass
class WriteItem:
    """One record's write, ready for a transactional batch.

    Attributes:
        stream: Stream name, for messages and dead letters.
        line: Input line number of the record (1-based), or None when unknown.
        doc_id: Document id.
        pk: Partition key components (:func:`target_cosmosdb.partition_key.extract`).
        action: ``upsert``, ``create``, ``patch`` or ``delete``.
        doc: The document (None for ``delete``).
        size: Estimated bytes this item adds to a batch request body.
        record: The record as received, for dead letters.
        uncertain: Set when an attempt that included this item ended with an unknown outcome
            (timeout, dropped connection), so a later 409 on ``create`` may be our own write.
        origin: Where the record came from when read from a BATCH file (``batch file 'x.json.gz'
            record 7``), else None.
    """

    stream: str
    line: int | None
    doc_id: str
    pk: pkmod.PartitionKeyValue
    action: Action
    doc: dict[str, t.Any] | None
    size: int
    record: dict[str, t.Any] | None = None
    uncertain: bool = field(default=False, compare=False)
    origin: str | None = None

    @property
    def key(self) -> tuple[tuple[t.Any, ...], str]:
        """``(partition key group, id)``: what identifies one document in a container."""
        return (group_key(self.pk), self.doc_id)

    def describe(self) -> str:
        """Name the record in messages: stream, line, id and partition key.

        Returns:
            E.g. ``stream 'orders' line 12 id '42' partition key ["x"]``.
        """
        where = f" line {self.line}" if self.line is not None else ""
        if self.origin:
            where += f" ({self.origin})"
        return (
            f"stream '{self.stream}'{where} id {self.doc_id[:200]!r} "
            f"partition key {header_json(self.pk)}"
        )


def estimate_operation_bytes(doc: t.Any) -> int:
    """Estimate the bytes one operation adds to a batch body.

    The SDK serialises batch bodies as compact JSON (``_synchronized_request.py``), possibly
    ASCII-escaped, so the ASCII-escaped length (never smaller than the UTF-8 length) is used.

    A body small enough that a hundred of them fit one batch (:data:`SMALL_BODY_BYTES`) is
    measured with msgspec (several times faster than ``json.dumps``) and given an upper bound:
    for ASCII output msgspec writes what ``json.dumps(doc, separators=(",", ":"))`` writes except
    float exponents, without ``+`` and zero padding (``1e300``, ``1e-7``; Python writes
    ``1e+300``, ``1e-07``), so two bytes are added per ``e`` in the output. A batch of such
    operations alone is never cut by size (the 100-operation limit comes first). Larger bodies,
    output with non-ASCII characters or DEL (escaped to six bytes each by ``json.dumps``), and
    values msgspec cannot encode are measured with ``json.dumps`` itself. For JSON values (what
    :func:`~target_cosmosdb.documents.to_document` returns) the estimate is never below the
    ``json.dumps`` length.

    Args:
        doc: The operation's resource body (document, or patch operations), or None.

    Returns:
        Bytes.
    """
    if doc is None:
        return OPERATION_OVERHEAD_BYTES
    try:
        encoded = _encode(doc)
    except (TypeError, ValueError, OverflowError):
        encoded = b""
    if encoded and encoded.isascii() and b"\x7f" not in encoded:
        bound = len(encoded) + 2 * encoded.count(b"e")
        if bound <= SMALL_BODY_BYTES:
            return bound + OPERATION_OVERHEAD_BYTES
    return len(json.dumps(doc, separators=(",", ":"), default=str)) + OPERATION_OVERHEAD_BYTES


def dedupe(items: Iterable[WriteItem]) -> tuple[list[WriteItem], int]:
    """Collapse items addressing the same document; the last one wins.

    The surviving item keeps the position of the *last* occurrence, so the output order is the
    order in which the final versions arrived.

    Args:
        items: Items in arrival order.

    Returns:
        ``(unique_items, number_of_items_dropped)``.
    """
    latest: dict[tuple[tuple[t.Any, ...], str], WriteItem] = {}
    total = 0
    for item in items:
        total += 1
        latest.pop(item.key, None)
        latest[item.key] = item
    return list(latest.values()), total - len(latest)


def group_by_partition(items: Iterable[WriteItem]) -> dict[tuple[t.Any, ...], list[WriteItem]]:
    """Group items by their full (hierarchical) logical partition key.

    Args:
        items: Items, typically deduplicated.

    Returns:
        Group key -> items in arrival order.
    """
    groups: dict[tuple[t.Any, ...], list[WriteItem]] = {}
    for item in items:
        groups.setdefault(group_key(item.pk), []).append(item)
    return groups


def chunk(
    items: Sequence[WriteItem],
    *,
    max_operations: int = MAX_BATCH_OPERATIONS,
    max_bytes: int = MAX_BATCH_BYTES,
    operations_of: t.Callable[[WriteItem], int] = lambda _item: 1,
) -> list[list[WriteItem]]:
    """Cut one partition's items into batches within the operation and size limits.

    An item larger than ``max_bytes`` on its own gets a chunk of its own (the writer then falls
    back to a point operation).

    Args:
        items: Items of one logical partition.
        max_operations: Most operations per chunk.
        max_bytes: Most estimated body bytes per chunk.
        operations_of: How many batch operations an item needs (patch can need several).

    Returns:
        Chunks in order; every item appears exactly once.
    """
    chunks: list[list[WriteItem]] = []
    current: list[WriteItem] = []
    ops = 0
    size = 2  # "[" and "]"
    for item in items:
        n = operations_of(item)
        if current and (ops + n > max_operations or size + item.size > max_bytes):
            chunks.append(current)
            current, ops, size = [], 0, 2
        current.append(item)
        ops += n
        size += item.size
    if current:
        chunks.append(current)
    return chunks
