"""Infer a JSON Schema from sampled documents, and widen it when a record does not fit.

Rules (the same at discovery and at run time, see :func:`widen`):

* every inferred property is nullable (``"null"`` is always among its types);
* ``integer`` and ``number`` merge to ``number``; ``bool`` is never taken for an integer;
* objects get ``properties`` (merged key by key) and ``additionalProperties: true``;
* arrays get ``items``, the merge of every element's schema; an empty array gives ``items: {}``
  (no constraint);
* scalar types that conflict become a type list, e.g. ``["string", "number", "null"]``;
  an object or array that conflicts with any other non-null type drops the type constraint
  entirely (``{}``), so no value is ever rejected.

A schema given by the user (an input catalog) is only ever widened, never narrowed: keywords
such as ``format`` are kept, and a node without ``type`` (or with ``anyOf``/``oneOf``) is
treated as accepting anything.
"""

from __future__ import annotations

import typing as t
from collections.abc import Iterable, Mapping

JsonSchema = dict[str, t.Any]

_ORDER = ("object", "array", "string", "number", "integer", "boolean", "null")


def _json_type(value: t.Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, (list, tuple)):
        return "array"
    return "string"


def _types_of(node: Mapping[str, t.Any]) -> set[str] | None:
    """Return the node's allowed types, or None when it accepts anything."""
    if any(k in node for k in ("anyOf", "oneOf", "allOf", "$ref")):
        return None
    raw = node.get("type")
    if raw is None:
        return None
    return {raw} if isinstance(raw, str) else set(raw)


def _type_value(types: set[str]) -> list[str]:
    return [name for name in _ORDER if name in types]


def _accepts(types: set[str], json_type: str) -> bool:
    return json_type in types or (json_type == "integer" and "number" in types)


def _normalise(types: set[str]) -> set[str]:
    if "integer" in types and "number" in types:
        types = types - {"integer"}
    return types


def widen(node: JsonSchema, value: t.Any) -> JsonSchema:
    """Return a schema accepting everything ``node`` accepts plus ``value``.

    The function never mutates ``node``; it returns ``node`` itself (the same object) when it
    already accepts ``value``, so callers can test ``widen(s, v) is s`` cheaply.

    Args:
        node: A JSON Schema node (an object's property schema, the stream schema, ...).
        value: A JSON value (dict, list, str, int, float, bool or None).

    Returns:
        ``node`` unchanged, or a new, wider schema node.
    """
    json_type = _json_type(value)
    if json_type != "object" and json_type != "array":
        # Fast path (called for every property of every record): a scalar whose type the node
        # lists is accepted whatever else the node says, so skip building the type set.
        raw = node.get("type")
        if raw == json_type or (isinstance(raw, list) and json_type in raw):
            return node
    types = _types_of(node)
    if types is None:
        return node
    if json_type == "object":
        return _widen_object(node, types, value)
    if json_type == "array":
        return _widen_array(node, types, value)
    if _accepts(types, json_type):
        return node
    return _with_types(node, types | {json_type, "null"})


def _with_types(node: JsonSchema, types: set[str]) -> JsonSchema:
    types = _normalise(types)
    non_null = types - {"null"}
    if len(non_null) > 1 and non_null & {"object", "array"}:
        # An object or array mixed with anything else: no constraint at all.
        return {}
    new = dict(node)
    new["type"] = _type_value(types)
    if "object" in types:
        new.setdefault("properties", {})
        new.setdefault("additionalProperties", True)
    if "array" in types:
        new.setdefault("items", {})
    return new


def _widen_object(node: JsonSchema, types: set[str], value: Mapping[str, t.Any]) -> JsonSchema:
    if "object" not in types:
        new = _with_types(node, types | {"object", "null"})
        if "properties" not in new:
            return new  # unconstrained
        node, types = new, _types_of(new) or set()
    properties: Mapping[str, JsonSchema] | None = node.get("properties")
    if properties is None:
        # An object schema without properties accepts any member unless additionalProperties
        # says otherwise.
        if node.get("additionalProperties") is False:
            properties = {}
        else:
            return node
    changed: dict[str, JsonSchema] = {}
    for key, item in value.items():
        current = properties.get(key)
        if current is None:
            changed[key] = schema_of(item)
            continue
        wider = widen(current, item)
        if wider is not current:
            changed[key] = wider
    if not changed and node.get("additionalProperties", True) is not False:
        return node
    new = dict(node)
    new["properties"] = {**properties, **changed}
    new["additionalProperties"] = True
    return new


def _widen_array(node: JsonSchema, types: set[str], value: list[t.Any]) -> JsonSchema:
    if "array" not in types:
        new = _with_types(node, types | {"array", "null"})
        if "items" not in new:
            return new
        node = new
    items = node.get("items")
    if not isinstance(items, dict):
        return node
    wider = items
    for element in value:
        wider = widen(wider, element)
    if wider is items:
        return node
    new = dict(node)
    new["items"] = wider
    return new


def schema_of(value: t.Any) -> JsonSchema:
    """Return the nullable schema of one JSON value.

    Args:
        value: A JSON value.

    Returns:
        A schema node, e.g. ``{"type": ["integer", "null"]}`` for ``5``.
    """
    json_type = _json_type(value)
    if json_type == "object":
        return {
            "type": ["object", "null"],
            "properties": {k: schema_of(v) for k, v in value.items()},
            "additionalProperties": True,
        }
    if json_type == "array":
        items: JsonSchema = {}
        if value:
            items = schema_of(value[0])
            for element in value[1:]:
                items = widen(items, element)
        return {"type": ["array", "null"], "items": items}
    return {"type": _type_value({json_type, "null"})}


def infer_schema(documents: Iterable[Mapping[str, t.Any]]) -> JsonSchema:
    """Infer the schema of a stream from sampled documents.

    Args:
        documents: Sampled documents (JSON objects).

    Returns:
        An object schema with ``properties`` for every member seen in any document and
        ``additionalProperties: true``; no top-level ``null`` type.
    """
    schema: JsonSchema = {"type": "object", "properties": {}, "additionalProperties": True}
    for document in documents:
        schema = widen(schema, document)
    return schema


def covers(node: JsonSchema, value: t.Any) -> bool:
    """Tell whether ``node`` already declares everything in ``value``.

    Args:
        node: A schema node.
        value: A JSON value.

    Returns:
        True if :func:`widen` would return ``node`` unchanged.
    """
    return widen(node, value) is node
