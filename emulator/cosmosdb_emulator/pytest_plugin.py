"""pytest plugin: a session-scoped ``cosmosdb_emulator`` fixture.

The emulator runs with ``:memory:`` data and 4 physical ranges per container; tests isolate
themselves by using unique database names.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cosmosdb_emulator.process import Emulator


@pytest.fixture(scope="session")
def cosmosdb_emulator() -> Iterator[Emulator]:
    """A running :class:`Emulator` shared by the whole test session."""
    with Emulator(partitions=4, data=":memory:", port=0) as emu:
        yield emu
