"""Declare stream types that SQL loaders accept forever, and check records against them.

Cosmos DB is schemaless, but the loaders a Singer stream usually ends in are not: a SQL loader
turns each declared property into a column once and cannot change its type later (MeltanoLabs
target-postgres 0.8.1 refuses to alter a column, target-duckdb 0.8.0 renames the old column
away, target-sqlite 0.7.0 cannot alter at all). So the tap declares each property once, in a
form every loader maps to a column that holds every later value of that property, and a later
value that does not fit is *rescued* (see :func:`fit_record`) instead of changing the column.

What the loaders make of each JSON-schema form (read from their type mappings:
target-postgres ``PostgresConnector.jsonschema_to_sql``/``_handle_array_type``; target-duckdb
``db_sync.column_type``/``flatten_record``; target-sqlite ``utils/singer_target_utils.py``
``flatten_schema``/``sqlalchemy_column_type``; target-snowflake ``SnowflakeConnector
.jsonschema_to_sql``):

==================================  ============  ========  ==============================  ========
form                                postgres      duckdb    sqlite                          snowflake
==================================  ============  ========  ==============================  ========
``number``                          NUMERIC       DOUBLE    REAL                            DOUBLE
``integer``                         BIGINT        HUGEINT   INTEGER                         NUMBER
``string`` + ``format: date-time``  TIMESTAMP     TIMESTAMP TEXT                            TIMESTAMP
``object`` without ``properties``   JSONB         JSON      TEXT (JSON)                     VARIANT
``object`` with ``properties``      JSONB         JSON      one column per member (a__b)    VARIANT
``object`` with ``properties: {}``  JSONB         JSON      **dropped** (no column)         VARIANT
``array`` without ``items``         JSONB         JSON      TEXT (JSON)                     VARIANT
``array`` with typed ``items``      text[] etc.   JSON      TEXT (JSON)                     VARIANT
``["object", "array", "null"]``     JSONB         JSON      TEXT (JSON)                     VARIANT
``{}`` (no ``type``)                TEXT          dropped   dropped                         VARCHAR
==================================  ============  ========  ==============================  ========

A JSON column cannot hold a bare JSON scalar in every loader: target-duckdb writes a string or
boolean into a JSON column unquoted (``abc``, ``True``), which DuckDB rejects, and a type list
that also names scalar types is validated as such by target-postgres and target-sqlite. So the
free-JSON forms hold objects and arrays only, and scalars never share a column with them.

Declarations made here (discovery, and a property first seen at run time):

* a JSON number is ``number``, never ``integer``: Cosmos DB stores every number as a double, so
  a whole number in the sample says nothing about the next value (``_ts`` and ``_lsn``, which
  the service defines as integers, are declared by the tap itself);
* a string is ``string``; a top-level string property whose every sampled non-null value is an
  RFC 3339 date-time with an offset (or ``Z``) gets ``format: date-time``;
* an array is ``{"type": ["array", "null"]}`` with no ``items``: one JSON column, whatever its
  elements become;
* an object whose keys look like data (dates, numbers, ids, uuids: see :func:`looks_like_map`)
  or that has more than ``max_object_properties`` distinct keys across the sample is a map,
  declared :data:`FREE_OBJECT` and never widened key by key; other objects are declared with
  their members' ``properties`` (``additionalProperties: true``);
* sampled values of conflicting types: :data:`FREE_JSON` when an object or array is among them
  (objects and arrays land in the column, scalars are rescued); for scalars only, the type seen
  most often (ties: string, number, boolean), the others are rescued;
* a property that is null in every sampled document is a ``string`` (:data:`NULL_ONLY`: a
  column for its nulls; a later non-string is rescued); one first seen at run time with a null
  value is declared only once a non-null value arrives.

Every declared node is nullable. A schema given by the user (a catalog property node without
the tap's :data:`INFERRED_DESCRIPTION`) is honoured as written: nodes without ``type`` (or with
``anyOf``/``oneOf``/``allOf``/``$ref``) accept anything.
"""

from __future__ import annotations

import datetime
import functools
import re
import typing as t
from collections.abc import Iterable, Mapping

JsonSchema = dict[str, t.Any]

