"""Write deduplicated records to one container as concurrent transactional batches.

Protocol facts relied on (Cosmos DB "Transactional batch operations",
https://learn.microsoft.com/azure/cosmos-db/nosql/transactional-batch; ``azure/cosmos/container.py``
``execute_item_batch``; ``azure/cosmos/_cosmos_client_connection.py`` ``Batch``;
``azure/cosmos/_retry_utility.py`` ``Execute``):

* A batch is atomic. On failure the SDK raises ``CosmosBatchOperationError`` whose
  ``error_index``/``status_code`` name the first operation that failed with a status other than
  424; nothing in the batch was applied.
* A batch that is throttled, times out or is too large fails as a whole with a plain
  ``CosmosHttpResponseError`` (429 with ``x-ms-retry-after-ms``, 408, 413, 503, ...).

Retry policy (the SDK's own 429 retries are switched off, see :func:`target_cosmosdb.compat.throttle_free_policy`, so
every throttle reaches this module):

* 429: wait ``x-ms-retry-after-ms`` and retry without limit; the container's
  :class:`AdaptiveLimiter` halves the number of requests in flight (AIMD).
* 408, 449, 500, 502-504, 410/1002 and dropped connections: retried by the shared policy
  (``cosmosdb_shared.retry.with_retries``: jittered backoff) up to ``max_transient_tries``
  attempts. Every
  write is idempotent (upsert/patch-set/delete of deterministic ids); for ``create`` (write modes
  ``insert`` and ``append``) a 409 after an attempt whose outcome is unknown is resolved by
  reading the document back: if it equals what we sent, it was our own write.
* A failed batch is cut down to isolate the record(s) at fault (``error_index``, or halving when
  the service does not say which operation failed), so every other record still lands.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
import time
import typing as t
from dataclasses import dataclass, field
from functools import partial

from azure.core.exceptions import ServiceRequestError
from azure.cosmos.exceptions import CosmosBatchOperationError, CosmosHttpResponseError

from cosmosdb_shared.conventions import SYSTEM_PROPERTIES
from cosmosdb_shared.errors import describe_error, status_of
from cosmosdb_shared.partition_key import UNDEFINED, path_parts, sdk_value
from cosmosdb_shared.retry import (
    TRANSIENT_STATUSES,
    is_transient,
    retry_after_seconds,
    with_retries,
)
from target_cosmosdb import batching
from target_cosmosdb.errors import RecordRejected, TargetCosmosDBError, TerminatedDuringDrain

if t.TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from azure.cosmos import ContainerProxy

    from cosmosdb_shared import RequestChargeMeter
    from target_cosmosdb.batching import WriteItem

logger = logging.getLogger("target_cosmosdb.writer")

#: Most set operations in one patch request (Cosmos DB "Partial document update" limits).
MAX_PATCH_OPERATIONS = 10
#: Wait after a 429 that carried no ``x-ms-retry-after-ms``, in seconds.
DEFAULT_THROTTLE_WAIT = 0.1


class AdaptiveLimiter:
    """AIMD limit on the requests in flight against one container.

    Halved (at most once per "window": only a throttle on a request started after the previous
    decrease counts) on every 429; grown by ``1/limit`` per success, i.e. by about one request
    per round of ``limit`` successes, up to ``max_limit``. A 429 also pauses every new request
    for the ``x-ms-retry-after-ms`` the service asked for (:meth:`pause`).

    Args:
        max_limit: Upper bound (the ``max_concurrency`` setting).
        min_limit: Lower bound.
    """

    def __init__(self, max_limit: int, min_limit: int = 1) -> None:
        self.max_limit = max(1, max_limit)
        self.min_limit = max(1, min(min_limit, self.max_limit))
        self.limit = float(self.max_limit)
        self.in_flight = 0
        self.epoch = 0
        self.decreases = 0
        self.lowest = self.limit
        self.paused_until = 0.0
        self._cond = threading.Condition()

    def pause(self, seconds: float) -> None:
        """Hold every new request of the container for ``seconds`` (the service's retry-after).

        Without this, requests waiting for a slot would take the throttled one's place and be
        throttled in turn while the RU budget is still exhausted.

        Args:
            seconds: How long, from now.
        """
        with self._cond:
            self.paused_until = max(self.paused_until, time.monotonic() + max(0.0, seconds))

    def acquire(self, abort: threading.Event) -> int:
        """Wait for a free slot.

        Args:
            abort: When set, stop waiting.

        Returns:
            The window the request starts in (pass it to :meth:`release`).

        Raises:
            TerminatedDuringDrain: If ``abort`` is set while waiting.
        """
        with self._cond:
            while True:
                if abort.is_set():
                    raise TerminatedDuringDrain("write aborted")
                pause = self.paused_until - time.monotonic()
                if pause > 0:
                    self._cond.wait(min(pause, 0.2))
                elif self.in_flight >= int(self.limit):
                    self._cond.wait(0.2)
                else:
                    break
            if abort.is_set():
                raise TerminatedDuringDrain("write aborted")
            self.in_flight += 1
            return self.epoch

    def release(self, ticket: int, *, throttled: bool) -> None:
        """Free a slot and adapt the limit.

        Args:
            ticket: What :meth:`acquire` returned.
            throttled: True when the request got a 429.
        """
        with self._cond:
            self.in_flight -= 1
            if throttled:
                if ticket == self.epoch:
                    self.limit = max(float(self.min_limit), self.limit / 2)
                    self.epoch += 1
                    self.decreases += 1
                    self.lowest = min(self.lowest, self.limit)
            else:
                self.limit = min(float(self.max_limit), self.limit + 1.0 / self.limit)
            self._cond.notify_all()


@dataclass
class WriteStats:
    """Counters of one stream's writes (thread-safe through :meth:`add`).

    Attributes:
        written: Documents created, replaced or patched.
        deleted: Documents deleted (including deletes of documents that were already gone).
        skipped: Records not written on purpose (``append`` conflicts).
        dead_lettered: Records refused and written to the dead-letter file.
        batches: Transactional batches that succeeded.
        point_operations: Point operations (one document each) that succeeded.
        throttles: 429 responses.
        throttle_wait_seconds: Seconds spent waiting after 429s.
        retries: Retries after other transient errors.
    """

    written: int = 0
    deleted: int = 0
    skipped: int = 0
    dead_lettered: int = 0
    batches: int = 0
    point_operations: int = 0
    throttles: int = 0
    throttle_wait_seconds: float = 0.0
    retries: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **deltas: float) -> None:
        """Add to counters.

        Args:
            **deltas: Counter name -> amount.
        """
        with self._lock:
            for name, value in deltas.items():
                setattr(self, name, getattr(self, name) + value)


#: Called with a refused item and the reason: dead-letters and counts it, or raises to fail the
#: run (:meth:`target_cosmosdb.dead_letters.BadRecords.reject_item`).
RejectHandler = t.Callable[["WriteItem", str], None]


def _escape_pointer(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def patch_operations(doc: dict[str, t.Any], pk_paths: Sequence[str]) -> list[dict[str, t.Any]]:
    """Build the ``set`` operations that write a record's fields onto an existing document.

    ``id`` and the partition key properties cannot be patched (the service refuses), so they
    are left out; an object containing a nested partition key is patched property by property.

    Args:
        doc: The document built from the record.
        pk_paths: The container's partition key paths.

    Returns:
        Patch operations such as ``{"op": "set", "path": "/price", "value": 3.5}``.
    """
    split = [path_parts(p) for p in pk_paths]

    def walk(node: dict[str, t.Any], prefix: list[str]) -> list[dict[str, t.Any]]:
        ops: list[dict[str, t.Any]] = []
        for key, value in node.items():
            here = [*prefix, key]
            if not prefix and key == "id":
                continue
            if any(parts == here for parts in split):
                continue
            if isinstance(value, dict) and any(
                len(parts) > len(here) and parts[: len(here)] == here for parts in split
            ):
                ops.extend(walk(value, here))
                continue
            path = "/" + "/".join(_escape_pointer(p) for p in here)
            ops.append({"op": "set", "path": path, "value": value})
        return ops

    return walk(doc, [])


def _strip_system(doc: t.Any) -> t.Any:
    if isinstance(doc, dict):
        return {k: v for k, v in doc.items() if k not in SYSTEM_PROPERTIES}
    return doc


def _unknown_outcome(exc: BaseException) -> bool:
    """Tell whether a failed write may nevertheless have been applied."""
    status = status_of(exc)
    if status in (429, 449, 503):
        return False
    return not isinstance(exc, ServiceRequestError)  # connect failures never reached the server


class BatchWriter:
    """Write :class:`~target_cosmosdb.batching.WriteItem` lists to one container.

    Args:
        container: The container proxy.
        pk_paths: Its partition key paths.
        stream: Stream name (messages).
        limiter: The container's shared AIMD limiter.
        executor: Thread pool running the batches.
        abort: Event set on SIGTERM; stops new requests and waits.
        stats: Counters to update.
        on_reject: Called for each refused record (dead-letters and counts it, or raises).
        write_mode: ``upsert``, ``insert``, ``append`` or ``patch`` (for messages).
        max_transient_tries: Attempts per batch on transient errors other than 429.
        max_transient_seconds: Seconds after which no new attempt starts for those errors.
        meter: RU meter; requests made by the pool threads are attributed to scope ``stream``.
        hierarchical: True for a MultiHash container (default: more than one path).
    """

    def __init__(
        self,
        container: ContainerProxy,
        *,
        pk_paths: Sequence[str],
        stream: str,
        limiter: AdaptiveLimiter,
        executor: concurrent.futures.Executor,
        abort: threading.Event,
        stats: WriteStats,
        on_reject: RejectHandler,
        write_mode: str = "upsert",
        max_transient_tries: int = 8,
        max_transient_seconds: float = 120.0,
        meter: RequestChargeMeter | None = None,
        hierarchical: bool | None = None,
    ) -> None:
        self.container = container
        self.pk_paths = list(pk_paths)
        self.hierarchical = len(self.pk_paths) > 1 if hierarchical is None else hierarchical
        self.stream = stream
        self.limiter = limiter
        self.executor = executor
        self.abort = abort
        self.stats = stats
        self.on_reject = on_reject
        self.write_mode = write_mode
        self.max_transient_tries = max_transient_tries
        self.max_transient_seconds = max_transient_seconds
        self.meter = meter
        self._patch_cache: dict[int, list[list[dict[str, t.Any]]]] = {}

    # -- planning -------------------------------------------------------------------------------

    def _patch_chunks(self, item: WriteItem) -> list[list[dict[str, t.Any]]]:
        cached = self._patch_cache.get(id(item))
        if cached is None:
            ops = patch_operations(item.doc or {}, self.pk_paths)
            cached = [
                ops[i : i + MAX_PATCH_OPERATIONS] for i in range(0, len(ops), MAX_PATCH_OPERATIONS)
            ]
            self._patch_cache[id(item)] = cached
        return cached

    def operations_of(self, item: WriteItem) -> int:
        """Return how many batch operations ``item`` needs.

        Args:
            item: The item.

        Returns:
            1, or for ``patch`` one per 10 fields.
        """
        if item.action == "patch":
            return max(1, len(self._patch_chunks(item)))
        return 1

    def _operations(self, items: Sequence[WriteItem]) -> tuple[list[t.Any], list[int]]:
        ops: list[t.Any] = []
        owner: list[int] = []
        for index, item in enumerate(items):
            if item.action == "delete":
                ops.append(("delete", (item.doc_id,)))
                owner.append(index)
            elif item.action == "patch":
                chunks = self._patch_chunks(item)
                if not chunks:  # nothing but id/partition key: make sure the document exists
                    ops.append(("create", (item.doc,)))
                    owner.append(index)
                for part in chunks:
                    ops.append(("patch", (item.doc_id, part)))
                    owner.append(index)
            else:
                ops.append((item.action, (item.doc,)))
                owner.append(index)
        return ops, owner

    # -- public entry point ---------------------------------------------------------------------

    def point_eligible(self, item: WriteItem) -> bool:
        """Tell whether ``item`` alone in its logical partition is written as a point operation.

        A transactional batch of one operation costs the same request as a point operation
        plus the batch envelope; point operations are used except where the batch keeps a
        guarantee: a patch needing several requests (more than 10 fields) stays atomic in a
        batch, and a document with an undefined partition key component is sent with its
        explicit key (the SDK's point writes derive the key from the body).

        Args:
            item: The item.

        Returns:
            True for a point operation.
        """
        if any(v is UNDEFINED for v in item.pk):
            return False
        return not (item.action == "patch" and len(self._patch_chunks(item)) > 1)

    def plan(self, items: Sequence[WriteItem]) -> tuple[list[list[WriteItem]], list[WriteItem]]:
        """Split items into transactional batches and point operations.

        Items sharing a logical partition key go into batches (at most 100 operations and
        2 MB each); an item alone in its partition (every item, for a ``/id`` or any
        high-cardinality key) is written as a point operation (:meth:`point_eligible`).

        Args:
            items: Items with unique ``(partition key, id)``.

        Returns:
            ``(batches, point_items)``.
        """
        chunks: list[list[WriteItem]] = []
        points: list[WriteItem] = []
        for group in batching.group_by_partition(items).values():
            if len(group) == 1 and self.point_eligible(group[0]):
                points.append(group[0])
            else:
                chunks.extend(batching.chunk(group, operations_of=self.operations_of))
        return chunks, points

    def write(self, items: Sequence[WriteItem]) -> None:
        """Write deduplicated items: batches per shared partition key, else point operations.

        Batches and point operations run concurrently on the thread pool, under the
        container's AIMD limit, with the same retry, throttling and dead-letter handling.

        Args:
            items: Items with unique ``(partition key, id)``.

        Raises:
            TargetCosmosDBError: On the first fatal error (other requests in flight finish; no
                new one starts).
            TerminatedDuringDrain: When aborted by a termination signal.
        """
        chunks, points = self.plan(items)
        if not chunks and not points:
            return
        failed = threading.Event()
        futures = [self.executor.submit(self._run_chunk_guarded, c, failed) for c in chunks]
        futures += [self.executor.submit(self._run_chunk_guarded, [p], failed) for p in points]
        first_error: BaseException | None = None
        try:
            for future in concurrent.futures.as_completed(futures):
                exc = future.exception()
                if exc is not None and first_error is None:
                    first_error = exc
                    failed.set()
        finally:
            if first_error is None and self.abort.is_set():
                first_error = TerminatedDuringDrain("write aborted")
            if first_error is not None:
                failed.set()
                for future in futures:
                    future.cancel()
            self._patch_cache.clear()
        if first_error is not None:
            raise first_error

    def _run_chunk_guarded(self, items: list[WriteItem], failed: threading.Event) -> None:
        if failed.is_set() or self.abort.is_set():
            return
        if self.meter is None:
            self._run_chunk(items)
            return
        with self.meter.scope(self.stream):  # context variables do not follow into pool threads
            self._run_chunk(items)

    # -- one chunk ------------------------------------------------------------------------------

    def _run_chunk(self, items: list[WriteItem]) -> None:
        pending = list(items)
        while pending:
            if len(pending) == 1 and (
                pending[0].size > batching.MAX_BATCH_BYTES or self.point_eligible(pending[0])
            ):
                self._point_write(pending[0])
                return
            ops, owner = self._operations(pending)
            pk = sdk_value(pending[0].pk, hierarchical=self.hierarchical)
            try:
                self._call(
                    partial(self.container.execute_item_batch, ops, partition_key=pk), pending
                )
            except CosmosBatchOperationError as exc:
                status = int(exc.status_code or 0)
                index = exc.error_index
                if status == 0 or index is None or not 0 <= index < len(owner):
                    self._split(pending, f"batch failed: {describe_error(exc)}")
                    return
                item = pending[owner[index]]
                if self._resolve(item, status, exc):
                    continue  # item converted (patch -> upsert); retry with it
                pending.remove(item)
                continue
            except CosmosHttpResponseError as exc:
                if len(pending) > 1:
                    self._split(pending, describe_error(exc))
                    return
                self._point_write(pending[0])
                return
            self._count_success(pending)
            return

    def _split(self, pending: list[WriteItem], why: str) -> None:
        if len(pending) == 1:
            self._point_write(pending[0])
            return
        logger.info(
            "Stream '%s': splitting a batch of %d records to isolate a failure (%s)",
            self.stream,
            len(pending),
            why,
        )
        half = len(pending) // 2
        self._run_chunk(pending[:half])
        self._run_chunk(pending[half:])

    def _count_success(self, items: Sequence[WriteItem], *, point: bool = False) -> None:
        deleted = sum(1 for i in items if i.action == "delete")
        if point:
            self.stats.add(written=len(items) - deleted, deleted=deleted, point_operations=1)
        else:
            self.stats.add(written=len(items) - deleted, deleted=deleted, batches=1)

    def _resolve(self, item: WriteItem, status: int, exc: BaseException) -> bool:
        """Settle one item whose operation failed; True when it must be retried as converted.

        Returns:
            True if ``item`` was converted and stays pending; False if it is settled (counted,
            skipped, dead-lettered) and must leave the batch.
        """
        if item.action == "delete" and status == 404:
            self.stats.add(deleted=1)
            return False
        if item.action == "patch" and status == 404:
            item.action = "upsert"  # absent: create it with the record's fields
            self._patch_cache.pop(id(item), None)
            return True
        if item.action == "patch" and status == 409 and not self._patch_chunks(item):
            self.stats.add(written=1)  # "ensure exists" create of an id/pk-only patch record
            return False
        if item.action == "create" and status == 409:
            if item.uncertain and self._is_own_write(item):
                self.stats.add(written=1)
                return False
            if self.write_mode == "append":
                self.stats.add(skipped=1)
                return False
            raise TargetCosmosDBError(
                f"{item.describe()}: a document with this id already exists in the logical "
                "partition (write_mode 'insert' does not overwrite; use 'upsert' or 'append')"
            )
        self.on_reject(item, f"Cosmos DB refused the write: {describe_error(exc)}")
        return False

    def _is_own_write(self, item: WriteItem) -> bool:
        try:
            existing = self._call(
                lambda: self.container.read_item(
                    item.doc_id, partition_key=sdk_value(item.pk, hierarchical=self.hierarchical)
                ),
                [],
            )
        except CosmosHttpResponseError:
            return False
        return bool(_strip_system(dict(existing)) == _strip_system(item.doc))

    def _point_write(self, item: WriteItem) -> None:
        pk = sdk_value(item.pk, hierarchical=self.hierarchical)
        call: Callable[[], t.Any]
        while True:
            if item.action == "delete":
                call = lambda: self.container.delete_item(item.doc_id, partition_key=pk)  # noqa: E731
            elif item.action == "create" or (
                item.action == "patch" and not self._patch_chunks(item)
            ):
                call = lambda: self.container.create_item(item.doc or {}, no_response=True)  # noqa: E731
            elif item.action == "patch":
                call = partial(self._patch_point, item, pk, self._patch_chunks(item))
            else:
                call = lambda: self.container.upsert_item(item.doc or {}, no_response=True)  # noqa: E731
            try:
                self._call(call, [item])
            except CosmosHttpResponseError as exc:
                if self._resolve(item, status_of(exc) or 0, exc):
                    continue
                return
            self._count_success([item], point=True)
            return

    def _patch_point(
        self, item: WriteItem, pk: t.Any, chunks: list[list[dict[str, t.Any]]]
    ) -> t.Any:
        result = None
        for part in chunks:
            result = self.container.patch_item(
                item.doc_id, pk, patch_operations=part, no_response=True
            )
        return result

    def request(self, func: Callable[[], t.Any]) -> t.Any:
        """Run one request (e.g. a query page) under the writer's admission and retry rules.

        Args:
            func: Makes the request; called again on a 429 (after the service's retry-after,
                without limit) or a transient error (bounded, with backoff).

        Returns:
            What ``func`` returns.

        Raises:
            TargetCosmosDBError: When transient errors persist.
            TerminatedDuringDrain: When aborted by a termination signal.
            CosmosHttpResponseError: For any other service error.
        """
        return self._call(func, [])

    # -- retries --------------------------------------------------------------------------------

    def _call(self, func: Callable[[], t.Any], items: Sequence[WriteItem]) -> t.Any:
        """Run one request: AIMD admission, 429s retried without limit, others by shared policy.

        Transient errors other than 429 are retried by :func:`cosmosdb_shared.with_retries`
        (the shared jittered backoff, at most ``max_transient_tries`` attempts within
        ``max_transient_seconds``); each attempt retries its own 429s after the service's
        retry-after (:meth:`_admitted`), which do not count as attempts.
        """
        started = time.monotonic()
        attempts = 0

        def attempt() -> t.Any:
            nonlocal attempts
            attempts += 1
            return self._admitted(func)

        def on_retry(failure: BaseException, _wait: float) -> None:
            if self.abort.is_set():  # stop before the backoff's sleep (which is not abortable)
                raise TerminatedDuringDrain("write aborted")
            if _unknown_outcome(failure):
                for item in items:
                    item.uncertain = True
            self.stats.add(retries=1)

        try:
            return with_retries(
                attempt,
                max_tries=self.max_transient_tries,
                max_time=self.max_transient_seconds,
                retry_if=_retryable,
                on_retry=on_retry,
                description=f"Stream '{self.stream}': request for {len(items)} record(s)",
            )
        except Exception as failure:
            if not _retryable(failure):
                raise
            elapsed = time.monotonic() - started
            raise TargetCosmosDBError(
                f"Stream '{self.stream}': gave up after {attempts} attempts in "
                f"{elapsed:.0f} s writing {len(items)} record(s)"
                f"{' starting at ' + items[0].describe() if items else ''}: "
                f"{describe_error(failure)}"
            ) from None

    def _admitted(self, func: Callable[[], t.Any]) -> t.Any:
        """Run ``func`` in a slot of the container's limiter; retry it after each 429.

        A 429 halves the limit (:meth:`AdaptiveLimiter.release`) and pauses every new request of
        the container for the service's ``x-ms-retry-after-ms``; the next :meth:`acquire
        <AdaptiveLimiter.acquire>` waits for it and stops on abort.
        """
        while True:
            ticket = self.limiter.acquire(self.abort)
            try:
                result = func()
            except Exception as failure:
                throttled = status_of(failure) == 429
                self.limiter.release(ticket, throttled=throttled)
                if not throttled:
                    raise
                wait = retry_after_seconds(failure)
                wait = DEFAULT_THROTTLE_WAIT if wait is None else wait
                self.stats.add(throttles=1, throttle_wait_seconds=wait)
                self.limiter.pause(wait)
                continue
            self.limiter.release(ticket, throttled=False)
            return result


def _retryable(failure: BaseException) -> bool:
    """Tell whether a failed request (429s already retried) is worth another attempt."""
    if isinstance(failure, TerminatedDuringDrain):
        return False
    return is_transient(failure) or (
        isinstance(failure, CosmosBatchOperationError) and status_of(failure) in TRANSIENT_STATUSES
    )


__all__ = [
    "AdaptiveLimiter",
    "BatchWriter",
    "RecordRejected",
    "WriteStats",
    "patch_operations",
]
