"""Partition keys: the shared mechanics, and the tap, the target and azure-cosmos agreeing on them."""

from __future__ import annotations

import decimal
import json
import typing as t
import uuid

import pytest
from azure.cosmos import PartitionKey
from azure.cosmos.partition_key import NonePartitionKeyValue
from singer_sdk.singerlib.json import serialize_json

from cosmosdb_shared.partition_key import (
    UNDEFINED,
    PartitionKeyDefinition,
    document_header_json,
    group_key,
    header_json,
    partition_key_components,
    path_parts,
    sdk_value,
)
from tap_cosmosdb.epk import EpkHasher
from tap_cosmosdb.records import change_to_record, document_to_record
from target_cosmosdb import partition_key as target_pk
from target_cosmosdb.documents import to_document
from target_cosmosdb.reader import LineNumberingReader


@pytest.mark.parametrize(
    ("path", "parts"),
    [
        ("/pk", ["pk"]),
        ("/a/b", ["a", "b"]),
        ('/"odd/name"/x', ["odd/name", "x"]),
        ('/"odd name"/x', ["odd name", "x"]),
        ("/'quoted'", ["quoted"]),
    ],
)
def test_path_parts_follow_the_sdk_parser(path, parts):
    assert path_parts(path) == parts


def test_path_must_start_with_slash():
    with pytest.raises(ValueError, match="does not start with '/'"):
        path_parts("pk")
    with pytest.raises(ValueError, match="does not start with '/'"):
        document_header_json({"pk": 1}, ["pk"])


def test_components_distinguish_undefined_from_null_and_follow_nesting():
    doc = {"id": "1", "a": {"b": 5}, "n": None, "odd/name": "x"}
    assert partition_key_components(doc, ["/a/b", "/n", "/missing", '/"odd/name"']) == [
        5,
        None,
        UNDEFINED,
        "x",
    ]
    assert partition_key_components({"a": 3}, ["/a/b"]) == [UNDEFINED]  # a is not an object


@pytest.mark.parametrize(
    ("doc", "paths", "expected"),
    [
        ({"pk": "AA"}, ["/pk"], '["AA"]'),
        ({"pk": 5}, ["/pk"], "[5]"),
        ({"pk": 2.5}, ["/pk"], "[2.5]"),
        ({"pk": True}, ["/pk"], "[true]"),
        ({"pk": None}, ["/pk"], "[null]"),
        ({"other": 1}, ["/pk"], "[{}]"),
        ({"t": "t1", "u": "u1"}, ["/t", "/u"], '["t1","u1"]'),
        ({"t": "t1"}, ["/t", "/u"], '["t1",{}]'),
        ({"a": {"b": "x"}}, ["/a/b"], '["x"]'),
        ({"a": "not-an-object"}, ["/a/b"], "[{}]"),
        ({"pk": "é"}, ["/pk"], '["\\u00e9"]'),
    ],
)
def test_document_header_json(doc, paths, expected):
    assert document_header_json(doc, paths) == expected
    assert header_json(partition_key_components(doc, paths)) == expected


@pytest.mark.parametrize(
    "value",
    ["AA", "", "é", "日本", "😀", "\ud800", '"q\\/', "\x00\x1f\x7f", "a\u2028b", 0, -7, 2**70],
)
@pytest.mark.parametrize("path", ["/pk", "/a/b"])
def test_single_path_fast_path_matches_json_dumps_exactly(value, path):
    document: dict = {}
    node = document
    parts = path_parts(path)
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    expected = json.dumps([value], separators=(",", ":"))
    assert document_header_json(document, [path]) == expected
    assert header_json([value]) == expected
    assert expected.isascii()


def test_sdk_value_undefined_is_not_null():
    assert sdk_value((UNDEFINED,), hierarchical=False) is NonePartitionKeyValue
    assert sdk_value((None,), hierarchical=False) is None
    assert sdk_value(("x",), hierarchical=False) == "x"
    assert sdk_value(("t", UNDEFINED), hierarchical=True) == ["t", {}]


def test_group_key_separates_json_types():
    keys = {group_key((v,)) for v in (1, True, "1", None, UNDEFINED)}
    assert len(keys) == 5
    assert group_key((1,)) == group_key((1.0,))
    assert group_key((0,)) != group_key((False,))


def test_definition_read_as_the_sdk_routes():
    flat = PartitionKeyDefinition.from_resource({"paths": ["/pk"], "kind": "Hash", "version": 2})
    assert (flat.paths, flat.kind, flat.version, flat.hierarchical) == (("/pk",), "Hash", 2, False)
    # azure-cosmos routes a stored definition without a version as version 1.
    assert PartitionKeyDefinition.from_resource({"paths": ["/pk"]}).version == 1
    assert PartitionKeyDefinition.from_resource(None, default_paths=["/id"]).paths == ("/id",)
    assert PartitionKeyDefinition.from_resource(None, default_paths=()).paths == ()
    multi = PartitionKeyDefinition.from_resource(
        {"paths": ["/t", "/u"], "kind": "MultiHash", "version": 2}
    )
    assert multi.hierarchical
    assert multi.as_dict() == {"paths": ["/t", "/u"], "kind": "MultiHash", "version": 2}
    assert PartitionKeyDefinition.for_paths(["/t", "/u"]) == multi
    sdk = multi.to_sdk()
    assert isinstance(sdk, PartitionKey)
    assert (sdk["paths"], sdk.kind, sdk.version) == (["/t", "/u"], "MultiHash", 2)
    assert PartitionKeyDefinition.for_paths(["/pk"]).to_sdk().path == "/pk"


