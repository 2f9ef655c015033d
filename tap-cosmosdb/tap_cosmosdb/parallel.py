"""Read several feed ranges at once, each prefetching, and hand their pages to one thread.

The change feed of each feed range is read by worker threads (at most ``workers`` ranges at
once); every worker puts what it read, in its range's order, into one bounded queue, and the
calling thread takes the pages out in queue order and emits them. singer-sdk writes messages
from the calling thread only, so records, STATE and SCHEMA messages stay on it; the workers only
do HTTP and JSON decoding (both release the GIL for network waits).

Memory is bounded by a page budget: the queue holds at most ``max_pages`` pages, and each worker
holds at most one more page while it waits for room. A worker therefore prefetches its range's
next page while the calling thread emits the previous one, and stops fetching when the
calling thread falls behind.

Each worker gets its own resource from ``acquire`` (the tap gives each one its own
``CosmosClient``: azure-cosmos copies a change-feed page's continuation token through the
client-wide ``client_connection.last_response_headers``, see
``azure/cosmos/_change_feed/change_feed_iterable.py:_unpack``, so two threads reading through
one client could see each other's tokens).
"""

from __future__ import annotations

import queue
import threading
import typing as t
from dataclasses import dataclass

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

K = t.TypeVar("K")
R = t.TypeVar("R")
T = t.TypeVar("T")

#: Seconds a blocked worker waits for room in the queue before checking for a stop.
_PUT_POLL_SECONDS = 0.1
#: Seconds the calling thread waits for each worker to end after a stop.
_JOIN_SECONDS = 30.0


@dataclass(frozen=True)
class Finished(t.Generic[K]):
    """Marks that the job ``key`` ended (all its items were yielded before this)."""

    key: K


@dataclass(frozen=True)
class _Failed(t.Generic[K]):
    key: K
    error: BaseException


class _Stopped(Exception):
    """Raised in a worker when the calling thread stopped consuming."""


def read_in_parallel(
    keys: Sequence[K],
    run: Callable[[K, R], Iterator[T]],
    *,
    workers: int,
    max_pages: int,
    acquire: Callable[[], R],
    release: Callable[[R], None],
) -> Iterator[tuple[K, T] | Finished[K]]:
    """Run ``run(key, resource)`` for every key on worker threads; yield their items here.

    The items of one key come out in the order ``run`` produced them, followed by
    ``Finished(key)``; items of different keys interleave in the order they were read. A job
    that raises stops every worker: the items read before the error are still yielded, then the
    error is raised here (other jobs' later items are discarded, never yielded).

    Args:
        keys: The jobs (e.g. feed ranges), started in this order.
        run: Produces a job's items (e.g. pages); called on a worker thread.
        workers: Worker threads (at least 1).
        max_pages: Items the queue holds at most (at least 1).
        acquire: Creates the resource a worker passes to ``run`` (called on the worker).
        release: Gives a worker's resource back when the worker ends.

    Yields:
        ``(key, item)`` pairs and ``Finished(key)`` markers.

    Raises:
        BaseException: The first error a job raised, once the items before it were yielded.
    """
    todo: queue.SimpleQueue[K] = queue.SimpleQueue()
    for key in keys:
        todo.put(key)
    out: queue.Queue[tuple[K, T] | Finished[K] | _Failed[K]] = queue.Queue(max(1, max_pages))
    stop = threading.Event()

    def put(entry: tuple[K, T] | Finished[K] | _Failed[K]) -> None:
        while True:
            if stop.is_set():
                raise _Stopped
            try:
                out.put(entry, timeout=_PUT_POLL_SECONDS)
                return
            except queue.Full:
                continue

    def work() -> None:
        resource: R | None = None
        try:
            resource = acquire()
            while not stop.is_set():
                try:
                    key = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    for item in run(key, resource):
                        put((key, item))
                        if stop.is_set():
                            raise _Stopped
                except _Stopped:
                    return
                except BaseException as exc:  # handed to the calling thread
                    put(_Failed(key, exc))
                    return
                put(Finished(key))
        except _Stopped:
            return
        except BaseException as exc:  # e.g. acquire() failed
            try:
                put(_Failed(t.cast("K", None), exc))
            except _Stopped:
                return
        finally:
            if resource is not None:
                release(resource)

    threads = [
        threading.Thread(target=work, name=f"tap-cosmosdb-range-{i}", daemon=True)
        for i in range(max(1, min(workers, len(keys))))
    ]
    if not keys:
        return
    for thread in threads:
        thread.start()
    pending = len(keys)
    try:
        while pending:
            try:
                entry = out.get(timeout=_PUT_POLL_SECONDS)
            except queue.Empty:
                if not any(thread.is_alive() for thread in threads) and out.empty():
                    raise RuntimeError("feed range workers ended without finishing") from None
                continue
            if isinstance(entry, _Failed):
                raise entry.error
            if isinstance(entry, Finished):
                pending -= 1
            yield entry
    finally:
        stop.set()
        for thread in threads:
            thread.join(_JOIN_SECONDS)


def prefetch(produce: Callable[[], Iterator[T]], *, depth: int) -> Iterator[T]:
    """Yield what ``produce()`` yields, produced on a worker thread up to ``depth`` items ahead.

    Args:
        produce: Returns the iterator to run on the worker (e.g. a query's pages).
        depth: Items held ahead at most (plus the one the worker holds while waiting).

    Yields:
        The items, in order.
    """
    for entry in read_in_parallel(
        [0],
        lambda _key, _resource: produce(),
        workers=1,
        max_pages=depth,
        acquire=lambda: None,
        release=lambda _resource: None,
    ):
        if not isinstance(entry, Finished):
            yield entry[1]
