"""Run the target as ``python -m target_cosmosdb``."""

from __future__ import annotations

from target_cosmosdb.target import TargetCosmosDB

TargetCosmosDB.cli()
