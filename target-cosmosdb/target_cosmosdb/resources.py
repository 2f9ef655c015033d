"""Cosmos DB resources shared by every sink of one target run.

One client (with the RU meter and SDK-level 429 retries switched off), the database, one proxy
and partition key definition per container, one AIMD limiter per container, and one thread pool.
"""

from __future__ import annotations

import concurrent.futures
import threading
import typing as t
from dataclasses import dataclass

from azure.cosmos import ThroughputProperties
from azure.cosmos.exceptions import (
    CosmosHttpResponseError,
    CosmosResourceExistsError,
    CosmosResourceNotFoundError,
)

from cosmosdb_shared import RequestChargeMeter, build_client, describe_error
from cosmosdb_shared.partition_key import PartitionKeyDefinition
from target_cosmosdb.compat import throttle_free_policy
from target_cosmosdb.errors import TargetCosmosDBError
from target_cosmosdb.writer import AdaptiveLimiter

if t.TYPE_CHECKING:
    from azure.cosmos import ContainerProxy, CosmosClient, DatabaseProxy

    from target_cosmosdb.settings import TargetSettings

#: Characters Cosmos DB forbids in resource names (databases, containers).
_FORBIDDEN_NAME_CHARS = frozenset("/\\?#")


def container_name(stream: str) -> str:
    r"""Derive a container id from a stream name.

    Cosmos DB forbids ``/``, ``\\``, ``?`` and ``#`` in resource ids (REST API "Resource ids");
    each is replaced by ``_``.

    Args:
        stream: Stream name (after stream maps).

    Returns:
        The container id.
    """
    return "".join("_" if ch in _FORBIDDEN_NAME_CHARS else ch for ch in stream)


@dataclass
class ContainerInfo:
    """A resolved container.

    Attributes:
        name: Container id.
        proxy: The SDK proxy.
        pk_paths: Its partition key paths as the service reports them.
        hierarchical: True for a MultiHash (hierarchical) partition key.
        limiter: AIMD limiter shared by every stream writing to it.
    """

    name: str
    proxy: ContainerProxy
    pk_paths: list[str]
    limiter: AdaptiveLimiter
    hierarchical: bool = False


class CosmosResources:
    """Lazily created, thread-safe access to the account's database and containers.

    Args:
        settings: The target's settings.
        user_agent: User-Agent suffix.
    """

    def __init__(self, settings: TargetSettings, *, user_agent: str) -> None:
        self.settings = settings
        self.meter = RequestChargeMeter()
        self.max_concurrency = settings.max_concurrency
        self.abort = threading.Event()
        self._lock = threading.RLock()
        self._client: CosmosClient | None = None
        self._database: DatabaseProxy | None = None
        self._containers: dict[str, ContainerInfo] = {}
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._user_agent = user_agent

    @property
    def client(self) -> CosmosClient:
        """The client; built on first use (reads the account, so bad credentials fail here).

        Raises:
            CosmosConnectionError: On bad settings or an unreachable/refusing account.
        """
        with self._lock:
            if self._client is None:
                self._client = build_client(
                    self.settings.connection,
                    meter=self.meter,
                    user_agent=self._user_agent,
                    connection_policy=throttle_free_policy(),
                    # one connection per writer thread, plus the main thread's metadata and
                    # query requests: no "Connection pool is full, discarding connection"
                    pool_size=self.max_concurrency + 4,
                )
            return self._client

    @property
    def executor(self) -> concurrent.futures.ThreadPoolExecutor:
        """Thread pool of ``max_concurrency`` workers running transactional batches."""
        with self._lock:
            if self._executor is None:
                self._executor = concurrent.futures.ThreadPoolExecutor(
                    max_workers=self.max_concurrency, thread_name_prefix="cosmos-writer"
                )
            return self._executor

    def _get_database(self) -> DatabaseProxy:
        if self._database is not None:
            return self._database
        client = self.client
        name = self.settings.database
        try:
            if self.settings.create_container:
                try:
                    self._database = client.create_database_if_not_exists(name)
                except CosmosResourceExistsError:
                    # Another process (e.g. a second shard's pipeline) created it between the
                    # SDK's read and its create: use theirs.
                    self._database = client.get_database_client(name)
                    self._database.read()
            else:
                self._database = client.get_database_client(name)
                self._database.read()
        except CosmosResourceNotFoundError:
            raise TargetCosmosDBError(
                f"Database '{name}' (setting 'database') does not exist and "
                "'create_container' is false"
            ) from None
        except CosmosHttpResponseError as exc:
            raise TargetCosmosDBError(
                f"Cannot open database '{name}' (setting 'database'): {describe_error(exc)}"
            ) from None
        return self._database

    def container(self, name: str, pk_paths: list[str], *, stream: str) -> ContainerInfo:
        """Return the container ``name``, creating it when missing and allowed.

        An existing container keeps its own partition key definition; it is read from the
        service (``GET /dbs/{db}/colls/{c}``) and used for every record.

        Args:
            name: Container id.
            pk_paths: Partition key paths for a container this target creates.
            stream: Stream name (messages).

        Returns:
            The container.

        Raises:
            TargetCosmosDBError: On an invalid name, a missing container with
                ``create_container`` false, or a service error (one line).
        """
        with self._lock:
            cached = self._containers.get(name)
        if cached is not None:
            return cached
        if not name or len(name) > 255:
            raise TargetCosmosDBError(
                f"Stream '{stream}': {name!r} is not a valid container name (1-255 characters); "
                "set 'container' or rename the stream with a stream map __alias__"
            )
        with self._lock:
            database = self._get_database()
            cached = self._containers.get(name)
            if cached is not None:
                return cached
            try:
                if self.settings.create_container:
                    try:
                        proxy = database.create_container_if_not_exists(
                            name,
                            partition_key=PartitionKeyDefinition.for_paths(pk_paths).to_sdk(),
                            **self._throughput_kwargs(),
                        )
                    except CosmosResourceExistsError:
                        # Created by another process between the SDK's read and its create:
                        # use it, with its own partition key (read below).
                        proxy = database.get_container_client(name)
                else:
                    proxy = database.get_container_client(name)
                properties = proxy.read()
            except CosmosResourceNotFoundError:
                raise TargetCosmosDBError(
                    f"Stream '{stream}': container '{name}' does not exist in database "
                    f"'{self.settings.database}' and 'create_container' is false"
                ) from None
            except CosmosHttpResponseError as exc:
                raise TargetCosmosDBError(
                    f"Stream '{stream}': cannot open container '{name}': {describe_error(exc)}"
                ) from None
            definition = PartitionKeyDefinition.from_resource(
                properties.get("partitionKey"), default_paths=pk_paths
            )
            info = ContainerInfo(
                name,
                proxy,
                list(definition.paths),
                AdaptiveLimiter(self.max_concurrency),
                definition.hierarchical,
            )
            self._containers[name] = info
            return info

    def _throughput_kwargs(self) -> dict[str, t.Any]:
        # The two settings are exclusive (checked by TargetSettings.from_config).
        manual = self.settings.container_throughput
        autoscale = self.settings.autoscale_max_throughput
        if manual:
            return {"offer_throughput": manual}
        if autoscale:
            return {"offer_throughput": ThroughputProperties(auto_scale_max_throughput=autoscale)}
        return {}

    def shutdown(self) -> None:
        """Stop the thread pool (waits for running batches unless aborted)."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=not self.abort.is_set(), cancel_futures=True)
