"""Names the tap writes and the target reads: the contract between tap- and target-cosmosdb."""

from __future__ import annotations

#: Record property holding a document's partition key value(s) as the compact JSON array of the
#: ``x-ms-documentdb-partitionkey`` header (``["a"]``, ``[5]``, ``[null]``, ``[{}]`` for undefined,
#: ``["t1","u1"]`` for hierarchical keys). Together with ``id`` it identifies a document.
PARTITION_KEY_PROPERTY = "_sdc_partition_key"

#: Top-level keyword of a stream's JSON schema declaring the source container's partition key
#: definition, ``{"paths": [...], "kind": "Hash" | "MultiHash", "version": 2}`` (the shape of the
#: container resource's ``partitionKey``, Cosmos DB REST API "Create a collection"). JSON-schema
#: validators ignore unknown keywords; target-cosmosdb uses it to create a destination container
#: with the same key when its ``partition_key_path`` setting is not given.
PARTITION_KEY_SCHEMA_KEYWORD = "x-cosmosdb-partition-key"

#: Record property holding the values tap-cosmosdb could not put in their declared property, as
#: read: ``{"<property>": <value>}`` (the property itself is null or absent in that record).
#: target-cosmosdb puts them back, so a copy reproduces the source document.
RESCUED_DATA_PROPERTY = "_sdc_rescued_data"
