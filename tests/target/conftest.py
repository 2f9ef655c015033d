"""Helpers for target tests: run the real ``target-cosmosdb`` CLI on Singer messages."""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import executable, write_config

METRIC_RE = re.compile(r"METRIC: (\{.*\})")


def schema(
    stream: str, properties: dict | None = None, key_properties: list[str] | None = None
) -> dict:
    return {
        "type": "SCHEMA",
        "stream": stream,
        "schema": {
            "type": "object",
            "properties": properties if properties is not None else {"id": {"type": "string"}},
        },
        "key_properties": key_properties if key_properties is not None else [],
    }


def record(stream: str, rec: dict) -> dict:
    return {"type": "RECORD", "stream": stream, "record": rec}


def state(value: t.Any) -> dict:
    return {"type": "STATE", "value": value}


def singer_text(messages: list[dict | str]) -> str:
    return "".join((m if isinstance(m, str) else json.dumps(m)) + "\n" for m in messages)


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str
    states: list[t.Any] = field(default_factory=list)

    @property
    def metrics(self) -> list[dict]:
        return [json.loads(m.group(1)) for m in METRIC_RE.finditer(self.stderr)]

    def metric_total(self, name: str, stream: str | None = None) -> float:
        return sum(
            m["value"]
            for m in self.metrics
            if m["metric"] == name and (stream is None or m["tags"].get("stream") == stream)
        )

    @property
    def last_error_line(self) -> str:
        lines = [line for line in self.stderr.splitlines() if "error:" in line]
        return lines[-1] if lines else ""


class TargetRunner:
    """Runs the CLI against one emulator database."""

    def __init__(self, emulator: t.Any, database: str, tmp_path: Path) -> None:
        self.emulator = emulator
        self.database = database
        self.tmp_path = tmp_path
        self.client = emulator.client()
        self._runs = 0

    def config(self, **extra: t.Any) -> dict[str, t.Any]:
        return {
            "account_endpoint": self.emulator.endpoint,
            "account_key": self.emulator.key,
            "database": self.database,
            **extra,
        }

    def run(self, messages: list[dict | str], *, timeout: float = 90, **extra: t.Any) -> Result:
        self._runs += 1
        cfg = write_config(self.tmp_path / f"target-{self._runs}.json", self.config(**extra))
        proc = subprocess.run(
            [executable("target-cosmosdb"), "--config", str(cfg)],
            input=singer_text(messages),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        states = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
        return Result(proc.returncode, proc.stdout, proc.stderr, states)

    def container(self, name: str) -> t.Any:
        return self.client.get_database_client(self.database).get_container_client(name)

    def documents(self, name: str) -> dict[str, dict]:
        """All documents of a container by id, without system properties."""
        out = {}
        for doc in self.container(name).read_all_items():
            out[doc["id"]] = {
                k: v
                for k, v in doc.items()
                if k not in {"_rid", "_self", "_etag", "_attachments", "_ts"}
            }
        return out


@pytest.fixture
def target(cosmosdb_emulator, database_name, tmp_path) -> t.Iterator[TargetRunner]:
    runner = TargetRunner(cosmosdb_emulator, database_name, tmp_path)
    yield runner
    with contextlib.suppress(Exception):
        runner.client.delete_database(database_name)
