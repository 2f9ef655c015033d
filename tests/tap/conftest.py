"""Fixtures for tap-cosmosdb tests: a database per test on the shared emulator, and CLI runners."""

from __future__ import annotations

import json
import subprocess
import typing as t
from dataclasses import dataclass
from pathlib import Path

import pytest
from azure.cosmos import PartitionKey

from tests.conftest import executable, singer_lines, write_config


@dataclass
class TapRun:
    """The outcome of one `tap-cosmosdb` run."""

    returncode: int
    messages: list[dict[str, t.Any]]
    stderr: str

    def records(self, stream: str | None = None) -> list[dict[str, t.Any]]:
        return [
            m["record"]
            for m in self.messages
            if m["type"] == "RECORD" and (stream is None or m["stream"] == stream)
        ]

    def states(self) -> list[dict[str, t.Any]]:
        return [m["value"] for m in self.messages if m["type"] == "STATE"]

    def schemas(self, stream: str | None = None) -> list[dict[str, t.Any]]:
        return [
            m
            for m in self.messages
            if m["type"] == "SCHEMA" and (stream is None or m["stream"] == stream)
        ]

    @property
    def last_state(self) -> dict[str, t.Any]:
        return self.states()[-1]


@dataclass
class TapEnv:
    """A test database on the emulator plus helpers to run the tap against it."""

    emulator: t.Any
    database: t.Any
    name: str
    tmp: Path

    def container(self, name: str, path: str | list[str] = "/pk", kind: str | None = None) -> t.Any:
        pk = PartitionKey(path=path, kind=kind) if kind else PartitionKey(path=path)
        return self.database.create_container(name, pk)

    def config(self, **extra: t.Any) -> dict[str, t.Any]:
        return {
            "account_endpoint": self.emulator.endpoint,
            "account_key": self.emulator.key,
            "database": self.name,
            **extra,
        }

    def write(self, name: str, data: t.Any) -> Path:
        return write_config(self.tmp / name, data)

    def args(
        self,
        config: dict[str, t.Any] | None = None,
        state: dict[str, t.Any] | None = None,
        catalog: dict[str, t.Any] | None = None,
        extra: list[str] | None = None,
    ) -> list[str]:
        cmd = [
            executable("tap-cosmosdb"),
            "--config",
            str(self.write("config.json", config or self.config())),
        ]
        if state is not None:
            cmd += ["--state", str(self.write("state.json", state))]
        if catalog is not None:
            cmd += ["--catalog", str(self.write("catalog.json", catalog))]
        return cmd + (extra or [])

    def run(
        self, config=None, state=None, catalog=None, extra=None, timeout: float = 120
    ) -> TapRun:
        proc = subprocess.run(
            self.args(config, state, catalog, extra),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        messages = (
            singer_lines(proc.stdout)
            if proc.returncode == 0 or "--about" not in (extra or [])
            else []
        )
        return TapRun(proc.returncode, messages, proc.stderr)

    def discover(self, config=None) -> dict[str, t.Any]:
        proc = subprocess.run(
            self.args(config, extra=["--discover"]),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        return json.loads(proc.stdout)


@pytest.fixture
def tap_env(cosmosdb_emulator, database_name, tmp_path) -> t.Iterator[TapEnv]:
    client = cosmosdb_emulator.client()
    database = client.create_database(database_name)
    yield TapEnv(cosmosdb_emulator, database, database_name, tmp_path)
    client.delete_database(database_name)


def seed(
    container: t.Any, count: int, *, start: int = 0, pad: int = 0, **fields: t.Any
) -> list[str]:
    """Upsert `count` documents with ids start..start+count-1 spread over 13 partition keys."""
    ids = []
    for i in range(start, start + count):
        doc = {"id": f"d{i}", "pk": f"p{i % 13}", "n": i, **fields}
        if pad:
            doc["pad"] = "x" * pad
        container.upsert_item(doc)
        ids.append(doc["id"])
    return ids
