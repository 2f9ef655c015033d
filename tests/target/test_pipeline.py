"""WritePipeline (target_cosmosdb.pipeline): a batch's requests start while the previous batch's
last requests are in flight only when the two share no document; STATE's flush waits for both.

Batches here are real thread-pool requests that block on an event, so the test controls when
each finishes.
"""

from __future__ import annotations

import threading
import time
import typing as t
from concurrent.futures import ThreadPoolExecutor

import pytest

from target_cosmosdb.errors import TargetCosmosDBError
from target_cosmosdb.pipeline import WritePipeline
from target_cosmosdb.writer import PendingWrite


class Batch:
    """A batch of ``requests`` requests on ``pool``; each waits for :attr:`release`."""

    def __init__(self, pool: ThreadPoolExecutor, keys: set[str], requests: int = 3) -> None:
        self.pool = pool
        self.keys = keys
        self.requests = requests
        self.release = threading.Event()
        self.started = threading.Event()
        self.fail = False
        self.pending: PendingWrite | None = None

    def _request(self) -> None:
        if not self.release.wait(10):
            raise TimeoutError("never released")
        if self.fail:
            raise TargetCosmosDBError("batch refused")

    def _start(self) -> PendingWrite:
        self.started.set()
        futures = [self.pool.submit(self._request) for _ in range(self.requests)]
        self.pending = PendingWrite(futures, threading.Event(), threading.Event(), {})
        return self.pending

    def job(self) -> tuple[set[str], t.Callable[[], PendingWrite]]:
        return self.keys, self._start


@pytest.fixture
def pool() -> t.Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(8) as executor:
        yield executor


def _flush_in_background(pipeline: WritePipeline) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            pipeline.flush()
        except BaseException as exc:  # handed to the test
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, errors


def test_disjoint_batch_starts_while_previous_one_is_in_flight(pool):
    pipeline = WritePipeline("s", abort=threading.Event())
    first, second = Batch(pool, {"a", "b"}), Batch(pool, {"c", "d"})
    pipeline.submit(first.job)
    assert first.started.wait(5)
    pipeline.submit(second.job)
    assert second.started.wait(5), "the second batch waited for the first one's requests"
    flusher, errors = _flush_in_background(pipeline)
    second.release.set()
    flusher.join(0.3)
    assert flusher.is_alive(), "flush returned while the first batch was still in flight"
    first.release.set()
    flusher.join(5)
    assert not flusher.is_alive()
    assert errors == []
    assert first.pending is not None
    assert first.pending.done()
    pipeline.close()


def test_batch_sharing_a_document_waits_for_the_previous_one(pool):
    pipeline = WritePipeline("s", abort=threading.Event())
    first, second = Batch(pool, {"a", "b"}), Batch(pool, {"b", "c"})
    pipeline.submit(first.job)
    assert first.started.wait(5)
    pipeline.submit(second.job)
    assert not second.started.wait(0.3), "a later version could overtake an earlier one"
    first.release.set()
    assert second.started.wait(5)
    second.release.set()
    pipeline.flush()
    pipeline.close()


def test_error_of_the_previous_batch_stops_the_next_one(pool):
    pipeline = WritePipeline("s", abort=threading.Event())
    first, second = Batch(pool, {"a"}), Batch(pool, {"b"}, requests=20)
    first.fail = True
    pipeline.submit(first.job)
    assert first.started.wait(5)
    pipeline.submit(second.job)
    assert second.started.wait(5)
    first.release.set()
    deadline = time.monotonic() + 5
    while pipeline.error is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert isinstance(pipeline.error, TargetCosmosDBError)
    assert second.pending is not None
    assert any(f.cancelled() for f in second.pending.futures), "queued requests still ran"
    with pytest.raises(TargetCosmosDBError, match="batch refused"):
        pipeline.flush()
    with pytest.raises(TargetCosmosDBError, match="batch refused"):
        pipeline.submit(Batch(pool, {"z"}).job)
    second.release.set()
    pipeline.close()
