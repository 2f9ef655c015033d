"""Read the files of a singer-sdk BATCH message, record by record.

A BATCH message (singer-sdk's extension of the Singer spec, "Batch Messages" in the SDK docs)
looks like ``{"type": "BATCH", "stream": "s", "encoding": {"format": "jsonl", "compression":
"gzip"}, "manifest": ["file:///tmp/s-1.json.gz", ...]}``. Each file holds raw records, not
Singer messages:

* ``jsonl``: one JSON record per line. singer-sdk's ``JSONLinesBatcher`` gzips its files whatever
  ``compression`` says, so a file is un-gzipped when it starts with the gzip magic bytes.
* ``parquet``: a Parquet file (needs pyarrow, the ``parquet`` extra). ``compression: gzip`` is the
  codec inside the file, not a gzip wrapper. Timestamps, dates and times are turned into the ISO
  8601 strings singer-sdk's JSON writer would have sent in a RECORD message.

Files are opened with fsspec (a singer-sdk dependency), so ``file://`` and any installed fsspec
protocol (``s3://`` with s3fs, ...) work.
"""

from __future__ import annotations

import datetime
import gzip
import json
import typing as t
import zlib

from singer_sdk.singerlib.json import deserialize_json

from target_cosmosdb.errors import TargetCosmosDBError

if t.TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

#: Encodings (``encoding.format``) this target reads.
FORMATS = ("jsonl", "parquet")
#: ``encoding.compression`` values this target reads (None: not compressed).
COMPRESSIONS = (None, "none", "gzip")
_GZIP_MAGIC = b"\x1f\x8b"
#: Records read from a Parquet file at a time.
_PARQUET_BATCH_ROWS = 5000


class BatchFileError(TargetCosmosDBError):
    """A BATCH message or one of its files cannot be read (one line, naming the file)."""


def check_encoding(encoding: t.Any) -> tuple[str, str | None]:
    """Validate a BATCH message's ``encoding``.

    Args:
        encoding: The message's ``encoding`` value, e.g. ``{"format": "jsonl", "compression":
            "gzip"}``.

    Returns:
        ``(format, compression)``.

    Raises:
        BatchFileError: For an encoding this target cannot read.
    """
    if not isinstance(encoding, dict):
        raise BatchFileError(f"BATCH 'encoding' must be an object, got {encoding!r}")
    fmt = encoding.get("format")
    compression = encoding.get("compression")
    if fmt not in FORMATS:
        raise BatchFileError(
            f"BATCH encoding format {fmt!r} is not supported; target-cosmosdb reads "
            f"{' and '.join(FORMATS)}"
        )
    if compression not in COMPRESSIONS:
        raise BatchFileError(
            f"BATCH compression {compression!r} is not supported; use gzip or none"
        )
    return str(fmt), compression


def _to_json_value(value: t.Any) -> t.Any:
    """Turn a pyarrow Python value into what a RECORD message would have carried."""
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep="T")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _to_json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_json_value(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value


def _jsonl_records(raw: t.IO[bytes], label: str) -> Iterator[dict[str, t.Any]]:
    head = raw.read(2)
    raw.seek(0)
    source: t.IO[bytes] = raw
    if head == _GZIP_MAGIC:
        source = t.cast("t.IO[bytes]", gzip.GzipFile(fileobj=raw, mode="rb"))
    number = 0
    for line in source:
        number += 1
        if not line.strip():
            continue
        try:
            record = deserialize_json(line)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise BatchFileError(f"{label} line {number} is not valid JSON ({exc})") from None
        if not isinstance(record, dict):
            raise BatchFileError(f"{label} line {number} is not a JSON object (a record)")
        yield record


def _parquet_records(raw: t.IO[bytes], label: str) -> Iterator[dict[str, t.Any]]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise BatchFileError(
            f"{label} is Parquet, which needs pyarrow: install target-cosmosdb[parquet]"
        ) from None
    parquet = pq.ParquetFile(raw)
    for batch in parquet.iter_batches(batch_size=_PARQUET_BATCH_ROWS):
        for row in batch.to_pylist():
            yield {k: _to_json_value(v) for k, v in row.items()}


def read_records(
    url: str, fmt: str, *, storage_options: Mapping[str, t.Any] | None = None
) -> Iterator[dict[str, t.Any]]:
    """Yield the records of one batch file, in file order.

    Args:
        url: The manifest entry, e.g. ``file:///tmp/orders-1.json.gz``.
        fmt: ``jsonl`` or ``parquet`` (from :func:`check_encoding`).
        storage_options: Passed on to ``fsspec.open``.

    Yields:
        Each record as a dict; JSON numbers with a fraction as ``Decimal`` (as singer-sdk reads
        RECORD messages).

    Raises:
        BatchFileError: If the file is missing, unreadable, or corrupt (one line naming it and,
            for JSONL, the line).
    """
    import fsspec  # BATCH messages only: a RECORD run never imports fsspec

    label = f"batch file {url!r}"
    try:
        with fsspec.open(url, "rb", **dict(storage_options or {})) as raw:
            if fmt == "parquet":
                yield from _parquet_records(raw, label)
            else:
                yield from _jsonl_records(raw, label)
    except BatchFileError:
        raise
    except FileNotFoundError:
        raise BatchFileError(f"{label} does not exist (or is not readable here)") from None
    except (OSError, EOFError, zlib.error, ValueError) as exc:
        reason = " ".join(str(exc).split())[:300] or type(exc).__name__
        raise BatchFileError(f"{label} cannot be read: {type(exc).__name__}: {reason}") from None
    except Exception as exc:  # pyarrow raises its own ArrowInvalid etc. for corrupt files
        reason = " ".join(str(exc).split())[:300] or type(exc).__name__
        raise BatchFileError(f"{label} cannot be read: {type(exc).__name__}: {reason}") from None
