"""``python -m cosmosdb_emulator``: same as the ``cosmosdb-emulator`` command."""

from __future__ import annotations

import sys

from cosmosdb_emulator.cli import main

sys.exit(main())
