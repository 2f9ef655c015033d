"""Run a command and measure it: wall time, CPU time, peak RSS, and the emulator's CPU meanwhile.

Peak RSS comes from ``/usr/bin/time -f %M`` ("Maximum resident set size", KiB). Not from
``os.wait4`` on our own child: Linux carries the forking parent's high-water mark into the child's
``ru_maxrss`` across ``exec`` (``setmax_mm_hiwater_rss`` in ``fs/exec.c``), so a child of this
~200 MiB runner would report at least 200 MiB. ``/usr/bin/time`` is tiny, so its child starts
clean. CPU times come from ``os.wait4``; the emulator's CPU is read from ``/proc/<pid>/stat``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
TIME = shutil.which("time", path="/usr/bin:/bin")


@dataclass
class Measured:
    """One measured process run (seconds, KiB)."""

    name: str
    wall_s: float
    user_s: float
    sys_s: float
    peak_rss_kib: int
    returncode: int
    emulator_cpu_s: float | None
    stderr_path: str

    def to_dict(self) -> dict[str, Any]:
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(self).items()}

    def stderr_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(
                Path(self.stderr_path).read_text(errors="replace").splitlines()[-lines:]
            )
        except OSError:
            return ""


def process_cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU seconds a live process has used so far (None if unknown)."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # After the ")" of comm: field 3 (state) is index 0, so utime (14) / stime (15) are 11 / 12.
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)  # the command and, under /usr/bin/time, its child


def run_measured(
    name: str,
    cmd: list[str],
    *,
    log_dir: Path,
    stdin: IO[Any] | int | None = subprocess.DEVNULL,
    stdout: IO[Any] | int | None = subprocess.DEVNULL,
    env: dict[str, str] | None = None,
    emulator_pid: int | None = None,
    timeout: float = 1800.0,
) -> Measured:
    """Run ``cmd`` to completion and measure it.

    Args:
        name: Label (also the stderr log file name).
        cmd: The command.
        log_dir: Directory for ``<name>.stderr``.
        stdin: Standard input (file object or ``subprocess`` constant).
        stdout: Standard output (file object or ``subprocess`` constant).
        env: Environment (default: inherited).
        emulator_pid: Emulator server process whose CPU use to report for the same window.
        timeout: Kill the process after this many seconds.

    Returns:
        The measurements; ``returncode`` is negative when killed by a signal.
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    stderr_path = log_dir / f"{name}.stderr"
    rss_path = log_dir / f"{name}.maxrss"
    rss_path.unlink(missing_ok=True)
    emu_before = process_cpu_seconds(emulator_pid)
    with stderr_path.open("w") as err:
        start = time.perf_counter()
        prefix = [TIME, "-f", "%M", "-o", str(rss_path)] if TIME else []
        proc = subprocess.Popen(
            prefix + cmd, stdin=stdin, stdout=stdout, stderr=err, env=env, start_new_session=True
        )
        timer = threading.Timer(timeout, _kill_group, (proc.pid,))
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    emu_after = process_cpu_seconds(emulator_pid)
    peak = usage.ru_maxrss
    if TIME:
        try:
            peak = int(rss_path.read_text().split()[-1])
        except (OSError, ValueError, IndexError):
            peak = -1  # killed before /usr/bin/time wrote it
    return Measured(
        name=name,
        wall_s=wall,
        user_s=usage.ru_utime,
        sys_s=usage.ru_stime,
        peak_rss_kib=peak,
        returncode=proc.returncode,
        emulator_cpu_s=None if emu_before is None or emu_after is None else emu_after - emu_before,
        stderr_path=str(stderr_path),
    )