#: A free-form object: one JSON column (maps, ``_sdc_rescued_data``, ``document``).
FREE_OBJECT: JsonSchema = {"type": ["object", "null"]}
#: Free JSON: an object or an array in one JSON column (sampled values of conflicting types).
FREE_JSON: JsonSchema = {"type": ["object", "array", "null"]}
#: A property whose every sampled value is null (later values of another type are rescued).
NULL_ONLY: JsonSchema = {"type": ["string", "null"]}
#: Default of the ``max_object_properties`` setting.
DEFAULT_MAX_OBJECT_PROPERTIES = 100
#: ``description`` of every top-level property node the tap inferred. A catalog node without it
#: was pinned by the user (e.g. a Meltano ``schema:`` override replaces the whole node) and is
#: honoured; one with it yields to the declaration kept in state. singer-sdk's catalog model
#: keeps ``description`` (``singerlib/schema.py:STANDARD_KEYS``) but drops ``x-`` keywords.
INFERRED_DESCRIPTION = "Type inferred by tap-cosmosdb (kept in state as declared_schema)."

_SCALAR_PREFERENCE = {"string": 3, "number": 2, "boolean": 1}

#: A key that is data rather than a name: starts with a digit (dates, numbers, numeric ids),
#: holds a run of 4 digits (``user_12345``, ``u00017-3f2a``), an ``@`` (e-mail addresses), or
#: is a UUID, a long hex id or a long id holding a digit.
_DATA_KEY_RE = re.compile(
    r"\d|.*\d{4}|.*@|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-|[0-9a-fA-F]{16,}$"
    r"|(?=.*\d)[A-Za-z0-9_-]{20,}$"
)


def json_type(value: t.Any) -> str:
    """Return the JSON type of a decoded JSON value.

    Args:
        value: A value as decoded by ``json`` (dict, list, str, int, float, bool or None).

    Returns:
        ``"null"``, ``"boolean"``, ``"integer"`` (a Python int), ``"number"`` (a float),
        ``"string"``, ``"object"`` or ``"array"``; any other class counts as ``"string"``.
    """
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


@functools.lru_cache(maxsize=8192)
def is_datetime(value: str) -> bool:
    """Tell whether a string is an RFC 3339 date-time with an offset (``Z`` or ``±hh:mm``).

    Called for every record's date-time properties, so answers are cached (many documents
    share a timestamp, e.g. an hour) and the layout is checked by position before
    ``datetime.fromisoformat`` validates the digits and the calendar.

    Args:
        value: The string.

    Returns:
        True for e.g. ``"2013-01-01T05:00:00Z"`` or ``"2024-03-01T15:17:00.000000+00:00"``;
        False for dates, naive times, or impossible dates such as ``"2024-02-30T00:00:00Z"``.
    """
    if (
        len(value) < 20  # "YYYY-MM-DDThh:mm:ssZ"
        or value[4] != "-"
        or value[7] != "-"
        or value[10] not in "Tt"
        or value[13] != ":"
        or value[16] != ":"
    ):
        return False
    last = value[-1]
    if last not in "Zz" and not (value[-6] in "+-" and value[-3] == ":"):
        return False
    if len(value) > 20 and not (value[19] in "Zz+-" or (value[19] == "." and value[20].isdigit())):
        return False
    if not value.isascii():
        return False
    if last == "z" or value[10] == "t":
        value = value.upper()
    try:
        datetime.datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def looks_like_map(keys: Iterable[str]) -> bool:
    """Tell whether an object's keys look like data (a map) rather than member names.

    Args:
        keys: Distinct keys of the object (across every sampled value).

    Returns:
        True when more than half of the keys start with a digit, hold a run of 4 digits or an
        ``@``, or are UUIDs or long ids.
    """
    keys = list(keys)
    if not keys:
        return False
    data = sum(1 for key in keys if _DATA_KEY_RE.match(key))
    return data * 2 > len(keys)


def _types_of(node: Mapping[str, t.Any]) -> set[str] | None:
    """Return the node's allowed types, or None when it accepts anything."""
    if any(k in node for k in ("anyOf", "oneOf", "allOf", "$ref")):
        return None
    raw = node.get("type")
    if raw is None:
        return None
    return {raw} if isinstance(raw, str) else set(raw)


