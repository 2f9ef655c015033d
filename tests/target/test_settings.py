from __future__ import annotations

import json
import subprocess

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
