"""target-cosmosdb's settings: declared (``--about``), parsed once, typed.

Each setting is declared here twice, side by side: as a singer-sdk property in
:func:`target_properties` (the target's ``config_jsonschema``: ``--about``, meltano.yml and the
README settings tables follow it) and as a field of :class:`TargetSettings`, which the target
parses once from its configuration (after singer-sdk's JSON-schema validation) and every other
module reads. A property's ``default`` is its field's default (``tests/target/test_settings.py``
fails if they differ). The connection settings come from :mod:`cosmosdb_shared.settings`.
"""

from __future__ import annotations

import dataclasses
import typing as t

from singer_sdk import typing as th

from cosmosdb_shared.settings import (
    ConnectionSettings,
    bool_setting,
    choice_setting,
    connection_properties,
    int_setting,
    setting,
)
from target_cosmosdb import partition_key as pkmod
from target_cosmosdb.errors import TargetCosmosDBError
from target_cosmosdb.ids import ID_STRATEGIES

WRITE_MODES = ("upsert", "insert", "append", "patch")
#: Upper bound of ``max_concurrency`` (threads and HTTP connections of one run).
MAX_CONCURRENCY = 512


@dataclasses.dataclass(frozen=True)
class TargetSettings:
    """The target's settings, parsed and checked once (see :meth:`from_config`).

    Each attribute but ``connection`` is the setting of the same name (see
    :func:`target_properties` for what each means); its default is the setting's default.

    Attributes:
        connection: The shared connection settings (``database``, credentials, TLS).
        container: Container receiving every stream, or None for one container per stream.
        create_container: Create the database and missing containers.
        partition_key_path: Partition key paths of containers this target creates (1 to 3), or
            None to follow the SCHEMA's annotation (else ``/id``).
        container_throughput: Manual throughput (RU/s) of created containers, or None.
        autoscale_max_throughput: Autoscale maximum throughput (RU/s) of created containers, or
            None.
        write_mode: ``upsert``, ``insert``, ``append`` or ``patch``.
        id_field: Record field holding the document id.
        id_strategy: ``auto``, ``field``, ``key_properties`` or ``hash``.
        hard_delete: Delete the document of a record with ``_sdc_deleted_at``.
        max_concurrency: Most requests in flight at once (1 to :data:`MAX_CONCURRENCY`).
        dead_letter_path: JSONL file receiving refused records, or None to fail the run.
    """

    connection: ConnectionSettings
    container: str | None = None
    create_container: bool = True
    partition_key_path: tuple[str, ...] | None = None
    container_throughput: int | None = None
    autoscale_max_throughput: int | None = None
    write_mode: str = "upsert"
    id_field: str = "id"
    id_strategy: str = "auto"
    hard_delete: bool = False
    max_concurrency: int = 16
    dead_letter_path: str | None = None

    @classmethod
    def from_config(cls, config: t.Mapping[str, t.Any]) -> TargetSettings:
        """Parse the target's configuration (once, after singer-sdk's JSON-schema validation).

        Args:
            config: The target's configuration.

        Returns:
            The settings.

        Raises:
            TargetCosmosDBError: On an invalid value or contradictory settings (one line naming
                the setting).
            CosmosConnectionError: On missing or contradictory connection settings.
        """
        err = TargetCosmosDBError
        paths = setting(config, "partition_key_path")
        try:
            partition_key_path = tuple(pkmod.parse_paths(paths)) if paths else None
        except ValueError as exc:
            raise err(str(exc)) from None
        manual = setting(config, "container_throughput")
        autoscale = setting(config, "autoscale_max_throughput")
        if manual and autoscale:
            raise err(
                "Settings 'container_throughput' and 'autoscale_max_throughput' contradict: give one"
            )
        max_concurrency = int_setting(
            config,
            "max_concurrency",
            cls.max_concurrency,
            minimum=1,
            maximum=MAX_CONCURRENCY,
            error=err,
        )
        container = setting(config, "container")
        dead_letter_path = setting(config, "dead_letter_path")
        return cls(
            connection=ConnectionSettings.from_config(config),
            container=None if container is None else str(container),
            create_container=bool_setting(
                config, "create_container", cls.create_container, error=err
            ),
            partition_key_path=partition_key_path,
            container_throughput=(
                int_setting(config, "container_throughput", 0, minimum=400, error=err)
                if manual
                else None
            ),
            autoscale_max_throughput=(
                int_setting(config, "autoscale_max_throughput", 0, minimum=1000, error=err)
                if autoscale
                else None
            ),
            write_mode=choice_setting(config, "write_mode", cls.write_mode, WRITE_MODES, error=err),
            id_field=str(setting(config, "id_field", cls.id_field)),
            id_strategy=str(setting(config, "id_strategy", cls.id_strategy)),
            hard_delete=bool_setting(config, "hard_delete", cls.hard_delete, error=err),
            max_concurrency=max_concurrency,
            dead_letter_path=None if dead_letter_path is None else str(dead_letter_path),
        )

    @property
    def database(self) -> str:
        """The ``database`` setting."""
        return self.connection.database


