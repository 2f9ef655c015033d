"""Aggregate system functions (COUNT, SUM, AVG, MIN, MAX) over a whole result set.

Semantics (learn.microsoft.com "Azure Cosmos DB for NoSQL query" aggregate pages "COUNT", "SUM",
"AVG", "MIN", "MAX"):

* ``undefined`` arguments are skipped by every aggregate; ``COUNT`` counts defined values.
* ``SUM``/``AVG``: if any defined argument is a string, boolean, null, array or object the
  whole aggregate is ``undefined``. ``SUM`` of no values is 0 (partitions with no matches
  contribute 0 to the global sum in the SDKs' cross-partition merge); ``AVG`` of no values is
  ``undefined``.
* ``MIN``/``MAX`` compare across types with the ORDER BY type order
  (null < boolean < number < string); an array or object argument makes the result undefined.
  No values gives ``undefined``.

Whole-number results of integer inputs stay ``int`` (JSON numbers are untyped; ``AVG`` of
``1`` and ``3`` is ``2``).
"""

from __future__ import annotations

from typing import Any

from cosmosdb_emulator.query.values import RANK_ARRAY, RANK_UNDEFINED, UNDEFINED, rank, sort_key


class Accumulator:
    """State of one aggregate over the rows of one query execution."""

    __slots__ = ()

    def add(self, value: Any) -> None:
        """Fold one evaluated argument (possibly ``UNDEFINED``) into the state."""
        raise NotImplementedError

    def result(self) -> Any:
        """Return the aggregate value, or ``UNDEFINED``."""
        raise NotImplementedError


class CountAccumulator(Accumulator):
    """COUNT(expr): number of rows where ``expr`` is defined."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0

    def add(self, value: Any) -> None:  # noqa: D102
        if value is not UNDEFINED:
            self.count += 1

    def result(self) -> Any:  # noqa: D102
        return self.count


class SumAccumulator(Accumulator):
    """SUM(expr) and AVG(expr): numeric total of defined values."""

    __slots__ = ("average", "count", "invalid", "total")

    def __init__(self, average: bool) -> None:
        self.average = average
        self.total: int | float = 0
        self.count = 0
        self.invalid = False

    def add(self, value: Any) -> None:  # noqa: D102
        t = type(value)
        if t is int or t is float:
            self.total += value
            self.count += 1
        elif value is not UNDEFINED:
            self.invalid = True

    def result(self) -> Any:  # noqa: D102
        if self.invalid:
            return UNDEFINED
        if not self.average:
            return self.total
        if self.count == 0:
            return UNDEFINED
        if type(self.total) is int and self.total % self.count == 0:
            return self.total // self.count
        return self.total / self.count


class MinMaxAccumulator(Accumulator):
    """MIN(expr) / MAX(expr) with the cross-type order null < boolean < number < string."""

    __slots__ = ("best", "best_key", "invalid", "maximum")

    def __init__(self, maximum: bool) -> None:
        self.maximum = maximum
        self.best: Any = UNDEFINED
        self.best_key: Any = None
        self.invalid = False

    def add(self, value: Any) -> None:  # noqa: D102
        r = rank(value)
        if r == RANK_UNDEFINED:
            return
        if r >= RANK_ARRAY:
            self.invalid = True
            return
        key = sort_key(value)
        if (
            self.best_key is None
            or (self.maximum and key > self.best_key)
            or (not self.maximum and key < self.best_key)
        ):
            self.best, self.best_key = value, key

    def result(self) -> Any:  # noqa: D102
        return UNDEFINED if self.invalid else self.best


def new_accumulator(name: str) -> Accumulator:
    """Create a fresh accumulator.

    Args:
        name: Upper-case aggregate name: COUNT, SUM, AVG, MIN or MAX.

    Returns:
        A new :class:`Accumulator`.

    Raises:
        KeyError: For any other name (the compiler only passes the five above).
    """
    factories = {
        "COUNT": CountAccumulator,
        "SUM": lambda: SumAccumulator(average=False),
        "AVG": lambda: SumAccumulator(average=True),
        "MIN": lambda: MinMaxAccumulator(maximum=False),
        "MAX": lambda: MinMaxAccumulator(maximum=True),
    }
    return factories[name]()
