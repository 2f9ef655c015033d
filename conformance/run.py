"""Run Microsoft's azure-cosmos test suite against ``cosmosdb-emulator`` (``make conformance``).

The PyPI source distribution of azure-cosmos ships the release's ``tests/`` folder; its
``tests/test_config.py`` treats ``https://localhost:8081/`` as "the emulator" (the setting the
SDK's own CI uses for the official emulator). This script:

1. downloads the pinned sdist (sha256 checked) and extracts ``tests/`` into ``conformance/.cache``;
2. adds the harness pieces the sdist does not ship: a two-function ``devtools_testutils``
   stand-in (key auth only) and a ``pytest.ini`` registering the suite's markers with
   ``asyncio_mode = auto``;
3. runs each test file of ``conformance/files.txt`` in its own pytest process against a fresh
   ``cosmosdb-emulator --tls`` on port 8081 (``:memory:``, physical ranges from each
   container's throughput as in the service), bounded per test and per
   file, deselecting the tests that need a multi-region account or a server-side split;
4. prints a table per file and the pass rate, and compares the passes with
   ``conformance/expected_pass.txt``: a listed test that does not pass fails the run; tests that
   newly pass are listed (``--update`` rewrites the list from the run).

Usage: ``python conformance/run.py [--update] [--file-timeout S] [test_file.py ...]``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from cosmosdb_emulator.process import Emulator

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
VERSION = "4.17.1"
SDIST = f"azure_cosmos-{VERSION}.tar.gz"
SDIST_SHA256 = "d692928a54d88163e96d41d8f899229ca2f6a6bf21973ece2bfc1f72d4b4edd8"
TESTS = CACHE / f"azure_cosmos-{VERSION}" / "tests"
SHIM = CACHE / "shim"
RESULTS = CACHE / "results"
PORT = 8081
DESELECT = (
    "not cosmosSplit and not cosmosMultiRegion and not cosmosCircuitBreakerMultiRegion"
    " and not cosmosPerPartitionAutomaticFailover"
)
# pytest-asyncio 1.x raises ScopeMismatch for this file's class-scoped async fixture otherwise.
EXTRA_ARGS = {
    "test_query_feed_range_multipartition_async.py": [
        "-o",
        "asyncio_default_fixture_loop_scope=class",
    ],
}
MARKERS = """cosmosEmulator cosmosLong cosmosQuery cosmosSplit cosmosMultiRegion cosmosCircuitBreaker
cosmosCircuitBreakerMultiRegion cosmosPerPartitionAutomaticFailover cosmosSearchQuery cosmosGSI
cosmosAADLong cosmosAADQuery cosmosAADSplit cosmosAADMultiRegion cosmosAADCircuitBreaker
cosmosAADCircuitBreakerMultiRegion cosmosAADPerPartitionAutomaticFailover semanticReranker unittest"""

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

SHIM_FILES = {
    "devtools_testutils/__init__.py": '"""Stand-in for azure-sdk-tools\' devtools_testutils."""\n',
    "devtools_testutils/azure_recorded_testcase.py": (
        '"""Key auth only: the suite never asks for a credential against the emulator."""\n\n\n'
        "def get_credential(is_async=False, **kwargs):\n"
        '    raise RuntimeError("AAD credentials are not available in make conformance")\n'
    ),
    "devtools_testutils/helpers.py": (
        '"""Stand-in for devtools_testutils.helpers.is_live."""\n\n\n'
        "def is_live():\n"
        '    return getattr(is_live, "_cache", False)\n'
    ),
}


@dataclass
class FileResult:
    """Outcome of one test file."""

    name: str
    outcomes: dict[str, str] = field(default_factory=dict)  # node id -> passed/failed/error/skipped
    seconds: float = 0.0
    note: str = ""

    def count(self, outcome: str) -> int:
        """Number of tests with this outcome."""
        return sum(1 for o in self.outcomes.values() if o == outcome)


