"""singer-sdk's standard target tests against the emulator.

The SDK's sample streams have no ``id`` field, so they run with ``id_strategy: hash``.
"""

from __future__ import annotations

import uuid

import pytest
from singer_sdk.testing import get_target_test_class

from target_cosmosdb.target import TargetCosmosDB

#: Filled from the session emulator before each test (the factory needs the dict up front).
CONFIG: dict = {"database": "placeholder"}

_StandardTargetTests = get_target_test_class(TargetCosmosDB, config=CONFIG)


class TestTargetCosmosDB(_StandardTargetTests):  # type: ignore[misc, valid-type]
    """Standard target tests."""

    @pytest.fixture(autouse=True, scope="class")
    @classmethod
    def _emulator_config(cls, cosmosdb_emulator):
        database = f"core_{uuid.uuid4().hex[:10]}"
        CONFIG.update(
            account_endpoint=cosmosdb_emulator.endpoint,
            account_key=cosmosdb_emulator.key,
            database=database,
            id_strategy="hash",
        )
        yield
        cosmosdb_emulator.client().delete_database(database)
