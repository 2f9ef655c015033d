"""Partition keys, for the tap and the target alike: paths, values, definition, header form.

This is the one home of partition-key mechanics (what the plugins decide to do with a key, e.g.
reject a record whose key is an object, stays in the plugins).

Paths are parsed by the SDK's own parser, ``azure.cosmos._base.ParsePaths`` (the one
``_cosmos_client_connection.py:_retrieve_partition_key`` uses to find a document's key): ``/a/b``
names a nested property, and a member with special characters is quoted, ``/"odd/name"``. A
document without the property belongs to the *undefined* logical partition, which is not the
same as ``null`` (Cosmos DB docs, "Partitioning"; the SDK sends it as ``[{}]``).

A key's *header form* is the JSON array the ``x-ms-documentdb-partitionkey`` request header
carries (``azure/cosmos/_base.py:GetHeaders``: compact separators, one element per path, ``{}``
for an undefined component). The tap writes it as ``_sdc_partition_key`` and the target reports
keys in it, so both spell a document's key the same way (:func:`header_json`).

A container's definition (``partitionKey`` of the container resource, Cosmos DB REST API
"Create a collection": ``paths``, ``kind`` ``Hash`` or ``MultiHash`` for hierarchical keys of up
to three paths, ``version`` 1 or 2) is read and built by :class:`PartitionKeyDefinition`.
"""

from __future__ import annotations

import functools
import json
import typing as t
from dataclasses import dataclass

from azure.cosmos.partition_key import NonePartitionKeyValue, PartitionKey

from cosmosdb_shared.compat import ParsePaths

if t.TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence


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
    if not path.startswith("/"):
        raise ValueError(f"partition key path {path!r} does not start with '/'")
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


def header_values(components: Iterable[t.Any]) -> list[t.Any]:
    """Return key components as the elements of the ``x-ms-documentdb-partitionkey`` array.

    Args:
        components: Values from :func:`partition_key_components` (or the target's extraction).

    Returns:
        A list with ``{}`` for each :data:`UNDEFINED` component; ``None`` (JSON null) stays.
    """
    return [{} if v is UNDEFINED else v for v in components]


def header_json(components: Sequence[t.Any]) -> str:
    """Return key components in header form: the compact JSON array the service receives.

    Args:
        components: Values from :func:`partition_key_components` (or the target's extraction).

    Returns:
        E.g. ``'["AA"]'``, ``'[5]'``, ``'[true]'``, ``'[null]'``, ``'[{}]'`` (undefined),
        ``'["t1","u1"]'`` (hierarchical).
    """
    if len(components) == 1:
        # Fast path for the common single string or integer key: the same text json.dumps
        # writes (it encodes strings with this very function when ensure_ascii is on, and
        # integers with int.__repr__).
        value = components[0]
        if type(value) is str:
            return "[" + _encode_ascii(value) + "]"
        if type(value) is int:
            return f"[{int.__repr__(value)}]"
    return json.dumps(header_values(components), separators=(",", ":"))


_encode_ascii = json.encoder.encode_basestring_ascii


def document_header_json(document: Mapping[str, t.Any], paths: Sequence[str]) -> str:
    """Return a document's partition key in header form (the tap's ``_sdc_partition_key``).

    Args:
        document: A document.
        paths: The container's ``partitionKey.paths``.

    Returns:
        The same text as ``header_json(partition_key_components(document, paths))``.

    Raises:
        ValueError: On a malformed path.
    """
    if len(paths) == 1:
        return header_json((lookup(document, _parts(paths[0])),))
    return header_json(partition_key_components(document, paths))


def sdk_value(components: Sequence[t.Any], *, hierarchical: bool) -> t.Any:
    """Return key components as the ``partition_key`` argument of azure-cosmos calls.

    Args:
        components: One value per path (:data:`UNDEFINED` where absent).
        hierarchical: True for a MultiHash container.

    Returns:
        For Hash: the single value, or ``azure.cosmos.partition_key.NonePartitionKeyValue``
        when undefined (the SDK then sends ``[{}]``). For MultiHash: a list with ``{}`` for each
        undefined component.
    """
    if not hierarchical:
        (single,) = components
        return NonePartitionKeyValue if single is UNDEFINED else single
    return header_values(components)


def group_key(components: Iterable[t.Any]) -> tuple[tuple[str, t.Any], ...]:
    """Return a hashable key that tells logical partitions apart.

    ``1`` and ``True`` (or ``0`` and ``False``) are different logical partitions in Cosmos DB but
    equal in Python, so each component is tagged with its JSON type; ``1`` and ``1.0`` are the
    same number (a double) in both.

    Args:
        components: One value per path (:data:`UNDEFINED` where absent).

    Returns:
        A tuple usable as a dict key.
    """
    out: list[tuple[str, t.Any]] = []
    for v in components:
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


@dataclass(frozen=True)
class PartitionKeyDefinition:
    """A container's partition key definition (the ``partitionKey`` of the container resource).

    Attributes:
        paths: One path for ``Hash``, one to three for ``MultiHash`` (hierarchical keys).
        kind: ``"Hash"`` or ``"MultiHash"``.
        version: Hash version, 1 or 2 (how the service hashes values to effective keys).
    """

    paths: tuple[str, ...]
    kind: str = "Hash"
    version: int = 2

    @classmethod
    def from_resource(
        cls, definition: Mapping[str, t.Any] | None, default_paths: Sequence[str] = ("/id",)
    ) -> PartitionKeyDefinition:
        """Read a definition as ``ContainerProxy.read()`` returns it (``properties["partitionKey"]``).

        Missing members take the defaults azure-cosmos routes with
        (``azure.cosmos.partition_key._get_partition_key_from_partition_key_definition``:
        kind ``Hash``, version 1).

        Args:
            definition: ``{"paths": [...], "kind": ..., "version": ...}``, or None.
            default_paths: Paths when the definition names none.

        Returns:
            The definition.
        """
        definition = definition or {}
        paths = tuple(definition.get("paths") or default_paths)
        kind = str(definition.get("kind") or "Hash")
        version = int(definition.get("version") or 1)
        return cls(paths, kind, version)

    @classmethod
    def for_paths(cls, paths: Sequence[str]) -> PartitionKeyDefinition:
        """Return the definition a new container with these paths gets (hash version 2).

        Args:
            paths: One path (``Hash``) or up to three (``MultiHash``).

        Returns:
            The definition.
        """
        return cls(tuple(paths), "MultiHash" if len(paths) > 1 else "Hash", 2)

    @property
    def hierarchical(self) -> bool:
        """True for a ``MultiHash`` (hierarchical) key, or any key of more than one path."""
        return self.kind == "MultiHash" or len(self.paths) > 1

    def as_dict(self) -> dict[str, t.Any]:
        """Return the definition as the container resource spells it.

        Returns:
            ``{"paths": [...], "kind": ..., "version": ...}``.
        """
        return {"paths": list(self.paths), "kind": self.kind, "version": self.version}

    def to_sdk(self) -> PartitionKey:
        """Return the ``azure.cosmos.PartitionKey`` of this definition.

        Returns:
            A ``PartitionKey`` for ``create_container`` or for hashing values to EPKs.

        Raises:
            ValueError: If the definition has no path.
        """
        if not self.paths:
            raise ValueError("a partition key definition needs at least one path")
        path: t.Any = list(self.paths) if self.hierarchical else self.paths[0]
        return PartitionKey(path=path, kind=self.kind, version=self.version)  # type: ignore[call-overload]
