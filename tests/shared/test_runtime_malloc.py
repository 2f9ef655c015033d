"""keep_freed_memory changes glibc's allocator: a 1 MiB block comes from the heap, not a mmap."""

from __future__ import annotations

import subprocess
import sys

import pytest

# A fresh process allocates 1 MiB with malloc and reports glibc's IS_MMAPPED bit (0x2 in the
# size field just before the block, malloc.c "chunk representation").
_PROBE = """
import ctypes, sys
from cosmosdb_shared.runtime import keep_freed_memory
applied = keep_freed_memory() if sys.argv[1] == "on" else None
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = (ctypes.c_size_t,)
libc.free.argtypes = (ctypes.c_void_p,)
block = libc.malloc(1 << 20)
size_field = ctypes.c_size_t.from_address(block - ctypes.sizeof(ctypes.c_size_t)).value
libc.free(block)
print(applied, bool(size_field & 2))
"""


def _probe(mode: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, mode], capture_output=True, text=True, check=True
    )
    return proc.stdout.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc mallopt")
def test_keep_freed_memory_serves_page_sized_blocks_from_the_heap() -> None:
    assert _probe("off") == "None True"  # glibc's default: 1 MiB gets its own mmap
    assert _probe("on") == "True False"
