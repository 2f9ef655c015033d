"""Scenario 3: ``meltano run --timeout`` terminates tap and target (SIGTERM) mid-run; run again.

The change feed is slowed down (a ``delay`` fault on change-feed reads) so the timeout lands
while records flow. After each timed-out run, the state Meltano stored is judged: the tap alone,
resumed from it, emits what the state does *not* cover; every other source document must already
be in the destination, field by field. The last run (no timeout) must then leave the destination
equal to the source.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid

import pytest

from tests.conftest import REPO, executable
from tests.e2e.compare import compare, snapshot
from tests.reliability.conftest import PROFILE_PARAMS
from tests.reliability.harness import record_key, record_version
from tests.reliability.workload import PK_PATHS

MELTANO = REPO / ".venv-meltano" / "bin" / "meltano"
PIPELINE_ID = "dev:tap-cosmosdb-to-target-cosmosdb"

pytestmark = pytest.mark.skipif(not MELTANO.exists(), reason="run `make meltano` first")


def _meltano(
    *args: str, env: dict[str, str], timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(MELTANO), *args],
        cwd=REPO,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@PROFILE_PARAMS
def test_meltano_run_timeout_then_rerun(profile, make_pipeline, report):
    rep = report("3 meltano run --timeout (SIGTERM mid-run), run again", profile.name)
    pipeline = make_pipeline(303, profile.docs, tap={"page_size": 1})
    emu = pipeline.emu
    env = {
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "PATH": f"{REPO / '.venv' / 'bin'}:{os.environ.get('PATH', '')}",
        "TAP_COSMOSDB_ACCOUNT_ENDPOINT": emu.endpoint,
        "TAP_COSMOSDB_ACCOUNT_KEY": emu.key,
        "TAP_COSMOSDB_DATABASE": pipeline.source_db,
        "TAP_COSMOSDB_PAGE_SIZE": "1",
        "TARGET_COSMOSDB_ACCOUNT_ENDPOINT": emu.endpoint,
        "TARGET_COSMOSDB_ACCOUNT_KEY": emu.key,
        "TARGET_COSMOSDB_DATABASE": pipeline.dest_db,
    }
    suffix = uuid.uuid4().hex[:12]
    state_id = f"{PIPELINE_ID}:{suffix}"
    mid_run = stored_after_timeout = 0
    trials = max(1, profile.trials // 3)
    for trial in range(trials):
        if trial:
            # Changes before every timed run after the first, so none of them starts with
            # nothing to read (a clean run may just have caught up).
            pipeline.workload.change(profile.changes)
        # One document per page and 1 s per change-feed request: even with the default 4 feed
        # ranges read in parallel (max_parallel_ranges), the run needs at least docs / 4 seconds
        # (20 s for the short profile's 80), so the 15 s timeout always lands while records flow.
        emu.inject_fault(
            action="delay", delay_ms=1000, operation="change_feed", database=pipeline.source_db
        )
        timed = _meltano(
            "run",
            "--timeout",
            "15",
            "--state-id-suffix",
            suffix,
            "tap-cosmosdb",
            "target-cosmosdb",
            env=env,
        )
        emu.clear_faults()
        rep.trials += 1
        rep.runs += 1
        timed_out = "Run timed out" in timed.stderr + timed.stdout
        rep.faults_injected += timed_out
        if not timed_out:
            last = (timed.stderr + timed.stdout).strip().splitlines()[-1:] or [""]
            rep.notes.append(
                f"trial {trial} not timed out: exit {timed.returncode}: {last[0][-300:]}"
            )
        assert "Traceback" not in timed.stdout + timed.stderr, (timed.stdout + timed.stderr)[-4000:]
        written = len(snapshot(pipeline.destination, PK_PATHS)) if _exists(pipeline) else 0
        mid_run += 0 < written < len(pipeline.workload.live)
        stored_after_timeout += _judge_stored_state(pipeline, rep, env, state_id, f"timed{trial}")
        if trial % 2 == 1 or trial == trials - 1:
            clean = _meltano(
                "run", "--state-id-suffix", suffix, "tap-cosmosdb", "target-cosmosdb", env=env
            )
            rep.runs += 1
            assert clean.returncode == 0, (clean.stdout + clean.stderr)[-4000:]
            assert _judge_stored_state(pipeline, rep, env, state_id, f"clean{trial}")

    result = compare(pipeline.source, pipeline.destination, PK_PATHS)
    rep.documents_compared, rep.lost = result.compared, len(result.lost)
    rep.unexpected_extra, rep.different = len(result.extra), len(result.different)
    rep.notes.append(
        f"timeouts that landed mid-run {mid_run}/{rep.trials}; timed-out runs after which Meltano "
        f"had stored a state {stored_after_timeout}"
    )
    assert result.ok, str(result)
    assert result.compared == len(pipeline.workload.live)
    assert rep.faults_injected == rep.trials, "every timed run must be ended by the timeout"


def _judge_stored_state(pipeline, rep, env, state_id: str, name: str) -> bool:
    """Check Meltano's stored state: what it covers must be in the destination, field by field.

    The tap alone, resumed from the stored state, emits what the state does not cover (the
    source does not change meanwhile); every other source document must be in the destination.

    Returns:
        Whether a state was stored.
    """
    got = _meltano("state", "get", state_id, env=env)
    stored = (
        json.loads(got.stdout).get("singer_state")
        if got.returncode == 0 and got.stdout.strip()
        else None
    )
    if not stored:
        return False
    rep.states_checked += 1
    state_file = pipeline.workdir / f"meltano-state-{name}.json"
    state_file.write_text(json.dumps(stored))
    tap = subprocess.run(
        [
            executable("tap-cosmosdb"),
            "--config",
            str(pipeline.tap_config),
            "--state",
            str(state_file),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert tap.returncode == 0, tap.stderr[-3000:]
    pending = {
        record_key(m["record"], PK_PATHS)
        for m in map(json.loads, tap.stdout.splitlines())
        if m.get("type") == "RECORD"
    }
    source = snapshot(pipeline.source, PK_PATHS)
    destination = snapshot(pipeline.destination, PK_PATHS) if _exists(pipeline) else {}
    unwritten = [
        k
        for k, doc in source.items()
        if k not in pending and destination.get(k) != record_version(doc)
    ]
    rep.acknowledged_unwritten += len(unwritten)
    assert not unwritten, (
        f"{name}: Meltano's stored state covers unwritten documents {unwritten[:5]}"
    )
    return True


def _exists(pipeline) -> bool:
    client = pipeline.emu.client()
    return pipeline.dest_db in [d["id"] for d in client.list_databases()]