def target_properties() -> th.PropertiesList:
    """Return the target's settings (connection settings from cosmosdb_shared first).

    Returns:
        The settings as a singer-sdk ``PropertiesList``; each ``default`` is the
        :class:`TargetSettings` field's.
    """
    return th.PropertiesList(
        *connection_properties(),
        th.Property(
            "container",
            th.StringType(min_length=1, max_length=255),
            description=(
                "Container that receives every stream. Default: one container per stream, named "
                "like the stream (rename streams with a stream map `__alias__`)."
            ),
        ),
        th.Property(
            "create_container",
            th.BooleanType,
            default=TargetSettings.create_container,
            description=(
                "Create the database and missing containers. When false, a missing database or "
                "container fails the run."
            ),
        ),
        th.Property(
            "partition_key_path",
            # A type list rather than anyOf: singer-sdk 0.54.9 appends a bare "null" string to
            # anyOf for optional settings, which breaks config validation.
            th.CustomType(
                {
                    "type": ["string", "array"],
                    "items": {"type": "string"},
                    "minItems": 1,
                    "maxItems": 3,
                }
            ),
            description=(
                "Partition key of containers this target creates: a path such as `/tenantId`, or "
                "a list of up to 3 paths for a hierarchical (MultiHash) key. When unset: the "
                "source container's definition if the SCHEMA carries it (tap-cosmosdb's "
                "`x-cosmosdb-partition-key`), else `/id`. Existing containers keep their own "
                "definition, which is read from the service and used instead."
            ),
        ),
        th.Property(
            "container_throughput",
            th.IntegerType(minimum=400),
            description=(
                "Manual throughput (RU/s, at least 400) for containers this target creates."
            ),
        ),
        th.Property(
            "autoscale_max_throughput",
            th.IntegerType(minimum=1000),
            description=(
                "Autoscale maximum throughput (RU/s, at least 1000) for containers this target "
                "creates. "
                "Mutually exclusive with `container_throughput`."
            ),
        ),
        th.Property(
            "write_mode",
            th.StringType,
            default=TargetSettings.write_mode,
            allowed_values=list(WRITE_MODES),
            description=(
                "`upsert` (create or replace), `insert` (create; an existing id fails the run), "
                "`append` (create; existing ids are skipped and counted) or `patch` (set the "
                "record's fields on an existing document, creating it when absent)."
            ),
        ),
        th.Property(
            "id_field",
            th.StringType(min_length=1),
            default=TargetSettings.id_field,
            description=(
                "Record field holding the document id (`id_strategy: field`, and `auto` when the "
                "stream schema declares it)."
            ),
        ),
        th.Property(
            "id_strategy",
            th.StringType,
            default=TargetSettings.id_strategy,
            allowed_values=list(ID_STRATEGIES),
            description=(
                "`auto`: the `id_field` value when the stream schema declares that field, else "
                "the key properties, else a hash of the record (the choice is logged once per "
                "stream). `field`: the `id_field` value. `key_properties`: key property values "
                "joined with `|`. `hash`: SHA-256 of the key property values, or of the whole "
                "record for a stream without key properties (identical rows then merge and a "
                "changed row becomes a new document). All are deterministic, so a replay "
                "overwrites. Non-string ids are stringified."
            ),
        ),
        th.Property(
            "hard_delete",
            th.BooleanType,
            default=TargetSettings.hard_delete,
            description=(
                "Delete the document of a record that has `_sdc_deleted_at` (a missing document "
                "is fine). When false, such records are stored with that field."
            ),
        ),
        th.Property(
            "max_concurrency",
            th.IntegerType(minimum=1, maximum=MAX_CONCURRENCY),
            default=TargetSettings.max_concurrency,
            description=(
                "Most requests (transactional batches or point operations) in flight at once, "
                "1 to 512; the HTTP connection pool is sized to match. Lowered automatically "
                "(halved) while Cosmos DB throttles (429) and raised slowly again on success."
            ),
        ),
        th.Property(
            "dead_letter_path",
            th.StringType(min_length=1),
            description=(
                "JSONL file receiving records Cosmos DB or the target refuses (bad id, document "
                "over 2 MB, schema violation, write refused), each with stream, line, id and "
                "reason. Without it such a record fails the run with that message."
            ),
        ),
    )
