"""compile_query: parameters, caching, and the plan information the server can use."""

from __future__ import annotations

import threading

import pytest

from cosmosdb_emulator.query import UNDEFINED, compile_query, run_query

DOCS = [
    {"id": "1", "pk": "a", "_ts": 10, "obj": {"k": [1, 2]}, "n": None},
    {"id": "2", "pk": "b", "_ts": 20, "obj": {"k": [3]}},
    {"id": "3", "pk": "a", "_ts": 30, "n": 0},
]


@pytest.mark.parametrize(
    ("where", "params", "expected"),
    [
        ("c.pk = @pk", [{"name": "@pk", "value": "a"}], ["1", "3"]),
        ("c._ts >= @ts", [{"name": "@ts", "value": 20}], ["2", "3"]),
        ("c._ts >= @ts", [{"name": "@ts", "value": 20.5}], ["3"]),
        ("c._ts >= @ts", [{"name": "@ts", "value": "20"}], []),  # string vs number
        ("c.obj = @o", [{"name": "@o", "value": {"k": [3]}}], ["2"]),
        ("ARRAY_CONTAINS(@ids, c.id)", [{"name": "@ids", "value": ["1", "3", "9"]}], ["1", "3"]),
        (
            "c.id IN (@a, @b)",
            [{"name": "@a", "value": "2"}, {"name": "@b", "value": "3"}],
            ["2", "3"],
        ),
        ("c.n = @nil", [{"name": "@nil", "value": None}], ["1"]),
        ("c.obj.k[@i] = 2", [{"name": "@i", "value": 1}], ["1"]),
        ("c[@field] = 'b'", [{"name": "@field", "value": "pk"}], ["2"]),
        (
            "c.pk = @pk AND c._ts > @ts",
            [{"name": "@ts", "value": 10}, {"name": "@pk", "value": "a"}],
            ["3"],
        ),
    ],
)
def test_parameters(where: str, params: list, expected: list) -> None:
    assert run_query(f"SELECT VALUE c.id FROM c WHERE {where}", params, DOCS) == expected


def test_parameter_without_value_is_undefined() -> None:
    assert run_query("SELECT VALUE @p", [{"name": "@p"}], []) == []
    assert run_query("SELECT VALUE IS_DEFINED(@p)", [{"name": "@p"}], []) == [False]


def test_cache_returns_the_same_object_only_for_the_same_text_and_values() -> None:
    q = "SELECT * FROM c WHERE c._ts >= @ts ORDER BY c._ts"
    a = compile_query(q, [{"name": "@ts", "value": 20}])
    assert compile_query(q, [{"name": "@ts", "value": 20}]) is a
    b = compile_query(q, [{"name": "@ts", "value": 30}])
    assert b is not a
    assert [d["id"] for d in a.execute(DOCS)] == ["2", "3"]
    assert [d["id"] for d in b.execute(DOCS)] == ["3"]
    # 1, 1.0 and true are different parameter values.
    one = compile_query("SELECT VALUE @v", [{"name": "@v", "value": 1}])
    assert compile_query("SELECT VALUE @v", [{"name": "@v", "value": True}]) is not one
    assert compile_query("SELECT VALUE @v", [{"name": "@v", "value": True}]).execute([]) == [True]


def test_compiled_query_is_reusable_and_deterministic() -> None:
    cq = compile_query("SELECT VALUE COUNT(1) FROM c WHERE c.pk = 'a'")
    assert cq.execute(DOCS) == [2]
    assert cq.execute(DOCS[:1]) == [1]  # no state left over between executions
    cq2 = compile_query("SELECT c.id FROM c ORDER BY c.pk DESC, c._ts")
    first = cq2.execute(DOCS)
    assert first == [{"id": "2"}, {"id": "1"}, {"id": "3"}]
    assert cq2.execute(DOCS) == first


def test_concurrent_executions_share_a_compiled_query() -> None:
    cq = compile_query("SELECT VALUE SUM(c.v) FROM c")
    docs_by_thread = {i: [{"v": i}] * (i + 1) for i in range(8)}
    results: dict[int, list] = {}

    def work(i: int) -> None:
        for _ in range(50):
            results[i] = cq.execute(docs_by_thread[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {i: [i * (i + 1)] for i in range(8)}


@pytest.mark.parametrize(
    ("query", "attrs"),
    [
        (
            "SELECT * FROM c",
            {
                "is_select_star": True,
                "streamable": True,
                "has_where": False,
                "source": "container",
                "alias": "c",
            },
        ),
        (
            "SELECT TOP 1000 * FROM c",
            {"top": 1000, "is_select_star": True, "streamable": True},
        ),
        (
            "SELECT * FROM c WHERE c._ts >= @ts ORDER BY c._ts",
            {
                "has_order_by": True,
                "streamable": False,
                "order_by": ((("_ts",), False),),
                "has_where": True,
            },
        ),
        (
            "SELECT VALUE COUNT(1) FROM root r",
            {"has_aggregates": True, "is_value": True, "streamable": False, "alias": "r"},
        ),
        (
            "SELECT DISTINCT c.pk FROM c ORDER BY c.pk DESC, c.a[0] OFFSET 1 LIMIT 2",
            {
                "has_distinct": True,
                "offset": 1,
                "limit": 2,
                "order_by": ((("pk",), True), (("a", 0), False)),
            },
        ),
        (
            "SELECT * FROM c WHERE c.pk = 'p1' AND c.x.y = 3 AND (c.q = 1 OR c.r = 2) AND c.z > 1",
            {"equality_filters": {("pk",): "p1", ("x", "y"): 3}},
        ),
        ("SELECT * FROM c WHERE @pk = c.pk", {"equality_filters": {("pk",): "v"}}),
        ("SELECT VALUE t FROM t IN c.tags", {"source": "in", "alias": "t"}),
        ("SELECT VALUE 1", {"source": "none", "alias": None}),
    ],
)
def test_plan_information(query: str, attrs: dict) -> None:
    cq = compile_query(query, [{"name": "@ts", "value": 1}, {"name": "@pk", "value": "v"}])
    for name, expected in attrs.items():
        assert getattr(cq, name) == expected, name


def test_filter_evaluates_from_and_where_only() -> None:
    cq = compile_query("SELECT TOP 1 c.id FROM c WHERE c.pk = 'a' ORDER BY c._ts DESC")
    assert [cq.filter(d) for d in DOCS] == [True, False, True]
    assert compile_query("SELECT * FROM c").filter(DOCS[0]) is True
    in_query = compile_query("SELECT VALUE k FROM k IN c.obj.k WHERE k > 2")
    assert [in_query.filter(d) for d in DOCS] == [False, True, False]


def test_iter_results_is_lazy_for_streamable_queries() -> None:
    cq = compile_query("SELECT VALUE c.id FROM c WHERE c.pk = 'a'")
    consumed = []

    def stream():
        for d in DOCS:
            consumed.append(d["id"])
            yield d

    it = cq.iter_results(stream())
    assert next(it) == "1"
    assert consumed == ["1"]
    assert list(it) == ["3"]
    ordered = compile_query("SELECT VALUE c.id FROM c ORDER BY c._ts DESC")
    assert list(ordered.iter_results(DOCS)) == ["3", "2", "1"]


def test_undefined_is_exported_and_falsy() -> None:
    assert not UNDEFINED
    assert repr(UNDEFINED) == "undefined"
