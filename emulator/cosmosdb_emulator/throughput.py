"""Provisioned throughput (RU/s) per container, enforced with 429 / sub-status 3200.

The rate comes from the container's offer (``offer_throughput`` at creation, ``replace_throughput``,
see :mod:`cosmosdb_emulator.offers`) or from the admin call ``PUT /_emulator/throughput``.

Each container with a provisioned rate has a token bucket holding at most one second of RU
(``ru_per_second``), refilled continuously. A request is admitted while the balance is positive;
its charge is then deducted (the balance may go negative, as the service lets one request
overdraw). While the balance is negative, data-plane requests get ``429`` with
``x-ms-retry-after-ms`` = time until the balance is positive again and ``x-ms-substatus: 3200``.
The SDK retries these itself, up to 9 retries / 30 s by default
(``azure/cosmos/_retry_options.py:RetryOptions``; Cosmos DB "Request rate too large (429)",
https://learn.microsoft.com/azure/cosmos-db/nosql/troubleshoot-request-rate-too-large).
"""

from __future__ import annotations

import math
import threading
import time

from cosmosdb_emulator import catalog
from cosmosdb_emulator.app import App, Hooks
from cosmosdb_emulator.errors import CosmosError
from cosmosdb_emulator.messages import Request, Response, error_response
from cosmosdb_emulator.operations import DATA_PLANE, classify, container_key

SUBSTATUS_RU_BUDGET_EXCEEDED = 3200


class _Bucket:
    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.balance = rate
        self.stamp = time.monotonic()

    def refill(self) -> None:
        now = time.monotonic()
        self.balance = min(self.rate, self.balance + (now - self.stamp) * self.rate)
        self.stamp = now


class ThroughputHook(Hooks):
    """Token-bucket RU/s limit per ``database/container`` (set through the admin API)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}

    def set_rate(self, key: str, ru_per_second: float | None) -> None:
        """Provision ``ru_per_second`` for ``database/container`` (``None`` = unlimited)."""
        with self._lock:
            if ru_per_second is None:
                self._buckets.pop(key, None)
            else:
                self._buckets[key] = _Bucket(float(ru_per_second))

    def forget_database(self, db_id: str) -> None:
        """Drop the buckets of every container of a deleted database."""
        prefix = f"{db_id}/"
        with self._lock:
            for key in [k for k in self._buckets if k.startswith(prefix)]:
                del self._buckets[key]

    def before(self, app: App, request: Request) -> Response | None:
        """Answer 429 while the container's bucket is overdrawn."""
        key = container_key(request)
        if key is None or classify(request)[0] not in DATA_PLANE:
            return None
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                return None
            bucket.refill()
            if bucket.balance > 0:
                return None
            wait_ms = max(1, math.ceil(-bucket.balance / bucket.rate * 1000) + 1)
        request.notes["throttled"] = True
        return error_response(
            CosmosError(
                429,
                "Request rate is large. More Request Units may be needed, so no changes were made.",
                substatus=SUBSTATUS_RU_BUDGET_EXCEEDED,
                headers={"x-ms-retry-after-ms": str(wait_ms)},
            )
        )

    def after(self, app: App, request: Request, response: Response) -> Response:
        """Deduct the request's charge from its container's bucket."""
        key = container_key(request)
        if key is None or response.status == 429:
            return response
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is not None:
                bucket.refill()
                bucket.balance -= response.charge
        return response


def apply_rate(
    app: App, coll_rid: str, ru_per_second: float | None, names: tuple[str, str] | None = None
) -> None:
    """Make the throughput hook enforce ``ru_per_second`` for a container (``None`` = unlimited).

    Args:
        app: Server state (no-op without the throughput hook).
        coll_rid: Container RID (used to find its names when ``names`` is not given).
        ru_per_second: RU/s to enforce, or ``None``.
        names: ``(database id, container id)`` if already known (e.g. for a deleted container).
    """
    hook = app.throughput
    if hook is None:
        return
    if names is None:
        with app.store.read() as conn:
            names = catalog.container_name(conn, coll_rid)
        if names is None:
            return
    hook.set_rate(f"{names[0]}/{names[1]}", ru_per_second)


def forget_database(app: App, db_id: str) -> None:
    """Stop enforcing throughput for every container of a deleted database."""
    hook = app.throughput
    if hook is not None:
        hook.forget_database(db_id)
