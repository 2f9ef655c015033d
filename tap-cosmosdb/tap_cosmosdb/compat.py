"""Every private singer-sdk and azure-cosmos use of tap-cosmosdb, in one place, with its reason.

Both libraries are pinned exactly in ``tap-cosmosdb/pyproject.toml``. :data:`PRIVATE_USES`
records a fingerprint (:func:`cosmosdb_shared.compat.source_fingerprint`) of each private
function relied on; ``tests/tap/test_compat.py`` fails when an installed version changes one,
so an upgrade is reviewed here before it can change what the tap emits or stores. Other modules
of the tap use singer-sdk and azure-cosmos through public names only, or through this module.

singer-sdk (0.54.9):

``Tap.sync_all`` (marked ``@final``), ``Tap._reset_state_progress_markers``, ``Tap._set_compatible_replication_methods``
    The tap runs its own ``sync_all`` (polling rounds after the first pass, a summary and
    METRIC lines at the end), which calls these two steps of singer-sdk's own ``sync_all``
    through :func:`prepare_sync`. Upstream issue: none found for an overridable or hookable
    ``sync_all`` (related: meltano/sdk#216, syncing streams selectively).
``Stream._sync_records``
    A polling round reads every feed range again without ``Stream.sync`` (``@final``, which
    would send SCHEMA and start a new sync timer each round): :func:`sync_stream_records`.
    Upstream issue: none found.
``Stream._write_activate_version_message``
    singer-sdk writes ACTIVATE_VERSION before a FULL_TABLE stream's first record; a loader that
    honours it then empties the table while the refresh runs. :class:`StreamHooks` holds it
    back until the stream's last record. Upstream issue: none found (related: meltano/sdk#2103,
    ``activate_version`` deleting rows loaded earlier in the same run).
``Stream._generate_schema_messages``
    SCHEMA messages gain the ``x-cosmosdb-partition-key`` keyword after stream maps ran
    (singer-sdk's catalog schema keeps only standard keywords). Upstream issue: none found.
``Stream._process_record``
    singer-sdk copies the partition context (``range_min``/``range_max``) into every record;
    :class:`StreamHooks` keeps it out. Upstream issue: none found.
``Stream._schema``, ``Stream._input_schema``, ``Stream._stream_maps``, ``helpers._catalog.get_selected_schema``
    A property first seen at run time is declared with a new SCHEMA message: the stream schema
    is replaced and the stream maps re-registered (:func:`replace_stream_schema`). singer-sdk
    has no schema setter (added in meltano/sdk#2932 and reverted in meltano/sdk#2937; issue
    meltano/sdk#2930).
``Stream._stream_version``
    The ``version`` of a FULL_TABLE stream's RECORD messages, read by the stream's direct record
    path (``CosmosContainerStream.direct_record_path``, which writes RECORD messages a page at a
    time instead of through ``Stream._sync_records`` record by record). Upstream issue: none
    found for a batched record-writing hook.
``Tap._state_writer``, ``helpers._state.StateWriter.write_state``
    singer-sdk's ``StateWriter`` keeps a ``copy.deepcopy`` of each STATE it writes (to skip
    unchanged ones); the tap writes one after every page, and the deep copy of its state (the
    ``declared_schema`` and every feed range's bookmark) was a visible share of a drain's CPU.
    :func:`use_fast_state_writer` gives the tap a ``StateWriter`` whose copy is a msgspec JSON
    round trip, kept only when it compares equal to the state (else ``copy.deepcopy`` as
    before), so which STATE messages are written does not change. Upstream issue: none found.
``Stream._replication_key``
    The catalog's replication key, which the stream's ``replication_key`` property reads and
    writes (:func:`catalog_replication_key`). Upstream issue: none needed (attribute of the
    base class's own property).
``helpers._state.reset_state_progress_markers``
    Input state is loaded with singer-sdk's progress markers dropped (:func:`reset_progress_markers`).
    Upstream issue: none found.
``singer_sdk.target_base`` (module import) and ``Target._drain_all``
    ``import singer_sdk`` imports its target side, whose ``target_base`` runs
    ``from joblib import Parallel, delayed, parallel_config`` (used only by
    ``Target._drain_all``); joblib imports numpy, psutil and loky, about a third of the tap's
    start-up, and a tap never drains a sink. While singer_sdk is first imported,
    :func:`cosmosdb_shared.compat.deferred_imports` (shared with target-cosmosdb, which drains
    without joblib) puts a stand-in module under ``sys.modules["joblib"]`` whose three
    names import the real joblib on first call; afterwards ``import joblib`` is the real module.
    Anything else asked of the stand-in during that import also loads the real joblib.
    ``tests/tap/test_startup.py`` fails if singer-sdk imports other joblib names or imports
    joblib elsewhere, and ``PRIVATE_USES`` fingerprints ``Target._drain_all`` (the names'
    caller). Upstream: meltano/sdk#2335 (install and import overheads, closed; 0.54.9 still
    imports joblib from the package root).

azure-cosmos (4.17.1):

``_change_feed.change_feed_iterable.ChangeFeedIterable._unpack``, ``_change_feed.change_feed_fetcher.ChangeFeedFetcherV2.fetch_change_feed_items``, ``ChangeFeedFetcherV2._get_base64_encoded_continuation``
    A page's continuation token reaches ``by_page().continuation_token`` only through the
    client-wide ``client_connection.last_response_headers['etag']``, rewritten by the fetcher
    into a base64 composite token; after an empty iteration the tap reads that header itself
    (:func:`last_response_etag`). Each reading thread therefore has its own client. Upstream:
    Azure/azure-sdk-for-python#35328 (client sharing confuses the etag) and
    Azure/azure-sdk-for-python#47947 (open pull request returning per-page headers).
``_change_feed.change_feed_state.ChangeFeedStateV2.to_dict``, ``_change_feed.feed_range_composite_continuation_token.FeedRangeCompositeContinuation.to_dict``, ``_change_feed.composite_continuation_token.CompositeContinuationToken.to_dict``
    :mod:`tap_cosmosdb.continuation` decodes, checks and repairs the token format these write
    (container and feed range of a stored bookmark; ``PointInTime`` tokens the SDK cannot parse
    again, azure-sdk-for-python issue 43018).
``partition_key.PartitionKey._get_effective_partition_key_string``
    The effective partition key (EPK) of a document, to drop items of a split child range
    outside the reader's feed range (:func:`effective_partition_key`). Upstream issue: none
    found for a public EPK function.
``_synchronized_request._Request`` (its module's ``json`` global)
    azure-cosmos decodes every response body with ``json.loads`` (``_Request``, after the UTF-8
    decode), on the reading threads, holding the GIL: after the emitting thread's work it is
    the largest per-document cost of a drain. :func:`install_fast_json` gives that module a
    ``json`` whose ``loads`` decodes a ``str`` with msgspec (installed with
    ``singer-sdk[msgspec]``), about a quarter faster on 1 KB documents, and hands anything
    msgspec refuses to ``json.loads`` itself. Where both accept a text they return the same
    values (big integers, ``-0.0``, float round trips, duplicate keys, escapes;
    ``tests/tap/test_fast_json.py``); msgspec refuses ``NaN``/``Infinity`` literals, lone
    surrogates and out-of-range exponents, which ``json.loads`` then decodes as before. The
    one difference: arrays/objects nested deeper than ``json.loads``'s recursion limit allows
    (about 990 levels, fewer on a deeper call stack) but within msgspec's 998 decode instead of
    failing; Cosmos DB stores at most 128 levels (Azure Cosmos DB service quotas, "Per-item
    limits"). Upstream issue: none found for a pluggable JSON decoder.
``_global_endpoint_manager._GlobalEndpointManager._start_background_refresh``
    A new ``CosmosClient`` starts a daemon thread ``cosmos-endpoint-refresh`` that submits
    health checks to an executor; if the process exits meanwhile it logs a traceback
    (:func:`wait_for_endpoint_refresh`). Upstream issue: none found.
"""

