"""Settings that refuse nonsense: every bad value is one `error:` line naming the setting, exit 1.

Each case runs the real `tap-cosmosdb` CLI against the emulator.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from cosmosdb_shared.settings import ConnectionSettings, connection_properties
from tap_cosmosdb.settings import TapSettingError, TapSettings, tap_properties
from tap_cosmosdb.tap import TapCosmosDB
from tests.conftest import executable
from tests.shared.settings_check import default_mismatches
from tests.tap.conftest import seed
from tests.tap.test_query_reader import set_method

ERROR_PREFIX = "tap-cosmosdb: error:"
SDK_PREAMBLE = "An unhandled error occurred while syncing"

#: One bad value per setting, all refused by the settings schema: (setting, bad value).
SCHEMA_VIOLATIONS: list[tuple[str, object]] = [
    ("page_size", 0),
    ("schema_sample_size", -1),
    ("poll_interval_seconds", -1),
    ("max_run_seconds", -1),
    ("idle_exit_seconds", -0.5),
    ("progress_interval_seconds", -1),
    ("shard_count", 0),
    ("shard_index", -1),
    ("containers", "items"),
    ("queries", {"items": 5}),
    ("start_from", 5),
    ("change_feed_mode", "Everything"),
    ("verify_tls", "maybe"),
    ("emit_activate_version_messages", "yes please"),
    ("database", None),
]

#: Bad settings each run on its own: (settings added to a valid config, text of the error line).
BAD_SETTINGS: list[tuple[dict, str]] = [
    ({"page_size": "abc"}, "page_size"),
    ({"page_size": 2.5}, "page_size"),
    ({"poll_interval_seconds": -1, "idle_exit_seconds": 1}, "poll_interval_seconds"),
    ({"shard_count": 2, "shard_index": 2}, "shard_index"),
    ({"start_from": "yesterday"}, "start_from"),
    ({"containers": [1]}, "containers"),
    ({"queries": "SELECT * FROM c"}, "queries"),
    ({"database": ""}, "Setting 'database'"),
    ({"database": "a/b"}, "Setting 'database'"),
    ({"max_object_properties": 0}, "max_object_properties"),
    ({"schema_mode": "tables"}, "schema_mode"),
    ({"stream_maps": {"items": {"x": "1 +"}}}, "Setting 'stream_maps'"),
    ({"stream_maps": {"items": {"x": "no_such_function(n)"}}}, "Setting 'stream_maps'"),
]


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith(ERROR_PREFIX)]


def assert_one_line_error(returncode: int, stdout: str, stderr: str, *, contains: str) -> None:
    assert returncode == 1, stderr[-2000:]
    lines = error_lines(stderr)
    assert len(lines) == 1, stderr[-2000:]
    assert contains in lines[0], lines[0]
    assert "Traceback" not in stderr, stderr[-2000:]
    assert SDK_PREAMBLE not in stderr, stderr[-2000:]
    assert '"type":"RECORD"' not in stdout.replace(" ", "")


def run_cli(tap_env, configs: list[dict]) -> list[tuple[int, str, str]]:
    """Run `tap-cosmosdb --config <c>` for each config, side by side."""
    procs = []
    for index, config in enumerate(configs):
        path = tap_env.write(f"bad{index}.json", config)
        procs.append(
            subprocess.Popen(
                [executable("tap-cosmosdb"), "--config", str(path)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        )
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        results.append((proc.returncode, out.decode(), err.decode(errors="replace")))
    return results


def test_bad_values_of_every_setting_are_one_line_errors(tap_env):
    seed(tap_env.container("items"), 3)
    all_at_once = {**tap_env.config(), **dict(SCHEMA_VIOLATIONS)}
    configs = [all_at_once] + [{**tap_env.config(), **extra} for extra, _ in BAD_SETTINGS]
    results = run_cli(tap_env, configs)

    returncode, out, err = results[0]
    assert_one_line_error(returncode, out, err, contains="Invalid settings")
    line = error_lines(err)[0]
    for setting, _ in SCHEMA_VIOLATIONS:
        assert f"config['{setting}']" in line, (setting, line)

    failures = []
    for (extra, setting), (returncode, out, err) in zip(BAD_SETTINGS, results[1:], strict=True):
        try:
            assert_one_line_error(returncode, out, err, contains=setting)
        except AssertionError as exc:
            failures.append(f"{extra}: {exc}")
    assert not failures, "\n".join(failures)


def test_settings_schema_declares_minimums():
    proc = subprocess.run(
        [executable("tap-cosmosdb"), "--about", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    settings = json.loads(proc.stdout)["settings"]["properties"]
    minimums = {name: settings[name].get("minimum") for name in settings}
    assert minimums["page_size"] == 1
    assert minimums["shard_count"] == 1
    for name in (
        "schema_sample_size",
        "poll_interval_seconds",
        "max_run_seconds",
        "idle_exit_seconds",
        "progress_interval_seconds",
        "shard_index",
    ):
        assert minimums[name] == 0, name


@pytest.mark.parametrize("flag", [[], ["--discover"]])
def test_containers_matching_nothing_is_an_error(tap_env, flag):
    seed(tap_env.container("items"), 3)
    run = tap_env.run(tap_env.config(containers=["itmes"]), extra=flag)
    assert_one_line_error(run.returncode, "", run.stderr, contains="Setting 'containers'")
    line = error_lines(run.stderr)[0]
    assert tap_env.name in line, line
    assert "(itmes)" in line, line
    assert "its containers: items" in line, line


def test_containers_with_one_missing_name_is_an_error_but_an_empty_glob_is_not(tap_env):
    seed(tap_env.container("items"), 3)
    run = tap_env.run(tap_env.config(containers=["items", "orders"]))
    assert_one_line_error(run.returncode, "", run.stderr, contains="'orders'")

    run = tap_env.run(tap_env.config(containers=["items", "orders_*"]))
    assert run.returncode == 0, run.stderr[-2000:]
    assert len(run.records("items")) == 3
    assert "orders_*" in run.stderr  # a warning names the pattern


@pytest.mark.parametrize("method", ["LOG_BASED", "INCREMENTAL", None])
def test_queries_for_a_stream_that_is_not_full_table_is_an_error(tap_env, method):
    seed(tap_env.container("items"), 3)
    catalog = set_method(tap_env.discover(), "items", method) if method else None
    run = tap_env.run(
        tap_env.config(queries={"items": "SELECT * FROM c WHERE c.n > 1"}), catalog=catalog
    )
    assert_one_line_error(run.returncode, "", run.stderr, contains="Setting 'queries'")
    assert (method or "LOG_BASED") in error_lines(run.stderr)[0]


def test_queries_for_an_unknown_stream_is_an_error(tap_env):
    seed(tap_env.container("items"), 3)
    catalog = set_method(tap_env.discover(), "items", "FULL_TABLE")
    run = tap_env.run(tap_env.config(queries={"itmes": "SELECT * FROM c"}), catalog=catalog)
    assert_one_line_error(run.returncode, "", run.stderr, contains="Setting 'queries'")
    assert "'itmes'" in error_lines(run.stderr)[0]


def test_incremental_keeps_ts_when_the_catalog_deselects_it(tap_env):
    seed(tap_env.container("items"), 7, extra="x")
    catalog = set_method(tap_env.discover(), "items", "INCREMENTAL", deselect=("_ts", "extra"))
    ts_md = [
        md["metadata"]
        for entry in catalog["streams"]
        for md in entry["metadata"]
        if md["breadcrumb"] == ["properties", "_ts"]
    ]
    assert ts_md == [{**ts_md[0], "selected": False}]  # the catalog really deselects it
    run = tap_env.run(catalog=catalog)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    records = run.records("items")
    assert len(records) == 7
    # `extra` deselected: the projection was pushed into the query, and it still read _ts.
    assert all("extra" not in r and isinstance(r["_ts"], int) for r in records)
    bookmark = run.last_state["bookmarks"]["items"]
    assert bookmark["replication_key_value"] == max(r["_ts"] for r in records)


def test_stream_error_has_no_sdk_preamble(tap_env):
    seed(tap_env.container("items"), 3)
    first = tap_env.run()
    assert first.returncode == 0, first.stderr[-2000:]
    run = tap_env.run(
        tap_env.config(change_feed_mode="AllVersionsAndDeletes"), state=first.last_state
    )
    assert_one_line_error(run.returncode, "", run.stderr, contains="change_feed_mode")


def test_test_flag_has_no_sdk_preamble(tap_env):
    seed(tap_env.container("items"), 3)
    run = tap_env.run(extra=["--test"])
    assert run.returncode == 0, run.stderr[-2000:]
    assert SDK_PREAMBLE not in run.stderr


def test_zero_poll_interval_is_allowed(tap_env):
    seed(tap_env.container("items"), 3)
    run = tap_env.run(tap_env.config(poll_interval_seconds=0, idle_exit_seconds=0.5))
    assert run.returncode == 0, run.stderr[-2000:]
    assert len(run.records("items")) == 3


# Typed settings (parsed once) ------------------------------------------------------------------

CONNECTION = {"database": "d", "account_endpoint": "http://h/", "account_key": "a2V5"}


def own_settings_schema() -> dict:
    """The tap's settings schema minus the shared connection settings."""
    shared = {prop.name for prop in connection_properties()}
    # Not TapCosmosDB.config_jsonschema: singer-sdk adds its built-in settings to it in place.
    props = tap_properties().to_dict()["properties"]
    return {"properties": {k: v for k, v in props.items() if k not in shared}}


