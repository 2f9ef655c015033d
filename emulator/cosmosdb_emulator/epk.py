"""Effective partition key (EPK) hashing, Hash v2 and MultiHash v2.

Source relied on: azure-cosmos 4.17.1 ``partition_key.py``
(``_get_effective_partition_key_for_hash_partitioning_v2``,
``_get_effective_partition_key_for_multi_hash_partitioning_v2``,
``_get_epk_range_for_prefix_partition_key``) and ``_cosmos_murmurhash3.py``.
"""

from __future__ import annotations

import struct
from typing import Any

import mmh3

MIN_EPK = ""
MAX_EPK = "FF"


class Undefined:
    """Marker for an undefined partition key component (missing path; header ``[{}]``)."""

    def __repr__(self) -> str:
        return "Undefined"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Undefined)

    def __hash__(self) -> int:
        return 0


UNDEFINED = Undefined()


def _component_bytes(value: Any) -> bytes:
    """Serialize one partition key component the way the SDK does for hashing v2.

    Args:
        value: A JSON scalar (str, int, float, bool, None) or :data:`UNDEFINED`.

    Returns:
        The type-marker-prefixed bytes fed to MurmurHash3.

    Raises:
        ValueError: If the value is not a valid partition key component (object or array).
    """
    if value is True:
        return b"\x03"
    if value is False:
        return b"\x02"
    if value is None:
        return b"\x01"
    if isinstance(value, Undefined):
        return b"\x00"
    if isinstance(value, (int, float)):
        return b"\x05" + struct.pack("<d", float(value))
    if isinstance(value, str):
        return b"\x08" + value.encode("utf-8") + b"\xff"
    raise ValueError(f"partition key component must be a string, number, bool or null: {value!r}")


def hash_component_v2(value: Any) -> str:
    """Hash one component to its 32-character uppercase hex EPK (Hash v2).

    Args:
        value: A partition key component (see :func:`_component_bytes`).

    Returns:
        32 uppercase hex characters; always below ``"40"`` because the top two bits are cleared.
    """
    digest = mmh3.hash128(_component_bytes(value), 0, x64arch=True, signed=False)
    h1 = digest & 0xFFFFFFFFFFFFFFFF
    h2 = digest >> 64
    raw = bytearray(struct.pack(">QQ", h2, h1))
    raw[0] &= 0x3F
    return raw.hex().upper()


_MASK64 = (1 << 64) - 1
_V1_MAX_STRING = 100


def _hashing_bytes_v1(value: Any) -> bytes:
    """Like :func:`_component_bytes`, but strings end with ``0x00`` (Hash v1)."""
    if isinstance(value, str):
        return b"\x08" + value.encode("utf-8") + b"\x00"
    return _component_bytes(value)


def _double_as_uint64(value: float) -> int:
    raw: int = struct.unpack("<Q", struct.pack("<d", value))[0]
    mask = 0x8000000000000000
    return (raw ^ mask) if raw < mask else ((~raw) + 1) & _MASK64


def _binary_v1(value: Any) -> bytes:
    """One component in the v1 binary encoding the EPK is the hex of."""
    if value is True:
        return b"\x03"
    if value is False:
        return b"\x02"
    if value is None:
        # azure-cosmos 4.17.1 ``_write_for_binary_encoding_v1`` writes nothing for null; the
        # SDK computes feed ranges with that EPK, so the emulator does the same.
        return b""
    if isinstance(value, Undefined):
        return b"\x00"
    if isinstance(value, (int, float)):
        payload = _double_as_uint64(float(value))
        out = bytearray(b"\x05")
        out.append(payload >> 56)
        payload = (payload << 8) & _MASK64
        byte, first = 0, True
        while payload != 0:
            if not first:
                out.append(byte)
            first = False
            byte = (payload >> 56) | 0x01
            payload = (payload << 7) & _MASK64
        out.append(byte & 0xFE)
        return bytes(out)
    if isinstance(value, str):
        raw = value.encode("utf-8")
        short = len(raw) <= _V1_MAX_STRING
        body = bytes((b + 1) & 0xFF for b in raw[: len(raw) if short else _V1_MAX_STRING + 1])
        return b"\x08" + body + (b"\x00" if short else b"")
    raise ValueError(f"partition key component must be a string, number, bool or null: {value!r}")


