"""Reading stored documents and the change log: feeds, scans and counts.

The storage side of the read feed, the change feed and queries. Every function takes a
connection with an open transaction (``Store.read`` or ``Store.write``) and reads the ``docs``
and ``changes`` tables of one container, limited to an EPK interval ``[lo, hi)``; the handlers
turn the rows into pages and continuation tokens (:mod:`cosmosdb_emulator.tokens`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

# ---------------------------------------------------------------------------- read feed


def read_feed_page(
    conn: sqlite3.Connection,
    coll_rid: str,
    lo: str,
    hi: str,
    after: tuple[str, str] | None,
    limit: int,
) -> list[tuple[str, str, str]]:
    """Up to ``limit`` documents in (EPK, id) order after the position ``after``.

    Args:
        conn: Connection in a transaction.
        coll_rid: Container RID.
        lo: Lowest EPK (inclusive).
        hi: Highest EPK (exclusive).
        after: ``(epk, id)`` of the last document already returned, or ``None``.
        limit: Most documents to return.

    Returns:
        ``(epk, id, stored JSON text)`` rows.
    """
    sql = "SELECT epk, id, body FROM docs WHERE coll_rid=? AND epk>=? AND epk<?"
    args: list[object] = [coll_rid, lo, hi]
    if after is not None:
        sql += " AND (epk>? OR (epk=? AND id>?))"
        args += [after[0], after[0], after[1]]
    sql += " ORDER BY epk, id LIMIT ?"
    args.append(limit)
    return [(str(e), str(i), str(b)) for e, i, b in conn.execute(sql, args).fetchall()]


# ---------------------------------------------------------------------------- change feed


def change_rows(
    conn: sqlite3.Connection,
    coll_rid: str,
    lo: str,
    hi: str,
    after_lsn: int,
    limit: int,
    since: int | None,
    all_versions: bool,
) -> list[tuple[Any, ...]]:
    """One change-feed page of rows, in LSN order, ending on a whole LSN.

    A page never splits the rows of one LSN (the documents of one transactional batch share
    it): when ``limit`` rows are found, every row of the last LSN is included, even past
    ``limit``, so a continuation naming that LSN skips nothing and repeats nothing.

    Args:
        conn: Connection in a transaction.
        coll_rid: Container RID.
        lo: Lowest EPK (inclusive).
        hi: Highest EPK (exclusive).
        after_lsn: Only rows with a greater LSN.
        limit: Page size (rows).
        since: Only rows written at or after this time (epoch seconds), or ``None``.
        all_versions: Read the ``changes`` log (AllVersionsAndDeletes) instead of the current
            documents (LatestVersion).

    Returns:
        LatestVersion: ``(lsn, body)`` rows. AllVersionsAndDeletes:
        ``(lsn, op, id, pk, ts, body, prev_lsn, epk)`` rows.
    """
    table = "changes" if all_versions else "docs"
    cols = "lsn, op, id, pk, ts, body, prev_lsn, epk" if all_versions else "lsn, body"
    sql = f"SELECT {cols} FROM {table} WHERE coll_rid=? AND epk>=? AND epk<?"  # noqa: S608
    args: list[object] = [coll_rid, lo, hi]
    if since is not None:
        sql += " AND ts>=?"
        args.append(since)
    rows: list[tuple[Any, ...]] = conn.execute(
        sql + " AND lsn>? ORDER BY lsn LIMIT ?", [*args, after_lsn, limit]
    ).fetchall()
    if len(rows) >= limit:
        last = rows[-1][0]
        rows = [r for r in rows if r[0] != last]
        rows += conn.execute(sql + " AND lsn=? ORDER BY lsn", [*args, last]).fetchall()
    return rows


def previous_image(
    conn: sqlite3.Connection, coll_rid: str, lsn: int, epk: str, doc_id: str
) -> str | None:
    """The document text a change log row recorded at ``lsn`` (the image before a change).

    Several documents may share an LSN (one transactional batch): this document's row is
    preferred.
    """
    row = conn.execute(
        "SELECT body FROM changes WHERE coll_rid=? AND lsn=? AND epk=? ORDER BY id=? DESC LIMIT 1",
        (coll_rid, lsn, epk, doc_id),
    ).fetchone()
    return None if row is None or row[0] is None else str(row[0])


# ---------------------------------------------------------------------------- queries


def scan(conn: sqlite3.Connection, coll_rid: str, lo: str, hi: str, point: bool) -> Iterator[str]:
    """Stored document texts in (EPK, id) order, one at a time (memory stays flat).

    Args:
        conn: Connection in a transaction (kept open while the iterator is used).
        coll_rid: Container RID.
        lo: Lowest EPK (inclusive); with ``point``, the one EPK read.
        hi: Highest EPK (exclusive); ignored with ``point``.
        point: Read the documents of one logical partition (EPK ``lo``).
    """
    if point:
        cur = conn.execute(
            "SELECT body FROM docs WHERE coll_rid=? AND epk=? ORDER BY epk, id", (coll_rid, lo)
        )
    else:
        cur = conn.execute(
            "SELECT body FROM docs WHERE coll_rid=? AND epk>=? AND epk<? ORDER BY epk, id",
            (coll_rid, lo, hi),
        )
    for (text,) in cur:
        yield text


SCAN_ORDERS = {
    "key": ("epk, id", "(epk, id) >= (?, ?)", 2),
    "ts": ("ts, epk, id", "(ts, epk, id) >= (?, ?, ?)", 3),
    "ts_desc": ("ts DESC, epk DESC, id DESC", "(ts, epk, id) <= (?, ?, ?)", 3),
}
"""``order: (ORDER BY columns, resume condition, sort-key width)``.

