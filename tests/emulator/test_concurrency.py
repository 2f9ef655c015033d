"""Concurrent writers and a change-feed reader: the LSN order means nothing is skipped."""

from __future__ import annotations

import threading

from tests.emulator.conftest import drain


def test_concurrent_batches_while_draining(cosmosdb_emulator, database, container):
    errors = []

    def writer(t):
        try:
            c = (
                cosmosdb_emulator.client()
                .get_database_client(database.id)
                .get_container_client(container.id)
            )
            for b in range(8):
                pk = f"w{t}-{b}"
                c.execute_item_batch(
                    [("create", ({"id": str(i), "pk": pk},)) for i in range(25)], partition_key=pk
                )
        except Exception as exc:  # surfaced below
            errors.append(exc)

    seen: list[tuple[str, str]] = []
    items, token = drain(container, start_time="Beginning")
    threads = [threading.Thread(target=writer, args=(t,)) for t in range(6)]
    for th in threads:
        th.start()
    while any(th.is_alive() for th in threads):
        items, token = drain(container, continuation=token, max_item_count=50)
        seen += [(d["pk"], d["id"]) for d in items]
    for th in threads:
        th.join()
    items, token = drain(container, continuation=token)
    seen += [(d["pk"], d["id"]) for d in items]
    assert not errors
    assert len(seen) == len(set(seen)) == 6 * 8 * 25
