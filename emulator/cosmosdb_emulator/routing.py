"""Map a request path to the resource it addresses and to the type/link the client signed.

Source relied on: azure-cosmos 4.17.1 ``_base.py:GetPathFromLink``, ``GetResourceIdOrFullNameFromLink``
and ``IsNameBased``; Cosmos DB REST "Resource URI syntax"
(https://learn.microsoft.com/rest/api/cosmos-db/cosmosdb-resource-uri-syntax-for-rest).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

from cosmosdb_emulator import rids

ACCOUNT = "account"
DATABASES = "databases"
DATABASE = "database"
CONTAINERS = "containers"
CONTAINER = "container"
PKRANGES = "pkranges"
DOCUMENTS = "documents"
DOCUMENT = "document"
PK_DELETE = "partitionkeydelete"
ADMIN = "admin"
OFFERS = "offers"
OFFER = "offer"
CONFLICTS = "conflicts"
CONFLICT = "conflict"
# Users and permissions (under a database / a user) and the server-side scripts under a
# container: stored resources with create/read/replace/upsert/delete/list/query.
CHILDREN = "children"
CHILD = "child"
SCRIPT_TYPES = ("sprocs", "triggers", "udfs")


@dataclass(frozen=True)
class Route:
    """A resolved request path.

    Attributes:
        kind: One of the module constants (``ACCOUNT``, ``DOCUMENT``, ...).
        database: Database id or RID (``rid_based``), if the path names one.
        container: Container id or RID, if the path names one.
        document: Document id or RID (or the offer RID for ``OFFER``), if the path names one.
        rid_based: True when the path uses RIDs instead of names (``_self`` links).
        auth_type: The resource type the client signed (lowercase).
        auth_link: The resource link the client signed.
        admin_action: For ``ADMIN`` routes, the segment after ``_emulator``.
        child_type: For ``CHILDREN``/``CHILD``: ``users``, ``permissions``, ``sprocs``,
            ``triggers`` or ``udfs``.
        user: For permissions, the user id (or RID).
    """

    kind: str
    database: str | None = None
    container: str | None = None
    document: str | None = None
    rid_based: bool = False
    auth_type: str = ""
    auth_link: str = ""
    admin_action: str | None = None
    child_type: str | None = None
    user: str | None = None


def split_path(raw_path: str) -> list[str]:
    """Percent-decode a request path into non-empty segments (query string dropped)."""
    path = raw_path.split("?", 1)[0]
    return [unquote(seg, encoding="utf-8", errors="strict") for seg in path.split("/") if seg]


def _auth(segments: list[str], rid_based: bool) -> tuple[str, str]:
    """Resource type and link the SDK signs (``_base.py:GetResourceIdOrFullNameFromLink``)."""
    if not segments:
        return "", ""
    if len(segments) % 2 == 1:
        rtype, link_parts = segments[-1], segments[:-1]
    else:
        rtype, link_parts = segments[-2], segments
    if rid_based and link_parts:
        return rtype.lower(), link_parts[-1].lower()
    return rtype.lower(), "/".join(link_parts)


def resolve(raw_path: str) -> Route | None:
    """Resolve a request path.

    Args:
        raw_path: The request target as received (percent-encoded, maybe with a trailing slash).

    Returns:
        The :class:`Route`, or ``None`` for an unknown path (the caller answers 404).

    Raises:
        UnicodeDecodeError: If a percent-encoded segment is not valid UTF-8.
    """
    segs = split_path(raw_path)
    if segs and segs[0] == "_emulator":
        if len(segs) != 2:
            return None
        return Route(ADMIN, auth_type="", auth_link="/".join(segs), admin_action=segs[1])
    if not segs:
        return Route(ACCOUNT)
    if segs[0] == "offers":
        if len(segs) == 1:
            return Route(OFFERS, auth_type="offers", auth_link="")
        if len(segs) == 2:
            # Offers are addressed by RID only; the SDK signs the lowercased RID.
            return Route(
                OFFER,
                document=segs[1],
                rid_based=True,
                auth_type="offers",
                auth_link=segs[1].lower(),
            )
        return None
    if segs[0].lower() != "dbs":
        return None
    rid_based = len(segs) >= 2 and rids.is_database_rid(segs[1])
    n = len(segs)
    if n >= 3 and segs[2] == "users":
        return _user_route(segs, rid_based)
    if n >= 3 and segs[2] != "colls":
        return None
    if n in (5, 6) and segs[4] in SCRIPT_TYPES:
        atype, alink = _auth(segs, rid_based)
        return Route(
            CHILDREN if n == 5 else CHILD,
            database=segs[1],
            container=segs[3],
            document=segs[5] if n == 6 else None,
            rid_based=rid_based,
            auth_type=atype,
            auth_link=alink,
            child_type=segs[4],
        )
    if n >= 5 and segs[4] not in ("docs", "pkranges", "operations", "conflicts"):
        return None
    if n == 6 and segs[4] == "operations":
        if segs[5].lower() != "partitionkeydelete":
            return None
        return Route(
            PK_DELETE,
            database=segs[1],
            container=segs[3],
            rid_based=rid_based,
            auth_type="colls",
            auth_link=segs[3].lower() if rid_based else "/".join(segs[:4]),
        )
    kinds = {1: DATABASES, 2: DATABASE, 3: CONTAINERS, 4: CONTAINER}
    kind: str | None = kinds.get(n)
    if n == 5:
        kind = {"docs": DOCUMENTS, "pkranges": PKRANGES, "conflicts": CONFLICTS}.get(segs[4])
    elif n == 6 and segs[4] == "docs":
        kind = DOCUMENT
    elif n == 6 and segs[4] == "conflicts":
        kind = CONFLICT
    if kind is None:
        return None
    atype, alink = _auth(segs, rid_based)
    return Route(
        kind,
        database=segs[1] if n >= 2 else None,
        container=segs[3] if n >= 4 else None,
        document=segs[5] if n >= 6 else None,
        rid_based=rid_based,
        auth_type=atype,
        auth_link=alink,
    )


def _user_route(segs: list[str], rid_based: bool) -> Route | None:
    """``dbs/{db}/users[/{user}[/permissions[/{permission}]]]``."""
    n = len(segs)
    if n > 6 or (n >= 5 and segs[4] != "permissions"):
        return None
    atype, alink = _auth(segs, rid_based)
    return Route(
        CHILDREN if n in (3, 5) else CHILD,
        database=segs[1],
        document=segs[n - 1] if n in (4, 6) else None,
        rid_based=rid_based,
        auth_type=atype,
        auth_link=alink,
        child_type="users" if n <= 4 else "permissions",
        user=segs[3] if n >= 5 else None,
    )
