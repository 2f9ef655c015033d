"""Check that a typed settings class and its JSON-schema properties agree on defaults."""

from __future__ import annotations

import dataclasses
import typing as t

#: Field defaults that stand for "not set" (a property without a JSON-schema default).
UNSET: tuple[t.Any, ...] = (None, "", (), {})


def field_default(field: dataclasses.Field[t.Any]) -> t.Any:
    """The default of a dataclass field (``dataclasses.MISSING`` for a required field)."""
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return dataclasses.MISSING


def default_mismatches(settings_class: type, schema: dict[str, t.Any]) -> list[str]:
    """Every disagreement between ``settings_class``'s fields and ``schema``'s properties.

    Args:
        settings_class: A dataclass with one field per setting of ``schema``.
        schema: A JSON schema (``PropertiesList.to_dict()``) of the same settings.

    Returns:
        One line per setting without a field, or whose field default differs from the
        property's ``default`` (or has a default the property does not declare).
    """
    fields = {f.name: f for f in dataclasses.fields(settings_class)}
    problems = []
    for name, prop in schema["properties"].items():
        field = fields.get(name)
        if field is None:
            problems.append(f"{name}: no field in {settings_class.__name__}")
            continue
        default = field_default(field)
        if "default" in prop:
            if default is dataclasses.MISSING or default != prop["default"]:
                problems.append(f"{name}: field default {default!r} != {prop['default']!r}")
            elif type(default) is not type(prop["default"]):
                problems.append(
                    f"{name}: field default {default!r} is a {type(default).__name__}, "
                    f"the property's a {type(prop['default']).__name__}"
                )
        elif default is not dataclasses.MISSING and not any(
            default == unset and type(default) is type(unset) for unset in UNSET
        ):
            problems.append(f"{name}: field default {default!r}, property has no default")
    return problems
