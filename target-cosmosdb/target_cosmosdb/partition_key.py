"""Partition key values of documents, for one path (Hash) or up to three (MultiHash, hierarchical).

Rules (Cosmos DB "Partitioning" and "Hierarchical partition keys" docs; the SDK's
``azure/cosmos/partition_key.py`` and ``_base.py:GetHeaders``):

* A path such as ``/tenant/id`` names a nested property; its value must be a string, number,
  boolean or null.
* A document without the property belongs to the *undefined* logical partition. The SDK writes
  that as ``NonePartitionKeyValue`` (header ``[{}]``); it is not the same as ``null``.
* Hierarchical keys are given as a list of component values; a missing component is sent as
  ``{}`` (the SDK normalises it to Undefined when hashing).
"""

from __future__ import annotations

import decimal
import json
import typing as t

from azure.cosmos.partition_key import NonePartitionKeyValue

from cosmosdb_shared.partition_key import UNDEFINED, partition_key_components
from target_cosmosdb.errors import RecordRejected

if t.TYPE_CHECKING:
    from collections.abc import Mapping, Sequence


#: Components of one document's partition key, one per path.
PartitionKeyValue = tuple[t.Any, ...]

MAX_HIERARCHY_DEPTH = 3


def parse_paths(setting: t.Any) -> list[str]:
    """Validate the ``partition_key_path`` setting.

    Args:
        setting: A path string such as ``"/id"``, or a list of 1 to 3 such paths (also accepted
            as JSON text, ``'["/tenant", "/user"]'``).

    Returns:
        The list of paths.

    Raises:
        ValueError: On an empty list, more than 3 paths, or a path not starting with ``/``.
    """
    if isinstance(setting, str) and setting.strip().startswith("["):
        try:  # a list given as JSON text, e.g. by an orchestrator with a string-typed setting
            setting = json.loads(setting)
        except json.JSONDecodeError:
            raise ValueError(
                f"Setting 'partition_key_path' is not a valid JSON list: {setting!r}"
            ) from None
    paths = [setting] if isinstance(setting, str) else list(setting or [])
    if not paths:
        raise ValueError("Setting 'partition_key_path' must name at least one path")
    if len(paths) > MAX_HIERARCHY_DEPTH:
        raise ValueError(
            f"Setting 'partition_key_path' has {len(paths)} paths; hierarchical keys allow at "
            f"most {MAX_HIERARCHY_DEPTH}"
        )
    for path in paths:
        if not isinstance(path, str) or not path.startswith("/") or path == "/" or "//" in path:
            raise ValueError(
                f"Setting 'partition_key_path' has invalid path {path!r}; use e.g. '/tenantId'"
            )
    return paths


def extract(doc: Mapping[str, t.Any], paths: Sequence[str]) -> PartitionKeyValue:
    """Read the partition key components of a document.

    Args:
        doc: The document.
        paths: Partition key paths (one for Hash, up to three for MultiHash).

    Returns:
        One component per path: the value, or :data:`UNDEFINED` when the property is absent.
        Decimal numbers are returned as float (Cosmos DB hashes numbers as doubles).

    Raises:
        RecordRejected: When a component is an object or array.
    """
    out: list[t.Any] = []
    for path, node in zip(paths, partition_key_components(doc, paths), strict=True):
        if isinstance(node, decimal.Decimal):
            node = float(node)
        if isinstance(node, (dict, list)):
            raise RecordRejected(
                f"partition key {path} is an {'object' if isinstance(node, dict) else 'array'}; "
                "it must be a string, number, boolean or null"
            )
        out.append(node)
    return tuple(out)


def to_sdk(value: PartitionKeyValue, *, hierarchical: bool) -> t.Any:
    """Convert components to the ``partition_key`` argument of the azure-cosmos SDK.

    Args:
        value: Components from :func:`extract`.
        hierarchical: True for a MultiHash container.

    Returns:
        For Hash: the single value, or ``NonePartitionKeyValue`` when undefined.
        For MultiHash: a list, with ``{}`` for each undefined component.
    """
    if not hierarchical:
        (single,) = value
        return NonePartitionKeyValue if single is UNDEFINED else single
    return [{} if v is UNDEFINED else v for v in value]


def describe(value: PartitionKeyValue) -> str:
    """Render components as the JSON array the service sees in ``x-ms-documentdb-partitionkey``.

    Args:
        value: Components from :func:`extract`.

    Returns:
        E.g. ``'["x"]'``, ``'[{}]'`` for undefined, ``'["t1",5]'`` for a hierarchical key.
    """
    return json.dumps([{} if v is UNDEFINED else v for v in value], separators=(",", ":"))


def group_key(value: PartitionKeyValue) -> tuple[t.Any, ...]:
    """Return a hashable key that tells logical partitions apart.

    ``1`` and ``True`` (or ``0`` and ``False``) are different logical partitions in Cosmos DB but
    equal in Python, so each component is tagged with its JSON type; ``1`` and ``1.0`` are the
    same number (a double) in both.

    Args:
        value: Components from :func:`extract`.

    Returns:
        A tuple usable as a dict key.
    """
    out: list[tuple[str, t.Any]] = []
    for v in value:
        if v is UNDEFINED:
            out.append(("undefined", None))
        elif v is None:
            out.append(("null", None))
        elif isinstance(v, bool):
            out.append(("bool", v))
        elif isinstance(v, (int, float)):
            out.append(("number", float(v)))
        else:
            out.append(("string", v))
    return tuple(out)
