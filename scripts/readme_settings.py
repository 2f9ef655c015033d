"""Refresh the settings tables in README.md from each plugin's `--about --format=markdown`.

Each table sits between `<!-- settings:NAME -->` and `<!-- /settings:NAME -->` markers.
Usage: `python scripts/readme_settings.py [--check]` (exit 1 with --check when out of date).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
PLUGINS = ("tap-cosmosdb", "target-cosmosdb")


def settings_table(plugin: str) -> str:
    exe = Path(sys.executable).parent / plugin
    cmd = [
        str(exe) if exe.exists() else (shutil.which(plugin) or plugin),
        "--about",
        "--format=markdown",
    ]
    about = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rows = [line for line in about.splitlines() if line.startswith("|")]
    return "\n".join(rows)


def refreshed(text: str) -> str:
    for plugin in PLUGINS:
        pattern = re.compile(
            rf"(<!-- settings:{plugin} -->\n).*?(<!-- /settings:{plugin} -->)", re.DOTALL
        )
        if not pattern.search(text):
            raise SystemExit(f"README.md has no settings markers for {plugin}")
        table = settings_table(plugin)
        text = pattern.sub(lambda m, table=table: m.group(1) + table + "\n" + m.group(2), text)
    return text


def main() -> int:
    text = README.read_text()
    new = refreshed(text)
    if "--check" in sys.argv:
        if new != text:
            print("README.md settings tables are out of date: run scripts/readme_settings.py")
            return 1
        return 0
    README.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
