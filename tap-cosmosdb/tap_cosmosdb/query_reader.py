"""Query-based reads: FULL_TABLE (the stream's query) and INCREMENTAL (by ``_ts``).

Source: azure-cosmos 4.17.1 ``ContainerProxy.query_items`` (``azure/cosmos/container.py``) and
the Cosmos DB NoSQL query language (``SELECT``/``WHERE``/``ORDER BY``, parameters ``@name``).

INCREMENTAL uses ``SELECT … FROM c WHERE c._ts >= @ts ORDER BY c._ts`` and resumes with ``>=``
from the bookmark: ``_ts`` has one-second resolution, so documents sharing the bookmark's second
are read again (at-least-once), and none is lost.

INCREMENTAL runs that query once per feed range (``query_items(feed_range=...)``, which
azure-cosmos sends to the range's physical partition as it is) and merges the ranges' ordered
results here on ``_ts`` with :func:`heapq.merge` (:class:`IncrementalMerge`). A cross-partition
``ORDER BY`` would be merged by azure-cosmos itself, comparing documents in Python
(``azure/cosmos/_execution_context/document_producer.py``), which cost more than the rest of the
read. A feed-range query spanning a split is read by azure-cosmos one child range after the other
(``_cosmos_client_connection.py:__QueryFeed``), which is ordered per child only; so after every
page the reader checks the client's partition map, and when the range has split it drops that
page and reads the children, merged, from the last ``_ts`` it emitted (``>=``: documents of that
second are read again, none is lost).
"""

from __future__ import annotations

import heapq
import logging
import operator
import re
import typing as t
from dataclasses import dataclass, field

from cosmosdb_shared import with_retries
from tap_cosmosdb.change_feed import ReaderStats
from tap_cosmosdb.feed_range import FeedRange

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence

    from azure.cosmos import ContainerProxy

    from cosmosdb_shared import RequestChargeMeter

logger = logging.getLogger("tap_cosmosdb.query_reader")

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DEFAULT_QUERY_RE = re.compile(r"^\s*SELECT\s+\*\s+FROM\s+c\s*$", re.IGNORECASE)


def projection_clause(properties: Sequence[str] | None) -> str:
    """Build the SELECT list for the selected top-level properties.

    Args:
        properties: Top-level property names to read, or None for all.

    Returns:
        ``"*"`` when all properties are wanted or a name is not a plain identifier (those are
        read in full and pruned by singer-sdk's selection mask), else e.g. ``"c.id, c._ts"``.
    """
    if not properties:
        return "*"
    names = list(dict.fromkeys(properties))
    if not all(_IDENTIFIER.match(name) for name in names):
        return "*"
    return ", ".join(f"c.{name}" for name in names)


def build_full_table_query(query: str | None, properties: Sequence[str] | None) -> str:
    """Return the FULL_TABLE query of a stream.

    Args:
        query: The configured query (setting ``queries``), or None for ``SELECT * FROM c``.
        properties: Selected top-level properties to push into the projection; only applied to
            the default query (a custom query is run as written).

    Returns:
        The SQL text.
    """
    if query is None or _DEFAULT_QUERY_RE.match(query):
        return f"SELECT {projection_clause(properties)} FROM c"  # noqa: S608 - identifiers only
    return query


def build_incremental_query(properties: Sequence[str] | None) -> str:
    """Return the INCREMENTAL query (parameter ``@ts``: epoch seconds, inclusive).

    Args:
        properties: Selected top-level properties (``_ts`` must be among them when given).

    Returns:
        The SQL text.
    """
    clause = projection_clause(properties)
    return f"SELECT {clause} FROM c WHERE c._ts >= @ts ORDER BY c._ts"  # noqa: S608


@dataclass
class QueryReader:
    """Runs one cross-partition query page by page, with outer retries.

    Attributes:
        container: The container proxy.
        query: SQL text.
        parameters: Query parameters, e.g. ``[{"name": "@ts", "value": 1700000000}]``.
        page_size: ``max_item_count`` per page.
        meter: Optional RU meter.
        scope: RU meter scope.
        max_tries: Outer attempts per page.
        stats: Counters.
        feed_range: Optional SDK feed range ``{"Range": {...}}`` scoping the query to an EPK
            range (a shard's slice; ``query_items(feed_range=...)``), None for the container.
    """

    container: ContainerProxy
    query: str
    parameters: list[dict[str, t.Any]] = field(default_factory=list)
    page_size: int = 1000
    meter: RequestChargeMeter | None = None
    scope: str = ""
    max_tries: int = 8
    stats: ReaderStats = field(default_factory=ReaderStats)
    feed_range: dict[str, t.Any] | None = None

    def _open(self, continuation: str | None) -> Iterator[t.Any]:
        kwargs: dict[str, t.Any] = {"max_item_count": self.page_size}
        if self.feed_range is not None:
            kwargs["feed_range"] = self.feed_range
        else:
            kwargs["enable_cross_partition_query"] = True
        paged = self.container.query_items(self.query, parameters=self.parameters or None, **kwargs)
        self._pager = paged.by_page(continuation) if continuation else paged.by_page()
        return iter(self._pager)

    def pages(self) -> Iterator[list[dict[str, t.Any]]]:
        """Yield result pages until the query is exhausted.

        A failed page is retried by reopening the query from the last page's continuation
        token (or from the start, before the first page).

        Yields:
            Lists of result items.
        """
        continuation: str | None = None
        pages: Iterator[t.Any] | None = None

        def _on_retry(_exc: BaseException, wait: float) -> None:
            self.stats.retries += 1
            self.stats.retry_wait_seconds += wait

        def _attempt() -> list[dict[str, t.Any]] | None:
            nonlocal pages
            if pages is None:
                pages = self._open(continuation)
            try:
                return list(next(pages))
            except StopIteration:
                return None
            except Exception:
                pages = None
                raise

        while True:
            if self.meter is not None:
                with self.meter.scope(self.scope):
                    page = with_retries(
                        _attempt,
                        max_tries=self.max_tries,
                        on_retry=_on_retry,
                        description=f"Query of {self.scope}",
                    )
            else:
                page = with_retries(
                    _attempt,
                    max_tries=self.max_tries,
                    on_retry=_on_retry,
                    description=f"Query of {self.scope}",
                )
            if page is None:
                return
            continuation = getattr(self._pager, "continuation_token", None)
            self.stats.pages += 1
            self.stats.items += len(page)
            yield page


