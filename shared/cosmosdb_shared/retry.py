"""Retries with backoff for Cosmos DB calls, honouring the service's ``x-ms-retry-after-ms``.

The azure-cosmos SDK already retries 429 responses (9 times, 30 s of waiting in total, see
``azure/cosmos/_retry_options.py``) and 503 once. This module adds an outer retry for what the SDK
gives up on: a longer throttling storm, 408/449/500/503 bursts and dropped connections. Writes are
safe to repeat only when they are idempotent (upserts with deterministic ids); callers decide.
"""

from __future__ import annotations

import logging
import random
import typing as t

import backoff
from azure.core.exceptions import ServiceRequestError, ServiceResponseError
from azure.cosmos.exceptions import CosmosHttpResponseError

from cosmosdb_shared.errors import describe_error, status_of, substatus_of

if t.TYPE_CHECKING:
    from collections.abc import Callable, Generator

_T = t.TypeVar("_T")

#: HTTP statuses worth another attempt whatever their sub-status. 410 (Gone) is not among them:
#: :func:`is_transient` retries it only with sub-status 1002, 1007 or 1008 (partition key range
#: gone, completing split, completing partition migration: azure-cosmos
#: ``azure/cosmos/http_constants.py:SubStatusCodes``), which the SDK handles for feeds and
#: queries but raises for point writes and batches.
TRANSIENT_STATUSES = frozenset({408, 429, 449, 500, 502, 503, 504})

logger = logging.getLogger("cosmosdb_shared.retry")


def retry_after_seconds(exc: BaseException) -> float | None:
    """Return the wait the service asked for, in seconds.

    Source: the ``x-ms-retry-after-ms`` response header on 429 responses (Cosmos DB REST API,
    "Common Azure Cosmos DB REST response headers").

    Args:
        exc: An exception, usually a ``CosmosHttpResponseError``.

    Returns:
        Seconds to wait, or None when the response carried no retry-after header.
    """
    headers = getattr(exc, "headers", None)
    if headers is None:
        response = getattr(exc, "response", None)
        headers = getattr(response, "headers", None)
    if not headers:
        return None
    value = headers.get("x-ms-retry-after-ms")
    if value is None:
        return None
    try:
        return max(0.0, float(value) / 1000.0)
    except (TypeError, ValueError):
        return None


def is_transient(exc: BaseException) -> bool:
    """Tell whether a failed call may succeed if repeated.

    Args:
        exc: The exception raised by the call.

    Returns:
        True for throttling (429), timeouts (408), retry-with (449), server errors (500, 502, 503,
        504), a split or migration in progress (410 with sub-status 1002, 1007 or 1008) and
        network errors; False otherwise.
    """
    if isinstance(exc, CosmosHttpResponseError):
        status = status_of(exc)
        if status in TRANSIENT_STATUSES:
            return True
        return status == 410 and substatus_of(exc) in (1002, 1007, 1008)
    return isinstance(
        exc, (ServiceRequestError, ServiceResponseError, ConnectionError, TimeoutError)
    )


def cosmos_wait(
    *, base_seconds: float = 0.5, max_seconds: float = 30.0
) -> Generator[float, t.Any, None]:
    """Wait generator for ``backoff``: the service's retry-after when given, else jittered expo.

    ``backoff`` sends each caught exception into the generator (python-backoff >= 2.3), which
    is how the retry-after header reaches it.

    Args:
        base_seconds: First exponential wait, in seconds.
        max_seconds: Longest single wait, in seconds.

    Yields:
        Seconds to wait before the next attempt.
    """
    exc = yield 0.0
    attempt = 0
    while True:
        asked = retry_after_seconds(exc) if exc is not None else None
        if asked is not None:
            wait = min(asked, max_seconds)
        else:
            wait = min(max_seconds, base_seconds * (2**attempt)) * random.uniform(0.5, 1.0)
        attempt += 1
        exc = yield wait


def with_retries(
    func: Callable[[], _T],
    *,
    max_tries: int = 10,
    max_time: float = 300.0,
    retry_if: Callable[[BaseException], bool] = is_transient,
    on_retry: Callable[[BaseException, float], None] | None = None,
    description: str = "Cosmos DB request",
) -> _T:
    """Call ``func`` until it succeeds, retrying transient failures with backoff.

    Args:
        func: A zero-argument callable performing one attempt.
        max_tries: Attempts at most, including the first.
        max_time: Seconds after which no new attempt starts.
        retry_if: Predicate telling which exceptions are worth another attempt.
        on_retry: Called with the exception and the wait in seconds before each retry, e.g. to
            count throttles for metrics.
        description: What is being attempted, for the log line on each retry.

    Returns:
        What ``func`` returned.

    Raises:
        Exception: The last exception once ``max_tries`` or ``max_time`` is exhausted, or the first
            one for which ``retry_if`` is False.
    """

    def _on_backoff(details: t.Any) -> None:
        exc = details.get("exception")
        wait = float(details.get("wait") or 0.0)
        if on_retry is not None and exc is not None:
            on_retry(exc, wait)
        logger.warning(
            "%s failed (attempt %d), retrying in %.2f s: %s",
            description,
            details.get("tries", 0),
            wait,
            describe_error(exc) if exc is not None else "unknown error",
        )

    decorated = backoff.on_exception(
        cosmos_wait,
        Exception,
        max_tries=max_tries,
        max_time=max_time,
        jitter=None,
        giveup=lambda e: not retry_if(e),
        on_backoff=_on_backoff,
        logger=None,
    )(func)
    return t.cast("_T", decorated())