from __future__ import annotations

import contextlib
import copy
import json
import threading
import types
import typing as t

from msgspec.json import Decoder as _MsgspecDecoder
from msgspec.json import Encoder as _MsgspecEncoder

if t.TYPE_CHECKING:
    from collections.abc import Iterator


# singer-sdk import ------------------------------------------------------------------------

# The stand-in joblib lives in cosmosdb_shared.compat (shared with target-cosmosdb); importing it
# imports singer_sdk under the stand-in.
from cosmosdb_shared.compat import JOBLIB_NAMES, deferred_imports  # noqa: F401

with deferred_imports():
    import singer_sdk  # noqa: F401  (first import of singer_sdk in the tap's process)

from singer_sdk import Stream
from singer_sdk.helpers import _catalog, _state
from singer_sdk.singerlib import StateMessage

if t.TYPE_CHECKING:
    from collections.abc import Sequence

    from azure.cosmos import ContainerProxy
    from azure.cosmos.partition_key import PartitionKey
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

#: Private functions relied on, by dotted name, with the fingerprint of their source in the
#: pinned versions (see :func:`cosmosdb_shared.compat.source_fingerprint`).
PRIVATE_USES: dict[str, str] = {
    # singer-sdk 0.54.9
    "singer_sdk.tap_base.Tap.sync_all": "126be9659cb1f447",
    "singer_sdk.tap_base.Tap._reset_state_progress_markers": "31686fb8cfd2e979",
    "singer_sdk.tap_base.Tap._set_compatible_replication_methods": "3ec4e0f83264a78c",
    "singer_sdk.streams.core.Stream.__init__": "3aafd6c550b76da9",
    "singer_sdk.streams.core.Stream.sync": "9ae1b78daf4443b3",
    "singer_sdk.streams.core.Stream._sync_records": "b5a7c03901319e6f",
    "singer_sdk.streams.core.Stream._write_activate_version_message": "1d6004b74c3bcbe6",
    "singer_sdk.streams.core.Stream._generate_schema_messages": "ffb4a021215a4aa8",
    "singer_sdk.streams.core.Stream._generate_record_messages": "cc3416d7f27132ad",
    "singer_sdk.streams.core.Stream._write_record_message": "8ba372696cad1968",
    "singer_sdk.streams.core.Stream._process_record": "6575f21961a5e2e1",
    "singer_sdk.streams.core.Stream.stream_maps.fget": "aa530082cc681b58",
    "singer_sdk.streams.core.Stream.schema.fget": "81efb1398b68c79a",
    "singer_sdk.streams.core.Stream.effective_schema.fget": "e55e20d8da8aab19",
    "singer_sdk.streams.core.Stream.replication_key.fget": "514deef2221a9079",
    "singer_sdk.helpers._catalog.get_selected_schema": "f09466584a40ca1d",
    "singer_sdk.helpers._state.reset_state_progress_markers": "4dac85c80a747ed7",
    "singer_sdk.target_base.Target._drain_all": "3f4fb2b21f2a3c1b",
    "singer_sdk.tap_base.Tap.__init__": "cbd611676e86c2ff",
    "singer_sdk.helpers._state.StateWriter.__init__": "861e6466c6e38c77",
    "singer_sdk.helpers._state.StateWriter.write_state": "2cf4647f50d867ed",
    # azure-cosmos 4.17.1
    "azure.cosmos._change_feed.change_feed_iterable.ChangeFeedIterable._unpack": "6f692da36d0f4818",
    "azure.cosmos._change_feed.change_feed_fetcher.ChangeFeedFetcherV2.fetch_change_feed_items": (
        "b3f0bf782962e1c8"
    ),
    "azure.cosmos._change_feed.change_feed_fetcher.ChangeFeedFetcherV2._get_base64_encoded_continuation": (
        "3e87af56219c1561"
    ),
    "azure.cosmos._change_feed.change_feed_state.ChangeFeedStateV2.to_dict": "f41e73189e2dd298",
    "azure.cosmos._change_feed.feed_range_composite_continuation_token.FeedRangeCompositeContinuation.to_dict": (
        "cfee866f8e1aa349"
    ),
    "azure.cosmos._change_feed.composite_continuation_token.CompositeContinuationToken.to_dict": (
        "d4b82ba0a8a1ca36"
    ),
    "azure.cosmos.partition_key.PartitionKey._get_effective_partition_key_string": "21eccf80399123e8",
    "azure.cosmos._global_endpoint_manager._GlobalEndpointManager._start_background_refresh": (
        "6475233b6c7e3bc7"
    ),
    "azure.cosmos._synchronized_request._Request": "18308c612f9e91cf",
}

