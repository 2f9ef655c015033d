"""Scenario 9: the account key and connection string never appear in any output.

Tap and target run at DEBUG (``LOGLEVEL``, ``TAP_COSMOSDB_LOGLEVEL``, ``TARGET_COSMOSDB_LOGLEVEL``)
with a key, with a connection string, with a wrong key, with faults that end the run in an
exception, and with ``--about`` / ``--test`` / ``--discover``; every byte of stdout and stderr
(logs, METRIC lines, error lines, tracebacks) is searched for the secrets.
"""

from __future__ import annotations

import base64
import json
from concurrent.futures import ThreadPoolExecutor

from tests.conftest import executable, run, write_config
from tests.reliability.harness import run_pipeline

DEBUG = {"LOGLEVEL": "DEBUG", "TAP_COSMOSDB_LOGLEVEL": "DEBUG", "TARGET_COSMOSDB_LOGLEVEL": "DEBUG"}
WRONG_KEY = base64.b64encode(bytes(range(7, 71))).decode()


def _needles(key: str, connection_string: str) -> list[str]:
    # The key as given, without its base64 padding, and the whole connection string.
    return [key, key.rstrip("="), connection_string]


def test_secrets_never_in_output(make_pipeline, report, tmp_path):
    rep = report("9 secrets never in logs, METRIC lines, --about, errors", "short")
    pipeline = make_pipeline(909, 30, tap={"page_size": 10})
    emu = pipeline.emu
    conn = f"AccountEndpoint={emu.endpoint};AccountKey={emu.key};"
    wrong_conn = f"AccountEndpoint={emu.endpoint};AccountKey={WRONG_KEY};"
    tap_cfg = json.loads(pipeline.tap_config.read_text())
    target_cfg = json.loads(pipeline.target_config.read_text())

    def cfg(name: str, base: dict, **changes: object) -> str:
        data = {k: v for k, v in {**base, **changes}.items() if v is not None}
        return str(write_config(tmp_path / f"{name}.json", data))

    tap, target = executable("tap-cosmosdb"), executable("target-cosmosdb")
    key_tap = cfg("key_tap", tap_cfg)
    conn_tap = cfg(
        "conn_tap", tap_cfg, account_endpoint=None, account_key=None, connection_string=conn
    )
    conn_target = cfg(
        "conn_target", target_cfg, account_endpoint=None, account_key=None, connection_string=conn
    )
    wrong_tap = cfg("wrong_tap", tap_cfg, account_key=WRONG_KEY)
    wrong_target = cfg("wrong_target", target_cfg, account_key=WRONG_KEY)
    wrong_conn_tap = cfg(
        "wrong_conn_tap",
        tap_cfg,
        account_endpoint=None,
        account_key=None,
        connection_string=wrong_conn,
    )
    single = {
        "tap --about": [tap, "--about", "--config", key_tap],
        "tap --about json": [tap, "--about", "--format", "json", "--config", conn_tap],
        "target --about": [target, "--about", "--config", conn_target],
        "tap --test": [tap, "--config", conn_tap, "--test"],
        "tap --discover": [tap, "--config", key_tap, "--discover"],
        "tap wrong key": [tap, "--config", wrong_tap],
        "tap wrong key (connection string)": [tap, "--config", wrong_conn_tap],
    }
    outputs: dict[str, str] = {}
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {n: pool.submit(run, cmd, env=DEBUG, timeout=180) for n, cmd in single.items()}
        futures["target wrong key"] = pool.submit(
            run, [target, "--config", wrong_target], stdin="", env=DEBUG, timeout=180
        )
        for name, future in futures.items():
            result = future.result()
            outputs[name] = result.stdout + result.stderr
    for name in ("tap wrong key", "tap wrong key (connection string)", "target wrong key"):
        assert "error:" in outputs[name], outputs[name][-2000:]

    # Whole pipelines at DEBUG: with a key, with connection strings, and ended by faults.
    pipelines = {
        "pipeline (key)": (pipeline.tap_config, pipeline.target_config, None),
        "pipeline (connection strings)": (conn_tap, conn_target, None),
        "pipeline (tap fails: 503s)": (pipeline.tap_config, pipeline.target_config, "source"),
        "pipeline (target fails: 503s)": (pipeline.tap_config, pipeline.target_config, "dest"),
    }
    failures = 0
    for name, (tcfg, gcfg, fault) in pipelines.items():
        emu.clear_faults()
        if fault == "source":
            emu.inject_fault(
                status=503, retry_after_ms=10, operation="change_feed", database=pipeline.source_db
            )
        elif fault == "dest":
            emu.inject_fault(
                status=503, retry_after_ms=10, operation="batch", database=pipeline.dest_db
            )
        result = run_pipeline(tcfg, gcfg, tmp_path / name.replace(" ", "_"), env=DEBUG)
        outputs[name] = "".join(
            [
                result.tap_stderr,
                result.target_stderr,
                json.dumps(result.tap_lines),
                json.dumps(result.target_states),
            ]
        )
        if fault:
            failures += (result.tap_code or 0) != 0 or (result.target_code or 0) != 0
            assert "error:" in result.tap_stderr + result.target_stderr, outputs[name][-3000:]
        else:
            assert result.tap_code == 0, result.tap_stderr[-2000:]
            assert result.target_code == 0, result.target_stderr[-2000:]
            assert "METRIC" in result.tap_stderr + result.target_stderr
            assert "DEBUG" in result.target_stderr, "LOGLEVEL=DEBUG must be in effect"
    emu.clear_faults()

    leaks = []
    for name, text in outputs.items():
        for needle in _needles(emu.key, conn) + _needles(WRONG_KEY, wrong_conn):
            if needle in text:
                leaks.append(f"{name}: {needle[:6]}...")
    rep.trials = rep.runs = len(outputs)
    rep.faults_injected = failures + 3  # failing pipelines + the three wrong-key runs
    rep.notes.append(
        f"outputs searched {len(outputs)}, {sum(map(len, outputs.values()))} chars, leaks {len(leaks)}"
    )
    assert failures == 2, "both fault pipelines must end in an error"
    assert not leaks, leaks
