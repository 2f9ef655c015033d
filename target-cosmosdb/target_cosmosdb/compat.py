"""Every private singer-sdk and azure-cosmos use of target-cosmosdb, with its reason.

Both libraries are pinned exactly in ``target-cosmosdb/pyproject.toml``. :data:`PRIVATE_USES`
records a fingerprint (:func:`cosmosdb_shared.compat.source_fingerprint`) of each private
function or class relied on, and of the public singer-sdk code whose order of calls the STATE
guarantee rests on; ``tests/target/test_compat.py`` fails when an installed version changes
one, so an upgrade is reviewed here before it can change what the target acknowledges. The rest
of the package uses only the public names defined here (:class:`CompatTarget`,
:class:`CompatSink`, :func:`throttle_free_policy`, :data:`ConfigInput`).

Private uses (singer-sdk 0.54.9, azure-cosmos 4.17.1):

``singer_sdk.target_base.Target._drain_all``
    ``Target.drain_all`` (public, final) drains the sinks through ``_drain_all`` and then emits
    STATE. Overridden (:meth:`CompatTarget.drain_sinks`) to mark the drain active for the
    signal handler and to wait for the background writers
    (:mod:`target_cosmosdb.pipeline`) before that STATE. singer-sdk has no public hook between
    the drain and the STATE of a target (a tap has ``Tap.state_writer``; a target has none).
    Upstream: none found for a target-side state hook; the drain/STATE order is what
    https://github.com/meltano/sdk/issues/3775 is about.
``singer_sdk.target_base.Target._write_state_message``
    Overridden (:meth:`CompatTarget.write_state`) to emit nothing after an abort and to fsync
    the dead-letter file first. Upstream: https://github.com/meltano/sdk/pull/3040 (empty
    STATE) touches the same method; no public hook exists.
``singer_sdk.target_base.Target._handle_termination``
    Overridden (:meth:`CompatTarget.on_termination`): singer-sdk drains again from the signal
    handler, re-entering a sink whose batch is in flight, and acknowledges STATE for it.
    Upstream: https://github.com/meltano/sdk/issues/3775 (fix proposed in
    https://github.com/meltano/sdk/pull/3778, not released in 0.54.9).
``singer_sdk.target_base.Target._process_batch_message`` and ``_process_record_message``
    singer-sdk's BATCH handler calls ``Sink.process_batch_files`` with the records at once,
    without stream maps, validation or the sink's batch context; the target sends each record
    of a BATCH file through the RECORD path instead (:meth:`CompatTarget.process_batch_message`,
    :meth:`CompatTarget.process_record_message`). Upstream:
    https://github.com/meltano/sdk/issues/1031 (BATCH messages bypass the sink's context).
``singer_sdk.target_base.Target._process_record_message`` (the lean record path)
    Overridden (:meth:`CompatTarget._process_record_message`): when the stream has exactly one
    stream map and it is singer-sdk's identity map (no ``stream_maps`` entry for it, flattening
    off), ``add_record_metadata`` is off and the sink keeps singer-sdk's default
    ``preprocess_record``, those steps return the record unchanged, so the record goes
    straight through the steps that do something, in singer-sdk's order (batch context,
    metadata removal only when the record has an ``_sdc_*`` metadata property, key-property
    check, tallies, ``process_record``, record counter, drain when full, max-age drain);
    without singer-sdk's shallow copy, which exists for several maps sharing one record.
    Anything else takes singer-sdk's own code. ``tests/target/test_lean_records.py`` checks
    both paths write the same documents, dead letters, errors and STATE. Upstream: none found.
``singer_sdk.target_base.Target._sinks_active`` / ``_sinks_to_clear``
    Read (set in ``Target.__init__``) to drain an old sink before a SCHEMA change and before
    ACTIVATE_VERSION clean-up (:attr:`CompatTarget.active_sinks`). Upstream: none found.
``singer_sdk.sinks.core.Sink._validate_and_parse``, ``Sink._validator``
    Replaced (:meth:`CompatSink.validate_record`) so a record that fails the schema is
    dead-lettered with its id instead of failing the run; ``_validator`` is the validator
    singer-sdk built from ``Sink.get_validator``. Upstream: none found.
``singer_sdk.sinks.core.Sink._remove_sdc_metadata_from_record``
    Wrapped (:meth:`CompatSink.remove_sdc_metadata`) to keep ``_sdc_deleted_at``, which drives
    ``hard_delete``. Upstream: none found.
``singer_sdk.sinks.core.Sink._parse_timestamps_in_record``
    Disabled: documents keep date-time strings exactly as sent. Upstream: none found.
``singer_sdk.plugin_base._ConfigInput``
    The type of ``Target.invoke``'s ``config`` argument, re-exported as :data:`ConfigInput`
    (type checking only).
``azure.cosmos._retry_options.RetryOptions``, ``azure.cosmos.cosmos_client._build_connection_policy``
    ``_build_connection_policy`` applies ``retry_total`` / ``retry_throttle_total`` only when
    truthy, so 0 (no SDK-level 429 retries) cannot be asked for publicly;
    :func:`throttle_free_policy` builds a ``ConnectionPolicy`` with a zero-retry
    ``RetryOptions`` so the target's own AIMD limiter sees every 429. Upstream: none found in
    Azure/azure-sdk-for-python (https://github.com/Azure/azure-sdk-for-python/pull/39867
    added ``retry_throttle_total`` with the same truthiness test).
"""

