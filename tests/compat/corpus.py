"""The compatibility suite's own evolving documents, written through the real azure-cosmos SDK.

Run 1 seeds documents whose types look stable; :func:`change_for_run2` then makes the changes
that broke third-party loaders in the field: a whole number turning fractional (``dep_delay``
2.5), a number, a boolean and an object turning into strings, a date-keyed map gaining keys,
properties born late, a date-time that stops being one, a null-only property that gets a value,
a larger integer, updates and deletes.
"""

from __future__ import annotations

import datetime as dt
import json
import typing as t

from azure.cosmos import PartitionKey

#: Item properties the service adds that the tap drops (docs/tap.md, "Records and schema").
SERVICE_ONLY = {"_rid", "_self", "_attachments", "_lsn"}

#: Containers read by the main pipeline (LOG_BASED LatestVersion, except ``refresh``).
MAIN_CONTAINERS = ["docs", "hier", "refresh"]
#: The container read as FULL_TABLE (the catalog sets its replication method).
FULL_TABLE_CONTAINER = "refresh"
#: The container read with ``change_feed_mode: AllVersionsAndDeletes``.
CDC_CONTAINER = "cdc"

PK_PATHS: dict[str, list[str]] = {
    "docs": ["/tenant"],
    "hier": ["/tenant", "/user"],
    "refresh": ["/pk"],
    "cdc": ["/tenant"],
}

UNICODE = [
    "Zoë Saldaña",
    "東京タワー",
    "🚀 launch ✅",
    "Ελληνικά",
    "مرحبا بالعالم",
    'line\nbreak "quoted" \\ back\tslash',
    "\u202eright-to-left override",
    "",
]

#: Integers above 2^53 (a double cannot hold them exactly).
BIG = [2**53 + 1, -(2**53 + 3), 2**62 + 5]


def _docs_item(i: int) -> dict[str, t.Any]:
    doc: dict[str, t.Any] = {
        "id": f"f{i}",
        "tenant": f"t{i % 4}",
        "dep_delay": (i * 7) % 23 - 5,  # whole numbers until run 2
        "amount": i * 10,  # a number until run 2
        "price": i + 0.25,
        "flag": i % 2 == 0,  # a boolean until run 2
        "meta": {"source": "app", "rev": i},  # an object until run 2
        "counts": {f"2024-01-{i % 28 + 1:02d}": i, f"2024-02-{i % 27 + 1:02d}": i + 1},
        "items": [{"sku": f"s{i}", "qty": i % 3}, {"sku": f"s{i + 1}", "qty": 1, "gift": True}],
        "name": UNICODE[i % len(UNICODE)],
        "big": BIG[i % len(BIG)],
        "created": [
            "2024-03-01T15:17:00+02:00",
            "2024-03-01T15:17:00.123456+00:00",
            "2023-12-31T23:59:59Z",
            "2024-07-04T08:00:00-05:00",
        ][i % 4],
        "remark": None,  # null in every document until run 2
        "tags": ["a", f"tag{i}"],
        # Conflicting types at discovery: objects and arrays (free JSON) and a scalar (rescued).
        "mixed": [{"a": i}, [i, "x", None], "text"][i % 3],
        # A scalar conflict: mostly numbers, a few strings (rescued).
        "code": f"C{i}" if i % 10 == 9 else i * 100,
    }
    return doc


def _docs_items() -> list[dict[str, t.Any]]:
    items = [_docs_item(i) for i in range(40)]
    # Undefined, null and numeric partition-key values.
    for i in (40, 41):
        doc = _docs_item(i)
        del doc["tenant"]
        items.append(doc)
    for i in (42, 43):
        doc = _docs_item(i)
        doc["tenant"] = None
        items.append(doc)
    doc = _docs_item(44)
    doc["tenant"] = 42
    items.append(doc)
    return items


def _hier_items() -> list[dict[str, t.Any]]:
    items = [
        {"id": f"h{i}", "tenant": f"T{i % 2}", "user": f"u{i}", "score": i * 1.5, "ok": True}
        for i in range(6)
    ]
    items.append({"id": "h-nouser", "tenant": "T0", "score": 3, "ok": False})
    return items


def _refresh_items() -> list[dict[str, t.Any]]:
    return [{"id": f"r{i}", "pk": f"p{i % 3}", "qty": i, "label": f"row {i}"} for i in range(8)]


def _cdc_items() -> list[dict[str, t.Any]]:
    return [
        {"id": f"c{i}", "tenant": f"t{i % 3}", "status": "new", "total": i * 2.5} for i in range(10)
    ]


def pk_value(container: str, doc: dict[str, t.Any]) -> list[t.Any]:
    """The item's partition-key value as the SDK takes it (``{}`` for an undefined path)."""
    values = []
    for path in PK_PATHS[container]:
        name = path.lstrip("/")
        values.append(doc.get(name, {}))
    return values


def sdc_partition_key(container: str, doc: dict[str, t.Any]) -> str:
    """The tap's ``_sdc_partition_key`` for ``doc`` (compact JSON array, ``{}`` = undefined)."""
    return json.dumps(pk_value(container, doc), separators=(",", ":"))


