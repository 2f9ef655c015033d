"""Every plugin setting is in --about, in meltano.yml and in the README (generated tables);
the README and docs/ pages link to files that exist."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
import yaml

from tests.conftest import REPO, executable

#: singer-sdk's own settings, documented by singer-sdk rather than in meltano.yml.
SDK_BUILTIN = {
    "stream_maps",
    "stream_map_config",
    "faker_config",
    "flattening_enabled",
    "flattening_max_depth",
    "flattening_max_key_length",
    "flattening_separator",
    "load_method",
    "batch_config",
}


def about_settings(plugin: str) -> set[str]:
    out = subprocess.run(
        [executable(plugin), "--about", "--format=json"], capture_output=True, text=True, check=True
    ).stdout
    return set(json.loads(out)["settings"]["properties"])


def meltano_settings(plugin: str) -> tuple[set[str], set[str]]:
    project = yaml.safe_load((REPO / "meltano.yml").read_text())
    for kind in ("extractors", "loaders"):
        for entry in project["plugins"].get(kind, []):
            if entry["name"] == plugin:
                settings = entry.get("settings", [])
                names = {s["name"] for s in settings}
                sensitive = {s["name"] for s in settings if s.get("sensitive")}
                return names, sensitive
    pytest.fail(f"{plugin} is not in meltano.yml")


@pytest.mark.parametrize("plugin", ["tap-cosmosdb", "target-cosmosdb"])
def test_every_setting_is_in_meltano_yml_with_secrets_sensitive(plugin):
    about = about_settings(plugin) - SDK_BUILTIN
    declared, sensitive = meltano_settings(plugin)
    assert about - declared == set(), f"{plugin}: settings missing from meltano.yml"
    assert {"account_key", "connection_string", "client_secret"} <= sensitive


def test_readme_settings_tables_are_current():
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "readme_settings.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


#: Markdown links ``[text](target)``; the target's file part is checked, anchors are not.
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def relative_links(markdown: str) -> list[str]:
    """Return the file part of every relative link in a Markdown text (URLs and anchors skipped).

    Args:
        markdown: The Markdown text.

    Returns:
        The link targets without their ``#anchor``, in order.
    """
    targets = []
    for target in _LINK.findall(markdown):
        if target.startswith(("http://", "https://", "mailto:", "#")):
            continue
        targets.append(target.split("#", 1)[0])
    return targets


def test_relative_links_find_their_files():
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    assert len(pages) >= 8, "README.md and the docs/ pages were not found"
    broken = [
        f"{page.relative_to(REPO)} -> {target}"
        for page in pages
        for target in relative_links(page.read_text())
        if not (page.parent / target).exists()
    ]
    assert broken == []


def test_relative_links_skips_urls_and_anchors():
    text = "[a](docs/tap.md#state) [b](https://x.y/z) [c](#local) [d](../README.md)"
    assert relative_links(text) == ["docs/tap.md", "../README.md"]
