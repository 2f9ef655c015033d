"""Physical ranges of a new container: from its throughput like the service, or fixed.

The service gives a container one physical partition per 10,000 RU/s of manual or
autoscale-maximum throughput (its own, or its database's when the throughput is shared), at
least 1; ``--partitions N`` / ``Emulator(partitions=N)`` fixes N for every container instead.
"""

from __future__ import annotations

import math

import pytest
from azure.cosmos import PartitionKey, ThroughputProperties

from cosmosdb_emulator import Emulator


def _ranges(container) -> int:
    return len(list(container.read_feed_ranges(force_refresh=True)))


@pytest.fixture(scope="module")
def service_like():
    with Emulator() as emu:
        yield emu


@pytest.mark.parametrize(
    ("name", "throughput", "expected"),
    [
        ("default", None, 1),  # the service's default 400 RU/s
        ("manual_400", 400, 1),
        ("manual_10000", 10_000, 1),
        ("manual_10100", 10_100, 2),
        ("manual_11000", 11_000, 2),
        ("manual_40000", 40_000, 4),
        ("auto_4000", ThroughputProperties(auto_scale_max_throughput=4_000), 1),
        ("auto_25000", ThroughputProperties(auto_scale_max_throughput=25_000), 3),
    ],
)
def test_container_ranges_follow_its_throughput(service_like, name, throughput, expected):
    db = service_like.client().create_database_if_not_exists("own")
    kwargs = {} if throughput is None else {"offer_throughput": throughput}
    coll = db.create_container(name, PartitionKey("/pk"), **kwargs)
    assert _ranges(coll) == expected


def test_shared_throughput_database_sizes_its_containers(service_like):
    client = service_like.client()
    db = client.create_database("shared", offer_throughput=30_000)
    assert _ranges(db.create_container("c", PartitionKey("/pk"))) == math.ceil(30_000 / 10_000)
    # A container's own throughput wins over the database's.
    assert _ranges(db.create_container("own", PartitionKey("/pk"), offer_throughput=400)) == 1
    auto = client.create_database(
        "shared_auto", offer_throughput=ThroughputProperties(auto_scale_max_throughput=50_000)
    )
    assert _ranges(auto.create_container("c", PartitionKey("/pk"))) == 5


def test_partitions_override_applies_to_every_container():
    with Emulator(partitions=3) as emu:
        db = emu.client().create_database("fixed")
        assert _ranges(db.create_container("small", PartitionKey("/pk"))) == 3
        big = db.create_container("big", PartitionKey("/pk"), offer_throughput=50_000)
        assert _ranges(big) == 3


def test_documents_spread_over_throughput_ranges_stay_readable(service_like):
    db = service_like.client().create_database_if_not_exists("spread")
    coll = db.create_container("c", PartitionKey("/pk"), offer_throughput=20_000)
    for i in range(20):
        coll.upsert_item({"id": str(i), "pk": f"p{i}"})
    per_range = [
        len(list(coll.query_items("SELECT * FROM c", feed_range=r)))
        for r in coll.read_feed_ranges()
    ]
    assert len(per_range) == 2
    assert sum(per_range) == 20
    assert all(n > 0 for n in per_range)
