"""The target's partition-key policy: the ``partition_key_path`` setting and key extraction.

The mechanics (paths, the undefined/null distinction, the header form, the SDK argument, logical
partition identity) are :mod:`cosmosdb_shared.partition_key`, shared with the tap. This module
adds the target's rules (Cosmos DB "Partitioning" and "Hierarchical partition keys" docs):

* The setting names one path, or up to three for a hierarchical (MultiHash) key.
* A key component must be a string, number, boolean or null; a record whose key is an object or
  array is rejected (:class:`target_cosmosdb.errors.RecordRejected`).
* Numbers read as ``Decimal`` are hashed as doubles by the service, so they become float.
"""

from __future__ import annotations

import decimal
import json
import typing as t

from cosmosdb_shared.partition_key import (
    UNDEFINED,
    lookup,
    partition_key_components,
    path_parts,
)
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
        One component per path: the value, or :data:`cosmosdb_shared.partition_key.UNDEFINED` when the property is absent.
        Decimal numbers are returned as float (Cosmos DB hashes numbers as doubles).

    Raises:
        RecordRejected: When a component is an object or array.
    """
    return tuple(
        _component(path, node)
        for path, node in zip(paths, partition_key_components(doc, paths), strict=True)
    )


def extractor(paths: Sequence[str]) -> t.Callable[[Mapping[str, t.Any]], PartitionKeyValue]:
    """Return :func:`extract` for fixed ``paths``, with the paths parsed once.

    Args:
        paths: Partition key paths.

    Returns:
        A function of a document returning what ``extract(doc, paths)`` returns (and raising
        what it raises).

    Raises:
        ValueError: On a malformed path.
    """
    parsed = [(path, tuple(path_parts(path))) for path in paths]
    if len(parsed) == 1 and len(parsed[0][1]) == 1:
        path, (name,) = parsed[0]

        def top_level(doc: Mapping[str, t.Any]) -> PartitionKeyValue:
            node = doc.get(name, UNDEFINED)
            if type(node) is str:
                return (node,)
            return (_component(path, node),)

        return top_level

    def nested(doc: Mapping[str, t.Any]) -> PartitionKeyValue:
        return tuple(_component(path, lookup(doc, parts)) for path, parts in parsed)

    return nested


def _component(path: str, node: t.Any) -> t.Any:
    if isinstance(node, decimal.Decimal):
        return float(node)
    if isinstance(node, (dict, list)):
        raise RecordRejected(
            f"partition key {path} is an {'object' if isinstance(node, dict) else 'array'}; "
            "it must be a string, number, boolean or null"
        )
    return node
