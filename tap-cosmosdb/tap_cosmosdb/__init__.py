"""tap-cosmosdb: a Singer tap for Azure Cosmos DB (NoSQL API)."""

from __future__ import annotations

__version__ = "0.1.0"