class _Stats:
    """What one property's sampled values looked like."""

    __slots__ = ("children", "counts", "datetimes", "map_like", "seen")

    def __init__(self) -> None:
        self.seen = False
        self.counts: dict[str, int] = {}
        self.datetimes = True
        self.children: dict[str, _Stats] | None = None
        self.map_like = False

    def add(self, value: t.Any, limit: int) -> None:
        kind = json_type(value)
        self.seen = True
        if kind == "null":
            return
        if kind == "integer":
            kind = "number"
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if kind == "string":
            if self.datetimes and not is_datetime(value):
                self.datetimes = False
        elif kind == "object" and not self.map_like:
            children = self.children
            if children is None:
                children = self.children = {}
            for key, item in value.items():
                child = children.get(key)
                if child is None:
                    child = children[key] = _Stats()
                child.add(item, limit)
            if len(children) > limit:
                self.map_like = True
                self.children = None

    def node(self, *, top: bool, limit: int) -> JsonSchema | None:
        kinds = set(self.counts)
        if not kinds:
            # Only nulls: a column all the same (every loader needs one to hold the nulls),
            # typed string as Databricks Auto Loader types an all-null column.
            return dict(NULL_ONLY) if self.seen else None
        if len(kinds) > 1:
            if kinds & {"object", "array"}:
                return dict(FREE_JSON)
            kinds = {max(kinds, key=lambda k: (self.counts[k], _SCALAR_PREFERENCE[k]))}
        (kind,) = kinds
        if kind == "object":
            children = self.children or {}
            if self.map_like or not children or looks_like_map(children):
                return dict(FREE_OBJECT)
            properties = {}
            for key, child in children.items():
                node = child.node(top=False, limit=limit)
                if node is not None:
                    properties[key] = node
            if not properties:
                # target-sqlite drops an object column whose `properties` is empty.
                return dict(FREE_OBJECT)
            return {
                "type": ["object", "null"],
                "properties": properties,
                "additionalProperties": True,
            }
        if kind == "array":
            return {"type": ["array", "null"]}
        node = {"type": [kind, "null"]}
        if kind == "string" and top and self.datetimes:
            node["format"] = "date-time"
        return node


def infer_schema(
    documents: Iterable[Mapping[str, t.Any]],
    *,
    max_object_properties: int = DEFAULT_MAX_OBJECT_PROPERTIES,
) -> JsonSchema:
    """Declare the properties of a stream from sampled documents (rules: module docstring).

    Args:
        documents: Sampled documents (JSON objects).
        max_object_properties: An object with more distinct keys than this across the sample
            is declared a map (:data:`FREE_OBJECT`).

    Returns:
        ``{"type": "object", "properties": {...}, "additionalProperties": true}`` with a node
        for every top-level member that had a non-null value in some document.
    """
    stats: dict[str, _Stats] = {}
    for document in documents:
        for key, value in document.items():
            entry = stats.get(key)
            if entry is None:
                entry = stats[key] = _Stats()
            entry.add(value, max_object_properties)
    properties: dict[str, JsonSchema] = {}
    for key, entry in stats.items():
        node = entry.node(top=True, limit=max_object_properties)
        if node is not None:
            properties[key] = node
    return {"type": "object", "properties": properties, "additionalProperties": True}


def node_for_value(
    value: t.Any, *, top: bool = True, max_object_properties: int = DEFAULT_MAX_OBJECT_PROPERTIES
) -> JsonSchema | None:
    """Declare a property from its first value (a property first seen at run time).

    Args:
        value: The value.
        top: Whether the property is a top-level member (only those get ``format``).
        max_object_properties: See :func:`infer_schema`.

    Returns:
        The node, as :func:`infer_schema` would declare it from this one value; None for null
        (nothing to declare yet).
    """
    if value is None:
        return None
    stats = _Stats()
    stats.add(value, max_object_properties)
    return stats.node(top=top, limit=max_object_properties)


