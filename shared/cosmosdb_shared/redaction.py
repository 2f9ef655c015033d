"""A logging filter that replaces secret values with ``***`` in every log record."""

from __future__ import annotations

import logging
import typing as t

if t.TYPE_CHECKING:
    from collections.abc import Iterable


class SecretRedactionFilter(logging.Filter):
    """Replace each known secret with ``***`` in a record's message and exception text."""

    def __init__(self, secrets: Iterable[str]) -> None:
        """Create the filter.

        Args:
            secrets: Secret strings; shorter than 4 characters are ignored (too likely to match
                innocent text).
        """
        super().__init__()
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def scrub(self, text: str) -> str:
        """Return ``text`` with every secret replaced by ``***``.

        Args:
            text: Any text.

        Returns:
            The redacted text.
        """
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the record in place; never drops it.

        Args:
            record: The log record.

        Returns:
            Always True.
        """
        if not self.secrets:
            return True
        message = record.getMessage()
        scrubbed = self.scrub(message)
        if scrubbed != message:
            record.msg = scrubbed
            record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            import traceback

            text = "".join(traceback.format_exception(*record.exc_info))
            record.exc_text = self.scrub(text)
            record.exc_info = None
        return True


def install_redaction(secrets: Iterable[str]) -> SecretRedactionFilter:
    """Attach a :class:`SecretRedactionFilter` to every handler of the root logger.

    Handlers added later are not covered; call this after logging is configured.

    Args:
        secrets: Secret strings to redact.

    Returns:
        The installed filter.
    """
    flt = SecretRedactionFilter(secrets)
    root = logging.getLogger()
    for handler in root.handlers:
        handler.addFilter(flt)
    root.addFilter(flt)
    return flt
