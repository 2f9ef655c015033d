"""Declared types a SQL loader accepts forever: the real tap CLI against the emulator.

Each test replays the tap's output as a loader would: the latest SCHEMA of the stream must
validate every RECORD, no property's declared type may change within a run or between runs,
and every source value must be found either in its property or in `_sdc_rescued_data`.
"""

from __future__ import annotations

import copy
import json
import typing as t

import fastjsonschema

from tests.tap.conftest import TapRun

RESCUED = "_sdc_rescued_data"


def _replay(run: TapRun, stream: str) -> dict[str, dict[str, t.Any]]:
    """Validate each record against the stream's latest SCHEMA; return records by id."""
    assert run.returncode == 0, run.stderr[-3000:]
    validate = None
    declared: dict[str, t.Any] = {}
    records: dict[str, dict[str, t.Any]] = {}
    for message in run.messages:
        if message.get("stream") != stream:
            continue
        if message["type"] == "SCHEMA":
            props = message["schema"]["properties"]
            for name, node in declared.items():
                assert _column(props[name]) == _column(node), f"{name} redeclared"
            declared = copy.deepcopy(props)
            validate = fastjsonschema.compile(message["schema"])
        elif message["type"] == "RECORD":
            assert validate is not None
            validate(message["record"])
            records[message["record"]["id"]] = message["record"]
    return records


def _column(node: dict[str, t.Any]) -> tuple[t.Any, ...]:
    """What a SQL loader makes a column from: the type list and format."""
    return (node.get("type"), node.get("format"))


def _found(record: dict[str, t.Any], name: str) -> t.Any:
    """The source value of `name`: its property, or the rescued copy."""
    rescued = record.get(RESCUED) or {}
    if name in rescued:
        assert record.get(name) is None
        return rescued[name]
    return record[name]


def _declared(run: TapRun, stream: str) -> dict[str, t.Any]:
    return run.schemas(stream)[-1]["schema"]["properties"]


def test_whole_numbers_are_declared_number_so_a_fraction_arrives_intact(tap_env):
    items = tap_env.container("items")
    for i in range(10):
        items.upsert_item({"id": f"d{i}", "pk": "p", "dep_delay": i * 3, "_note": "x"})
    catalog = tap_env.discover()
    props = catalog["streams"][0]["schema"]["properties"]
    assert props["dep_delay"]["type"] == ["number", "null"]
    assert props["_ts"]["type"] == ["integer", "null"]
    assert props["_lsn"]["type"] == ["integer", "null"]
    assert props[RESCUED]["type"] == ["object", "null"]
    first = tap_env.run(catalog=catalog)
    _replay(first, "items")

    items.upsert_item({"id": "d4", "pk": "p", "dep_delay": 2.5, "_note": "x"})
    second = tap_env.run(catalog=tap_env.discover(), state=first.last_state)
    records = _replay(second, "items")
    assert records["d4"]["dep_delay"] == 2.5
    assert RESCUED not in records["d4"]
    assert len(second.schemas("items")) == 1


def test_values_that_change_type_are_rescued_exactly_and_types_stay(tap_env):
    items = tap_env.container("items")
    meta = {"source": "web", "tags": ["a", "b"]}
    for i in range(12):
        items.upsert_item(
            {"id": f"d{i}", "pk": "p", "amount": i + 0.5, "flag": i % 2 == 0, "meta": meta}
        )
    first = tap_env.run()
    before = _replay(first, "items")
    assert before["d3"]["meta"] == meta
    declared = _declared(first, "items")
    assert declared["flag"]["type"] == ["boolean", "null"]
    assert declared["meta"]["type"] == ["object", "null"]

    changed = {"id": "d3", "pk": "p", "amount": "12.50 EUR", "flag": "yes", "meta": "plain"}
    items.upsert_item(changed)
    items.upsert_item({"id": "d5", "pk": "p", "amount": True, "flag": None, "meta": [1, 2]})
    second = tap_env.run(state=first.last_state)
    records = _replay(second, "items")
    assert records["d3"][RESCUED] == {"amount": "12.50 EUR", "flag": "yes", "meta": "plain"}
    assert records["d3"]["amount"] is None
    assert records["d5"][RESCUED] == {"amount": True, "meta": [1, 2]}
    assert records["d5"]["flag"] is None
    for name in ("amount", "flag", "meta"):
        assert _column(_declared(second, "items")[name]) == _column(declared[name])
    assert len(second.schemas("items")) == 1


