"""Effective partition keys (EPKs) of documents, computed with azure-cosmos's own hashing.

Source: azure-cosmos 4.17.1 ``azure/cosmos/partition_key.py``
(``PartitionKey._get_effective_partition_key_string``: Hash v1, Hash v2 and MultiHash), the same
code the SDK uses to route point operations. The function is private to the
SDK, which is pinned (``azure-cosmos==4.17.1``); it is called through
:func:`tap_cosmosdb.compat.effective_partition_key`, and ``tests/tap/test_shards.py`` checks it
against the published test vectors.
"""

from __future__ import annotations

import json
import typing as t

from cosmosdb_shared.partition_key import PartitionKeyDefinition
from tap_cosmosdb.compat import effective_partition_key


class EpkHasher:
    """Hashes partition key values of one container to EPK strings.

    Args:
        definition: The container's partition key definition.
    """

    def __init__(self, definition: PartitionKeyDefinition) -> None:
        if not definition.paths:  # not seen from the service; hashed as /id, as before
            definition = PartitionKeyDefinition.for_paths(["/id"])
        self._key = definition.to_sdk()

    def of_values(self, values: t.Sequence[t.Any]) -> str:
        """Return the EPK of partition key values.

        Args:
            values: One value per path, as in the ``x-ms-documentdb-partitionkey`` header
                (``{}`` for an undefined value).

        Returns:
            The EPK as an upper-case hex string (32 digits per level).
        """
        return effective_partition_key(self._key, values)

    def of_header(self, header_json: str) -> str:
        """Return the EPK of a ``_sdc_partition_key`` value (the header's compact JSON array).

        Args:
            header_json: E.g. ``'["AA"]'``, ``'[5]'``, ``'[{}]'``, ``'["t1","u1"]'``.

        Returns:
            The EPK.
        """
        return self.of_values(json.loads(header_json))
