"""tap-cosmosdb's settings: declared (``--about``), parsed once, typed.

Each setting is declared here twice, side by side: as a singer-sdk property in
:func:`tap_properties` (the tap's ``config_jsonschema``: ``--about``, meltano.yml and the README
settings tables follow it) and as a field of :class:`TapSettings`, which the tap parses once from
its configuration (after singer-sdk's JSON-schema validation) and every other module reads. A
property's ``default`` is its field's default (``tests/tap/test_settings_validation.py`` fails if
they differ). The connection settings come from :mod:`cosmosdb_shared.settings`.
"""

from __future__ import annotations

import dataclasses
import datetime
import typing as t

from singer_sdk import typing as th

from cosmosdb_shared.settings import (
    ConnectionSettings,
    bool_setting,
    choice_setting,
    connection_properties,
    float_setting,
    int_setting,
    setting,
)
from tap_cosmosdb.change_feed import ALL_VERSIONS_AND_DELETES, LATEST_VERSION
from tap_cosmosdb.schema_inference import DEFAULT_MAX_OBJECT_PROPERTIES
from tap_cosmosdb.shards import ShardLayout, ShardSettingError

#: Values of the ``schema_mode`` setting.
SCHEMA_MODE_TYPED = "typed"
SCHEMA_MODE_DOCUMENT = "document"


class TapSettingError(ValueError):
    """A tap setting has an invalid value (one-line message naming the setting)."""


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


@dataclasses.dataclass(frozen=True)
class TapSettings:
    """The tap's settings, parsed and checked once (see :meth:`from_config`).

    Each attribute but ``connection`` is the setting of the same name (see
    :func:`tap_properties` for what each means); its default is the setting's default.

    Attributes:
        connection: The shared connection settings (``database``, credentials, TLS).
        containers: Container names or glob patterns; empty for every container.
        start_from: ``"Beginning"``, ``"Now"`` or an aware ``datetime``.
        change_feed_mode: ``LatestVersion`` or ``AllVersionsAndDeletes``.
        page_size: Items per request (``x-ms-max-item-count``).
        max_parallel_ranges: LOG_BASED feed ranges read at once (1 = one after another).
        schema_sample_size: Documents sampled per container at discovery.
        schema_mode: ``typed`` or ``document``.
        max_object_properties: Distinct keys above which an object is declared a map.
        queries: Container name -> SQL of its FULL_TABLE stream.
        max_run_seconds: Stop reading after this many seconds; None for no limit.
        idle_exit_seconds: Stop once no change arrived for this many seconds; None for no limit.
        poll_interval_seconds: Pause between polling rounds (seconds).
        progress_interval_seconds: Seconds between progress reports (0 = off).
        emit_activate_version_messages: FULL_TABLE streams emit ACTIVATE_VERSION.
        shard_count: Number of tap processes sharing each container.
        shard_index: This process's shard, ``0 <= shard_index < shard_count``.
    """

    connection: ConnectionSettings
    containers: tuple[str, ...] = ()
    start_from: str | datetime.datetime = "Beginning"
    change_feed_mode: str = LATEST_VERSION
    page_size: int = 1000
    max_parallel_ranges: int = 4
    schema_sample_size: int = 1000
    schema_mode: str = SCHEMA_MODE_TYPED
    max_object_properties: int = DEFAULT_MAX_OBJECT_PROPERTIES
    queries: t.Mapping[str, str] = dataclasses.field(default_factory=dict)
    max_run_seconds: float | None = None
    idle_exit_seconds: float | None = None
    poll_interval_seconds: float = 1.0
    progress_interval_seconds: float = 30
    emit_activate_version_messages: bool = True
    shard_count: int = 1
    shard_index: int = 0

    @classmethod
    def from_config(cls, config: t.Mapping[str, t.Any]) -> TapSettings:
        """Parse the tap's configuration (once, after singer-sdk's JSON-schema validation).

        Args:
            config: The tap's configuration.

        Returns:
            The settings.

        Raises:
            TapSettingError: On an invalid value (one line naming the setting).
            ShardSettingError: On an invalid ``shard_count`` / ``shard_index``.
            CosmosConnectionError: On missing or contradictory connection settings.
        """
        err = TapSettingError
        start_from = parse_start_from(setting(config, "start_from"))
        shard_count = int_setting(
            config, "shard_count", cls.shard_count, minimum=1, error=ShardSettingError
        )
        shard_index = int_setting(config, "shard_index", cls.shard_index, error=ShardSettingError)
        if not 0 <= shard_index < shard_count:
            raise ShardSettingError(
                f"Setting 'shard_index' must be between 0 and shard_count - 1 = "
                f"{shard_count - 1}, not {shard_index}"
            )
        containers = setting(config, "containers", ())
        queries = setting(config, "queries", {})
        if isinstance(containers, str) or not isinstance(containers, t.Iterable):
            raise err(f"Setting 'containers' must be a list of names, not {containers!r}")
        if not isinstance(queries, t.Mapping):
            raise err(f"Setting 'queries' must be an object of container: SQL, not {queries!r}")
        database = str(setting(config, "database", ""))
        if not database.strip() or any(ch in database for ch in "/\\?#"):
            # azure-cosmos builds the resource link from the name and raises a bare ValueError
            # for these.
            raise err(
                f"Setting 'database' must be a database name (not empty, without / \\ ? #), "
                f"not {database!r}"
            )
        return cls(
            connection=ConnectionSettings.from_config(config),
            containers=tuple(str(p) for p in containers),
            start_from=start_from,
            change_feed_mode=choice_setting(
                config,
                "change_feed_mode",
                cls.change_feed_mode,
                (LATEST_VERSION, ALL_VERSIONS_AND_DELETES),
                error=err,
            ),
            page_size=int_setting(config, "page_size", cls.page_size, minimum=1, error=err),
            max_parallel_ranges=int_setting(
                config, "max_parallel_ranges", cls.max_parallel_ranges, minimum=1, error=err
            ),
            schema_sample_size=int_setting(
                config, "schema_sample_size", cls.schema_sample_size, minimum=0, error=err
            ),
            schema_mode=choice_setting(
                config,
                "schema_mode",
                cls.schema_mode,
                (SCHEMA_MODE_TYPED, SCHEMA_MODE_DOCUMENT),
                error=err,
            ),
            max_object_properties=int_setting(
                config, "max_object_properties", cls.max_object_properties, minimum=1, error=err
            ),
            queries={str(name): str(sql) for name, sql in queries.items()},
            max_run_seconds=float_setting(config, "max_run_seconds", None, minimum=0, error=err),
            idle_exit_seconds=float_setting(
                config, "idle_exit_seconds", None, minimum=0, error=err
            ),
            poll_interval_seconds=float_setting(
                config, "poll_interval_seconds", cls.poll_interval_seconds, minimum=0, error=err
            ),
            progress_interval_seconds=float_setting(
                config,
                "progress_interval_seconds",
                cls.progress_interval_seconds,
                minimum=0,
                error=err,
            ),
            emit_activate_version_messages=bool_setting(
                config,
                "emit_activate_version_messages",
                cls.emit_activate_version_messages,
                error=err,
            ),
            shard_count=shard_count,
            shard_index=shard_index,
        )

    @property
    def database(self) -> str:
        """The ``database`` setting."""
        return self.connection.database

    @property
    def shard(self) -> ShardLayout:
        """This process's place among the shards (``shard_index`` of ``shard_count``)."""
        return ShardLayout(index=self.shard_index, count=self.shard_count)

    @property
    def deletes(self) -> bool:
        """True in ``AllVersionsAndDeletes`` mode (records of deletes, ``_sdc_deleted_at``)."""
        return self.change_feed_mode == ALL_VERSIONS_AND_DELETES

    @property
    def document_mode(self) -> bool:
        """True for ``schema_mode: document``."""
        return self.schema_mode == SCHEMA_MODE_DOCUMENT

    @property
    def polling(self) -> bool:
        """True when a time limit keeps the tap polling the change feed after the first pass."""
        return self.idle_exit_seconds is not None or self.max_run_seconds is not None