def test_a_fresh_discovery_over_a_changed_sample_declares_the_same_types(tap_env):
    items = tap_env.container("items")
    for i in range(6):
        items.upsert_item({"id": f"d{i}", "pk": "p", "v": i, "when": f"2024-01-0{i + 1}T00:00:00Z"})
    first = tap_env.run(catalog=tap_env.discover())
    _replay(first, "items")
    assert _declared(first, "items")["v"]["type"] == ["number", "null"]
    state = first.last_state
    assert state["bookmarks"]["items"]["declared_schema"]["v"] == {"type": ["number", "null"]}
    assert len(json.dumps(state["bookmarks"]["items"]["declared_schema"])) < 500

    # Every document now has strings: a fresh sample alone would declare `v` a string.
    for i in range(6):
        items.upsert_item({"id": f"d{i}", "pk": "p", "v": f"s{i}", "when": "soon"})
    fresh = tap_env.discover()
    fresh_props = fresh["streams"][0]["schema"]["properties"]
    assert fresh_props["v"]["type"] == ["string", "null"]
    assert "format" not in fresh_props["when"]
    second = tap_env.run(catalog=fresh, state=state)
    records = _replay(second, "items")
    assert _declared(second, "items")["v"]["type"] == ["number", "null"]
    assert _declared(second, "items")["when"]["format"] == "date-time"
    assert all(r[RESCUED] == {"v": f"s{r['id'][1:]}", "when": "soon"} for r in records.values())
    assert len(records) == 6

    # A property the user pins in the catalog (e.g. a Meltano `schema:` override) wins.
    pinned = copy.deepcopy(fresh)
    pinned["streams"][0]["schema"]["properties"]["v"] = {"type": ["string", "null"]}
    third = tap_env.run(catalog=pinned, state=first.last_state)
    records = _replay(third, "items")
    assert records["d2"]["v"] == "s2"
    assert _declared(third, "items")["v"] == {"type": ["string", "null"]}


def test_date_keyed_maps_never_widen_key_by_key(tap_env):
    items = tap_env.container("items")
    docs = [
        {"id": f"d{i}", "pk": f"p{i % 7}", "counts": {f"2024-01-{1 + i % 28:02d}-{i}": i}}
        for i in range(400)
    ]
    for doc in docs:
        items.upsert_item(doc)
    first = tap_env.run(tap_env.config(schema_sample_size=50))
    records = _replay(first, "items")
    assert len(first.schemas("items")) <= 10
    assert _declared(first, "items")["counts"] == {"type": ["object", "null"]}
    assert all(records[d["id"]]["counts"] == d["counts"] for d in docs)

    # A map born after discovery: declared once, as a map.
    late = [
        {"id": f"late{i}", "pk": "p", "by_user": {f"u{i:05d}-{i * 7919:08x}": i}} for i in range(60)
    ]
    for doc in late:
        items.upsert_item(doc)
    second = tap_env.run(tap_env.config(schema_sample_size=50), state=first.last_state)
    records = _replay(second, "items")
    assert len(second.schemas("items")) <= 2
    assert all(_found(records[d["id"]], "by_user") == d["by_user"] for d in late)


