"""Scalar expressions: paths, operators, undefined/null/mixed-type semantics, literals, functions.

Expected values are derived from the Cosmos DB for NoSQL query reference (learn.microsoft.com:
"Equality and comparison operators", "Logical operators", "Arithmetic operators", "IN",
"BETWEEN", "LIKE", "Ternary and coalesce operators", and the system function pages), evaluated
by hand against ``helpers.DOC``.
"""

from __future__ import annotations

import pytest

from cosmosdb_emulator.query import QueryError, run_query
from tests.emulator.query.helpers import DOC, UNDEF, same, value_of

PATHS = [
    ("c.n", 5),
    ("c.obj.a.b", 7),
    ('c["obj"]["x"]', "y"),
    ("c['obj'].a['b']", 7),
    ("c.arr[0]", 1),
    ("c.arr[2].k", 3),
    ("c.arr[9]", UNDEF),
    ("c.arr[-1]", UNDEF),
    ("c.missing", UNDEF),
    ("c.missing.deeper", UNDEF),
    ("c.s.length", UNDEF),  # members of a string do not exist
    ("c.n[0]", UNDEF),
    ("c.obj[0]", UNDEF),  # numeric index into an object
    ("c.value", 42),  # a keyword is still a property name after a dot
    ("c.z", None),
]

ARITHMETIC = [
    ("c.n + 1", 6),
    ("c.n * c.f", 12.5),
    ("c.n / 2", 2.5),
    ("10 / 5", 2),
    ("c.n - c.f", 2.5),
    ("c.neg % 3", -1),  # dividend's sign, as JavaScript / IEEE fmod
    ("7 % -3", 1),
    ("5.5 % 2", 1.5),
    ("2 + 3 * 4", 14),
    ("(2 + 3) * 4", 20),
    ("10 - 4 - 3", 3),  # left associative
    ("-c.n", -5),
    ("+c.n", 5),
    ("-c.s", UNDEF),
    ("c.n + 's'", UNDEF),
    ("c.n + c.missing", UNDEF),
    ("c.n + true", UNDEF),
    ("c.n + null", UNDEF),
    ("c.n / 0", UNDEF),
    ("c.n % 0", UNDEF),
    ("c.s || ' World'", "Hello World"),
    ("c.s || 1", UNDEF),
    ("c.missing || 'x'", UNDEF),
]

COMPARISONS = [
    ("c.n = 5", True),
    ("c.n = 5.0", True),
    ("5 = c.n", True),
    ("c.n != 5", False),
    ("c.n <> 4", True),
    ("c.n < 10", True),
    ("10 > c.n", True),
    ("c.n >= 5", True),
    ("c.n > 5", False),
    ("c.n <= 4.99", False),
    ("c.n = '5'", UNDEF),  # number vs string: undefined, not false
    ("c.n != '5'", UNDEF),
    ("c.n < 'a'", UNDEF),
    ("c.t = 1", UNDEF),  # boolean vs number
    ("c.z = null", True),
    ("null = null", True),
    ("c.z != null", False),
    ("c.z = 0", UNDEF),
    ("c.missing = null", UNDEF),
    ("c.missing = c.missing", UNDEF),
    ("c.missing != 1", UNDEF),
    ("c.t = true", True),
    ("c.t > false", True),
    ("c.s < 'World'", True),
    ("'a' < 'B'", False),  # ordinal (code point) string order
    ("c.s = 'hello'", False),  # case-sensitive
    ("c.arr = [1, 'two', {k: 3}]", True),  # deep equality
    ("c.obj = {x: 'y', a: {b: 7}}", True),  # key order does not matter
    ("c.obj = {x: 'y'}", False),
    ("[1] = [true]", False),  # type-strict inside arrays
    ("c.arr < [2]", UNDEF),  # arrays are not range-comparable
    ("c.n = c.n", True),
    ("c.n = @p", True),
]