#: msgspec's untyped JSON decoder (dict, list, str, int, float, bool, None, as ``json.loads``).
_msgspec_decode = _MsgspecDecoder().decode
_msgspec_encode = _MsgspecEncoder().encode

#: The name azure-cosmos gives its endpoint refresh thread
#: (``_GlobalEndpointManager._start_background_refresh``).
ENDPOINT_REFRESH_THREAD = "cosmos-endpoint-refresh"


# singer-sdk ---------------------------------------------------------------------------------


def prepare_sync(tap: Tap) -> None:
    """Run the first steps of singer-sdk's ``Tap.sync_all`` and echo the input state.

    Args:
        tap: The tap, before its first stream syncs.
    """
    tap._reset_state_progress_markers()
    tap._set_compatible_replication_methods()
    if tap.state:
        tap.state_writer.write_state(tap.state)


def sync_stream_records(stream: Stream) -> None:
    """Read every partition of ``stream`` again, writing RECORD and STATE messages.

    Args:
        stream: The stream (already synced once by ``Stream.sync`` in this run).
    """
    for _ in stream._sync_records(context=None):
        pass


def reset_progress_markers(stream_state: dict[str, t.Any]) -> None:
    """Drop singer-sdk's progress markers from one stream's state.

    Args:
        stream_state: The stream's entry of ``bookmarks``.
    """
    _state.reset_state_progress_markers(stream_state)


