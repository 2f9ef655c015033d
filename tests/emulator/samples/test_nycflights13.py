from __future__ import annotations

import pytest

from cosmosdb_emulator.samples.nycflights13 import TABLES, documents


@pytest.mark.parametrize("table", [t for t in TABLES if t != "flights"])
def test_ids_are_unique_so_no_row_overwrites_another(table):
    docs = list(documents(table))
    path = TABLES[table][0].lstrip("/")
    keys = {(d.get(path), d["id"]) for d in docs}
    assert len(keys) == len(docs)


def test_flights_leave_missing_values_out_and_keep_integers_integral():
    docs = list(documents("flights", limit=5000))
    assert len({d["id"] for d in docs}) == 5000
    without_tailnum = [d for d in docs if "tailnum" not in d]
    assert without_tailnum, "some flights lack the partition key (the undefined partition)"
    assert all(d["tailnum"] is not None for d in docs if "tailnum" in d)
    assert all(isinstance(d["dep_time"], int) for d in docs if "dep_time" in d)
