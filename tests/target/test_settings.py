from __future__ import annotations

import json
import subprocess

import pytest

from cosmosdb_shared.settings import connection_properties
from target_cosmosdb.errors import TargetCosmosDBError
from target_cosmosdb.settings import TargetSettings, target_properties
from target_cosmosdb.target import TargetCosmosDB
from tests.conftest import executable
from tests.shared.settings_check import default_mismatches
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


# Typed settings (parsed once) ------------------------------------------------------------------

CONNECTION = {"database": "d", "account_endpoint": "http://h/", "account_key": "a2V5"}


def own_settings_schema() -> dict:
    """The target's settings schema minus the shared connection settings."""
    shared = {prop.name for prop in connection_properties()}
    # Not TargetCosmosDB.config_jsonschema: singer-sdk adds its built-in settings to it in place.
    props = target_properties().to_dict()["properties"]
    return {"properties": {k: v for k, v in props.items() if k not in shared}}


def test_typed_settings_defaults_are_the_schema_defaults():
    schema = own_settings_schema()
    assert default_mismatches(TargetSettings, schema) == []
    fields = set(TargetSettings.__dataclass_fields__) - {"connection"}
    assert fields == set(schema["properties"])
    # The plugin's schema (what --about shows) is these properties.
    declared = TargetCosmosDB.config_jsonschema["properties"]
    for name, prop in target_properties().to_dict()["properties"].items():
        assert declared[name] == prop, name


def test_unset_settings_parse_to_the_declared_defaults():
    settings = TargetSettings.from_config(CONNECTION)
    props = target_properties().to_dict()["properties"]
    for name in TargetSettings.__dataclass_fields__:
        if "default" in props.get(name, {}):
            assert getattr(settings, name) == props[name]["default"], name
    assert settings.partition_key_path is None
    assert settings.container_throughput is None
    assert settings.database == "d"


def test_given_settings_are_parsed_to_their_types():
    settings = TargetSettings.from_config(
        {
            **CONNECTION,
            "partition_key_path": '["/tenant", "/user"]',
            "autoscale_max_throughput": "4000",
            "max_concurrency": 3,
            "hard_delete": "true",
        }
    )
    assert settings.partition_key_path == ("/tenant", "/user")
    assert settings.autoscale_max_throughput == 4000
    assert settings.max_concurrency == 3
    assert settings.hard_delete is True


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"container_throughput": 400, "autoscale_max_throughput": 4000},
            "Settings 'container_throughput' and 'autoscale_max_throughput' contradict: give one",
        ),
        ({"max_concurrency": 0}, "Setting 'max_concurrency' must be at least 1, not 0"),
        ({"max_concurrency": 513}, "Setting 'max_concurrency' must be at most 512, not 513"),
        (
            {"write_mode": "merge"},
            "Setting 'write_mode' must be one of upsert, insert, append, patch, not 'merge'",
        ),
        ({"partition_key_path": "tenant"}, "Setting 'partition_key_path' has invalid path"),
    ],
)
def test_typed_settings_refuse_with_one_line_naming_the_setting(config, message):
    # The CLI's JSON-schema validation refuses most of these first; the typed parse refuses them
    # too for a configuration that was not validated, and checks the contradictions.
    with pytest.raises(TargetCosmosDBError) as info:
        TargetSettings.from_config({**CONNECTION, **config})
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)
