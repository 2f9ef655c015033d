"""Write the bad-input corpus: ``NAME.singer`` files and their ``NAME.expected.json`` sidecars.

Run ``python tests/reliability/bad_input/make_corpus.py`` to regenerate. The expected outcomes
are written here from the rules the target promises (team rules and target README), not copied
from a run:

``exit_code``        the target's exit code.
``error``            substring of the last non-empty stderr line (only for failing runs).
``config``           extra target settings; ``"dead_letter_path": true`` means "a file in the
                     test's temporary folder".
``dead_letters``     the exact dead letters, in order: ``{"line", "id", "reason"}`` where
                     ``reason`` is a substring of the recorded reason.
``written``          the exact ids the destination holds after the run (successful runs).
``never_written``    ids that must not be in the destination.
``documents``        id -> the exact document (without system properties) expected.
``states``           the exact list of states the target prints.
``known_bug``        a reported, not yet fixed bug: the file's test is a strict xfail.

Every file also gets the generic check: each state the target prints is a STATE of the input,
and every record before that STATE is in the destination or in the dead-letter file.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROPS = {"id": {"type": "string"}, "n": {"type": ["integer", "null"]}}


def schema(props: dict | None = None, stream: str = "s", keys: list[str] | None = None) -> str:
    return json.dumps(
        {
            "type": "SCHEMA",
            "stream": stream,
            "schema": {"type": "object", "properties": props or PROPS},
            "key_properties": ["id"] if keys is None else keys,
        }
    )


def rec(record: dict, stream: str = "s") -> str:
    return json.dumps({"type": "RECORD", "stream": stream, "record": record}, ensure_ascii=False)


def state(pos: int) -> str:
    return json.dumps({"type": "STATE", "value": {"pos": pos}})


def nested(depth: int) -> dict:
    node: dict = {"leaf": "bottom"}
    for i in range(depth):
        node = {f"k{i % 3}": node}
    return node


CORPUS: dict[str, tuple[list[str] | bytes, dict]] = {}


def add(name: str, lines: list[str] | bytes, expected: dict) -> None:
    CORPUS[name] = (lines, expected)


DL = {"dead_letter_path": True}

add(
    "malformed_json",
    [
        schema(),
        rec({"id": "a", "n": 1}),
        state(1),
        rec({"id": "b", "n": 2}),
        '{"type": "RECORD", "stream": "s", "record": {"id": "x"',
        state(2),
    ],
    {"exit_code": 1, "error": "Input line 5 is not valid JSON", "never_written": ["x"]},
)
add(
    "not_an_object",
    [schema(), rec({"id": "a", "n": 1}), "[1, 2, 3]", state(1)],
    {"exit_code": 1, "error": "Input line 3 is not a Singer message", "states": []},
)
add(
    "unknown_type",
    [schema(), rec({"id": "a", "n": 1}), '{"type": "BOGUS"}', state(1)],
    {
        "exit_code": 1,
        "error": "Input line 3: unknown or missing message type 'BOGUS'",
        "states": [],
    },
)
add(
    "record_missing_fields",
    [schema(), rec({"id": "a", "n": 1}), '{"type": "RECORD", "stream": "s"}', state(1)],
    {"exit_code": 1, "error": "Input line 3", "states": []},
)
add(
    "record_before_schema",
    [rec({"id": "a", "n": 1}), schema(), state(1)],
    {
        "exit_code": 1,
        "error": "Input line 1: RECORD for stream 's' arrived before its SCHEMA",
        "never_written": ["a"],
        "states": [],
    },
)
add(
    "schema_violation",
    [schema(), rec({"id": "a", "n": 1}), state(1), rec({"id": "b", "n": "one"}), state(2)],
    {"exit_code": 1, "error": "line 4", "never_written": ["b"]},
)
add(
    "schema_violation_dead_letters",
    [
        schema(),
        rec({"id": "a", "n": 1}),
        rec({"id": "b", "n": "x"}),
        state(1),
        rec({"id": "c", "n": 3}),
        rec({"id": "d", "n": 1.5}),
        state(2),
    ],
    {
        "exit_code": 0,
        "config": DL,
        "written": ["a", "c"],
        "states": [{"pos": 2}],
        "dead_letters": [
            {"line": 3, "id": "b", "reason": "schema"},
            {"line": 6, "id": "d", "reason": "schema"},
        ],
    },
)
add(
    "missing_id",
    [schema({"k": {"type": "integer"}}, keys=["k"]), state(1), rec({"k": 1}), state(2)],
    {
        "exit_code": 1,
        "error": "record has no 'id' field",
        "states": [],
        "config": {"id_strategy": "field"},
    },
)
add(
    "missing_key_property",
    [schema(), rec({"id": "a", "n": 1}), state(1), rec({"n": 2}), state(2)],
    {"exit_code": 1, "error": "Input line 4: record for stream 's' lacks a key property"},
)
add(
    "null_id",
    [schema(), rec({"id": "a", "n": 1}), rec({"id": None, "n": 2}), state(1)],
    {"exit_code": 1, "error": "line 3", "states": []},
)
add(
    "huge_document",
    [
        schema(),
        rec({"id": "a", "n": 1}),
        state(1),
        rec({"id": "big", "n": 2, "blob": "x" * (2 * 1024 * 1024 + 10)}),
        state(2),
        rec({"id": "c", "n": 3}),
        state(3),
    ],
    {
        "exit_code": 0,
        "config": DL,
        "written": ["a", "c"],
        "states": [{"pos": 3}],
        "dead_letters": [{"line": 4, "id": "big", "reason": "2097152"}],
    },
)
ILLEGAL = ["a/b", "a\\b", "a?b", "a#b", "q" * 1024, "é" * 512]
add(
    "illegal_ids",
    [
        schema(),
        rec({"id": "ok-1", "n": 1}),
        *[rec({"id": i, "n": 0}) for i in ILLEGAL[:3]],
        state(1),
        *[rec({"id": i, "n": 0}) for i in ILLEGAL[3:]],
        rec({"id": "z" * 1023, "n": 2}),
        rec({"id": "ü" * 511, "n": 3}),
        state(2),
    ],
    {
        "exit_code": 0,
        "config": DL,
        "written": ["ok-1", "z" * 1023, "ü" * 511],
        "states": [{"pos": 2}],
        "dead_letters": [
            {"line": 3 + n + (n >= 3), "id": i, "reason": ""} for n, i in enumerate(ILLEGAL)
        ],
    },
)
add(
    "illegal_id_fails_run",
    [schema(), rec({"id": "a", "n": 1}), state(1), rec({"id": "x/y", "n": 2}), state(2)],
    {"exit_code": 1, "error": "line 4", "never_written": ["x/y"]},
)
add(
    "nan",
    [
        schema({"id": {"type": "string"}, "x": {}}),
        rec({"id": "a", "x": 1}),
        state(1),
        '{"type": "RECORD", "stream": "s", "record": {"id": "b", "x": NaN}}',
        state(2),
    ],
    {"exit_code": 1, "error": "field 'x' is nan", "never_written": ["b"]},
)
add(
    "infinity_nested",
    [
        schema({"id": {"type": "string"}, "deep": {}}),
        state(1),
        '{"type": "RECORD", "stream": "s", "record": {"id": "b", "deep": {"v": [1, -Infinity]}}}',
        state(2),
    ],
    {"exit_code": 1, "error": "field 'deep.v[1]' is -inf", "never_written": ["b"], "states": []},
)
add(
    "deep_nesting_ok",
    [schema({"id": {"type": "string"}, "d": {}}), rec({"id": "deep", "d": nested(90)}), state(1)],
    {
        "exit_code": 0,
        "written": ["deep"],
        "documents": {"deep": {"id": "deep", "d": nested(90)}},
        "states": [{"pos": 1}],
    },
)
add(
    "deep_nesting_extreme",
    [
        schema({"id": {"type": "string"}, "d": {}}),
        rec({"id": "a"}),
        state(1),
        '{"type": "RECORD", "stream": "s", "record": {"id": "deep", "d": '
        + '{"a": ' * 5000
        + "1"
        + "}" * 5000
        + "}}",
        state(2),
    ],
    {
        "exit_code": 1,
        "error": "Input line 4",
        "never_written": ["deep"],
    },
)
UNICODE = {
    "emoji-😀": "🇺🇳 flags and 👩‍👩‍👧 ZWJ",
    "e\u0301": "combining acute (NFD)",
    "\u00e9": "precomposed (NFC) - a different id",
    "مرحبا": "right-to-left \u202e override",
    "zero\u200bwidth": "zero width space",
    "sep": "line\u2028separator and paragraph\u2029separator",
    "nul": "nul \u0000 inside",
    "astral-\U0001d11e": "\U0001d11e musical symbol",
}
add(
    "unicode_edge_cases",
    [
        schema({"id": {"type": "string"}, "t": {"type": "string"}}),
        *[rec({"id": k, "t": v}) for k, v in UNICODE.items()],
        state(1),
    ],
    {
        "exit_code": 0,
        "written": sorted(UNICODE),
        "documents": {k: {"id": k, "t": v} for k, v in UNICODE.items()},
        "states": [{"pos": 1}],
    },
)
add(
    "invalid_utf8",
    (schema() + "\n" + rec({"id": "a", "n": 1}) + "\n" + state(1) + "\n").encode()
    + b'{"type": "RECORD", "stream": "s", "record": {"id": "b\xff\xfe", "n": 2}}\n'
    + (state(2) + "\n").encode(),
    {"exit_code": 1, "error": "Input line 4", "never_written": ["b"]},
)
add(
    "duplicates_last_wins",
    [
        schema(),
        rec({"id": "a", "n": 1}),
        state(1),
        rec({"id": "a", "n": 2}),
        rec({"id": "b", "n": 1}),
        rec({"id": "a", "n": 3}),
        state(2),
    ],
    {
        "exit_code": 0,
        "written": ["a", "b"],
        "documents": {"a": {"id": "a", "n": 3}, "b": {"id": "b", "n": 1}},
        "states": [{"pos": 2}],
    },
)
add("empty", [], {"exit_code": 0, "written": [], "states": []})
add(
    "states_only",
    [state(1), state(2), state(3)],
    {"exit_code": 0, "written": [], "states": [{"pos": 3}]},
)
add(
    "crlf_and_blank_lines",
    b"\r\n".join(
        x.encode()
        for x in [schema(), "", rec({"id": "a", "n": 1}), "   ", rec({"id": "b", "n": 2}), state(1)]
    ),
    {"exit_code": 0, "written": ["a", "b"], "states": [{"pos": 1}]},
)
add(
    "schema_change_mid_stream",
    [
        schema(),
        rec({"id": "a", "n": 1}),
        state(1),
        schema({"id": {"type": "string"}, "n": {"type": "string"}}),
        rec({"id": "b", "n": "two"}),
        state(2),
    ],
    {
        "exit_code": 0,
        "written": ["a", "b"],
        "documents": {"a": {"id": "a", "n": 1}, "b": {"id": "b", "n": "two"}},
        "states": [{"pos": 2}],
    },
)


def main() -> None:
    for old in HERE.glob("*.singer"):
        old.unlink()
    for old in HERE.glob("*.expected.json"):
        old.unlink()
    for name, (lines, expected) in CORPUS.items():
        data = lines if isinstance(lines, bytes) else "".join(f"{x}\n" for x in lines).encode()
        (HERE / f"{name}.singer").write_bytes(data)
        (HERE / f"{name}.expected.json").write_text(
            json.dumps(expected, indent=1, ensure_ascii=False) + "\n"
        )


if __name__ == "__main__":
    main()
