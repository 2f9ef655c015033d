"""Databases, containers and their partition key ranges (data access on :class:`Store`)."""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from dataclasses import dataclass
from typing import Any

from cosmosdb_emulator import rids
from cosmosdb_emulator.errors import CosmosError, bad_request, conflict, not_found
from cosmosdb_emulator.messages import dumps
from cosmosdb_emulator.ranges import initial_boundaries, midpoint

_FORBIDDEN_ID_CHARS = set("/\\?#")


@dataclass(frozen=True)
class ContainerInfo:
    """What request handling needs to know about a container."""

    rid: str
    db_rid: str
    db_id: str
    id: str
    paths: list[str]
    kind: str
    version: int = 2
    default_ttl: int | None = None

    @property
    def self_link(self) -> str:
        """``dbs/<dbrid>/colls/<collrid>/``."""
        return f"dbs/{self.db_rid}/colls/{self.rid}/"


@dataclass(frozen=True)
class PkRange:
    """A physical partition key range row."""

    id: str
    min_epk: str
    max_epk: str
    parents: list[str]
    gone: bool
    etag: int
    ts: int

    def to_json(self, coll_rid: str) -> dict[str, Any]:
        """The range as the pkranges feed returns it (Cosmos DB REST "Get partition key ranges")."""
        return {
            "id": self.id,
            "minInclusive": self.min_epk,
            "maxExclusive": self.max_epk,
            "parents": self.parents,
            "ridPrefix": int(self.id),
            "throughputFraction": 1.0,
            "status": "online",
            "_rid": coll_rid,
            "_self": "",
            "_etag": f'"{self.etag}"',
            "_ts": self.ts,
        }


def validate_id(value: Any, what: str) -> str:
    r"""Check a resource id: a non-empty string of bounded length, none of ``/ \\ ? #``.

    Raises:
        CosmosError: 400 describing the problem.
    """
    if value is None:
        raise bad_request(
            f"The input content is invalid because the required properties - 'id; ' - are missing ({what})."
        )
    if not isinstance(value, str):
        raise bad_request(f"The {what} id must be a string.")
    if not value or value.strip() == "":
        raise bad_request(f"The {what} id must not be empty.")
    # Databases and containers: at most 255 characters; documents: 1,023 bytes (service limits
    # and wording, as azure-cosmos 4.17.1 tests/test_resource_id.py checks them).
    if what == "document":
        if len(value.encode("utf-8")) > 1023:
            raise bad_request(
                f"The {what} id exceeds the maximum allowed length of 1023 bytes. Ensure to"
                " provide a unique non-empty string less than '1024' characters."
            )
    elif len(value) > 255:
        raise bad_request(
            f"The {what} id is too long. Ensure to provide a unique non-empty string less"
            " than '255' characters."
        )
    if _FORBIDDEN_ID_CHARS.intersection(value):
        raise bad_request(
            f"The input name '{value}' is invalid. Ensure to not use the characters '/', '\\\\', '?', '#'."
        )
    return value


def new_etag() -> str:
    """A quoted GUID etag."""
    return f'"{uuid.uuid4()}"'


# ---------------------------------------------------------------------------- databases


def database_rid(conn: sqlite3.Connection, name_or_rid: str, rid_based: bool) -> tuple[str, str]:
    """Resolve a database to ``(id, rid)``; 404 if missing."""
    col = "rid" if rid_based else "id"
    row = conn.execute(f"SELECT id, rid FROM databases WHERE {col}=?", (name_or_rid,)).fetchone()  # noqa: S608
    if row is None:
        raise not_found("Database")
    return str(row[0]), str(row[1])


def database_texts(conn: sqlite3.Connection) -> list[str]:
    """Every database's JSON text, oldest first."""
    return [str(r[0]) for r in conn.execute("SELECT body FROM databases ORDER BY rowid")]


def database_text(conn: sqlite3.Connection, db_rid: str) -> str:
    """A database's JSON text; 404 if missing."""
    row = conn.execute("SELECT body FROM databases WHERE rid=?", (db_rid,)).fetchone()
    if row is None:
        raise not_found("Database")
    return str(row[0])


