"""Run the tap: ``python -m tap_cosmosdb``."""

from __future__ import annotations

from tap_cosmosdb.tap import TapCosmosDB

TapCosmosDB.cli()
