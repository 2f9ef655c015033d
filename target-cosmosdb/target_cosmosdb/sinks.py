"""The batch sink: turns one stream's records into deduplicated, partition-grouped batches."""

from __future__ import annotations

import datetime
import itertools
import typing as t
from dataclasses import dataclass, field
from functools import partial

from singer_sdk.exceptions import InvalidRecord

from cosmosdb_shared.conventions import (
    DELETED_AT_PROPERTY,
    PARTITION_KEY_PROPERTY,
    PARTITION_KEY_SCHEMA_KEYWORD,
    TABLE_VERSION_PROPERTY,
)
from cosmosdb_shared.metrics import CosmosMetric, CounterReporter
from cosmosdb_shared.partition_key import group_key, header_json, path_parts
from target_cosmosdb import partition_key as pkmod
from target_cosmosdb.batching import WriteItem, dedupe, estimate_operation_bytes
from target_cosmosdb.compat import CompatSink
from target_cosmosdb.documents import (
    MAX_DOCUMENT_BYTES,
    SYSTEM_PROPERTIES,
    NonFiniteNumberError,
    check_size,
    document_size,
    to_document,
)
from target_cosmosdb.errors import RecordRejected, TargetCosmosDBError
from target_cosmosdb.ids import FIX_HINT, IdStrategy, MissingIdError, check_id
from target_cosmosdb.resources import container_name
from target_cosmosdb.validation import FastJSONSchemaValidator
from target_cosmosdb.writer import AdaptiveLimiter, BatchWriter, WriteStats

if t.TYPE_CHECKING:
    from collections.abc import Sequence

    from singer_sdk.sinks.core import BaseJSONSchemaValidator
    from singer_sdk.target_base import Target

    from target_cosmosdb.target import TargetCosmosDB


@dataclass
class StreamTotals:
    """Counters of one stream across every sink it had during the run.

    Attributes:
        stats: Write counters, updated by the writers of each of the stream's sinks.
        reporter: Writes the stream's METRIC points as increments since the previous ones.
        container: Container the stream writes to (None until a sink was set up).
        limiter: That container's AIMD limiter (None until a sink was set up).
        id_choice: Where ids come from, as last logged (:meth:`IdStrategy.describe`).
        pending_activation: Highest ACTIVATE_VERSION received for the stream; documents of
            older versions are retired once every record is written (end of input).
    """

    stats: WriteStats = field(default_factory=WriteStats)
    reporter: CounterReporter = field(default_factory=CounterReporter)
    container: str | None = None
    limiter: AdaptiveLimiter | None = None
    id_choice: str | None = None
    pending_activation: int | None = None

    def summary(self, stream: str, request_units: float) -> str:
        """Return the stream's closing summary line.

        Args:
            stream: Stream name.
            request_units: RU charged to the stream (the meter's scope ``stream``).

        Returns:
            E.g. ``"Summary for stream 'orders': 10 written, 1 deleted, 0 skipped, 0
            dead-lettered, 1 batches, 0 point operations, 12.4 RU, 2 throttles (0.3 s waited, in flight lowered to
            8 of 16)"``; the part in parentheses appears only after throttles, and the "lowered"
            part only when the limit was actually lowered.
        """
        st = self.stats
        text = (
            f"Summary for stream '{stream}': {st.written} written, {st.deleted} deleted, "
            f"{st.skipped} skipped, {st.dead_lettered} dead-lettered, {st.batches} batches, "
            f"{st.point_operations} point operations, {request_units:.1f} RU, "
            f"{st.throttles} throttles"
        )
        details = []
        if st.throttles:
            details.append(f"{st.throttle_wait_seconds:.1f} s waited")
        if self.limiter is not None and self.limiter.lowest < self.limiter.max_limit:
            details.append(
                f"in flight lowered to {int(self.limiter.lowest)} of {self.limiter.max_limit}"
            )
        if st.retries:
            details.append(f"{st.retries} retries")
        return text + (f" ({', '.join(details)})" if details else "")


