"""Workspace-wide test helpers.

The ``cosmosdb_emulator`` fixture (a session-scoped emulator process with in-memory data) comes
from the emulator's pytest plugin, registered through its ``pytest11`` entry point.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import typing as t
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def executable(name: str) -> str:
    """Path of a console script installed beside the test interpreter (or on PATH)."""
    candidate = BIN / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed; run `make install`")
    return found


@pytest.fixture
def database_name() -> str:
    """A database name unique to the test, so tests can share one emulator."""
    return f"test_{uuid.uuid4().hex[:12]}"


def write_config(path: Path, config: dict[str, t.Any]) -> Path:
    path.write_text(json.dumps(config))
    return path


def singer_lines(text: str) -> list[dict[str, t.Any]]:
    """Parse Singer messages from a tap's stdout (ignores blank lines)."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def run(
    cmd: list[str],
    *,
    stdin: str | None = None,
    timeout: float = 300,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        cmd, input=stdin, capture_output=True, text=True, timeout=timeout, env=full_env, check=False
    )