def create_database(conn: sqlite3.Connection, body: dict[str, Any]) -> str:
    """Insert a database; returns its JSON text. 409 if it exists."""
    db_id = validate_id(body.get("id"), "database")
    if conn.execute("SELECT 1 FROM databases WHERE id=?", (db_id,)).fetchone():
        raise conflict()
    rid = rids.new_database_rid()
    while conn.execute("SELECT 1 FROM databases WHERE rid=?", (rid,)).fetchone():
        rid = rids.new_database_rid()
    doc = {
        "id": db_id,
        "_rid": rid,
        "_self": f"dbs/{rid}/",
        "_etag": new_etag(),
        "_colls": "colls/",
        "_users": "users/",
        "_ts": int(time.time()),
    }
    text = dumps(doc)
    conn.execute("INSERT INTO databases(id, rid, body) VALUES(?,?,?)", (db_id, rid, text))
    return text


def delete_database(conn: sqlite3.Connection, db_rid: str) -> None:
    """Delete a database and everything in it."""
    for (coll_rid,) in conn.execute(
        "SELECT rid FROM containers WHERE db_rid=?", (db_rid,)
    ).fetchall():
        delete_container(conn, coll_rid)
    delete_children(conn, db_rid)
    conn.execute("DELETE FROM offers WHERE coll_rid=?", (db_rid,))  # shared throughput
    conn.execute("DELETE FROM databases WHERE rid=?", (db_rid,))


# ---------------------------------------------------------------------------- containers


def _validate_partition_key(pk: Any) -> dict[str, Any]:
    if pk is None:
        raise bad_request("The partition key definition (partitionKey) is required.")
    if not isinstance(pk, dict):
        raise bad_request("partitionKey must be an object.")
    paths = pk.get("paths")
    if (
        not isinstance(paths, list)
        or not paths
        or not all(isinstance(p, str) and p.startswith("/") and len(p) > 1 for p in paths)
    ):
        raise bad_request("partitionKey.paths must be a non-empty list of paths starting with '/'.")
    kind = pk.get("kind", "Hash")
    # The service's wording (azure-cosmos 4.17.1 tests/test_crud_subpartition.py matches it).
    if kind == "Hash":
        if len(paths) != 1:
            raise bad_request(
                "Too many partition key paths: partitionKey of kind Hash must have exactly one path."
            )
    elif kind == "MultiHash":
        if len(paths) > 3:
            raise bad_request(
                "Too many partition key paths: partitionKey of kind MultiHash supports at most"
                " 3 paths."
            )
    else:
        raise bad_request(f"partitionKey.kind '{kind}' is not supported (use Hash or MultiHash).")
    version = pk.get("version", 2)
    if version not in (1, 2) or (version == 1 and kind != "Hash"):
        raise bad_request("partitionKey.version must be 2, or 1 for a Hash partition key.")
    out = dict(pk)
    out["kind"] = kind
    out["version"] = version
    return out


_ETAG_PATH = '/"_etag"/?'


def normalize_indexing_policy(policy: Any) -> dict[str, Any]:
    """The indexing policy as the service stores it (Cosmos DB docs "Indexing policies").

    Missing ``indexingMode``/``automatic`` get ``consistent``/``true``; a consistent policy
    without ``includedPaths`` includes ``/*``; the legacy ``indexes`` of an included path are
    dropped (the service ignores them); ``/"_etag"/?`` is always excluded.

    Raises:
        CosmosError: 400 if the policy is not an object or its mode is unknown.
    """
    if policy is None:
        policy = {}
    if not isinstance(policy, dict):
        raise bad_request("indexingPolicy must be an object.")
    out = dict(policy)
    mode = str(out.get("indexingMode", "consistent")).lower()
    if mode not in ("consistent", "lazy", "none"):
        raise bad_request(f"Unknown indexingMode '{out.get('indexingMode')}'.")
    out["indexingMode"] = mode
    out.setdefault("automatic", mode != "none")
    if mode == "none":
        out.setdefault("includedPaths", [])
        out.setdefault("excludedPaths", [])
        return out
    included = out.get("includedPaths") or [{"path": "/*"}]
    out["includedPaths"] = [
        {k: v for k, v in p.items() if k != "indexes"} if isinstance(p, dict) else p
        for p in included
    ]
    excluded = list(out.get("excludedPaths") or [])
    if not any(isinstance(p, dict) and p.get("path") == _ETAG_PATH for p in excluded):
        excluded.append({"path": _ETAG_PATH})
    out["excludedPaths"] = excluded
    return out


