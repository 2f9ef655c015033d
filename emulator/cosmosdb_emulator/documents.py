"""Document writes and reads inside a storage transaction.

Every write allocates the next container-wide LSN, stores the document's final JSON text (with
system properties) in ``docs`` and appends a row to the ``changes`` log used by the
AllVersionsAndDeletes change feed (Cosmos DB "Change feed modes",
https://learn.microsoft.com/azure/cosmos-db/nosql/change-feed-modes).
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from cosmosdb_emulator import rids
from cosmosdb_emulator.catalog import ContainerInfo, validate_id
from cosmosdb_emulator.epk import components_to_json, effective_partition_key, extract_components
from cosmosdb_emulator.errors import (
    CosmosError,
    bad_request,
    conflict,
    not_found,
    precondition_failed,
)
from cosmosdb_emulator.messages import dumps
from cosmosdb_emulator.storage import Store

MAX_DOCUMENT_BYTES = 2 * 1024 * 1024
# Sub-status of a 400 for a body/header partition key mismatch (Cosmos DB REST docs, "HTTP
# status codes": 400/1001 PartitionKeyMismatch).
SUBSTATUS_PARTITION_KEY_MISMATCH = 1001
SYSTEM_PROPERTIES = ("_rid", "_self", "_etag", "_attachments", "_ts", "_lsn")


@dataclass
class PartitionKey:
    """A decoded partition key header: components, their EPK and canonical JSON."""

    components: list[Any]
    epk: str
    json: str
    version: int = 2

    @classmethod
    def of(cls, components: list[Any], version: int = 2) -> PartitionKey:
        """Build from decoded components (``version``: the container's partition key version)."""
        return cls(
            components,
            effective_partition_key(components, version),
            dumps(components_to_json(components)),
            version,
        )

    def for_version(self, version: int) -> PartitionKey:
        """The same key hashed for a container of partition key ``version``."""
        return self if version == self.version else PartitionKey.of(self.components, version)


@dataclass
class WriteResult:
    """Outcome of one document operation: status, stored text (None for delete) and etag."""

    status: int
    text: str | None
    etag: str | None
    lsn: int


class Writer:
    """Applies document operations for one container inside one write transaction.

    Open one with :func:`writer`, which opens the transaction and stores the LSN counter when
    the block ends (the only caller of :meth:`_finish`).

    Args:
        conn: Connection with an open write transaction (``Store.write``).
        container: The target container.
    """

    def __init__(self, conn: sqlite3.Connection, container: ContainerInfo) -> None:
        self.conn = conn
        self.container = container
        row = conn.execute("SELECT lsn FROM containers WHERE rid=?", (container.rid,)).fetchone()
        if row is None:
            raise not_found("Container")
        self.lsn = int(row[0])
        self.now = int(time.time())
        self._single_lsn = False
        self._shared_lsn: int | None = None

    def single_lsn(self) -> None:
        """Commit every following write at one LSN, as the service commits a transactional batch.

        The first write allocates the LSN; later writes reuse it, so each document's ``_lsn``
        and the response's ``lsn`` header are that one LSN (azure-cosmos 4.17.1
        ``tests/test_transactional_batch.py:test_batch_lsn``). A document written twice in the
        batch keeps one change-feed record, its last state.
        """
        self._single_lsn = True

    def _next_lsn(self) -> int:
        if not self._single_lsn:
            self.lsn += 1
        elif self._shared_lsn is None:
            self.lsn += 1
            self._shared_lsn = self.lsn
        return self.lsn

    def _undo_lsn(self) -> None:
        if not self._single_lsn:
            self.lsn -= 1

    def _log_change(
        self,
        epk: str,
        doc_id: str,
        pk_json: str,
        op: str,
        body: str | None,
        prev_lsn: int | None,
    ) -> None:
        """Append a ``changes`` row (replacing this batch's earlier row for the same document)."""
        self.conn.execute(
            "INSERT INTO changes(coll_rid, lsn, op, epk, id, pk, ts, body, prev_lsn)"
            " VALUES(?,?,?,?,?,?,?,?,?)"
            " ON CONFLICT(coll_rid, lsn, epk, id) DO UPDATE SET"
            " op=CASE WHEN changes.op='create' AND excluded.op='replace' THEN 'create'"
            " ELSE excluded.op END, ts=excluded.ts, body=excluded.body",
            (self.container.rid, self.lsn, op, epk, doc_id, pk_json, self.now, body, prev_lsn),
        )

    def _finish(self) -> None:
        """Persist the container's LSN counter (before the transaction commits)."""
        self.conn.execute("UPDATE containers SET lsn=? WHERE rid=?", (self.lsn, self.container.rid))

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Apply the block's writes all or none, inside the open transaction.

        If the block raises, its writes are rolled back and the LSN counter is restored (the
        transaction stays open for the following operations); the exception propagates.
        """
        lsn, shared = self.lsn, self._shared_lsn
        self.conn.execute("SAVEPOINT writer_op")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK TO writer_op")
            self.conn.execute("RELEASE writer_op")
            self.lsn, self._shared_lsn = lsn, shared
            raise
        self.conn.execute("RELEASE writer_op")

    def read(self, pk: PartitionKey, doc_id: str) -> str | None:
        """The stored JSON text of a document in this transaction, or ``None``."""
        return read_document(self.conn, self.container, pk.epk, doc_id)

    # ------------------------------------------------------------------ helpers

    def _existing(self, pk: PartitionKey, doc_id: str) -> tuple[str, int, str] | None:
        row = self.conn.execute(
            "SELECT rid, lsn, body FROM docs WHERE coll_rid=? AND epk=? AND id=?",
            (self.container.rid, pk.epk, doc_id),
        ).fetchone()
        return None if row is None else (str(row[0]), int(row[1]), str(row[2]))

    def check_body(self, body: Any, pk: PartitionKey | None) -> tuple[dict[str, Any], PartitionKey]:
        """Validate a document body against the container and the partition key header.

        Returns:
            The body and the partition key to place it by (from the header, or from the body
            when no header was sent).

        Raises:
            CosmosError: 400 for a non-object body, a bad id or a header/body key mismatch.
        """
        if not isinstance(body, dict):
            raise bad_request("The document body must be a JSON object.")
        validate_id(body.get("id"), "document")
        if self.container.default_ttl is not None and "ttl" in body:
            ttl = body["ttl"]
            if isinstance(ttl, bool) or not isinstance(ttl, int) or (ttl < 1 and ttl != -1):
                # In a container with time to live on, an item's ``ttl`` is -1 or > 0 seconds.
                raise bad_request(
                    "The value of ttl must be -1 or a positive integer number of seconds."
                )
        from_body = extract_components(body, self.container.paths)
        version = self.container.version
        if pk is None:
            return body, PartitionKey.of(from_body, version)
        pk = pk.for_version(version)
        if pk.components and effective_partition_key(from_body, version) != pk.epk:
            raise bad_request(
                "PartitionKey extracted from document doesn't match the one specified in the header.",
                substatus=SUBSTATUS_PARTITION_KEY_MISMATCH,
            )
        return body, pk

    def _store(
        self,
        body: dict[str, Any],
        pk: PartitionKey,
        rid: str | None,
        prev_lsn: int | None,
        op: str,
        old_id: str | None = None,
    ) -> WriteResult:
        self._next_lsn()
        doc_rid = rid or rids.new_document_rid(self.container.rid)
        etag = f'"{uuid.uuid4()}"'
        doc = {k: v for k, v in body.items() if k not in SYSTEM_PROPERTIES}
        doc["_rid"] = doc_rid
        doc["_self"] = f"{self.container.self_link}docs/{doc_rid}/"
        doc["_etag"] = etag
        doc["_attachments"] = "attachments/"
        doc["_ts"] = self.now
        text = dumps(doc)
        if len(text.encode("utf-8")) > MAX_DOCUMENT_BYTES:
            raise CosmosError(413, "Request size is too large.")
        cid = self.container.rid
        if rid is None:
            try:
                self.conn.execute(
                    "INSERT INTO docs(coll_rid, epk, id, rid, lsn, ts, body) VALUES(?,?,?,?,?,?,?)",
                    (cid, pk.epk, doc["id"], doc_rid, self.lsn, self.now, text),
                )
            except sqlite3.IntegrityError:  # unique (coll_rid, epk, id): the id exists
                self._undo_lsn()
                raise conflict() from None
        else:
            try:
                self.conn.execute(
                    "UPDATE docs SET id=?, lsn=?, ts=?, body=? WHERE coll_rid=? AND epk=? AND id=?",
                    (doc["id"], self.lsn, self.now, text, cid, pk.epk, old_id or doc["id"]),
                )
            except sqlite3.IntegrityError:  # renamed to an id the logical partition has
                self._undo_lsn()
                raise conflict() from None
        self._log_change(pk.epk, doc["id"], pk.json, op, text, prev_lsn)
        return WriteResult(201 if op == "create" else 200, text, etag, self.lsn)

    @staticmethod
    def _check_if_match(existing_text: str, if_match: str | None) -> None:
        if if_match and if_match != "*":
            etag = json.loads(existing_text).get("_etag")
            if etag != if_match:
                raise precondition_failed()

    # ------------------------------------------------------------------ operations

    def create(self, body: Any, pk: PartitionKey | None) -> WriteResult:
        """Insert a new document (409 if the id exists in the logical partition)."""
        body, pk = self.check_body(body, pk)
        return self._store(body, pk, None, None, "create")  # 409 from the unique index

    def upsert(
        self, body: Any, pk: PartitionKey | None, if_match: str | None = None
    ) -> WriteResult:
        """Insert (201) or replace (200) a document."""
        body, pk = self.check_body(body, pk)
        existing = self._existing(pk, body["id"])
        if existing is None:
            if if_match and if_match != "*":
                raise precondition_failed()
            return self._store(body, pk, None, None, "create")
        self._check_if_match(existing[2], if_match)
        return self._store(body, pk, existing[0], existing[1], "replace")

    def replace(
        self, doc_id: str, body: Any, pk: PartitionKey | None, if_match: str | None
    ) -> WriteResult:
        """Replace an existing document (404 if missing, 412 on an ``If-Match`` mismatch).

        A body whose ``id`` differs from the one in the URI renames the item (same ``_rid``;
        409 if the new id exists in the logical partition), as the service does (Cosmos DB
        REST docs "Replace a document": only the partition key must stay the same).
        """
        body, pk = self.check_body(body, pk)
        existing = self._existing(pk, doc_id)
        if existing is None:
            raise not_found("Document")
        self._check_if_match(existing[2], if_match)
        return self._store(body, pk, existing[0], existing[1], "replace", old_id=doc_id)

    def patch(
        self,
        doc_id: str,
        patch_body: Any,
        pk: PartitionKey,
        if_match: str | None,
    ) -> WriteResult:
        """Apply a JSON patch (add/set/replace/remove/incr/move, optional condition)."""
        from cosmosdb_emulator.patch import apply_patch

        pk = pk.for_version(self.container.version)
        existing = self._existing(pk, doc_id)
        if existing is None:
            raise not_found("Document")
        self._check_if_match(existing[2], if_match)
        doc = json.loads(existing[2])
        new_doc = apply_patch(doc, patch_body)
        if new_doc.get("id") != doc_id:
            raise bad_request("Patch must not change the document id.")
        components = extract_components(new_doc, self.container.paths)
        if effective_partition_key(components, self.container.version) != pk.epk:
            raise bad_request("Patch must not change the partition key value.")
        return self._store(new_doc, pk, existing[0], existing[1], "replace")

    def delete(self, doc_id: str, pk: PartitionKey, if_match: str | None) -> WriteResult:
        """Delete a document (404 if missing, 412 on an ``If-Match`` mismatch)."""
        pk = pk.for_version(self.container.version)
        existing = self._existing(pk, doc_id)
        if existing is None:
            raise not_found("Document")
        self._check_if_match(existing[2], if_match)
        self.delete_row(pk.epk, doc_id, pk.json, existing[1])
        return WriteResult(204, None, None, self.lsn)

    def delete_row(
        self, epk: str, doc_id: str, pk_json: str, prev_lsn: int, op: str = "delete"
    ) -> None:
        """Delete one stored document and log the change (``op``: ``delete`` or ``expire``)."""
        self._next_lsn()
        self.conn.execute(
            "DELETE FROM docs WHERE coll_rid=? AND epk=? AND id=?",
            (self.container.rid, epk, doc_id),
        )
        self._log_change(epk, doc_id, pk_json, op, None, prev_lsn)

    def delete_range(self, min_epk: str, max_epk: str) -> int:
        """Delete every document with ``min_epk <= epk < max_epk``; returns how many."""
        rows = self.conn.execute(
            "SELECT epk, id, lsn, body FROM docs WHERE coll_rid=? AND epk>=? AND epk<?",
            (self.container.rid, min_epk, max_epk),
        ).fetchall()
        for epk, doc_id, lsn, body in rows:
            comps = extract_components(json.loads(body), self.container.paths)
            self.delete_row(epk, doc_id, dumps(components_to_json(comps)), lsn)
        return len(rows)


ContainerLookup = Callable[[sqlite3.Connection], ContainerInfo]
"""Finds a container inside the write transaction (e.g. from a request's path)."""


@contextmanager
def writer(store: Store, container: ContainerInfo | ContainerLookup) -> Iterator[Writer]:
    """A write transaction with a :class:`Writer`; the LSN counter is always persisted.

    The transaction commits when the block ends and rolls back (documents, change log and LSN
    counter together) when it raises, so the counter never falls behind the LSNs stored.

    Args:
        store: The emulator's storage.
        container: The container written to, or a function finding it with the transaction's
            connection (404 from it rolls back).

    Yields:
        The writer; its ``conn`` is the transaction's connection.
    """
    with store.write() as conn:
        info = container if isinstance(container, ContainerInfo) else container(conn)
        w = Writer(conn, info)
        try:
            yield w
        finally:
            w._finish()


def read_document(
    conn: sqlite3.Connection, container: ContainerInfo, epk: str, doc_id: str
) -> str | None:
    """The stored JSON text of a document, or ``None``."""
    row = conn.execute(
        "SELECT body FROM docs WHERE coll_rid=? AND epk=? AND id=?", (container.rid, epk, doc_id)
    ).fetchone()
    return None if row is None else str(row[0])


def read_document_lsn(
    conn: sqlite3.Connection, container: ContainerInfo, epk: str, doc_id: str
) -> tuple[str, int] | None:
    """The stored JSON text of a document and the LSN of its last write, or ``None``."""
    row = conn.execute(
        "SELECT body, lsn FROM docs WHERE coll_rid=? AND epk=? AND id=?",
        (container.rid, epk, doc_id),
    ).fetchone()
    return None if row is None else (str(row[0]), int(row[1]))


def find_by_rid(
    conn: sqlite3.Connection, container: ContainerInfo, doc_rid: str
) -> tuple[str, str] | None:
    """``(id, epk)`` of a document addressed by its ``_rid`` (``_self`` links)."""
    row = conn.execute(
        "SELECT id, epk FROM docs WHERE coll_rid=? AND rid=?", (container.rid, doc_rid)
    ).fetchone()
    return None if row is None else (str(row[0]), str(row[1]))
