"""A small singer-sdk tap for tests: its BATCH messages come from singer-sdk's own batchers.

Run as ``python tests/target/batch_tap.py --config cfg.json``; with ``batch_config`` in the config
singer-sdk writes the records to JSONL or Parquet files and emits BATCH messages, without it
RECORD messages. Settings: ``count`` (records, default 500) and ``shape`` (``same``: every record
has the same fields; ``varied``: optional fields come and go).
"""

from __future__ import annotations

import typing as t

from singer_sdk import Stream, Tap
from singer_sdk import typing as th


class Items(Stream):
    """Records with every JSON type singer-sdk and Parquet carry."""

    name = "items"
    primary_keys: t.ClassVar[list[str]] = ["id"]
    schema = th.PropertiesList(
        th.Property("id", th.StringType, required=True),
        th.Property("team", th.StringType),
        th.Property("n", th.IntegerType),
        th.Property("big", th.IntegerType),
        th.Property("price", th.NumberType),
        th.Property("ok", th.BooleanType),
        th.Property("note", th.StringType),
        th.Property("tags", th.ArrayType(th.StringType)),
        th.Property(
            "meta", th.ObjectType(th.Property("k", th.IntegerType), th.Property("s", th.StringType))
        ),
        th.Property("created_at", th.DateTimeType),
    ).to_dict()

    def get_records(self, context: t.Any) -> t.Iterable[dict[str, t.Any]]:
        varied = self.config.get("shape") == "varied"
        for i in range(int(self.config.get("count", 500))):
            record = {
                "id": f"item-{i}",
                "team": f"t{i % 5}",
                "n": i,
                "big": 2**53 + i,
                "price": i * 0.25 + 0.1,
                "ok": i % 2 == 0,
                "note": f"ünïcode ✓ {i}" if i % 3 else None,
                "tags": ["a", "b", "c"][: i % 4],
                "meta": {"k": i * 7, "s": f"s{i}"},
                "created_at": f"2024-03-{1 + i % 28:02d}T10:{i % 60:02d}:00+00:00",
            }
            if varied and i % 2:
                del record["note"]
            yield record


class BatchTestTap(Tap):
    """The test tap."""

    name = "tap-batch-test"
    config_jsonschema = th.PropertiesList(
        th.Property("count", th.IntegerType),
        th.Property("shape", th.StringType),
    ).to_dict()

    def discover_streams(self) -> list[Stream]:
        """Return the one stream."""
        return [Items(self)]


if __name__ == "__main__":
    BatchTestTap.cli()
