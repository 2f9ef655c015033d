"""CLI behaviour: --about, --test, one-line errors without secrets."""

from __future__ import annotations

import base64
import json
import os
import subprocess

import pytest

from cosmosdb_emulator import Emulator
from tests.conftest import executable
from tests.tap.conftest import seed

WRONG_KEY = base64.b64encode(b"not-the-key-" * 6).decode()


def assert_one_line_error(run, *, contains: str, secrets=()):
    assert run.returncode == 1
    errors = [line for line in run.stderr.splitlines() if line.startswith("tap-cosmosdb: error:")]
    assert len(errors) == 1, run.stderr[-2000:]
    assert contains in errors[0]
    assert "Traceback" not in run.stderr
    for secret in secrets:
        assert secret not in run.stderr
    assert not [m for m in run.messages if m["type"] == "RECORD"]


def test_about_lists_capabilities_and_settings():
    proc = subprocess.run(
        [executable("tap-cosmosdb"), "--about", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    about = json.loads(proc.stdout)
    assert {"log-based", "test", "catalog", "state", "discover", "about", "stream-maps"} <= set(
        about["capabilities"]
    )
    settings = about["settings"]["properties"]
    for name in (
        "containers",
        "start_from",
        "change_feed_mode",
        "page_size",
        "schema_sample_size",
        "queries",
        "max_run_seconds",
        "idle_exit_seconds",
        "account_endpoint",
        "account_key",
        "database",
    ):
        assert settings[name].get("description"), name
    assert settings["account_key"].get("secret") is True


def test_test_flag_succeeds_with_good_settings(tap_env):
    seed(tap_env.container("items"), 3)
    run = tap_env.run(extra=["--test"])
    assert run.returncode == 0, run.stderr[-2000:]
    assert len(run.records()) == 1


@pytest.mark.parametrize("flag", [["--test"], [], ["--discover"]])
def test_wrong_key_is_one_line_without_the_key(tap_env, flag):
    run = tap_env.run(tap_env.config(account_key=WRONG_KEY), extra=flag)
    assert_one_line_error(run, contains="HTTP 401", secrets=[WRONG_KEY, tap_env.emulator.key])


def test_unknown_database(tap_env):
    run = tap_env.run(tap_env.config(database="no_such_db"), extra=["--test"])
    assert_one_line_error(run, contains="Database 'no_such_db'", secrets=[tap_env.emulator.key])


def test_unreachable_endpoint(tap_env):
    run = tap_env.run(tap_env.config(account_endpoint="http://127.0.0.1:9/"), extra=["--test"])
    assert_one_line_error(run, contains="Cannot reach", secrets=[tap_env.emulator.key])


def test_bad_setting_names_the_setting(tap_env):
    run = tap_env.run(tap_env.config(start_from="yesterday"))
    assert_one_line_error(run, contains="'start_from'")


def test_corrupt_bookmark_names_stream_and_range(tap_env):
    seed(tap_env.container("items"), 3)
    first = tap_env.run()
    state = first.last_state
    state["bookmarks"]["items"]["partitions"][0]["continuation"] = "garbage!!"
    run = tap_env.run(state=state)
    assert_one_line_error(run, contains="Stream 'items' range")


def test_tls_failure_is_one_line(tmp_path):
    # azure-cosmos skips certificate checks for localhost/127.0.0.1 (_synchronized_request.py),
    # so the self-signed emulator is served on another loopback address.
    with Emulator(partitions=1, data=":memory:", port=0, tls=True, host="127.0.0.2") as emu:
        assert emu.endpoint.startswith("https://127.0.0.2")
        config = tmp_path / "config.json"
        config.write_text(
            json.dumps({"account_endpoint": emu.endpoint, "account_key": emu.key, "database": "d"})
        )
        proc = subprocess.run(
            [executable("tap-cosmosdb"), "--config", str(config), "--test"],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert proc.returncode == 1
    errors = [line for line in proc.stderr.splitlines() if line.startswith("tap-cosmosdb: error:")]
    assert len(errors) == 1, proc.stderr[-2000:]
    assert "TLS" in errors[0] or "certificate" in errors[0].lower()
    assert "Traceback" not in proc.stderr
    assert emu.key not in proc.stderr


def test_secrets_stay_out_of_debug_logs(tap_env):
    seed(tap_env.container("items"), 2)
    emu = tap_env.emulator
    config = {
        "connection_string": f"AccountEndpoint={emu.endpoint};AccountKey={emu.key};",
        "database": tap_env.name,
    }
    proc = subprocess.run(
        tap_env.args(config),
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "TAP_COSMOSDB_LOGLEVEL": "DEBUG", "LOGLEVEL": "DEBUG"},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "DEBUG" in proc.stderr
    assert emu.key not in proc.stderr
    assert emu.key not in proc.stdout
