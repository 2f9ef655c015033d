"""The one exception type the query engine raises."""

from __future__ import annotations


class QueryError(ValueError):
    """A query that cannot be run: a syntax error, an unsupported construct or a bad parameter.

    The message is a single line meant for the client; the emulator's HTTP layer turns it into a
    ``400 BadRequest`` (the service answers malformed or unsupported queries with 400 too, see the
    Cosmos DB REST docs "Query Documents" - status codes). Unsupported constructs are named, e.g.
    ``"Unsupported construct: JOIN"``.

    Args:
        message: One line saying what was wrong and where (construct name, line/column).
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def unsupported(construct: str) -> QueryError:
    """Build the error for a construct the emulator parses but does not evaluate.

    Args:
        construct: Human name of the construct, e.g. ``"JOIN"`` or ``"GROUP BY"``.

    Returns:
        A :class:`QueryError` whose message starts with ``"Unsupported construct: "``.
    """
    return QueryError(f"Unsupported construct: {construct}")