#: The INCREMENTAL replication key: the document's last-modified time, epoch seconds.
TS_KEY = "_ts"

_ts_of = operator.itemgetter(TS_KEY)


def merge_by_ts(streams: Sequence[Iterable[dict[str, t.Any]]]) -> Iterator[dict[str, t.Any]]:
    """Merge record streams, each ordered by ``_ts``, into one ordered by ``_ts``.

    Args:
        streams: Record iterables, each in non-decreasing ``_ts`` order.

    Returns:
        An iterator over every record, in non-decreasing ``_ts`` order (ties keep the order of
        ``streams``).
    """
    if len(streams) == 1:
        return iter(streams[0])
    return heapq.merge(*streams, key=_ts_of)


def physical_ranges(container: ContainerProxy) -> list[FeedRange]:
    """The container's physical ranges as the client's partition map knows them now.

    Args:
        container: The container proxy (``read_feed_ranges`` answers from the client's cache;
            the cache is refreshed when a request finds its range gone after a split).

    Returns:
        The feed ranges, one per physical partition.
    """
    return [FeedRange.from_sdk(fr) for fr in container.read_feed_ranges()]


@dataclass
class TsPage:
    """One page of an INCREMENTAL range query.

    Attributes:
        records: The page's records, in ``_ts`` order.
        split: True when, after this page, the client's partition map shows the queried range
            over more than one physical range (a split: the page may come from one child only,
            and the other child's documents may sort before it).
    """

    records: list[dict[str, t.Any]]
    split: bool


def ts_pages(
    reader: QueryReader,
    feed_range: FeedRange,
    convert: Callable[[list[dict[str, t.Any]]], list[dict[str, t.Any]]],
) -> Iterator[TsPage]:
    """Read one feed range's INCREMENTAL query as pages, each marked if the range has split.

    Args:
        reader: The range's query (``feed_range`` set to ``feed_range``).
        feed_range: The range the query is scoped to.
        convert: Turns a page of documents into records.

    Yields:
        Pages; the first one marked ``split`` is the last one yielded.
    """
    for page in reader.pages():
        live = physical_ranges(reader.container)
        split = sum(1 for fr in live if fr.overlaps(feed_range)) > 1
        yield TsPage(convert(page), split)
        if split:
            return


@dataclass
class IncrementalMerge:
    """INCREMENTAL over several feed ranges: one ordered query per range, merged on ``_ts``.

    Attributes:
        ranges: The feed ranges to read (together, the container or a shard's slice).
        start_ts: The ``@ts`` lower bound, epoch seconds, inclusive.
        open_pages: ``open_pages(feed_range, ts)`` starts that range's query from ``_ts >= ts``
            and returns its pages (:func:`ts_pages`, possibly read ahead on another thread;
            closing the iterator stops it).
        physical: Returns the container's physical ranges now (read after a split).
        splits: Splits met during the read (ranges re-read as their children).
    """

    ranges: Sequence[FeedRange]
    start_ts: int
    open_pages: Callable[[FeedRange, int], Iterator[TsPage]]
    physical: Callable[[], list[FeedRange]]
    splits: int = 0

    def records(self) -> Iterator[dict[str, t.Any]]:
        """Every record with ``_ts >= start_ts`` in the ranges, in non-decreasing ``_ts`` order.

        Returns:
            The records.
        """
        return merge_by_ts([self._range_records(fr, self.start_ts) for fr in self.ranges])

    def _range_records(self, feed_range: FeedRange, start_ts: int) -> Iterator[dict[str, t.Any]]:
        last_ts = start_ts
        pages = self.open_pages(feed_range, start_ts)
        try:
            for page in pages:
                if page.split:
                    break
                records = page.records
                if records:
                    first = records[0][TS_KEY]
                    if first < last_ts:
                        raise RuntimeError(
                            f"INCREMENTAL query of feed range {feed_range} went back from _ts "
                            f"{last_ts} to {first}"
                        )
                    last_ts = records[-1][TS_KEY]
                    yield from records
            else:
                return
        finally:
            close = getattr(pages, "close", None)
            if close is not None:
                close()
        # Split: the page that showed it is dropped; every record before it was yielded, and
        # their _ts are <= last_ts, so the children re-read from last_ts lose none.
        self.splits += 1
        children = [piece for fr in self.physical() if (piece := fr.intersection(feed_range))]
        children.sort(key=lambda fr: fr.range_min)
        logger.info(
            "INCREMENTAL: feed range %s split into %s; reading them from _ts >= %s",
            feed_range,
            ", ".join(str(c) for c in children),
            last_ts,
        )
        yield from merge_by_ts([self._range_records(child, last_ts) for child in children])
