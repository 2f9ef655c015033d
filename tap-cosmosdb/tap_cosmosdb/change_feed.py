"""Read the change feed of one feed range, page by page, with a resumable token after each page.

Source: azure-cosmos 4.17.1 ``ContainerProxy.query_items_change_feed`` (``azure/cosmos/container.py``)
and ``azure/cosmos/_change_feed/*`` (``ChangeFeedIterable``, ``ChangeFeedFetcherV2``); Cosmos DB
"Change feed pull model" (https://learn.microsoft.com/azure/cosmos-db/nosql/change-feed-pull-model).

How the token of a page is obtained: ``by_page()`` returns a ``ChangeFeedIterable`` whose
``continuation_token`` is copied, right after each fetch, from the client-wide
``client_connection.last_response_headers['etag']``, which ``ChangeFeedFetcherV2`` has just
replaced with the base64 composite token of this pager's state. The reader therefore reads it
immediately after ``next()`` and before any other request on the client, and checks that the token
names this container and this feed range (:func:`tap_cosmosdb.continuation.check_token`), so a token
belonging to another range can never be stored. When an iteration ends without items (HTTP 304, or
``Now`` with no changes) ``continuation_token`` is not updated; the reader then takes the etag of
that last 304, which the fetcher also rewrote to a composite token, with the same checks.
"""

from __future__ import annotations

import datetime
import logging
import typing as t
from dataclasses import dataclass, field

from cosmosdb_shared import with_retries
from tap_cosmosdb.compat import last_response_etag
from tap_cosmosdb.continuation import (
    ContinuationError,
    check_token,
    clamp_token,
    is_resumable,
    repair_token,
)
from tap_cosmosdb.feed_range import FeedRange

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from azure.cosmos import ContainerProxy

    from cosmosdb_shared import RequestChargeMeter

LATEST_VERSION = "LatestVersion"
ALL_VERSIONS_AND_DELETES = "AllVersionsAndDeletes"

logger = logging.getLogger("tap_cosmosdb.change_feed")

StartFrom = str | datetime.datetime


@dataclass
class ChangeFeedPage:
    """One page read from a feed range.

    Attributes:
        items: The change-feed items (documents in LatestVersion mode; envelopes in
            AllVersionsAndDeletes mode). Empty for the final page of an iteration that only moved
            the position (a 304).
        continuation: The token to resume right after this page (``startFrom`` already rewritten
            to ``Beginning``), or None when the service has given no position yet.
        max_lsn: The largest ``_lsn`` (or ``metadata.lsn``) among the items, or None.
        filtered: Items outside the feed range were dropped from this page (so an empty page
            does not mean the range is caught up).
    """

    items: list[dict[str, t.Any]]
    continuation: str | None
    max_lsn: int | None = None
    filtered: bool = False


def _item_lsn(item: t.Mapping[str, t.Any]) -> int | None:
    value = item.get("_lsn")
    if value is None and isinstance(item.get("metadata"), t.Mapping):
        value = item["metadata"].get("lsn")
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


_INT: frozenset[type] = frozenset({int})


def _max_lsn(items: list[dict[str, t.Any]]) -> int | None:
    """The largest ``_lsn`` (or ``metadata.lsn``) among ``items``, or None if none has one."""
    # Documents carry ``_lsn`` as a JSON integer: one C-level pass when every item has one.
    lsns: list[t.Any] = [item.get("_lsn") for item in items]
    if lsns and _INT.issuperset(map(type, lsns)):
        return int(max(lsns))
    found = [lsn for lsn in map(_item_lsn, items) if lsn is not None]
    return max(found) if found else None


@dataclass
class ReaderStats:
    """Counters of one reader (a feed range, or a query), accumulated over polling rounds.

    Attributes:
        pages: Non-empty pages read.
        items: Items read.
        retries: Outer retries after the SDK gave up (throttling, timeouts, dropped connections).
        retry_wait_seconds: Seconds slept before those retries.
    """

    pages: int = 0
    items: int = 0
    retries: int = 0
    retry_wait_seconds: float = 0.0


