"""tap-cosmosdb: settings, discovery (one stream per container) and the run loop."""

from __future__ import annotations

import datetime
import fnmatch
import gc
import logging
import threading
import time
import typing as t

import click
from azure.core.exceptions import AzureError
from azure.cosmos.exceptions import CosmosHttpResponseError
from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.exceptions import ConfigValidationError, MappingError
from singer_sdk.helpers.capabilities import TapCapabilities
from singer_sdk.plugin_base import SingerCommand

from cosmosdb_shared import (
    CosmosConnectionError,
    RequestChargeMeter,
    build_client,
    check_connection,
    connection_properties,
    describe_error,
)
from cosmosdb_shared.cli import CommandShell, quiet_azure_logging
from tap_cosmosdb import __version__
from tap_cosmosdb.change_feed import ALL_VERSIONS_AND_DELETES, LATEST_VERSION
from tap_cosmosdb.compat import (
    prepare_sync,
    reset_progress_markers,
    sync_stream_records,
    wait_for_endpoint_refresh,
)
from tap_cosmosdb.continuation import ContinuationError
from tap_cosmosdb.metrics import emit_stream_metrics
from tap_cosmosdb.progress import ProgressReporter
from tap_cosmosdb.records import (
    DELETED_AT_PROPERTY,
    DOCUMENT_PROPERTY,
    DROPPED_SYSTEM_PROPERTIES,
    PARTITION_KEY_PROPERTY,
    RESCUED_DATA_PROPERTY,
)
from tap_cosmosdb.schema_inference import (
    DEFAULT_MAX_OBJECT_PROPERTIES,
    FREE_OBJECT,
    infer_schema,
    mark_inferred,
)
from tap_cosmosdb.shards import ShardLayout, ShardSettingError
from tap_cosmosdb.streams import (
    LOG_BASED,
    SCHEMA_MODE_DOCUMENT,
    CosmosContainerStream,
    StreamSettingError,
)

if t.TYPE_CHECKING:
    from azure.cosmos import ContainerProxy, CosmosClient, DatabaseProxy

logger = logging.getLogger("tap-cosmosdb")

#: Values of the ``schema_mode`` setting.
SCHEMA_MODE_TYPED = "typed"
#: Default of ``progress_interval_seconds``.
DEFAULT_PROGRESS_INTERVAL = 30.0
#: Default of ``poll_interval_seconds``.
DEFAULT_POLL_INTERVAL = 1.0
#: Default of ``max_parallel_ranges``.
DEFAULT_MAX_PARALLEL_RANGES = 4
#: Allocations between two collections of the cyclic collector's young generation during a run
#: (CPython's default is 700; see ``gc.set_threshold``).
GC_YOUNG_THRESHOLD = 50_000


class TapSettingError(ValueError):
    """A tap setting has an invalid value (one-line message naming the setting)."""


#: Errors reported as one line on stderr with exit code 1 (no traceback).
ONE_LINE_ERRORS: tuple[type[Exception], ...] = (
    TapSettingError,
    ShardSettingError,
    CosmosConnectionError,
    ContinuationError,
    StreamSettingError,
    CosmosHttpResponseError,
    AzureError,
    MappingError,
)


