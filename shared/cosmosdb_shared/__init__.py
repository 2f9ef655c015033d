"""Pieces shared by tap-cosmosdb and target-cosmosdb.

Modules:
    settings: the connection settings both plugins accept, as singer-sdk properties and as the
        typed ``ConnectionSettings`` parsed once from the configuration.
    client: builds an ``azure.cosmos.CosmosClient`` from those settings.
    retry: retry and backoff on ``backoff`` honouring ``x-ms-retry-after-ms``.
    request_charge: request-unit (RU) accounting from every HTTP response.
    errors: one-line, secret-free descriptions of Cosmos DB errors.
    redaction: a logging filter that keeps secrets out of logs.
"""

from __future__ import annotations

# First, so that singer_sdk is imported without the modules a Singer-protocol run never uses
# (joblib and numpy, universal-pathlib, packaging, its REST streams) until something calls
# them: cosmosdb_shared.compat.deferred_imports.
from cosmosdb_shared import compat as _compat  # noqa: F401  # isort: skip

from cosmosdb_shared.client import CosmosConnectionError, build_client, check_connection
from cosmosdb_shared.errors import describe_error
from cosmosdb_shared.request_charge import RequestChargeMeter
from cosmosdb_shared.retry import is_transient, retry_after_seconds, with_retries
from cosmosdb_shared.settings import ConnectionSettings, connection_properties, secret_values

__all__ = [
    "ConnectionSettings",
    "CosmosConnectionError",
    "RequestChargeMeter",
    "build_client",
    "check_connection",
    "connection_properties",
    "describe_error",
    "is_transient",
    "retry_after_seconds",
    "secret_values",
    "with_retries",
]
