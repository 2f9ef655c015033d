"""Syntax errors and unsupported constructs raise QueryError naming the problem.

The emulator's HTTP layer turns QueryError into 400 BadRequest, as the service does for a
malformed query or one using a feature the engine does not evaluate.
"""

from __future__ import annotations

import pytest

from cosmosdb_emulator.query import QueryError, compile_query, run_query

UNSUPPORTED = [
    ("SELECT * FROM c JOIN t IN c.tags", "JOIN"),
    ("SELECT c.id FROM c JOIN t IN c.tags WHERE t = 'red'", "JOIN"),
    ("SELECT c.pk, COUNT(1) AS n FROM c GROUP BY c.pk", "GROUP BY"),
    ("SELECT VALUE COUNT(1) FROM c GROUP BY c.pk", "GROUP BY"),
    ("SELECT * FROM c WHERE EXISTS (SELECT VALUE t FROM t IN c.tags)", "EXISTS subquery"),
    ("SELECT (SELECT VALUE 1) AS one FROM c", "subquery"),
    ("SELECT * FROM c WHERE c.n IN (SELECT VALUE 1)", "Syntax error"),
    ("SELECT ARRAY(SELECT VALUE t FROM t IN c.tags) AS a FROM c", "ARRAY subquery"),
    ("SELECT VALUE udf.tax(c.price) FROM c", "user-defined function udf.tax"),
    ("SELECT * FROM c WHERE udf.check(c)", "user-defined function udf.check"),
    ("SELECT VALUE ST_WITHIN(c.a, c.b) FROM c", "function ST_WITHIN"),
    ("SELECT VALUE GetCurrentDateTime() FROM c", "function GETCURRENTDATETIME"),
    ("SELECT VALUE VectorDistance(c.v, [1, 2]) FROM c", "function VECTORDISTANCE"),
    ("SELECT * FROM c ORDER BY RANK FullTextScore(c.text, 'x')", "ORDER BY RANK"),
    ("SELECT VALUE ~c.n FROM c", "bitwise operator"),
    ("SELECT VALUE c.a.foo(1) FROM c", "method call"),
]


@pytest.mark.parametrize(("query", "construct"), UNSUPPORTED)
def test_unsupported_construct_is_named(query: str, construct: str) -> None:
    with pytest.raises(QueryError) as info:
        run_query(query, None, [{"id": "1", "tags": ["red"]}])
    message = str(info.value)
    assert construct in message
    if construct != "Syntax error":
        assert message.startswith("Unsupported construct: ")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("SELEC * FROM c", "Syntax error"),
        ("SELECT * FROM", "end of query"),
        ("SELECT * FROM c WHERE", "end of query"),
        ("SELECT * FROM c WHERE c.a = 'unterminated", "Syntax error"),
        ("SELECT * FROM c WHERE c.a == 1", "Syntax error"),
        ("SELECT COUNT(*) FROM c", "Syntax error"),
        ("SELECT * FROM c WHERE c.a = 1 AND", "end of query"),
        ("SELECT * FROM c ORDER c.a", "Syntax error"),
        ("SELECT * FROM c c2 c3", "Syntax error"),
        ("SELECT * FROM c WHERE c.a # 1", "Syntax error"),
        ("SELECT * FROM c LIMIT 5", "Syntax error"),  # LIMIT needs OFFSET
    ],
)
def test_syntax_errors(query: str, message: str) -> None:
    with pytest.raises(QueryError) as info:
        compile_query(query)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_syntax_error_reports_line_and_column() -> None:
    with pytest.raises(QueryError) as info:
        compile_query("SELECT *\nFROM c\nWHERE c.a = = 1")
    assert "line 3" in str(info.value)


def test_too_long_query_text() -> None:
    query = "SELECT * FROM c WHERE c.a IN (" + ",".join(["1"] * 140000) + ")"
    with pytest.raises(QueryError, match="limit is 262144"):
        compile_query(query)


@pytest.mark.parametrize(
    "parameters",
    [
        [{"value": 1}],
        [{"name": "k", "value": 1}],
        [{"name": "@", "value": 1}],
        ["@k"],
        {"@k": 1},
    ],
)
def test_malformed_parameters(parameters: object) -> None:
    with pytest.raises(QueryError, match="parameter"):
        run_query("SELECT * FROM c", parameters, [])  # type: ignore[arg-type]


def test_query_error_is_a_value_error_with_message() -> None:
    with pytest.raises(ValueError, match="Unsupported construct: JOIN") as info:
        compile_query("SELECT * FROM c JOIN t IN c.tags")
    assert isinstance(info.value, QueryError)
    assert info.value.message == "Unsupported construct: JOIN"
