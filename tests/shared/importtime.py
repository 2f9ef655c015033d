"""Reading ``python -X importtime`` output: which packages a plugin process imported.

Used by the start-up tests of both plugins (``tests/tap/test_startup.py``,
``tests/target/test_startup.py``), which check ``cosmosdb_shared.compat.deferred_joblib``.
"""

from __future__ import annotations

#: Top-level packages singer-sdk's target side pulls in through joblib; neither plugin needs
#: them during a run.
JOBLIB_SIDE = frozenset({"joblib", "numpy", "psutil"})


def imported_packages(importtime_stderr: str) -> set[str]:
    """Top-level package names in ``python -X importtime`` output (its stderr)."""
    names = set()
    for line in importtime_stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "imported package":
                names.add(name.split(".")[0])
    return names
