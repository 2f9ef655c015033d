"""A Singer tap nobody here wrote (tap-jsonl 0.3.1 from PyPI) piped into target-cosmosdb.

tap-jsonl lives in its own virtualenv (its singer-sdk pin may differ from ours)::

    make external-taps
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.conftest import REPO, executable, write_config

TAP = REPO / ".venv-tap-jsonl" / "bin" / "tap-jsonl"


@pytest.mark.skipif(
    not TAP.exists() and not os.environ.get("CI"),
    reason="tap-jsonl not installed in .venv-tap-jsonl (`make external-taps`); never skipped in CI",
)
def test_tap_jsonl_into_cosmos(target, tmp_path):
    rows = [
        {
            "id": f"u{i}",
            "team": f"t{i % 7}",
            "score": i * 1.5,
            "tags": ["a", "b"][: i % 3],
            "meta": {"n": i, "ok": i % 2 == 0},
        }
        for i in range(300)
    ]
    data = tmp_path / "users.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    tap_cfg = write_config(
        tmp_path / "tap.json", {"path": str(data), "stream_name": "users", "primary_keys": ["id"]}
    )
    target_cfg = write_config(tmp_path / "target.json", target.config(partition_key_path="/team"))
    pipeline = subprocess.run(
        f"'{TAP}' --config '{tap_cfg}' | '{executable('target-cosmosdb')}' --config '{target_cfg}'",
        shell=True,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert pipeline.returncode == 0, pipeline.stderr[-3000:]
    assert pipeline.stdout.strip(), "the target must pass the tap's final STATE on"
    json.loads(pipeline.stdout.strip().splitlines()[-1])
    docs = target.documents("users")
    assert len(docs) == 300
    for row in rows:
        doc = docs[row["id"]]
        assert {k: doc[k] for k in row} == row
        assert doc["_sdc_filename"] == str(data)  # tap metadata fields are kept as sent
    container = target.container("users")
    assert container.read_item("u8", partition_key="t1")["score"] == 12.0