def parse_start_from(value: t.Any) -> str | datetime.datetime:
    """Parse the ``start_from`` setting.

    Args:
        value: ``"Beginning"``, ``"Now"`` or an ISO-8601 timestamp (naive means UTC).

    Returns:
        ``"Beginning"``, ``"Now"`` or an aware ``datetime``.

    Raises:
        TapSettingError: On any other value.
    """
    if value is None or str(value).strip().lower() == "beginning":
        return "Beginning"
    text = str(value).strip()
    if text.lower() == "now":
        return "Now"
    try:
        parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise TapSettingError(
            f"Setting 'start_from' must be 'Beginning', 'Now' or an ISO-8601 timestamp, not {text!r}"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed


def stream_schema(
    inferred: dict[str, t.Any], *, deletes: bool, schema_mode: str = SCHEMA_MODE_TYPED
) -> dict[str, t.Any]:
    """Complete an inferred schema with the tap's own properties.

    Args:
        inferred: The schema from :func:`tap_cosmosdb.schema_inference.infer_schema` (ignored
            in ``document`` mode).
        deletes: Add ``_sdc_deleted_at`` (AllVersionsAndDeletes mode).
        schema_mode: ``typed`` or ``document`` (setting ``schema_mode``).

    Returns:
        The stream schema: ``_sdc_partition_key`` and ``id`` (non-null strings, the key
        properties), ``_ts`` and ``_lsn`` (integers, as the service defines them), then in
        ``typed`` mode ``_etag``, every inferred property (nullable, marked as inferred, see
        :data:`tap_cosmosdb.schema_inference.INFERRED_DESCRIPTION`) and ``_sdc_rescued_data``
        (a free-form object), or in ``document`` mode ``document`` (a free-form object);
        ``_sdc_deleted_at`` when ``deletes``.
    """
    properties: dict[str, t.Any] = {
        PARTITION_KEY_PROPERTY: {
            "type": "string",
            "description": "The document's partition key value(s) as a compact JSON array, as in "
            "the x-ms-documentdb-partitionkey header ([{}] = undefined).",
        },
        "id": {"type": "string"},
    }
    if schema_mode == SCHEMA_MODE_DOCUMENT:
        properties["_ts"] = {"type": ["integer", "null"]}
        properties["_lsn"] = {"type": ["integer", "null"]}
        properties[DOCUMENT_PROPERTY] = {
            **FREE_OBJECT,
            "description": "The whole item as read (null for a delete).",
        }
    else:
        for name, node in inferred.get("properties", {}).items():
            if name not in properties and name not in DROPPED_SYSTEM_PROPERTIES:
                properties[name] = mark_inferred(node)
        properties["_ts"] = {"type": ["integer", "null"]}
        properties["_etag"] = {"type": ["string", "null"]}
        properties["_lsn"] = {"type": ["integer", "null"]}
        properties[RESCUED_DATA_PROPERTY] = {
            **FREE_OBJECT,
            "description": "Values that do not fit their property's declared type, as read: "
            '{"<property>": <value>}.',
        }
    if deletes:
        properties[DELETED_AT_PROPERTY] = {"type": ["string", "null"], "format": "date-time"}
    return {
        "type": "object",
        "properties": properties,
        "required": [PARTITION_KEY_PROPERTY, "id"],
        "additionalProperties": True,
    }


class _OneLineErrorCommand(SingerCommand):
    """singer-sdk's command, reporting expected failures as one line on stderr, exit code 1."""

    def main(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        try:
            return super().main(*args, **kwargs)
        except ONE_LINE_ERRORS as exc:
            message = (
                str(exc)
                if isinstance(
                    exc,
                    (
                        TapSettingError,
                        ShardSettingError,
                        CosmosConnectionError,
                        ContinuationError,
                        StreamSettingError,
                    ),
                )
                else f"Setting 'stream_maps': {exc}"
                if isinstance(exc, MappingError)
                else describe_error(exc)
            )
            TapCosmosDB.shell.fail(message)


class WorkerConnection:
    """One ``CosmosClient`` used by one reading thread at a time, with its container proxies."""

    def __init__(self, client: CosmosClient, database: str) -> None:
        """Wrap a client.

        Args:
            client: The client (its own, not the tap's).
            database: The database id.
        """
        self.database = client.get_database_client(database)
        self._containers: dict[str, ContainerProxy] = {}

    def container(self, name: str) -> ContainerProxy:
        """The proxy of container ``name`` through this client (created once).

        Args:
            name: The container id.

        Returns:
            The container proxy.
        """
        proxy = self._containers.get(name)
        if proxy is None:
            proxy = self._containers[name] = self.database.get_container_client(name)
        return proxy


class TapCosmosDB(Tap):
    """Singer tap for Azure Cosmos DB (NoSQL API)."""

    name = "tap-cosmosdb"
    dynamic_catalog = True
    #: singer-sdk's msgspec message writer (the ``singer-sdk[msgspec]`` extra): the same Singer
    #: JSON lines as the default simplejson writer (non-ASCII text as UTF-8 rather than
    #: ``\u`` escapes), serialised several times faster.
    message_writer_class = MsgSpecWriter
    #: One-line errors and secret redaction (shared with target-cosmosdb).
    shell: t.ClassVar[CommandShell] = CommandShell("tap-cosmosdb")

    capabilities: t.ClassVar[list[t.Any]] = [
        *Tap.capabilities,
        TapCapabilities.LOG_BASED,
        TapCapabilities.TEST,
    ]

    config_jsonschema = th.PropertiesList(
        *connection_properties(),
        th.Property(
            "containers",
            th.ArrayType(th.StringType),
            description=(
                "Container names or glob patterns (`orders*`) to replicate, one stream each. "
                "Default: every container of `database`."
            ),
        ),
        th.Property(
            "start_from",
            th.StringType,
            default="Beginning",
            description=(
                "Where a LOG_BASED stream starts reading a feed range that has no bookmark yet: "
                "`Beginning` (all retained changes), `Now` (only later changes) or an ISO-8601 "
                "timestamp such as `2026-01-01T00:00:00Z`. Ignored once a range has a bookmark."
            ),
        ),
        th.Property(
            "change_feed_mode",
            th.StringType,
            default=LATEST_VERSION,
            allowed_values=[LATEST_VERSION, ALL_VERSIONS_AND_DELETES],
            description=(
                "`LatestVersion`: the latest version of each changed document (deletes are not "
                "seen). `AllVersionsAndDeletes`: every create/replace plus deletes, emitted as "
                "records with `_sdc_deleted_at`; needs continuous backup on the account; the "
                "first run of each range snapshots the range, then follows the feed."
            ),
        ),
        th.Property(
            "page_size",
            th.IntegerType(minimum=1),
            default=1000,
            description="Items per request (`x-ms-max-item-count`) for change-feed and query reads.",
        ),
        th.Property(
            "max_parallel_ranges",
            th.IntegerType(minimum=1),
            default=DEFAULT_MAX_PARALLEL_RANGES,
            description=(
                "LOG_BASED: feed ranges read at once, each by its own thread and connection, "
                "each fetching its next page while the previous one is written. Records and "
                "STATE are written by one thread, a range's bookmark after its page's records. "
                "At most twice this many pages (of `page_size` items) wait in memory, plus one "
                "per thread. 1 reads the ranges one after another without prefetching."
            ),
        ),
        th.Property(
            "schema_sample_size",
            th.IntegerType(minimum=0),
            default=1000,
            description=(
                "Documents sampled per container to declare its properties at discovery. Once "
                "declared (kept in the stream's state), a property's type never changes; a "
                "property first seen later is declared then (a new SCHEMA message), and a value "
                "that does not fit its type goes to `_sdc_rescued_data`. See docs/tap.md, "
                "'Records and schema'."
            ),
        ),
        th.Property(
            "schema_mode",
            th.StringType,
            default=SCHEMA_MODE_TYPED,
            allowed_values=[SCHEMA_MODE_TYPED, SCHEMA_MODE_DOCUMENT],
            description=(
                "`typed`: one property per top-level document member, typed from the sample "
                "(values that do not fit go to `_sdc_rescued_data`). `document`: only `id`, "
                "`_sdc_partition_key`, `_ts`, `_lsn` (and `_sdc_deleted_at`) plus `document`, "
                "the whole item as one JSON object: a schema that never changes."
            ),
        ),
        th.Property(
            "max_object_properties",
            th.IntegerType(minimum=1),
            default=DEFAULT_MAX_OBJECT_PROPERTIES,
            description=(
                "An object with more distinct keys than this (across the sample, or as new keys "
                "arrive) is declared a map: one free-form JSON property, never widened key by "
                "key. Objects whose keys look like data (dates, numbers, ids) are maps anyway."
            ),
        ),
        th.Property(
            "queries",
            th.ObjectType(additional_properties=th.StringType),
            description=(
                "Per-container SQL for FULL_TABLE streams, e.g. "
                '`{"flights": "SELECT * FROM c WHERE c.year = 2013"}`. Default `SELECT * FROM c` '
                "(with the selected properties pushed into the projection). An entry for a "
                "LOG_BASED or INCREMENTAL stream, or for no stream, is an error."
            ),
        ),
        th.Property(
            "max_run_seconds",
            th.NumberType(minimum=0),
            description=(
                "Stop reading after this many seconds (checked between pages; the last STATE "
                "covers everything emitted). Set it, or `idle_exit_seconds`, to keep polling the "
                "change feed; with neither, the tap stops once every range is caught up."
            ),
        ),
        th.Property(
            "idle_exit_seconds",
            th.NumberType(minimum=0),
            description=(
                "Keep polling the change feed and stop once no change has arrived for this many "
                "seconds."
            ),
        ),
        th.Property(
            "poll_interval_seconds",
            th.NumberType(minimum=0),
            default=1.0,
            description="Pause between polling rounds when polling (seconds).",
        ),
        th.Property(
            "progress_interval_seconds",
            th.NumberType(minimum=0),
            default=30,
            description=(
                "Seconds between progress reports: per stream, a log line with records so far, "
                "records/s, feed ranges caught up of total (LOG_BASED), RU, requests and "
                "throttles, plus METRIC points of the increase since the previous report "
                "(singer-sdk's `record_count` uses the same interval). 0 turns them off."
            ),
        ),
        th.Property(
            "emit_activate_version_messages",
            th.BooleanType,
            default=True,
            description=(
                "FULL_TABLE streams emit an `ACTIVATE_VERSION` message (version: the run's "
                "start, epoch seconds) after their last record, once the whole container was "
                "read; the records carry the same `version`. Loaders that honour it (e.g. "
                "target-postgres with `hard_delete`) remove the rows of older versions, i.e. "
                "documents deleted since the last full table run. A failed run sends none. "
                "LOG_BASED and INCREMENTAL streams, and sharded runs (`shard_count` > 1: each "
                "shard reads only a slice), never emit it."
            ),
        ),
        th.Property(
            "shard_count",
            th.IntegerType(minimum=1),
            default=1,
            description=(
                "Number of tap processes sharing each container (scale-out). Shard i of N reads "
                "the EPK slice [i/N, (i+1)/N) of every selected container; run N processes with "
                "shard_index 0..N-1, each with its own state. See docs/scaling-out.md."
            ),
        ),
        th.Property(
            "shard_index",
            th.IntegerType(minimum=0),
            default=0,
            description="This process's shard, 0 to shard_count - 1.",
        ),
    ).to_dict()

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        """Create the tap; see ``singer_sdk.Tap``.

        Args:
            *args: Passed to ``singer_sdk.Tap``.
            **kwargs: Passed to ``singer_sdk.Tap``.

        Raises:
            TapSettingError: If the settings do not match the settings schema (one line listing
                each violation, e.g. ``0 is less than the minimum of 1 in config['page_size']``).
        """
        self._client: CosmosClient | None = None
        self._database: DatabaseProxy | None = None
        self.meter = RequestChargeMeter()
        self._started = time.monotonic()
        self._last_activity = self._started
        self._redaction_installed = False
        self._spare_workers: list[WorkerConnection] = []
        self._workers_lock = threading.Lock()
        # azure-core logs every request's headers at INFO; keep the tap's log readable.
        quiet_azure_logging()
        try:
            super().__init__(*args, **kwargs)
        except ConfigValidationError as exc:
            # singer-sdk's command logs each violation plus "Config validation failed" on its
            # own lines; as a TapSettingError it is one `error:` line like every other setting.
            raise TapSettingError(
                "Invalid settings: " + "; ".join(exc.errors or [str(exc)])
            ) from None

    # Settings ---------------------------------------------------------------------------

    def _install_redaction(self) -> None:
        if not self._redaction_installed:
            self.shell.protect(self.config)
            self._redaction_installed = True

    @property
    def shard_layout(self) -> ShardLayout:
        """The validated ``shard_index`` / ``shard_count`` settings.

        Raises:
            ShardSettingError: On an invalid value (one line naming the setting).
        """
        return ShardLayout.from_config(self.config)

    @property
    def start_from(self) -> str | datetime.datetime:
        """The parsed ``start_from`` setting."""
        return parse_start_from(self.config.get("start_from"))

    @property
    def progress_interval(self) -> float:
        """Seconds between progress reports (setting ``progress_interval_seconds``; 0 = off)."""
        value = self.config.get("progress_interval_seconds")
        return DEFAULT_PROGRESS_INTERVAL if value is None else float(value)

    @property
    def max_parallel_ranges(self) -> int:
        """Feed ranges read at once (setting ``max_parallel_ranges``; 1 = one after another)."""
        value = self.config.get("max_parallel_ranges")
        return DEFAULT_MAX_PARALLEL_RANGES if value is None else max(1, int(value))

    @staticmethod
    def reports_as_one_line(exc: BaseException) -> bool:
        """Tell whether the command reports ``exc`` as one ``error:`` line (no traceback).

        Args:
            exc: An exception raised during the run.

        Returns:
            True for the tap's expected failures (settings, connection, bookmarks, HTTP).
        """
        return isinstance(exc, ONE_LINE_ERRORS)

    # Connection -------------------------------------------------------------------------

    @property
    def database(self) -> DatabaseProxy:
        """The database proxy, connected and checked on first use.

        Raises:
            CosmosConnectionError: If the account or database cannot be reached or read.
            TapSettingError: If ``database`` is empty or holds a character ids cannot contain.
        """
        if self._database is None:
            name = str(self.config["database"])
            if not name.strip() or any(ch in name for ch in "/\\?#"):
                # azure-cosmos builds the resource link from the name and raises a bare
                # ValueError for these.
                raise TapSettingError(
                    f"Setting 'database' must be a database name (not empty, without / \\ ? #), "
                    f"not {name!r}"
                )
            self._install_redaction()
            self._client = self._new_client()
            self._database = check_connection(self._client, str(self.config["database"]))
        return self._database

    def _new_client(self) -> CosmosClient:
        return build_client(self.config, meter=self.meter, user_agent=f"tap-cosmosdb/{__version__}")

    def acquire_worker(self) -> WorkerConnection:
        """A client of its own for one thread reading the change feed.

        azure-cosmos hands a change-feed page's continuation token over through the client-wide
        ``last_response_headers`` (``azure/cosmos/_change_feed/change_feed_iterable.py``), so
        each thread reading the change feed at the same time needs its own ``CosmosClient``.
        Clients are kept for reuse (:meth:`release_worker`), e.g. by polling rounds.

        Returns:
            The worker's connection.
        """
        with self._workers_lock:
            worker = self._spare_workers.pop() if self._spare_workers else None
        if worker is None:
            worker = WorkerConnection(self._new_client(), str(self.config["database"]))
            # The new client's start-up health check must not outlive a run that ends now.
            wait_for_endpoint_refresh()
        return worker

    def release_worker(self, worker: WorkerConnection) -> None:
        """Give back a connection from :meth:`acquire_worker` for reuse.

        Args:
            worker: The connection.
        """
        with self._workers_lock:
            self._spare_workers.append(worker)

    # Discovery --------------------------------------------------------------------------

    def _wanted(self, name: str) -> bool:
        patterns = self.config.get("containers")
        if not patterns:
            return True
        return any(fnmatch.fnmatchcase(name, p) for p in patterns)

    def _sample(self, container: ContainerProxy, size: int) -> list[dict[str, t.Any]]:
        if size <= 0:
            return []
        docs: list[dict[str, t.Any]] = []
        for doc in container.read_all_items(max_item_count=min(size, 1000)):
            docs.append(doc)
            if len(docs) >= size:
                break
        return docs

    def discover_streams(self) -> list[CosmosContainerStream]:
        """Return one stream per container of ``database`` (filtered by ``containers``).

        The schema of a container named in the input catalog is taken from the catalog; others
        are inferred from ``schema_sample_size`` documents read with ``read_all_items`` (no query
        engine needed).

        Returns:
            The streams.

        Raises:
            CosmosConnectionError: If the account or database cannot be reached.
            TapSettingError: On an invalid ``start_from``, or a ``containers`` setting that
                names no container.
        """
        parse_start_from(self.config.get("start_from"))
        ShardLayout.from_config(self.config)
        database = self.database
        sample_size = int(self.config.get("schema_sample_size", 1000))
        schema_mode = str(self.config.get("schema_mode") or SCHEMA_MODE_TYPED)
        max_object_properties = int(
            self.config.get("max_object_properties") or DEFAULT_MAX_OBJECT_PROPERTIES
        )
        deletes = self.config.get("change_feed_mode") == ALL_VERSIONS_AND_DELETES
        streams: list[CosmosContainerStream] = []
        containers = list(database.list_containers())
        for props in containers:
            name = str(props["id"])
            if not self._wanted(name):
                continue
            container = database.get_container_client(name)
            entry = self.input_catalog.get_stream(name) if self.input_catalog else None
            if entry is not None:
                schema = entry.schema.to_dict()
            elif schema_mode == SCHEMA_MODE_DOCUMENT:
                schema = stream_schema({}, deletes=deletes, schema_mode=schema_mode)
            else:
                with self.meter.scope(f"{name}|discovery"):
                    sample = self._sample(container, sample_size)
                inferred = infer_schema(sample, max_object_properties=max_object_properties)
                schema = stream_schema(inferred, deletes=deletes, schema_mode=schema_mode)
            streams.append(
                CosmosContainerStream(
                    self, container_properties=props, container=container, schema=schema
                )
            )
        self._check_containers_setting([str(props["id"]) for props in containers])
        return streams

    def _check_containers_setting(self, names: list[str]) -> None:
        """Refuse a ``containers`` list that matches nothing, or a plain name that is absent.

        A glob pattern (``*``, ``?``, ``[``) that matches nothing only gets a warning: it may
        legitimately match nothing yet.

        Args:
            names: Every container of the database.

        Raises:
            TapSettingError: If no container matches, or a name without glob characters is not
                a container of the database.
        """
        patterns = [str(p) for p in self.config.get("containers") or []]
        if not patterns:
            return
        database = self.config["database"]
        existing = ", ".join(sorted(names)[:20]) + (", …" if len(names) > 20 else "")
        existing = existing or "none"
        unmatched = [p for p in patterns if not any(fnmatch.fnmatchcase(n, p) for n in names)]
        if len(unmatched) == len(patterns):
            raise TapSettingError(
                f"Setting 'containers' ({', '.join(patterns)}) matches no container of database "
                f"'{database}' (its containers: {existing})"
            )
        for pattern in unmatched:
            if any(ch in pattern for ch in "*?["):
                self.logger.warning(
                    "Setting 'containers': pattern '%s' matches no container of database '%s'",
                    pattern,
                    database,
                )
            else:
                raise TapSettingError(
                    f"Setting 'containers': '{pattern}' is not a container of database "
                    f"'{database}' (its containers: {existing})"
                )

    # Run loop ---------------------------------------------------------------------------

    def deadline_passed(self) -> bool:
        """Tell whether ``max_run_seconds`` has elapsed since the tap started."""
        limit = self.config.get("max_run_seconds")
        return limit is not None and time.monotonic() - self._started >= float(limit)

    def note_activity(self) -> None:
        """Record that a change arrived (resets the ``idle_exit_seconds`` clock)."""
        self._last_activity = time.monotonic()

    def _polling(self) -> bool:
        return (
            self.config.get("idle_exit_seconds") is not None
            or self.config.get("max_run_seconds") is not None
        )

    def _idle_passed(self) -> bool:
        limit = self.config.get("idle_exit_seconds")
        return limit is not None and time.monotonic() - self._last_activity >= float(limit)

    # singer-sdk marks sync_all final; it is replaced (as a copy plus polling and metrics) because
    # the polling rounds must run after the first pass and before the end-of-run summary.
    def sync_all(self) -> None:  # type: ignore[misc]
        """Sync every selected stream; poll the change feed while a time limit is configured.

        The first pass is singer-sdk's: each stream in turn, each feed range in turn, until every
        range is caught up. With ``idle_exit_seconds`` or ``max_run_seconds`` set, further rounds
        read every LOG_BASED range again (from its bookmark) until one of the limits is reached.
        A per-stream summary is logged and METRIC lines are written at the end.
        """
        self._started = time.monotonic()
        self._last_activity = self._started
        # A run allocates several short-lived containers per record, freed by reference counting
        # (records hold no cycles). The cyclic collector would scan the young generation every
        # 700 allocations, and the long-lived start-up objects (modules, schemas, clients) on
        # every full collection: they are frozen, and the young generation is scanned less often.
        gc.freeze()
        gc.set_threshold(GC_YOUNG_THRESHOLD, 20, 20)
        for name in self.config.get("queries") or {}:
            if name not in self.streams:
                raise TapSettingError(
                    f"Setting 'queries' has a query for '{name}', which is not a stream of "
                    f"database '{self.config['database']}' (streams: "
                    f"{', '.join(sorted(self.streams)) or 'none'})"
                )
        for stream in self.streams.values():
            if isinstance(stream, CosmosContainerStream) and stream.selected:
                stream.check_replication_settings()
        prepare_sync(self)
        # After the echo of the input state: a first run emits no STATE before its first page.
        for stream in self.streams.values():
            if isinstance(stream, CosmosContainerStream) and stream.selected:
                stream.check_shard_layout()
                stream.declare_from_state()

        selected = [s for s in self.streams.values() if s.selected]
        for stream in self.streams.values():
            if stream not in selected:
                self.logger.info("Skipping deselected stream '%s'.", stream.name)
        progress = ProgressReporter(
            [s for s in selected if isinstance(s, CosmosContainerStream)], self.progress_interval
        )
        with progress:
            for stream in selected:
                if isinstance(stream, CosmosContainerStream):
                    progress.begin(stream)
                stream.sync()
                if isinstance(stream, CosmosContainerStream):
                    stream.finish_full_table()
                stream.finalize_state_progress_markers()

            if self._polling():
                self._poll([s for s in selected if s.replication_method == LOG_BASED], progress)

        for stream in self.streams.values():
            stream.log_sync_costs()
        for stream in selected:
            if isinstance(stream, CosmosContainerStream):
                emit_stream_metrics(stream, self.meter)

    def _poll(self, streams: list[t.Any], progress: ProgressReporter) -> None:
        value = self.config.get("poll_interval_seconds")
        interval = DEFAULT_POLL_INTERVAL if value is None else max(float(value), 0.0)
        if not streams:
            return
        while not self.deadline_passed() and not self._idle_passed():
            time.sleep(interval)
            for stream in streams:
                if self.deadline_passed():
                    break
                progress.begin(stream)
                sync_stream_records(stream)
                stream.finalize_state_progress_markers()

    def load_state(self, state: dict[str, t.Any]) -> None:
        """Load state, dropping singer-sdk progress markers; bookmarks are kept as given.

        Args:
            state: The STATE value (``{"bookmarks": {...}}``).
        """
        super().load_state(state)
        for stream_state in self.state.get("bookmarks", {}).values():
            reset_progress_markers(stream_state)

    @classmethod
    def get_singer_command(cls) -> click.Command:
        """The singer-sdk command, with one-line errors (see ``_OneLineErrorCommand``).

        Returns:
            The click command.
        """
        command = super().get_singer_command()
        command.__class__ = _OneLineErrorCommand
        return command


if __name__ == "__main__":  # pragma: no cover
    TapCosmosDB.cli()