def tap_properties() -> th.PropertiesList:
    """Return the tap's settings (connection settings from cosmosdb_shared first).

    Returns:
        The settings as a singer-sdk ``PropertiesList``; each ``default`` is the
        :class:`TapSettings` field's.
    """
    return th.PropertiesList(
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
            default=TapSettings.start_from,
            description=(
                "Where a LOG_BASED stream starts reading a feed range that has no bookmark yet: "
                "`Beginning` (all retained changes), `Now` (only later changes) or an ISO-8601 "
                "timestamp such as `2026-01-01T00:00:00Z`. Ignored once a range has a bookmark."
            ),
        ),
        th.Property(
            "change_feed_mode",
            th.StringType,
            default=TapSettings.change_feed_mode,
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
            default=TapSettings.page_size,
            description="Items per request (`x-ms-max-item-count`) for change-feed and query reads.",
        ),
        th.Property(
            "max_parallel_ranges",
            th.IntegerType(minimum=1),
            default=TapSettings.max_parallel_ranges,
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
            default=TapSettings.schema_sample_size,
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
            default=TapSettings.schema_mode,
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
            default=TapSettings.max_object_properties,
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
            default=TapSettings.poll_interval_seconds,
            description="Pause between polling rounds when polling (seconds).",
        ),
        th.Property(
            "progress_interval_seconds",
            th.NumberType(minimum=0),
            default=TapSettings.progress_interval_seconds,
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
            default=TapSettings.emit_activate_version_messages,
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
            default=TapSettings.shard_count,
            description=(
                "Number of tap processes sharing each container (scale-out). Shard i of N reads "
                "the EPK slice [i/N, (i+1)/N) of every selected container; run N processes with "
                "shard_index 0..N-1, each with its own state. See docs/scaling-out.md."
            ),
        ),
        th.Property(
            "shard_index",
            th.IntegerType(minimum=0),
            default=TapSettings.shard_index,
            description="This process's shard, 0 to shard_count - 1.",
        ),
    )