def catalog_replication_key(stream: Stream) -> str | None:
    """The replication key the catalog (or the stream) set, before any default.

    Args:
        stream: The stream.

    Returns:
        The key, or None.
    """
    return stream._replication_key


def set_catalog_replication_key(stream: Stream, value: str | None) -> None:
    """Store the replication key singer-sdk sets from the catalog.

    Args:
        stream: The stream.
        value: The key, or None.
    """
    stream._replication_key = value


def stream_version(stream: Stream) -> int | None:
    """The ``version`` singer-sdk puts on the stream's RECORD messages (FULL_TABLE), or None.

    Args:
        stream: The stream, during its sync.

    Returns:
        The version (the run's start, epoch seconds), or None.
    """
    return stream._stream_version


def replace_stream_schema(stream: Stream, tap: Tap, schema: dict[str, t.Any]) -> None:
    """Make ``schema`` the stream's schema, re-registering its stream maps.

    Args:
        stream: The stream.
        tap: Its tap (holds the mapper).
        schema: The new JSON schema.
    """
    stream._schema = schema
    if stream._input_schema is not None:
        stream._input_schema = schema
    mapper = tap.mapper
    if mapper is not None:
        mapper.register_raw_stream_schema(
            stream.name,
            _catalog.get_selected_schema(stream.name, schema, stream.mask),
            stream.primary_keys,
        )
    stream._stream_maps = None


_NOT_COPIED = object()


def _copy_state(state: t.Any) -> t.Any:
    """A deep copy of a JSON-like state: a msgspec round trip when it gives an equal value."""
    try:
        copied = _msgspec_decode(_msgspec_encode(state))
    except Exception:  # not JSON-encodable (or too deep): copied as singer-sdk does
        copied = _NOT_COPIED
    return copied if copied == state else copy.deepcopy(state)


class FastStateWriter(_state.StateWriter):
    """singer-sdk's ``StateWriter`` with a cheaper copy of the last state written."""

    def write_state(self, state: t.Any) -> None:
        """Write a STATE message if the state changed since the last one (singer-sdk's rule).

        Args:
            state: The tap state.
        """
        if self._last_emitted_state is None or state != self._last_emitted_state:
            self._message_writer.write_message(StateMessage(value=state))
            self._last_emitted_state = _copy_state(state)


def use_fast_state_writer(tap: Tap) -> None:
    """Make ``tap`` write STATE through :class:`FastStateWriter` (before any STATE).

    Args:
        tap: The tap, just created.
    """
    tap._state_writer = FastStateWriter(tap.message_writer)