def effective_partition_key_v1(components: list[Any]) -> str:
    """EPK of a Hash v1 (legacy) partition key value.

    MurmurHash3-32 of the components (strings cut to 100 characters, integers taken modulo
    2**32), then the hash and the components in the v1 binary encoding, as hex. Same steps as
    azure-cosmos 4.17.1 ``partition_key.py:_get_effective_partition_key_for_hash_partitioning``
    and ``_to_hex_encoded_binary_string_v1`` (uppercased, as this emulator stores EPKs).
    """
    if not components:
        return ""
    truncated = [c[:_V1_MAX_STRING] if isinstance(c, str) else c for c in components]
    hashed = b""
    for comp in truncated:
        if isinstance(comp, int) and not isinstance(comp, bool):
            comp = float(comp & 0xFFFFFFFF)
        hashed += _hashing_bytes_v1(comp)
    hash_value = float(mmh3.hash(hashed, 0, signed=False))
    encoded = b"".join(_binary_v1(c) for c in [hash_value, *truncated])
    return encoded.hex().upper()


def effective_partition_key(components: list[Any], version: int = 2) -> str:
    """EPK of a full (or prefix) partition key value.

    Args:
        components: One entry per partition key path given (Hash: exactly one; MultiHash: 1-3).
            An empty list is the system ``_Empty`` key.
        version: The container's ``partitionKey.version`` (1 only for Hash).

    Returns:
        The concatenated per-component hashes (32 hex chars each), or ``""`` for ``_Empty``.
    """
    if version == 1:
        return effective_partition_key_v1(components)
    return "".join(hash_component_v2(c) for c in components)


def epk_range(components: list[Any], path_count: int, version: int = 2) -> tuple[str, str]:
    """EPK range ``[min, max)`` covered by a partition key value.

    A full key is a single point; ``max`` is ``epk + "0"``, which no other hex EPK falls between.
    A prefix of a MultiHash key covers ``[concat, concat + "FF")``; ``_Empty`` covers ``["", "00")``.

    Args:
        components: Partition key components (decoded from the header).
        path_count: Number of partition key paths of the container.
        version: The container's ``partitionKey.version``.

    Returns:
        ``(min_inclusive, max_exclusive)`` as uppercase hex strings.
    """
    epk = effective_partition_key(components, version)
    if not components:
        return MIN_EPK, "00"
    if len(components) < path_count:
        return epk, epk + "FF"
    return epk, epk + "0"


def decode_header_value(value: Any) -> list[Any]:
    """Turn the parsed ``x-ms-documentdb-partitionkey`` header into components.

    Args:
        value: ``json.loads`` of the header: a list where ``{}`` means undefined.

    Returns:
        A list of components with ``{}`` replaced by :data:`UNDEFINED`.

    Raises:
        ValueError: If the header is not a JSON array of scalars / ``{}``.
    """
    if not isinstance(value, list):
        raise ValueError("partition key header must be a JSON array")
    out: list[Any] = []
    for item in value:
        if isinstance(item, dict):
            if item:
                raise ValueError("partition key component must not be a non-empty object")
            out.append(UNDEFINED)
        elif isinstance(item, list):
            raise ValueError("partition key component must not be an array")
        else:
            out.append(item)
    return out


def path_segments(path: str) -> list[str]:
    """Split a partition key path like ``/a/b`` or ``/"a b"/'c/d'`` into segments.

    A segment in double or single quotes may contain ``/`` (and an escaped quote); the quotes
    are dropped. Same rules as azure-cosmos 4.17.1 ``_base.py:ParsePaths``.
    """
    segs: list[str] = []
    i, n = 0, len(path)
    while i < n:
        if path[i] == "/":
            i += 1
            if i == n:
                break
        if path[i] in "\"'":
            quote, end = path[i], i + 1
            while True:
                end = path.find(quote, end)
                if end == -1 or path[end - 1] != "\\":
                    break
                end += 1
            if end == -1:  # unterminated quote: the rest is the segment
                segs.append(path[i + 1 :])
                break
            segs.append(path[i + 1 : end])
            i = end + 1
        else:
            end = path.find("/", i)
            end = n if end == -1 else end
            segs.append(path[i:end])
            i = end
    return segs


def extract_components(doc: Any, paths: list[str]) -> list[Any]:
    """Read the partition key components from a document body.

    Args:
        doc: The parsed document.
        paths: The container's ``partitionKey.paths``.

    Returns:
        One component per path; :data:`UNDEFINED` where the path is missing or holds an
        object/array (which the service treats as undefined).
    """
    out: list[Any] = []
    for path in paths:
        cur: Any = doc
        for seg in path_segments(path):
            if isinstance(cur, dict) and seg in cur:
                cur = cur[seg]
            else:
                cur = UNDEFINED
                break
        if isinstance(cur, (dict, list)):
            cur = UNDEFINED
        out.append(cur)
    return out


def components_to_json(components: list[Any]) -> list[Any]:
    """Inverse of :func:`decode_header_value`: :data:`UNDEFINED` becomes ``{}``."""
    return [{} if isinstance(c, Undefined) else c for c in components]
