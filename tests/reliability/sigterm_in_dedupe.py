"""Run target-cosmosdb with a SIGTERM delivered at one exact point: inside the first batch's dedupe.

Used by ``test_sigterm_window.py``. The emulator cannot time a signal that precisely, so the
target's own ``dedupe`` is wrapped to send SIGTERM to the process the first time it runs (after
singer-sdk's ``start_drain()`` has taken the pending batch, before ``process_batch`` marks the
drain as active). Arguments are the target's.
"""

from __future__ import annotations

import os
import signal

import target_cosmosdb.sinks as sinks
from target_cosmosdb.target import TargetCosmosDB

_dedupe = sinks.dedupe
_fired: list[int] = []


def _dedupe_with_sigterm(items):
    if not _fired:
        _fired.append(1)
        os.kill(os.getpid(), signal.SIGTERM)
    return _dedupe(items)


sinks.dedupe = _dedupe_with_sigterm

if __name__ == "__main__":
    TargetCosmosDB.cli()
