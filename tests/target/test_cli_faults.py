"""Throttling, transient faults and termination, against the emulator's RU budget and faults."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from azure.cosmos import PartitionKey

from tests.conftest import executable, write_config
from tests.target.conftest import record, schema, singer_text, state

PROPS = {"id": {"type": "string"}, "g": {"type": "string"}}


def _rows(stream, n, start=0, groups=20, pad=200):
    return [
        record(stream, {"id": str(i), "g": f"g{i % groups}", "pad": "x" * pad})
        for i in range(start, start + n)
    ]


def test_throttled_container_keeps_budget_busy_and_loses_nothing(target, cosmosdb_emulator):
    db = target.client.create_database_if_not_exists(target.database)
    db.create_container("thr", partition_key=PartitionKey(path="/g"))
    cosmosdb_emulator.set_throughput(target.database, "thr", 500)
    messages = [schema("thr", PROPS, ["id"]), *_rows("thr", 500, groups=40), state({"pos": 500})]
    started = time.monotonic()
    result = target.run(messages, timeout=120)
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.states == [{"pos": 500}]
    assert len(target.documents("thr")) == 500
    assert result.metric_total("cosmos_throttle_count", "thr") > 0, (
        "the budget must have been exceeded"
    )
    assert result.metric_total("cosmos_throttle_wait_seconds", "thr") > 0
    summary = next(line for line in result.stderr.splitlines() if "Summary for stream" in line)
    lowered = int(summary.split("in flight lowered to ")[1].split()[0])
    assert lowered < 16, "AIMD must have reduced the requests in flight"
    request_units = result.metric_total("cosmos_request_units", "thr")
    ideal = request_units / 500  # seconds the budget needs at best (one second of burst allowed)
    assert elapsed < ideal * 1.6 + 3, f"{elapsed:.1f} s for {request_units} RU at 500 RU/s"


def test_transient_errors_are_retried(target, cosmosdb_emulator):
    for status in (503, 408, 449):
        cosmosdb_emulator.inject_fault(
            action="error", status=status, operation="batch", database=target.database, count=2
        )
    cosmosdb_emulator.inject_fault(
        action="drop_before", operation="batch", database=target.database, count=2
    )
    messages = [schema("tr", PROPS, ["id"]), *_rows("tr", 120, groups=6), state({"pos": 120})]
    try:
        result = target.run(messages, partition_key_path="/g", timeout=120)
    finally:
        cosmosdb_emulator.clear_faults()
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.states == [{"pos": 120}]
    assert len(target.documents("tr")) == 120
    # 8 faults fired; the SDK absorbs up to two of the 503s itself (it retries a 503 once)
    assert result.metric_total("cosmos_retry_count", "tr") >= 6


def test_insert_retry_after_unknown_outcome_is_not_a_conflict(target, cosmosdb_emulator):
    """drop_after applies the batch but never answers: the retry's 409 is our own write."""
    cosmosdb_emulator.inject_fault(
        action="drop_after", operation="batch", database=target.database, count=2
    )
    messages = [schema("unk", PROPS, ["id"]), *_rows("unk", 30, groups=3), state({"pos": 30})]
    try:
        result = target.run(messages, partition_key_path="/g", write_mode="insert", timeout=120)
    finally:
        cosmosdb_emulator.clear_faults()
    assert result.returncode == 0, result.stderr[-2000:]
    assert len(target.documents("unk")) == 30
    assert result.metric_total("cosmos_records_written", "unk") == 30