@dataclass
class ChangeFeedRangeReader:
    r"""Reads one feed range of one container until it is caught up.

    Attributes:
        container: The container proxy.
        feed_range: The range to read.
        container_rid: The container's ``_rid`` (tokens must carry it).
        continuation: Token to resume from (None to use ``start_from``); updated after every page.
        start_from: ``"Beginning"``, ``"Now"`` or an aware ``datetime``; used only without a token.
        mode: ``LatestVersion`` or ``AllVersionsAndDeletes`` (the latter only from ``Now`` or a
            token; ``azure/cosmos/_change_feed/change_feed_utils.py:validate_kwargs``).
        page_size: ``max_item_count`` per request (``x-ms-max-item-count``).
        meter: Optional RU meter; requests are attributed to ``scope``.
        scope: RU meter scope, e.g. ``"flights|[\"\",FF)"``.
        max_tries: Outer attempts per page (the SDK retries 429s itself first).
        max_retry_seconds: Seconds after which no new outer attempt starts.
        stats: Counters.
        item_epk: Returns the EPK of an item (None if unknown). Used only on a page read right
            after azure-cosmos replaced a split range's position by whole child ranges that
            reach outside ``feed_range`` (see :func:`tap_cosmosdb.continuation.clamp_token`):
            the items of that page outside ``feed_range`` are dropped (they belong to the
            neighbouring feed range, which reads them itself).
    """

    container: ContainerProxy
    feed_range: FeedRange
    container_rid: str | None
    continuation: str | None = None
    start_from: StartFrom = "Beginning"
    mode: str = LATEST_VERSION
    page_size: int = 1000
    meter: RequestChargeMeter | None = None
    scope: str = ""
    max_tries: int = 8
    max_retry_seconds: float = 300.0
    stats: ReaderStats = field(default_factory=ReaderStats)
    item_epk: Callable[[dict[str, t.Any]], str | None] | None = None
    _clamped: bool = field(default=False, init=False, repr=False)
    _pager: t.Any = field(default=None, init=False, repr=False)
    _pages: Iterator[t.Any] | None = field(default=None, init=False, repr=False)

    def _open(self) -> None:
        kwargs: dict[str, t.Any] = {
            "feed_range": self.feed_range.to_sdk(),
            "max_item_count": self.page_size,
        }
        if self.continuation:
            kwargs["continuation"] = self.continuation
        else:
            kwargs["start_time"] = self.start_from
            kwargs["mode"] = self.mode
        self._pager = self.container.query_items_change_feed(**kwargs).by_page()
        self._pages = iter(self._pager)

    def _token_from(self, raw: str | None) -> str | None:
        """Check and repair a token just read; None if it carries no complete position."""
        if not raw:
            return None
        data = check_token(
            raw,
            container_rid=self.container_rid,
            feed_range=(self.feed_range.range_min, self.feed_range.range_max),
        )
        if not is_resumable(data):
            return None
        token, self._clamped = clamp_token(repair_token(raw))
        return token

    def _in_range(self, items: list[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
        """Drop the items outside ``feed_range`` (only after a clamp; see ``item_epk``)."""
        if self.item_epk is None:
            return items
        kept = []
        for item in items:
            epk = self.item_epk(item)
            if epk is None or epk in self.feed_range:
                kept.append(item)
        dropped = len(items) - len(kept)
        if dropped:
            logger.info(
                "Feed range %s: dropped %d item(s) of a split child range outside it",
                self.feed_range,
                dropped,
            )
        return kept

    def _fetch_once(self) -> ChangeFeedPage | None:
        """Fetch the next page; None once the range is caught up (position kept in self)."""
        if self._pages is None:
            self._open()
        assert self._pages is not None
        try:
            try:
                page = list(next(self._pages))
            except StopIteration:
                raw = last_response_etag(self.container)
                self._pages = None
                try:
                    token = self._token_from(raw)
                except ContinuationError as exc:
                    # The last response was not this range's change-feed response; keep the
                    # position we have (never store another range's token).
                    logger.debug("Ignoring etag after an empty iteration of %s: %s", self, exc)
                    token = None
                if token and token != self.continuation:
                    self.continuation = token
                    return ChangeFeedPage(items=[], continuation=token)
                return None
            token = self._token_from(self._pager.continuation_token)
        except ValueError as exc:
            self._pages = None
            if self.continuation and not isinstance(exc, ContinuationError):
                # azure-cosmos parses the token lazily, on the first fetch.
                raise ContinuationError(
                    f"azure-cosmos rejected the stored continuation token of range "
                    f"{self.feed_range}: {exc}"
                ) from None
            raise
        except Exception:
            # Reopen from our own last token on the next attempt, never from the range start.
            self._pages = None
            raise
        if token is not None:
            self.continuation = token
        filtered = False
        if self._clamped:
            # The SDK's in-memory position reaches outside the feed range: filter this page and
            # reopen from the clamped token before the next request.
            page = self._in_range(page)
            self._pages = None
            filtered = True
        max_lsn = _max_lsn(page)
        self.stats.pages += 1
        self.stats.items += len(page)
        return ChangeFeedPage(
            items=page,
            continuation=self.continuation,
            max_lsn=max_lsn,
            filtered=filtered,
        )

    def _fetch(self) -> ChangeFeedPage | None:
        def _on_retry(_exc: BaseException, wait: float) -> None:
            self.stats.retries += 1
            self.stats.retry_wait_seconds += wait

        def _attempt() -> ChangeFeedPage | None:
            if self.meter is None:
                return self._fetch_once()
            with self.meter.scope(self.scope):
                return self._fetch_once()

        return with_retries(
            _attempt,
            max_tries=self.max_tries,
            max_time=self.max_retry_seconds,
            on_retry=_on_retry,
            description=f"Change feed read of {self.scope or self.feed_range}",
        )

    def pages(self, *, should_stop: Callable[[], bool] | None = None) -> Iterator[ChangeFeedPage]:
        """Yield pages until the range is caught up.

        The consumer must finish with a page (emit its records) before asking for the next one:
        the reader's ``continuation`` then always points right after the last page consumed.

        Args:
            should_stop: Checked before each fetch; True ends the iteration early (e.g. when
                ``max_run_seconds`` is reached).

        Yields:
            Pages in change-feed order. The last page may be empty, carrying only a new position.

        Raises:
            azure.cosmos.exceptions.CosmosHttpResponseError: When a non-transient error occurs or
                retries are exhausted.
            ContinuationError: If the SDK hands back a token for another container or range.
        """
        while not (should_stop and should_stop()):
            page = self._fetch()
            if page is None:
                return
            yield page
            if not page.items and not page.filtered:
                return
