"""Background writes (target_cosmosdb.pipeline): overlap never weakens the STATE guarantee.

Full batches are written while the next records are parsed. These tests run the real CLI
against the emulator with slowed, throttled or failing writes and check, at the moment each
STATE line appears on stdout, that every record sent before it is already in the container.
"""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time

from azure.cosmos import PartitionKey

from tests.conftest import executable, write_config
from tests.target.conftest import METRIC_RE, record, schema, singer_text, state

PROPS = {"id": {"type": "string"}, "g": {"type": "string"}, "v": {"type": "integer"}}


def _rows(stream, start, stop, groups=3):
    return [
        record(stream, {"id": str(i), "g": f"g{i % groups}", "v": i}) for i in range(start, stop)
    ]


class _LiveTarget:
    """The CLI as a process; each STATE line is checked against the container as it arrives."""

    def __init__(self, config_path, container, probes):
        self.container = container
        #: (id, partition key) of the records checked when a STATE line arrives
        self.probes = probes
        self.proc = subprocess.Popen(
            [executable("target-cosmosdb"), "--config", str(config_path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        #: (STATE value, ids in the container right after the line was read)
        self.seen: list[tuple[dict, set[str]]] = []
        self.stderr_lines: list[str] = []
        self._out = threading.Thread(target=self._read_stdout, daemon=True)
        self._err = threading.Thread(target=self._read_stderr, daemon=True)
        self._out.start()
        self._err.start()

    def _ids(self) -> set[str]:
        """Ids of the probed records present now (point reads: one quick request each)."""
        present = set()
        for doc_id, pk in self.probes:
            try:
                self.container.read_item(doc_id, partition_key=pk)
            except Exception:  # not written (or container not created yet)
                continue
            present.add(doc_id)
        return present

    def _read_stdout(self):
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.strip():
                self.seen.append((json.loads(line), self._ids()))

    def _read_stderr(self):
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr_lines.append(line)

    @property
    def stderr(self) -> str:
        return "".join(self.stderr_lines)

    def metric_total(self, name):
        values = [json.loads(m.group(1)) for m in METRIC_RE.finditer(self.stderr)]
        return sum(v["value"] for v in values if v["metric"] == name)

    def wait_for(self, text, times=1, timeout=60.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if sum(text in line for line in self.stderr_lines) >= times:
                return
            time.sleep(0.02)
        raise AssertionError(f"{text!r} not logged {times} times:\n{self.stderr[-2000:]}")

    def send(self, messages, *, close=True):
        assert self.proc.stdin is not None
        self.proc.stdin.write(singer_text(messages))
        self.proc.stdin.flush()
        if close:
            self.proc.stdin.close()

    def wait(self, timeout=120.0) -> int:
        code = self.proc.wait(timeout)
        self._out.join(10)
        self._err.join(10)
        return code


def _probes(start, stop, groups=3):
    """The last records of a run, which the last batches write."""
    return [(str(i), f"g{i % groups}") for i in range(start, stop)]


def _check(seen, required):
    for value, present in seen:
        missing = required[value["pos"]] - present
        assert not missing, (
            f"STATE {value} printed before {len(missing)} of its records were written"
        )


def _wait_for_count(container, count, timeout=60.0):
    query = "SELECT VALUE COUNT(1) FROM c"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if next(iter(container.query_items(query, enable_cross_partition_query=True))) >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"{count} documents never written")


def _end_of_input_under_fault(target, emulator, tmp_path, stream, fault):
    """Send 65 records (6 full batches of 10); once those are written, inject ``fault``, end input.

    The fault hits the last batch, written in the background by the final drain: the STATE
    that follows must wait for it.
    """
    db = target.client.create_database_if_not_exists(target.database)
    container = db.create_container(stream, partition_key=PartitionKey(path="/g"))
    cfg = write_config(tmp_path / "c.json", target.config(batch_size_rows=10))
    live = _LiveTarget(cfg, container, _probes(55, 65))
    try:
        live.send([schema(stream, PROPS, ["id"]), *_rows(stream, 0, 65)], close=False)
        live.wait_for("is full", times=6)
        _wait_for_count(container, 60)  # the six full batches are written; 5 records buffered
        emulator.inject_fault(database=target.database, operations=["write", "batch"], **fault)
        live.send([state({"pos": 1})])
        code = live.wait()
    finally:
        emulator.clear_faults()
    assert code == 0, live.stderr[-2000:]
    assert [v for v, _ in live.seen] == [{"pos": 1}]
    _check(live.seen, {1: {str(i) for i in range(55, 65)}})
    return live


def test_state_waits_for_slow_background_writes(target, cosmosdb_emulator, tmp_path):
    """Writes take 2 s each at the end: STATE must still come after the last one landed."""
    _end_of_input_under_fault(
        target, cosmosdb_emulator, tmp_path, "slow", {"action": "delay", "delay_ms": 2000}
    )


def test_state_waits_through_throttling(target, cosmosdb_emulator, tmp_path):
    """429s (retried after the service's 2.5 s retry-after) delay the writes, not the guarantee."""
    live = _end_of_input_under_fault(
        target, cosmosdb_emulator, tmp_path, "thr",
        {"action": "error", "status": 429, "retry_after_ms": 2500, "count": 2},
    )  # fmt: skip
    assert live.metric_total("cosmos_throttle_count") >= 1, live.stderr[-2000:]


def test_sigterm_while_batches_are_written_in_background(target, cosmosdb_emulator, tmp_path):
    """Between drains with batches still in flight: drain, wait for them, then STATE, exit 0."""
    db = target.client.create_database_if_not_exists(target.database)
    container = db.create_container("bg", partition_key=PartitionKey(path="/g"))
    cosmosdb_emulator.inject_fault(
        action="delay", delay_ms=2000, operations=["write", "batch"], database=target.database
    )
    cfg = write_config(tmp_path / "c.json", target.config(batch_size_rows=10))
    live = _LiveTarget(cfg, container, _probes(0, 25))
    try:
        # 25 records: two full batches go to the background writer, five stay buffered
        live.send(
            [schema("bg", PROPS, ["id"]), *_rows("bg", 0, 25), state({"pos": 1})], close=False
        )
        live.wait_for("is full", times=2)  # two batches handed to the background writer
        assert live._ids() == set(), "the 2 s delay must still hold the first batch"
        live.proc.send_signal(signal.SIGTERM)
        code = live.wait()
    finally:
        cosmosdb_emulator.clear_faults()
        if live.proc.stdin is not None:
            live.proc.stdin.close()
    assert code == 0, live.stderr[-2000:]
    assert [v for v, _ in live.seen] == [{"pos": 1}]
    _check(live.seen, {1: {str(i) for i in range(25)}})


def test_write_failing_mid_stream_fails_run_without_state(target, cosmosdb_emulator):
    """A background batch failing for good ends the run: exit 1, one line, no STATE after it."""
    db = target.client.create_database_if_not_exists(target.database)
    container = db.create_container("ins", partition_key=PartitionKey(path="/g"))
    container.upsert_item({"id": "55", "g": "g1", "v": -1})  # record 55 conflicts (insert)
    messages = [
        schema("ins", PROPS, ["id"]),
        *_rows("ins", 0, 30),
        state({"pos": 1}),
        *_rows("ins", 30, 400),
        state({"pos": 2}),
    ]
    result = target.run(messages, write_mode="insert", batch_size_rows=10)
    assert result.returncode == 1, result.stderr[-2000:]
    assert result.states == []
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1, result.stderr[-2000:]
    assert "'55'" in errors[0]
    assert "already exists" in errors[0]
    assert "Traceback" not in result.stderr
    assert container.read_item("55", partition_key="g1")["v"] == -1


def test_later_batches_never_overwrite_earlier_ones(target):
    """The same ids in many batches: the last record of each id wins, as with synchronous drains."""
    messages = [schema("ord", PROPS, ["id"])]
    messages += [record("ord", {"id": str(i % 7), "g": "g", "v": i}) for i in range(300)]
    messages.append(state({"pos": 1}))
    result = target.run(messages, batch_size_rows=9, partition_key_path="/g")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.states == [{"pos": 1}]
    docs = target.documents("ord")
    last = {str(i % 7): i for i in range(300)}
    assert {k: d["v"] for k, d in docs.items()} == last
