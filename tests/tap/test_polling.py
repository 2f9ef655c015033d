"""Polling the change feed with idle_exit_seconds / max_run_seconds."""

from __future__ import annotations

import json
import subprocess
import time

from tests.tap.conftest import seed


def test_idle_exit_picks_up_changes_made_while_running(tap_env):
    items = tap_env.container("items")
    seed(items, 5)
    config = tap_env.config(idle_exit_seconds=2.5, poll_interval_seconds=0.2)
    started = time.monotonic()
    proc = subprocess.Popen(
        tap_env.args(config), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    time.sleep(1.5)
    assert proc.poll() is None, "the tap should still be polling"
    seed(items, 3, start=40)
    out, err = proc.communicate(timeout=60)
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, err[-2000:]
    messages = [json.loads(line) for line in out.splitlines() if line.strip()]
    ids = sorted(m["record"]["id"] for m in messages if m["type"] == "RECORD")
    assert ids == sorted([f"d{i}" for i in range(5)] + ["d40", "d41", "d42"])
    assert elapsed < 20
    # The final state resumes after everything: a new run emits nothing.
    state = [m["value"] for m in messages if m["type"] == "STATE"][-1]
    again = tap_env.run(tap_env.config(), state=state)
    assert again.records() == []


def test_max_run_seconds_stops_polling(tap_env):
    seed(tap_env.container("items"), 2)
    started = time.monotonic()
    run = tap_env.run(tap_env.config(max_run_seconds=2, poll_interval_seconds=0.2))
    elapsed = time.monotonic() - started
    assert run.returncode == 0, run.stderr[-2000:]
    assert len(run.records()) == 2
    assert 2 <= elapsed < 15
