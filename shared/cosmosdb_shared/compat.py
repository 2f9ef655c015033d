"""Fingerprints of the private library code the plugins rely on.

singer-sdk and azure-cosmos offer no public hook for a few things this project needs (listed,
each with its reason and upstream issue, in ``tap_cosmosdb.compat``, ``target_cosmosdb.compat``
and below). Both libraries are pinned exactly in the packages' metadata; on top of that, each
compat module records a fingerprint of the private source it relies on, and
``tests/*/test_compat.py`` recomputes it: an upgrade that changes that code fails the test
before it can silently change the delivery guarantee.

Private uses of this package:
    ``azure.cosmos._base.ParsePaths`` (``cosmosdb_shared.partition_key``): the SDK's own
    partition-key path parser, so that paths with quoted members (``/"a/b"``) are split exactly
    as the SDK splits them when it routes a document. No public equivalent exists in
    azure-cosmos 4.17.1.

``singer_sdk.target_base`` (module import) and ``Target._drain_all``:
    singer-sdk's package import runs ``target_base``, which does
    ``from joblib import Parallel, delayed, parallel_config`` (used only by
    ``Target._drain_all``); joblib imports numpy, psutil and loky, about a third of singer-sdk's
    import time. A tap never drains a sink, and target-cosmosdb drains without joblib
    (``TargetCosmosDB.drain_sinks``). This module is imported first by both plugins (and by
    this package's ``__init__``): while singer_sdk is first imported, :func:`deferred_joblib`
    puts a stand-in module under ``sys.modules["joblib"]`` whose three names import the real
    joblib on first call; afterwards ``import joblib`` is the real module. Anything else asked
    of the stand-in during that import also loads the real joblib. ``tests/tap/test_startup.py``
    fails if singer-sdk imports other joblib names or imports joblib elsewhere, and the
    plugins' ``PRIVATE_USES`` fingerprint ``Target._drain_all`` (the names' caller). Upstream:
    meltano/sdk#2335 (install and import overheads, closed; 0.54.9 still imports joblib from
    the package root).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import inspect
import sys
import types
import typing as t

from azure.cosmos._base import ParsePaths

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = [
    "JOBLIB_NAMES",
    "PRIVATE_USES",
    "ParsePaths",
    "changed_fingerprints",
    "deferred_joblib",
    "resolve",
    "source_fingerprint",
]


# singer-sdk import ------------------------------------------------------------------------

#: What singer-sdk 0.54.9's ``target_base`` imports from joblib, by name; only
#: ``Target._drain_all`` calls them.
JOBLIB_NAMES = ("Parallel", "delayed", "parallel_config")


def _real_joblib() -> types.ModuleType:
    """Import (once) and return the real joblib, taking the stand-in out of the way first."""
    if isinstance(sys.modules.get("joblib"), _DeferredJoblib):
        del sys.modules["joblib"]
    return importlib.import_module("joblib")


def _deferred(name: str) -> Callable[..., t.Any]:
    def call(*args: t.Any, **kwargs: t.Any) -> t.Any:
        return getattr(_real_joblib(), name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"``joblib.{name}``, imported on the first call."
    return call


class _DeferredJoblib(types.ModuleType):
    """Stands in for ``joblib`` while singer_sdk is imported (see :func:`deferred_joblib`)."""

    def __init__(self) -> None:
        super().__init__("joblib", "Stand-in for joblib; the real module loads on first use.")
        for name in JOBLIB_NAMES:
            setattr(self, name, _deferred(name))

    def __getattr__(self, name: str) -> t.Any:
        if name.startswith("__"):  # the import system probing (``__path__``): not joblib's
            raise AttributeError(name)
        return getattr(_real_joblib(), name)


@contextlib.contextmanager
def deferred_joblib() -> Iterator[None]:
    """Let singer_sdk be imported without importing joblib (and numpy) until a target drains.

    Does nothing when joblib or singer_sdk is already imported.

    Yields:
        None, while ``sys.modules["joblib"]`` is the stand-in.
    """
    if "joblib" in sys.modules or "singer_sdk" in sys.modules:
        yield
        return
    stand_in = _DeferredJoblib()
    sys.modules["joblib"] = stand_in
    try:
        yield
    finally:
        if sys.modules.get("joblib") is stand_in:
            del sys.modules["joblib"]


with deferred_joblib():
    import singer_sdk  # noqa: F401  (first import of singer_sdk in the plugin's process)

#: Private callables of azure-cosmos this package uses, by dotted name, with the fingerprint of
#: their source in the pinned version (see :func:`source_fingerprint`).
PRIVATE_USES: dict[str, str] = {
    "azure.cosmos._base.ParsePaths": "00e84820882356ed",
}


def source_fingerprint(obj: t.Any) -> str:
    """Return a short fingerprint of an object's source code.

    The source is taken with :func:`inspect.getsource`, stripped of trailing whitespace per
    line, and hashed with SHA-256; the first 16 hex digits are returned. Comments and docstrings
    count: a change there is a reason to re-read the code.

    Args:
        obj: A function, method or class whose source is available.

    Returns:
        16 hexadecimal characters.

    Raises:
        OSError: the source of ``obj`` is not available (e.g. a C extension).
        TypeError: ``obj`` is a built-in object without source.
    """
    source = "\n".join(line.rstrip() for line in inspect.getsource(obj).splitlines())
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]


def resolve(dotted: str) -> t.Any:
    """Import and return the object a dotted name such as ``pkg.module.Class.method`` names.

    Args:
        dotted: Module path followed by attribute names.

    Returns:
        The object.

    Raises:
        ImportError: no prefix of ``dotted`` is an importable module.
        AttributeError: an attribute along the path does not exist (the library changed).
    """
    import importlib

    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            obj = getattr(obj, name)
        return obj
    raise ImportError(f"cannot import any module prefix of {dotted!r}")


def changed_fingerprints(recorded: t.Mapping[str, str]) -> dict[str, str]:
    """Compare recorded fingerprints with the installed libraries.

    Args:
        recorded: Dotted name to the fingerprint recorded for the pinned library version.

    Returns:
        Dotted name to a description of the difference, for every name whose object is gone
        or whose source changed; empty when everything matches.
    """
    changed: dict[str, str] = {}
    for dotted, expected in recorded.items():
        try:
            actual = source_fingerprint(resolve(dotted))
        except (ImportError, AttributeError, OSError, TypeError) as exc:
            changed[dotted] = f"missing ({exc})"
            continue
        if actual != expected:
            changed[dotted] = f"source changed: recorded {expected}, installed {actual}"
    return changed
