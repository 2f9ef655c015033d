"""azure-cosmos decodes response bodies through msgspec exactly as ``json.loads`` does.

``tap_cosmosdb.compat.install_fast_json`` swaps the decoder of azure-cosmos's
``_synchronized_request``; these tests hold it to ``json.loads``'s results on a nasty corpus,
directly and through the real SDK reading the emulator.
"""

from __future__ import annotations

import json
import math
import random
import struct
import typing as t

import pytest
from azure.cosmos import PartitionKey, _synchronized_request

from tap_cosmosdb.compat import (
    PRIVATE_USES,
    fast_json_loads,
    install_fast_json,
    uninstall_fast_json,
)


def _outcome(loads: t.Callable[[str], t.Any], text: str) -> tuple[str, str]:
    """A comparable outcome: the value's repr (keeps key order, -0.0, nan, int vs float) or the
    error class."""
    try:
        return ("value", _typed_repr(loads(text)))
    except Exception as exc:
        return ("error", type(exc).__name__)


def _typed_repr(value: t.Any) -> str:
    if isinstance(value, dict):
        return "{" + ",".join(f"{k!r}:{_typed_repr(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_typed_repr(v) for v in value) + "]"
    return f"{type(value).__name__}:{value!r}"


NASTY = [
    "18446744073709551616",  # 2**64
    "-18446744073709551617",
    "340282366920938463463374607431768211457",
    "9223372036854775807",
    "-9223372036854775808",
    "1" + "0" * 4299,  # the longest integer int() accepts by default
    "1" + "0" * 4300,  # one digit too many: both refuse
    "-0",
    "-0.0",
    "0.0",
    "-0e0",
    "1e400",
    "-1e400",
    "1e-400",
    "4.9406564584124654e-324",
    "2.2250738585072014e-308",
    "1.7976931348623157e308",
    "1.7976931348623159e308",
    "0.1",
    "0.30000000000000004",
    "123456789012345678901234567890.5",
    "1E2",
    "1e+2",
    "1.5E-3",
    "0." + "1" * 800,
    "NaN",
    "Infinity",
    "-Infinity",
    '[NaN, {"a": Infinity}]',
    '{"a": 1, "a": 2, "b": 3}',
    '{"b": 1, "a": {"b": 2, "b": [3]}, "b": null}',
    r'"\ud800"',
    r'"\udc00x"',
    r'"\ud83d\ude00"',
    r'"\ud83d"',
    r'"\u0000\/\b\f\n\r\t\"\\"',
    r'"\u00e9\u4e2d"',
    '"\u00e9\u4e2d\U0001f600"',
    '"\ud800"',  # a lone surrogate in the str itself
    '"a\tb"',
    '"a\x00b"',
    r'"\x41"',
    "\ufeff{}",
    " \r\n\t{ } ",
    "\x0b{}",
    "{}x",
    "{} {}",
    "",
    "01",
    "+1",
    "1.",
    ".5",
    "true",
    "True",
    "null",
    '{"a":[1,2.0,"3",true,false,null,{},[]]}',
    "[" * 50 + "]" * 50,
    "[" * 2000 + "]" * 2000,
    '{"a":' * 2000 + "1" + "}" * 2000,
]


@pytest.mark.parametrize("text", NASTY, ids=range(len(NASTY)))
def test_same_outcome_as_json_loads(text: str) -> None:
    assert _outcome(fast_json_loads, text) == _outcome(json.loads, text)


def test_same_floats_as_json_loads() -> None:
    rng = random.Random(14)
    texts = []
    for _ in range(20_000):  # every kind of double, as Python writes it
        (value,) = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))
        if math.isfinite(value):
            texts.append(repr(value))
    for _ in range(20_000):  # as other writers may: up to 25 digits, any exponent
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 25)))
        point = rng.randint(0, len(digits))
        mantissa = (digits[:point].lstrip("0") or "0") + (
            "." + digits[point:] if point < len(digits) else ""
        )
        texts.append(f"{rng.choice(['', '-'])}{mantissa}e{rng.randint(-340, 320)}")
    body = "[" + ",".join(texts) + "]"
    assert _typed_repr(fast_json_loads(body)) == _typed_repr(json.loads(body))


def test_bytes_go_to_json_loads() -> None:
    # json.loads detects UTF-16/32 in bytes; only str takes the msgspec path.
    data = '{"a": "\u00e9"}'.encode("utf-16")
    assert fast_json_loads(data) == json.loads(data)


def test_installed_where_azure_cosmos_decodes_bodies() -> None:
    fingerprinted = "azure.cosmos._synchronized_request._Request"
    assert fingerprinted in PRIVATE_USES  # tests/tap/test_compat.py checks the source
    try:
        install_fast_json()
        install_fast_json()
        module_json = _synchronized_request.json
        assert module_json.loads is fast_json_loads
        assert module_json.dumps is json.dumps  # everything else is the json module's
    finally:
        uninstall_fast_json()
    assert _synchronized_request.json is json


#: Documents the emulator stores and serves back: values at the edges of what JSON carries.
DOCUMENTS: list[dict[str, t.Any]] = [
    {"id": "ints", "v": [2**64, -(2**64) - 1, 2**63 - 1, -(2**63), 10**30, 0, -1]},
    {"id": "floats", "v": [-0.0, 0.0, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308]},
    {"id": "decimals", "v": [0.1, 0.30000000000000004, 1e22, 1.5e-7, 123456.789]},
    {"id": "text", "v": ["\u00e9\u4e2d\U0001f600", '\u0000\b\f\n\r\t"\\/', "\u2028\u2029"]},
    {"id": "nested", "v": {"b": {"c": [[[{"d": None}]]]}, "a": [True, False, {}, []]}},
    {"id": "order", "z": 1, "a": 2, "m": {"y": 1, "b": 2}},
    {"id": "deep", "v": json.loads("[" * 120 + "]" * 120)},
]


def _read_all(container: t.Any) -> list[str]:
    query = [
        _typed_repr(d)
        for d in container.query_items("SELECT * FROM c", enable_cross_partition_query=True)
    ]
    feed = [
        _typed_repr(d)
        for d in container.query_items_change_feed(start_time="Beginning", max_item_count=3)
    ]
    return sorted(query) + sorted(feed)


def test_sdk_reads_the_same_documents_with_either_decoder(cosmosdb_emulator, database_name):
    client = cosmosdb_emulator.client()
    database = client.create_database(database_name)
    try:
        container = database.create_container("c", PartitionKey(path="/id"))
        for document in DOCUMENTS:
            container.create_item(document)
        uninstall_fast_json()
        expected = _read_all(container)
        try:
            install_fast_json()
            got = _read_all(container)
        finally:
            uninstall_fast_json()
        assert len(expected) == 2 * len(DOCUMENTS)
        assert got == expected
        # The documents came back as written (the corpus reached the decoder intact).
        by_id = {
            d["id"]: d
            for d in container.query_items("SELECT * FROM c", enable_cross_partition_query=True)
        }
        assert by_id["ints"]["v"] == DOCUMENTS[0]["v"]
        assert str(by_id["floats"]["v"][0]) == "-0.0"
    finally:
        client.delete_database(database_name)
