"""ORDER BY: mixed-type order, undefined handling, multiple keys, stability, TOP/OFFSET paging.

Reference: learn.microsoft.com "ORDER BY (NoSQL query)" (items whose sort property is missing
are returned and sort lowest since 2022), the SDK's cross-partition merge order in
``azure/cosmos/_execution_context/document_producer.py:_OrderByHelper`` (undefined < null <
boolean < number < string), and azure-cosmos-dotnet-v3 PR #853 (arrays after strings, objects
last).
"""

from __future__ import annotations

import random

import pytest

from cosmosdb_emulator.query import run_query

MIXED = [
    {"id": "str_a", "v": "a"},
    {"id": "num_10", "v": 10},
    {"id": "obj", "v": {"k": 1}},
    {"id": "true", "v": True},
    {"id": "null", "v": None},
    {"id": "num_2.5", "v": 2.5},
    {"id": "arr", "v": [1]},
    {"id": "missing"},
    {"id": "str_B", "v": "B"},
    {"id": "false", "v": False},
    {"id": "num_1", "v": 1},
]
ASCENDING = [
    "missing",
    "null",
    "false",
    "true",
    "num_1",
    "num_2.5",
    "num_10",
    "str_B",  # code-point order: "B" (66) < "a" (97)
    "str_a",
    "arr",
    "obj",
]


def test_mixed_types_ascending() -> None:
    assert run_query("SELECT VALUE c.id FROM c ORDER BY c.v", None, MIXED) == ASCENDING
    assert run_query("SELECT VALUE c.id FROM c ORDER BY c.v ASC", None, MIXED) == ASCENDING


def test_mixed_types_descending() -> None:
    assert run_query("SELECT VALUE c.id FROM c ORDER BY c.v DESC", None, MIXED) == ASCENDING[::-1]


def test_ints_and_floats_compare_numerically() -> None:
    docs = [{"id": str(v), "v": v} for v in (10, 2.5, -1, 3, 2, 0.5, 100.0)]
    assert run_query("SELECT VALUE c.v FROM c ORDER BY c.v", None, docs) == [
        -1,
        0.5,
        2,
        2.5,
        3,
        10,
        100.0,
    ]


def test_multiple_keys_with_mixed_directions() -> None:
    docs = [
        {"id": "1", "pk": "b", "ts": 1},
        {"id": "2", "pk": "a", "ts": 1},
        {"id": "3", "pk": "b", "ts": 3},
        {"id": "4", "pk": "a", "ts": 2},
        {"id": "5", "ts": 9},
        {"id": "6", "pk": "b", "ts": 2},
    ]
    assert run_query("SELECT VALUE c.id FROM c ORDER BY c.pk ASC, c.ts DESC", None, docs) == [
        "5",
        "4",
        "2",
        "3",
        "6",
        "1",
    ]
    assert run_query("SELECT VALUE c.id FROM c ORDER BY c.pk DESC, c.ts", None, docs) == [
        "1",
        "6",
        "3",
        "2",
        "4",
        "5",
    ]


def test_ties_keep_input_order_in_both_directions() -> None:
    docs = [{"id": str(i), "g": i % 2} for i in range(6)]
    assert run_query("SELECT VALUE c.id FROM c ORDER BY c.g", None, docs) == [
        "0",
        "2",
        "4",
        "1",
        "3",
        "5",
    ]
    assert run_query("SELECT VALUE c.id FROM c ORDER BY c.g DESC", None, docs) == [
        "1",
        "3",
        "5",
        "0",
        "2",
        "4",
    ]


def test_order_by_a_nested_path_and_an_expression() -> None:
    docs = [{"id": "x", "a": {"b": 2}}, {"id": "y", "a": {"b": 1}}, {"id": "z", "a": {}}]
    assert run_query("SELECT VALUE c.id FROM c ORDER BY c.a.b", None, docs) == ["z", "y", "x"]
    assert run_query("SELECT VALUE c.id FROM c ORDER BY c.a['b'] DESC", None, docs) == [
        "x",
        "y",
        "z",
    ]


def test_order_by_applies_before_projection_and_with_where() -> None:
    docs = [{"id": "a", "ts": 3}, {"id": "b", "ts": 1}, {"id": "c", "ts": 2}, {"id": "d"}]
    rows = run_query(
        "SELECT c.id FROM c WHERE c.ts >= @ts ORDER BY c.ts",
        [{"name": "@ts", "value": 2}],
        docs,
    )
    assert rows == [{"id": "c"}, {"id": "a"}]


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
def test_top_and_offset_are_windows_of_the_full_order(direction: str) -> None:
    """Paging neutrality: any TOP/OFFSET window equals a slice of the full ordered result."""
    rng = random.Random(7)
    pool = [None, True, False, 0, 1, 1.5, "a", "b", [1], {"k": 0}]
    docs = []
    for i in range(80):
        doc = {"id": f"d{i}"}
        if i % 9:
            doc["v"] = rng.choice(pool)
        docs.append(doc)
    full = run_query(f"SELECT VALUE c.id FROM c ORDER BY c.v {direction}", None, docs)
    assert sorted(full) == sorted(d["id"] for d in docs)
    assert full == run_query(f"SELECT VALUE c.id FROM c ORDER BY c.v {direction}", None, docs)
    for n in (0, 1, 3, 7, 19, 80, 100):
        top = run_query(f"SELECT TOP {n} VALUE c.id FROM c ORDER BY c.v {direction}", None, docs)
        assert top == full[:n]
    for offset, limit in ((0, 5), (5, 5), (10, 30), (75, 10)):
        window = run_query(
            f"SELECT VALUE c.id FROM c ORDER BY c.v {direction} OFFSET {offset} LIMIT {limit}",
            None,
            docs,
        )
        assert window == full[offset : offset + limit]
