"""Counters served by ``GET /_emulator/stats``.

Shape::

    {"requests": int, "request_charge": float, "throttled": int, "faults": int,
     "by_operation": {"write": int, ...},
     "containers": {"db/coll": {"requests": int, "request_charge": float, "throttled": int,
                                "faults": int, "max_in_flight": {"change_feed": int, ...},
                                "query_steps": int,
                                "documents_per_range": {"0": int, ...}}}}

``documents_per_range`` counts the documents currently stored in each online physical range.
``query_steps`` is the storage work of the container's document queries: SQLite virtual-machine
instructions, counted in steps of :data:`QUERY_STEP` by a progress handler (Python ``sqlite3``
``Connection.set_progress_handler``) while each query request runs; it grows with the rows a
query reads and sorts, whatever the clock, so paging costs can be compared without timing.
``max_in_flight`` is the largest number of requests of one operation kind (see
:func:`cosmosdb_emulator.operations.classify`) on the container that were being served at the
same time, injected ``delay`` included (a request whose connection a ``drop_*`` fault closed
stays counted as in flight).
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from cosmosdb_emulator import catalog, feeds
from cosmosdb_emulator.app import App, Hooks
from cosmosdb_emulator.messages import Request, Response
from cosmosdb_emulator.operations import classify, container_key

QUERY_STEP = 1000
"""SQLite virtual-machine instructions between two counts of ``query_steps``."""


class StatsHook(Hooks):
    """Counts requests, RU, throttles and injected faults (total and per container)."""

    def __init__(self, app: App) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._totals: Counter[str] = Counter()
        self._charge = 0.0
        self._by_op: Counter[str] = Counter()
        self._containers: dict[str, dict[str, Any]] = {}
        self._in_flight: Counter[tuple[str, str]] = Counter()

    def before(self, app: App, request: Request) -> Response | None:
        """Count the request as in flight (runs before the other hooks, e.g. a fault's delay)."""
        kind, _ = classify(request)
        key = container_key(request)
        if kind == "admin" or key is None:
            return None
        with self._lock:
            self._in_flight[(key, kind)] += 1
            entry = self._containers.setdefault(
                key, {"requests": 0, "request_charge": 0.0, "throttled": 0, "faults": 0}
            )
            peaks = entry.setdefault("max_in_flight", {})
            peaks[kind] = max(peaks.get(kind, 0), self._in_flight[(key, kind)])
        request.notes["stats_in_flight"] = (key, kind)
        return None

    def after(self, app: App, request: Request, response: Response) -> Response:
        """Record one answered request."""
        kind, _ = classify(request)
        if kind == "admin":
            return response
        key = container_key(request)
        throttled = bool(request.notes.get("throttled"))
        fault = "fault" in request.notes
        with self._lock:
            flight = request.notes.get("stats_in_flight")
            if flight is not None:
                self._in_flight[flight] -= 1
            self._totals["requests"] += 1
            self._totals["throttled"] += throttled
            self._totals["faults"] += fault
            self._charge += response.charge
            self._by_op[kind] += 1
            if key is not None:
                entry = self._containers.setdefault(
                    key, {"requests": 0, "request_charge": 0.0, "throttled": 0, "faults": 0}
                )
                entry["requests"] += 1
                entry["request_charge"] = round(entry["request_charge"] + response.charge, 2)
                entry["throttled"] += throttled
                entry["faults"] += fault
        return response

    def add_query_steps(self, key: str, steps: int) -> None:
        """Add ``steps`` SQLite instructions run by a query on container ``key`` ("db/coll")."""
        with self._lock:
            entry = self._containers.setdefault(
                key, {"requests": 0, "request_charge": 0.0, "throttled": 0, "faults": 0}
            )
            entry["query_steps"] = entry.get("query_steps", 0) + steps

    def snapshot(self) -> dict[str, Any]:
        """All counters plus per-range document counts read from storage."""
        with self._lock:
            containers = {
                k: {**v, "max_in_flight": dict(v.get("max_in_flight", {}))}
                for k, v in self._containers.items()
            }
            out: dict[str, Any] = {
                "requests": self._totals["requests"],
                "request_charge": round(self._charge, 2),
                "throttled": self._totals["throttled"],
                "faults": self._totals["faults"],
                "by_operation": dict(self._by_op),
            }
        with self._app.store.read() as conn:
            for db_id, coll_id, rid in catalog.container_names(conn):
                per_range = {
                    rng.id: feeds.count(conn, rid, rng.min_epk, rng.max_epk)
                    for rng in catalog.ranges(conn, rid)
                }
                entry = containers.setdefault(
                    f"{db_id}/{coll_id}",
                    {"requests": 0, "request_charge": 0.0, "throttled": 0, "faults": 0},
                )
                entry["documents_per_range"] = per_range
        out["containers"] = containers
        return out