def _write(proxy: t.Any, container: str, doc: dict[str, t.Any]) -> None:
    """Upsert ``doc``; a hierarchical key with a missing level goes through a batch, whose
    explicit key value (``{}`` = undefined) the SDK sends as given (``upsert_item`` would send
    ``null`` for the missing level, which the service rejects)."""
    value = pk_value(container, doc)
    if len(value) > 1 and {} in value:
        proxy.execute_item_batch([("upsert", (doc,))], partition_key=value)
    else:
        proxy.upsert_item(doc)


def seed(database: t.Any) -> dict[str, t.Any]:
    """Create the four containers and write run 1's documents; returns the container proxies."""
    containers = {}
    for name, paths in PK_PATHS.items():
        kind = "MultiHash" if len(paths) > 1 else "Hash"
        containers[name] = database.create_container(
            name, PartitionKey(path=paths if len(paths) > 1 else paths[0], kind=kind)
        )
    for name, items in (
        ("docs", _docs_items()),
        ("hier", _hier_items()),
        ("refresh", _refresh_items()),
        ("cdc", _cdc_items()),
    ):
        for doc in items:
            _write(containers[name], name, doc)
    return containers


def change_for_run2(containers: dict[str, t.Any]) -> dict[str, set[str]]:
    """Apply run 2's changes; returns the ids deleted per container."""
    docs = containers["docs"]

    def patch(doc_id: str, tenant: str, **changes: t.Any) -> None:
        item = docs.read_item(doc_id, partition_key=tenant)
        item.update(changes)
        docs.upsert_item(item)

    patch("f1", "t1", dep_delay=2.5)  # whole -> fractional
    patch("f3", "t3", amount="N/A")  # number -> string
    patch("f4", "t0", flag="yes")  # boolean -> string
    patch("f5", "t1", meta="legacy")  # object -> string
    patch("f6", "t2", counts={"2024-01-07": 6, "2025-02-03": 1, "2025-02-04-17": 2})
    patch("f7", "t3", created="not a date")  # date-time -> other string
    patch("f8", "t0", remark="now a string")  # null-only -> string
    patch("f9", "t1", items=[{"sku": "s9", "qty": 0, "note": {"deep": [1, 2.5, "x"]}}])
    patch("f10", "t2", big=2**60 + 7, dep_delay=-0.5)
    new = _docs_item(100)
    new["dep_delay"] = 2.5
    docs.upsert_item(new)
    for i in range(101, 105):  # fields born late
        doc = _docs_item(i)
        doc["late_field"] = f"born late {i}"
        doc["late_obj"] = {"k": i, "nested": {"z": [i, None]}}
        docs.upsert_item(doc)

    hier = containers["hier"]
    item = hier.read_item("h2", partition_key=["T0", "u2"])
    item["score"] = 2.75
    hier.upsert_item(item)

    refresh = containers["refresh"]
    for doc_id, pk in (("r1", "p1"), ("r2", "p2")):
        refresh.delete_item(doc_id, partition_key=pk)
    refresh.upsert_item({"id": "r3", "pk": "p0", "qty": 33, "label": "row 3 changed"})
    refresh.upsert_item({"id": "r9", "pk": "p0", "qty": 9, "label": "row 9 new"})

    cdc = containers["cdc"]
    cdc.delete_item("c1", partition_key="t1")
    cdc.delete_item("c2", partition_key="t2")
    cdc.upsert_item({"id": "c3", "tenant": "t0", "status": "paid", "total": 7.5})
    cdc.upsert_item({"id": "c11", "tenant": "t2", "status": "new", "total": 27.5})
    cdc.delete_item("c4", partition_key="t1")  # deleted, then created again
    cdc.upsert_item({"id": "c4", "tenant": "t1", "status": "recreated", "total": 1.0})
    return {"refresh": {"r1", "r2"}, "cdc": {"c1", "c2"}}


def read_all(containers: dict[str, t.Any]) -> dict[str, list[dict[str, t.Any]]]:
    """Every item of every container, as the source holds it now."""
    return {name: list(c.read_all_items()) for name, c in containers.items()}


def date_key(i: int) -> str:
    """A distinct hour-of-the-day key per document: ``2024-01-01-17``."""
    return (dt.datetime(2024, 1, 1) + dt.timedelta(hours=i)).strftime("%Y-%m-%d-%H")


def seed_date_keys(database: t.Any, count: int) -> t.Any:
    """``count`` small documents, each with a map keyed by a date no other document has."""
    container = database.create_container("events", PartitionKey(path="/pk"))
    by_pk: dict[str, list[dict[str, t.Any]]] = {}
    for i in range(count):
        doc = {"id": f"e{i}", "pk": f"p{i % 10}", "n": i, "counts": {date_key(i): i % 50}}
        by_pk.setdefault(doc["pk"], []).append(doc)
    for pk, docs in by_pk.items():
        for start in range(0, len(docs), 100):
            ops = [("upsert", (doc,)) for doc in docs[start : start + 100]]
            container.execute_item_batch(ops, partition_key=pk)
    return container