#: Document property holding the stream version (ACTIVATE_VERSION) a record was sent with.
TABLE_VERSION = TABLE_VERSION_PROPERTY
#: Documents of older versions retired per query on ACTIVATE_VERSION.
RETIRE_PAGE = 1000
#: Documents of versions older than ``@version`` (hard_delete).
RETIRE_QUERY = f"SELECT * FROM c WHERE c.{TABLE_VERSION} < @version"  # noqa: S608 - constant names
#: The same, not yet marked deleted (soft delete).
MARK_QUERY = (
    f"{RETIRE_QUERY} AND (NOT IS_DEFINED(c.{DELETED_AT_PROPERTY})"
    f" OR IS_NULL(c.{DELETED_AT_PROPERTY}))"
)

_ACTIONS: dict[str, t.Literal["upsert", "create", "patch"]] = {
    "upsert": "upsert",
    "insert": "create",
    "append": "create",
    "patch": "patch",
}


class CosmosDBSink(CompatSink):
    """Write one stream to a Cosmos DB container.

    Records are turned into :class:`~target_cosmosdb.batching.WriteItem` as they arrive (id,
    partition key, size and schema are checked at once, so a bad record fails or is
    dead-lettered with its line number). A full batch is handed to the stream's background
    writer (:class:`~target_cosmosdb.pipeline.WritePipeline`) and written while the next records
    are parsed.
    """

    def __init__(
        self,
        target: Target,
        stream_name: str,
        schema: dict,
        key_properties: Sequence[str] | None,
    ) -> None:
        """Create the sink.

        Args:
            target: The :class:`~target_cosmosdb.target.TargetCosmosDB`.
            stream_name: Stream name (after stream maps).
            schema: The stream's schema.
            key_properties: The stream's key properties.

        Raises:
            TargetCosmosDBError: If ``id_strategy`` cannot work for this stream.
        """
        self.cosmos_target = t.cast("TargetCosmosDB", target)
        #: The target's settings (parsed once by the target).
        self.settings = self.cosmos_target.settings
        super().__init__(target, stream_name, schema, key_properties)
        try:
            self.id_strategy = IdStrategy(
                self.settings.id_strategy,
                self.settings.id_field,
                self.key_properties,
                schema_properties=(self.schema.get("properties") or {}).keys(),
            )
        except ValueError as exc:
            raise TargetCosmosDBError(f"Stream '{stream_name}': {exc}") from None
        self.write_mode = self.settings.write_mode
        self.hard_delete = self.settings.hard_delete
        # Shared by every sink the stream has (a SCHEMA change creates a new sink), so METRIC
        # deltas and the closing summary count the whole stream.
        self.totals = self.cosmos_target.totals_for(stream_name)
        self.stats = self.totals.stats
        #: Background writer of the stream's batches, shared by every sink the stream has.
        self.pipeline = self.cosmos_target.pipelines.for_stream(stream_name)

    # -- singer-sdk hooks -----------------------------------------------------------------------

    def get_validator(self) -> BaseJSONSchemaValidator | None:
        """Use the compiled fastjsonschema validator (same verdicts, much faster).

        Returns:
            The validator, or None when ``validate_records`` is false.
        """
        return FastJSONSchemaValidator(self.schema) if self.validate_schema else None

    def setup(self) -> None:
        """Resolve (create) the container and build the writer."""
        resources = self.cosmos_target.resources
        name = self.settings.container or container_name(self.stream_name)
        if name != (self.settings.container or self.stream_name):
            self.logger.warning("Stream '%s' is written to container '%s'", self.stream_name, name)
        self.container = resources.container(name, self._creation_paths(), stream=self.stream_name)
        self.pk_paths = self.container.pk_paths
        #: The partition key of a document (paths parsed once).
        self.extract_pk = pkmod.extractor(self.pk_paths)
        self.totals.container = self.container.name
        self.totals.limiter = self.container.limiter
        self.writer = BatchWriter(
            self.container.proxy,
            pk_paths=self.pk_paths,
            stream=self.stream_name,
            limiter=self.container.limiter,
            executor=resources.executor,
            abort=resources.abort,
            stats=self.stats,
            on_reject=partial(self.cosmos_target.bad_records.reject_item, stats=self.stats),
            write_mode=self.write_mode,
            meter=resources.meter,
            hierarchical=self.container.hierarchical,
        )
        choice = self.id_strategy.describe()
        if choice != self.totals.id_choice:  # once per stream, again only if a SCHEMA changes it
            self.totals.id_choice = choice
            self.logger.info("Stream '%s': document ids come from %s", self.stream_name, choice)
            self._warn_about_leftovers()

    def partition_key_can_move(self) -> bool:
        """Tell whether a record's partition key value can change while its id stays.

        Safe partition keys: ``/id`` (the document id itself), top-level properties that are
        all key properties of the stream (a different value is a different record), or, for a
        tap-cosmosdb stream (key properties include ``_sdc_partition_key``), the source
        container's own partition key as announced in the SCHEMA.

        Returns:
            True when a source update can move a record to another logical partition, which
            leaves its old document behind.
        """
        keys = set(self.key_properties)
        announced = self.original_schema.get(PARTITION_KEY_SCHEMA_KEYWORD)
        if (
            PARTITION_KEY_PROPERTY in keys
            and isinstance(announced, dict)
            and list(announced.get("paths") or []) == list(self.pk_paths)
        ):
            return False
        for path in self.pk_paths:
            parts = path_parts(path)
            if parts == ["id"]:
                continue
            if len(parts) == 1 and parts[0] in keys:
                continue
            return True
        return False

    def _warn_about_leftovers(self) -> None:
        """Say once per stream when source updates can leave stale documents behind."""
        paths = ", ".join(self.pk_paths)
        if self.partition_key_can_move():
            keys = ", ".join(self.key_properties) or "none"
            self.logger.warning(
                "Stream '%s': container '%s' is partitioned by %s, which is not made of the "
                "stream's key properties (%s) or id: a record whose %s value changes at the "
                "source is written to its new logical partition and its old document stays "
                "(two documents with one id). Partition by key properties or /id (setting "
                "'partition_key_path', for a new container) to avoid it, or delete such "
                "documents yourself.",
                self.stream_name,
                self.container.name,
                paths,
                keys,
                paths,
            )
        if self.id_strategy.strategy == "hash" and not self.key_properties:
            self.logger.warning(
                "Stream '%s' has no key properties, so ids are a hash of the whole record: "
                "identical records become one document, and a record changed at the source "
                "becomes a new document (the old one stays) unless the tap sends "
                "ACTIVATE_VERSION (full-table syncs) to remove the old ones.",
                self.stream_name,
            )

    def _creation_paths(self) -> list[str]:
        """Partition key paths for a container this sink creates.

        Returns:
            The ``partition_key_path`` setting when given; else the paths the SCHEMA announces
            in ``x-cosmosdb-partition-key`` (tap-cosmosdb copies the source container's
            definition there), so a copy keeps the source's partitioning; else ``["/id"]``.
        """
        if self.cosmos_target.pk_paths:
            return self.cosmos_target.pk_paths
        announced = self.original_schema.get(PARTITION_KEY_SCHEMA_KEYWORD)
        if isinstance(announced, dict) and announced.get("paths"):
            try:
                return pkmod.parse_paths(announced["paths"])
            except (ValueError, TypeError):
                self.logger.warning(
                    "Stream '%s': ignoring unusable %s %r",
                    self.stream_name,
                    PARTITION_KEY_SCHEMA_KEYWORD,
                    announced,
                )
        return ["/id"]

    def remove_sdc_metadata(self, record: dict) -> None:
        """Drop singer-sdk metadata, but keep ``_sdc_deleted_at`` (it drives ``hard_delete``).

        Args:
            record: The record, changed in place.
        """
        deleted_at = record.get(DELETED_AT_PROPERTY)
        super().remove_sdc_metadata(record)
        if deleted_at is not None:
            record[DELETED_AT_PROPERTY] = deleted_at

    def schema_violation(self, record: dict) -> str | None:
        """Validate the record against the stream schema (when ``validate_records`` is on).

        Args:
            record: The record.

        Returns:
            Why it does not match (one line), or None when it matches or validation is off.
        """
        validator = self.validator
        if validator is None:
            return None
        try:
            validator.validate(record)
        except InvalidRecord as exc:
            message = str(exc.error_message if hasattr(exc, "error_message") else exc)
            return f"record does not match the stream schema: {message}"
        return None

    # -- records --------------------------------------------------------------------------------

    def _name_record(self, record: dict, line: int | None) -> str:
        where = f" line {line}" if line is not None else ""
        origin = self.cosmos_target.record_origin
        if origin:
            where += f" ({origin})"
        keys = ", ".join(f"{k}={record.get(k)!r}" for k in self.key_properties)
        return f"Stream '{self.stream_name}'{where}" + (f" (key properties {keys})" if keys else "")

    def _reject(
        self,
        record: dict,
        reason: str,
        line: int | None,
        doc_id: str | None,
        pk: pkmod.PartitionKeyValue | None,
    ) -> None:
        ident = f" id {doc_id[:200]!r}" if doc_id is not None else ""
        self.cosmos_target.bad_records.reject(
            subject=f"{self._name_record(record, line)}{ident}",
            reason=reason,
            stream=self.stream_name,
            record=record,
            stats=self.stats,
            doc_id=doc_id,
            line=line,
            pk=pk,
            origin=self.cosmos_target.record_origin,
        )

    def process_record(self, record: dict, context: dict) -> None:
        """Turn the record into a write, or fail / dead-letter it.

        Args:
            record: The record after stream maps and metadata.
            context: The batch context; writes collect in ``context["items"]``.

        Raises:
            TargetCosmosDBError: For a record without id, with NaN/Infinity, or refused while no
                ``dead_letter_path`` is set.
        """
        self.pipeline.check()  # stop reading once a batch of the stream failed for good
        line = self.cosmos_target.line_number
        rejection = self.schema_violation(record)
        try:
            doc_id = self.id_strategy.make_id(record)
        except MissingIdError as exc:
            if rejection:
                self._reject(record, rejection, line, None, None)
                return
            raise TargetCosmosDBError(f"{self._name_record(record, line)}: {exc}") from None
        if rejection:
            self._reject(record, rejection, line, doc_id, None)
            return
        try:
            doc = to_document(record)
        except NonFiniteNumberError as exc:
            raise TargetCosmosDBError(
                f"{self._name_record(record, line)} id {doc_id!r}: {exc}"
            ) from None
        doc["id"] = doc_id
        version = self._record_version()
        if version is not None:
            doc[TABLE_VERSION] = version
        deleted = self.hard_delete and record.get(DELETED_AT_PROPERTY) is not None
        pk: pkmod.PartitionKeyValue | None = None
        try:
            check_id(doc_id)
        except RecordRejected as exc:
            reason = f"{exc.reason} (ids come from {self.id_strategy.describe()}; {FIX_HINT})"
            self._reject(record, reason, line, doc_id, pk)
            return
        try:
            pk = self.extract_pk(doc)
            size = estimate_operation_bytes(None if deleted else doc)
            if not deleted and size > MAX_DOCUMENT_BYTES:  # ASCII-escaped size >= UTF-8 size
                check_size(document_size(doc))
        except RecordRejected as exc:
            self._reject(record, exc.reason, line, doc_id, pk)
            return
        item = WriteItem(
            stream=self.stream_name,
            line=line,
            doc_id=doc_id,
            pk=pk,
            action="delete" if deleted else _ACTIONS[self.write_mode],
            doc=None if deleted else doc,
            size=size,
            record=record if self.cosmos_target.dead_letters is not None else None,
            origin=self.cosmos_target.record_origin,
        )
        context.setdefault("items", []).append(item)

    def process_batch(self, context: dict) -> None:
        """Hand the batch to the stream's background writer and return at once.

        The batch is written (:meth:`write_batch`) while the next records are parsed; batches
        of one stream are written in input order. A STATE waits for every batch handed over
        before it (:meth:`TargetCosmosDB.drain_sinks` flushes the pipelines).

        Args:
            context: The batch context with ``items``.

        Raises:
            TargetCosmosDBError: If an earlier batch of the stream failed.
        """
        items: list[WriteItem] = context.get("items", [])
        if items:
            self.pipeline.submit(partial(self.write_batch, items))

    def write_batch(self, items: list[WriteItem]) -> None:
        """Write a batch: dedupe (last wins), then batches per shared key, else point writes.

        Args:
            items: The batch's writes, in input order.
        """
        unique, dropped = dedupe(items)
        if dropped:
            self.tally_duplicate_merged(dropped)
        self.writer.write(unique)
        self.emit_metrics()

    def start_drain(self) -> dict:
        """Mark the drain as active, then take the batch out of the sink.

        The mark must come first: once singer-sdk has moved the pending records out of the
        sink, a SIGTERM handled as "between drains" would drain an empty sink and acknowledge
        STATE for records that were never written (found by tests/reliability).

        Returns:
            The batch context, as singer-sdk's ``Sink.start_drain``.
        """
        self.cosmos_target.begin_drain()
        return super().start_drain()

    def mark_drained(self) -> None:
        """Reset the sink after its batch was written, and end the active-drain mark."""
        try:
            super().mark_drained()
        finally:
            self.cosmos_target.end_drain()

    # -- ACTIVATE_VERSION -----------------------------------------------------------------------

    def _record_version(self) -> t.Any:
        """The stream version of the record being handled (``version`` of its message).

        A BATCH message may omit it; its records then belong to the version the stream last
        activated (singer-sdk taps send ACTIVATE_VERSION before a full table's records).
        """
        version = self.cosmos_target.message_version
        if version is None and self.cosmos_target.record_origin is not None:
            version = self.totals.pending_activation
        return version

    def activate_version(self, new_version: int) -> None:
        """Note an ACTIVATE_VERSION; older documents are retired once every record is written.

        The cleanup runs at the end of the input (:meth:`retire_older_versions`), after the
        final drain, so the container is never emptied while the new version is loading and
        a failed run retires nothing.

        Args:
            new_version: The activated version (singer-sdk: the tap's start, epoch seconds).

        Raises:
            TargetCosmosDBError: If the version is not an integer, or every stream shares one
                container (setting ``container``): documents of other streams could go.
        """
        if isinstance(new_version, bool) or not isinstance(new_version, int):
            raise TargetCosmosDBError(
                f"Input line {self.cosmos_target.line_number}: ACTIVATE_VERSION for stream "
                f"'{self.stream_name}' has a non-integer version {new_version!r}"
            )
        if self.settings.container:
            raise TargetCosmosDBError(
                f"Stream '{self.stream_name}': ACTIVATE_VERSION cannot be honoured while every "
                f"stream shares container '{self.settings.container}' (setting 'container'): "
                "retiring old versions could remove other streams' documents. Unset "
                "'container', or set 'process_activate_version_messages' to false to ignore it"
            )
        current = self.totals.pending_activation
        self.totals.pending_activation = max(current or new_version, new_version)
        self.logger.info(
            "Stream '%s': ACTIVATE_VERSION %s; documents of older versions will be %s once "
            "every record is written",
            self.stream_name,
            new_version,
            "deleted (hard_delete)" if self.hard_delete else f"marked with {DELETED_AT_PROPERTY}",
        )

    def retire_older_versions(self, version: int) -> int:
        """Delete or mark every document of the stream whose ``_sdc_table_version`` < ``version``.

        Documents are found with a cross-partition query (RU-metered, throttling-aware: each
        query goes through the writer's admission and retry rules) and deleted
        (``hard_delete``) or upserted with ``_sdc_deleted_at`` through the writer (batches or
        point operations, retries, dead letters). Only documents with an older version are
        ever touched, so a crash during the cleanup never affects a current document and the
        next activation finishes the job.

        Args:
            version: The activated version.

        Returns:
            Documents retired.

        Raises:
            TargetCosmosDBError: If a document keeps coming back (it could not be retired).
        """
        query = RETIRE_QUERY if self.hard_delete else MARK_QUERY
        parameters: list[dict[str, t.Any]] = [{"name": "@version", "value": version}]
        proxy = self.container.proxy
        deleted_at = datetime.datetime.now(datetime.timezone.utc).isoformat()
        seen: set[tuple[t.Any, ...]] = set()
        retired = queries = 0
        with self.cosmos_target.resources.meter.scope(self.stream_name):
            while True:
                queries += 1
                docs = self.writer.request(
                    lambda: list(
                        itertools.islice(
                            proxy.query_items(
                                query,
                                parameters=parameters,
                                enable_cross_partition_query=True,
                                max_item_count=RETIRE_PAGE,
                            ),
                            RETIRE_PAGE,
                        )
                    )
                )
                if not docs:
                    break
                items = []
                for doc in docs:
                    pk = pkmod.extract(doc, self.pk_paths)
                    key = (*group_key(pk), doc["id"])
                    if key in seen:
                        raise TargetCosmosDBError(
                            f"Stream '{self.stream_name}': document id {doc['id']!r} partition "
                            f"key {header_json(pk)} of version {doc.get(TABLE_VERSION)} could "
                            f"not be retired on ACTIVATE_VERSION {version}"
                        )
                    seen.add(key)
                    if self.hard_delete:
                        items.append(
                            WriteItem(self.stream_name, None, doc["id"], pk, "delete", None, 0)
                        )
                        continue
                    body = {k: v for k, v in doc.items() if k not in SYSTEM_PROPERTIES}
                    body[DELETED_AT_PROPERTY] = deleted_at
                    size = estimate_operation_bytes(body)
                    items.append(
                        WriteItem(self.stream_name, None, doc["id"], pk, "upsert", body, size)
                    )
                self.writer.write(items)
                retired += len(items)
        self.logger.info(
            "Stream '%s': ACTIVATE_VERSION %s: %d documents of older versions %s (%d queries)",
            self.stream_name,
            version,
            retired,
            "deleted" if self.hard_delete else f"marked with {DELETED_AT_PROPERTY}",
            queries,
        )
        self.emit_metrics()
        return retired

    # -- metrics --------------------------------------------------------------------------------

    def _counters(self) -> dict[CosmosMetric, float]:
        charge = self.cosmos_target.resources.meter.totals(self.stream_name)
        return {
            CosmosMetric.RECORDS_WRITTEN: self.stats.written,
            CosmosMetric.RECORDS_DELETED: self.stats.deleted,
            CosmosMetric.RECORDS_SKIPPED: self.stats.skipped,
            CosmosMetric.RECORDS_DEAD_LETTERED: self.stats.dead_lettered,
            CosmosMetric.BATCH_COUNT: self.stats.batches,
            CosmosMetric.POINT_OPERATION_COUNT: self.stats.point_operations,
            CosmosMetric.REQUEST_UNITS: round(charge.request_units, 2),
            CosmosMetric.THROTTLE_COUNT: self.stats.throttles,
            CosmosMetric.THROTTLE_WAIT_SECONDS: round(self.stats.throttle_wait_seconds, 3),
            CosmosMetric.RETRY_COUNT: self.stats.retries,
        }

    def emit_metrics(self) -> None:
        """Log one METRIC counter line per metric that grew since the last call (the increase)."""
        tags = {"stream": self.stream_name, "container": self.container.name}
        self.totals.reporter.report(self._counters(), tags)