def _validate_computed_properties(doc: dict[str, Any]) -> None:
    """``computedProperties``: a list of ``{"name", "query"}`` with a ``SELECT VALUE`` query.

    Raises:
        CosmosError: 400 "One of the specified inputs is invalid" (the service's wording).
    """
    cps = doc.get("computedProperties")
    if cps is None:
        return
    problem = None
    if not isinstance(cps, list):
        problem = "computedProperties must be a list"
    else:
        from cosmosdb_emulator import query as engine

        names = set()
        for cp in cps:
            if not (
                isinstance(cp, dict)
                and isinstance(cp.get("name"), str)
                and isinstance(cp.get("query"), str)
            ):
                problem = "each computed property needs a string name and query"
                break
            name = cp["name"]
            if not name or name.startswith("_") or name == "id" or name in names:
                problem = f"invalid computed property name {name!r}"
                break
            names.add(name)
            try:
                compiled = engine.compile_query(cp["query"], [])
            except engine.QueryError as exc:
                problem = f"computed property {name!r}: {exc}"
                break
            if not compiled.is_value:
                problem = f"computed property {name!r} must use SELECT VALUE"
                break
    if problem:
        raise bad_request(f"One of the specified inputs is invalid: {problem}.")


def _validate_ttl(doc: dict[str, Any]) -> None:
    """``defaultTtl`` is -1 (on, no default) or a positive number of seconds (else 400)."""
    ttl = doc.get("defaultTtl")
    if ttl is None:
        return
    if isinstance(ttl, bool) or not isinstance(ttl, int) or (ttl < 1 and ttl != -1):
        raise bad_request(
            "The value of defaultTtl must be -1 or a positive integer number of seconds."
        )


def create_container(
    conn: sqlite3.Connection, db_rid: str, body: dict[str, Any], partitions: int
) -> str:
    """Insert a container with ``partitions`` physical ranges; returns its JSON text.

    Raises:
        CosmosError: 400 for a malformed id or partition key definition, 409 if it exists.
    """
    coll_id = validate_id(body.get("id"), "container")
    pk = _validate_partition_key(body.get("partitionKey"))
    if conn.execute(
        "SELECT 1 FROM containers WHERE db_rid=? AND id=?", (db_rid, coll_id)
    ).fetchone():
        raise conflict()
    rid = rids.new_container_rid(db_rid)
    while conn.execute("SELECT 1 FROM containers WHERE rid=?", (rid,)).fetchone():
        rid = rids.new_container_rid(db_rid)
    now = int(time.time())
    doc = {k: v for k, v in body.items() if not k.startswith("_")}
    doc["partitionKey"] = pk
    doc["indexingPolicy"] = normalize_indexing_policy(doc.get("indexingPolicy"))
    _validate_ttl(doc)
    _validate_computed_properties(doc)
    doc.setdefault(
        "conflictResolutionPolicy",
        {
            "mode": "LastWriterWins",
            "conflictResolutionPath": "/_ts",
            "conflictResolutionProcedure": "",
        },
    )
    doc.setdefault("geospatialConfig", {"type": "Geography"})
    doc.update(
        {
            "_rid": rid,
            "_self": f"dbs/{db_rid}/colls/{rid}/",
            "_etag": new_etag(),
            "_ts": now,
            "_docs": "docs/",
            "_sprocs": "sprocs/",
            "_triggers": "triggers/",
            "_udfs": "udfs/",
            "_conflicts": "conflicts/",
        }
    )
    text = dumps(doc)
    conn.execute(
        "INSERT INTO containers(rid, db_rid, id, body, lsn, range_etag, next_range_id)"
        " VALUES(?,?,?,?,0,1,?)",
        (rid, db_rid, coll_id, text, partitions),
    )
    conn.executemany(
        "INSERT INTO pkranges(coll_rid, id, min_epk, max_epk, parents, gone, etag, ts)"
        " VALUES(?,?,?,?,'[]',0,1,?)",
        [(rid, str(i), lo, hi, now) for i, (lo, hi) in enumerate(initial_boundaries(partitions))],
    )
    return text


