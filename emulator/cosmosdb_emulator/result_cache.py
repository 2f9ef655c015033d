"""Whole query results kept between the pages of one query.

A query that cannot be paged by document position (ORDER BY other than ``_ts``, aggregates,
DISTINCT, TOP, OFFSET/LIMIT) is evaluated once; its result is kept here under a random key
that its continuation token names (:func:`cosmosdb_emulator.tokens.query_cursor_token`), and
the following pages are cut from it. The oldest results are dropped first.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from typing import Any

DEFAULT_SIZE = 32
"""How many query results are kept."""


class ResultCache:
    """A bounded, thread-safe map from a random key to a query's result rows.

    Args:
        size: How many results to keep (the least recently stored is dropped first).
    """

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self._size = size
        self._results: OrderedDict[str, list[Any]] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, results: list[Any]) -> str:
        """Keep ``results``; returns the key that finds them again."""
        key = uuid.uuid4().hex
        with self._lock:
            self._results[key] = results
            while len(self._results) > self._size:
                self._results.popitem(last=False)
        return key

    def get(self, key: str) -> list[Any] | None:
        """The results stored under ``key``, or ``None`` once dropped (or never stored)."""
        with self._lock:
            return self._results.get(key)
