"""SQLite storage: schema, one connection per thread, and the single write lock.

All state lives in SQLite (stdlib ``sqlite3``, WAL mode) so restarting on the same file keeps
databases, containers, RIDs, LSNs, partition key ranges and documents. Continuation tokens
name the container ``_rid``, which must survive a restart (azure-cosmos
``azure/cosmos/_change_feed/change_feed_state.py:ChangeFeedStateV2.from_continuation`` refuses a
token whose collection rid differs).
Writers serialize on one process-wide lock; LSNs are allocated under that lock, so a
container-wide LSN is strictly increasing and commits become visible in LSN order.

``:memory:`` is served from a temporary file that is deleted on :meth:`Store.close`, so every
thread can still open its own connection.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

Connection = sqlite3.Connection
"""A connection with an open transaction, handed from :class:`Store` to the storage functions."""

StorageError = sqlite3.Error
"""Raised when the SQLite file cannot be opened or used."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS databases(
  id TEXT PRIMARY KEY, rid TEXT NOT NULL UNIQUE, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS containers(
  rid TEXT PRIMARY KEY, db_rid TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL,
  lsn INTEGER NOT NULL DEFAULT 0, range_etag INTEGER NOT NULL DEFAULT 1,
  next_range_id INTEGER NOT NULL DEFAULT 0, throughput REAL,
  UNIQUE(db_rid, id));
CREATE TABLE IF NOT EXISTS pkranges(
  coll_rid TEXT NOT NULL, id TEXT NOT NULL, min_epk TEXT NOT NULL, max_epk TEXT NOT NULL,
  parents TEXT NOT NULL, gone INTEGER NOT NULL DEFAULT 0, etag INTEGER NOT NULL,
  ts INTEGER NOT NULL, PRIMARY KEY(coll_rid, id));
CREATE TABLE IF NOT EXISTS docs(
  coll_rid TEXT NOT NULL, epk TEXT NOT NULL, id TEXT NOT NULL, rid TEXT NOT NULL,
  lsn INTEGER NOT NULL, ts INTEGER NOT NULL, body TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS docs_key ON docs(coll_rid, epk, id);
CREATE INDEX IF NOT EXISTS docs_lsn ON docs(coll_rid, lsn, epk);
CREATE INDEX IF NOT EXISTS docs_rid ON docs(coll_rid, rid);
CREATE INDEX IF NOT EXISTS docs_ts ON docs(coll_rid, ts, epk, id);
CREATE TABLE IF NOT EXISTS changes(
  coll_rid TEXT NOT NULL, lsn INTEGER NOT NULL, op TEXT NOT NULL, epk TEXT NOT NULL,
  id TEXT NOT NULL, pk TEXT NOT NULL, ts INTEGER NOT NULL, body TEXT, prev_lsn INTEGER);
DROP INDEX IF EXISTS changes_lsn;
CREATE UNIQUE INDEX IF NOT EXISTS changes_key ON changes(coll_rid, lsn, epk, id);
CREATE TABLE IF NOT EXISTS children(
  parent_rid TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL, rid TEXT NOT NULL UNIQUE,
  body TEXT NOT NULL, PRIMARY KEY(parent_rid, type, id));
CREATE TABLE IF NOT EXISTS offers(
  rid TEXT PRIMARY KEY, coll_rid TEXT NOT NULL UNIQUE, body TEXT NOT NULL);
"""


class StepCounter:
    """A SQLite progress handler that counts its calls (see :meth:`Store.counting_steps`)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> int:
        """Count one call; returns 0 so that SQLite goes on with the statement."""
        self.count += 1
        return 0


class Store:
    """Owner of the SQLite file and its per-thread connections.

    Args:
        path: SQLite file path, or ``":memory:"`` for a throw-away temporary file.

    Attributes:
        write_lock: The single process-wide write lock (also guards LSN allocation).
    """

    def __init__(self, path: str) -> None:
        self._temp_dir: tempfile.TemporaryDirectory[str] | None = None
        if path == ":memory:":
            self._temp_dir = tempfile.TemporaryDirectory(prefix="cosmosdb-emulator-")
            path = os.path.join(self._temp_dir.name, "data.sqlite")
        self.path = path
        self.write_lock = threading.Lock()
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        conn = self.connection()
        conn.executescript(SCHEMA)

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (autocommit mode; transactions are explicit)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=30.0
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA cache_size=-4000")
            conn.execute("PRAGMA temp_store=MEMORY")
            self._local.conn = conn
            with self._all_lock:
                self._all.append(conn)
        return conn

    def release(self) -> None:
        """Close this thread's connection (called when an HTTP connection's thread ends)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            return
        self._local.conn = None
        with self._all_lock:
            if conn in self._all:
                self._all.remove(conn)
        conn.close()

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: every statement inside sees the same committed snapshot."""
        conn = self.connection()
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    @contextmanager
    def counting_steps(self, every: int) -> Iterator[StepCounter]:
        """Count this thread's SQLite virtual-machine instructions while the block runs.

        Python ``sqlite3`` ``Connection.set_progress_handler``: the handler runs once every
        ``every`` instructions of any statement on this thread's connection.

        Args:
            every: Instructions per count (a handler call costs one Python call).

        Yields:
            The counter; ``count * every`` approximates the instructions run.
        """
        conn = self.connection()
        counter = StepCounter()
        conn.set_progress_handler(counter, every)
        try:
            yield counter
        finally:
            conn.set_progress_handler(None, 0)

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction under the write lock; rolled back if the block raises."""
        conn = self.connection()
        with self.write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def close(self) -> None:
        """Close every connection and remove the temporary file used for ``:memory:``."""
        with self._all_lock:
            for conn in self._all:
                with suppress(sqlite3.Error):
                    conn.close()
            self._all.clear()
        if self._temp_dir is not None:
            self._temp_dir.cleanup()
            self._temp_dir = None
