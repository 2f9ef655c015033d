"""Unit tests for the pure parts of the writer: AIMD limiter and patch operations."""

from __future__ import annotations

import threading

import pytest

from target_cosmosdb.errors import TerminatedDuringDrain
from target_cosmosdb.writer import AdaptiveLimiter, patch_operations


def test_limiter_halves_once_per_window_and_grows_back_slowly():
    limiter = AdaptiveLimiter(16)
    abort = threading.Event()
    tickets = [limiter.acquire(abort) for _ in range(8)]
    for ticket in tickets:  # 8 throttles from the same window: one decrease
        limiter.release(ticket, throttled=True)
    assert limiter.limit == 8
    ticket = limiter.acquire(abort)
    limiter.release(ticket, throttled=True)
    assert limiter.limit == 4
    for _ in range(4):
        limiter.release(limiter.acquire(abort), throttled=False)
    assert 4.9 < limiter.limit < 5.1  # +1 per `limit` successes
    for _ in range(1000):
        limiter.release(limiter.acquire(abort), throttled=False)
    assert limiter.limit == 16


def test_limiter_floor_and_blocking():
    limiter = AdaptiveLimiter(4)
    abort = threading.Event()
    for _ in range(5):
        limiter.release(limiter.acquire(abort), throttled=True)
    assert limiter.limit == 1
    held = limiter.acquire(abort)
    got = []

    def second():
        got.append(limiter.acquire(abort))

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(0.3)
    assert not got, "a second request must wait while the limit is 1"
    limiter.release(held, throttled=False)
    thread.join(2)
    assert got


def test_limiter_abort():
    limiter = AdaptiveLimiter(1)
    abort = threading.Event()
    limiter.acquire(abort)
    abort.set()
    with pytest.raises(TerminatedDuringDrain):
        limiter.acquire(abort)


def test_patch_operations_skip_id_and_partition_key():
    doc = {"id": "1", "pk": "p", "a": 1, "b/c": {"x": 1}, "t~": 2}
    ops = patch_operations(doc, ["/pk"])
    assert ops == [
        {"op": "set", "path": "/a", "value": 1},
        {"op": "set", "path": "/b~1c", "value": {"x": 1}},
        {"op": "set", "path": "/t~0", "value": 2},
    ]


def test_patch_operations_descend_into_nested_partition_key():
    doc = {"id": "1", "tenant": {"id": "t", "name": "n"}, "v": 2}
    ops = patch_operations(doc, ["/tenant/id"])
    assert ops == [
        {"op": "set", "path": "/tenant/name", "value": "n"},
        {"op": "set", "path": "/v", "value": 2},
    ]
