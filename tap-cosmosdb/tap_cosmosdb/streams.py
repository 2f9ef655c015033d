"""The stream class: one stream per container.

Replication methods:

* ``LOG_BASED`` (default): the change feed, one state partition per feed range. Each
  partition's bookmark holds the range's continuation token and the last LSN emitted, and is
  written (and a STATE message emitted) after every page whose records have all been emitted.
  With ``max_parallel_ranges`` > 1 (default 4) the ranges are read by worker threads
  (:mod:`tap_cosmosdb.parallel`) and emitted here, page by page (:meth:`_read_ranges_parallel`).
* ``INCREMENTAL``: ``SELECT … WHERE c._ts >= @ts ORDER BY c._ts`` (replication key ``_ts``).
* ``FULL_TABLE``: the stream's query (setting ``queries``, default ``SELECT * FROM c``).

STATE (see docs/tap.md, "State")::

    {"bookmarks": {"<container>": {"partitions": [
        {"context": {"range_min": "", "range_max": "3FFF…"},
         "continuation": "<base64 token>", "last_lsn": 42, "mode": "LatestVersion"}, …],
        "shard": {"index": 0, "count": 1},
        "declared_schema": {"<property>": {"type": ["number", "null"]}, …}}}}

``declared_schema`` keeps the type declared for each top-level property, so later runs declare
the same (:meth:`CosmosContainerStream.declare_from_state`); values that do not fit go to
``_sdc_rescued_data`` (:meth:`CosmosContainerStream.post_process`).

With ``shard_count`` > 1 (see :mod:`tap_cosmosdb.shards`) the partitions are the intersections of
the shard's EPK slice with the physical ranges, and queries are scoped to the slice.
"""

from __future__ import annotations

import copy
import datetime
import itertools
import logging
import sys
import typing as t
from dataclasses import dataclass

from singer_sdk.contrib.msgspec import encoder as msgspec_encoder
from singer_sdk.exceptions import (
    AbortedSyncFailedException,
    AbortedSyncPausedException,
    MaxRecordsLimitException,
)
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.mapper import SameRecordTransform
from singer_sdk.singerlib import Metadata

from cosmosdb_shared.conventions import PARTITION_KEY_SCHEMA_KEYWORD
from cosmosdb_shared.partition_key import PartitionKeyDefinition, path_parts
from tap_cosmosdb.change_feed import (
    ALL_VERSIONS_AND_DELETES,
    LATEST_VERSION,
    ChangeFeedRangeReader,
    FeedRange,
    ReaderStats,
)
from tap_cosmosdb.compat import (
    StreamHooks,
    catalog_replication_key,
    replace_stream_schema,
    set_catalog_replication_key,
    stream_version,
)
from tap_cosmosdb.continuation import ContinuationError, check_token
from tap_cosmosdb.epk import EpkHasher
from tap_cosmosdb.parallel import Finished, prefetch, read_in_parallel
from tap_cosmosdb.query_reader import (
    IncrementalMerge,
    QueryReader,
    TsPage,
    build_full_table_query,
    build_incremental_query,
    physical_ranges,
    ts_pages,
)
from tap_cosmosdb.records import (
    DELETED_AT_PROPERTY,
    DOCUMENT_PROPERTY,
    PARTITION_KEY_PROPERTY,
    RESCUED_DATA_PROPERTY,
    change_to_record,
    document_record,
    take_document,
)
from tap_cosmosdb.schema_inference import (
    FREE_OBJECT,
    fit_record,
    is_datetime,
    is_inferred,
    unmarked,
)
from tap_cosmosdb.settings import TapSettings
from tap_cosmosdb.shapes import ShapeVerdicts, record_shape
from tap_cosmosdb.shards import ShardLayout, ShardSettingError, shard_feed_ranges

if t.TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from azure.cosmos import ContainerProxy
    from singer_sdk.helpers.types import Context

    from tap_cosmosdb.tap import TapCosmosDB, WorkerConnection

LOG_BASED = "LOG_BASED"
INCREMENTAL = "INCREMENTAL"
FULL_TABLE = "FULL_TABLE"
REPLICATION_KEY = "_ts"

#: Phases of a range in AllVersionsAndDeletes mode (bookmark key ``phase``).
PHASE_SNAPSHOT = "snapshot"
PHASE_CHANGES = "changes"

#: Stream state key holding the declared top-level property nodes (see ``declare_from_state``).
DECLARED_SCHEMA_KEY = "declared_schema"
#: At most this many SCHEMA changes (new properties) per stream and run; later ones are rescued.
MAX_SCHEMA_CHANGES_PER_RUN = 5
#: Properties the tap declares itself, the same in every run (never kept in state).
TAP_PROPERTIES = frozenset(
    {
        PARTITION_KEY_PROPERTY,
        "id",
        "_ts",
        "_etag",
        "_lsn",
        DELETED_AT_PROPERTY,
        RESCUED_DATA_PROPERTY,
    }
)
_UNCHECKED_PROPERTIES = frozenset(
    {PARTITION_KEY_PROPERTY, "id", DELETED_AT_PROPERTY, RESCUED_DATA_PROPERTY}
)


class StreamSettingError(ValueError):
    """A setting or catalog choice that this stream cannot honour (one-line message)."""


@dataclass
class _RangeStep:
    """What reading a feed range produced: records, then the bookmark values that follow them.

    Attributes:
        records: Records to emit, in change-feed order.
        updates: Bookmark values to write once every record is emitted (None removes a key).
        activity: The page held changes (resets the ``idle_exit_seconds`` clock).
    """

    records: list[dict[str, t.Any]]
    updates: dict[str, t.Any]
    activity: bool = False


#: The line singer-sdk's ``Stream.sync`` logs before re-raising any exception.
_SDK_UNHANDLED_ERROR = "An unhandled error occurred while syncing"


