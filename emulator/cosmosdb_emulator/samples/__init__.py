"""Sample data sets that can be loaded into the emulator (or any Cosmos DB account)."""
