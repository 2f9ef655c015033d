"""Remember what the stream schema decided for each record shape, to skip checking records.

:func:`tap_cosmosdb.schema_inference.fit_record` decides from a value's *shape* alone (its
members' names at every depth, each value's JSON type, every array element's shape), except for
one content check: ``format: date-time`` strings. Documents of one container mostly share one
shape, so once the verdict for a shape is known (which top-level members do not fit and are
rescued), later records of that shape need no schema walk, only a signature: a hashable value
built from the record's keys and value classes, recursing only into objects and arrays. The
stream re-checks the top-level date-time members of every record itself.

Signatures use Python classes, which are finer than JSON types (``bool`` is not ``int``), so
two values with equal signatures always get the same verdict. The cache is tied to one schema
object and starts over whenever the schema object changes.
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
        for an array or tuple ``(class, element signatures)`` (see :func:`_member_shapes`).
    """
    cls = type(value)
    if cls in _SCALARS:
        return cls
    # Exact classes first: an ``isinstance`` check against an abstract base class costs more
    # than the rest of a small array's signature.
    if cls is list:
        return (cls, _member_shapes(value))
    if cls is dict or isinstance(value, Mapping):
        return (cls, tuple(value), _member_shapes(value.values()))
    if isinstance(value, (list, tuple)):
        return (cls, _member_shapes(value))
    return cls


def _member_shapes(values: t.Iterable[t.Any]) -> Shape:
    """Signature of several values: their classes, plus the signatures of the non-scalars.

    Scalars need no call (a scalar's signature is its class), so a flat object or an array of
    scalars costs two C-level passes.
    """
    classes = tuple(map(type, values))
    if _SCALARS.issuperset(classes):
        return classes
    scalars = _SCALARS
    return (classes, tuple([shape_of(v) for v in values if type(v) not in scalars]))


def record_shape(record: Mapping[str, t.Any]) -> Shape:
    """Return the signature of a record (a JSON object), fast for flat records.

    Args:
        record: The record.

    Returns:
        ``(keys, member signatures)`` (see :func:`_member_shapes`).
    """
    # _member_shapes inlined: this runs once per record. So is shape_of for the commonest
    # nested member, an array of scalars (the same signature, without two calls).
    values = record.values()
    classes = tuple(map(type, values))
    scalars = _SCALARS
    if scalars.issuperset(classes):
        return (tuple(record), classes)
    nested: list[Shape] = []
    for value in values:
        cls = type(value)
        if cls in scalars:
            continue
        if cls is list:
            members = tuple(map(type, value))
            if scalars.issuperset(members):
                nested.append((list, members))
                continue
        nested.append(shape_of(value))
    return (tuple(record), (classes, tuple(nested)))


class ShapeVerdicts:
    """What one schema object decided for each record shape: the members to rescue.

    Args:
        max_shapes: Forget every shape once this many are held (bounds memory for containers
            whose documents vary a lot, e.g. arrays of many lengths).
    """

    def __init__(self, max_shapes: int = 4096) -> None:
        self.max_shapes = max_shapes
        self._schema: object | None = None
        self._verdicts: dict[Shape, tuple[str, ...]] = {}

    def get(self, schema: object, shape: Shape) -> tuple[str, ...] | None:
        """Return the verdict recorded for ``shape`` under this very ``schema`` object.

        Args:
            schema: The stream's current schema (compared by identity).
            shape: A signature from :func:`record_shape`.

        Returns:
            The top-level members to rescue (often ``()``), or None when unknown.
        """
        if schema is not self._schema:
            return None
        return self._verdicts.get(shape)

    def known(self, schema: object) -> t.Mapping[Shape, tuple[str, ...]]:
        """Return the verdicts recorded under this very ``schema`` object, for lookups by shape.

        The mapping is live until the next :meth:`add` (which may start a new one): ask again
        after adding.

        Args:
            schema: The stream's current schema (compared by identity).

        Returns:
            Shape -> verdict (see :meth:`get`); empty when ``schema`` is not the one recorded.
        """
        if schema is not self._schema:
            return {}
        return self._verdicts

    def add(self, schema: object, shape: Shape, verdict: tuple[str, ...]) -> None:
        """Record the verdict for ``shape`` under ``schema`` (forgetting any other schema's).

        Args:
            schema: The schema that gave the verdict (compared by identity).
            shape: A signature from :func:`record_shape`.
            verdict: The top-level members that do not fit their declared type.
        """
        if schema is not self._schema or len(self._verdicts) >= self.max_shapes:
            self._schema = schema
            self._verdicts = {}
        self._verdicts[shape] = verdict
