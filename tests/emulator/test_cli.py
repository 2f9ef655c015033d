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
