"""Reading ``python -X importtime`` output: which modules a plugin process imported.

Used by the start-up tests of both plugins (``tests/tap/test_startup.py``,
``tests/target/test_startup.py``), which check ``cosmosdb_shared.compat.deferred_imports``.
"""

from __future__ import annotations

#: Top-level packages singer-sdk's target side pulls in through joblib; neither plugin needs
#: them during a run.
JOBLIB_SIDE = frozenset({"joblib", "numpy", "psutil"})

#: Top-level packages a Singer-protocol run of either plugin must not import: the joblib side,
#: universal-pathlib, fsspec and the importlib_metadata backport (BATCH messages only),
#: packaging (``--about`` only), python-dotenv (``--config ENV`` only) and jsonpath-ng
#: (singer-sdk's REST streams).
DEFERRED_PACKAGES = JOBLIB_SIDE | {
    "upath",
    "fsspec",
    "importlib_metadata",
    "packaging",
    "dotenv",
    "jsonpath_ng",
}

#: singer-sdk modules such a run must not import (the REST and GraphQL stream bases and what
#: only they import).
DEFERRED_MODULES = frozenset(
    {
        "singer_sdk.streams.rest",
        "singer_sdk.streams.graphql",
        "singer_sdk.authenticators",
        "singer_sdk.pagination",
        "singer_sdk.helpers.jsonpath",
    }
)


def imported_modules(importtime_stderr: str) -> set[str]:
    """Full module names in ``python -X importtime`` output (its stderr)."""
    names = set()
    for line in importtime_stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "imported package":
                names.add(name)
    return names


def imported_packages(importtime_stderr: str) -> set[str]:
    """Top-level package names in ``python -X importtime`` output (its stderr)."""
    return {name.split(".")[0] for name in imported_modules(importtime_stderr)}


def deferred_imports_seen(importtime_stderr: str) -> set[str]:
    """What of :data:`DEFERRED_PACKAGES` and :data:`DEFERRED_MODULES` the process imported."""
    modules = imported_modules(importtime_stderr)
    packages = {name.split(".")[0] for name in modules}
    return (packages & DEFERRED_PACKAGES) | (modules & DEFERRED_MODULES)