class StreamHooks(Stream):
    """singer-sdk's private stream methods the tap changes, delegating to public-named ones.

    Subclasses override :meth:`adjust_schema_message` and :meth:`hold_activate_version`.
    """

    def adjust_schema_message(self, message: t.Any) -> t.Any:
        """Change a SCHEMA message before it is written (default: unchanged).

        Args:
            message: A ``singer_sdk.singerlib.SchemaMessage``.

        Returns:
            The message to write.
        """
        return message

    def hold_activate_version(self, version: int) -> bool:
        """Decide whether to keep ACTIVATE_VERSION back (default: no).

        Args:
            version: The version singer-sdk chose.

        Returns:
            True when the stream writes it later itself (:meth:`write_activate_version`).
        """
        return False

    def write_activate_version(self, version: int) -> None:
        """Write ACTIVATE_VERSION now, once per stream map, as singer-sdk does.

        Args:
            version: The version.
        """
        super()._write_activate_version_message(version)

    def write_schema_message(self) -> None:
        """Write the stream's SCHEMA message(s) now."""
        self._write_schema_message()

    def _generate_schema_messages(self) -> t.Generator[t.Any, None, None]:
        for message in super()._generate_schema_messages():
            yield self.adjust_schema_message(message)

    def _write_activate_version_message(self, full_table_version: int) -> None:
        if not self.hold_activate_version(full_table_version):
            super()._write_activate_version_message(full_table_version)

    def _process_record(
        self,
        record: dict,
        child_context: Context | None = None,
        partition_context: Context | None = None,
    ) -> None:
        # Partition context keys (range_min/range_max) are bookkeeping, not data.
        super()._process_record(record, child_context=child_context, partition_context=None)


# azure-cosmos -------------------------------------------------------------------------------


def last_response_etag(container: ContainerProxy) -> str | None:
    """The ``etag`` header of the last response the container's client received.

    Args:
        container: The container proxy.

    Returns:
        The header, or None.
    """
    headers: t.Mapping[str, t.Any] = container.client_connection.last_response_headers or {}
    value = headers.get("etag")
    return None if value is None else str(value)


def effective_partition_key(key: PartitionKey, values: Sequence[t.Any]) -> str:
    """The EPK of a partition key value, as azure-cosmos computes it for routing.

    Args:
        key: The container's partition key definition.
        values: The document's partition key value(s).

    Returns:
        The EPK as an upper-case hex string.
    """
    return str(key._get_effective_partition_key_string(list(values)))


def wait_for_endpoint_refresh(timeout: float = 10.0) -> None:
    """Wait until azure-cosmos's endpoint refresh threads have ended.

    Args:
        timeout: Seconds to wait for each such thread at most.
    """
    current = threading.current_thread()
    for thread in threading.enumerate():
        if thread.name == ENDPOINT_REFRESH_THREAD and thread is not current:
            try:
                thread.join(timeout)
            except RuntimeError:  # another client's thread, not started yet
                continue


def fast_json_loads(data: t.Any) -> t.Any:
    """``json.loads``, through msgspec when msgspec accepts the text (see the module docstring).

    Args:
        data: A response body as azure-cosmos passes it to ``json.loads`` (``str``).

    Returns:
        The decoded JSON value.
    """
    if data.__class__ is str:
        # Anything msgspec refuses (its DecodeError, or UnicodeEncodeError for a lone
        # surrogate in the str) is left to json.loads, which decodes it or raises as before.
        with contextlib.suppress(Exception):
            return _msgspec_decode(data)
    return json.loads(data)


class _FastJson(types.ModuleType):
    """The ``json`` module with :func:`fast_json_loads` as ``loads``."""

    loads = staticmethod(fast_json_loads)

    def __getattr__(self, name: str) -> t.Any:
        return getattr(json, name)


def install_fast_json() -> None:
    """Make azure-cosmos decode response bodies with :func:`fast_json_loads` (idempotent)."""
    from azure.cosmos import _synchronized_request

    if not isinstance(_synchronized_request.json, _FastJson):
        _synchronized_request.json = _FastJson("json")


def uninstall_fast_json() -> None:
    """Undo :func:`install_fast_json` (for tests comparing both decoders)."""
    from azure.cosmos import _synchronized_request

    _synchronized_request.json = json


def private_use_names() -> Iterator[str]:
    """Yield the dotted names in :data:`PRIVATE_USES` (for tests and docs)."""
    yield from PRIVATE_USES
