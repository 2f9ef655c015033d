"""The ``cosmosdb_emulator`` pytest fixture works from a user's own test (run as a separate
pytest process on a tiny test file, as a user would)."""

from __future__ import annotations

import subprocess
import sys

import pytest

USER_TEST = """
from azure.cosmos import PartitionKey


def test_user_code(cosmosdb_emulator):
    client = cosmosdb_emulator.client()
    db = client.create_database("mine")
    coll = db.create_container("c", PartitionKey("/pk"))
    coll.upsert_item({"id": "1", "pk": "a"})
    assert coll.read_item("1", "a")["id"] == "1"
    assert len(list(coll.read_feed_ranges())) == RANGES
    cosmosdb_emulator.split("mine", "c", "0")
    assert len(list(coll.read_feed_ranges(force_refresh=True))) == RANGES + 1
    big = db.create_container("big", PartitionKey("/pk"), offer_throughput=25000)
    assert len(list(big.read_feed_ranges())) == BIG_RANGES


def test_same_session_emulator(cosmosdb_emulator):
    names = [d["id"] for d in cosmosdb_emulator.client().list_databases()]
    assert names == ["mine"]
"""


@pytest.mark.parametrize(
    ("ini", "ranges", "big_ranges"),
    [
        # Service-like by default: 400 RU/s -> 1 range, 25,000 RU/s -> ceil(2.5) = 3 ranges.
        ("", 1, 3),
        # An explicit count applies to every new container, whatever its throughput.
        ("[pytest]\ncosmosdb_emulator_partitions = 2\n", 2, 2),
    ],
)
def test_fixture_in_a_users_test_file(tmp_path, ini, ranges, big_ranges):
    (tmp_path / "test_user.py").write_text(
        f"RANGES = {ranges}\nBIG_RANGES = {big_ranges}\n" + USER_TEST
    )
    (tmp_path / "pytest.ini").write_text(ini or "[pytest]\n")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_user.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
