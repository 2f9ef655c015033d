"""Process-wide tuning for a long streaming run (tap or target CLI)."""

from __future__ import annotations

import ctypes
import gc
import sys

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


#: ``mallopt`` parameter numbers of glibc (``<malloc.h>``: ``M_TRIM_THRESHOLD``,
#: ``M_MMAP_THRESHOLD``).
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
#: Allocations below this many bytes come from the heap instead of a ``mmap`` of their own.
MMAP_THRESHOLD_BYTES = 4 * 1024 * 1024
#: Bytes of free memory at the top of a heap kept for reuse instead of returned to the system.
TRIM_THRESHOLD_BYTES = 64 * 1024 * 1024


def keep_freed_memory() -> bool:
    """Let glibc's allocator reuse freed memory instead of returning it to the system at once.

    A run allocates and frees page-sized buffers (response bodies, decoded pages, a page of
    output lines: about 1 MB each with 1,000 documents of 1 KB) on several threads. With
    glibc's defaults (``mallopt(3)``: blocks from 128 KiB get a ``mmap`` of their own; a heap
    gives back free memory above 128 KiB) such memory goes back to the kernel and the next page
    faults it in again (about half of a tap's kernel time for 50,000 such documents). Here
    blocks below :data:`MMAP_THRESHOLD_BYTES` come from the heap and up to
    :data:`TRIM_THRESHOLD_BYTES` of free heap is kept; the peak footprint does not change (the
    memory was in use at the peak anyway). Does nothing where the C library has no ``mallopt``
    (not Linux, or not glibc).

    Returns:
        True when both settings were applied.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the process's own C library
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)
    )
