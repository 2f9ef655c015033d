"""Storage of the resources under a database or container (the ``children`` table).

Users and permissions (under a database, permissions under a user) and stored procedures,
triggers and user-defined functions (under a container), stored as their JSON text and found
by parent RID, type (``users``, ``permissions``, ``sprocs``, ``triggers``, ``udfs``) and id or
RID. Each function takes a connection with an open transaction (``Store.read`` or
``Store.write``); validation and the HTTP answers are in
:mod:`cosmosdb_emulator.handlers.children`.
"""

from __future__ import annotations

import sqlite3

from cosmosdb_emulator.errors import conflict


def find(
    conn: sqlite3.Connection, parent_rid: str, ctype: str, key: str, rid_based: bool = False
) -> str | None:
    """The JSON text of one child, by id (or by RID with ``rid_based``), or ``None``."""
    col = "rid" if rid_based else "id"
    row = conn.execute(
        f"SELECT body FROM children WHERE parent_rid=? AND type=? AND {col}=?",  # noqa: S608
        (parent_rid, ctype, key),
    ).fetchone()
    return None if row is None else str(row[0])


def rid_taken(conn: sqlite3.Connection, rid: str) -> bool:
    """Whether a child already has the RID ``rid``."""
    return conn.execute("SELECT 1 FROM children WHERE rid=?", (rid,)).fetchone() is not None


def insert(
    conn: sqlite3.Connection, parent_rid: str, ctype: str, doc_id: str, rid: str, text: str
) -> None:
    """Store a new child.

    Raises:
        CosmosError: 409 if the parent has a child of that type and id.
    """
    try:
        conn.execute(
            "INSERT INTO children(parent_rid, type, id, rid, body) VALUES(?,?,?,?,?)",
            (parent_rid, ctype, doc_id, rid, text),
        )
    except sqlite3.IntegrityError:
        raise conflict() from None


def update(conn: sqlite3.Connection, rid: str, doc_id: str, text: str) -> None:
    """Overwrite a child (its id may change).

    Raises:
        CosmosError: 409 if the parent has another child of that type with the new id.
    """
    try:
        conn.execute("UPDATE children SET id=?, body=? WHERE rid=?", (doc_id, text, rid))
    except sqlite3.IntegrityError:
        raise conflict() from None


def texts(conn: sqlite3.Connection, parent_rid: str, ctype: str) -> list[str]:
    """The JSON texts of a parent's children of one type, oldest first."""
    return [
        str(r[0])
        for r in conn.execute(
            "SELECT body FROM children WHERE parent_rid=? AND type=? ORDER BY rowid",
            (parent_rid, ctype),
        )
    ]


def delete(conn: sqlite3.Connection, rid: str) -> None:
    """Delete one child (its own children are deleted by ``catalog.delete_children``)."""
    conn.execute("DELETE FROM children WHERE rid=?", (rid,))


def permission_by_token(conn: sqlite3.Connection, token: str) -> str | None:
    """The JSON text of the permission whose resource token (``_token``) is ``token``."""
    row = conn.execute(
        "SELECT body FROM children WHERE type='permissions' AND json_extract(body, '$._token')=?",
        (token,),
    ).fetchone()
    return None if row is None else str(row[0])
