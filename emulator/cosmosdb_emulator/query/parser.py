"""Parse Cosmos DB SQL text into a lark tree (LALR, contextual lexer), with caching."""

from __future__ import annotations

import functools
import threading

from lark import Lark, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from cosmosdb_emulator.query.errors import QueryError
from cosmosdb_emulator.query.grammar import GRAMMAR

MAX_QUERY_LENGTH = 262144
"""Longest accepted query text in characters; the service advertises the same limit as
``queryEngineConfiguration.maxSqlQueryInputLength`` in the account read (GET /)."""

_lock = threading.Lock()
_parser: Lark | None = None


def _get_parser() -> Lark:
    global _parser
    if _parser is None:
        with _lock:
            if _parser is None:
                _parser = Lark(
                    GRAMMAR,
                    parser="lalr",
                    lexer="contextual",
                    maybe_placeholders=True,
                    propagate_positions=True,  # source spans, for query plan rewriting
                    # The LALR tables (about 1 s to build) are cached in the temp directory,
                    # keyed by grammar and options, so a new process's first query is quick.
                    cache=True,
                )
    return _parser


@functools.lru_cache(maxsize=512)
def parse(query: str) -> Tree:
    """Parse query text into a tree (cached by text; trees are treated as immutable).

    Args:
        query: Cosmos DB SQL text, e.g. ``"SELECT * FROM c WHERE c._ts >= @ts"``.

    Returns:
        The lark parse tree rooted at ``query``.

    Raises:
        QueryError: Empty or too long text, or a syntax error (with line and column).
    """
    if not query or not query.strip():
        raise QueryError("Syntax error: the query text is empty")
    if len(query) > MAX_QUERY_LENGTH:
        raise QueryError(
            f"The query text is {len(query)} characters; the limit is {MAX_QUERY_LENGTH}"
        )
    try:
        return _get_parser().parse(query)
    except UnexpectedEOF:
        raise QueryError("Syntax error: unexpected end of query") from None
    except UnexpectedToken as exc:
        if exc.token.type == "$END":
            raise QueryError("Syntax error: unexpected end of query") from None
        raise QueryError(
            f"Syntax error, incorrect syntax near '{exc.token}' "
            f"at line {exc.line}, column {exc.column}"
        ) from None
    except UnexpectedCharacters as exc:
        raise QueryError(
            f"Syntax error, unexpected character {exc.char!r} "
            f"at line {exc.line}, column {exc.column}"
        ) from None
    except UnexpectedInput as exc:  # pragma: no cover - other lark input errors
        raise QueryError(f"Syntax error at line {exc.line}, column {exc.column}") from None
