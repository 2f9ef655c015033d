"""Progress of a run: one log line and METRIC points per active stream at a fixed interval.

Every ``progress_interval_seconds`` (default 30, 0 = off) a daemon thread logs, for each stream
that is being read or has read anything since the previous line::

    Progress of stream 'flights' (LOG_BASED): 120000 records, 4100.0 records/s, 2 of 4 feed
    ranges caught up, 1234.50 RU in 130 requests, 3 throttled, 29.3 s

and writes the stream's METRIC points (:meth:`tap_cosmosdb.metrics.TapMetrics.report`: per feed
range, the increase since the previous point); the last ones come at the end of the run
(:meth:`tap_cosmosdb.metrics.TapMetrics.finish`).

A thread rather than a check between pages, so a stream stuck in throttling or retries still
reports. It only reads counters (ints and the lock-protected RU meter); the Singer messages on
stdout are written by the main thread alone.
"""

from __future__ import annotations

import logging
import threading
import time
import typing as t

from tap_cosmosdb.metrics import TapMetrics

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from cosmosdb_shared import RequestChargeMeter
    from tap_cosmosdb.streams import CosmosContainerStream

logger = logging.getLogger("tap-cosmosdb")


class ProgressReporter:
    """Reports the progress of the selected streams every ``interval`` seconds.

    Use as a context manager around the run (``with reporter:``); :meth:`begin` marks the stream
    the run is reading now (it gets a line even when nothing moved, e.g. while throttled).
    """

    def __init__(
        self,
        streams: Iterable[CosmosContainerStream],
        interval: float,
        meter: RequestChargeMeter,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Create the reporter.

        Args:
            streams: The selected streams.
            interval: Seconds between reports; 0 (or less) disables reporting.
            meter: The tap's RU meter.
            clock: Monotonic clock in seconds.
        """
        #: The run's METRIC points (also written at the end of the run, by the tap).
        self.metrics = TapMetrics(meter)
        self.streams = list(streams)
        self.interval = float(interval)
        self.clock = clock
        self.current: CosmosContainerStream | None = None
        self._started: dict[str, float] = {}
        self._last: dict[str, dict[str, float | int]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def enabled(self) -> bool:
        """Whether reports are written (``interval`` > 0)."""
        return self.interval > 0

    def begin(self, stream: CosmosContainerStream) -> None:
        """Mark ``stream`` as the one being read now.

        Args:
            stream: The stream.
        """
        self._started.setdefault(stream.name, self.clock())
        self.current = stream

    def __enter__(self) -> ProgressReporter:
        """Start the reporting thread (when enabled).

        Returns:
            The reporter.
        """
        if self.enabled:
            self._thread = threading.Thread(
                target=self._run, name="tap-cosmosdb-progress", daemon=True
            )
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop the reporting thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.report()
            except Exception:  # progress must never end a run
                logger.debug("progress report failed", exc_info=True)

    def report(self) -> list[str]:
        """Log one progress line (and METRIC points) per stream that is active or moved.

        Returns:
            The lines logged (for tests).
        """
        lines: list[str] = []
        now = self.clock()
        for stream in self.streams:
            if stream.name not in self._started:
                continue  # not begun yet
            totals = stream.stream_totals()
            previous = self._last.get(stream.name)
            moved = previous is None or any(totals[key] != previous[key] for key in totals)
            if stream is not self.current and not moved:
                continue
            elapsed = max(now - self._started.get(stream.name, now), 1e-9)
            line = progress_line(stream, totals, elapsed)
            logger.info(line)
            lines.append(line)
            self.metrics.report(stream)
            self._last[stream.name] = dict(totals)
        return lines


def progress_line(
    stream: CosmosContainerStream, totals: dict[str, float | int], elapsed: float
) -> str:
    """Format one progress line.

    Args:
        stream: The stream.
        totals: ``stream.stream_totals()``.
        elapsed: Seconds since the stream started.

    Returns:
        e.g. ``Progress of stream 'flights' (LOG_BASED): 1200 records, 410.0 records/s, 2 of 4
        feed ranges caught up, 12.50 RU in 13 requests, 0 throttled, 2.9 s``.
    """
    parts = [
        f"{totals['records']} records",
        f"{totals['records'] / elapsed:.1f} records/s",
    ]
    ranges = stream.range_progress()
    if ranges is not None:
        parts.append(f"{ranges[0]} of {ranges[1]} feed ranges caught up")
    parts += [
        f"{float(totals['request_units']):.2f} RU in {totals['requests']} requests",
        f"{totals['throttles']} throttled",
        f"{elapsed:.1f} s",
    ]
    return f"Progress of stream '{stream.name}' ({stream.replication_method}): " + ", ".join(parts)