LOGIC = [
    ("true AND true", True),
    ("true AND false", False),
    ("false AND c.missing", False),
    ("c.missing AND false", False),
    ("true AND c.missing", UNDEF),
    ("c.n AND true", UNDEF),  # a number is not a boolean
    ("true OR c.missing", True),
    ("c.missing OR true", True),
    ("false OR c.missing", UNDEF),
    ("false OR false", False),
    ("NOT c.missing", UNDEF),
    ("NOT true", False),
    ("NOT false", True),
    ("NOT (c.n = '5')", UNDEF),
    ("NOT c.n", UNDEF),
    ("NOT c.n = 4", True),  # NOT binds looser than comparison
    ("true OR false AND false", True),  # AND binds tighter than OR
    ("(true OR false) AND false", False),
    ("c.n IN (1, 5, 9)", True),
    ("c.n IN (1, 2)", False),
    ("c.n NOT IN (1, 2)", True),
    ("c.n IN (5.0)", True),
    ("c.s IN ('Hello', 'x')", True),
    ("c.obj.a IN ({b: 7})", True),
    ("c.missing IN (1)", UNDEF),
    ("c.missing NOT IN (1)", UNDEF),
    ("c.n IN (1, c.n)", True),
    ("c.n BETWEEN 1 AND 5", True),
    ("c.n BETWEEN 6 AND 9", False),
    ("c.n NOT BETWEEN 6 AND 9", True),
    ("c.f BETWEEN 2 AND 3 AND c.n = 5", True),
    ("c.s BETWEEN 'A' AND 'Z'", True),
    ("c.n BETWEEN 'a' AND 'z'", UNDEF),
    ("c.missing BETWEEN 1 AND 2", UNDEF),
    ("c.s LIKE 'He%'", True),
    ("c.s LIKE 'h%'", False),
    ("c.s LIKE 'H_llo'", True),
    ("c.s LIKE 'H_lo'", False),
    ("c.s NOT LIKE '%x%'", True),
    ("'50%' LIKE '50!%' ESCAPE '!'", True),
    ("'500' LIKE '50!%' ESCAPE '!'", False),
    ("'a.c' LIKE 'a.c'", True),
    ("'abc' LIKE 'a.c'", False),  # regex metacharacters are literal
    ("c.n LIKE '5'", UNDEF),
    ("c.n > 3 ? 'big' : 'small'", "big"),
    ("c.missing ? 'yes' : 'no'", "no"),
    ("c.missing ?? 'd'", "d"),
    ("c.z ?? 'd'", None),  # null is defined
    ("c.n ?? 'd'", 5),
]

LITERALS = [
    ("'it\\'s'", "it's"),
    ('"say \\"hi\\""', 'say "hi"'),
    ("'\\u0041\\n\\t'", "A\n\t"),
    ('"single \' inside"', "single ' inside"),
    ("'back\\\\slash'", "back\\slash"),
    ("1.5e2", 150.0),
    ("0.25", 0.25),
    ("42", 42),
    ("true", True),
    ("FALSE", False),
    ("null", None),
    ("undefined", UNDEF),
    ("[1, c.missing, 2]", [1, 2]),
    ("{a: 1, b: c.missing}", {"a": 1}),
    ('{"quoted key": c.n, nested: {x: c.obj.x}}', {"quoted key": 5, "nested": {"x": "y"}}),
    ("[]", []),
    ("{}", {}),
]

FUNCTIONS = [
    ("IS_DEFINED(c.n)", True),
    ("IS_DEFINED(c.missing)", False),
    ("IS_DEFINED(c.z)", True),
    ("IS_NULL(c.z)", True),
    ("IS_NULL(c.missing)", False),
    ("IS_NULL(c.n)", False),
    ("IS_STRING(c.s)", True),
    ("IS_STRING(c.n)", False),
    ("IS_NUMBER(c.f)", True),
    ("IS_NUMBER(c.t)", False),  # a boolean is not a number
    ("IS_NUMBER(c.missing)", False),
    ("IS_BOOL(c.t)", True),
    ("IS_BOOL(c.n)", False),
    ("IS_ARRAY(c.arr)", True),
    ("IS_ARRAY(c.obj)", False),
    ("IS_OBJECT(c.obj)", True),
    ("IS_OBJECT(c.arr)", False),
    ("IS_PRIMITIVE(c.z)", True),
    ("IS_PRIMITIVE(c.arr)", False),
    ("STARTSWITH(c.s, 'He')", True),
    ("STARTSWITH(c.s, 'he')", False),
    ("STARTSWITH(c.s, 'he', true)", True),
    ("STARTSWITH(c.s, 'he', false)", False),
    ("STARTSWITH(c.n, '5')", UNDEF),
    ("STARTSWITH(c.missing, 'a')", UNDEF),
    ("ENDSWITH(c.s, 'lo')", True),
    ("ENDSWITH(c.s, 'LO')", False),
    ("ENDSWITH(c.s, 'LO', true)", True),
    ("CONTAINS(c.s, 'ell')", True),
    ("CONTAINS(c.s, 'ELL')", False),
    ("CONTAINS(c.s, 'ELL', true)", True),
    ("CONTAINS(c.s, 1)", UNDEF),
    ("ARRAY_CONTAINS(c.arr, 1)", True),
    ("ARRAY_CONTAINS(c.arr, 'two')", True),
    ("ARRAY_CONTAINS(c.arr, '1')", False),
    ("ARRAY_CONTAINS([true], 1)", False),
    ("ARRAY_CONTAINS(c.arr, {k: 3})", True),
    ("ARRAY_CONTAINS(c.arr, {k: 3, j: 1})", False),
    ("ARRAY_CONTAINS([{a: 1, b: 2}], {a: 1})", False),  # full match by default
    ("ARRAY_CONTAINS([{a: 1, b: 2}], {a: 1}, true)", True),  # partial match
    ("ARRAY_CONTAINS([{a: 1, b: 2}], {a: 2}, true)", False),
    ("ARRAY_CONTAINS(c.s, 'H')", UNDEF),
    ("ARRAY_CONTAINS(c.missing, 1)", UNDEF),
    ("LOWER(c.s)", "hello"),
    ("UPPER(c.s)", "HELLO"),
    ("LOWER(c.n)", UNDEF),
    ("LENGTH(c.s)", 5),
    ("LENGTH(c.n)", UNDEF),
    ("ARRAY_LENGTH(c.arr)", 3),
    ("ARRAY_LENGTH(c.s)", UNDEF),
    ("is_defined(c.n)", True),  # function names are case-insensitive
    ("Lower(c.s)", "hello"),
    ("CONCAT(c.s, '-', 'x')", "Hello-x"),
    ("CONCAT(c.s, c.n)", UNDEF),
    ("SUBSTRING(c.s, 1, 3)", "ell"),
    ("INDEX_OF(c.s, 'l')", 2),
    ("INDEX_OF(c.s, 'q')", -1),
    ("REPLACE(c.s, 'l', 'L')", "HeLLo"),
    ("TRIM('  a ')", "a"),
    ("LTRIM('  a ')", "a "),
    ("RTRIM('  a ')", "  a"),
    ("ABS(c.neg)", 7),
    ("FLOOR(c.f)", 2),
    ("CEILING(c.f)", 3),
    ("ROUND(2.5)", 3),
    ("ROUND(-2.5)", -3),  # half away from zero
    ("ROUND(2.4)", 2),
]


