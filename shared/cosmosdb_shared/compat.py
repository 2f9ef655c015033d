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
"""

from __future__ import annotations

import hashlib
import inspect
import typing as t

from azure.cosmos._base import ParsePaths

__all__ = ["PRIVATE_USES", "ParsePaths", "changed_fingerprints", "resolve", "source_fingerprint"]

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
