"""A seeded source workload: creates, updates and (optionally) deletes documents in a container."""

from __future__ import annotations

import random
import string
import typing as t

if t.TYPE_CHECKING:
    from azure.cosmos import ContainerProxy

PK_PATHS = ["/pk"]


class Workload:
    """Seeded writes to one source container (partition key ``/pk``).

    Args:
        container: The source container.
        seed: Random seed; the same seed gives the same documents and changes.
        deletes: Whether :meth:`change` also deletes documents.
        doc_bytes: Approximate payload size of each document, in bytes.
    """

    def __init__(
        self, container: ContainerProxy, seed: int, *, deletes: bool = False, doc_bytes: int = 300
    ) -> None:
        self.container = container
        self.rng = random.Random(seed)
        self.deletes = deletes
        self.doc_bytes = doc_bytes
        self.next_id = 0
        self.live: dict[str, dict[str, t.Any]] = {}
        self.writes = 0

    def _doc(self, doc_id: str, pk: str, version: int) -> dict[str, t.Any]:
        rng = self.rng
        text = "".join(rng.choices(string.ascii_letters + " éø€", k=self.doc_bytes))
        return {
            "id": doc_id,
            "pk": pk,
            "v": version,
            "price": round(rng.uniform(-1000, 1000), 3),
            "flag": rng.random() < 0.5,
            "none": None,
            "payload": {"text": text, "nums": [rng.randint(-(2**40), 2**40) for _ in range(3)]},
            "tags": rng.sample(["a", "b", "c", "d", "e"], k=rng.randint(0, 3)),
        }

    def create(self, count: int) -> None:
        """Create ``count`` new documents over 17 partition key values."""
        for _ in range(count):
            doc_id = f"d{self.next_id:06d}"
            self.next_id += 1
            doc = self._doc(doc_id, f"p{self.rng.randrange(17)}", 1)
            self.container.create_item(doc)
            self.live[doc_id] = doc
            self.writes += 1

    def change(self, count: int) -> None:
        """Make ``count`` changes: about half updates, a third creates, the rest deletes."""
        for _ in range(count):
            roll = self.rng.random()
            if not self.live or roll < 0.33:
                self.create(1)
                continue
            doc_id = self.rng.choice(sorted(self.live))
            old = self.live[doc_id]
            if self.deletes and roll > 0.85:
                self.container.delete_item(doc_id, partition_key=old["pk"])
                del self.live[doc_id]
            else:
                doc = self._doc(doc_id, old["pk"], old["v"] + 1)
                self.container.upsert_item(doc)
                self.live[doc_id] = doc
            self.writes += 1
