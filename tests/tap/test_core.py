"""singer-sdk's standard tap tests against the emulator, with seeded data.

`get_tap_test_class` builds the tap (and so runs discovery) while the module is imported, so the
emulator and its data must exist before the session-scoped `cosmosdb_emulator` fixture could
provide them: this module starts its own emulator at import and stops it at module teardown
(or at interpreter exit if no test of the module runs).
"""

from __future__ import annotations

import atexit

import pytest
from azure.cosmos import PartitionKey
from singer_sdk.testing import SuiteConfig, get_tap_test_class

from cosmosdb_emulator import Emulator
from tap_cosmosdb.tap import TapCosmosDB

_EMULATOR = Emulator(partitions=2, data=":memory:", port=0).start()
atexit.register(_EMULATOR.stop)


def _seed() -> dict:
    database = _EMULATOR.client().create_database("core_tests")
    orders = database.create_container("orders", PartitionKey("/customer"))
    for i in range(25):
        doc = {
            "id": f"o{i}",
            "customer": f"c{i % 4}",
            "total": i * 1.5,
            "qty": i,
            "paid": i % 2 == 0,
            "address": {"city": "Oslo", "zip": f"0{i:03d}"},
            "lines": [{"sku": "a", "n": 1}],
        }
        if i == 7:
            del doc["customer"]  # a document lacking its partition key path
        orders.upsert_item(doc)
    events = database.create_container(
        "events", PartitionKey(["/tenant", "/user"], kind="MultiHash")
    )
    for i in range(10):
        events.upsert_item(
            {"id": f"e{i}", "tenant": f"t{i % 2}", "user": f"u{i % 3}", "kind": "click"}
        )
    return {
        "account_endpoint": _EMULATOR.endpoint,
        "account_key": _EMULATOR.key,
        "database": "core_tests",
        "page_size": 7,
    }


TestTapCosmosDB = get_tap_test_class(
    TapCosmosDB,
    config=_seed(),
    suite_config=SuiteConfig(max_records_limit=None),
)


@pytest.fixture(scope="module", autouse=True)
def _stop_emulator():
    yield
    _EMULATOR.stop()
