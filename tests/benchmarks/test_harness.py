"""Unit tests for the benchmark harness pieces whose mistakes would silently skew figures."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import measure
import sdk_baseline


@pytest.mark.skipif(measure.TIME is None, reason="/usr/bin/time not installed")
def test_peak_rss_is_the_childs_not_the_parents(tmp_path):
    ballast = bytearray(300 * 1024 * 1024)  # the parent's high-water mark must not leak in
    ballast[::4096] = b"x" * len(ballast[::4096])
    small = measure.run_measured("small", [sys.executable, "-c", "pass"], log_dir=tmp_path)
    big = measure.run_measured(
        "big",
        [
            sys.executable,
            "-c",
            "b = bytearray(200 * 1024 * 1024); b[::4096] = b'x' * len(b[::4096])",
        ],
        log_dir=tmp_path,
    )
    del ballast
    assert small.returncode == 0
    assert big.returncode == 0
    assert small.peak_rss_kib < 100 * 1024
    assert big.peak_rss_kib > 200 * 1024


def test_failed_command_reports_exit_code_and_stderr(tmp_path):
    run = measure.run_measured(
        "fails", [sys.executable, "-c", "import sys; sys.exit('boom')"], log_dir=tmp_path
    )
    assert run.returncode == 1
    assert "boom" in run.stderr_tail()


def test_baseline_reads_documents_and_declared_key(tmp_path):
    source = tmp_path / "in.jsonl"
    messages = [
        {"type": "SCHEMA", "stream": "f", "key_properties": ["id"],
         "schema": {"type": "object", "x-cosmosdb-partition-key": {"paths": ["/tailnum"]}}},
        {"type": "RECORD", "stream": "f", "record": {
            "id": "1", "tailnum": "N1", "_sdc_partition_key": '["N1"]', "_ts": 5, "_etag": "e",
            "_lsn": 3, "dep": 517}},
        {"type": "STATE", "value": {}},
    ]  # fmt: skip
    source.write_text("".join(json.dumps(m) + "\n" for m in messages))
    paths, docs = sdk_baseline.read_singer(str(source))
    assert paths == ["/tailnum"]
    assert docs == [{"id": "1", "tailnum": "N1", "dep": 517}]
