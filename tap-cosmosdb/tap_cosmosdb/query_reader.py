"""Query-based reads: FULL_TABLE (the stream's query) and INCREMENTAL (by ``_ts``).

Source: azure-cosmos 4.17.1 ``ContainerProxy.query_items`` (``azure/cosmos/container.py``) and
the Cosmos DB NoSQL query language (``SELECT``/``WHERE``/``ORDER BY``, parameters ``@name``).

INCREMENTAL uses ``SELECT … FROM c WHERE c._ts >= @ts ORDER BY c._ts`` and resumes with ``>=``
from the bookmark: ``_ts`` has one-second resolution, so documents sharing the bookmark's second
are read again (at-least-once), and none is lost.
"""

from __future__ import annotations

import logging
import re
import typing as t
from dataclasses import dataclass, field

from cosmosdb_shared import with_retries
from tap_cosmosdb.change_feed import ReaderStats

if t.TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

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
