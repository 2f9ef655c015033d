"""Docker-free, SQLite-backed local server speaking the Azure Cosmos DB (NoSQL) HTTP protocol.

Public API: :class:`Emulator` (runs the server as a subprocess) and :data:`DEFAULT_KEY`.
"""

from __future__ import annotations

from cosmosdb_emulator.app import DEFAULT_KEY
from cosmosdb_emulator.process import Emulator, EmulatorError

__all__ = ["DEFAULT_KEY", "Emulator", "EmulatorError"]
