"""Partition key paths and the values a document holds at them, as azure-cosmos reads them.

Paths are parsed by the SDK's own parser, ``azure.cosmos._base.ParsePaths`` (the one
``_cosmos_client_connection.py:_retrieve_partition_key`` uses to find a document's key): ``/a/b``
names a nested property, and a member with special characters is quoted, ``/"odd/name"``. A
document without the property belongs to the *undefined* logical partition, which is not the
same as ``null`` (Cosmos DB docs, "Partitioning"; the SDK sends it as ``[{}]``).
"""

from __future__ import annotations

import functools
import typing as t

from cosmosdb_shared.compat import ParsePaths

if t.TYPE_CHECKING:
    from collections.abc import Mapping, Sequence


class _UndefinedType:
    """Marker for a partition key component missing from the document (a singleton)."""

    _instance: _UndefinedType | None = None

    def __new__(cls) -> _UndefinedType:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNDEFINED"


#: The value of a partition key component missing from the document.
UNDEFINED = _UndefinedType()


@functools.lru_cache(maxsize=256)
def _parts(path: str) -> tuple[str, ...]:
    return tuple(ParsePaths([path]))


def path_parts(path: str) -> list[str]:
    """Split a partition key path into member names, as azure-cosmos does.

    Args:
        path: A path such as ``/a/b`` or ``/"odd name"/x``.

    Returns:
        The member names from the root, e.g. ``["a", "b"]``.

    Raises:
        ValueError: If the path does not start with ``/`` or has an unterminated quote.
    """
    if not path.startswith("/"):
        raise ValueError(f"partition key path {path!r} does not start with '/'")
    return list(_parts(path))


def lookup(document: Mapping[str, t.Any], parts: Sequence[str]) -> t.Any:
    """Return the value at ``parts`` in ``document``, or :data:`UNDEFINED` when absent.

    Args:
        document: A document (nested dicts).
        parts: Member names from :func:`path_parts`.

    Returns:
        The value (``None`` for a JSON null), or :data:`UNDEFINED`.
    """
    node: t.Any = document
    for part in parts:
        if not isinstance(node, dict) or part not in node:
            return UNDEFINED
        node = node[part]
    return node


def partition_key_components(document: Mapping[str, t.Any], paths: Sequence[str]) -> list[t.Any]:
    """Return the document's partition key value at each path.

    Args:
        document: A document.
        paths: The container's ``partitionKey.paths`` (one for Hash, up to three for MultiHash).

    Returns:
        One value per path; :data:`UNDEFINED` where the document lacks the path.

    Raises:
        ValueError: On a malformed path.
    """
    return [lookup(document, path_parts(path)) for path in paths]
