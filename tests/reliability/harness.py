"""Run ``tap-cosmosdb | target-cosmosdb`` as real processes through a relay, and judge the result.

The relay sits between the two processes (instead of a shell pipe) so the test knows which
RECORD lines preceded each STATE line the tap emitted. With that, every STATE the target
printed (acknowledged) can be checked: each record the tap emitted before that STATE must be in
the destination (in that version or a later one from the same run), or deleted if it was a
delete.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
import time
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import executable
from tests.e2e.compare import SYSTEM_PROPERTIES, snapshot

#: Fields tap-cosmosdb adds that target-cosmosdb does not store.
TAP_FIELDS = frozenset({"_sdc_partition_key"})
DELETED = None  # a key whose expected version is "deleted"


def canonical(value: t.Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


@dataclass
class Kill:
    """Kill ``who`` ("tap" or "target") with ``sig`` once ``after_lines`` lines were relayed."""

    who: str
    after_lines: int
    sig: int = signal.SIGKILL


@dataclass
class RunResult:
    """What one pipeline run did: the tap's lines (parsed), the target's printed states."""

    tap_lines: list[dict[str, t.Any]]
    target_states: list[t.Any]
    tap_code: int | None
    target_code: int | None
    tap_stderr: str
    target_stderr: str
    killed: str | None = None
    seconds: float = 0.0

    @property
    def last_state(self) -> t.Any:
        return self.target_states[-1] if self.target_states else None

    @property
    def records(self) -> list[dict[str, t.Any]]:
        return [m["record"] for m in self.tap_lines if m.get("type") == "RECORD"]

    def last_error_line(self, who: str = "target") -> str:
        text = self.target_stderr if who == "target" else self.tap_stderr
        lines = [ln for ln in text.splitlines() if ln.strip()]
        return lines[-1] if lines else ""


def _read_lines(stream: t.IO[str], sink: list[str]) -> None:
    for line in stream:
        sink.append(line)


def run_pipeline(
    tap_config: Path,
    target_config: Path,
    workdir: Path,
    *,
    state: t.Any = None,
    kill: Kill | None = None,
    on_line: t.Callable[[int], None] | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 240,
) -> RunResult:
    """Run tap | relay | target once.

    Args:
        tap_config: Tap settings file.
        target_config: Target settings file.
        workdir: Folder for the state file and stderr logs.
        state: State to resume from (the last value the target printed), or None.
        kill: Kill the tap or the target after that many relayed lines.
        on_line: Called with the number of lines relayed so far, after each line.
        env: Extra environment variables for both processes.
        timeout: Seconds before both processes are killed and the run fails.

    Returns:
        The :class:`RunResult`.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    tap_cmd = [executable("tap-cosmosdb"), "--config", str(tap_config)]
    if state is not None:
        state_file = workdir / "state.json"
        state_file.write_text(json.dumps(state))
        tap_cmd += ["--state", str(state_file)]
    full_env = {**os.environ, **(env or {})}
    tap_err = (workdir / "tap.stderr").open("w+")
    target_err = (workdir / "target.stderr").open("w+")
    started = time.monotonic()
    tap = subprocess.Popen(
        tap_cmd, stdout=subprocess.PIPE, stderr=tap_err, text=True, env=full_env, bufsize=1
    )
    target = subprocess.Popen(
        [executable("target-cosmosdb"), "--config", str(target_config)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=target_err,
        text=True,
        env=full_env,
        bufsize=1,
    )
    assert tap.stdout is not None
    assert target.stdin is not None
    assert target.stdout is not None
    target_out: list[str] = []
    reader = threading.Thread(target=_read_lines, args=(target.stdout, target_out), daemon=True)
    reader.start()
    tap_lines: list[str] = []
    killed: str | None = None
    deadline = started + timeout

    def relay() -> None:
        nonlocal killed
        assert tap.stdout is not None
        assert target.stdin is not None
        target_alive = True
        for line in tap.stdout:
            tap_lines.append(line)
            if target_alive:
                try:
                    target.stdin.write(line)
                    target.stdin.flush()
                except (BrokenPipeError, OSError):
                    target_alive = False
                    tap.send_signal(signal.SIGPIPE)
            if kill is not None and killed is None and len(tap_lines) >= kill.after_lines:
                victim = tap if kill.who == "tap" else target
                victim.send_signal(kill.sig)
                killed = kill.who
                if kill.who == "tap":
                    break
            if on_line is not None:
                on_line(len(tap_lines))
        with contextlib.suppress(BrokenPipeError, OSError):
            target.stdin.close()

    relayer = threading.Thread(target=relay, daemon=True)
    relayer.start()
    for proc in (tap, target):
        try:
            proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            tap.kill()
            target.kill()
            raise AssertionError(
                f"pipeline did not finish within {timeout} s; tap stderr: "
                f"{_tail(tap_err)} target stderr: {_tail(target_err)}"
            ) from None
    relayer.join(30)
    reader.join(30)
    result = RunResult(
        tap_lines=[json.loads(x) for x in tap_lines if x.strip()],
        target_states=[json.loads(x) for x in target_out if x.strip()],
        tap_code=tap.returncode,
        target_code=target.returncode,
        tap_stderr=_read_all(tap_err),
        target_stderr=_read_all(target_err),
        killed=killed,
        seconds=time.monotonic() - started,
    )
    return result


def _read_all(handle: t.IO[str]) -> str:
    handle.flush()
    handle.seek(0)
    text = handle.read()
    handle.close()
    return text


def _tail(handle: t.IO[str], chars: int = 2000) -> str:
    handle.flush()
    handle.seek(0)
    return handle.read()[-chars:]


# -- judging --------------------------------------------------------------------------------


def record_key(record: dict[str, t.Any], pk_paths: list[str]) -> tuple[t.Any, ...]:
    """The (partition key value(s)..., id) key compare.snapshot uses, from a tap record."""
    parts = []
    for path in pk_paths:
        node: t.Any = record
        found = True
        for part in path.strip("/").split("/"):
            if not isinstance(node, dict) or part not in node:
                found = False
                break
            node = node[part]
        parts.append(repr(node) if found else ("<undefined>",))
    return (*parts, record["id"])


def record_version(record: dict[str, t.Any]) -> dict[str, t.Any] | None:
    """The document a record should leave in the destination (None: deleted)."""
    if record.get("_sdc_deleted_at") is not None:
        return DELETED
    return {k: v for k, v in record.items() if k not in SYSTEM_PROPERTIES and k not in TAP_FIELDS}


@dataclass
class AckCheck:
    """Result of checking every acknowledged STATE of one run."""

    states_checked: int = 0
    records_covered: int = 0
    violations: list[str] = field(default_factory=list)


def check_acknowledged(run: RunResult, destination: t.Any, pk_paths: list[str]) -> AckCheck:
    """Check that no STATE the target printed covers a record missing from the destination.

    For each printed state, the tap STATE line with the same value is found (its last
    occurrence); every record the tap emitted before it must have left the destination with
    that record's version or a later one emitted in the same run (or, for a delete, no
    document, unless a later record recreated it).

    Args:
        run: The pipeline run.
        destination: The destination ``ContainerProxy`` (read right after the run).
        pk_paths: Partition key paths.

    Returns:
        The :class:`AckCheck`; ``violations`` names each record acknowledged but not written.
    """
    result = AckCheck()
    if not run.target_states:
        return result
    positions: dict[str, int] = {}
    for index, message in enumerate(run.tap_lines):
        if message.get("type") == "STATE":
            positions[canonical(message["value"])] = index
    dst = snapshot(destination, pk_paths)
    versions: dict[tuple[t.Any, ...], list[tuple[int, dict[str, t.Any] | None]]] = {}
    for index, message in enumerate(run.tap_lines):
        if message.get("type") == "RECORD":
            rec = message["record"]
            version = record_version(rec)
            versions.setdefault(record_key(rec, pk_paths), []).append((index, version))
    for state in run.target_states:
        position = positions.get(canonical(state))
        if position is None:
            result.violations.append(f"target printed a state the tap never emitted: {state}")
            continue
        result.states_checked += 1
    # The furthest acknowledged state covers all earlier ones (records only accumulate).
    furthest = max(
        (positions[canonical(s)] for s in run.target_states if canonical(s) in positions),
        default=-1,
    )
    for key, history in versions.items():
        before = [i for i, (index, _v) in enumerate(history) if index < furthest]
        if not before:
            continue
        result.records_covered += 1
        allowed = [v for _index, v in history[before[-1] :]]
        actual = dst.get(key, DELETED)
        if not any(actual == v for v in allowed):
            result.violations.append(
                f"{key}: acknowledged at tap line {history[before[-1]][0]} but the destination "
                f"holds {'nothing' if actual is None else 'another version'}"
            )
    return result


def assert_clean_failure(run: RunResult) -> None:
    """A failed process must say why in one line, without a traceback."""
    for who, code, text in (
        ("tap", run.tap_code, run.tap_stderr),
        ("target", run.target_code, run.target_stderr),
    ):
        if code not in (0, None) and run.killed != who and code != -signal.SIGPIPE:
            assert "Traceback" not in text, f"{who} failed with a traceback:\n{text[-3000:]}"
            assert f"{who}-cosmosdb: error:" in text, f"{who} exit {code}:\n{text[-3000:]}"
