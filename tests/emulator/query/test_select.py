"""SELECT / FROM / TOP / OFFSET LIMIT / DISTINCT: shapes of result rows.

Reference: learn.microsoft.com "Azure Cosmos DB for NoSQL query" pages "SELECT", "FROM",
"TOP", "OFFSET LIMIT", "DISTINCT", "Keywords" (projection names: a property path projects under
its last name, other expressions under ``$1``, ``$2``...; undefined values are omitted).
"""

from __future__ import annotations

import pytest

from cosmosdb_emulator.query import QueryError, run_query

DOCS = [
    {"id": "a", "pk": "p1", "n": 3, "b": {"x": 1}, "tags": ["red", "blue"], "arr": [10, 20]},
    {"id": "b", "pk": "p2", "n": 1, "b": {"x": 2}, "tags": []},
    {"id": "c", "pk": "p1", "n": 2, "tags": ["red"]},
]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("SELECT c.id FROM c", [{"id": "a"}, {"id": "b"}, {"id": "c"}]),
        ("SELECT c.b.x FROM c", [{"x": 1}, {"x": 2}, {}]),  # undefined key omitted
        ("SELECT c.b.x AS y FROM c WHERE c.id = 'a'", [{"y": 1}]),
        ("SELECT c.b.x y FROM c WHERE c.id = 'a'", [{"y": 1}]),  # AS is optional
        ("SELECT c[\"pk\"] FROM c WHERE c.id = 'a'", [{"pk": "p1"}]),
        ("SELECT c.arr[1] FROM c WHERE c.id = 'a'", [{"$1": 20}]),
        (
            "SELECT c.id, 1, c.n * 2, c.pk FROM c WHERE c.id = 'b'",
            [{"id": "b", "$1": 1, "$2": 2, "pk": "p2"}],
        ),
        ("SELECT c.missing FROM c WHERE c.id = 'a'", [{}]),
        ("SELECT c.missing, c.id FROM c WHERE c.id = 'a'", [{"id": "a"}]),
        ("SELECT VALUE c.id FROM c", ["a", "b", "c"]),
        ("SELECT VALUE c.b.x FROM c", [1, 2]),  # undefined rows omitted
        ("SELECT VALUE c.missing FROM c", []),
        ("SELECT VALUE c.id AS ignored FROM c WHERE c.n = 1", ["b"]),  # VALUE alias is allowed
        (
            "SELECT VALUE {id: c.id, x: c.b.x} FROM c",
            [{"id": "a", "x": 1}, {"id": "b", "x": 2}, {"id": "c"}],
        ),
        ("SELECT VALUE [c.id, c.n] FROM c WHERE c.n > 1", [["a", 3], ["c", 2]]),
        (
            "SELECT {id: c.id} AS o, [c.n] AS l FROM c WHERE c.id = 'c'",
            [{"o": {"id": "c"}, "l": [2]}],
        ),
        ("SELECT c.pk FROM root c WHERE c.n = 1", [{"pk": "p2"}]),
        ("SELECT r.id FROM root r WHERE r.n = 1", [{"id": "b"}]),
        ("SELECT f.id FROM Families f WHERE f.n = 1", [{"id": "b"}]),
        ("SELECT f.id FROM Families AS f WHERE f.n = 1", [{"id": "b"}]),
        ("SELECT Families.id FROM Families WHERE Families.n = 1", [{"id": "b"}]),
        ("SELECT VALUE t FROM t IN c.tags", ["red", "blue", "red"]),
        ("SELECT VALUE t FROM t IN c.tags WHERE t != 'red'", ["blue"]),
        ("SELECT * FROM t IN c.tags WHERE t = 'blue'", ["blue"]),
        ("SELECT VALUE x FROM c.b x", [{"x": 1}, {"x": 2}]),  # sub-root source
        ("SELECT VALUE b.x FROM c.b", [1, 2]),  # sub-root default alias = last name
        ("SELECT VALUE 1 + 2", [3]),  # no FROM: one row
        ("SELECT 'x' AS s, 2 AS n", [{"s": "x", "n": 2}]),
        ("SELECT c FROM c WHERE c.id = 'c'", [{"c": DOCS[2]}]),
        ("SELECT VALUE c FROM c WHERE c.id = 'c'", [DOCS[2]]),
        ("SELECT TOP 2 VALUE c.id FROM c", ["a", "b"]),
        ("SELECT TOP 0 VALUE c.id FROM c", []),
        ("SELECT TOP 10 VALUE c.id FROM c", ["a", "b", "c"]),
        ("SELECT TOP @top VALUE c.id FROM c", ["a"]),
        ("SELECT VALUE c.id FROM c OFFSET 1 LIMIT 1", ["b"]),
        ("SELECT VALUE c.id FROM c OFFSET 2 LIMIT 5", ["c"]),
        ("SELECT VALUE c.id FROM c OFFSET 0 LIMIT 0", []),
        ("SELECT VALUE c.id FROM c OFFSET @off LIMIT @lim", ["b", "c"]),
        ("SELECT VALUE c.id FROM c ORDER BY c.n OFFSET 1 LIMIT 1", ["c"]),
        ("SELECT DISTINCT c.pk FROM c", [{"pk": "p1"}, {"pk": "p2"}]),
        ("SELECT DISTINCT VALUE c.pk FROM c", ["p1", "p2"]),
        ("SELECT DISTINCT VALUE t FROM t IN c.tags", ["red", "blue"]),
        ("SELECT DISTINCT TOP 1 VALUE c.pk FROM c WHERE c.n < 3", ["p2"]),
        (
            "select top 1 value c.id from c where c.n > 1 order by c.n desc",
            ["a"],
        ),  # keywords are case-insensitive
        ("SeLeCt VaLuE c.id FrOm c WhErE c.id = 'b'", ["b"]),
        ("SELECT VALUE c.id FROM c -- a comment\nWHERE c.n = 2", ["c"]),
    ],
)
def test_select_shapes(query: str, expected: list) -> None:
    params = [
        {"name": "@top", "value": 1},
        {"name": "@off", "value": 1},
        {"name": "@lim", "value": 10},
    ]
    assert run_query(query, params, DOCS) == expected


