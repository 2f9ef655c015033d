"""The warehouse compatibility suite runs only under ``make compat`` (``COSMOS_COMPAT=1``).

``make test`` collects ``tests/`` too: without the variable this directory's test modules are not
collected at all, so the suite costs ``make test`` nothing. ``make compat`` first builds the
loaders' virtualenvs (``.venv-compat-*``).
"""

from __future__ import annotations

import os
import typing as t

import pytest

if os.environ.get("COSMOS_COMPAT") != "1":
    collect_ignore_glob = ["test_*.py"]

#: Lines the suite wants on the terminal after the run (the type table, timings).
REPORT: list[str] = []


def pytest_terminal_summary(terminalreporter: t.Any) -> None:
    if REPORT:
        terminalreporter.section("warehouse compatibility report")
        for line in REPORT:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def postgres_uri(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[str]:
    """A real PostgreSQL server started by the suite (pgserver), as a unix-socket URI."""
    import pgserver

    server = pgserver.get_server(tmp_path_factory.mktemp("pg"), cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()
