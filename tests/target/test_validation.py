"""The compiled validator gives the same verdicts as singer-sdk's jsonschema validator."""

from __future__ import annotations

import decimal

import pytest
from singer_sdk.exceptions import InvalidRecord
from singer_sdk.sinks.core import JSONSchemaValidator

from target_cosmosdb.validation import FastJSONSchemaValidator

SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "n": {"type": ["integer", "null"]},
        "price": {"type": "number", "minimum": 0},
        "when": {"type": "string", "format": "date-time"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "kind": {"type": "string", "enum": ["a", "b"]},
        "nested": {
            "type": "object",
            "properties": {"x": {"type": "boolean"}},
            "required": ["x"],
        },
        "with_default": {"type": "string", "default": "filled"},
    },
    "required": ["id"],
}

RECORDS = [
    {"id": "ok"},
    {"id": "ok", "n": 3, "price": decimal.Decimal("1.5"), "tags": ["x"], "kind": "a"},
    {"id": "ok", "when": "not a date"},  # formats are not checked by either
    {"id": "ok", "n": None, "nested": {"x": True}},
    {"n": 1},  # missing required id
    {"id": 5},
    {"id": "x", "n": "3"},
    {"id": "x", "n": 1.5},
    {"id": "x", "n": True},
    {"id": "x", "price": -1},
    {"id": "x", "price": "1"},
    {"id": "x", "tags": ["a", 1]},
    {"id": "x", "kind": "c"},
    {"id": "x", "nested": {}},
    {"id": "x", "nested": {"x": "yes"}},
    {"id": "x", "extra": object()},  # additional properties allowed by both
]


def _verdict(validator, record) -> bool:
    try:
        validator.validate(dict(record))
    except InvalidRecord:
        return False
    return True


@pytest.mark.parametrize("record", RECORDS, ids=[str(i) for i in range(len(RECORDS))])
def test_same_verdict_as_jsonschema(record):
    fast = FastJSONSchemaValidator(SCHEMA)
    reference = JSONSchemaValidator(SCHEMA)
    assert _verdict(fast, record) == _verdict(reference, record)


def test_verdicts_are_not_all_the_same():
    fast = FastJSONSchemaValidator(SCHEMA)
    verdicts = [_verdict(fast, r) for r in RECORDS]
    assert verdicts.count(True) == 5
    assert verdicts.count(False) == len(RECORDS) - 5


def test_defaults_are_not_injected():
    record = {"id": "x"}
    FastJSONSchemaValidator(SCHEMA).validate(record)
    assert record == {"id": "x"}


def test_message_names_the_field():
    with pytest.raises(InvalidRecord, match=r"data\.price must be bigger than or equal to 0"):
        FastJSONSchemaValidator(SCHEMA).validate({"id": "x", "price": -2})


def test_unknown_draft_still_validates():
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **SCHEMA}
    assert not _verdict(FastJSONSchemaValidator(schema), {"id": 1})
    assert _verdict(FastJSONSchemaValidator(schema), {"id": "1"})
