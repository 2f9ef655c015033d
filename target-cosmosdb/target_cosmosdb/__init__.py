"""Singer target for Azure Cosmos DB (NoSQL API)."""

from __future__ import annotations

# First, so that singer_sdk is imported without its target side's joblib (and numpy): the
# target drains without joblib (TargetCosmosDB.drain_sinks); cosmosdb_shared.compat.deferred_imports.
from cosmosdb_shared import compat as _compat  # noqa: F401
