"""Run target-cosmosdb with SIGTERM delivered while its main thread is inside a log call.

Used by ``test_cli_faults.py``: the first "Draining" log line sends the process SIGTERM from
inside ``StreamHandler.emit``, so the signal handler runs while that handler's lock is held;
the background writer logs through the same handler when its batch is done. With
``SIGNAL_AGAIN=1`` a second SIGTERM comes from inside the "draining all sinks" log call of the
graceful stop.
"""

from __future__ import annotations

import logging
import os
import signal

from target_cosmosdb.target import TargetCosmosDB

_emit = logging.StreamHandler.emit
_fired = False
_again = os.environ.get("SIGNAL_AGAIN") == "1"


def _emit_then_signal(self: logging.StreamHandler, record: logging.LogRecord) -> None:  # type: ignore[type-arg]
    global _fired, _again
    if not _fired and "Draining" in record.getMessage():
        _fired = True
        os.kill(os.getpid(), signal.SIGTERM)  # handled at the next bytecode: lock still held
    elif _again and "draining all sinks" in record.getMessage():
        _again = False
        os.kill(os.getpid(), signal.SIGTERM)
    _emit(self, record)


logging.StreamHandler.emit = _emit_then_signal  # type: ignore[method-assign]

if __name__ == "__main__":
    TargetCosmosDB.cli()