@pytest.mark.parametrize(
    ("expr", "expected"),
    PATHS + ARITHMETIC + COMPARISONS + LOGIC + LITERALS + FUNCTIONS,
)
def test_value(expr: str, expected: object) -> None:
    actual = value_of(expr, params=[{"name": "@p", "value": 5}])
    assert same(actual, expected), f"{expr}: got {actual!r}, expected {expected!r}"


def test_whole_integer_division_stays_int() -> None:
    assert type(value_of("10 / 5")) is int
    assert type(value_of("10 / 4")) is float
    assert type(value_of("2.0 * 3")) is float  # float operand: stays float


WHERE_DOCS = [
    {"id": "num", "v": 1},
    {"id": "float", "v": 1.0},
    {"id": "str", "v": "1"},
    {"id": "bool", "v": True},
    {"id": "null", "v": None},
    {"id": "missing"},
    {"id": "arr", "v": [1]},
    {"id": "obj", "v": {"a": 1}},
]


@pytest.mark.parametrize(
    ("where", "expected_ids"),
    [
        ("c.v = 1", ["num", "float"]),
        ("c.v != 1", []),  # only numbers are comparable with 1; they are equal
        ("c.v != 2", ["num", "float"]),
        ("c.v = '1'", ["str"]),
        ("c.v = true", ["bool"]),
        ("c.v = null", ["null"]),
        ("c.v != null", []),  # every other type vs null is undefined
        ("NOT IS_DEFINED(c.v)", ["missing"]),
        ("IS_DEFINED(c.v) = false", ["missing"]),
        ("NOT (c.v = 1)", []),  # NOT of undefined stays undefined
        ("c.v > 0", ["num", "float"]),
        ("c.v >= ''", ["str"]),
        ("c.v = [1]", ["arr"]),
        ("c.v = {a: 1}", ["obj"]),
        ("c.v IN (1, '1')", ["num", "float", "str"]),
        ("c.v = 1 OR c.v = '1'", ["num", "float", "str"]),
        ("c.v", ["bool"]),  # a bare value filters only when it is exactly true
        ("c.v ?? false", ["bool"]),
        ("IS_NUMBER(c.v) AND c.v < 2", ["num", "float"]),
        ("true", [d["id"] for d in WHERE_DOCS]),
        ("false", []),
        ("1", []),
    ],
)
def test_where_keeps_only_exactly_true(where: str, expected_ids: list[str]) -> None:
    rows = run_query(f"SELECT VALUE c.id FROM c WHERE {where}", None, WHERE_DOCS)
    assert rows == expected_ids


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("SELECT VALUE STARTSWITH(c.s) FROM c", "STARTSWITH"),
        ("SELECT VALUE IS_DEFINED(c.a, c.b) FROM c", "IS_DEFINED"),
        ("SELECT VALUE LOWER() FROM c", "LOWER"),
        ("SELECT * FROM c WHERE d.x = 1", "'d' could not be resolved"),
        ("SELECT VALUE x FROM c", "'x' could not be resolved"),
        ("SELECT * FROM c WHERE c.n = @nope", "@nope"),
        ("SELECT * FROM c WHERE COUNT(1) > 1", "COUNT"),
    ],
)
def test_compile_errors_name_the_problem(query: str, message: str) -> None:
    with pytest.raises(QueryError) as info:
        run_query(query, None, [DOC])
    assert message in str(info.value)
