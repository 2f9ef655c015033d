"""Machine description and the printed table of a benchmark run."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

EMULATOR_GOALS = {
    "emulator_change_feed_docs_per_s": ("emulator: change-feed drain, pages of 1,000", 30_000),
    "emulator_batch_write_docs_per_s": ("emulator: batches of 100, 8 clients", 10_000),
}


def machine_info() -> dict[str, Any]:
    """CPU model, cores, memory, Python and the load average when the run started."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        mem_kib = 0
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "python": sys.version.split()[0],
        "load_before": list(os.getloadavg()),
    }


def _num(value: Any, digits: int = 0) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, (int, float)):
        return f"{value:,.{digits}f}"
    return str(value)


def table_rows(results: dict[str, Any]) -> list[list[str]]:
    """The table as rows of cells (header first); also used for the README."""
    rows = [["measure", "dataset", "docs", "ours", "raw SDK", "ratio", "goal", "met"]]
    for row in results.get("rows", []):
        unit = row.get("unit", "rec/s")
        if row["measure"].startswith("memory"):
            ours = f"{row['small_mib']:.0f} -> {row['large_mib']:.0f} MiB"
        else:
            ours = f"{_num(row['ours_per_s'])} {unit}"
        sdk = "-" if row["sdk_per_s"] is None else f"{_num(row['sdk_per_s'])} rec/s"
        docs = row["docs"] if isinstance(row["docs"], str) else _num(row["docs"])
        rows.append(
            [row["measure"], row["dataset"], docs, ours, sdk, _num(row["ratio"], 2), row["goal"],
             _num(row["met"])]
        )  # fmt: skip
    emulator = results.get("emulator_bench") or {}
    for key, (label, goal) in EMULATOR_GOALS.items():
        if key in emulator:
            value = emulator[key]
            rows.append(
                [label, "synthetic 1 KB", _num(results["settings"].get("emulator_docs")),
                 f"{_num(value)} docs/s", "-", "-", f">= {goal:,}", _num(value >= goal)]
            )  # fmt: skip
    if "error" in emulator:
        rows.append(["emulator_bench.py", "-", "-", emulator["error"][:60], "-", "-", "-", "-"])
    shards = results.get("shards_bench") or {}
    for key, value in shards.items():
        if key == "wall_s":
            continue
        if isinstance(value, (int, float)) and key.endswith("_per_s"):
            text = f"{_num(value)} rec/s"
            key = key.removesuffix("_records_per_s").removesuffix("_per_s").replace("_", " ")
        else:
            text = str(value)[:60]
        rows.append(
            [f"shards: {key}", "synthetic 1 KB", _num(results["settings"].get("emulator_docs")),
             text, "-", "-", "(reported)", "-"]
        )  # fmt: skip
    return rows


def print_table(results: dict[str, Any]) -> None:
    """Print the results table, then the machine and phase timings."""
    rows = table_rows(results)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    print()
    for number, row in enumerate(rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if number == 0:
            print("  ".join("-" * w for w in widths))
    machine = results["machine"]
    print(
        f"\nmachine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB, "
        f"Python {machine['python']}; load average before {machine['load_before'][0]:.2f}, "
        f"after {results['load_after'][0]:.2f}"
    )
    print("phases (s): " + ", ".join(f"{k} {v}" for k, v in results["phase_seconds"].items()))


def markdown_table(results: dict[str, Any]) -> str:
    """The same table in Markdown (for benchmarks/README.md)."""
    rows = table_rows(results)
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows[1:]]
    return "\n".join(lines)


if __name__ == "__main__":
    import json

    print(markdown_table(json.loads(Path(sys.argv[1]).read_text())))
