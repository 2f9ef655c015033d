"""EPK hashing against EPKs the SDK computed (test vectors) and against the SDK itself."""

from __future__ import annotations

import pytest
from azure.cosmos.partition_key import PartitionKey as SdkPartitionKey

from cosmosdb_emulator.epk import UNDEFINED, effective_partition_key, epk_range

VECTORS = [
    ("x", "11E3F358618BE9AA5BAFF4C7C74F0716"),
    ("p1", "062B23DEC15212F01B9A85F4E93A940C"),
    ("", "32E9366E637A71B4E710384B2F4970A0"),
    ("redmond", "22E342F38A486A088463DFF7838A5963"),
    ("é", "007199F104E04116EE25AF912CA4889B"),
    (1, "20CD98B339BA78A5D0CF6953B87070B0"),
    (1.5, "35C5DDEB6C795D16A9963C73C54E97BC"),
    (True, "0E711127C5B5A8E4726AC6DD306A3E59"),
    (False, "2FE1BE91E90A3439635E0E9E37361EF2"),
    (None, "378867E4430E67857ACE5C908374FE16"),
    (UNDEFINED, "11622DAA78F835834610ABE56EFF5CB5"),
]


@pytest.mark.parametrize(("value", "expected"), VECTORS)
def test_hash_v2_vectors(value, expected):
    assert effective_partition_key([value]) == expected


def test_multihash_vector():
    assert effective_partition_key(["t1", "u1", "v1"]) == (
        "3D48BB14DA9D090D22112C96695028B6"
        "2A947C94F6E254B945CEBC3196C9897C"
        "3CE52F04B90156E80C915ED28EA09F01"
    )


def test_prefix_range_and_point_range():
    lo, hi = epk_range(["t1"], 3)
    assert (lo, hi) == ("3D48BB14DA9D090D22112C96695028B6", "3D48BB14DA9D090D22112C96695028B6FF")
    lo, hi = epk_range(["x"], 1)
    assert lo == "11E3F358618BE9AA5BAFF4C7C74F0716"
    assert lo < hi
    assert epk_range([], 1) == ("", "00")


@pytest.mark.parametrize("value", ["a", "ü€😀", 0, -3, 2**53, 1e300, -0.25, True, None, "x" * 300])
def test_matches_sdk_hash(value):
    sdk = SdkPartitionKey(path="/pk", kind="Hash", version=2)
    expected = sdk._get_effective_partition_key_string([value])
    assert effective_partition_key([value]) == expected.upper()