def read_list(path: Path) -> list[str]:
    """Non-empty, non-comment lines of a list file."""
    if not path.exists():
        return []
    lines = (line.strip() for line in path.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def prepare() -> None:
    """Download and extract the sdist's tests (once), and write the harness stand-ins."""
    CACHE.mkdir(exist_ok=True)
    archive = CACHE / SDIST
    if not archive.exists():
        subprocess.run(
            [
                *(sys.executable, "-m", "pip", "download", "-q", "--no-deps"),
                *("--no-binary", ":all:", "-d", str(CACHE), f"azure-cosmos=={VERSION}"),
            ],
            check=True,
        )
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    if digest != SDIST_SHA256:
        archive.unlink()
        raise SystemExit(f"{SDIST}: sha256 {digest} != pinned {SDIST_SHA256}")
    if not TESTS.exists():
        with tarfile.open(archive) as tar:
            members = [m for m in tar.getmembers() if "/tests/" in m.name]
            tar.extractall(CACHE, members=members, filter="data")
    for rel, text in SHIM_FILES.items():
        target = SHIM / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    markers = "".join(f"    {m}: azure-cosmos test marker\n" for m in MARKERS.split())
    (TESTS / "pytest.ini").write_text(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
        f"markers =\n{markers}"
    )
    RESULTS.mkdir(exist_ok=True)


def port_free(port: int) -> bool:
    """True if nothing listens on 127.0.0.1:``port``."""
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def parse_junit(path: Path, stem: str) -> dict[str, str]:
    """Map pytest node ids to outcomes from a JUnit XML report."""
    outcomes: dict[str, str] = {}
    # Our own pytest's report, not untrusted input.
    for case in ET.parse(path).getroot().iter("testcase"):  # noqa: S314
        classname = case.get("classname", "")
        parts = classname.split(".", 1)
        node = f"{stem}.py"
        if len(parts) == 2:
            node += f"::{parts[1].replace('.', '::')}"
        # Some parametrized ids embed a fresh uuid4 (container names): make them stable.
        node += f"::{_UUID.sub('<uuid>', case.get('name') or '')}"
        tags = {child.tag for child in case}
        if "skipped" in tags:
            outcome = "skipped"
        elif "error" in tags:
            outcome = "error" if "failure" not in tags else "failed"
        elif "failure" in tags:
            outcome = "failed"
        else:
            outcome = "passed"
        # A teardown error after a pass is reported as a second entry: the test did not pass.
        if outcomes.get(node) in ("failed", "error") and outcome == "passed":
            continue
        outcomes[node] = outcome
    return outcomes


def run_file(name: str, python: str, file_timeout: float, test_timeout: int) -> FileResult:
    """Run one test file against a fresh emulator."""
    result = FileResult(name)
    stem = name.removesuffix(".py")
    xml = RESULTS / f"{stem}.xml"
    log = RESULTS / f"{stem}.log"
    xml.unlink(missing_ok=True)
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(SHIM),
        ACCOUNT_HOST=f"https://localhost:{PORT}/",
        PYTHONDONTWRITEBYTECODE="1",
    )
    cmd = [python, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:cosmosdb_emulator", "-q"]
    cmd += ["--timeout", str(test_timeout), "-m", DESELECT, "-rfE", f"--junitxml={xml}"]
    cmd += [*EXTRA_ARGS.get(name, []), name]
    start = time.monotonic()
    emulator = Emulator(data=":memory:", port=PORT, tls=True, host="127.0.0.1")
    with emulator, log.open("w") as out:
        proc = subprocess.Popen(
            cmd, cwd=TESTS, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            proc.wait(timeout=file_timeout)
        except subprocess.TimeoutExpired:
            result.note = f"file timeout ({file_timeout:.0f} s)"
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    result.seconds = time.monotonic() - start
    if xml.exists():
        result.outcomes = parse_junit(xml, stem)
    elif not result.note:
        result.note = f"no report (see {log.relative_to(HERE.parent)})"
    return result


def print_table(results: list[FileResult]) -> tuple[int, int]:
    """Print one row per file and a total; returns (passed, ran)."""
    head = f"{'file':<55} {'tests':>5} {'pass':>5} {'fail':>5} {'err':>4} {'skip':>5} {'sec':>6}"
    print(head)
    print("-" * len(head))
    totals = [0, 0, 0, 0, 0, 0.0]
    for r in results:
        row = [len(r.outcomes), r.count("passed"), r.count("failed"), r.count("error")]
        row += [r.count("skipped"), r.seconds]
        totals = [a + b for a, b in zip(totals, row, strict=True)]
        note = f"  {r.note}" if r.note else ""
        print(
            f"{r.name:<55} {row[0]:>5} {row[1]:>5} {row[2]:>5} {row[3]:>4} {row[4]:>5}"
            f" {row[5]:>6.0f}{note}"
        )
    print("-" * len(head))
    t = totals
    print(
        f"{'total':<55} {t[0]:>5.0f} {t[1]:>5.0f} {t[2]:>5.0f} {t[3]:>4.0f} {t[4]:>5.0f} {t[5]:>6.0f}"
    )
    passed, ran = int(t[1]), int(t[0] - t[4])
    rate = 100.0 * passed / ran if ran else 0.0
    print(f"\npass rate: {passed} of {ran} tests that ran ({rate:.1f} %); {int(t[4])} skipped")
    return passed, ran


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns 1 if a test of the expected-pass list did not pass."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", help="test files (default: conformance/files.txt)")
    parser.add_argument("--update", action="store_true", help="rewrite expected_pass.txt")
    parser.add_argument("--file-timeout", type=float, default=900.0, help="seconds per file")
    parser.add_argument("--test-timeout", type=int, default=180, help="seconds per test")
    args = parser.parse_args(argv)
    files = args.files or read_list(HERE / "files.txt")
    prepare()
    if not port_free(PORT):
        print(f"port {PORT} is in use: the suite only treats localhost:{PORT} as the emulator")
        return 2
    results = []
    for name in files:
        result = run_file(name, sys.executable, args.file_timeout, args.test_timeout)
        print(
            f"{name}: {result.count('passed')}/{len(result.outcomes)} passed"
            f" in {result.seconds:.0f} s {result.note}",
            flush=True,
        )
        results.append(result)
    print()
    print_table(results)

    outcomes = {node: o for r in results for node, o in r.outcomes.items()}
    ran_files = {f"{name}::" for name in files}
    expected_path = HERE / "expected_pass.txt"
    expected = [n for n in read_list(expected_path) if any(n.startswith(f) for f in ran_files)]
    flaky = set(read_list(HERE / "flaky.txt"))
    passed = {n for n, o in outcomes.items() if o == "passed"}
    broken = [n for n in expected if n not in passed]
    new = sorted(passed - set(expected) - flaky)
    if new:
        print(f"\n{len(new)} passing test(s) not in expected_pass.txt (add them):")
        print("".join(f"  {n}\n" for n in new), end="")
    if broken:
        print(f"\n{len(broken)} test(s) of expected_pass.txt did not pass:")
        for n in broken:
            print(f"  {n}: {outcomes.get(n, 'not run')}")
    if args.update:
        keep = [n for n in read_list(expected_path) if not any(n.startswith(f) for f in ran_files)]
        lines = sorted(set(keep) | (passed - flaky))
        header = (
            "# Tests of azure-cosmos 4.17.1 that pass against cosmosdb-emulator (make conformance).\n"
            "# Written by `conformance/run.py --update`; timing-dependent tests are in flaky.txt.\n"
        )
        expected_path.write_text(header + "".join(f"{n}\n" for n in lines))
        print(f"\nwrote {len(lines)} test ids to {expected_path.relative_to(HERE.parent)}")
        return 0
    if broken:
        print(f"\nFAIL: {len(broken)} test(s) of expected_pass.txt did not pass (listed above)")
        return 1
    print(f"\nOK: all {len(expected)} expected tests passed")
    return 0


def _terminate(signum: int, frame: object) -> None:
    # Unwinds through the ``with Emulator`` blocks, so no server is left on the port.
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminate)
    shutil.rmtree(RESULTS, ignore_errors=True)
    sys.exit(main())
