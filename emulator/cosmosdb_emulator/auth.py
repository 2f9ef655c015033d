"""Master-key request signature check.

Source relied on: azure-cosmos 4.17.1 ``auth.py:__get_authorization_token_using_master_key`` and
``_base.py:GetHeaders``; Cosmos DB REST "Access control on Cosmos DB resources"
(https://learn.microsoft.com/rest/api/cosmos-db/access-control-on-cosmosdb-resources).
The admin API under ``/_emulator/`` is signed the same
way with resource type ``""`` and link = the path without its leading slash (e.g.
``_emulator/split``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from urllib.parse import quote, unquote

_SIG_RE = re.compile(r"^type=master&ver=1\.0&sig=(.+)$")


def sign(key: str, verb: str, resource_type: str, resource_link: str, x_ms_date: str) -> str:
    """Compute the master-key signature (base64 HMAC-SHA256).

    Args:
        key: The base64 account key.
        verb: HTTP method.
        resource_type: e.g. ``docs`` (``""`` for the account and the admin API).
        resource_link: e.g. ``dbs/db1/colls/c1`` (unencoded, case kept).
        x_ms_date: The ``x-ms-date`` header value.

    Returns:
        The base64 signature.
    """
    text = f"{verb.lower()}\n{resource_type.lower()}\n{resource_link}\n{x_ms_date.lower()}\n\n"
    digest = hmac.new(base64.b64decode(key), text.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def authorization_header(
    key: str, verb: str, resource_type: str, resource_link: str, x_ms_date: str
) -> str:
    """The URL-encoded ``authorization`` header value the SDK would send."""
    sig = sign(key, verb, resource_type, resource_link, x_ms_date)
    return quote(f"type=master&ver=1.0&sig={sig}", safe="-_.!~*'()")


def verify(
    key: str,
    verb: str,
    resource_type: str,
    resource_link: str,
    x_ms_date: str | None,
    authorization: str | None,
) -> bool:
    """Check a request's ``authorization`` header.

    Args:
        key: The base64 account key.
        verb: HTTP method.
        resource_type: Resource type derived from the path (see ``routing.Route.auth_type``).
        resource_link: Resource link derived from the path (see ``routing.Route.auth_link``).
        x_ms_date: The ``x-ms-date`` header (``None`` if absent).
        authorization: The ``authorization`` header (``None`` if absent).

    Returns:
        True when the signature matches (constant-time compare).
    """
    if not authorization or not x_ms_date:
        return False
    match = _SIG_RE.match(unquote(authorization))
    if not match:
        return False
    expected = sign(key, verb, resource_type, resource_link, x_ms_date)
    return hmac.compare_digest(expected.encode("ascii"), match.group(1).encode("ascii", "replace"))
