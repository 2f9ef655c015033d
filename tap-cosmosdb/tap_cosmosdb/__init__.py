"""tap-cosmosdb: a Singer tap for Azure Cosmos DB (NoSQL API)."""

from __future__ import annotations

__version__ = "0.1.0"

# First, so that singer_sdk is imported without its target side's joblib (and numpy):
# cosmosdb_shared.compat.deferred_imports.
from tap_cosmosdb import compat as _compat  # noqa: F401