def classify(
    node: Mapping[str, t.Any],
    value: t.Any,
    *,
    max_object_properties: int = DEFAULT_MAX_OBJECT_PROPERTIES,
) -> JsonSchema | None:
    """Tell whether a value fits a declared node, or fits once members are added to it.

    A value fits when it is valid against the node (``integer`` accepts only whole numbers,
    ``number`` any number, ``boolean`` is never a number, ``format: date-time`` is checked).
    Members missing from an object node's ``properties`` do not make a value invalid
    (``additionalProperties``), but they are added so that loaders which flatten objects into
    columns (target-sqlite) receive them; an object that would then have more than
    ``max_object_properties`` members, or whose new members look like data, becomes a map
    (:data:`FREE_OBJECT`: the same JSON column in postgres, duckdb and snowflake).

    Args:
        node: The declared node.
        value: The value.
        max_object_properties: See :func:`infer_schema`.

    Returns:
        ``node`` itself (the same object) when the value fits; a new node (members added) when
        it fits after that; None when it does not fit (a type the node does not allow).
    """
    types = _types_of(node)
    if types is None:
        return node  # type: ignore[return-value]
    kind = json_type(value)
    if kind == "null":
        return node  # type: ignore[return-value]
    if kind == "integer":
        if "integer" not in types and "number" not in types:
            return None
    elif kind not in types:
        return None
    if kind == "string":
        if node.get("format") == "date-time" and not is_datetime(value):
            return None
        return node  # type: ignore[return-value]
    if kind == "object":
        return _classify_object(node, value, max_object_properties)
    if kind == "array":
        items = node.get("items")
        if isinstance(items, Mapping) and items:
            current = items
            for element in value:
                fitted = classify(current, element, max_object_properties=max_object_properties)
                if fitted is None:
                    return None
                current = fitted
            if current is not items:
                return {**node, "items": current}
    return node  # type: ignore[return-value]


def _classify_object(
    node: Mapping[str, t.Any], value: Mapping[str, t.Any], limit: int
) -> JsonSchema | None:
    properties: Mapping[str, JsonSchema] | None = node.get("properties")
    additional = node.get("additionalProperties", True)
    if not properties:
        if additional is False and value:
            return None
        return node  # type: ignore[return-value]
    changed: dict[str, JsonSchema] = {}
    added: list[str] = []
    for key, item in value.items():
        child = properties.get(key)
        if child is None:
            if additional is False:
                return None
            new = node_for_value(item, top=False, max_object_properties=limit)
            if new is not None:
                changed[key] = new
                added.append(key)
            continue
        fitted = classify(child, item, max_object_properties=limit)
        if fitted is None:
            return None
        if fitted is not child:
            changed[key] = fitted
    if not changed:
        return node  # type: ignore[return-value]
    merged = {**properties, **changed}
    if len(merged) > limit or looks_like_map(added):
        return dict(FREE_OBJECT)
    return {**node, "properties": merged}


def fit_record(
    properties: Mapping[str, JsonSchema],
    record: Mapping[str, t.Any],
    *,
    max_object_properties: int = DEFAULT_MAX_OBJECT_PROPERTIES,
    skip: frozenset[str] = frozenset(),
) -> tuple[dict[str, JsonSchema], list[str]]:
    """Check every top-level member of a record against the declared properties.

    Args:
        properties: The stream schema's ``properties``.
        record: The record.
        max_object_properties: See :func:`infer_schema`.
        skip: Members never checked (the tap's own properties).

    Returns:
        ``(changes, rescue)``: nodes to add or replace so that the record fits (new members,
        or members added inside objects), and the names of members whose value does not fit
        their declared node (to be moved to ``_sdc_rescued_data``).
    """
    changes: dict[str, JsonSchema] = {}
    rescue: list[str] = []
    for key, value in record.items():
        if key in skip:
            continue
        node = properties.get(key)
        if node is None:
            if value is not None:
                new = node_for_value(value, max_object_properties=max_object_properties)
                if new is not None:
                    changes[key] = new
            continue
        fitted = classify(node, value, max_object_properties=max_object_properties)
        if fitted is None:
            rescue.append(key)
        elif fitted is not node:
            changes[key] = fitted
    return changes, rescue


def mark_inferred(node: JsonSchema) -> JsonSchema:
    """Return a copy of a top-level node carrying :data:`INFERRED_DESCRIPTION`.

    Args:
        node: A node the tap declared.

    Returns:
        The node with ``description`` set.
    """
    return {**node, "description": INFERRED_DESCRIPTION}


def is_inferred(node: Mapping[str, t.Any]) -> bool:
    """Tell whether a catalog node is one the tap inferred (not pinned by the user).

    Args:
        node: A property node from the input catalog.

    Returns:
        True when its ``description`` is :data:`INFERRED_DESCRIPTION`.
    """
    return node.get("description") == INFERRED_DESCRIPTION


def unmarked(node: Mapping[str, t.Any]) -> JsonSchema:
    """Return a node without the tap's ``description`` marker (the form kept in state).

    Args:
        node: A property node.

    Returns:
        A copy without ``description`` when it is the marker, else a plain copy.
    """
    if is_inferred(node):
        return {k: v for k, v in node.items() if k != "description"}
    return dict(node)