class _Target:
    """The CLI as a live process whose stderr is collected in the background."""

    def __init__(self, config_path):
        self.proc = subprocess.Popen(
            [executable("target-cosmosdb"), "--config", str(config_path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.stderr: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line)

    def wait_for(self, text, timeout=30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in self.stderr):
                return
            time.sleep(0.05)
        raise AssertionError(f"{text!r} never logged:\n{''.join(self.stderr)[-2000:]}")

    def finish(self, timeout=60.0):
        out = self.proc.stdout.read() if self.proc.stdout else ""
        self.proc.wait(timeout)
        self._reader.join(5)
        return out


def _wait_for_container(target, name, timeout=30.0):
    from azure.cosmos.exceptions import CosmosResourceNotFoundError

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            target.container(name).read()
            return
        except CosmosResourceNotFoundError:
            time.sleep(0.1)
    raise AssertionError(f"container {name} never created")


def _check_states_cover_only_written(states, records_before_state, container):
    written = {doc["id"] for doc in container.read_all_items()}
    for value in states:
        required = records_before_state[value["pos"]]
        missing = required - written
        assert not missing, f"STATE {value} acknowledged {len(missing)} unwritten records"


def test_sigterm_during_drain_acknowledges_nothing_unwritten(target, cosmosdb_emulator, tmp_path):
    """singer-sdk #3775: SIGTERM mid-drain must not print STATE for records still in flight."""
    db = target.client.create_database_if_not_exists(target.database)
    db.create_container("term", partition_key=PartitionKey(path="/g"))
    cosmosdb_emulator.inject_fault(
        action="delay", delay_ms=2500, operation="batch", database=target.database
    )
    first, second = _rows("term", 40, groups=8), _rows("term", 40, start=40, groups=8)
    messages = [
        schema("term", PROPS, ["id"]),
        *first,
        state({"pos": 1}),
        *second,
        state({"pos": 2}),
    ]
    before = {1: {str(i) for i in range(40)}, 2: {str(i) for i in range(80)}}
    cfg = write_config(tmp_path / "c.json", target.config())
    live = _Target(cfg)
    try:
        assert live.proc.stdin is not None
        live.proc.stdin.write(singer_text(messages))
        live.proc.stdin.close()
        live.wait_for("completed processing")  # end of input: the final drain has started
        time.sleep(0.8)  # batches are now in flight (each delayed 4 s)
        live.proc.send_signal(signal.SIGTERM)
        out = live.finish()
    finally:
        cosmosdb_emulator.clear_faults()
    states = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert live.proc.returncode == 128 + signal.SIGTERM, "".join(live.stderr)[-2000:]
    assert states == [], "no STATE may be printed while the drain's records are in flight"
    assert "without emitting STATE" in "".join(live.stderr)
    time.sleep(4.5)  # let delayed requests the server already accepted finish
    _check_states_cover_only_written(states, before, target.container("term"))


def test_sigterm_between_drains_writes_buffer_then_acknowledges(
    target, cosmosdb_emulator, tmp_path
):
    """Outside a drain the SDK's graceful path is kept: drain, then STATE, exit 0."""
    cfg = write_config(tmp_path / "c.json", target.config(partition_key_path="/g"))
    live = _Target(cfg)
    assert live.proc.stdin is not None
    live.proc.stdin.write(
        singer_text(
            [schema("calm", PROPS, ["id"]), *_rows("calm", 30, groups=5), state({"pos": 1})]
        )
    )
    live.proc.stdin.flush()  # stdin stays open: the target is waiting for more input
    _wait_for_container(target, "calm")  # the SCHEMA was handled, so the signal handler is set
    time.sleep(0.5)  # and the records that followed it are buffered
    live.proc.send_signal(signal.SIGTERM)
    out = live.finish()
    live.proc.stdin.close()
    states = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert live.proc.returncode == 0, "".join(live.stderr)[-2000:]
    assert states == [{"pos": 1}]
    _check_states_cover_only_written(
        states, {1: {str(i) for i in range(30)}}, target.container("calm")
    )


def _run_signalled_inside_log(target, tmp_path, stream, *, again=False):
    """Run the target on 60 records (STATE after 10) through ``signal_inside_log.py``."""
    cfg = write_config(
        tmp_path / "c.json", target.config(partition_key_path="/g", batch_size_rows=25)
    )
    rows = _rows(stream, 60, groups=5)
    messages = [schema(stream, PROPS, ["id"]), *rows[:10], state({"pos": 10}), *rows[10:]]
    script = Path(__file__).with_name("signal_inside_log.py")
    return subprocess.run(
        [sys.executable, str(script), "--config", str(cfg)],
        input=singer_text(messages),
        capture_output=True,
        text=True,
        timeout=90,
        env={**os.environ, "SIGNAL_AGAIN": "1" if again else "0"},
    )


def test_sigterm_inside_a_log_call_still_drains_and_acknowledges(target, tmp_path):
    """A signal handled while the main thread holds a logging handler's lock (it was logging
    "Draining...") must not deadlock with a writer thread logging its batch's metrics: the run
    drains, emits the last STATE received and exits 0 (it used to hang)."""
    proc = _run_signalled_inside_log(target, tmp_path, "logged")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Received termination signal 15, draining all sinks" in proc.stderr
    states = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert states == [{"pos": 10}]
    _check_states_cover_only_written(
        states, {10: {str(i) for i in range(10)}}, target.container("logged")
    )
    # The 25 records buffered when the signal came were written before the exit.
    assert len(list(target.container("logged").read_all_items())) >= 25


def test_second_sigterm_while_stopping_exits_143_with_one_line(target, tmp_path):
    proc = _run_signalled_inside_log(target, tmp_path, "twice", again=True)
    assert proc.returncode == 143, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    assert "again while stopping" in proc.stderr
    assert proc.stdout.strip() == ""  # no STATE
