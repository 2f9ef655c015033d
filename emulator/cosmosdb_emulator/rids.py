"""Resource ids (``_rid``) in the service's format.

RIDs are base64 with ``/`` replaced by ``-``. A database RID is 4 bytes (the SDK's
``_base.py:IsValidBase64String`` uses that to tell RID-based links from name-based ones), a
container RID 8 bytes (database RID + 4), a document RID 16 bytes (container RID + 8).
"""

from __future__ import annotations

import base64
import os


def encode(raw: bytes) -> str:
    """Base64-encode bytes as a RID (``/`` mapped to ``-``)."""
    return base64.b64encode(raw).decode("ascii").replace("/", "-")


def decode(rid: str) -> bytes | None:
    """Decode a RID, or return ``None`` if it is not valid base64."""
    try:
        return base64.b64decode(rid.replace("-", "/"), validate=True)
    except ValueError:
        return None


def new_database_rid() -> str:
    """A fresh 4-byte database RID."""
    return encode(os.urandom(4))


def new_container_rid(database_rid: str) -> str:
    """A fresh 8-byte container RID prefixed by its database's RID bytes."""
    return encode((decode(database_rid) or os.urandom(4)) + os.urandom(4))


def new_document_rid(container_rid: str) -> str:
    """A fresh 16-byte document RID prefixed by its container's RID bytes."""
    return encode((decode(container_rid) or os.urandom(8)) + os.urandom(8))


def is_database_rid(segment: str) -> bool:
    """Whether a path segment after ``dbs/`` is a RID (8 chars decoding to 4 bytes)."""
    raw = decode(segment)
    return len(segment) == 8 and raw is not None and len(raw) == 4
