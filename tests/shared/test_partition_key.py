from __future__ import annotations

import pytest

from cosmosdb_shared.partition_key import UNDEFINED, partition_key_components, path_parts


@pytest.mark.parametrize(
    ("path", "parts"),
    [
        ("/pk", ["pk"]),
        ("/a/b", ["a", "b"]),
        ('/"odd/name"/x', ["odd/name", "x"]),
        ("/'quoted'", ["quoted"]),
    ],
)
def test_path_parts_follow_the_sdk_parser(path, parts):
    assert path_parts(path) == parts


def test_path_must_start_with_slash():
    with pytest.raises(ValueError, match="does not start with '/'"):
        path_parts("pk")


def test_components_distinguish_undefined_from_null_and_follow_nesting():
    doc = {"id": "1", "a": {"b": 5}, "n": None, "odd/name": "x"}
    assert partition_key_components(doc, ["/a/b", "/n", "/missing", '/"odd/name"']) == [
        5,
        None,
        UNDEFINED,
        "x",
    ]
    assert partition_key_components({"a": 3}, ["/a/b"]) == [UNDEFINED]  # a is not an object
