"""Bad records: the dead-letter file, and the one path every refused record takes.

:class:`BadRecords` is where a record the target cannot store goes, whether the target refuses
it while reading (no id, bad id, oversized, schema violation) or Cosmos DB refuses its write: it
is written to the dead-letter file and counted, or, without ``dead_letter_path``, the run fails
with one line naming the record.


Each line is ``{"stream", "line", "id", "partition_key", "reason", "record"}`` (plus ``origin``
for a record read from a BATCH file). Lines are flushed
as written and the file is fsync-ed before STATE is emitted (:meth:`DeadLetterWriter.sync`), so a
STATE never covers a record that is neither in Cosmos DB nor in the file.
"""

from __future__ import annotations

import json
import os
import threading
import typing as t
from pathlib import Path

from cosmosdb_shared.partition_key import header_json
from target_cosmosdb import partition_key as pkmod
from target_cosmosdb.errors import TargetCosmosDBError

if t.TYPE_CHECKING:
    from target_cosmosdb.batching import WriteItem
    from target_cosmosdb.writer import WriteStats

#: Appended to the error of a refused record when no dead-letter file is set.
DIVERT_HINT = "(set 'dead_letter_path' to divert such records)"


class DeadLetterWriter:
    """Append dead letters to a JSONL file, thread-safely.

    Args:
        path: File path; parent directories are created. The file is appended to, never
            truncated.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._file: t.TextIO | None = None
        self.count = 0

    def write(
        self,
        *,
        stream: str,
        reason: str,
        record: t.Any,
        doc_id: str | None = None,
        line: int | None = None,
        partition_key: str | None = None,
        origin: str | None = None,
    ) -> None:
        """Append one dead letter.

        Args:
            stream: Stream name.
            reason: One line saying why the record was refused.
            record: The record as received (Decimal and datetime values are written as strings).
            doc_id: The document id, when one could be computed.
            line: Input line number.
            partition_key: The partition key as the JSON array the service sees.
            origin: For a record read from a BATCH file, which file and record (the entry then
                has an ``origin`` field).
        """
        entry = {
            "stream": stream,
            "line": line,
            "id": doc_id,
            "partition_key": partition_key,
            "reason": reason,
            "record": record,
        }
        if origin:
            entry["origin"] = origin
        text = json.dumps(entry, default=str, ensure_ascii=False)
        with self._lock:
            if self._file is None:
                self._file = self.path.open("a", encoding="utf-8")
            self._file.write(text + "\n")
            self._file.flush()
            self.count += 1

    def sync(self) -> None:
        """Flush and fsync the file (call before a STATE is emitted)."""
        with self._lock:
            if self._file is not None:
                self._file.flush()
                os.fsync(self._file.fileno())

    def close(self) -> None:
        """Sync and close the file."""
        self.sync()
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


class BadRecords:
    """The one path of a record the target cannot store: dead-letter it, or fail the run.

    Args:
        dead_letters: The dead-letter file, or None (setting ``dead_letter_path`` unset): a
            refused record then ends the run.
    """

    def __init__(self, dead_letters: DeadLetterWriter | None) -> None:
        self.dead_letters = dead_letters

    def reject(
        self,
        *,
        subject: str,
        reason: str,
        stream: str,
        record: t.Any,
        stats: WriteStats,
        doc_id: str | None = None,
        line: int | None = None,
        pk: pkmod.PartitionKeyValue | None = None,
        origin: str | None = None,
    ) -> None:
        """Dead-letter a refused record and count it in ``stats``, or fail the run.

        Args:
            subject: Names the record in the error (stream, line, id, key), without a colon.
            reason: One line saying why, without the record's content.
            stream: Stream name.
            record: The record as received (or the document when the record was not kept).
            stats: The stream's counters (``dead_lettered`` is incremented).
            doc_id: The document id, when one could be computed.
            line: Input line number.
            pk: Partition key value, when it could be extracted.
            origin: For a record read from a BATCH file, which file and record.

        Raises:
            TargetCosmosDBError: When no dead-letter file is set: ``"<subject>: <reason>
                (set 'dead_letter_path' to divert such records)"``.
        """
        if self.dead_letters is None:
            raise TargetCosmosDBError(f"{subject}: {reason} {DIVERT_HINT}")
        self.dead_letters.write(
            stream=stream,
            reason=reason,
            record=record,
            doc_id=doc_id,
            line=line,
            partition_key=header_json(pk) if pk is not None else None,
            origin=origin,
        )
        stats.add(dead_lettered=1)

    def reject_item(self, item: WriteItem, reason: str, stats: WriteStats) -> None:
        """:meth:`reject` for a write Cosmos DB refused.

        Args:
            item: The refused write.
            reason: One line saying why.
            stats: The stream's counters.
        """
        self.reject(
            subject=item.describe(),
            reason=reason,
            stream=item.stream,
            record=item.record if item.record is not None else item.doc,
            stats=stats,
            doc_id=item.doc_id,
            line=item.line,
            pk=item.pk,
            origin=item.origin,
        )
