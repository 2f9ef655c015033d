"""Dead-letter file: one JSON line per record Cosmos DB (or the target) refused.

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