from __future__ import annotations

import logging
import typing as t

from azure.cosmos.documents import ConnectionPolicy
from singer_sdk.mapper import SameRecordTransform
from singer_sdk.sinks import BatchSink
from singer_sdk.sinks.core import Sink as CoreSink
from singer_sdk.target_base import Target

from cosmosdb_shared.conventions import DELETED_AT_PROPERTY, TABLE_VERSION_PROPERTY

if t.TYPE_CHECKING:
    from collections.abc import Iterable
    from types import FrameType

    from singer_sdk.helpers.conform import DatetimeErrorTreatmentEnum
    from singer_sdk.plugin_base import _ConfigInput as ConfigInput
    from singer_sdk.sinks import Sink
    from singer_sdk.sinks.core import BaseJSONSchemaValidator

__all__ = [
    "PRIVATE_USES",
    "CompatSink",
    "CompatTarget",
    "ConfigInput",
    "throttle_free_policy",
]

#: Private (and guarantee-bearing public) code relied on, by dotted name, with the fingerprint
#: of its source in the pinned versions (see :func:`cosmosdb_shared.compat.source_fingerprint`).
PRIVATE_USES: dict[str, str] = {
    "singer_sdk.target_base.Target._drain_all": "3f4fb2b21f2a3c1b",
    "singer_sdk.target_base.Target.drain_all": "2a9d9f3283d12275",
    "singer_sdk.target_base.Target.drain_one": "a69e3879dda2c31e",
    "singer_sdk.target_base.Target._write_state_message": "9b0a3c91e15c2334",
    "singer_sdk.target_base.Target._handle_termination": "fe9a212ac6ee96ab",
    "singer_sdk.plugin_base.PluginBase._handle_termination": "55b1a67bc1a7b9df",
    "singer_sdk.target_base.Target._process_batch_message": "b3b216a27d7edb58",
    "singer_sdk.target_base.Target._process_record_message": "646518f649e1e597",
    "singer_sdk.target_base.Target._handle_max_record_age": "b150c128cb4167bf",
    "singer_sdk.mapper.SameRecordTransform": "d3e344a77be7de7d",
    "singer_sdk.mapper.DefaultStreamMap.transform": "d2030553e4a2fc8d",
    "singer_sdk.mapper.StreamMap.flatten_record": "bfb57e94274870fa",
    "singer_sdk.sinks.batch.BatchSink._get_context": "a3800557ec70ceb9",
    "singer_sdk.sinks.core.Sink.preprocess_record": "087c7b353a88351b",
    "singer_sdk.sinks.core.Sink._singer_validate_message": "73cd909128eb247c",
    "singer_sdk.sinks.core.Sink._after_process_record": "a0b5a39a77782b49",
    "singer_sdk.target_base.Target.__init__": "7f41d812b8e7b389",
    "singer_sdk.sinks.core.Sink.__init__": "a9d9d63b50ff9859",
    "singer_sdk.sinks.core.Sink.start_drain": "f1433aa759027d8b",
    "singer_sdk.sinks.core.Sink._validate_and_parse": "794a0cf2fa6c3b00",
    "singer_sdk.sinks.core.Sink._remove_sdc_metadata_from_record": "444d9b583e9a3d1c",
    "singer_sdk.sinks.core.Sink._parse_timestamps_in_record": "365b5dadcebd2fc6",
    "singer_sdk.plugin_base._ConfigInput": "575a95e7c37307ed",
    "azure.cosmos._retry_options.RetryOptions": "1732d57a092045e0",
    "azure.cosmos.cosmos_client._build_connection_policy": "8763e061e0ad53b6",
}


