"""Request-unit (RU) accounting from every HTTP response a Cosmos DB client receives.

The meter is attached to the client as azure-core's ``raw_response_hook`` (a
``CustomHookPolicy`` in the pipeline built by ``azure/cosmos/_cosmos_client_connection.py``), so it
sees every response, including the 429s the SDK retries internally, which a per-call
``response_hook`` never sees. Charges come from the ``x-ms-request-charge`` header (Cosmos DB REST
API, "Common response headers"). Each response is attributed to the *scope* active in the calling
thread, e.g. one (stream, feed range) pair, set with :meth:`RequestChargeMeter.scope`.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
import typing as t
from dataclasses import dataclass, field

if t.TYPE_CHECKING:
    from collections.abc import Iterator

_current_scope: contextvars.ContextVar[str] = contextvars.ContextVar(
    "cosmosdb_request_charge_scope", default=""
)


@dataclass
class ChargeTotals:
    """Counters for one scope.

    Attributes:
        request_units: RU charged, summed over all responses.
        requests: HTTP responses received.
        throttles: Responses with status 429.
        throttle_wait_seconds: Seconds the service asked to wait (``x-ms-retry-after-ms``) on those
            429s.
    """

    request_units: float = 0.0
    requests: int = 0
    throttles: int = 0
    throttle_wait_seconds: float = 0.0


@dataclass
class RequestChargeMeter:
    """Thread-safe RU, request and throttle counters, keyed by scope.

    Pass :meth:`raw_response_hook` to ``CosmosClient(..., raw_response_hook=...)`` (done by
    :func:`cosmosdb_shared.client.build_client` when given a meter).
    """

    _totals: dict[str, ChargeTotals] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @contextlib.contextmanager
    def scope(self, name: str) -> Iterator[None]:
        """Attribute the responses received in this thread (and context) to ``name``.

        Args:
            name: Scope key, e.g. ``"flights|range=0"``.

        Yields:
            Nothing; the previous scope is restored on exit.
        """
        token = _current_scope.set(name)
        try:
            yield
        finally:
            _current_scope.reset(token)

    def record(self, headers: t.Mapping[str, str], status: int, scope: str | None = None) -> None:
        """Add one response to the counters.

        Args:
            headers: Response headers (case-insensitive mapping or lower-case keys).
            status: HTTP status code.
            scope: Scope key; defaults to the current thread's scope.
        """
        key = _current_scope.get() if scope is None else scope
        try:
            charge = float(headers.get("x-ms-request-charge") or 0.0)
        except (TypeError, ValueError):
            charge = 0.0
        wait = 0.0
        if status == 429:
            try:
                wait = float(headers.get("x-ms-retry-after-ms") or 0.0) / 1000.0
            except (TypeError, ValueError):
                wait = 0.0
        with self._lock:
            totals = self._totals.setdefault(key, ChargeTotals())
            totals.request_units += charge
            totals.requests += 1
            if status == 429:
                totals.throttles += 1
                totals.throttle_wait_seconds += wait

    def raw_response_hook(self, pipeline_response: t.Any) -> None:
        """azure-core ``raw_response_hook``: record the HTTP response of one request.

        Args:
            pipeline_response: azure-core ``PipelineResponse``.
        """
        http_response = pipeline_response.http_response
        self.record(http_response.headers, int(http_response.status_code))

    def totals(self, scope: str | None = None) -> ChargeTotals:
        """Return a copy of the counters of one scope, or of all scopes summed.

        Args:
            scope: Scope key, or None for the sum over every scope.

        Returns:
            The counters.
        """
        with self._lock:
            if scope is not None:
                found = self._totals.get(scope, ChargeTotals())
                return ChargeTotals(**vars(found))
            out = ChargeTotals()
            for item in self._totals.values():
                out.request_units += item.request_units
                out.requests += item.requests
                out.throttles += item.throttles
                out.throttle_wait_seconds += item.throttle_wait_seconds
            return out
