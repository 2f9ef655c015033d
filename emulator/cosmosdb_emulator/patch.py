"""Partial document update (``patch_item``): add, set, replace, remove, incr, move.

Source relied on: Cosmos DB partial document update docs (operation semantics) and azure-cosmos
4.17.1 ``container.py:patch_item`` (wire body ``{"operations": [...], "condition": "from c where ..."}``).
"""

from __future__ import annotations

import copy
from typing import Any

from cosmosdb_emulator.errors import CosmosError, bad_request, precondition_failed

MAX_OPERATIONS = 10


def _pointer(path: Any) -> list[str]:
    if not isinstance(path, str) or not path.startswith("/"):
        raise bad_request(f"Patch path '{path}' must be a JSON pointer starting with '/'.")
    return [seg.replace("~1", "/").replace("~0", "~") for seg in path[1:].split("/")]


def _parent(doc: Any, segs: list[str], path: str) -> Any:
    cur = doc
    for seg in segs[:-1]:
        if isinstance(cur, dict) and seg in cur:
            cur = cur[seg]
        elif isinstance(cur, list) and seg.isdigit() and int(seg) < len(cur):
            cur = cur[int(seg)]
        else:
            raise bad_request(f"Patch path '{path}' does not exist (parent missing).")
    return cur


def _index(container: list[Any], seg: str, path: str, allow_end: bool) -> int:
    if seg == "-" and allow_end:
        return len(container)
    if not seg.isdigit():
        raise bad_request(f"Patch path '{path}' has an invalid array index.")
    idx = int(seg)
    if idx > len(container) or (idx == len(container) and not allow_end):
        raise bad_request(f"Patch path '{path}' array index is out of range.")
    return idx


def _get(doc: Any, path: str) -> Any:
    segs = _pointer(path)
    parent = _parent(doc, segs, path)
    last = segs[-1]
    if isinstance(parent, dict) and last in parent:
        return parent[last]
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        return parent[int(last)]
    raise bad_request(f"Patch path '{path}' does not exist.")


def _remove(doc: Any, path: str) -> Any:
    segs = _pointer(path)
    parent = _parent(doc, segs, path)
    last = segs[-1]
    if isinstance(parent, dict) and last in parent:
        return parent.pop(last)
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        return parent.pop(int(last))
    raise bad_request(f"Patch path '{path}' does not exist.")


def _put(doc: Any, path: str, value: Any, mode: str) -> None:
    segs = _pointer(path)
    parent = _parent(doc, segs, path)
    last = segs[-1]
    if isinstance(parent, dict):
        if mode == "replace" and last not in parent:
            raise bad_request(f"Patch replace path '{path}' does not exist.")
        parent[last] = value
    elif isinstance(parent, list):
        if mode == "add":
            parent.insert(_index(parent, last, path, True), value)
        else:
            parent[_index(parent, last, path, False)] = value
    else:
        raise bad_request(f"Patch path '{path}' parent is not an object or array.")


def _incr(doc: Any, path: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise bad_request("Patch incr value must be a number.")
    segs = _pointer(path)
    parent = _parent(doc, segs, path)
    last = segs[-1]
    if isinstance(parent, dict):
        current = parent.get(last, 0)
        if isinstance(current, bool) or not isinstance(current, (int, float)):
            raise bad_request(f"Patch incr target '{path}' is not a number.")
        parent[last] = current + value
    elif isinstance(parent, list):
        idx = _index(parent, last, path, False)
        if isinstance(parent[idx], bool) or not isinstance(parent[idx], (int, float)):
            raise bad_request(f"Patch incr target '{path}' is not a number.")
        parent[idx] += value
    else:
        raise bad_request(f"Patch path '{path}' parent is not an object or array.")


def check_condition(doc: dict[str, Any], condition: Any) -> None:
    """Evaluate a patch filter predicate (``from c where ...``) against the current document.

    Raises:
        CosmosError: 412 when the predicate is false, 400 when it cannot be evaluated.
    """
    if condition is None:
        return
    if not isinstance(condition, str):
        raise bad_request("Patch condition must be a string.")
    try:
        from cosmosdb_emulator.query import QueryError, run_query
    except ImportError as exc:
        raise bad_request(
            "Patch conditions need the query engine, which is not available."
        ) from exc
    text = condition.strip()
    if not text.lower().startswith("select"):
        text = "SELECT * " + text
    try:
        matched = run_query(text, [], [doc])
    except QueryError as exc:
        raise bad_request(f"Patch condition is invalid: {exc}") from exc
    if not matched:
        raise precondition_failed()


def apply_patch(doc: dict[str, Any], body: Any) -> dict[str, Any]:
    """Apply a patch request body to a document, returning the new document.

    Args:
        doc: The current document (not modified).
        body: ``{"operations": [{"op", "path", "value"?, "from"?}, ...], "condition"?: str}``,
            or the bare list of operations (what the JavaScript and Java SDKs send when there
            is no condition; Cosmos DB REST docs "Patch a document").

    Returns:
        The patched document.

    Raises:
        CosmosError: 400 for malformed operations, missing paths or too many operations;
            412 when ``condition`` is false.
    """
    if isinstance(body, list):
        body = {"operations": body}
    if not isinstance(body, dict) or not isinstance(body.get("operations"), list):
        raise bad_request("Patch body must be an object with an 'operations' list.")
    ops = body["operations"]
    if not ops:
        raise bad_request("Patch request has no operations.")
    if len(ops) > MAX_OPERATIONS:
        raise bad_request(f"Patch request has more than {MAX_OPERATIONS} operations.")
    check_condition(doc, body.get("condition"))
    new = copy.deepcopy(doc)
    for op in ops:
        if not isinstance(op, dict):
            raise bad_request("Each patch operation must be an object.")
        kind = str(op.get("op", "")).lower()
        path = op.get("path")
        if kind in ("add", "set", "replace"):
            if "value" not in op:
                raise bad_request(f"Patch {kind} operation needs a value.")
            _put(new, str(path), copy.deepcopy(op["value"]), kind)
        elif kind == "remove":
            _remove(new, str(path))
        elif kind == "incr":
            _incr(new, str(path), op.get("value"))
        elif kind == "move":
            value = _remove(new, str(op.get("from")))
            _put(new, str(path), value, "add")
        else:
            raise CosmosError(400, f"Unknown patch operation '{op.get('op')}'.")
    return new