#: singer-sdk's record metadata properties (``Sink._remove_sdc_metadata_from_record`` removes
#: these); a record with none of them needs no removal.
_SDC_METADATA = frozenset(
    {
        "_sdc_extracted_at",
        "_sdc_received_at",
        "_sdc_batched_at",
        DELETED_AT_PROPERTY,
        "_sdc_sequence",
        TABLE_VERSION_PROPERTY,
        "_sdc_sync_started_at",
    }
)


def throttle_free_policy() -> ConnectionPolicy:
    """Return a connection policy whose SDK-level 429 retry count is zero.

    ``azure.cosmos.cosmos_client._build_connection_policy`` only overrides
    ``RetryOptions._max_retry_attempt_count`` with truthy ``retry_total`` values, so passing a
    policy is the only way to get 0 and let the target's writer see (and adapt to) every 429.

    Returns:
        A ``ConnectionPolicy`` for ``CosmosClient(connection_policy=...)``.
    """
    from azure.cosmos._retry_options import RetryOptions

    policy = ConnectionPolicy()
    policy.RetryOptions = RetryOptions(max_retry_attempt_count=0, max_wait_time_in_seconds=0)
    return policy


class CompatTarget(Target):
    """singer-sdk ``Target`` whose private hooks forward to public methods of this package.

    Subclasses override :meth:`drain_sinks`, :meth:`write_state`, :meth:`on_termination` and
    :meth:`process_batch_message`; each default is singer-sdk's own behaviour.
    """

    #: Stream name -> (stream map, sink, the sink when the lean record path applies else None).
    _lean_plans: dict[str, tuple[t.Any, Sink, Sink | None]]

    # -- private hooks (singer-sdk 0.54.9) ------------------------------------------------------

    def _process_record_message(self, message_dict: dict) -> None:
        """Handle a RECORD: the lean path when singer-sdk's extra steps would do nothing.

        Args:
            message_dict: The RECORD message.
        """
        sink = self.lean_sink(message_dict)
        if sink is None:
            super()._process_record_message(message_dict)
            return
        # The same steps as Target._process_record_message with one identity stream map and
        # no record metadata, in the same order; the steps that return the record unchanged
        # (map transform, _validate_and_parse, preprocess_record) are left out.
        record = message_dict["record"]
        context = sink._get_context(record)
        if not _SDC_METADATA.isdisjoint(record):
            sink._remove_sdc_metadata_from_record(record)
        sink._singer_validate_message(record)
        sink.tally_record_read()
        sink.process_record(record, context)
        sink.record_counter_metric.increment()
        if sink.logger.isEnabledFor(logging.DEBUG):
            sink._after_process_record(context)
        if sink.is_full:
            self.logger.info(
                "Target sink for '%s' is full. Current size is '%s'. Draining...",
                sink.stream_name,
                sink.current_size,
            )
            self.drain_one(sink)
        self._handle_max_record_age()

    def lean_sink(self, message_dict: dict) -> Sink | None:
        """Return the stream's sink when the lean record path applies to a RECORD, else None.

        Decided once per stream map and sink (a SCHEMA that replaces either decides again).

        Args:
            message_dict: The RECORD message.

        Returns:
            The sink, or None when singer-sdk's own ``_process_record_message`` must run
            (stream maps, flattening, ``add_record_metadata``, a sink overriding
            ``preprocess_record``, a message without a stream name or record object).
        """
        stream = message_dict.get("stream")
        if type(stream) is not str or type(message_dict.get("record")) is not dict:
            return None  # singer-sdk's own path raises its own errors
        maps = self.mapper.stream_maps.get(stream)
        sink = self._sinks_active.get(stream)
        if maps is None or len(maps) != 1 or sink is None:
            return None
        plans = self.__dict__.setdefault("_lean_plans", {})
        plan = plans.get(stream)
        if plan is None or plan[0] is not maps[0] or plan[1] is not sink:
            stream_map = maps[0]
            sink_type = type(sink)
            lean = (
                type(stream_map) is SameRecordTransform
                and stream_map.stream_alias == stream
                and not stream_map.flattening_enabled
                and not sink.include_sdc_metadata_properties
                and sink_type.preprocess_record is CoreSink.preprocess_record
                and sink_type._validate_and_parse is CompatSink._validate_and_parse
                and sink_type._after_process_record is CoreSink._after_process_record
            )
            plan = (stream_map, sink, sink if lean else None)
            plans[stream] = plan
        return plan[2]

    def _drain_all(self, sink_list: Iterable[Sink], parallelism: int) -> None:
        self.drain_sinks(sink_list, parallelism)

    def _write_state_message(self, state: dict) -> None:
        self.write_state(state)

    def _handle_termination(self, signum: int, frame: FrameType | None) -> None:
        self.on_termination(signum, frame)

    def _process_batch_message(self, message_dict: dict) -> None:
        self.process_batch_message(message_dict)

    # -- public forms ---------------------------------------------------------------------------

    def drain_sinks(self, sink_list: Iterable[Sink], parallelism: int) -> None:
        """Drain ``sink_list`` (singer-sdk: ``drain_one`` each, on ``parallelism`` threads).

        Args:
            sink_list: Sinks to drain.
            parallelism: Sinks drained at once.
        """
        super()._drain_all(sink_list, parallelism)

    def write_state(self, state: dict) -> None:
        """Write a STATE message to stdout (singer-sdk: one JSON line, flushed).

        Args:
            state: The STATE value.
        """
        super()._write_state_message(state)

    def on_termination(self, signum: int, frame: FrameType | None) -> None:
        """Handle SIGTERM/SIGINT (singer-sdk: drain every sink, emit STATE, exit 0).

        Args:
            signum: Signal number.
            frame: Interrupted frame.
        """
        super()._handle_termination(signum, frame)

    def process_batch_message(self, message_dict: dict) -> None:
        """Handle a BATCH message (singer-sdk: ``Sink.process_batch_files``).

        Args:
            message_dict: The BATCH message.
        """
        super()._process_batch_message(message_dict)

    def process_record_message(self, message_dict: dict) -> None:
        """Handle one RECORD message exactly as singer-sdk handles one read from the input.

        Args:
            message_dict: The RECORD message.
        """
        self._process_record_message(message_dict)

    @property
    def active_sinks(self) -> dict[str, Sink]:
        """Stream name -> the stream's current sink."""
        return self._sinks_active

    @property
    def sinks_to_clear(self) -> list[Sink]:
        """Sinks replaced after a SCHEMA change, drained before the active ones."""
        return list(self._sinks_to_clear)


class CompatSink(BatchSink):
    """singer-sdk ``BatchSink`` whose private hooks forward to public methods of this package."""

    # -- private hooks (singer-sdk 0.54.9) ------------------------------------------------------

    def _validate_and_parse(self, record: dict) -> dict:
        return record  # validation happens in process_record (validate_record), with the id

    def _remove_sdc_metadata_from_record(self, record: dict) -> None:
        self.remove_sdc_metadata(record)

    def _parse_timestamps_in_record(
        self, record: dict, schema: dict, treatment: DatetimeErrorTreatmentEnum
    ) -> None:
        """Keep date-time strings exactly as sent (documents are copied field by field)."""

    # -- public forms ---------------------------------------------------------------------------

    @property
    def validator(self) -> BaseJSONSchemaValidator | None:
        """The validator singer-sdk built with ``get_validator`` (None: validation off)."""
        return self._validator

    def remove_sdc_metadata(self, record: dict) -> None:
        """Drop singer-sdk's ``_sdc_*`` metadata properties (singer-sdk's behaviour).

        Args:
            record: The record, changed in place.
        """
        super()._remove_sdc_metadata_from_record(record)
