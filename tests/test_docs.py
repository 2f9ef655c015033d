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


#: Markdown links ``[text](target)``.
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def relative_links(markdown: str) -> list[tuple[str, str]]:
    """Return ``(file, anchor)`` of every relative link in a Markdown text (URLs skipped).

    Args:
        markdown: The Markdown text.

    Returns:
        The link targets split at ``#`` (``""`` for a missing part), in order.
    """
    targets = []
    for target in _LINK.findall(markdown):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        file, _, anchor = target.partition("#")
        targets.append((file, anchor))
    return targets


def anchors(markdown: str) -> set[str]:
    """Return the anchors GitHub gives the headings of a Markdown text.

    GitHub's rule: lower-case the heading text, drop every character that is not a letter, a
    digit, a space, ``-`` or ``_``, turn spaces into ``-``, and suffix repeats with ``-1``,
    ``-2``... Headings inside code fences are not headings.

    Args:
        markdown: The Markdown text.

    Returns:
        Every anchor of the page.
    """
    seen: dict[str, int] = {}
    fenced = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        if fenced or not line.startswith("#"):
            continue
        text = line.lstrip("#").strip().lower()
        slug = "".join(c for c in text if c.isalnum() or c in " -_").replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        if count:
            seen[f"{slug}-{count}"] = 1
    return set(seen)


def test_relative_links_find_their_files_and_headings():
    pages = [
        REPO / "README.md",
        *sorted((REPO / "docs").glob("*.md")),
        *sorted(REPO.glob("*/README.md")),
    ]
    assert len(pages) >= 12, "README.md, the docs/ pages and the package READMEs were not found"
    broken = []
    for page in pages:
        for file, anchor in relative_links(page.read_text()):
            path = (page.parent / file) if file else page
            if not path.exists():
                broken.append(f"{page.relative_to(REPO)} -> {file}")
            elif anchor and path.suffix == ".md" and anchor not in anchors(path.read_text()):
                broken.append(f"{page.relative_to(REPO)} -> {file}#{anchor}")
    assert broken == []


def test_link_and_anchor_parsing():
    text = "[a](docs/tap.md#state) [b](https://x.y/z) [c](#local) [d](../README.md)"
    assert relative_links(text) == [("docs/tap.md", "state"), ("", "local"), ("../README.md", "")]
    page = "# tap · target\n## State\n```\n# not a heading\n```\n### State\n## `make demo` (x/y)\n"
    assert anchors(page) == {"tap--target", "state", "state-1", "make-demo-xy"}
