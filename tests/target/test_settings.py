from __future__ import annotations

import json
import subprocess

import pytest

from tests.conftest import executable
from tests.target.conftest import record, schema, state


def test_about_does_not_advertise_the_ignored_load_method():
    about = subprocess.run(
        [executable("target-cosmosdb"), "--about", "--format=json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    settings = json.loads(about)["settings"]["properties"]
    assert "load_method" not in settings
    assert "write_mode" in settings


def test_a_config_that_still_sets_load_method_is_accepted(target):
    result = target.run(
        [schema("s"), record("s", {"id": "a"}), state({"pos": 1})], load_method="overwrite"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert set(target.documents("s")) == {"a"}
    assert result.states == [{"pos": 1}]


@pytest.mark.parametrize(
    ("setting", "value", "expected"),
    [
        ("max_concurrency", 0, "0 is less than the minimum of 1 in config['max_concurrency']"),
        ("max_concurrency", -5, "config['max_concurrency']"),
        ("max_concurrency", 100000, "greater than the maximum of 512"),
        ("container_throughput", 123, "minimum of 400 in config['container_throughput']"),
        ("autoscale_max_throughput", 500, "minimum of 1000 in config['autoscale_max_throughput']"),
        ("id_field", "", "config['id_field']"),
        ("dead_letter_path", "", "config['dead_letter_path']"),
        ("container", "", "config['container']"),
    ],
)
def test_nonsense_settings_are_refused_in_one_line(tmp_path, setting, value, expected):
    """Checked by the settings schema, before any connection (the endpoint is unreachable)."""
    cfg = tmp_path / "c.json"
    cfg.write_text(
        json.dumps(
            {
                "account_endpoint": "http://127.0.0.1:9/",
                "account_key": "QUJDRA==",
                "database": "d",
                setting: value,
            }
        )
    )
    proc = subprocess.run(
        [executable("target-cosmosdb"), "--config", str(cfg)],
        input="",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1
    errors = [line for line in proc.stderr.splitlines() if "error" in line.lower()]
    assert len(errors) == 1, proc.stderr
    assert errors[0].startswith("target-cosmosdb: error: Invalid settings: "), errors[0]
    assert expected in errors[0]
    assert "Traceback" not in proc.stderr


def test_settings_schema_declares_the_bounds():
    about = subprocess.run(
        [executable("target-cosmosdb"), "--about", "--format=json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    settings = json.loads(about)["settings"]["properties"]
    assert settings["max_concurrency"]["minimum"] == 1
    assert settings["container_throughput"]["minimum"] == 400
    assert settings["autoscale_max_throughput"]["minimum"] == 1000
