"""target-cosmosdb: the Singer target class and its CLI error handling (settings: settings.py)."""

from __future__ import annotations

import logging
import sys
import threading
import typing as t
from concurrent.futures import ThreadPoolExecutor

from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.helpers.capabilities import PluginCapabilities, TargetCapabilities

from cosmosdb_shared import CosmosConnectionError
from cosmosdb_shared.cli import CommandShell
from cosmosdb_shared.runtime import tune_gc_for_streaming
from target_cosmosdb.batch_files import BatchFileError, check_encoding, read_records
from target_cosmosdb.compat import CompatTarget
from target_cosmosdb.dead_letters import BadRecords, DeadLetterWriter
from target_cosmosdb.errors import (
    TargetCosmosDBError,
    TerminatedDuringDrain,
    TerminationRequested,
)
from target_cosmosdb.pipeline import WritePipelines
from target_cosmosdb.reader import LineNumberingReader
from target_cosmosdb.resources import CosmosResources
from target_cosmosdb.settings import TargetSettings, target_properties
from target_cosmosdb.sinks import CosmosDBSink, StreamTotals

if t.TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import PurePath
    from types import FrameType

    from singer_sdk.sinks import Sink

    from target_cosmosdb.compat import ConfigInput


class TargetCosmosDB(CompatTarget):
    """Singer target writing records to Azure Cosmos DB (NoSQL API) in transactional batches."""

    name = "target-cosmosdb"
    #: The settings, declared with their typed form in :mod:`target_cosmosdb.settings`.
    config_jsonschema = target_properties().to_dict()
    default_sink_class = CosmosDBSink
    message_reader_class = LineNumberingReader
    capabilities: t.ClassVar[list[t.Any]] = [
        PluginCapabilities.ABOUT,
        PluginCapabilities.ACTIVATE_VERSION,
        PluginCapabilities.BATCH,
        PluginCapabilities.STREAM_MAPS,
        PluginCapabilities.FLATTENING,
        PluginCapabilities.STRUCTURED_LOGGING,
        TargetCapabilities.VALIDATE_RECORDS,
        TargetCapabilities.HARD_DELETE,
    ]

    #: One-line errors and secret redaction (shared with tap-cosmosdb).
    shell: t.ClassVar[CommandShell] = CommandShell("target-cosmosdb")
    #: The running target's abort event, set before a fatal exit so background writes stop.
    _abort: t.ClassVar[threading.Event | None] = None

    @classmethod
    def append_builtin_config(cls, config_jsonschema: dict) -> None:
        """singer-sdk's built-in settings, without ``load_method`` and ``batch_config``.

        ``load_method`` (append-only, upsert, overwrite) is meant for SQL targets; this target
        writes as ``write_mode`` says, so advertising ``load_method`` in ``--about`` would only
        mislead. ``batch_config`` configures how a *tap* writes batch files; this target reads
        BATCH messages (the ``batch`` capability) from the URLs in their manifest and needs no
        setting. A config that still sets either is accepted and ignored.

        Args:
            config_jsonschema: The settings schema, extended in place.
        """
        super().append_builtin_config(config_jsonschema)
        config_jsonschema["properties"].pop("load_method", None)
        config_jsonschema["properties"].pop("batch_config", None)

    def __init__(
        self,
        *,
        config: dict | PurePath | str | list[PurePath | str] | None = None,
        parse_env_config: bool = False,
        validate_config: bool = True,
        setup_mapper: bool = True,
        message_reader: t.Any = None,
    ) -> None:
        """Create the target; checks settings, builds the client (reads the account).

        Args:
            config: Settings dict or file path(s).
            parse_env_config: Also read ``TARGET_COSMOSDB_*`` environment variables.
            validate_config: Validate settings against the JSON schema.
            setup_mapper: Set up stream maps.
            message_reader: Message reader (tests).

        Raises:
            TargetCosmosDBError: On a contradictory or invalid setting.
            CosmosConnectionError: On bad credentials or an unreachable account.
        """
        # Re-entrant: the signal handler (on_termination) takes it on the main thread, which
        # it may have interrupted inside begin_drain/end_drain.
        self._drain_lock = threading.RLock()
        self._active_drains = 0
        #: Where the record being handled comes from when it was read from a BATCH file.
        self.record_origin: str | None = None
        #: Stream name -> counters over every sink the stream had.
        self.stream_totals: dict[str, StreamTotals] = {}
        super().__init__(
            config=config,
            parse_env_config=parse_env_config,
            validate_config=validate_config,
            setup_mapper=setup_mapper,
            message_reader=message_reader,
        )
        self.shell.protect(self.config)
        #: The settings, parsed once (after singer-sdk validated them against the schema); every
        #: module reads settings from here.
        self.settings = TargetSettings.from_config(self.config)
        paths = self.settings.partition_key_path
        #: Paths from the setting, or None to follow the SCHEMA annotation / ``/id``.
        self.pk_paths: list[str] | None = list(paths) if paths else None
        self.resources = CosmosResources(
            self.settings, user_agent=f"{self.name}/{self.plugin_version}"
        )
        path = self.settings.dead_letter_path
        self.dead_letters = DeadLetterWriter(path) if path else None
        #: The one path of every refused record (dead letter, or a fatal one-line error).
        self.bad_records = BadRecords(self.dead_letters)
        #: Background writers of full batches (one per stream), see :mod:`target_cosmosdb.pipeline`.
        self.pipelines = WritePipelines(self.resources.abort)
        TargetCosmosDB._abort = self.resources.abort
        _ = self.resources.client  # fail fast on bad credentials, before reading any input

    # -- line numbers ---------------------------------------------------------------------------

    @property
    def line_number(self) -> int | None:
        """Number (1-based) of the input line being handled, when the reader tracks it."""
        return getattr(self.message_reader, "line_number", None)

    @property
    def message_version(self) -> t.Any:
        """``version`` of the message being handled (a FULL_TABLE sync's stream version)."""
        return getattr(self.message_reader, "message_version", None)

    # -- BATCH messages -------------------------------------------------------------------------

    def process_batch_message(self, message_dict: dict) -> None:
        """Send every record of a BATCH message's files through the RECORD path.

        singer-sdk's BATCH handler (see :mod:`target_cosmosdb.compat`) passes the files to
        ``Sink.process_batch_files``, which calls ``process_batch({"records": [...]})`` at once:
        without stream maps, validation, ids or dead letters, outside any drain; and this
        target's ``process_batch`` reads ``context["items"]``, so every record was dropped while
        the run exited 0 and passed STATE on. This reader hook (declared by singer-sdk's
        ``BaseSingerReader`` for subclasses; the only place that has both the message and the
        stream maps) is overridden instead: each record becomes the RECORD message it stands for,
        so it lands exactly as that RECORD would, and a STATE after the BATCH is emitted only by
        a drain that wrote its documents.

        Args:
            message_dict: The BATCH message.

        Raises:
            TargetCosmosDBError: For a BATCH before its SCHEMA, an encoding this target cannot
                read, a missing or corrupt file (one line naming the input line and file).
        """
        line = self.line_number
        stream = message_dict.get("stream")
        where = f"Input line {line} (BATCH for stream '{stream}')"
        if not isinstance(stream, str) or stream not in self.mapper.stream_maps:
            raise TargetCosmosDBError(f"{where}: the BATCH arrived before its SCHEMA message")
        manifest = message_dict.get("manifest")
        if not isinstance(manifest, list) or not all(isinstance(u, str) for u in manifest):
            raise TargetCosmosDBError(f"{where}: 'manifest' must be a list of file URLs")
        try:
            fmt, _compression = check_encoding(message_dict.get("encoding"))
            extra = {k: message_dict[k] for k in ("time_extracted", "version") if k in message_dict}
            for url in manifest:
                name = url.rsplit("/", 1)[-1]
                for index, record in enumerate(read_records(url, fmt), start=1):
                    self.record_origin = f"batch file {name!r} record {index}"
                    self.process_record_message(
                        {"type": "RECORD", "stream": stream, "record": record, **extra}
                    )
        except BatchFileError as exc:
            raise TargetCosmosDBError(f"{where}: {exc}") from None
        except TargetCosmosDBError:
            raise
        except Exception as exc:
            origin = f" {self.record_origin}" if self.record_origin else ""
            first = str(exc).splitlines()[0][:300] if str(exc) else ""
            raise TargetCosmosDBError(f"{where}{origin}: {type(exc).__name__}: {first}") from None
        finally:
            self.record_origin = None

    # -- sinks ----------------------------------------------------------------------------------

    def get_sink(
        self,
        stream_name: str,
        *,
        record: dict | None = None,
        schema: dict | None = None,
        key_properties: t.Sequence[str] | None = None,
    ) -> Sink:
        """Return the stream's sink; on a schema change, write the old sink's records first.

        singer-sdk archives the old sink and drains it only at the next full drain, possibly
        after the new sink has drained on its own: an older version of a document would then
        overwrite a newer one. Draining it here keeps the input order (no STATE is emitted).

        Args:
            stream_name: Stream name.
            record: Record being routed (unused).
            schema: New SCHEMA, when called for a SCHEMA message.
            key_properties: Its key properties.

        Returns:
            The sink.
        """
        existing = self.active_sinks.get(stream_name)
        if (
            schema is not None
            and existing is not None
            and existing.current_size
            and (existing.original_schema != schema or existing.key_properties != key_properties)
        ):
            self.logger.info(
                "Schema of stream '%s' changed: writing its %d buffered records first",
                stream_name,
                existing.current_size,
            )
            self.drain_one(existing)
        return super().get_sink(
            stream_name, record=record, schema=schema, key_properties=key_properties
        )

    # -- drains and STATE -----------------------------------------------------------------------

    def begin_drain(self) -> None:
        """Mark that records are being written (SIGTERM must not acknowledge them now)."""
        with self._drain_lock:
            self._active_drains += 1

    def end_drain(self) -> None:
        """Mark the end of a :meth:`begin_drain` section."""
        with self._drain_lock:
            self._active_drains -= 1

    def drain_sinks(self, sink_list: Iterable[Sink], parallelism: int) -> None:
        """Hand every sink's batch to its writer, then wait until all of them are written.

        singer-sdk emits STATE right after this returns (``Target.drain_all``), so the wait
        for the background writers (:class:`~target_cosmosdb.pipeline.WritePipelines`) is what
        keeps a STATE from covering a record still in flight.

        Args:
            sink_list: Sinks to drain.
            parallelism: Sinks drained at once (singer-sdk's ``max_parallelism``).
        """
        self.begin_drain()
        try:
            # A drain only hands a batch to the stream's writer (process_batch), so one thread
            # per sink is needed only while several sinks may wait for a free pipeline slot;
            # singer-sdk's joblib pool (and joblib's import, see cosmosdb_shared.compat) is not.
            sinks = list(sink_list)
            if parallelism <= 1 or len(sinks) <= 1:
                for sink in sinks:
                    self.drain_one(sink)
            else:
                workers = min(parallelism, len(sinks))
                with ThreadPoolExecutor(workers, thread_name_prefix="drain") as pool:
                    for future in [pool.submit(self.drain_one, sink) for sink in sinks]:
                        future.result()
            self.pipelines.flush()
        finally:
            self.end_drain()

    def write_state(self, state: dict) -> None:
        """Emit STATE once everything before it is written (and dead letters are on disk).

        Args:
            state: The latest STATE value received.
        """
        resources = getattr(self, "resources", None)
        if resources is None or resources.abort.is_set():
            return  # terminated mid-drain (or before start-up finished): acknowledge nothing
        self.pipelines.flush()  # already done by drain_sinks; kept as the guarantee's last check
        if self.dead_letters is not None:
            self.dead_letters.sync()
        super().write_state(state)

    def on_termination(self, signum: int, frame: FrameType | None) -> None:
        """Stop on SIGTERM/SIGINT without acknowledging unwritten records (singer-sdk #3775).

        Outside a drain, singer-sdk's behaviour is kept: drain every sink, emit STATE, exit 0;
        but not inside this handler: :class:`TerminationRequested` unwinds the interrupted code
        first and :meth:`stop_gracefully` drains. During a drain (the SDK would re-enter the
        sink and emit STATE for records still in flight), writers are aborted, no STATE is
        emitted, and the run exits 128 + signum.

        Args:
            signum: Signal number.
            frame: Interrupted frame.

        Raises:
            TerminatedDuringDrain: When the signal arrives while records are being written.
            TerminationRequested: Otherwise.
        """
        resources = getattr(self, "resources", None)
        if resources is None:  # still starting up: nothing buffered, nothing to acknowledge
            raise TerminatedDuringDrain(f"Received signal {signum} while starting", signum)
        with self._drain_lock:
            draining = self._active_drains > 0
        if draining or resources.abort.is_set():
            resources.abort.set()
            raise TerminatedDuringDrain(
                f"Received signal {signum} while writing records; stopped without emitting "
                "STATE for them (they will be written again on the next run)",
                signum,
            )
        raise TerminationRequested(signum, self)

    def stop_gracefully(self, signum: int) -> t.NoReturn:
        """Finish a run stopped by a signal between drains: drain, emit STATE, exit 0.

        What singer-sdk's signal handler does, done once :class:`TerminationRequested` (raised
        by :meth:`on_termination`) has unwound the interrupted code. A second signal during this
        drain aborts it (:meth:`on_termination`).

        Args:
            signum: The signal received.

        Raises:
            SystemExit: Always (0) once STATE is emitted.
        """
        self.logger.info("Received termination signal %d, draining all sinks...", signum)
        self.drain_all(is_endofpipe=True)
        self.logger.info("Gracefully shutting down...")
        sys.exit(0)

    def process_endofpipe(self) -> None:
        """Drain everything, retire older versions (ACTIVATE_VERSION), emit the final STATE.

        Then log the summary lines.
        """
        self._retire_older_versions()
        super().process_endofpipe()
        self.pipelines.close()
        if self.dead_letters is not None:
            self.dead_letters.close()
        self.resources.shutdown()
        for line in self.summary():
            self.logger.info("%s", line)

    def totals_for(self, stream: str) -> StreamTotals:
        """Return the counters of ``stream``, shared by every sink the stream has.

        Args:
            stream: Stream name (after stream maps).

        Returns:
            The stream's :class:`~target_cosmosdb.sinks.StreamTotals`.
        """
        return self.stream_totals.setdefault(stream, StreamTotals())

    def _retire_older_versions(self) -> None:
        """Write every buffered record, then retire documents of versions older than activated.

        Runs as a drain (a termination signal aborts it without emitting STATE); only
        documents with an older ``_sdc_table_version`` are touched, so it is safe to interrupt.
        """
        pending = {
            name: totals.pending_activation
            for name, totals in self.stream_totals.items()
            if totals.pending_activation is not None
        }
        if not pending:
            return
        self.drain_sinks(self.sinks_to_clear, 1)
        self.drain_sinks(list(self.active_sinks.values()), self.max_parallelism)
        self.begin_drain()
        try:
            for name, version in sorted(pending.items()):
                sink = self.active_sinks.get(name)
                if isinstance(sink, CosmosDBSink) and version is not None:
                    sink.retire_older_versions(version)
        finally:
            self.end_drain()

    def summary(self) -> list[str]:
        """Return the closing summary: one line per stream, then one for the whole run.

        Each stream's totals cover every sink it had (a SCHEMA change creates a new sink).

        Returns:
            Lines such as ``"Summary for stream 'orders': 10 written, 0 deleted, 0 skipped,
            0 dead-lettered, 1 batches, 12.4 RU, 0 throttles"`` and ``"Summary: 1 streams,
            12.4 RU, 3 requests, 0 throttles"``.
        """
        meter = self.resources.meter
        lines = [
            totals.summary(name, meter.totals(name).request_units)
            for name, totals in sorted(self.stream_totals.items())
        ]
        total = meter.totals()
        lines.append(
            f"Summary: {len(self.stream_totals)} streams, {total.request_units:.1f} RU, "
            f"{total.requests} requests, {total.throttles} throttles"
        )
        return lines

    # -- CLI ------------------------------------------------------------------------------------

    @classmethod
    def invoke(  # type: ignore[override]
        cls,
        *,
        about: bool = False,
        about_format: str | None = None,
        config: ConfigInput | None = None,
        file_input: t.IO[str] | None = None,
    ) -> None:
        """Run the target; a fatal error becomes one stderr line and a non-zero exit.

        Args:
            about: Print metadata and settings.
            about_format: ``json`` or ``markdown`` for ``--about``.
            config: Settings files or ``ENV``.
            file_input: Read messages from this file instead of stdin.
        """
        if not about:
            tune_gc_for_streaming()  # batches of held records made the collector cost ~20 % CPU
        try:
            try:
                super().invoke(
                    about=about, about_format=about_format, config=config, file_input=file_input
                )
            except TerminationRequested as request:
                request.target.stop_gracefully(request.signum)
        except SystemExit:
            raise
        except ConfigValidationError as exc:
            # singer-sdk would log each error and "Config validation failed" on lines of their
            # own; one line naming every setting at fault, like every other error here.
            errors = "; ".join(" ".join(str(e).split()) for e in exc.errors) or str(exc)
            cls._fail(f"Invalid settings: {errors}", 1)
        except TerminatedDuringDrain as exc:
            cls._fail(str(exc), 128 + exc.signum, hard=True)
        except TerminationRequested as request:  # a second signal while stopping gracefully
            cls._fail(
                f"Received signal {request.signum} again while stopping; stopped without "
                "emitting STATE for the records not yet acknowledged",
                128 + request.signum,
                hard=True,
            )
        except (TargetCosmosDBError, CosmosConnectionError) as exc:
            cls._fail(str(exc), 1)
        except Exception as exc:
            logging.getLogger(cls.name).debug("Unexpected error", exc_info=True)
            first = str(exc).splitlines()[0] if str(exc) else ""
            cls._fail(f"{type(exc).__name__}: {first[:500]}", 1)

    @classmethod
    def _fail(cls, message: str, code: int, *, hard: bool = False) -> t.NoReturn:
        if cls._abort is not None:
            # Nothing after the error is acknowledged; background batches must not go on
            # retrying (throttles are retried without limit) while the process exits.
            cls._abort.set()
        # hard: worker threads may still be waiting on the network; do not join them.
        cls.shell.fail(message, code, hard=hard)
