"""Child process that runs one stored procedure (see :mod:`cosmosdb_emulator.scripts`)."""

from cosmosdb_emulator.scripts import child_main

if __name__ == "__main__":
    child_main()