def test_distinct_is_type_strict_and_numeric() -> None:
    docs = [
        {"v": 1},
        {"v": 1.0},
        {"v": True},
        {"v": "1"},
        {"v": [1]},
        {"v": [1.0]},
        {"v": {"a": 1}},
    ]
    assert run_query("SELECT DISTINCT VALUE c.v FROM c", None, docs) == [
        1,
        True,
        "1",
        [1],
        {"a": 1},
    ]


def test_select_star_returns_the_stored_documents_without_copying() -> None:
    rows = run_query("SELECT * FROM c", None, DOCS)
    assert rows == DOCS
    assert rows is not DOCS  # a new list ...
    assert all(r is d for r, d in zip(rows, DOCS, strict=True))  # ... of the same dicts
    filtered = run_query("SELECT * FROM c WHERE c.n >= 2", None, DOCS)
    assert [r["id"] for r in filtered] == ["a", "c"]
    assert filtered[0] is DOCS[0]


def test_top_stops_consuming_documents_early() -> None:
    consumed = []

    def stream():
        for i in range(1000):
            consumed.append(i)
            yield {"id": str(i), "n": i}

    assert run_query("SELECT TOP 3 * FROM c", None, stream()) == [
        {"id": "0", "n": 0},
        {"id": "1", "n": 1},
        {"id": "2", "n": 2},
    ]
    assert len(consumed) <= 4
    consumed.clear()
    assert run_query("SELECT TOP 2 VALUE c.id FROM c WHERE c.n % 10 = 0", None, stream()) == [
        "0",
        "10",
    ]
    assert len(consumed) <= 12


def test_documents_may_be_any_iterable() -> None:
    assert run_query("SELECT VALUE c.id FROM c", None, iter(DOCS)) == ["a", "b", "c"]
    assert run_query("SELECT VALUE c.id FROM c", None, (d for d in DOCS if d["n"] > 1)) == [
        "a",
        "c",
    ]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("SELECT c.id, c.b.id FROM c", "Duplicate property name 'id'"),
        ("SELECT c.n AS x, c.id AS x FROM c", "Duplicate property name 'x'"),
        ("SELECT *", "FROM clause is omitted"),
        ("SELECT TOP -1 * FROM c", "Syntax error"),
        ("SELECT TOP @s * FROM c", "TOP value must be a non-negative integer"),
        ("SELECT * FROM c OFFSET @s LIMIT 1", "OFFSET value must be a non-negative integer"),
        ("SELECT TOP @missing * FROM c", "@missing"),
    ],
)
def test_select_errors(query: str, message: str) -> None:
    with pytest.raises(QueryError) as info:
        run_query(query, [{"name": "@s", "value": "ten"}], DOCS)
    assert message in str(info.value)
