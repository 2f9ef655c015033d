"""The line reader parses with msgspec and falls back to json.loads: same messages, same errors."""

from __future__ import annotations

import decimal
import io
import json
import math

import pytest

from target_cosmosdb.errors import TargetCosmosDBError
from target_cosmosdb.reader import LineNumberingReader

LINES = [
    '{"type": "RECORD", "stream": "s", "record": {"id": "1", "n": 12345678901234567890123}}',
    '{"type": "RECORD", "stream": "s", "record": {"p": 1.10, "e": 1E+2, "z": -0.0, "i": -7}}',
    '{"type": "RECORD", "stream": "s", "record": {"big": 1e400, "tiny": 1e-400}}',
    '{"type":"RECORD","stream":"s","record":{"a":1,"a":2,"u":"\\u00e9\\ud83d\\ude00 \\u0000"}}',
    '{"type": "RECORD", "stream": "s", "record": {"nested": [[{"x": [true, false, null]}]]}}',
    '  {"type": "STATE", "value": {"k": "v"}}  \n',
    '{"type": "RECORD", "stream": "s", "record": {"é": "ü\x7f"}}',
    # json.loads accepts these and msgspec refuses them: parsed by the fallback.
    '{"type": "RECORD", "stream": "s", "record": {"x": NaN, "y": Infinity, "z": -Infinity}}',
    '{"type": "RECORD", "stream": "s", "record": {"lone": "\\ud800"}}',
]


def _same(a, b):
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b and str(a) == str(b)


@pytest.mark.parametrize("line", LINES, ids=range(len(LINES)))
def test_parsed_exactly_as_json_loads(line):
    expected = json.loads(line, parse_float=decimal.Decimal)
    assert _same(LineNumberingReader().deserialize_json(line), expected)


_UTF8_PREFIX = '{"type": "RECORD", "record": {"id": "b'
BAD = [
    ('{"type": "RECORD"} x', "is not valid JSON (Extra data at column 20)"),
    ('{"a": "x\ty"}', "is not valid JSON (Invalid control character at"),
    ("{'a': 1}", "is not valid JSON (Expecting property name enclosed in double quotes"),
    ('{"a": .5}', "is not valid JSON (Expecting value at column 7)"),
    ('["RECORD"]', "is not a Singer message (a JSON object)"),
    ("[" * 100_000 + "]" * 100_000, "is nested too deeply to parse"),
    # Bytes that are not UTF-8, as stdin (errors="surrogateescape") hands them over.
    (
        _UTF8_PREFIX + b'\xff\xfe"}}'.decode("utf-8", "surrogateescape"),
        f"is not valid UTF-8 (undecodable bytes at character {len(_UTF8_PREFIX) + 1})",
    ),
]


@pytest.mark.parametrize(("line", "message"), BAD, ids=range(len(BAD)))
def test_bad_lines_are_named_as_json_loads_names_them(line, message):
    reader = LineNumberingReader()
    reader.line_number = 7
    with pytest.raises(TargetCosmosDBError) as caught:
        reader.deserialize_json(line)
    assert str(caught.value).startswith(f"Input line 7 {message}")


def test_blank_lines_are_skipped_and_counted():
    seen: list[tuple[int, dict]] = []
    reader = LineNumberingReader()
    text = '\n  \t\n{"type": "STATE", "value": 1}\n\u3000\u00a0\n\n{"type": "STATE", "value": 2}\n'
    counts = reader.process_lines(
        io.StringIO(text),
        {"STATE": lambda message: seen.append((reader.line_number, message))},
    )
    assert [(n, m["value"]) for n, m in seen] == [(3, 1), (6, 2)]
    assert counts == {"STATE": 2}
    with pytest.raises(TargetCosmosDBError, match="Input line 2 "):
        LineNumberingReader().process_lines(io.StringIO("\n\x0bx\n"), {})
