"""BatchWriter paths the emulator cannot produce, against a fake container.

The emulator always names the failing operation of a batch and never fails a batch without a
cause we can inject persistently and quickly, so two paths are exercised with a stand-in for
``ContainerProxy``: halving a batch whose failure names no operation, and giving up after the
bounded number of attempts on a persistent transient error.
"""

from __future__ import annotations

import concurrent.futures
import json
import threading
from functools import partial

import pytest
from azure.cosmos.exceptions import CosmosBatchOperationError, CosmosHttpResponseError

from target_cosmosdb.batching import WriteItem
from target_cosmosdb.dead_letters import BadRecords, DeadLetterWriter
from target_cosmosdb.errors import TargetCosmosDBError, TerminatedDuringDrain
from target_cosmosdb.writer import AdaptiveLimiter, BatchWriter, WriteStats


class FakeContainer:
    """Fails any batch containing a poisoned id without naming the operation (error_index None)."""

    def __init__(self, poisoned=(), always_status=None):
        self.poisoned = set(poisoned)
        self.always_status = always_status
        self.stored: dict[str, dict] = {}
        self.batch_sizes: list[int] = []
        self.lock = threading.Lock()

    def execute_item_batch(self, ops, partition_key):
        with self.lock:
            self.batch_sizes.append(len(ops))
        if self.always_status:
            raise CosmosHttpResponseError(status_code=self.always_status, message="injected")
        ids = [op[1][0]["id"] for op in ops]
        if self.poisoned.intersection(ids):
            raise CosmosBatchOperationError(
                error_index=None, headers={}, status_code=0, message="?", operation_responses=[]
            )
        with self.lock:
            for op in ops:
                self.stored[op[1][0]["id"]] = op[1][0]
        return []

    def upsert_item(self, doc, **_options):
        if doc["id"] in self.poisoned:
            raise CosmosHttpResponseError(status_code=400, message="bad document")
        self.stored[doc["id"]] = doc
        return doc


def _writer(container, dead_letters=None):
    stats = WriteStats()
    return BatchWriter(
        container,
        pk_paths=["/g"],
        stream="s",
        limiter=AdaptiveLimiter(4),
        executor=concurrent.futures.ThreadPoolExecutor(4),
        abort=threading.Event(),
        stats=stats,
        on_reject=partial(BadRecords(dead_letters).reject_item, stats=stats),
        max_transient_tries=3,
        max_transient_seconds=30,
    )


def _items(n):
    return [
        WriteItem("s", i + 1, str(i), ("g",), "upsert", {"id": str(i), "g": "g"}, 100)
        for i in range(n)
    ]


def test_unnamed_batch_failure_is_halved_until_the_bad_record_is_alone(tmp_path):
    container = FakeContainer(poisoned={"37"})
    dead_letters = DeadLetterWriter(tmp_path / "dead.jsonl")
    writer = _writer(container, dead_letters)
    writer.write(_items(64))
    dead_letters.close()
    assert set(container.stored) == {str(i) for i in range(64)} - {"37"}
    rejected = [json.loads(line) for line in (tmp_path / "dead.jsonl").read_text().splitlines()]
    assert [entry["id"] for entry in rejected] == ["37"]
    assert "400" in rejected[0]["reason"]
    assert writer.stats.written == 63
    assert writer.stats.dead_lettered == 1
    assert max(container.batch_sizes) == 64
    assert len(container.batch_sizes) < 20  # halving, not one request per record


def test_persistent_transient_error_gives_up_with_one_line():
    container = FakeContainer(always_status=503)
    writer = _writer(container)
    with pytest.raises(TargetCosmosDBError) as info:
        writer.write(_items(3))
    message = str(info.value)
    assert "gave up after 3 attempts" in message
    assert "503" in message
    assert "\n" not in message
    assert len(container.batch_sizes) == 3


def test_abort_stops_transient_retries_before_the_backoff_sleep(caplog):
    """A termination signal during transient retries ends them at once, not after a backoff."""
    container = FakeContainer(always_status=503)
    writer = _writer(container)
    writer.max_transient_tries = 8
    failing = container.execute_item_batch

    def fail_then_abort(ops, partition_key):
        writer.abort.set()  # the signal arrives while this attempt is in flight
        return failing(ops, partition_key)

    container.execute_item_batch = fail_then_abort  # type: ignore[method-assign]
    with (
        caplog.at_level("WARNING", logger="cosmosdb_shared.retry"),
        pytest.raises(TerminatedDuringDrain),
    ):
        writer.write(_items(3))
    assert len(container.batch_sizes) == 1
    assert not [r for r in caplog.records if "retrying in" in r.getMessage()]
