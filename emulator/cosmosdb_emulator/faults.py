"""Fault injection rules, managed through ``POST/DELETE /_emulator/faults``.

A rule (JSON object; every field optional except as noted)::

    {"action": "error",            # "error" (default) | "drop_before" | "drop_after" | "delay"
     "status": 503,                # for "error": 408, 410, 429, 449, 500 or 503
     "substatus": 0,               # sent as x-ms-substatus when given
     "retry_after_ms": 100,        # sent as x-ms-retry-after-ms when given
     "delay_ms": 0,                # latency added before the action (the only effect of "delay")
     "operation": "write",         # or "operations": [...]; kinds/details of
                                   # cosmosdb_emulator.operations (read, write, create, upsert,
                                   # replace, patch, delete, batch, query, change_feed, read_feed,
                                   # pkranges, metadata, account) or "any" (default: all data-plane)
     "database": "db1", "container": "c1",   # scope (default: every container)
     "count": 3,                   # fire this many times, then expire (default: unlimited)
     "probability": 0.5, "seed": 7}          # fire with this seeded probability (default 1)

``drop_before`` closes the connection without applying the request; ``drop_after`` applies it,
then closes the connection without answering (the client cannot know it succeeded). The first
matching rule (in insertion order) wins. Answers ``{"id": n, ...rule}``.
"""

from __future__ import annotations

import random
import threading
import time
from typing import Any

from cosmosdb_emulator.app import App, Hooks
from cosmosdb_emulator.errors import CosmosError, bad_request
from cosmosdb_emulator.messages import Request, Response, error_response
from cosmosdb_emulator.operations import DATA_PLANE, classify

ALLOWED_STATUSES = frozenset({408, 410, 429, 449, 500, 503})
ACTIONS = frozenset({"error", "drop_before", "drop_after", "delay"})


class FaultRule:
    """One validated rule with its own seeded random generator and remaining count."""

    def __init__(self, rule_id: int, spec: dict[str, Any]) -> None:
        self.id = rule_id
        self.spec = dict(spec)
        self.action = str(spec.get("action", "error"))
        if self.action not in ACTIONS:
            raise bad_request(f"fault 'action' must be one of {sorted(ACTIONS)}.")
        self.status = int(spec.get("status", 503))
        if self.action == "error" and self.status not in ALLOWED_STATUSES:
            raise bad_request(f"fault 'status' must be one of {sorted(ALLOWED_STATUSES)}.")
        self.substatus = spec.get("substatus")
        self.retry_after_ms = spec.get("retry_after_ms")
        self.delay_ms = float(spec.get("delay_ms", 0) or 0)
        ops = spec.get("operations", spec.get("operation"))
        if ops is None:
            self.operations: frozenset[str] | None = None
        else:
            self.operations = frozenset([ops] if isinstance(ops, str) else ops)
        self.database = spec.get("database")
        self.container = spec.get("container")
        count = spec.get("count")
        self.remaining: int | None = None if count is None else int(count)
        self.probability = float(spec.get("probability", 1.0))
        self.random = random.Random(spec.get("seed"))
        self.fired = 0

    def matches(self, request: Request) -> bool:
        """Whether this rule applies to a request (scope and operation only)."""
        kind, detail = classify(request)
        if self.operations is None:
            if kind not in DATA_PLANE:
                return False
        elif "any" not in self.operations and not ({kind, detail} & self.operations):
            return False
        route = request.route
        if self.database is not None and route.database != self.database:
            return False
        return self.container is None or route.container == self.container

    def to_json(self) -> dict[str, Any]:
        """The rule as answered by the admin API."""
        return {**self.spec, "id": self.id, "remaining": self.remaining, "fired": self.fired}


class FaultHook(Hooks):
    """Applies fault rules around request handling."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._next_id = 1

    def add(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Validate and store a rule; returns it with its id."""
        try:
            with self._lock:
                rule = FaultRule(self._next_id, spec)
                self._next_id += 1
                self._rules.append(rule)
                return rule.to_json()
        except (TypeError, ValueError) as exc:
            raise bad_request(f"Invalid fault rule: {exc}") from exc

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._rules.clear()

    def _pick(self, request: Request) -> FaultRule | None:
        with self._lock:
            for rule in self._rules:
                if not rule.matches(request):
                    continue
                if rule.probability < 1.0 and rule.random.random() >= rule.probability:
                    continue
                rule.fired += 1
                if rule.remaining is not None:
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        self._rules.remove(rule)
                return rule
        return None

    def before(self, app: App, request: Request) -> Response | None:
        """Delay, drop or answer with an error before the handler runs."""
        from cosmosdb_emulator.server import DropConnection

        rule = self._pick(request)
        if rule is None:
            return None
        request.notes["fault"] = rule.id
        if rule.delay_ms:
            time.sleep(rule.delay_ms / 1000)
        if rule.action == "drop_before":
            raise DropConnection
        if rule.action == "drop_after":
            request.notes["drop_after"] = True
            return None
        if rule.action == "delay":
            return None
        headers: dict[str, str] = {}
        if rule.retry_after_ms is not None:
            headers["x-ms-retry-after-ms"] = str(int(rule.retry_after_ms))
        sub = None if rule.substatus is None else int(rule.substatus)
        return error_response(
            CosmosError(rule.status, f"Injected fault (rule {rule.id}).", sub, headers)
        )

    def after(self, app: App, request: Request, response: Response) -> Response:
        """Drop the connection after the request was applied, for ``drop_after`` rules."""
        from cosmosdb_emulator.server import DropConnection

        if request.notes.get("drop_after"):
            raise DropConnection
        return response


__all__ = ["ALLOWED_STATUSES", "CosmosError", "FaultHook", "FaultRule"]
