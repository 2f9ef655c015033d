"""Install the optional request hooks: stats, faults, throughput, request charge.

Hook order matters: ``before`` runs in list order (faults may delay/drop/answer first, then the
throughput check), ``after`` in reverse (charge computed first, then deducted from the RU budget,
then ``drop_after`` faults, then counted in the stats).
"""

from __future__ import annotations

from cosmosdb_emulator import catalog
from cosmosdb_emulator.app import App
from cosmosdb_emulator.faults import FaultHook
from cosmosdb_emulator.request_charge import RequestChargeHook
from cosmosdb_emulator.stats import StatsHook
from cosmosdb_emulator.throughput import ThroughputHook


def install(app: App) -> None:
    """Attach the hooks to ``app`` and restore provisioned throughput from storage."""
    stats = StatsHook(app)
    faults = FaultHook()
    throughput = ThroughputHook()
    app.hooks[:0] = [stats, faults, throughput, RequestChargeHook()]
    app.stats, app.faults, app.throughput = stats, faults, throughput
    with app.store.read() as conn:
        rates = catalog.provisioned_rates(conn)
    for db_id, coll_id, ru in rates:
        throughput.set_rate(f"{db_id}/{coll_id}", ru)
