"""Time to live: items past their expiry are deleted by a background sweep.

A container with ``defaultTtl`` set has time to live on. An item's effective TTL is its own
``ttl`` (an integer; ``-1`` = never) or else the container's ``defaultTtl`` (``-1`` = items
without ``ttl`` never expire). An item expires ``ttl`` seconds after its last write (``_ts``) and
is then deleted like any delete: it leaves the read feed, queries and the LatestVersion change
feed, and the AllVersionsAndDeletes change feed shows a delete with
``metadata.timeToLiveExpired: true`` (Cosmos DB docs "Time to Live"; "Change feed modes").
The sweep runs about once a second, so an item disappears within about a second of expiring.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import threading
import time

from cosmosdb_emulator import catalog
from cosmosdb_emulator.documents import writer
from cosmosdb_emulator.epk import components_to_json, extract_components
from cosmosdb_emulator.errors import CosmosError
from cosmosdb_emulator.messages import dumps
from cosmosdb_emulator.storage import Store

EXPIRE_OP = "expire"

_EXPIRED_SQL = """
SELECT epk, id, lsn, body FROM (
  SELECT epk, id, lsn, ts, body,
    CASE WHEN json_type(body, '$.ttl') = 'integer' THEN json_extract(body, '$.ttl') ELSE ? END AS e
  FROM docs WHERE coll_rid = ?)
WHERE e > 0 AND ts + e <= ?
"""


def _ttl_containers(conn: sqlite3.Connection) -> list[tuple[str, int]]:
    out = []
    for rid, text in conn.execute(
        "SELECT rid, body FROM containers WHERE json_type(body, '$.defaultTtl') = 'integer'"
    ):
        out.append((str(rid), int(json.loads(text)["defaultTtl"])))
    return out


def _by_rid(conn: sqlite3.Connection, rid: str) -> catalog.ContainerInfo:
    return catalog.container_info(conn, "", rid, True)


def purge_expired(store: Store, now: float | None = None) -> int:
    """Delete every expired item of every container with time to live on.

    Args:
        store: The emulator's storage.
        now: Current time in epoch seconds (default: the clock).

    Returns:
        How many items were deleted.
    """
    at = int(time.time() if now is None else now)
    with store.read() as conn:
        todo = [
            (rid, default)
            for rid, default in _ttl_containers(conn)
            if conn.execute(_EXPIRED_SQL + " LIMIT 1", (default, rid, at)).fetchone()
        ]
    deleted = 0
    for rid, default in todo:
        try:
            with writer(store, functools.partial(_by_rid, rid=rid)) as w:
                expired = w.conn.execute(_EXPIRED_SQL, (default, rid, at)).fetchall()
                for epk, doc_id, lsn, body in expired:
                    comps = extract_components(json.loads(body), w.container.paths)
                    w.delete_row(epk, doc_id, dumps(components_to_json(comps)), lsn, EXPIRE_OP)
                    deleted += 1
        except CosmosError:  # 404: the container was deleted meanwhile
            continue
    return deleted


class Sweeper:
    """A daemon thread calling :func:`purge_expired` every ``interval`` seconds."""

    def __init__(self, store: Store, interval: float = 1.0) -> None:
        self.store = store
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ttl-sweeper", daemon=True)

    def start(self) -> Sweeper:
        """Start sweeping."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop sweeping (waits for a sweep under way)."""
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                purge_expired(self.store)
            except sqlite3.Error:
                continue  # e.g. the store is closing; try again next time
            finally:
                self.store.release()
