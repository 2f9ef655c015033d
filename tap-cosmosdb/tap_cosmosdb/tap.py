"""tap-cosmosdb: settings, discovery (one stream per container) and the run loop."""

from __future__ import annotations

import fnmatch
import functools
import logging
import threading
import time
import typing as t

import click
from azure.core.exceptions import AzureError
from azure.cosmos.exceptions import CosmosHttpResponseError
from singer_sdk import Tap
from singer_sdk.contrib.msgspec import MsgSpecWriter, serialize_jsonl
from singer_sdk.exceptions import ConfigValidationError, MappingError
from singer_sdk.helpers.capabilities import TapCapabilities
from singer_sdk.plugin_base import SingerCommand
from singer_sdk.singerlib import StateMessage

from cosmosdb_shared import (
    CosmosConnectionError,
    RequestChargeMeter,
    build_client,
    check_connection,
    describe_error,
)
from cosmosdb_shared.cli import CommandShell, quiet_azure_logging
from cosmosdb_shared.runtime import keep_freed_memory, tune_gc_for_streaming
from tap_cosmosdb import __version__
from tap_cosmosdb.compat import (
    install_fast_json,
    prepare_sync,
    reset_progress_markers,
    sync_stream_records,
    use_fast_state_writer,
    wait_for_endpoint_refresh,
)
from tap_cosmosdb.continuation import ContinuationError
from tap_cosmosdb.progress import ProgressReporter
from tap_cosmosdb.records import (
    DELETED_AT_PROPERTY,
    DOCUMENT_PROPERTY,
    DROPPED_SYSTEM_PROPERTIES,
    PARTITION_KEY_PROPERTY,
    RESCUED_DATA_PROPERTY,
)
from tap_cosmosdb.schema_inference import FREE_OBJECT, infer_schema, mark_inferred
from tap_cosmosdb.settings import (
    SCHEMA_MODE_DOCUMENT,
    SCHEMA_MODE_TYPED,
    TapSettingError,
    TapSettings,
    tap_properties,
)
from tap_cosmosdb.shards import ShardLayout, ShardSettingError
from tap_cosmosdb.streams import LOG_BASED, CosmosContainerStream, StreamSettingError

if t.TYPE_CHECKING:
    from azure.cosmos import ContainerProxy, CosmosClient, DatabaseProxy

logger = logging.getLogger("tap-cosmosdb")

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


class TapMessageWriter(MsgSpecWriter):
    """singer-sdk's msgspec message writer, with STATE messages encoded straight from the state.

    ``Message.to_dict`` builds the message with ``dataclasses.asdict``, which copies the whole
    state value (the ``declared_schema`` and every feed range's bookmark) object by object
    before it is encoded; the tap writes a STATE after every page. The state is encoded as it
    is instead: the same bytes (``tests/tap/test_record_path.py``).
    """

    def serialize_message(self, message: t.Any) -> bytearray:
        """Serialize a message into a line of JSON (singer-sdk's hook).

        Args:
            message: A Singer message object.

        Returns:
            The line, newline included.
        """
        if type(message) is StateMessage and type(message.value) is dict:
            return serialize_jsonl({"type": "STATE", "value": message.value})
        return super().serialize_message(message)


class TapCosmosDB(Tap):
    """Singer tap for Azure Cosmos DB (NoSQL API)."""

    name = "tap-cosmosdb"
    dynamic_catalog = True
    #: singer-sdk's msgspec message writer (the ``singer-sdk[msgspec]`` extra): the same Singer
    #: JSON lines as the default simplejson writer (non-ASCII text as UTF-8 rather than
    #: ``\u`` escapes), serialised several times faster.
    message_writer_class = TapMessageWriter
    #: One-line errors and secret redaction (shared with target-cosmosdb).
    shell: t.ClassVar[CommandShell] = CommandShell("tap-cosmosdb")

    capabilities: t.ClassVar[list[t.Any]] = [
        *Tap.capabilities,
        TapCapabilities.LOG_BASED,
        TapCapabilities.TEST,
    ]

    #: The settings, declared with their typed form in :mod:`tap_cosmosdb.settings`.
    config_jsonschema = tap_properties().to_dict()

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
        use_fast_state_writer(self)

    # Settings ---------------------------------------------------------------------------

    def _install_redaction(self) -> None:
        if not self._redaction_installed:
            self.shell.protect(self.config)
            self._redaction_installed = True

    @functools.cached_property
    def settings(self) -> TapSettings:
        """The settings, parsed once from the configuration on first use.

        First used by discovery, after singer-sdk validated the configuration against
        ``config_jsonschema``; every module reads settings from here.

        Raises:
            TapSettingError: On an invalid value (one line naming the setting).
            ShardSettingError: On an invalid ``shard_count`` / ``shard_index``.
            CosmosConnectionError: On missing or contradictory connection settings.
        """
        return TapSettings.from_config(self.config)

    @property
    def shard_layout(self) -> ShardLayout:
        """This process's shard (settings ``shard_index`` / ``shard_count``)."""
        return self.settings.shard

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
            settings = self.settings
            self._install_redaction()
            self._client = self._new_client()
            self._database = check_connection(self._client, settings.database)
        return self._database

    def _new_client(self) -> CosmosClient:
        install_fast_json()  # response bodies decoded by msgspec (tap_cosmosdb.compat)
        return build_client(
            self.settings.connection, meter=self.meter, user_agent=f"tap-cosmosdb/{__version__}"
        )

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
            worker = WorkerConnection(self._new_client(), self.settings.database)
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
        patterns = self.settings.containers
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
        settings = self.settings
        database = self.database
        sample_size = settings.schema_sample_size
        schema_mode = settings.schema_mode
        max_object_properties = settings.max_object_properties
        deletes = settings.deletes
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
        patterns = list(self.settings.containers)
        if not patterns:
            return
        database = self.settings.database
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
        limit = self.settings.max_run_seconds
        return limit is not None and time.monotonic() - self._started >= limit

    def note_activity(self) -> None:
        """Record that a change arrived (resets the ``idle_exit_seconds`` clock)."""
        self._last_activity = time.monotonic()

    def _idle_passed(self) -> bool:
        limit = self.settings.idle_exit_seconds
        return limit is not None and time.monotonic() - self._last_activity >= limit

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
        tune_gc_for_streaming()
        keep_freed_memory()  # page-sized buffers reused, not faulted in again for every page
        for name in self.settings.queries:
            if name not in self.streams:
                raise TapSettingError(
                    f"Setting 'queries' has a query for '{name}', which is not a stream of "
                    f"database '{self.settings.database}' (streams: "
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
            [s for s in selected if isinstance(s, CosmosContainerStream)],
            self.settings.progress_interval_seconds,
            self.meter,
        )
        with progress:
            for stream in selected:
                if isinstance(stream, CosmosContainerStream):
                    progress.begin(stream)
                stream.sync()
                if isinstance(stream, CosmosContainerStream):
                    stream.finish_full_table()
                stream.finalize_state_progress_markers()

            if self.settings.polling:
                self._poll([s for s in selected if s.replication_method == LOG_BASED], progress)

        for stream in self.streams.values():
            stream.log_sync_costs()
        for stream in selected:
            if isinstance(stream, CosmosContainerStream):
                progress.metrics.finish(stream)

    def _poll(self, streams: list[t.Any], progress: ProgressReporter) -> None:
        interval = self.settings.poll_interval_seconds
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