class CosmosContainerStream(StreamHooks):
    """All documents of one container, as records keyed by ``_sdc_partition_key`` and ``id``."""

    #: No per-value type conformance: records are JSON decoded by azure-cosmos (only str, int,
    #: float, bool, None, list, dict), and every value that does not fit its declared type is
    #: moved to ``_sdc_rescued_data`` before the record is emitted (:meth:`post_process`), so
    #: conformance would change nothing; it was the largest single cost of a change-feed drain
    #: (benchmarks/README.md).
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    def __init__(
        self,
        tap: TapCosmosDB,
        *,
        container_properties: t.Mapping[str, t.Any],
        container: ContainerProxy,
        schema: dict[str, t.Any],
    ) -> None:
        """Create the stream.

        Args:
            tap: The tap.
            container_properties: The container resource (``id``, ``_rid``,
                ``partitionKey.paths``) as returned by ``ContainerProxy.read()``.
            container: The container proxy used for every read.
            schema: The stream schema (inferred at discovery).
        """
        super().__init__(tap, schema=schema, name=str(container_properties["id"]))
        self._cosmos_tap = tap
        #: The tap's settings (parsed once by the tap).
        self.settings: TapSettings = tap.settings
        self.container = container
        self.container_rid: str | None = container_properties.get("_rid")
        self._partition_key_definition = PartitionKeyDefinition.from_resource(
            container_properties.get("partitionKey"), default_paths=()
        )
        self.partition_key_paths: list[str] = list(self._partition_key_definition.paths)
        self.primary_keys = [PARTITION_KEY_PROPERTY, "id"]
        self._range_contexts: list[dict[str, str]] | None = None
        self.range_stats: dict[str, ReaderStats] = {}
        self.query_stats: list[t.Any] = []
        self.records_emitted = 0
        self._pending_activate_version: int | None = None
        self._epk_hasher: EpkHasher | None = None
        self._verdicts = ShapeVerdicts()
        #: Top-level properties declared ``format: date-time`` (checked on every record).
        self._datetime_properties: tuple[str, ...] = ()
        #: Top-level properties whose declaration is kept in state (not pinned by the catalog).
        self._tracked: set[str] = set()
        self._schema_changes_left = MAX_SCHEMA_CHANGES_PER_RUN
        self._max_object_properties = self.settings.max_object_properties
        self.document_mode = self.settings.document_mode
        self._note_datetime_properties()
        #: Feed ranges (LOG_BASED) read up to the present at least once in this run.
        self.ranges_caught_up: set[str] = set()
        #: Records are written page by page by the stream itself (see ``direct_record_path``).
        self._direct = False
        self._direct_lines = bytearray()
        self._direct_index = 0
        self._record_counter: t.Any = None

    def log(self, message: str, *args: t.Any, level: int = logging.INFO, **kwargs: t.Any) -> None:
        """Log a message (singer-sdk's hook), minus singer-sdk's misleading error preamble.

        singer-sdk's ``Stream.sync`` logs ``An unhandled error occurred while syncing '<stream>'``
        before re-raising any exception. For the errors the tap reports itself as one line
        (settings, connection, bookmarks) and for the record limit of ``--test``, that line is
        noise before the real message, so it is not logged.

        Args:
            message: The message (``%``-style format).
            *args: Format arguments.
            level: The logging level.
            **kwargs: Passed to ``logging.Logger.log``.
        """
        if level >= logging.ERROR and message.startswith(_SDK_UNHANDLED_ERROR):
            exc = sys.exc_info()[1]
            if exc is not None and (
                self._cosmos_tap.reports_as_one_line(exc) or _is_record_limit(exc)
            ):
                return
        super().log(message, *args, level=level, **kwargs)

    def get_record_counter(self, **kwargs: t.Any) -> t.Any:
        """singer-sdk's ``record_count`` counter, logged every ``progress_interval_seconds``.

        Args:
            **kwargs: Passed to ``singer_sdk.Stream.get_record_counter``.

        Returns:
            The counter.
        """
        interval = self.settings.progress_interval_seconds
        if interval > 0:
            kwargs["log_interval"] = interval
        # singer-sdk asks for the counter once at the start of each pass over the partitions;
        # records written directly (``direct_record_path``) are counted on it too.
        self._record_counter = super().get_record_counter(**kwargs)
        self._direct_index = 0
        return self._record_counter

    @property
    def direct_record_path(self) -> bool:
        """Whether this sync writes RECORD messages itself, a page at a time.

        singer-sdk handles each record on its own (``Stream._sync_records``): selection pruning,
        type conformance, stream maps, child contexts, counters, one write and flush per
        message. When none of that changes a record (any replication method, no stream maps,
        no flattening, every property selected, no ``batch_config``, no ``--test`` record
        limit), the stream writes the same RECORD messages itself: each page's records are
        fitted to the schema (:meth:`post_process`), serialised with singer-sdk's msgspec
        encoder and written with one write. ``time_extracted`` is taken once per page.
        INCREMENTAL's bookmark then advances after each written chunk (:meth:`_read_incremental`).
        ``tests/tap/test_record_path.py`` checks that both paths write the same messages.
        """
        if not self.selected:
            return False
        if self.ABORT_AT_RECORD_COUNT is not None or self.get_batch_config(self.config):
            return False
        if self.child_streams:
            return False
        maps = self.stream_maps
        if len(maps) != 1 or type(maps[0]) is not SameRecordTransform:
            return False
        if maps[0].flattening_enabled or maps[0].stream_alias != self.name:
            return False
        return all(self.mask.values())

    def _write_direct(self, records: list[dict[str, t.Any]]) -> None:
        """Write RECORD messages for a page's records (see :attr:`direct_record_path`)."""
        # One RECORD message is {"type", "stream", "record", ["version",] "time_extracted"}, the
        # keys in singer-sdk's order (``RecordMessage.to_dict``). Everything but the record is
        # the same for the whole page, so it is encoded once (by the same msgspec encoder as
        # singer-sdk's writer, compact, so the bytes are those of the whole message encoded at
        # once) and each line is head + record + tail.
        version = stream_version(self)
        extracted = datetime.datetime.now(datetime.timezone.utc)
        rest: dict[str, t.Any] = {} if version is None else {"version": version}
        rest["time_extracted"] = extracted
        head = bytes(msgspec_encoder.encode({"type": "RECORD", "stream": self.name}))
        head = head[:-1] + b',"record":'
        tail = b"," + bytes(msgspec_encoder.encode(rest))[1:] + b"\n"
        encode_into = msgspec_encoder.encode_into
        lines = self._direct_lines
        frequency = self.STATE_MSG_FREQUENCY
        # The fit of post_process, inlined: what is looked up once per record there (schema,
        # verdicts, date-time properties) is looked up once per page here, and again only
        # after a record of a new shape (whose check may declare properties: a new schema).
        # A record of a known shape with nothing to rescue costs one signature and one lookup.
        document_mode = self.document_mode
        verdicts = self._verdicts
        known = verdicts.known(self.effective_schema)
        datetimes = self._datetime_properties
        index = self._direct_index
        counted = 0  # records of this page already added to the counters
        for position, record in enumerate(records, 1):
            if document_mode:
                record = document_record(record)
            else:
                shape = record_shape(record)
                verdict = known.get(shape)
                if verdict is None:
                    verdict = self._decide(record, shape)
                    known = verdicts.known(self.effective_schema)
                    datetimes = self._datetime_properties
                if verdict:
                    self._rescue(record, verdict)
                else:
                    for name in datetimes:  # _rescue's date-time check, inlined
                        value = record.get(name)
                        if value.__class__ is str and not is_datetime(value):
                            self._rescue(record, verdict)
                            break
            lines += head
            encode_into(record, lines, -1)  # appended (msgspec: offset -1)
            lines += tail
            index += 1
            if index % frequency == 0:
                # singer-sdk writes STATE every STATE_MSG_FREQUENCY records as well.
                self._direct_index = index
                self._count_direct(position - counted)
                counted = position
                self._flush_direct()
                self._write_state()
        self._direct_index = index
        self._flush_direct()
        self._count_direct(len(records) - counted)

    def _count_direct(self, written: int) -> None:
        """Add records written by the direct path to the stream's counters."""
        if written:
            self.records_emitted += written
            if self._record_counter is not None:
                self._record_counter.increment(written)

    def _flush_direct(self) -> None:
        """Write the RECORD lines waiting in the page buffer."""
        if self._direct_lines:
            out = sys.stdout.buffer
            out.write(self._direct_lines)
            out.flush()
            self._direct_lines.clear()
            self.state_manager.is_flushed = False

    def _write_state(self) -> None:
        """Write a STATE message unless nothing changed since the last one."""
        if not self.state_manager.is_flushed:
            _ = self.stream_state  # the stream's entry exists before it is written
            self._cosmos_tap.state_writer.write_state(self.tap_state)
            self.state_manager.is_flushed = True

    def adjust_schema_message(self, message: t.Any) -> t.Any:
        """Declare the container's partition key definition in a SCHEMA message.

        The schema gains the top-level keyword ``x-cosmosdb-partition-key`` (see
        :mod:`cosmosdb_shared.conventions`) so that target-cosmosdb can create a destination
        container with the same key. It is added here, after stream maps, because singer-sdk's
        catalog schemas keep only standard JSON-schema keywords.

        Args:
            message: A SCHEMA message singer-sdk generated.

        Returns:
            The message.
        """
        if self.partition_key_paths:
            message.schema = {
                **message.schema,
                PARTITION_KEY_SCHEMA_KEYWORD: self._partition_key_definition.as_dict(),
            }
        return message

    # Replication method and key ---------------------------------------------------------

    @property
    def replication_method(self) -> str:
        """``forced`` by the catalog (Meltano ``metadata: replication-method``), else LOG_BASED.

        A catalog naming a replication key without a method means INCREMENTAL.
        """
        if self.forced_replication_method:
            return str(self.forced_replication_method).upper()
        if catalog_replication_key(self):
            return INCREMENTAL
        return LOG_BASED

    @property
    def replication_key(self) -> str | None:
        """``_ts`` for INCREMENTAL, else None."""
        if self.replication_method != INCREMENTAL:
            return None
        return catalog_replication_key(self) or REPLICATION_KEY

    @replication_key.setter
    def replication_key(self, new_value: str | None) -> None:
        set_catalog_replication_key(self, new_value)

    @property
    def emit_activate_version_messages(self) -> bool:
        """Setting ``emit_activate_version_messages``, default True (singer-sdk's is False).

        singer-sdk emits ``ACTIVATE_VERSION`` only for FULL_TABLE streams, before their first
        record, with version = the tap's start in epoch seconds; every RECORD of the stream
        then carries that ``version``.
        """
        if self.shard.sharded:
            # A shard reads one slice of the container: a loader would retire the rows of
            # every other slice.
            return False
        return self.settings.emit_activate_version_messages

    def hold_activate_version(self, version: int) -> bool:
        """Hold ACTIVATE_VERSION back until every record of the stream has been emitted.

        singer-sdk 0.54.9 (``Stream.sync``) writes ACTIVATE_VERSION before the first record. A
        loader that honours it (target-postgres with ``hard_delete``, ``sinks.py:
        activate_version``) then deletes every row of an older version at once: the table is
        empty while the refresh runs, and stays partial if the run fails. There is no public
        hook for where the message goes, so the message is kept here and written by
        :meth:`finish_full_table` once the sync has emitted every record.

        With ``batch_config`` the message goes first, where singer-sdk puts it: BATCH messages
        carry no version, so a loader learns the version of the batch files' records only from
        an ACTIVATE_VERSION sent before them.

        Args:
            version: The version singer-sdk chose (the run's start, epoch seconds).

        Returns:
            True when the message is held back.
        """
        if self.get_batch_config(self.config) is not None:
            return False
        self._pending_activate_version = version
        return True

    def finish_full_table(self) -> None:
        """Write the held-back ACTIVATE_VERSION, after the stream's last record (or BATCH).

        Called by the tap after ``Stream.sync`` returned normally; a sync that failed never
        reaches it, so a loader never deletes rows on the word of an incomplete refresh.
        """
        version = self._pending_activate_version
        if version is not None:
            self._pending_activate_version = None
            self.write_activate_version(version)

    @property
    def shard(self) -> ShardLayout:
        """This process's shard layout (settings ``shard_index`` / ``shard_count``)."""
        return self.settings.shard

    @property
    def is_sorted(self) -> bool:
        """INCREMENTAL reads are ordered by ``_ts``, so bookmarks advance while reading.

        Sharded or not: each feed range (a shard's slice of a physical range) is queried on its
        own and the tap merges them on ``_ts`` (:class:`tap_cosmosdb.query_reader.IncrementalMerge`).
        """
        return self.replication_method == INCREMENTAL

    @property
    def metadata(self) -> t.Any:
        """Standard metadata, advertising ``_ts`` as the valid replication key.

        For an INCREMENTAL stream ``_ts`` is ``inclusion: automatic``: it is selected whatever
        the catalog says (singer-sdk's selection mask keeps automatic properties), because its
        value is the bookmark. A catalog that deselects it would otherwise lose it before the
        bookmark is read. ``_sdc_rescued_data`` (``document`` in ``schema_mode: document``) is
        automatic too: selecting some properties must not drop the values rescued from them.
        """
        md = super().metadata
        if not md.root.valid_replication_keys:
            md.root.valid_replication_keys = [REPLICATION_KEY]
        automatic = [DOCUMENT_PROPERTY if self.document_mode else RESCUED_DATA_PROPERTY]
        if self.replication_method == INCREMENTAL:
            automatic.append(REPLICATION_KEY)
        for name in automatic:
            breadcrumb = ("properties", name)
            entry = md.get(breadcrumb)
            if entry is None:
                entry = Metadata()
                md[breadcrumb] = entry
            entry.inclusion = Metadata.InclusionType.AUTOMATIC
        return md

    def check_replication_settings(self) -> None:
        """Fail early on an unsupported replication method or key.

        Raises:
            StreamSettingError: On an unknown method, a replication key other than ``_ts``, or a
                ``queries`` entry for a stream that is not FULL_TABLE.
        """
        method = self.replication_method
        if method not in (LOG_BASED, INCREMENTAL, FULL_TABLE):
            raise StreamSettingError(
                f"Stream '{self.name}': replication method '{method}' is not supported "
                "(LOG_BASED, INCREMENTAL or FULL_TABLE)"
            )
        if method == INCREMENTAL and self.replication_key != REPLICATION_KEY:
            raise StreamSettingError(
                f"Stream '{self.name}': replication key '{self.replication_key}' is not "
                "supported; INCREMENTAL uses '_ts'"
            )
        if self.name in self.settings.queries and method != FULL_TABLE:
            raise StreamSettingError(
                f"Setting 'queries' has a query for stream '{self.name}', which is replicated "
                f"{method}; queries apply to FULL_TABLE streams only (set the stream's "
                "replication-method to FULL_TABLE, or remove the entry)"
            )

    def check_shard_layout(self) -> None:
        """Refuse a state written by another shard layout; record this run's layout in state.

        The stream's state gains ``"shard": {"index": i, "count": n}``. A state without that entry
        was written before sharding existed (or by a single process) and is accepted only by a
        single shard (``shard_count`` 1) when it holds positions.

        Raises:
            ShardSettingError: If the stream's state holds positions of another layout.
        """
        layout = self.shard
        state = self.stream_state
        stored = ShardLayout.from_state(state.get("shard"))
        has_positions = bool(
            state.get("partitions")
            or state.get("replication_key_value") is not None
            or state.get("progress_markers")
        )
        if stored is None and "shard" in state:
            raise ShardSettingError(
                f"Stream '{self.name}': the state's 'shard' entry {state['shard']!r} is not "
                '{"index": <int>, "count": <int>}'
            )
        if stored is None and has_positions and layout.sharded:
            stored = ShardLayout(0, 1)
        if stored is not None and stored != layout:
            raise ShardSettingError(
                f"Stream '{self.name}': the state was written by {stored} but this run is "
                f"{layout} (shard_index={layout.index}, shard_count={layout.count}); give each "
                "shard its own state, or change the shard count as described in "
                "docs/scaling-out.md ('Changing the shard count')"
            )
        state["shard"] = layout.to_state()

    # Partitions (feed ranges) ------------------------------------------------------------

    @property
    def partitions(self) -> list[dict] | None:
        """One context per feed range, for LOG_BASED read one range after another.

        With ``max_parallel_ranges`` > 1 singer-sdk gets no partitions: it then calls
        :meth:`get_records` once, with no context, and the stream reads every range itself
        (:meth:`_read_ranges_parallel`), keeping one bookmark per range in the same
        ``partitions`` state entries.

        Returns:
            ``[{"range_min": ..., "range_max": ...}, ...]`` (see :meth:`range_contexts`), or None
            for query-based methods and parallel reads.
        """
        if self.replication_method != LOG_BASED or self.settings.max_parallel_ranges > 1:
            return None
        return self.range_contexts()

    def range_contexts(self) -> list[dict[str, str]]:
        """One context per feed range (LOG_BASED).

        The ranges recorded in state are kept as they are (a range split since then is still one
        partition: its token carries the child ranges). Current ranges from
        ``read_feed_ranges()`` are added when they overlap no recorded range (first run, or a run
        interrupted before reaching every range).

        Returns:
            ``[{"range_min": ..., "range_max": ...}, ...]``, sorted by ``range_min``.
        """
        if self._range_contexts is None:
            self._range_contexts = self._compute_range_contexts()
        return [dict(c) for c in self._range_contexts]

    def _compute_range_contexts(self) -> list[dict[str, str]]:
        recorded: list[FeedRange] = []
        for partition in self.state_manager.get_state_partitions() or []:
            context = partition.get("context") or {}
            if "range_min" in context and "range_max" in context:
                recorded.append(FeedRange.from_context(context))
        physical = [FeedRange.from_sdk(fr) for fr in self.container.read_feed_ranges()]
        shard = self.shard.feed_range
        for fr in recorded:
            if shard.intersection(fr) != fr:
                raise ShardSettingError(
                    f"Stream '{self.name}': the state's range {fr} lies outside the EPK slice "
                    f"{shard} of {self.shard}; give each shard its own state"
                )
        current = shard_feed_ranges(shard, physical)
        ranges = list(recorded)
        for fr in current:
            if not any(fr.overlaps(old) for old in recorded):
                ranges.append(fr)
        ranges.sort(key=lambda r: r.range_min)
        return [r.to_context() for r in ranges]

    # Records ------------------------------------------------------------------------------

    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        """Yield records for one feed range (LOG_BASED) or the whole container.

        Args:
            context: ``{"range_min", "range_max"}`` for LOG_BASED read one range after another,
                else None.

        Yields:
            Records (documents as described in ``records.py``).
        """
        method = self.replication_method
        direct = self.direct_record_path
        if direct and not self._direct:
            self.logger.info(
                "Stream '%s': RECORD messages written a page at a time (direct record path: no "
                "stream maps, flattening or deselected properties)",
                self.name,
            )
        self._direct = direct
        if method == LOG_BASED:
            if context is None:
                # max_parallel_ranges > 1: no partitions were handed to singer-sdk.
                yield from self._read_ranges_parallel()
            else:
                yield from self._read_range(context)
        elif method == INCREMENTAL:
            yield from self._read_incremental(context)
        else:
            yield from self._read_full_table()

    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        """Fit the record to the declared schema (``schema_mode: typed``) or wrap it (``document``).

        Typed: every top-level value that does not fit its declared type moves to
        ``_sdc_rescued_data`` (``{"<property>": <value as read>}``) and the property is null;
        a new property (or new members of a declared object) is declared once, with a new
        SCHEMA message, at most :data:`MAX_SCHEMA_CHANGES_PER_RUN` times per stream and run
        (later ones are rescued). Document: see :func:`tap_cosmosdb.records.document_record`.

        Args:
            row: The record.
            context: The partition context.

        Returns:
            The record to emit.
        """
        if self.document_mode:
            return document_record(row)
        self._fit_record(row)
        return row

    # Declared schema ------------------------------------------------------------------------

    def declare_from_state(self) -> None:
        """Make this run declare what earlier runs declared, and keep the declarations in state.

        The stream's state entry ``declared_schema`` maps each top-level property the tap
        declared (at discovery or at run time) to its node. A property in it keeps that node,
        whatever this run's discovery inferred from its own sample, unless the input catalog pins
        the property (a node without the tap's inferred marker, e.g. a Meltano ``schema:``
        override), which is then honoured. Properties declared only in state (first seen at run
        time by an earlier run) are declared again. ``_sdc_rescued_data`` is always declared.
        Called by the tap before the stream's first SCHEMA message (``Stream.sync`` is final).
        """
        if self.document_mode:
            return
        schema = self.effective_schema
        properties = dict(schema.get("properties") or {})
        state = self.stream_state
        stored = state.get(DECLARED_SCHEMA_KEY)
        pinned = {
            name
            for name, node in properties.items()
            if name not in TAP_PROPERTIES and isinstance(node, dict) and not is_inferred(node)
        }
        if isinstance(stored, dict):
            for name, node in stored.items():
                if isinstance(node, dict) and name not in pinned and name not in TAP_PROPERTIES:
                    properties[name] = node
        properties.setdefault(RESCUED_DATA_PROPERTY, dict(FREE_OBJECT))
        self._tracked = {n for n in properties if n not in TAP_PROPERTIES and n not in pinned}
        for name in self._tracked:
            # The same node in every run's SCHEMA messages, whether from discovery or state.
            properties[name] = unmarked(properties[name])
        if properties != schema.get("properties"):
            self._apply_schema({**schema, "properties": properties}, write=False)
        self._store_declarations()

    def _store_declarations(self) -> None:
        properties = self.effective_schema.get("properties") or {}
        self.stream_state[DECLARED_SCHEMA_KEY] = {
            name: unmarked(properties[name]) for name in sorted(self._tracked) if name in properties
        }

    def _note_datetime_properties(self) -> None:
        properties = self.effective_schema.get("properties") or {}
        self._datetime_properties = tuple(
            name
            for name, node in properties.items()
            if isinstance(node, dict)
            and node.get("format") == "date-time"
            and name not in TAP_PROPERTIES
        )

    def _apply_schema(self, schema: dict[str, t.Any], *, write: bool) -> None:
        """Make ``schema`` the stream schema (re-registering stream maps); write SCHEMA if asked."""
        replace_stream_schema(self, self._cosmos_tap, schema)
        self._note_datetime_properties()
        if write and self.selected:
            self._flush_direct()  # records before this one go out before the new SCHEMA
            self.write_schema_message()

    def _fit_record(self, record: dict[str, t.Any]) -> None:
        schema = self.effective_schema
        shape = record_shape(record)
        verdict = self._verdicts.get(schema, shape)
        if verdict is None:
            verdict = self._decide(record, shape)
        self._rescue(record, verdict)

    def _rescue(self, record: dict[str, t.Any], verdict: tuple[str, ...]) -> None:
        """Move the members named by ``verdict`` and malformed date-time strings aside."""
        rescued: dict[str, t.Any] | None = None
        if verdict:
            declared = self.effective_schema.get("properties") or {}
            rescued = {}
            for name in verdict:
                if name in record:
                    rescued[name] = record[name]
                    if name in declared:
                        record[name] = None
                    else:  # never declared (schema change budget spent): no column to null
                        del record[name]
        for name in self._datetime_properties:
            value = record.get(name)
            if value.__class__ is str and not is_datetime(value):
                if rescued is None:
                    rescued = {}
                rescued[name] = value
                record[name] = None
        if rescued:
            record[RESCUED_DATA_PROPERTY] = rescued

    def _decide(self, record: dict[str, t.Any], shape: t.Any) -> tuple[str, ...]:
        """Check a record of a shape not seen under the current schema; declare what is new.

        Returns:
            The top-level members to rescue for records of this shape (date-time content is
            checked per record by the caller, so it is left out).
        """
        schema = self.effective_schema
        properties = schema.get("properties") or {}
        changes, rescue = fit_record(
            properties,
            record,
            max_object_properties=self._max_object_properties,
            skip=_UNCHECKED_PROPERTIES,
        )
        if changes:
            if self._schema_changes_left > 0:
                self._schema_changes_left -= 1
                new = sorted(set(changes) - set(properties))
                self.logger.info(
                    "Stream '%s': declaring %s for record id=%r (a new SCHEMA message)",
                    self.name,
                    ", ".join(
                        [f"new property {n}" for n in new]
                        + [f"new members of {n}" for n in sorted(changes) if n not in new]
                    ),
                    record.get("id"),
                )
                self._tracked.update(n for n in new if n not in TAP_PROPERTIES)
                self._apply_schema({**schema, "properties": {**properties, **changes}}, write=True)
                self._store_declarations()
            else:
                if self._schema_changes_left == 0:
                    self._schema_changes_left = -1
                    self.logger.warning(
                        "Stream '%s': %d schema changes in this run already; values of further "
                        "new properties go to %s (record id=%r: %s)",
                        self.name,
                        MAX_SCHEMA_CHANGES_PER_RUN,
                        RESCUED_DATA_PROPERTY,
                        record.get("id"),
                        ", ".join(sorted(changes)),
                    )
                rescue.extend(changes)
        dt = self._datetime_properties
        verdict = tuple(
            name for name in rescue if not (name in dt and record.get(name).__class__ is str)
        )
        self._verdicts.add(self.effective_schema, shape, verdict)
        return verdict

    # LOG_BASED ----------------------------------------------------------------------------

    def _scope(self, fr: FeedRange) -> str:
        return f"{self.name}|{fr}"

    def _start_from(self) -> t.Any:
        return self.settings.start_from

    def _check_stored_token(self, token: str, fr: FeedRange) -> None:
        try:
            check_token(
                token,
                container_rid=self.container_rid,
                feed_range=(fr.range_min, fr.range_max),
            )
        except ContinuationError as exc:
            raise ContinuationError(
                f"Stream '{self.name}' range {fr}: stored bookmark is unusable ({exc}); "
                "reset this range's bookmark (see docs/tap.md, 'Resetting one range')"
            ) from None

    def _checkpoint(self, state: dict[str, t.Any], **values: t.Any) -> None:
        """Write values into the partition bookmark and emit STATE.

        With ``batch_config`` (BATCH messages) the records of the page may still sit in an
        unwritten batch file, so STATE is left to singer-sdk, which emits it right after each
        BATCH message; the bookmark only ever covers records already handed to the batcher.
        """
        for key, value in values.items():
            if value is None:
                state.pop(key, None)
            else:
                state[key] = value
        self.state_manager.is_flushed = False
        if self.get_batch_config(self.config) is None:
            self._write_state()

    def _item_epk(self, item: dict[str, t.Any]) -> str | None:
        """EPK of a change-feed item (document or AllVersionsAndDeletes envelope), or None."""
        if self._epk_hasher is None:
            self._epk_hasher = EpkHasher(self._partition_key_definition)
        record = change_to_record(item, self.partition_key_paths)
        if record is None:
            return None
        return self._epk_hasher.of_header(record[PARTITION_KEY_PROPERTY])

    def _make_reader(
        self,
        fr: FeedRange,
        *,
        token: str | None,
        mode: str,
        start_from: t.Any,
        container: ContainerProxy | None = None,
    ) -> ChangeFeedRangeReader:
        scope = self._scope(fr)
        stats = self.range_stats.setdefault(scope, ReaderStats())
        return ChangeFeedRangeReader(
            container=self.container if container is None else container,
            feed_range=fr,
            container_rid=self.container_rid,
            continuation=token,
            start_from=start_from,
            mode=mode,
            page_size=self.settings.page_size,
            meter=self._cosmos_tap.meter,
            scope=scope,
            stats=stats,
            item_epk=self._item_epk,
        )

    def _read_range(self, context: Context) -> Iterable[dict[str, t.Any]]:
        """Read one feed range on this thread (``max_parallel_ranges`` 1)."""
        fr = FeedRange.from_context(context)
        state = self.get_context_state(context)
        for step in self._range_steps(fr, copy.deepcopy(state), self.container):
            yield from self._emit_step(step, state)
        if not self._cosmos_tap.deadline_passed():
            self.ranges_caught_up.add(str(fr))

    def _read_ranges_parallel(self) -> Iterable[dict[str, t.Any]]:
        """Read every feed range with ``max_parallel_ranges`` worker threads.

        Workers read pages (each with its own ``CosmosClient``, see :mod:`tap_cosmosdb.parallel`)
        and this thread emits them page by page: a page's records, then that range's bookmark
        and a STATE message. Each worker works on a private copy of its range's bookmark; the
        stream state (what STATE messages carry) only changes here, after the page's records.
        """
        contexts = self.range_contexts()
        ranges = [FeedRange.from_context(c) for c in contexts]
        if self._epk_hasher is None:
            self._epk_hasher = EpkHasher(self._partition_key_definition)
        start = {fr: copy.deepcopy(self._peek_range_state(fr.to_context())) for fr in ranges}
        for fr in ranges:
            self.range_stats.setdefault(self._scope(fr), ReaderStats())
        states: dict[FeedRange, dict[str, t.Any]] = {}
        tap = self._cosmos_tap
        workers = self.settings.max_parallel_ranges

        def run(fr: FeedRange, worker: WorkerConnection) -> Iterator[_RangeStep]:
            return iter(self._range_steps(fr, start[fr], worker.container(self.name)))

        entries = read_in_parallel(
            ranges,
            run,
            workers=workers,
            max_pages=2 * workers,
            acquire=tap.acquire_worker,
            release=tap.release_worker,
        )
        for entry in entries:
            if isinstance(entry, Finished):
                if not tap.deadline_passed():
                    self.ranges_caught_up.add(str(entry.key))
                continue
            fr, step = entry
            state = states.get(fr)
            if state is None:
                state = states[fr] = self.get_context_state(fr.to_context())
            yield from self._emit_step(step, state)

    def _peek_range_state(self, context: dict[str, str]) -> dict[str, t.Any]:
        """The bookmark of a range as stored, without adding a partition to the state."""
        for partition in self.stream_state.get("partitions") or []:
            if partition.get("context") == context:
                return dict(partition)
        return {}

    def _emit_step(self, step: _RangeStep, state: dict[str, t.Any]) -> Iterable[dict[str, t.Any]]:
        """Yield a step's records, then (all emitted) write its bookmark values to ``state``."""
        if self._direct:
            self._write_direct(step.records)
        else:
            for record in step.records:
                self.records_emitted += 1
                yield record
        if step.updates is not None:
            self._checkpoint(state, **step.updates)
        if step.activity:
            self._cosmos_tap.note_activity()

    def _range_steps(
        self, fr: FeedRange, state: dict[str, t.Any], container: ContainerProxy
    ) -> Iterable[_RangeStep]:
        """Read one feed range as steps (records, then bookmark values to write after them).

        Args:
            fr: The feed range.
            state: A private copy of the range's bookmark, updated here as steps are produced
                (the stream state is updated by the emitting thread, see ``_emit_step``).
            container: The container proxy to read through (a worker's own in parallel mode).

        Yields:
            Steps, in the range's change-feed order.

        Raises:
            StreamSettingError: If the bookmark was written in another ``change_feed_mode``.
        """
        mode = self.settings.change_feed_mode
        stored_mode = state.get("mode")
        if stored_mode and stored_mode != mode:
            raise StreamSettingError(
                f"Stream '{self.name}' range {fr}: bookmark was written in change_feed_mode "
                f"'{stored_mode}' but the setting is now '{mode}'; reset the stream's state to "
                "switch modes"
            )
        if mode == ALL_VERSIONS_AND_DELETES:
            yield from self._read_range_all_versions(fr, state, container)
        else:
            yield from self._read_range_latest(fr, state, container)

    @staticmethod
    def _step(
        state: dict[str, t.Any], records: list[dict[str, t.Any]], **values: t.Any
    ) -> _RangeStep:
        """A step writing ``values``; applied to the private ``state`` copy at once."""
        for key, value in values.items():
            if value is None:
                state.pop(key, None)
            else:
                state[key] = value
        return _RangeStep(records, values)

    def _page_steps(
        self,
        reader: ChangeFeedRangeReader,
        state: dict[str, t.Any],
        *,
        to_record: t.Callable[[dict[str, t.Any]], dict[str, t.Any] | None],
        extra: dict[str, t.Any] | None = None,
    ) -> Iterable[_RangeStep]:
        for page in reader.pages(should_stop=self._cosmos_tap.deadline_passed):
            records = [r for r in map(to_record, page.items) if r is not None]
            # The step's values are written once every record of the page has been emitted.
            last_lsn = state.get("last_lsn")
            if page.max_lsn is not None:
                last_lsn = page.max_lsn if last_lsn is None else max(int(last_lsn), page.max_lsn)
            values: dict[str, t.Any] = dict(extra or {})
            if page.continuation:
                values["continuation"] = page.continuation
            if last_lsn is not None:
                values["last_lsn"] = last_lsn
            step = self._step(state, records, **values)
            step.activity = bool(page.items)
            yield step

    def _read_range_latest(
        self, fr: FeedRange, state: dict[str, t.Any], container: ContainerProxy
    ) -> Iterable[_RangeStep]:
        token = state.get("continuation")
        if token:
            self._check_stored_token(token, fr)
        reader = self._make_reader(
            fr, token=token, mode=LATEST_VERSION, start_from=self._start_from(), container=container
        )
        paths = self.partition_key_paths
        yield from self._page_steps(
            reader,
            state,
            to_record=lambda doc: take_document(doc, paths),
            extra={"mode": LATEST_VERSION},
        )

    def _read_range_all_versions(
        self, fr: FeedRange, state: dict[str, t.Any], container: ContainerProxy
    ) -> Iterable[_RangeStep]:
        """AllVersionsAndDeletes: record Now, snapshot from Beginning, then follow changes.

        The service starts this mode only at ``Now`` (``change_feed_utils.py:validate_kwargs``).
        A range's first run therefore (1) records its ``Now`` position as ``changes_continuation``,
        (2) reads a LatestVersion snapshot from ``Beginning`` (bookmark ``continuation``,
        ``phase: snapshot``), then (3) continues in AllVersionsAndDeletes from the recorded
        position (``phase: changes``). Changes made during the snapshot may be emitted twice;
        none is lost.
        """
        paths = self.partition_key_paths
        phase = state.get("phase")
        if phase is None:
            probe = self._make_reader(
                fr,
                token=None,
                mode=ALL_VERSIONS_AND_DELETES,
                start_from="Now",
                container=container,
            )
            now_token: str | None = None
            records: list[dict[str, t.Any]] = []
            for page in probe.pages():
                now_token = page.continuation
                # "Now" with no token returns no items, only a position.
                for item in page.items:
                    record = change_to_record(item, paths)
                    if record is not None:  # pragma: no cover - not expected from "Now"
                        records.append(record)
            if not now_token:
                raise ContinuationError(
                    f"Stream '{self.name}' range {fr}: the service returned no change-feed "
                    "position for 'Now'"
                )
            yield self._step(
                state,
                records,
                mode=ALL_VERSIONS_AND_DELETES,
                phase=PHASE_SNAPSHOT,
                changes_continuation=now_token,
                continuation=None,
            )
            phase = PHASE_SNAPSHOT
        if phase == PHASE_SNAPSHOT:
            token = state.get("continuation")
            if token:
                self._check_stored_token(token, fr)
            reader = self._make_reader(
                fr, token=token, mode=LATEST_VERSION, start_from="Beginning", container=container
            )
            yield from self._page_steps(
                reader, state, to_record=lambda doc: take_document(doc, paths)
            )
            if self._cosmos_tap.deadline_passed():
                return
            yield self._step(
                state,
                [],
                phase=PHASE_CHANGES,
                continuation=state.get("changes_continuation"),
                changes_continuation=None,
            )
        token = state.get("continuation")
        if token:
            self._check_stored_token(token, fr)
        reader = self._make_reader(
            fr, token=token, mode=ALL_VERSIONS_AND_DELETES, start_from="Now", container=container
        )
        yield from self._page_steps(
            reader, state, to_record=lambda item: change_to_record(item, paths)
        )

    # Query-based methods -------------------------------------------------------------------

    def _selected_top_level(self) -> list[str] | None:
        """Selected top-level properties to project, or None for all."""
        if self.document_mode:
            return None  # `document` is the whole item
        props = list(self.effective_schema.get("properties", {}))
        mask = self.mask
        selected = [p for p in props if mask[("properties", p)]]
        if len(selected) == len(props):
            return None
        needed = {"id", REPLICATION_KEY}
        for path in self.partition_key_paths:
            needed.add(path_parts(path)[0])
        wanted = [
            p
            for p in selected
            if p not in (PARTITION_KEY_PROPERTY, DELETED_AT_PROPERTY) and not p.startswith("_sdc_")
        ]
        return sorted(set(wanted) | needed)

    def _query_reader(self, query: str, parameters: list[dict[str, t.Any]]) -> QueryReader:
        reader = QueryReader(
            container=self.container,
            query=query,
            parameters=parameters,
            page_size=self.settings.page_size,
            meter=self._cosmos_tap.meter,
            scope=f"{self.name}|query",
            feed_range=self.shard.feed_range.to_sdk() if self.shard.sharded else None,
        )
        self.query_stats.append(reader.stats)
        return reader

    def _read_full_table(self) -> Iterable[dict[str, t.Any]]:
        query = build_full_table_query(
            self.settings.queries.get(self.name), self._selected_top_level()
        )
        self.logger.info("Stream '%s': FULL_TABLE query: %s", self.name, query)
        for records in self._query_records(self._query_reader(query, [])):
            if self._direct:
                self._write_direct(records)
                continue
            for record in records:
                self.records_emitted += 1
                yield record

    def _query_records(self, reader: QueryReader) -> Iterator[list[dict[str, t.Any]]]:
        """A query's pages as records; with ``max_parallel_ranges`` > 1 read ahead by a thread.

        The next two pages are fetched and converted on a worker thread while this thread
        emits the current one (query positions are not bookmarks: FULL_TABLE keeps none, and
        INCREMENTAL's ``_ts`` bookmark advances here, as records are emitted).
        """
        paths = self.partition_key_paths

        def produce() -> Iterator[list[dict[str, t.Any]]]:
            for page in reader.pages():
                yield [take_document(doc, paths) for doc in page]

        if self.settings.max_parallel_ranges > 1:
            return prefetch(produce, depth=2)
        return produce()

    def _read_incremental(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        start = self.get_starting_replication_key_value(context)
        # singer-sdk may hand back `start_date` (a string) when there is no bookmark: only an
        # integer epoch-seconds bookmark is a _ts position.
        if isinstance(start, bool) or not isinstance(start, (int, float)):
            if start is not None:
                self.logger.warning(
                    "Stream '%s': ignoring non-numeric starting value %r for _ts", self.name, start
                )
            start = 0
        query = build_incremental_query(self._selected_top_level())
        physical = physical_ranges(self.container)
        ranges = shard_feed_ranges(self.shard.feed_range, physical)
        self.logger.info(
            "Stream '%s': INCREMENTAL from _ts >= %s, %d feed range(s) merged on _ts",
            self.name,
            int(start),
            len(ranges),
        )
        # Read ahead by one thread per range when the setting allows that many (memory: at
        # most three pages per range then, one page per range otherwise, as any k-way merge).
        workers = self.settings.max_parallel_ranges
        ahead = workers > 1 and len(ranges) <= workers
        merge = IncrementalMerge(
            ranges=ranges,
            start_ts=int(start),
            open_pages=lambda fr, ts: self._incremental_pages(query, fr, ts, ahead),
            physical=lambda: [
                FeedRange.from_sdk(fr) for fr in self.container.read_feed_ranges(force_refresh=True)
            ],
        )
        records = merge.records()
        if not self._direct:
            for record in records:
                self.records_emitted += 1
                yield record
            return
        # Direct record path: a chunk's RECORD messages are written, then the bookmark moves to
        # the chunk's last (largest) _ts, as singer-sdk's is_sorted bookkeeping would.
        size = max(1, self.settings.page_size)
        while chunk := list(itertools.islice(records, size)):
            self._write_direct(chunk)
            self._increment_stream_state(chunk[-1], context=context)

    def _incremental_pages(
        self, query: str, fr: FeedRange, ts: int, ahead: bool
    ) -> Iterator[TsPage]:
        """One feed range's INCREMENTAL query from ``_ts >= ts``, as pages.

        With ``ahead`` a worker thread with its own client reads the range up to two pages
        ahead (every range at once: the merge needs each range's next record).
        """
        paths = self.partition_key_paths

        def produce(container: ContainerProxy) -> Iterator[TsPage]:
            reader = QueryReader(
                container=container,
                query=query,
                parameters=[{"name": "@ts", "value": ts}],
                page_size=self.settings.page_size,
                meter=self._cosmos_tap.meter,
                scope=f"{self.name}|query",
                feed_range=fr.to_sdk(),
            )
            self.query_stats.append(reader.stats)
            return ts_pages(reader, fr, lambda page: [take_document(d, paths) for d in page])

        if not ahead:
            return produce(self.container)
        tap = self._cosmos_tap
        entries = read_in_parallel(
            [fr],
            lambda _fr, worker: produce(worker.container(self.name)),
            workers=1,
            max_pages=2,
            acquire=tap.acquire_worker,
            release=tap.release_worker,
        )
        return _items(entries)

    # Metrics ------------------------------------------------------------------------------

    def range_progress(self) -> tuple[int, int] | None:
        """Feed ranges caught up so far, of the stream's total (LOG_BASED).

        Returns:
            ``(caught_up, total)``, or None for query-based methods or before the ranges are
            known.
        """
        if self.replication_method != LOG_BASED or self._range_contexts is None:
            return None
        return len(self.ranges_caught_up), len(self._range_contexts)

    def stream_totals(self) -> dict[str, float | int]:
        """Return this stream's totals over every range and query read.

        Returns:
            ``records``, ``pages``, ``request_units`` (RU), ``requests``, ``throttles``,
            ``throttle_wait_seconds``, ``retries``, ``retry_wait_seconds``.
        """
        meter = self._cosmos_tap.meter
        totals: dict[str, float | int] = {
            "records": self.records_emitted,
            "pages": 0,
            "request_units": 0.0,
            "requests": 0,
            "throttles": 0,
            "throttle_wait_seconds": 0.0,
            "retries": 0,
            "retry_wait_seconds": 0.0,
        }
        scopes = [*self.range_stats, f"{self.name}|query"]
        for scope in scopes:
            charge = meter.totals(scope)
            totals["request_units"] += charge.request_units
            totals["requests"] += charge.requests
            totals["throttles"] += charge.throttles
            totals["throttle_wait_seconds"] += charge.throttle_wait_seconds
        for stats in [*self.range_stats.values(), *self.query_stats]:
            totals["pages"] += stats.pages
            totals["retries"] += stats.retries
            totals["retry_wait_seconds"] += stats.retry_wait_seconds
        totals["request_units"] = round(float(totals["request_units"]), 2)
        return totals


def _items(entries: Iterator[tuple[t.Any, TsPage] | Finished[t.Any]]) -> Iterator[TsPage]:
    """The pages of one job of :func:`read_in_parallel`; closing this stops its worker."""
    try:
        for entry in entries:
            if not isinstance(entry, Finished):
                yield entry[1]
    finally:
        close = getattr(entries, "close", None)
        if close is not None:
            close()


def _is_record_limit(exc: BaseException) -> bool:
    """Tell whether ``exc`` is singer-sdk's record-limit stop (``--test``), not a failure."""
    if isinstance(exc, MaxRecordsLimitException):
        return True
    return isinstance(exc, (AbortedSyncPausedException, AbortedSyncFailedException)) and (
        isinstance(exc.__cause__, MaxRecordsLimitException)
    )
