"""One-line, secret-free descriptions of the errors a Cosmos DB client can raise."""

from __future__ import annotations

import ssl

from azure.core.exceptions import (
    ClientAuthenticationError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.cosmos.exceptions import CosmosHttpResponseError

_STATUS_HINTS = {
    401: "authentication failed: the account key or token was rejected",
    403: "access denied: the credential lacks permission for this operation",
    404: "not found",
    408: "request timed out",
    409: "conflict: an item with this id already exists in the logical partition",
    412: "precondition failed: the item changed (etag mismatch)",
    413: "request entity too large: the document or batch exceeds 2 MB",
    429: "throttled: the container's request-unit budget is exhausted",
    449: "retry with: concurrent update conflict",
    503: "service unavailable",
}


def status_of(exc: BaseException) -> int | None:
    """Return the HTTP status code of a Cosmos DB error, if it has one.

    Args:
        exc: Any exception.

    Returns:
        The status code, or None when ``exc`` carries no HTTP response.
    """
    code = getattr(exc, "status_code", None)
    return int(code) if isinstance(code, int) else None


def substatus_of(exc: BaseException) -> int | None:
    """Return the ``x-ms-substatus`` of a Cosmos DB error, if present.

    Args:
        exc: Any exception.

    Returns:
        The sub-status code, or None.
    """
    sub = getattr(exc, "sub_status", None)
    if isinstance(sub, int):
        return sub
    headers = getattr(exc, "headers", None) or {}
    value = headers.get("x-ms-substatus") if hasattr(headers, "get") else None
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = line.strip()
        if line:
            return line
    return text.strip()


def describe_error(exc: BaseException, *, endpoint: str | None = None) -> str:
    """Describe ``exc`` in one line that is safe to log.

    The description never contains request headers (where the authorization signature
    travels) nor any configuration value other than the endpoint.

    Args:
        exc: The exception raised by azure-cosmos, azure-core or the network stack.
        endpoint: The account endpoint, named in connection errors.

    Returns:
        A single line such as ``"HTTP 401: authentication failed: the account key or token was
        rejected"``.
    """
    where = f" ({endpoint})" if endpoint else ""
    if isinstance(exc, CosmosHttpResponseError):
        status = status_of(exc)
        hint = _STATUS_HINTS.get(status or 0, "request failed")
        sub = substatus_of(exc)
        detail = _first_line(getattr(exc, "message", "") or str(exc))
        # azure-core formats the body as "(Code) message\nCode: ...\nMessage: ..."; keep it short.
        detail = detail[:300]
        sub_text = f"/{sub}" if sub else ""
        return f"HTTP {status}{sub_text}{where}: {hint}. {detail}".strip()
    if isinstance(exc, ClientAuthenticationError):
        return f"Authentication failed{where}: {_first_line(str(exc))[:300]}"
    if isinstance(exc, (ServiceRequestError, ServiceResponseError, ConnectionError)):
        chain: list[BaseException] = [exc]
        while len(chain) < 10:
            nxt = chain[-1].__cause__ or chain[-1].__context__
            if nxt is None or nxt in chain:
                break
            chain.append(nxt)
        for item in chain:
            if isinstance(item, ssl.SSLError) or "CERTIFICATE_VERIFY_FAILED" in str(item):
                return f"TLS handshake failed{where}: {_first_line(str(item))[:300]}"
        return f"Cannot reach the Cosmos DB endpoint{where}: {_first_line(str(exc))[:300]}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS handshake failed{where}: {_first_line(str(exc))[:300]}"
    return f"{type(exc).__name__}{where}: {_first_line(str(exc))[:300]}"
