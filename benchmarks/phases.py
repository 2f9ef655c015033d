"""The benchmark phases: each runs real processes against one emulator and returns result rows.

Every throughput figure is records/s over the whole process wall time (interpreter start-up,
discovery and connection included) for the tap, the target and the SDK baseline alike; every
ratio divides two figures measured in the same run on the same data and the same emulator.
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from measure import Measured, run_measured

from cosmosdb_emulator import Emulator

BIN = Path(sys.executable).parent
HERE = Path(__file__).resolve().parent
SRC_DB = "src"
DST_DB = "dst"
CONCURRENCY = 16  # target-cosmosdb's default max_concurrency; the SDK baseline uses the same
PAGE_SIZE = 1000  # tap-cosmosdb's default page_size; the SDK baseline uses the same
_TAP_SUMMARY = re.compile(r"Summary for stream '[^']+' \([A-Z_]+\): (\d+) records")


class BenchError(RuntimeError):
    """A benchmarked process failed or lost data (message names the run)."""


@dataclass
class Bench:
    """Shared state of one benchmark run."""

    emu: Emulator
    out: Path
    profile: bool
    rows: list[dict[str, Any]] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)
    profiles: list[str] = field(default_factory=list)

    @property
    def logs(self) -> Path:
        return self.out / "logs"

    @property
    def emulator_pid(self) -> int | None:
        proc = getattr(self.emu, "_proc", None)
        return proc.pid if proc is not None else None

    def config(self, name: str, **settings: Any) -> Path:
        path = self.out / f"{name}.json"
        path.write_text(
            json.dumps(
                {"account_endpoint": self.emu.endpoint, "account_key": self.emu.key, **settings}
            )
        )
        return path

    def documents(self, database: str, container: str) -> int:
        stats = self.emu.stats()["containers"].get(f"{database}/{container}", {})
        return sum(stats.get("documents_per_range", {}).values())

    def run(self, name: str, cmd: list[str], **kwargs: Any) -> Measured:
        print(f"  running {name} ...", flush=True)
        measured = run_measured(
            name, cmd, log_dir=self.logs, emulator_pid=self.emulator_pid, **kwargs
        )
        self.runs.append(measured.to_dict())
        if measured.returncode != 0:
            raise BenchError(f"{name} exited {measured.returncode}:\n{measured.stderr_tail()}")
        return measured

    def row(self, **values: Any) -> dict[str, Any]:
        self.rows.append(values)
        return values


def _profiled(module: str, session: Path) -> list[str]:
    # One sample per 10 ms: lower overhead and profiles of a few MB instead of tens.
    return [
        sys.executable, "-m", "pyinstrument", "--interval", "0.01", "-r", "session",
        "-o", str(session), "-m", module,
    ]  # fmt: skip


def _rate(records: int, measured: Measured) -> float:
    return records / measured.wall_s if measured.wall_s else 0.0


def _sdk(bench: Bench, mode: str, name: str, *args: str) -> Measured:
    cmd = [sys.executable, str(HERE / "sdk_baseline.py"), mode, "--endpoint", bench.emu.endpoint]
    cmd += ["--key", bench.emu.key, *args]
    return bench.run(name, cmd)


def tap_records_from_log(measured: Measured) -> int:
    text = Path(measured.stderr_path).read_text(errors="replace")
    return sum(int(m) for m in _TAP_SUMMARY.findall(text))


#: Latency added to every change-feed request by the emulator's ``delay`` fault rule (ms): none,
#: and roughly a client a region away from its account.
LATENCIES_MS = (0, 30)


def tap_vs_sdk(bench: Bench, dataset: str, docs: int) -> list[dict[str, Any]]:
    """Goal 1: LOG_BASED drain to /dev/null vs two SDK change-feed loops, at each latency.

    The SDK loops read the same ranges with the same page size: one range after another
    (``drain``), and one thread and client per feed range (``drain-threaded``); the ratio is
    against the threaded loop, the faster one. Latency is the emulator's ``delay`` fault rule
    on the container's change-feed requests.
    """
    rows = []
    for latency in LATENCIES_MS:
        suffix = f"{dataset}_{latency}ms"
        if latency:
            bench.emu.inject_fault(
                action="delay", delay_ms=latency, operation="change_feed",
                database=SRC_DB, container=dataset,
            )  # fmt: skip
        try:
            common = ["--database", SRC_DB, "--container", dataset, "--page-size", str(PAGE_SIZE)]
            seq = _sdk(bench, "drain", f"sdk_drain_{suffix}", *common)
            threaded = _sdk(bench, "drain-threaded", f"sdk_drain_threaded_{suffix}", *common)
            config = bench.config(
                f"tap_{suffix}", database=SRC_DB, containers=[dataset], page_size=PAGE_SIZE
            )
            tap = bench.run(f"tap_{suffix}", [str(BIN / "tap-cosmosdb"), "--config", str(config)])
        finally:
            if latency:
                bench.emu.clear_faults()
        emitted = tap_records_from_log(tap)
        if emitted != docs:
            raise BenchError(f"tap_{suffix} emitted {emitted} records, expected {docs}")
        ours, base, base_seq = _rate(docs, tap), _rate(docs, threaded), _rate(docs, seq)
        row = bench.row(
            measure=f"tap: change-feed drain, {latency} ms latency", dataset=dataset,
            docs=docs, ours_per_s=ours, sdk_per_s=base, ratio=ours / base, goal=">= 0.8",
            met=ours / base >= 0.8, sdk_sequential_per_s=base_seq,
            ratio_vs_sequential=ours / base_seq, tap_peak_rss_mib=tap.peak_rss_kib / 1024,
            baseline="SDK drain, one thread per feed range",
        )  # fmt: skip
        rows.append(row)
    return rows


def full_table_vs_query(bench: Bench, dataset: str, docs: int) -> dict[str, Any]:
    """Goal 5: a FULL_TABLE sync vs a raw ``query_items("SELECT * FROM c")`` drain."""
    sdk = _sdk(
        bench, "query", f"sdk_query_{dataset}", "--database", SRC_DB, "--container", dataset,
        "--page-size", str(PAGE_SIZE),
    )  # fmt: skip
    config = bench.config(
        f"tap_full_table_{dataset}", database=SRC_DB, containers=[dataset], page_size=PAGE_SIZE
    )
    discovered = subprocess.run(
        [str(BIN / "tap-cosmosdb"), "--config", str(config), "--discover"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    catalog = json.loads(discovered.stdout)
    for entry in catalog["streams"]:
        entry["replication_method"] = "FULL_TABLE"
        for md in entry["metadata"]:
            if md["breadcrumb"] == []:
                md["metadata"].update({"selected": True, "replication-method": "FULL_TABLE"})
    catalog_path = bench.out / f"catalog_full_table_{dataset}.json"
    catalog_path.write_text(json.dumps(catalog))
    tap = bench.run(
        f"tap_full_table_{dataset}",
        [str(BIN / "tap-cosmosdb"), "--config", str(config), "--catalog", str(catalog_path)],
    )
    emitted = tap_records_from_log(tap)
    if emitted != docs:
        raise BenchError(f"tap_full_table_{dataset} emitted {emitted} records, expected {docs}")
    ours, base = _rate(docs, tap), _rate(docs, sdk)
    return bench.row(
        measure="tap: FULL_TABLE sync", dataset=dataset, docs=docs, ours_per_s=ours,
        sdk_per_s=base, ratio=ours / base, goal=">= 0.8", met=ours / base >= 0.8,
        tap_peak_rss_mib=tap.peak_rss_kib / 1024, baseline='SDK query_items("SELECT * FROM c")',
    )  # fmt: skip


def tap_config(bench: Bench, dataset: str) -> Path:
    """The plain LOG_BASED tap config for ``dataset`` (the target's input and end to end)."""
    return bench.config(
        f"tap_{dataset}", database=SRC_DB, containers=[dataset], page_size=PAGE_SIZE
    )


def record_tap_output(bench: Bench, dataset: str, docs: int, *, profile: bool) -> Path:
    """Run the tap once more into a file (the target's input); profiled when asked."""
    config = tap_config(bench, dataset)
    target = bench.out / f"{dataset}.singer.jsonl"
    if profile:
        session = bench.out / f"tap_{dataset}.pyisession"
        cmd = [*_profiled("tap_cosmosdb", session), "--config", str(config)]
    else:
        cmd = [str(BIN / "tap-cosmosdb"), "--config", str(config)]
    with target.open("w") as fh:
        bench.run(f"tap_{dataset}_record", cmd, stdout=fh)
    with target.open() as fh:
        records = sum(1 for line in fh if line.startswith('{"type":"RECORD"'))
    if records != docs:
        raise BenchError(f"recorded tap output for {dataset} holds {records} records, not {docs}")
    if profile:
        bench.profiles.append(str(session))
    return target


def declared_partition_key(source: Path) -> list[str]:
    """The partition key paths the tap declared (``x-cosmosdb-partition-key``) in ``source``."""
    with source.open() as fh:
        for line in fh:
            if line.startswith('{"type":"SCHEMA"'):
                declared = json.loads(line)["schema"].get("x-cosmosdb-partition-key") or {}
                return list(declared.get("paths") or ["/id"])
    return ["/id"]


def _target(
    bench: Bench, name: str, source: Path, container: str, *, session: Path | None = None,
    **settings: Any,
) -> Measured:  # fmt: skip
    config = bench.config(
        name, database=DST_DB, container=container, max_concurrency=CONCURRENCY,
        validate_records=True, **settings,
    )  # fmt: skip
    if session is not None:
        cmd = [*_profiled("target_cosmosdb", session), "--config", str(config)]
    else:
        cmd = [str(BIN / "target-cosmosdb"), "--config", str(config)]
    with source.open() as fh:
        measured = bench.run(name, cmd, stdin=fh)
    check_partition_key(bench, DST_DB, container, declared_partition_key(source))
    return measured


def check_partition_key(bench: Bench, database: str, container: str, paths: list[str]) -> None:
    """Fail unless the target created ``container`` with the source's partition key.

    The SDK baseline writes with the source's key; a target container keyed by ``/id`` would
    put one document per batch and make the ratio meaningless.
    """
    proxy = bench.emu.client().get_database_client(database).get_container_client(container)
    actual = list(proxy.read()["partitionKey"]["paths"])
    if actual != paths:
        raise BenchError(f"{database}/{container} has partition key {actual}, expected {paths}")


def target_vs_sdk(bench: Bench, dataset: str, docs: int, source: Path) -> dict[str, Any]:
    """Goal 2: target (validation on) vs the SDK batch loop (same docs, same concurrency)."""
    sdk = _sdk(
        bench, "load", f"sdk_load_{dataset}", "--database", DST_DB,
        "--container", f"{dataset}_sdk", "--input", str(source), "--concurrency", str(CONCURRENCY),
    )  # fmt: skip
    target = _target(bench, f"target_{dataset}", source, f"{dataset}_target")
    for container in (f"{dataset}_sdk", f"{dataset}_target"):
        stored = bench.documents(DST_DB, container)
        if stored != docs:
            raise BenchError(f"{DST_DB}/{container} holds {stored} documents, expected {docs}")
    ours, base = _rate(docs, target), _rate(docs, sdk)
    return bench.row(
        measure="target: load tap output", dataset=dataset, docs=docs, ours_per_s=ours,
        sdk_per_s=base, ratio=ours / base, goal=">= 0.9", met=ours / base >= 0.9,
        target_peak_rss_mib=target.peak_rss_kib / 1024,
    )  # fmt: skip


def first_records(source: Path, docs: int, name: str) -> Path:
    """A copy of ``source`` with its SCHEMA messages and only its first ``docs`` RECORDs."""
    subset = source.with_name(f"{name}.singer.jsonl")
    with source.open() as fh, subset.open("w") as out:
        taken = 0
        for line in fh:
            if line.startswith('{"type":"RECORD"'):
                if taken == docs:
                    continue
                taken += 1
            if not line.startswith('{"type":"STATE"'):
                out.write(line)
    return subset


def profile_target(bench: Bench, dataset: str, source: Path, docs: int) -> None:
    """Profile the target loading the first ``docs`` records of ``source`` (not a figure)."""
    session = bench.out / f"target_{dataset}.pyisession"
    subset = first_records(source, docs, f"profile_{docs}")
    _target(bench, f"target_{dataset}_profile", subset, f"{dataset}_profile", session=session)
    bench.profiles.append(str(session))


def end_to_end(bench: Bench, dataset: str, docs: int, recording: Path) -> dict[str, Any]:
    """Goal 3: ``tap-cosmosdb | target-cosmosdb`` copying a container, records/s."""
    source_config = tap_config(bench, dataset)
    target_config = bench.config(
        f"e2e_{dataset}", database="e2e", max_concurrency=CONCURRENCY, validate_records=True
    )
    pipeline = (
        f"set -o pipefail; {BIN / 'tap-cosmosdb'} --config {source_config} "
        f"| {BIN / 'target-cosmosdb'} --config {target_config} > /dev/null"
    )
    measured = bench.run(f"e2e_{dataset}", ["bash", "-c", pipeline])
    check_partition_key(bench, "e2e", dataset, declared_partition_key(recording))
    stored = bench.documents("e2e", dataset)
    if stored != docs:
        raise BenchError(f"e2e/{dataset} holds {stored} documents, expected {docs}")
    return bench.row(
        measure="end to end: tap | target", dataset=dataset, docs=docs,
        ours_per_s=_rate(docs, measured), sdk_per_s=None, ratio=None, goal="(reported)", met=None,
    )  # fmt: skip


def ru_efficiency(bench: Bench, source: Path, docs: int, ru_per_s: int = 400) -> dict[str, Any]:
    """Goal 4: load ``docs`` records into a container provisioned at ``ru_per_s`` RU/s.

    The emulator's per-container charge is polled every 0.2 s; the rate is the charge between
    the first and the last poll that saw it grow, divided by that window (the container's
    creation and the token bucket's initial second of burst fall before the window).
    """
    subset = first_records(source, docs, f"ru_{docs}")
    container, key = "ru400", f"{DST_DB}/ru400"
    samples: list[tuple[float, float, int]] = []
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            stats = bench.emu.stats()["containers"].get(key)
            if stats:
                samples.append((time.perf_counter(), stats["request_charge"], stats["throttled"]))
            done.wait(0.2)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    try:
        _target(bench, "target_ru400", subset, container, container_throughput=ru_per_s)
    finally:
        done.set()
        poller.join()
    stored = bench.documents(DST_DB, container)
    growing = [s for prev, s in itertools.pairwise(samples) if s[1] > prev[1]]
    first = next(s for s in samples if s[1] > 0)
    last = growing[-1] if growing else first
    window = last[0] - first[0]
    rate = (last[1] - first[1]) / window if window > 0 else 0.0
    ratio = rate / ru_per_s
    throttles = samples[-1][2] if samples else 0
    lost = docs - stored
    return bench.row(
        measure=f"RU efficiency at {ru_per_s} RU/s", dataset="flights", docs=docs,
        ours_per_s=rate, sdk_per_s=None, ratio=ratio, goal=">= 0.9, none lost",
        met=ratio >= 0.9 and lost == 0, unit="RU/s", window_s=window, lost=lost,
        # bench.run raised already if the target failed (a retry budget exhausted is fatal)
        throttled_429=throttles, target_exit_code=0,
    )  # fmt: skip


def memory_point(bench: Bench, docs: int, source_container: str) -> dict[str, Any]:
    """Goal 5 (one size): peak RSS of the tap draining and the target loading ``docs`` docs."""
    config = bench.config(
        f"tap_mem_{docs}", database=SRC_DB, containers=[source_container], page_size=PAGE_SIZE
    )
    output = bench.out / f"mem_{docs}.singer.jsonl"
    with output.open("w") as fh:
        tap = bench.run(
            f"tap_mem_{docs}", [str(BIN / "tap-cosmosdb"), "--config", str(config)], stdout=fh
        )
    if tap_records_from_log(tap) != docs:
        raise BenchError(f"tap_mem_{docs} emitted {tap_records_from_log(tap)} records, not {docs}")
    target = _target(bench, f"target_mem_{docs}", output, f"mem_{docs}")
    stored = bench.documents(DST_DB, f"mem_{docs}")
    if stored != docs:
        raise BenchError(f"{DST_DB}/mem_{docs} holds {stored} documents, expected {docs}")
    output.unlink()
    return {
        "docs": docs,
        "tap_peak_rss_mib": tap.peak_rss_kib / 1024,
        "target_peak_rss_mib": target.peak_rss_kib / 1024,
        "tap_per_s": _rate(docs, tap),
        "target_per_s": _rate(docs, target),
    }


def memory_subset_point(bench: Bench, dataset: str, recording: Path, docs: int) -> dict[str, Any]:
    """Goal 5, smaller point: the first ``docs`` records of a recording, copied to new containers.

    The source container ``<dataset>_<docs>`` is filled with the SDK baseline loader (the same
    documents the tap emitted), then drained by the tap to /dev/null; the target loads the same
    records from the recording.
    """
    subset = first_records(recording, docs, f"mem_{dataset}_{docs}")
    source = f"{dataset}_{docs}"
    _sdk(
        bench, "load", f"seed_{source}", "--database", SRC_DB, "--container", source,
        "--input", str(subset), "--concurrency", str(CONCURRENCY),
    )  # fmt: skip
    config = bench.config(
        f"tap_{source}", database=SRC_DB, containers=[source], page_size=PAGE_SIZE
    )
    tap = bench.run(f"tap_{source}", [str(BIN / "tap-cosmosdb"), "--config", str(config)])
    if tap_records_from_log(tap) != docs:
        raise BenchError(f"tap_{source} emitted {tap_records_from_log(tap)} records, not {docs}")
    target = _target(bench, f"target_{source}", subset, f"mem_{source}")
    if bench.documents(DST_DB, f"mem_{source}") != docs:
        raise BenchError(f"{DST_DB}/mem_{source} does not hold {docs} documents")
    return {
        "docs": docs,
        "tap_peak_rss_mib": tap.peak_rss_kib / 1024,
        "target_peak_rss_mib": target.peak_rss_kib / 1024,
        "tap_per_s": _rate(docs, tap),
        "target_per_s": _rate(docs, target),
    }


def render_profiles(bench: Bench, dest: Path) -> list[str]:
    """Render every pyinstrument session to ``dest/<name>.html`` and ``.txt``."""
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for session in map(Path, bench.profiles):
        name = session.stem
        for renderer, suffix in (("html", "html"), ("text", "txt")):
            target = dest / f"{name}.{suffix}"
            cmd = [sys.executable, "-m", "pyinstrument", "--load", str(session), "-r", renderer]
            cmd += ["-o", str(target)]
            if renderer == "text":
                cmd.append("--no-color")
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            written.append(str(target.relative_to(HERE)))
    return written


def helper_bench(bench: Bench, script: str, extra: list[str], timeout: float) -> dict[str, Any]:
    """Run a helper benchmark script (``--json PATH``) and return its figures (or an error)."""
    path = HERE / script
    if not path.exists():
        return {"error": f"{script} not found"}
    result = bench.out / f"{path.stem}.json"
    result.unlink(missing_ok=True)
    try:
        measured = run_measured(
            path.stem, [sys.executable, str(path), *extra, "--json", str(result)],
            log_dir=bench.logs, timeout=timeout, stdout=None,
        )  # fmt: skip
    except OSError as exc:
        return {"error": str(exc)}
    if measured.returncode != 0 or not result.exists():
        return {"error": f"exit {measured.returncode}: {measured.stderr_tail(3)}"}
    figures: dict[str, Any] = json.loads(result.read_text())
    figures["wall_s"] = round(measured.wall_s, 1)
    return figures
