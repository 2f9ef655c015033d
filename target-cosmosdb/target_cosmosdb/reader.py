"""Singer message reader that knows line numbers.

singer-sdk's ``SimpleSingerReader`` (``singer_sdk/singerlib/encoding/simple.py``) reports a bad
line by echoing it whole, without its number, and accepts NaN/Infinity silently. This reader
numbers lines (1-based), so records and errors can be named by line, skips blank lines, and
turns any error raised while handling a line into one line that starts with ``Input line N``.
"""

from __future__ import annotations

import json
import typing as t
from collections import Counter, defaultdict

import msgspec
from singer_sdk.contrib.msgspec import decoder as msgspec_decoder
from singer_sdk.exceptions import MissingKeyPropertiesError, RecordsWithoutSchemaException
from singer_sdk.io_base import SingerReader
from singer_sdk.singerlib.exceptions import InvalidInputLine
from singer_sdk.singerlib.json import deserialize_json

from target_cosmosdb.errors import TargetCosmosDBError

if t.TYPE_CHECKING:
    from collections.abc import Callable


class RecordBeforeSchemaError(TargetCosmosDBError, RecordsWithoutSchemaException):
    """A RECORD arrived before its stream's SCHEMA (still a singer-sdk RecordsWithoutSchemaException)."""


class KeyPropertiesMissingError(TargetCosmosDBError, MissingKeyPropertiesError):
    """A record lacks a key property (still a singer-sdk MissingKeyPropertiesError)."""


class LineNumberingReader(SingerReader):
    """Read Singer messages, tracking the current line number in :attr:`line_number`."""

    def __init__(self) -> None:
        """Create the reader."""
        super().__init__()
        self.line_number = 0
        #: ``version`` of the message being handled (FULL_TABLE syncs), or None.
        self.message_version: t.Any = None

    def deserialize_json(self, line: str) -> dict:
        """Parse one line.

        Args:
            line: The line's text.

        Returns:
            The message dict (floats as ``Decimal``, NaN/Infinity as float NaN/inf so that the
            record's field can be named later).

        Raises:
            TargetCosmosDBError: If the line is not UTF-8, not a JSON object or nested too
                deeply.
        """
        try:
            # singer-sdk's msgspec decoder (floats as Decimal) is about four times faster than
            # json.loads; it refuses what json.loads also refuses, and NaN, Infinity and lone
            # surrogates, which json.loads accepts: any line it refuses is parsed again below,
            # so results and error messages stay json.loads's.
            message = msgspec_decoder.decode(line)
        except (msgspec.DecodeError, RecursionError):
            message = self._deserialize_slow(line)
        except UnicodeEncodeError as exc:
            # Input bytes that are not UTF-8 reach here as lone surrogates (stdin is read with
            # errors="surrogateescape"); no document may carry them.
            raise TargetCosmosDBError(
                f"Input line {self.line_number} is not valid UTF-8 (undecodable bytes at "
                f"character {exc.start + 1})"
            ) from None
        if not isinstance(message, dict):
            raise TargetCosmosDBError(
                f"Input line {self.line_number} is not a Singer message (a JSON object)"
            )
        return message

    def _deserialize_slow(self, line: str) -> t.Any:
        try:
            return deserialize_json(line)
        except json.JSONDecodeError as exc:
            raise TargetCosmosDBError(
                f"Input line {self.line_number} is not valid JSON ({exc.msg} at column "
                f"{exc.colno}): {line.strip()[:120]}"
            ) from None
        except RecursionError:
            raise TargetCosmosDBError(
                f"Input line {self.line_number} is nested too deeply to parse"
            ) from None

    def process_lines(
        self,
        file_input: t.IO[str] | None,
        callbacks: dict[str, Callable[[dict], None]],
    ) -> Counter[str]:
        """Handle every line of the input.

        Args:
            file_input: Readable stream of messages, one per line (stdin when None).
            callbacks: Message type -> handler.

        Returns:
            Count of messages per type.

        Raises:
            TargetCosmosDBError: On a malformed line, an unknown message type, a RECORD before
                its SCHEMA, or any error raised while handling a line that is not already a
                :class:`TargetCosmosDBError` (prefixed with the line number).
        """
        stats: dict[str, int] = defaultdict(int)
        source = file_input or self.default_input
        for line in source:
            self.line_number += 1
            if not line or line.isspace():  # blank (no copy of the line, unlike strip)
                continue
            message = self.deserialize_json(line)
            kind = message.get("type")
            callback = callbacks.get(kind) if isinstance(kind, str) else None
            if callback is None or not isinstance(kind, str):
                raise TargetCosmosDBError(
                    f"Input line {self.line_number}: unknown or missing message type {kind!r}"
                )
            self.message_version = message.get("version")
            try:
                callback(message)
            except TargetCosmosDBError:
                raise
            except MissingKeyPropertiesError as exc:
                raise KeyPropertiesMissingError(
                    f"Input line {self.line_number}: record for stream "
                    f"'{message.get('stream')}' lacks a key property: "
                    f"{' '.join(str(exc).split())[:300]}"
                ) from exc
            except RecordsWithoutSchemaException as exc:
                raise RecordBeforeSchemaError(
                    f"Input line {self.line_number}: RECORD for stream "
                    f"'{message.get('stream')}' arrived before its SCHEMA message"
                ) from exc
            except InvalidInputLine as exc:
                raise TargetCosmosDBError(
                    f"Input line {self.line_number}: {str(exc).splitlines()[0][:300]}"
                ) from exc
            except RecursionError:
                raise TargetCosmosDBError(
                    f"Input line {self.line_number} ({kind} message) is nested too deeply"
                ) from None
            except (KeyError, ValueError, TypeError) as exc:
                raise TargetCosmosDBError(
                    f"Input line {self.line_number} ({kind} message): {type(exc).__name__}: "
                    f"{str(exc).splitlines()[0][:300] if str(exc) else ''}"
                ) from exc
            stats[kind] += 1
        return Counter(**stats)
