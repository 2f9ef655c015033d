"""Background writes: a stream's full batches are written while the next ones are parsed.

singer-sdk's RECORD handler drains a full sink synchronously
(``Target.drain_one`` -> ``Sink.process_batch``), so reading, validating and building documents
stop while a batch is written. :class:`WritePipeline` takes the batch instead and writes it on a
thread of its own, one pipeline per stream:

* batches of one stream are written one after another, in input order (a later version of a
  document is never overwritten by an earlier one; concurrency comes from the requests of one
  batch, which run on the target's thread pool);
* at most ``max_pending`` batches (the one being written included) wait or run per stream; a
  further batch blocks its sender until one finishes, so memory stays bounded;
* the first error of a batch is kept: every later call (:meth:`submit`, :meth:`check`,
  :meth:`flush`) raises it in the calling thread, and no later batch of the stream is written;
* :meth:`flush` waits until every batch handed over so far is written (call it before a STATE is
  emitted: a STATE acknowledges only records that are in Cosmos DB or the dead-letter file).
"""

from __future__ import annotations

import collections
import threading
import typing as t

from target_cosmosdb.errors import TargetCosmosDBError, TerminatedDuringDrain

if t.TYPE_CHECKING:
    from collections.abc import Callable

#: Batches per stream being written or waiting to be (the sender waits beyond that).
DEFAULT_MAX_PENDING = 2
#: Longest single wait on the pipeline's condition, in seconds (abort is checked in between).
_POLL_SECONDS = 0.2


class WritePipeline:
    """Write one stream's batches in order on a background thread.

    Args:
        stream: Stream name (thread name and messages).
        abort: Event set on a termination signal or a fatal error: waiting stops.
        max_pending: Batches being written or waiting, at most (at least 1).
    """

    def __init__(
        self, stream: str, *, abort: threading.Event, max_pending: int = DEFAULT_MAX_PENDING
    ) -> None:
        self.stream = stream
        self.abort = abort
        self.max_pending = max(1, max_pending)
        self._cond = threading.Condition()  # re-entrant: a signal handler may flush
        self._jobs: collections.deque[Callable[[], None]] = collections.deque()
        self._running = False
        self._closed = False
        self._thread: threading.Thread | None = None
        #: The first exception a batch raised (kept; raised again by every later call).
        self.error: BaseException | None = None

    @property
    def pending(self) -> int:
        """Batches handed over and not yet written (the one being written included)."""
        with self._cond:
            return len(self._jobs) + (1 if self._running else 0)

    def check(self) -> None:
        """Raise the error of an earlier batch, if one failed.

        Raises:
            TargetCosmosDBError: The batch's error (one line), or a wrapper naming the stream
                for an error of another kind.
        """
        error = self.error
        if error is None:
            return
        if isinstance(error, TargetCosmosDBError):
            raise error
        first = str(error).splitlines()[0][:500] if str(error) else ""
        raise TargetCosmosDBError(
            f"Stream '{self.stream}': writing records failed: {type(error).__name__}: {first}"
        ) from None

    def _wait(self) -> None:
        """One bounded wait on the condition (held by the caller)."""
        if self.abort.is_set():
            raise TerminatedDuringDrain("write aborted")
        self._cond.wait(_POLL_SECONDS)

    def submit(self, job: Callable[[], None]) -> None:
        """Hand over a batch's write; wait first while ``max_pending`` batches are pending.

        Args:
            job: Writes the batch; runs on the pipeline's thread after every earlier job.

        Raises:
            TargetCosmosDBError: If an earlier batch of the stream failed (nothing is queued).
            TerminatedDuringDrain: If aborted while waiting.
        """
        with self._cond:
            while True:
                self.check()
                if len(self._jobs) + (1 if self._running else 0) < self.max_pending:
                    break
                self._wait()
            if self._closed:
                raise TargetCosmosDBError(f"Stream '{self.stream}': write pipeline closed")
            self._jobs.append(job)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._work, name=f"write-{self.stream}", daemon=True
                )
                self._thread.start()
            self._cond.notify_all()

    def flush(self) -> None:
        """Wait until every batch handed over so far is written.

        Raises:
            TargetCosmosDBError: If a batch failed (now or earlier).
            TerminatedDuringDrain: If aborted while waiting.
        """
        with self._cond:
            while self._jobs or self._running:
                if self.error is not None:
                    break
                self._wait()
            self.check()

    def close(self) -> None:
        """Stop the thread once its queue is empty (queued batches are still written)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and not self.abort.is_set():
            thread.join()

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._jobs:
                    if self._closed:
                        return
                    self._cond.wait(_POLL_SECONDS)
                job = self._jobs.popleft()
                self._running = True
            try:
                job()
            except BaseException as exc:  # re-raised in the sender's thread
                with self._cond:
                    if self.error is None:
                        self.error = exc
                    self._jobs.clear()  # nothing after a failed batch may be written
            finally:
                with self._cond:
                    self._running = False
                    self._cond.notify_all()


class WritePipelines:
    """One :class:`WritePipeline` per stream, created on first use.

    Args:
        abort: Shared abort event (the target's resources).
        max_pending: Per-stream bound, see :class:`WritePipeline`.
    """

    def __init__(self, abort: threading.Event, max_pending: int = DEFAULT_MAX_PENDING) -> None:
        self.abort = abort
        self.max_pending = max_pending
        self._lock = threading.RLock()  # a signal handler may flush while the main thread holds it
        self._by_stream: dict[str, WritePipeline] = {}

    def for_stream(self, stream: str) -> WritePipeline:
        """Return the stream's pipeline.

        Args:
            stream: Stream name (after stream maps).

        Returns:
            The pipeline shared by every sink the stream has.
        """
        with self._lock:
            pipeline = self._by_stream.get(stream)
            if pipeline is None:
                pipeline = WritePipeline(stream, abort=self.abort, max_pending=self.max_pending)
                self._by_stream[stream] = pipeline
            return pipeline

    def _all(self) -> list[WritePipeline]:
        with self._lock:
            return list(self._by_stream.values())

    @property
    def busy(self) -> bool:
        """True while any stream has a batch being written or waiting."""
        return any(p.pending for p in self._all())

    def check(self) -> None:
        """Raise the first stored error of any stream (see :meth:`WritePipeline.check`)."""
        for pipeline in self._all():
            pipeline.check()

    def flush(self) -> None:
        """Wait until every stream's batches are written; raise the first error."""
        self.check()
        for pipeline in self._all():
            pipeline.flush()

    def close(self) -> None:
        """Stop every pipeline thread."""
        for pipeline in self._all():
            pipeline.close()
