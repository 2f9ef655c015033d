"""``Emulator``: run the server as a subprocess and talk to its admin API.

The server runs as ``sys.executable -m cosmosdb_emulator`` so tests can stop and restart it on
the same SQLite file and so it does not share the test process's GIL.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import weakref
from email.utils import formatdate
from types import TracebackType
from typing import IO, Any
from urllib.parse import urlparse

from cosmosdb_emulator.app import DEFAULT_KEY
from cosmosdb_emulator.auth import authorization_header

_BANNER = "cosmosdb-emulator listening on "


def _kill_quietly(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait()


class EmulatorError(RuntimeError):
    """The emulator process failed to start, or an admin call failed."""


class Emulator:
    """A local Cosmos DB emulator server process.

    Args:
        partitions: Physical ranges for every new container; ``None`` (the default) derives
            them from each container's throughput as the service does (one per 10,000 RU/s,
            at least 1).
        data: SQLite file path, or ``":memory:"`` (data is lost on stop).
        port: TCP port; 0 picks a free one (kept across :meth:`stop` / :meth:`start`).
        key: Account master key.
        tls: Serve https with a self-signed certificate.
        host: Interface to bind.
        start_timeout: Seconds to wait for the server's banner line.

    Example:
        ``with Emulator() as emu: client = emu.client()``
    """

    def __init__(
        self,
        partitions: int | None = None,
        data: str = ":memory:",
        port: int = 0,
        key: str = DEFAULT_KEY,
        tls: bool = False,
        host: str = "127.0.0.1",
        start_timeout: float = 20.0,
    ) -> None:
        self.partitions = partitions
        self.data = data
        self.port = port
        self.key = key
        self.tls = tls
        self.host = host
        self.start_timeout = start_timeout
        self.endpoint = ""
        self._proc: subprocess.Popen[str] | None = None
        self._stderr_lines: list[str] = []

    # ------------------------------------------------------------------ lifecycle

    def _command(self) -> list[str]:
        cmd = [
            sys.executable,
            "-m",
            "cosmosdb_emulator",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--data",
            self.data,
            "--key",
            self.key,
        ]
        if self.partitions is not None:
            cmd += ["--partitions", str(self.partitions)]
        if self.tls:
            cmd.append("--tls")
        return cmd

    def start(self) -> Emulator:
        """Start the server process (again, on the same port and data after :meth:`stop`).

        Raises:
            EmulatorError: If the process exits or prints no banner within ``start_timeout``.
        """
        if self._proc is not None and self._proc.poll() is None:
            return self
        env = dict(os.environ)
        env.setdefault("PYTHONUNBUFFERED", "1")
        deadline = time.monotonic() + self.start_timeout
        while True:
            proc = subprocess.Popen(
                self._command(),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
            line = self._read_banner(proc, deadline)
            if line is not None:
                break
            # The port may still be held briefly by the previous process: retry until deadline.
            if time.monotonic() >= deadline:
                raise EmulatorError(
                    "cosmosdb-emulator did not start: " + "".join(self._stderr_lines[-20:]).strip()
                )
            time.sleep(0.2)
        self._proc = proc
        # Never leave a server behind if the Emulator object is dropped without stop().
        weakref.finalize(self, _kill_quietly, proc)
        self.endpoint = line[len(_BANNER) :].strip()
        self.port = urlparse(self.endpoint).port or self.port
        threading.Thread(target=self._drain, args=(proc.stdout,), daemon=True).start()
        threading.Thread(target=self._drain, args=(proc.stderr,), daemon=True).start()
        return self

    def _read_banner(self, proc: subprocess.Popen[str], deadline: float) -> str | None:
        assert proc.stdout is not None
        assert proc.stderr is not None
        result: list[str] = []

        def reader() -> None:
            assert proc.stdout is not None
            result.append(proc.stdout.readline())

        t = threading.Thread(target=reader, daemon=True)
        t.start()
        t.join(max(0.1, deadline - time.monotonic()))
        if result and result[0].startswith(_BANNER):
            return result[0]
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        self._stderr_lines = proc.stderr.readlines()
        return None

    def _drain(self, stream: IO[str] | None) -> None:
        if stream is None:
            return
        for line in stream:
            self._stderr_lines.append(line)
            del self._stderr_lines[:-200]

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server process gracefully (SIGTERM, then SIGKILL after ``timeout`` s)."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def kill(self) -> None:
        """SIGKILL the server process (simulates a crash)."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._proc is not None and self._proc.poll() is None

    @property
    def logs(self) -> str:
        """Recent stderr output of the server process."""
        return "".join(self._stderr_lines)

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ clients

    def client(self, **kwargs: Any) -> Any:
        """An ``azure.cosmos.CosmosClient`` for this emulator (keyword args passed through)."""
        from azure.cosmos import CosmosClient

        if self.tls and urlparse(self.endpoint).hostname not in ("localhost", "127.0.0.1"):
            kwargs.setdefault("connection_verify", False)
        return CosmosClient(self.endpoint, self.key, **kwargs)

    def admin(self, method: str, action: str, body: Any = None) -> Any:
        """Call ``/_emulator/<action>`` signed with the master key.

        Returns:
            The parsed JSON answer.

        Raises:
            EmulatorError: On a status >= 400 (message includes the server's answer) or when the
                server cannot be reached (e.g. after :meth:`stop`).
        """
        import ssl

        date = formatdate(usegmt=True)
        link = f"_emulator/{action}"
        headers = {
            "x-ms-date": date,
            "authorization": authorization_header(self.key, method, "", link, date),
            "Content-Type": "application/json",
        }
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(  # noqa: S310 - endpoint is our own http(s) URL
            self.endpoint + link, data=data, headers=headers, method=method
        )
        context = None
        if self.tls:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        try:
            with urllib.request.urlopen(req, timeout=30, context=context) as resp:  # noqa: S310
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            raise EmulatorError(
                f"{method} /{link} failed: {exc.code} {exc.read().decode()}"
            ) from exc
        except OSError as exc:  # URLError, connection refused/reset
            raise EmulatorError(f"{method} /{link} failed: emulator not reachable ({exc})") from exc
        return json.loads(raw) if raw else None

    def split(self, database: str, container: str, range_id: str) -> list[str]:
        """Split a physical range; returns the two child range ids."""
        answer = self.admin(
            "POST",
            "split",
            {"database": database, "container": container, "range_id": str(range_id)},
        )
        return list(answer["children"])

    def set_throughput(self, database: str, container: str, ru_per_second: float | None) -> None:
        """Provision RU/s for a container (``None`` = unlimited)."""
        self.admin(
            "PUT",
            "throughput",
            {"database": database, "container": container, "ru_per_second": ru_per_second},
        )

    def inject_fault(self, **rule: Any) -> dict[str, Any]:
        """Add a fault rule (see ``cosmosdb_emulator.faults``); returns the stored rule."""
        return dict(self.admin("POST", "faults", rule))

    def clear_faults(self) -> None:
        """Remove every fault rule."""
        self.admin("DELETE", "faults")

    def placement(
        self, database: str, container: str, partition_keys: list[list[Any]]
    ) -> list[str]:
        """Range ids that would store documents with these partition keys.

        Args:
            database: Database id.
            container: Container id.
            partition_keys: Header-form keys, e.g. ``[["a"], [1], [None], [{}], ["x", "y"]]``.

        Returns:
            One physical range id per key, in order.
        """
        answer = self.admin(
            "POST",
            "placement",
            {"database": database, "container": container, "partition_keys": partition_keys},
        )
        return list(answer["ranges"])

    def stats(self) -> dict[str, Any]:
        """Counters from ``GET /_emulator/stats``."""
        return dict(self.admin("GET", "stats"))
