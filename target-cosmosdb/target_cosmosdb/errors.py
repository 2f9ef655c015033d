"""Errors raised by target-cosmosdb.

Two kinds matter:

* :class:`TargetCosmosDBError` ends the run: the CLI prints its one-line message and exits 1.
* :class:`RecordRejected` concerns one record only: with ``dead_letter_path`` it is written to
  the dead-letter file and the run goes on; without it, the run ends with its message.
"""

from __future__ import annotations

import typing as t


class TargetCosmosDBError(Exception):
    """A fatal error; its message is one line naming the stream, record and setting at fault."""


class RecordRejected(Exception):
    """One record cannot be stored (bad id, oversized document, rejected by Cosmos DB).

    Attributes:
        reason: One line saying why, without the record's content.
    """

    def __init__(self, reason: str) -> None:
        """Create the rejection.

        Args:
            reason: One line saying why the record cannot be stored.
        """
        super().__init__(reason)
        self.reason = reason


class TerminationRequested(BaseException):
    """SIGTERM/SIGINT arrived between drains: unwind first, then stop gracefully.

    Raised by the signal handler instead of draining inside it. The handler runs on the main
    thread wherever it was interrupted, possibly holding a lock a writer thread needs (a logging
    handler's lock, while it logged "Draining..."); a drain that waits for that writer there
    never ends. Unwinding releases such locks; then ``TargetCosmosDB.invoke`` calls the target's
    ``stop_gracefully`` (drain, STATE, exit 0). A ``BaseException``, so that
    ``except Exception`` blocks on the way let it through.

    Attributes:
        signum: The signal number.
        target: The target that received it (the one to stop).
    """

    def __init__(self, signum: int, target: t.Any) -> None:
        """Create the request.

        Args:
            signum: The signal received.
            target: The ``TargetCosmosDB`` that received it.
        """
        super().__init__(signum)
        self.signum = signum
        self.target = target


class TerminatedDuringDrain(TargetCosmosDBError):
    """SIGTERM/SIGINT arrived while records were being written; no STATE was acknowledged.

    Attributes:
        signum: The signal number (the CLI exits with 128 + signum).
    """

    def __init__(self, message: str, signum: int = 15) -> None:
        """Create the error.

        Args:
            message: One line.
            signum: The signal received.
        """
        super().__init__(message)
        self.signum = signum
