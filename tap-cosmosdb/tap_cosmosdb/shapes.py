"""Remember which record shapes a stream schema already accepts, to skip widening them.

:func:`tap_cosmosdb.schema_inference.widen` decides from a value's *shape* alone: its members'
names at every depth, each value's JSON type, and every array element's shape (never a scalar's
content). Documents of one container mostly share one shape, so once a shape is known to be
accepted by the stream schema, later records of that shape need no schema walk, only a
signature: a hashable value built from the record's keys and value classes, recursing only into
objects and arrays.

Signatures use Python classes, which are finer than JSON types (``bool`` is not ``int``), so
two values with equal signatures always get the same answer from ``widen``. Schemas are only
ever widened, so a shape a schema accepts stays accepted by every later schema; the cache is
still tied to one schema object and starts over whenever the schema object changes.
"""

from __future__ import annotations

import typing as t
from collections.abc import Mapping

_SCALARS: frozenset[type] = frozenset({str, int, float, bool, type(None)})

#: A signature: a class, or a tuple of classes, member names and nested signatures.
Shape: t.TypeAlias = type | tuple[t.Any, ...]


def shape_of(value: t.Any) -> Shape:
    """Return the signature of one JSON value (see the module docstring).

    Args:
        value: A JSON value (dict, list, str, int, float, bool or None; other classes are
            treated as opaque scalars, as ``widen`` treats them).

    Returns:
        The value's class for a scalar; for an object ``(class, keys, member signatures)``;
        for an array or tuple ``(class, element signatures)``.
    """
    cls = type(value)
    if cls in _SCALARS:
        return cls
    if isinstance(value, Mapping):
        return (cls, tuple(value), tuple(shape_of(v) for v in value.values()))
    if isinstance(value, (list, tuple)):
        return (cls, tuple(shape_of(v) for v in value))
    return cls


def record_shape(record: Mapping[str, t.Any]) -> Shape:
    """Return the signature of a record (a JSON object), fast for flat records.

    Args:
        record: The record.

    Returns:
        ``(keys, value classes)`` when every member is a scalar, else :func:`shape_of`.
    """
    classes = tuple(map(type, record.values()))
    if _SCALARS.issuperset(classes):
        return (tuple(record), classes)
    return shape_of(record)


class AcceptedShapes:
    """Record shapes known to be accepted by one schema object.

    Args:
        max_shapes: Forget every shape once this many are held (bounds memory for containers
            whose documents vary a lot, e.g. arrays of many lengths).
    """

    def __init__(self, max_shapes: int = 4096) -> None:
        self.max_shapes = max_shapes
        self._schema: object | None = None
        self._shapes: set[Shape] = set()

    def accepted(self, schema: object, shape: Shape) -> bool:
        """Tell whether ``shape`` was marked accepted by this very ``schema`` object.

        Args:
            schema: The stream's current schema (compared by identity).
            shape: A signature from :func:`record_shape`.

        Returns:
            True if :meth:`add` was called with the same schema object and an equal shape.
        """
        return schema is self._schema and shape in self._shapes

    def add(self, schema: object, shape: Shape) -> None:
        """Mark ``shape`` as accepted by ``schema`` (forgetting shapes of any other schema).

        Args:
            schema: The schema that accepts records of this shape (compared by identity).
            shape: A signature from :func:`record_shape`.
        """
        if schema is not self._schema or len(self._shapes) >= self.max_shapes:
            self._schema = schema
            self._shapes = set()
        self._shapes.add(shape)
