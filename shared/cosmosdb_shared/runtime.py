"""Process-wide tuning for a long streaming run (tap or target CLI)."""

from __future__ import annotations

import gc

#: Allocations between two collections of the cyclic collector's young generation during a run
#: (CPython's default is 700; see ``gc.set_threshold``).
GC_YOUNG_THRESHOLD = 50_000


def tune_gc_for_streaming() -> None:
    """Make the cyclic garbage collector cheap for a run that streams records.

    A run allocates several short-lived containers per record, freed by reference counting
    (records hold no cycles), while a target holds up to a batch of records per stream
    (10,000 by default) until they are written. With CPython's defaults the collector scans the
    young generation every 700 allocations and the held records and every long-lived start-up
    object (modules, schemas, clients) on each older collection. The objects alive now are moved
    to the permanent generation (``gc.freeze``) and the young generation is scanned every
    :data:`GC_YOUNG_THRESHOLD` allocations. Call it once, after start-up imports.
    """
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, 20, 20)