def replace_container(conn: sqlite3.Connection, coll_rid: str, body: dict[str, Any]) -> str:
    """Replace a container's definition (``PUT .../colls/{id}``); returns the new JSON text.

    Indexing policy, ``defaultTtl``, computed properties, conflict resolution and the other
    settable properties take the body's values; the id and the partition key definition must
    stay the same (Cosmos DB REST docs "Replace a collection").

    Raises:
        CosmosError: 400 for a different id or partition key, or a malformed body.
    """
    old = json.loads(container_body(conn, coll_rid))
    if body.get("id") != old["id"]:
        raise bad_request("The id in the collection body does not match the id in the request URI.")
    pk = body.get("partitionKey")
    if pk is not None:
        new_pk = _validate_partition_key(pk)
        if new_pk["paths"] != old["partitionKey"]["paths"] or new_pk["kind"] != old[
            "partitionKey"
        ].get("kind", "Hash"):
            raise bad_request("The partition key of a collection cannot be changed.")
    doc = {k: v for k, v in body.items() if not k.startswith("_")}
    doc["partitionKey"] = old["partitionKey"]
    if "indexingPolicy" in doc:
        doc["indexingPolicy"] = normalize_indexing_policy(doc["indexingPolicy"])
    _validate_ttl(doc)
    _validate_computed_properties(doc)
    for key in ("indexingPolicy", "conflictResolutionPolicy", "geospatialConfig"):
        if key not in doc and key in old:
            doc[key] = old[key]
    for key, value in old.items():
        if key.startswith("_"):
            doc[key] = value
    doc["_etag"] = new_etag()
    doc["_ts"] = int(time.time())
    text = dumps(doc)
    conn.execute("UPDATE containers SET body=? WHERE rid=?", (text, coll_rid))
    return text


def delete_children(conn: sqlite3.Connection, parent_rid: str) -> None:
    """Delete the users/permissions/scripts under a resource, and theirs, recursively."""
    for (rid,) in conn.execute(
        "SELECT rid FROM children WHERE parent_rid=?", (parent_rid,)
    ).fetchall():
        delete_children(conn, str(rid))
    conn.execute("DELETE FROM children WHERE parent_rid=?", (parent_rid,))


def delete_container(conn: sqlite3.Connection, coll_rid: str) -> None:
    """Delete a container with its documents, change log, ranges, offer and scripts."""
    delete_children(conn, coll_rid)
    for table in ("docs", "changes", "pkranges", "offers"):
        conn.execute(f"DELETE FROM {table} WHERE coll_rid=?", (coll_rid,))  # noqa: S608
    conn.execute("DELETE FROM containers WHERE rid=?", (coll_rid,))


def container_info(conn: sqlite3.Connection, db: str, coll: str, rid_based: bool) -> ContainerInfo:
    """Resolve a container by name (or RID for ``_self`` links); 404 if missing."""
    if rid_based:
        row = conn.execute(
            "SELECT c.rid, c.db_rid, d.id, c.id, c.body FROM containers c"
            " JOIN databases d ON d.rid=c.db_rid WHERE c.rid=?",
            (coll,),
        ).fetchone()
    else:
        row = conn.execute(
            "SELECT c.rid, c.db_rid, d.id, c.id, c.body FROM containers c"
            " JOIN databases d ON d.rid=c.db_rid WHERE d.id=? AND c.id=?",
            (db, coll),
        ).fetchone()
    if row is None:
        if not rid_based:
            database_rid(conn, db, False)
        raise not_found("Container")
    body = json.loads(row[4])
    pk = body["partitionKey"]
    ttl = body.get("defaultTtl")
    return ContainerInfo(
        rid=row[0],
        db_rid=row[1],
        db_id=row[2],
        id=row[3],
        paths=pk["paths"],
        kind=pk["kind"],
        version=int(pk.get("version", 2)),
        default_ttl=ttl if isinstance(ttl, int) and not isinstance(ttl, bool) else None,
    )


def container_texts(conn: sqlite3.Connection, db_rid: str) -> list[str]:
    """The JSON texts of a database's containers, oldest first."""
    return [
        str(r[0])
        for r in conn.execute(
            "SELECT body FROM containers WHERE db_rid=? ORDER BY rowid", (db_rid,)
        )
    ]


def container_names(conn: sqlite3.Connection) -> list[tuple[str, str, str]]:
    """``(database id, container id, container RID)`` of every container."""
    rows = conn.execute(
        "SELECT d.id, c.id, c.rid FROM containers c JOIN databases d ON d.rid=c.db_rid"
    ).fetchall()
    return [(str(db), str(coll), str(rid)) for db, coll, rid in rows]


def container_name(conn: sqlite3.Connection, coll_rid: str) -> tuple[str, str] | None:
    """``(database id, container id)`` of the container ``coll_rid``, or ``None``."""
    row = conn.execute(
        "SELECT d.id, c.id FROM containers c JOIN databases d ON d.rid=c.db_rid WHERE c.rid=?",
        (coll_rid,),
    ).fetchone()
    return None if row is None else (str(row[0]), str(row[1]))


def provisioned_rates(conn: sqlite3.Connection) -> list[tuple[str, str, float]]:
    """``(database id, container id, RU/s)`` of every container with an enforced offer."""
    rows = conn.execute(
        "SELECT d.id, c.id, c.throughput FROM containers c"
        " JOIN databases d ON d.rid=c.db_rid WHERE c.throughput IS NOT NULL"
    ).fetchall()
    return [(str(db), str(coll), float(ru)) for db, coll, ru in rows]


