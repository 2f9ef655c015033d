"""The ``cosmosdb_emulator`` pytest fixture works from a user's own test (run as a separate
pytest process on a tiny test file, as a user would)."""

from __future__ import annotations

import subprocess
import sys

USER_TEST = """
from azure.cosmos import PartitionKey


def test_user_code(cosmosdb_emulator):
    client = cosmosdb_emulator.client()
    db = client.create_database("mine")
    coll = db.create_container("c", PartitionKey("/pk"))
    coll.upsert_item({"id": "1", "pk": "a"})
    assert coll.read_item("1", "a")["id"] == "1"
    cosmosdb_emulator.split("mine", "c", "0")
    assert len(list(coll.read_feed_ranges())) == 5


def test_same_session_emulator(cosmosdb_emulator):
    names = [d["id"] for d in cosmosdb_emulator.client().list_databases()]
    assert names == ["mine"]
"""


def test_fixture_in_a_users_test_file(tmp_path):
    (tmp_path / "test_user.py").write_text(USER_TEST)
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
