"""pytest plugin: a session-scoped ``cosmosdb_emulator`` fixture.

The emulator runs with ``:memory:`` data; tests isolate themselves by using unique database
names. New containers get their physical ranges from their throughput as in the service (one
per 10,000 RU/s, at least 1) unless the ini option ``cosmosdb_emulator_partitions`` (or the
command-line option ``--cosmosdb-emulator-partitions``) fixes the count for every container.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cosmosdb_emulator.process import Emulator

_INI = "cosmosdb_emulator_partitions"


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the ``cosmosdb_emulator_partitions`` ini and command-line options."""
    help_text = (
        "physical ranges for every container created on the cosmosdb_emulator fixture"
        " (default: from the container's throughput, as the service does)"
    )
    parser.addini(_INI, help_text, default="")
    parser.addoption("--cosmosdb-emulator-partitions", dest=_INI, default=None, help=help_text)


def _partitions(config: pytest.Config) -> int | None:
    raw = config.getoption(_INI) or config.getini(_INI)
    text = str(raw).strip()
    if not text:
        return None
    if not text.isdigit() or int(text) < 1:
        raise pytest.UsageError(f"{_INI} must be a whole number >= 1, got {text!r}")
    return int(text)


@pytest.fixture(scope="session")
def cosmosdb_emulator(pytestconfig: pytest.Config) -> Iterator[Emulator]:
    """A running :class:`Emulator` shared by the whole test session."""
    with Emulator(partitions=_partitions(pytestconfig), data=":memory:", port=0) as emu:
        yield emu
