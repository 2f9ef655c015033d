"""Singer target for Azure Cosmos DB (NoSQL API)."""

from __future__ import annotations