# -- the tap and the target spell a document's key the same way -------------------------------

#: (container paths, source document): string, number, boolean, null, missing, nested and
#: hierarchical keys, including hierarchical keys with null and missing components.
CASES: list[tuple[list[str], dict[str, t.Any]]] = [
    (["/pk"], {"id": "s", "pk": "AA"}),
    (["/pk"], {"id": "u", "pk": "日本"}),
    (["/pk"], {"id": "i", "pk": 5}),
    (["/pk"], {"id": "z", "pk": 0}),
    (["/pk"], {"id": "n", "pk": -12.75}),
    (["/pk"], {"id": "f", "pk": 5.0}),
    (["/pk"], {"id": "big", "pk": 2**60}),
    (["/pk"], {"id": "t", "pk": True}),
    (["/pk"], {"id": "b", "pk": False}),
    (["/pk"], {"id": "null", "pk": None}),
    (["/pk"], {"id": "missing", "other": "x"}),
    (["/a/b"], {"id": "nested", "a": {"b": "x"}}),
    (["/a/b"], {"id": "nested-missing", "a": {"c": 1}}),
    (["/t", "/u"], {"id": "h", "t": "t1", "u": 7}),
    (["/t", "/u", "/v"], {"id": "h3", "t": "t1", "u": True, "v": None}),
    (["/t", "/u"], {"id": "h-missing", "t": "t1"}),
    (["/t", "/u"], {"id": "h-null", "t": None, "u": 1.5}),
]


def target_header(record: dict[str, t.Any], paths: list[str]) -> str:
    """The key the target writes and reports for a record the tap wrote, as the target reads it."""
    message = {"type": "RECORD", "stream": "s", "record": record}
    parsed = LineNumberingReader().deserialize_json(serialize_json(message))
    document = to_document(parsed["record"])
    return header_json(target_pk.extract(document, paths))


@pytest.mark.parametrize(("paths", "document"), CASES, ids=[doc["id"] for _, doc in CASES])
def test_tap_and_target_agree_on_the_header_value(paths, document):
    record = document_to_record(document, paths)
    tap_header = record["_sdc_partition_key"]
    assert target_header(record, paths) == tap_header
    assert json.loads(tap_header) == [
        {} if v is UNDEFINED else v for v in partition_key_components(document, paths)
    ]


@pytest.mark.parametrize(("paths", "document"), CASES, ids=[doc["id"] for _, doc in CASES])
def test_tap_and_target_agree_on_a_deleted_documents_key(paths, document):
    metadata_key = {
        path.lstrip("/"): value
        for path, value in zip(
            paths, (document.get(p.lstrip("/"), UNDEFINED) for p in paths), strict=True
        )
        if value is not UNDEFINED
    }
    item = {
        "previous": document,
        "metadata": {
            "operationType": "delete",
            "lsn": 3,
            "crts": 1,
            "id": document["id"],
            **({"partitionKey": metadata_key} if metadata_key else {}),
        },
    }
    record = change_to_record(item, paths)
    assert record is not None
    assert record["_sdc_partition_key"] == document_to_record(document, paths)["_sdc_partition_key"]
    assert target_header(record, paths) == record["_sdc_partition_key"]


def test_header_matches_what_azure_cosmos_sends(cosmosdb_emulator):
    """The header form is what the SDK puts in x-ms-documentdb-partitionkey for the same key."""
    client = cosmosdb_emulator.client()
    database = client.create_database(f"test_{uuid.uuid4().hex[:12]}")
    try:
        containers: dict[tuple[str, ...], t.Any] = {}
        for paths, document in CASES:
            definition = PartitionKeyDefinition.for_paths(paths)
            container = containers.get(definition.paths)
            if container is None:
                container = database.create_container(
                    f"c{len(containers)}", partition_key=definition.to_sdk()
                )
                containers[definition.paths] = container
            components = target_pk.extract(document, paths)
            key = sdk_value(components, hierarchical=definition.hierarchical)
            if UNDEFINED in components:
                # The SDK's point writes derive the key from the body and send a missing
                # component of a hierarchical key as null; the target writes such a document
                # in a batch with the explicit key, as here.
                container.execute_item_batch([("upsert", (document,))], partition_key=key)
            else:
                container.upsert_item(document)
            sent: list[str] = []
            read = container.read_item(
                document["id"],
                partition_key=key,
                raw_response_hook=lambda response, sent=sent: sent.append(
                    response.http_request.headers["x-ms-documentdb-partitionkey"]
                ),
            )
            assert read["id"] == document["id"]  # the SDK routed the key to the document
            assert sent == [document_header_json(document, paths)], paths
            assert sent == [header_json(components)]
    finally:
        client.delete_database(database.id)


def test_target_extraction_turns_decimals_into_doubles():
    assert target_pk.extract({"pk": decimal.Decimal("2.5")}, ["/pk"]) == (2.5,)


def test_a_definition_without_paths():
    empty = PartitionKeyDefinition.from_resource(None, default_paths=())
    with pytest.raises(ValueError, match="at least one path"):
        empty.to_sdk()
    # The tap's EPK hasher keeps hashing such a (legacy) definition as /id.
    as_id = EpkHasher(PartitionKeyDefinition.for_paths(["/id"]))
    assert EpkHasher(empty).of_values(["x"]) == as_id.of_values(["x"])
    assert as_id.of_values(["x"]) != as_id.of_values(["y"])
