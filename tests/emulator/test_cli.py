"""The ``cosmosdb-emulator`` command: banner line, bad arguments."""

from __future__ import annotations

import subprocess
import sys

from cosmosdb_emulator import Emulator


def test_banner_and_port_zero():
    emu = Emulator(port=0)
    with emu:
        assert emu.endpoint.startswith("http://127.0.0.1:")
        assert emu.port != 0
        assert emu.running
    assert not emu.running


def test_bad_arguments_exit_nonzero():
    for args in (["--partitions", "0"], ["--key", "not base64!"], ["--port", "-5"]):
        proc = subprocess.run(
            [sys.executable, "-m", "cosmosdb_emulator", *args],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert proc.returncode == 2, args
        assert "error" in proc.stderr


def test_unopenable_data_file_is_one_line_error(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "cosmosdb_emulator",
            "--port",
            "0",
            "--data",
            str(tmp_path / "no" / "x.db"),
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip().startswith("cosmosdb-emulator: cannot open --data")
    assert len(proc.stderr.strip().splitlines()) == 1


def test_port_in_use_is_one_line_error():
    with Emulator() as emu:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "cosmosdb_emulator",
                "--port",
                str(emu.port),
                "--data",
                ":memory:",
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert proc.returncode == 1
    assert "cannot listen" in proc.stderr


def test_admin_call_on_stopped_emulator_raises_emulator_error():
    import pytest

    from cosmosdb_emulator import EmulatorError

    emu = Emulator().start()
    emu.stop()
    with pytest.raises(EmulatorError, match="not reachable"):
        emu.stats()