def test_late_properties_are_declared_once_and_later_runs_keep_them(tap_env):
    items = tap_env.container("items")
    for i in range(5):
        items.upsert_item({"id": f"d{i}", "pk": "p", "n": i})
    first = tap_env.run(catalog=tap_env.discover())
    _replay(first, "items")

    late = []
    for i in range(20):
        doc = {"id": f"late{i}", "pk": "p", "n": i, "note": f"n{i}", "obj": {"a": i, "b": "x"}}
        items.upsert_item(doc)
        late.append(doc)
    second = tap_env.run(
        catalog=tap_env.discover(tap_env.config(schema_sample_size=2)), state=first.last_state
    )
    records = _replay(second, "items")
    assert len(second.schemas("items")) == 2
    declared = _declared(second, "items")
    assert declared["note"]["type"] == ["string", "null"]
    assert declared["obj"]["properties"]["a"]["type"] == ["number", "null"]
    for doc in late:
        assert records[doc["id"]]["note"] == doc["note"]
        assert records[doc["id"]]["obj"] == doc["obj"]

    # The next run (a sample that misses them) still declares them up front, unchanged.
    items.upsert_item({"id": "late3", "pk": "p", "n": 3, "note": 7, "obj": {"a": "A"}})
    third = tap_env.run(tap_env.config(schema_sample_size=2), state=second.last_state)
    records = _replay(third, "items")
    assert len(third.schemas("items")) == 1
    assert _declared(third, "items")["note"]["type"] == ["string", "null"]
    assert records["late3"][RESCUED] == {"note": 7, "obj": {"a": "A"}}


def test_integers_above_2_53_and_extreme_numbers_are_intact(tap_env):
    items = tap_env.container("items")
    values = [2**53 + 1, -(2**63) - 7, 1.797e308, 5e-324, 12345678901234567890123]
    for i, value in enumerate(values):
        items.upsert_item({"id": f"d{i}", "pk": "p", "big": value})
    run = tap_env.run()
    records = _replay(run, "items")
    assert _declared(run, "items")["big"]["type"] == ["number", "null"]
    assert [records[f"d{i}"]["big"] for i in range(len(values))] == values
    assert all(type(records[f"d{i}"]["big"]) is type(v) for i, v in enumerate(values))


def test_schema_mode_document_emits_the_whole_item(tap_env):
    items = tap_env.container("items")
    doc = {"id": "a", "pk": "p", "n": 1, "deep": {"x": [1, {"y": "z"}]}, "s": "é"}
    items.upsert_item(doc)
    items.upsert_item({"id": "b", "pk": "q", "n": "text"})
    config = tap_env.config(schema_mode="document")
    catalog = tap_env.discover(config)
    props = catalog["streams"][0]["schema"]["properties"]
    assert set(props) == {"_sdc_partition_key", "id", "_ts", "_lsn", "document"}
    assert props["document"]["type"] == ["object", "null"]
    run = tap_env.run(config, catalog=catalog)
    records = _replay(run, "items")
    assert set(records["a"]) == {"_sdc_partition_key", "id", "_ts", "_lsn", "document"}
    document = records["a"]["document"]
    assert {k: document[k] for k in doc} == doc
    assert document["_ts"] == records["a"]["_ts"]
    assert not {"_rid", "_self", "_attachments", "_sdc_partition_key"} & set(document)
    assert records["b"]["document"]["n"] == "text"
    assert records["b"]["_sdc_partition_key"] == '["q"]'
    assert len(run.schemas("items")) == 1


def test_rescued_data_is_kept_when_a_catalog_selects_only_some_properties(tap_env):
    items = tap_env.container("items")
    for i in range(4):
        items.upsert_item({"id": f"d{i}", "pk": "p", "amount": i, "other": "x"})
    catalog = tap_env.discover()
    stream = catalog["streams"][0]
    for entry in stream["metadata"]:
        if entry["breadcrumb"] == []:
            entry["metadata"]["selected"] = True
        elif entry["breadcrumb"][-1] in ("other", RESCUED):
            entry["metadata"]["selected"] = False
    rescued = [e for e in stream["metadata"] if e["breadcrumb"] == ["properties", RESCUED]]
    assert rescued[0]["metadata"]["inclusion"] == "automatic"
    items.upsert_item({"id": "d1", "pk": "p", "amount": "one", "other": "y"})
    run = tap_env.run(catalog=catalog)
    records = _replay(run, "items")
    assert "other" not in records["d0"]
    assert records["d1"][RESCUED] == {"amount": "one"}
    assert records["d1"]["amount"] is None