def test_typed_settings_defaults_are_the_schema_defaults():
    schema = own_settings_schema()
    assert default_mismatches(TapSettings, schema) == []
    # Every field but the connection is a declared setting.
    fields = set(TapSettings.__dataclass_fields__) - {"connection"}
    assert fields == set(schema["properties"])
    # The plugin's schema (what --about shows) is these properties.
    declared = TapCosmosDB.config_jsonschema["properties"]
    for name, prop in tap_properties().to_dict()["properties"].items():
        assert declared[name] == prop, name


def test_unset_settings_parse_to_the_declared_defaults():
    settings = TapSettings.from_config(CONNECTION)
    props = tap_properties().to_dict()["properties"]
    for name in TapSettings.__dataclass_fields__:
        if "default" in props.get(name, {}):
            assert getattr(settings, name) == props[name]["default"], name
    assert settings.connection == ConnectionSettings.from_config(CONNECTION)
    assert (settings.shard.index, settings.shard.count) == (0, 1)
    assert not settings.polling
    assert settings.queries == {}


def test_given_settings_are_parsed_to_their_types():
    settings = TapSettings.from_config(
        {
            **CONNECTION,
            "start_from": "2026-01-02T03:04:05",
            "page_size": "7",
            "idle_exit_seconds": 2,
            "containers": ["a*", "b"],
            "change_feed_mode": "AllVersionsAndDeletes",
            "schema_mode": "document",
        }
    )
    assert settings.start_from.isoformat() == "2026-01-02T03:04:05+00:00"
    assert settings.page_size == 7
    assert settings.idle_exit_seconds == 2.0
    assert settings.polling
    assert settings.containers == ("a*", "b")
    assert settings.deletes
    assert settings.document_mode


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"page_size": 0}, "Setting 'page_size' must be at least 1, not 0"),
        ({"max_parallel_ranges": "x"}, "Setting 'max_parallel_ranges' must be an integer, not 'x'"),
        (
            {"schema_mode": "tables"},
            "Setting 'schema_mode' must be one of typed, document, not 'tables'",
        ),
        ({"containers": "items"}, "Setting 'containers' must be a list of names, not 'items'"),
    ],
)
def test_typed_settings_refuse_with_one_line_naming_the_setting(config, message):
    # The CLI's JSON-schema validation refuses these first; the typed parse refuses them too
    # for a configuration that was not validated (e.g. ``validate_config=False``).
    with pytest.raises(TapSettingError) as info:
        TapSettings.from_config({**CONNECTION, **config})
    assert str(info.value) == message