def container_body(conn: sqlite3.Connection, coll_rid: str) -> str:
    """The stored container JSON text."""
    row = conn.execute("SELECT body FROM containers WHERE rid=?", (coll_rid,)).fetchone()
    if row is None:
        raise not_found("Container")
    return str(row[0])


def current_lsn(conn: sqlite3.Connection, coll_rid: str) -> int:
    """The container's latest committed LSN (0 before the first write)."""
    row = conn.execute("SELECT lsn FROM containers WHERE rid=?", (coll_rid,)).fetchone()
    return int(row[0]) if row else 0


# ---------------------------------------------------------------------------- ranges


def _range_from_row(row: tuple[Any, ...]) -> PkRange:
    return PkRange(
        id=row[0],
        min_epk=row[1],
        max_epk=row[2],
        parents=json.loads(row[3]),
        gone=bool(row[4]),
        etag=int(row[5]),
        ts=int(row[6]),
    )


_RANGE_COLS = "id, min_epk, max_epk, parents, gone, etag, ts"


def ranges(conn: sqlite3.Connection, coll_rid: str, include_gone: bool = False) -> list[PkRange]:
    """The container's ranges ordered by ``min_epk`` (online only unless ``include_gone``)."""
    sql = f"SELECT {_RANGE_COLS} FROM pkranges WHERE coll_rid=?"  # noqa: S608
    if not include_gone:
        sql += " AND gone=0"
    rows = conn.execute(sql + " ORDER BY min_epk", (coll_rid,)).fetchall()
    return [_range_from_row(r) for r in rows]


def range_by_id(conn: sqlite3.Connection, coll_rid: str, range_id: str) -> PkRange | None:
    """One range (online or gone) by id."""
    row = conn.execute(
        f"SELECT {_RANGE_COLS} FROM pkranges WHERE coll_rid=? AND id=?",  # noqa: S608
        (coll_rid, range_id),
    ).fetchone()
    return None if row is None else _range_from_row(row)


def range_etag(conn: sqlite3.Connection, coll_rid: str) -> int:
    """The pkranges feed version (bumped by every split)."""
    row = conn.execute("SELECT range_etag FROM containers WHERE rid=?", (coll_rid,)).fetchone()
    return int(row[0]) if row else 0


def split_range(conn: sqlite3.Connection, coll_rid: str, range_id: str) -> list[str]:
    """Split an online range at its midpoint into two children (call inside a write).

    Returns:
        The two child range ids.

    Raises:
        CosmosError: 404 if the range does not exist or is already gone; 400 if too narrow.
    """
    rng = range_by_id(conn, coll_rid, range_id)
    if rng is None or rng.gone:
        raise not_found("Partition key range")
    try:
        mid = midpoint(rng.min_epk, rng.max_epk)
    except ValueError as exc:
        raise bad_request(str(exc)) from exc
    row = conn.execute(
        "SELECT next_range_id, range_etag FROM containers WHERE rid=?", (coll_rid,)
    ).fetchone()
    next_id, etag = int(row[0]), int(row[1]) + 1
    parents = dumps([*rng.parents, rng.id])
    now = int(time.time())
    children = [str(next_id), str(next_id + 1)]
    conn.execute("UPDATE pkranges SET gone=1 WHERE coll_rid=? AND id=?", (coll_rid, range_id))
    conn.executemany(
        "INSERT INTO pkranges(coll_rid, id, min_epk, max_epk, parents, gone, etag, ts)"
        " VALUES(?,?,?,?,?,0,?,?)",
        [
            (coll_rid, children[0], rng.min_epk, mid, parents, etag, now),
            (coll_rid, children[1], mid, rng.max_epk, parents, etag, now),
        ],
    )
    conn.execute(
        "UPDATE containers SET next_range_id=?, range_etag=? WHERE rid=?",
        (next_id + 2, etag, coll_rid),
    )
    return children


def require_online_range(conn: sqlite3.Connection, coll_rid: str, range_id: str) -> PkRange:
    """The named range if online; 410/1002 if split away; 400 if unknown."""
    from cosmosdb_emulator.errors import gone_split

    rng = range_by_id(conn, coll_rid, range_id)
    if rng is None:
        raise CosmosError(400, f"Unknown partition key range id '{range_id}'.")
    if rng.gone:
        raise gone_split(range_id)
    return rng