The resume condition is one row-value comparison (SQLite "Row Values",
https://www.sqlite.org/rowvalue.html) so that SQLite seeks to the position in the index
that has the sort order, instead of reading the scope from its start on every page.
"""


def key_width(order: str) -> int:
    """How many sort-key values a position of a scan in ``order`` has (2 or 3)."""
    return SCAN_ORDERS[order][2]


def scan_from(
    conn: sqlite3.Connection,
    coll_rid: str,
    lo: str,
    hi: str,
    order: str,
    start: list[Any] | None,
    point: bool = False,
) -> Iterator[tuple[list[Any], str]]:
    """Stored documents in a sort order, from a position on.

    Rows come straight from an index in that order (``docs_key`` for ``"key"``, ``docs_ts``
    for the ``_ts`` orders), never from a sort of the whole scope, so a page costs the rows it
    reads, not the size of the scope. A ``_ts`` scan of one logical partition (``point``) is
    the exception: it sorts that partition's rows (read through ``docs_key``), which is cheaper
    than walking the container-wide ``_ts`` index for a few documents.

    Args:
        conn: Connection in a transaction (kept open while the iterator is used).
        coll_rid: Container RID.
        lo: Lowest EPK (inclusive).
        hi: Highest EPK (exclusive).
        order: ``"key"`` (EPK, id), ``"ts"`` (``_ts``, EPK, id) or ``"ts_desc"`` (descending).
        start: The sort key of the first document to return (inclusive), or ``None``.
        point: The scope ``[lo, hi)`` holds one logical partition.

    Yields:
        ``(sort key, stored JSON text)``; the sort key has :func:`key_width` values.
    """
    order_sql, resume_sql, width = SCAN_ORDERS[order]
    key_cols = "epk, id" if width == 2 else "ts, epk, id"
    index = "docs_key" if width == 2 or point else "docs_ts"
    sql = (
        f"SELECT {key_cols}, body FROM docs INDEXED BY {index}"  # noqa: S608 - constants only
        " WHERE coll_rid=? AND epk>=? AND epk<?"
    )
    args: list[Any] = [coll_rid, lo, hi]
    if start is not None and width == 2 and all(isinstance(v, str) for v in start[:2]):
        # The position is the lower bound itself (SQLite seeks to it only without epk>=lo).
        sql = sql.replace("epk>=? AND ", "") + " AND " + resume_sql
        args = [coll_rid, hi, *max([lo, ""], list(start[:2]))]
    elif start is not None:
        sql += " AND " + resume_sql
        args += start[:width]
    sql += f" ORDER BY {order_sql}"
    for row in conn.execute(sql, args):
        yield list(row[:width]), row[width]


def partition_bodies(conn: sqlite3.Connection, coll_rid: str, epk: str) -> list[str]:
    """The stored texts of one logical partition's documents, ordered by id."""
    return [
        str(body)
        for (body,) in conn.execute(
            "SELECT body FROM docs WHERE coll_rid=? AND epk=? ORDER BY id", (coll_rid, epk)
        )
    ]


def count(conn: sqlite3.Connection, coll_rid: str, lo: str, hi: str) -> int:
    """How many documents have an EPK in ``[lo, hi)`` (from the index, no document read)."""
    (n,) = conn.execute(
        "SELECT COUNT(*) FROM docs WHERE coll_rid=? AND epk>=? AND epk<?", (coll_rid, lo, hi)
    ).fetchone()
    return int(n)


def usage(
    conn: sqlite3.Connection, coll_rid: str, lo: str | None = None, hi: str | None = None
) -> tuple[int, int]:
    """``(documents, bytes of their stored JSON)`` of a container, or of ``[lo, hi)`` in it."""
    if lo is None or hi is None:
        row = conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(LENGTH(body)), 0) FROM docs WHERE coll_rid=?",
            (coll_rid,),
        ).fetchone()
    else:
        row = conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(LENGTH(body)), 0) FROM docs"
            " WHERE coll_rid=? AND epk>=? AND epk<?",
            (coll_rid, lo, hi),
        ).fetchone()
    return int(row[0]), int(row[1])
