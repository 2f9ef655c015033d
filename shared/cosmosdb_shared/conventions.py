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

#: Record property set on a record that stands for a deleted document: the deletion time,
#: ISO-8601 (Singer's soft-delete column). tap-cosmosdb writes it in AllVersionsAndDeletes mode;
#: target-cosmosdb deletes the document with ``hard_delete`` and otherwise stores the field, and
#: marks retired documents with it.
DELETED_AT_PROPERTY = "_sdc_deleted_at"

#: Document property target-cosmosdb writes the record's table version into (singer-sdk's name
#: for the version of an ``ACTIVATE_VERSION`` full-table sync); documents of older versions are
#: retired when a newer version is activated.
TABLE_VERSION_PROPERTY = "_sdc_table_version"

#: Cosmos DB system properties tap-cosmosdb drops from every record: resource ids and links that
#: mean nothing outside the source account (Cosmos DB REST "Documents", system properties,
#: https://learn.microsoft.com/rest/api/cosmos-db/documents). ``id``, ``_ts``, ``_etag`` and
#: ``_lsn`` are kept.
DROPPED_SYSTEM_PROPERTIES: tuple[str, ...] = ("_rid", "_self", "_attachments")

#: Every system property the service generates on a document write; target-cosmosdb strips them
#: from a record before writing it, since the service regenerates them.
SYSTEM_PROPERTIES = frozenset({*DROPPED_SYSTEM_PROPERTIES, "_etag", "_ts", "_lsn"})

#: Record properties tap-cosmosdb adds that are not part of the source document; target-cosmosdb
#: removes them (putting the rescued values back) so a copy reproduces the source document.
TAP_FIELDS = frozenset({PARTITION_KEY_PROPERTY, RESCUED_DATA_PROPERTY})
