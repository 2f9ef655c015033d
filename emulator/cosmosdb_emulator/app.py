"""Process-wide state shared by every request: settings, storage, hooks and services."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cosmosdb_emulator.result_cache import ResultCache
from cosmosdb_emulator.storage import Store

if TYPE_CHECKING:
    from cosmosdb_emulator.faults import FaultHook
    from cosmosdb_emulator.messages import Request, Response
    from cosmosdb_emulator.stats import StatsHook
    from cosmosdb_emulator.throughput import ThroughputHook

DEFAULT_KEY = (
    "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw=="
)


class Hooks:
    """Extension points around request handling (request charging, throttling, faults).

    The HTTP layer calls :meth:`before` after authentication and routing (it may return a
    response to short-circuit the request, e.g. a 429 or an injected fault) and :meth:`after`
    with the handler's response (it may add headers such as ``x-ms-request-charge``).
    """

    def before(self, app: App, request: Request) -> Response | None:
        """Return a response to answer the request without running its handler."""
        return None

    def after(self, app: App, request: Request, response: Response) -> Response:
        """Post-process a response; returns the response to send."""
        return response


@dataclass
class App:
    """Settings and shared state of one emulator server.

    Attributes:
        store: SQLite storage.
        key: Account master key (base64).
        partitions: Physical ranges given to each new container, or ``None`` to derive them
            from the container's (or its shared-throughput database's) RU/s as the service
            does (see :func:`cosmosdb_emulator.ranges.count_for_throughput`).
        hooks: Request hooks (see :class:`Hooks`), in the order they run.
        stats: Request counters served by ``GET /_emulator/stats``, or ``None`` when not
            installed (:func:`cosmosdb_emulator.extensions.install` installs it and the next
            two).
        faults: Fault rules of ``/_emulator/faults``, or ``None``.
        throughput: The RU/s buckets enforcing provisioned throughput, or ``None``.
        query_results: Whole query results kept between the pages of one query.
    """

    store: Store
    key: str = DEFAULT_KEY
    partitions: int | None = None
    hooks: list[Hooks] = field(default_factory=list)
    stats: StatsHook | None = None
    faults: FaultHook | None = None
    throughput: ThroughputHook | None = None
    query_results: ResultCache = field(default_factory=ResultCache)
