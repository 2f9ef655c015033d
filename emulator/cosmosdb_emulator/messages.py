"""Request and response values passed between the HTTP layer and the handlers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from cosmosdb_emulator.errors import CosmosError, bad_request
from cosmosdb_emulator.routing import Route


class Headers:
    """Case-insensitive, read-only request headers."""

    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._d = {k.lower(): v for k, v in items}

    def get(self, name: str, default: str | None = None) -> str | None:
        """Header value or ``default``."""
        return self._d.get(name.lower(), default)

    def flag(self, name: str) -> bool:
        """Whether a boolean header (``True``/``true``) is set."""
        return (self._d.get(name.lower()) or "").strip().lower() == "true"

    def items(self) -> list[tuple[str, str]]:
        """All headers (lowercased names)."""
        return list(self._d.items())


@dataclass
class Request:
    """One HTTP request.

    Attributes:
        method: Upper-case HTTP method.
        path: Raw request target.
        route: Resolved route.
        headers: Request headers.
        body: Raw body bytes.
        base_url: ``scheme://host/`` the request arrived on (for account locations).
        notes: Scratch space for hooks (e.g. ``throttled``, ``fault``).
    """

    method: str
    path: str
    route: Route
    headers: Headers
    body: bytes
    base_url: str
    notes: dict[str, Any] = field(default_factory=dict)

    def json(self) -> Any:
        """Parse the body as JSON.

        Raises:
            CosmosError: 400 with the parser's message when the body is not valid JSON.
        """
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise bad_request(f"The request body is not valid JSON: {exc}") from exc

    def json_object(self) -> dict[str, Any]:
        """Parse the body as a JSON object (400 otherwise)."""
        value = self.json()
        if not isinstance(value, dict):
            raise bad_request("The request body must be a JSON object.")
        return value


@dataclass
class Response:
    """One HTTP response. ``body`` is raw bytes (may be empty)."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    charge: float = 0.0


def dumps(value: Any) -> str:
    """Compact JSON text (UTF-8 kept, as stored in SQLite)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def json_response(status: int, value: Any, headers: dict[str, str] | None = None) -> Response:
    """A JSON response from a Python value."""
    return Response(status, dumps(value).encode("utf-8"), dict(headers or {}))


def text_response(status: int, text: str, headers: dict[str, str] | None = None) -> Response:
    """A JSON response from already-serialized JSON text."""
    return Response(status, text.encode("utf-8"), dict(headers or {}))


def error_response(exc: CosmosError) -> Response:
    """The service's error answer for a :class:`CosmosError`."""
    from cosmosdb_emulator.errors import code_for

    headers = dict(exc.headers)
    if exc.substatus is not None:
        headers["x-ms-substatus"] = str(exc.substatus)
    return json_response(
        exc.status, {"code": code_for(exc.status), "message": exc.message}, headers
    )
