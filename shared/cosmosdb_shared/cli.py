"""The command-line shell both plugins share: secret redaction, quiet SDK logs, one-line errors.

A plugin builds one :class:`CommandShell` with its name. Once its settings are known it calls
:meth:`CommandShell.protect` (every log record and every error line from then on has the
settings' secrets replaced by ``***``; azure-core's per-request INFO logs are turned down), and
any expected failure ends the process through :meth:`CommandShell.fail`: one line
``<plugin>: error: <message>`` on stderr, no traceback, a non-zero exit code.
"""

from __future__ import annotations

import logging
import os
import sys
import typing as t

from cosmosdb_shared.redaction import SecretRedactionFilter, install_redaction
from cosmosdb_shared.settings import secret_values

if t.TYPE_CHECKING:
    from collections.abc import Mapping


def one_line(text: str) -> str:
    """Collapse all whitespace (newlines included) of ``text`` into single spaces.

    Args:
        text: Any message.

    Returns:
        The message on one line, without leading or trailing whitespace.
    """
    return " ".join(text.split())


def quiet_azure_logging() -> None:
    """Log azure-core and azure-cosmos at WARNING unless the user set a level for ``azure``.

    azure-core's ``HttpLoggingPolicy`` logs every request and response, headers included, at
    INFO (``azure.core.pipeline.policies.HttpLoggingPolicy``).
    """
    azure_logger = logging.getLogger("azure")
    if azure_logger.level == logging.NOTSET:
        azure_logger.setLevel(logging.WARNING)


class CommandShell:
    """Redaction and one-line failure reporting for one plugin's process."""

    def __init__(self, name: str) -> None:
        """Create the shell.

        Args:
            name: The plugin's executable name, the prefix of every error line.
        """
        self.name = name
        self.redaction: SecretRedactionFilter | None = None

    def protect(self, config: Mapping[str, t.Any]) -> SecretRedactionFilter:
        """Redact the secrets of ``config`` from logs and error lines; quiet azure's logs.

        Calling it again with other settings replaces the secrets redacted in error lines and
        adds a filter for the new ones to the logging handlers.

        Args:
            config: The plugin's settings (``account_key``, ``client_secret`` and the key in a
                ``connection_string`` are secrets, see ``cosmosdb_shared.settings``).

        Returns:
            The installed logging filter.
        """
        quiet_azure_logging()
        self.redaction = install_redaction(secret_values(config))
        return self.redaction

    def scrub(self, message: str) -> str:
        """Return ``message`` with every known secret replaced by ``***``, on one line.

        Args:
            message: Any text about to leave the process.

        Returns:
            The redacted one-line text.
        """
        if self.redaction is not None:
            message = self.redaction.scrub(message)
        return one_line(message)

    def fail(self, message: str, code: int = 1, *, hard: bool = False) -> t.NoReturn:
        """Print ``<name>: error: <message>`` on stderr and exit with ``code``.

        Pending stdout (Singer messages already written) is flushed first, so nothing printed
        before the error is lost.

        Args:
            message: What went wrong and where (setting, stream, record, line).
            code: The exit code (non-zero).
            hard: Exit with ``os._exit`` without joining threads (worker threads may still be
                waiting on the network).

        Raises:
            SystemExit: Always, with ``code``, unless ``hard``.
        """
        line = f"{self.name}: error: {self.scrub(message)}\n"
        sys.stdout.flush()
        sys.stderr.write(line)
        sys.stderr.flush()
        if hard:
            os._exit(code)
        sys.exit(code)
