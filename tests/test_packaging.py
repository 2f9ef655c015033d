"""Each plugin installs on its own: from its built wheel and from a git URL (issue 15 item 9).

``cosmosdb_shared`` is not on PyPI; tap-cosmosdb and target-cosmosdb carry its sources in their
own sdist and wheel (``hatch_build.py``). Here each wheel is built with ``uv build``, installed
ALONE (with its extras) into a fresh virtualenv, and run from there: ``--about`` and a small real
``tap | target`` sync against the emulator, the tap and the target each from its own virtualenv.
The git-URL form (``pip install "<plugin>[entra]@git+file://<clone>#subdirectory=<plugin>"``,
what a Meltano ``pip_url`` does) installs from a ``git clone`` of this repository, so it checks
the committed tree. Registries must be reachable or uv's cache warm.

The installing tests take about three minutes on 2 cores, so ``make test`` runs only the metadata
checks; ``make packaging`` (``COSMOS_PACKAGING=1``, run by ``.ci/run``) runs them all.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import tomllib

from tests.conftest import BIN, REPO, run, write_config
from tests.e2e.compare import compare

UV = str(BIN / "uv")
PLUGINS = ("tap-cosmosdb", "target-cosmosdb")
#: Exact pins of the libraries whose private code the plugins rely on (issue 15 item 4).
PINS = {"singer-sdk": "==0.54.9", "azure-cosmos": "==4.17.1"}
installs = pytest.mark.skipif(
    os.environ.get("COSMOS_PACKAGING") != "1", reason="installs wheels: `make packaging`"
)


def check(cmd: list[str], *, cwd: Path | None = None, timeout: float = 300) -> str:
    result = subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, cwd=cwd, check=False
    )
    assert result.returncode == 0, f"{cmd}\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def make_venv(path: Path, *requirements: str) -> Path:
    """A fresh virtualenv with only ``requirements`` (and their dependencies); its bin dir."""
    check([UV, "venv", "-q", "--python", sys.executable, str(path)])
    check([UV, "pip", "install", "-q", "--python", str(path / "bin" / "python"), *requirements])
    return path / "bin"


def module_file(bin_dir: Path, module: str) -> Path:
    code = f"import {module}; print({module}.__file__)"
    return Path(check([str(bin_dir / "python"), "-c", code], cwd=bin_dir).strip())


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("wheels")
    built = {}
    for plugin in PLUGINS:
        check([UV, "build", "-q", "--wheel", "--out-dir", str(out / plugin), str(REPO / plugin)])
        (wheel,) = (out / plugin).glob("*.whl")
        built[plugin] = wheel
    return built


def test_plugins_pin_the_libraries_exactly_and_need_no_local_package():
    for package in ("shared", *PLUGINS):
        project = tomllib.loads((REPO / package / "pyproject.toml").read_text())["project"]
        deps = project["dependencies"]
        for name, pin in PINS.items():
            matching = [d for d in deps if d.split("[")[0].split("=")[0].strip() == name]
            assert len(matching) == 1, (package, name, deps)
            assert matching[0].endswith(pin), (package, matching[0])
        if package != "shared":
            assert not any(d.startswith("cosmosdb-shared") for d in deps), (package, deps)


def test_build_hooks_are_one_file():
    hooks = [(REPO / plugin / "hatch_build.py").read_text() for plugin in PLUGINS]
    assert hooks[0] == hooks[1]


@installs
def test_wheels_carry_the_shared_package(wheels):
    shared = sorted(
        p.relative_to(REPO / "shared").as_posix()
        for p in (REPO / "shared" / "cosmosdb_shared").glob("*.py")
    )
    for plugin, wheel in wheels.items():
        names = zipfile.ZipFile(wheel).namelist()
        assert sorted(n for n in names if n.startswith("cosmosdb_shared/")) == shared, plugin
        metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
        requires = [
            line
            for line in zipfile.ZipFile(wheel).read(metadata).decode().splitlines()
            if line.startswith("Requires-Dist:")
        ]
        assert not any("cosmosdb-shared" in line for line in requires), requires
        assert any("azure-cosmos==4.17.1" in line for line in requires), requires


@installs
def test_each_wheel_alone_runs_a_sync(wheels, tmp_path, cosmosdb_emulator, database_name):
    emu = cosmosdb_emulator
    tap_bin = make_venv(
        tmp_path / "tap-venv", f"tap-cosmosdb[entra] @ {wheels['tap-cosmosdb'].as_uri()}"
    )
    target_bin = make_venv(
        tmp_path / "target-venv",
        f"target-cosmosdb[entra,parquet] @ {wheels['target-cosmosdb'].as_uri()}",
    )
    for bin_dir, plugin in ((tap_bin, "tap-cosmosdb"), (target_bin, "target-cosmosdb")):
        about = json.loads(check([str(bin_dir / plugin), "--about", "--format", "json"]))
        assert about["name"] == plugin
        # The shared package and the entra extra come from this virtualenv, not the checkout.
        venv = bin_dir.parent.resolve()
        for module in ("cosmosdb_shared", "azure.identity"):
            assert venv in module_file(bin_dir, module).resolve().parents, (plugin, module)
    assert venv in module_file(target_bin, "pyarrow").resolve().parents

    client = emu.client()
    database = client.create_database(database_name)
    from azure.cosmos import PartitionKey

    source = database.create_container("things", PartitionKey("/pk"))
    for n in range(25):
        source.create_item({"id": f"t{n}", "pk": f"p{n % 4}", "n": n, "tags": ["a", str(n)]})
    account = {"account_endpoint": emu.endpoint, "account_key": emu.key}
    tap_cfg = write_config(tmp_path / "tap.json", {**account, "database": database_name})
    target_cfg = write_config(
        tmp_path / "target.json", {**account, "database": f"{database_name}_copy"}
    )
    try:
        tap = run([str(tap_bin / "tap-cosmosdb"), "--config", str(tap_cfg)], timeout=120)
        assert tap.returncode == 0, tap.stderr[-3000:]
        target = run(
            [str(target_bin / "target-cosmosdb"), "--config", str(target_cfg)],
            stdin=tap.stdout,
            timeout=120,
        )
        assert target.returncode == 0, target.stderr[-3000:]
        destination = client.get_database_client(f"{database_name}_copy").get_container_client(
            "things"
        )
        result = compare(source, destination, ["/pk"])
        assert result.ok, str(result)
        assert result.compared == 25
    finally:
        for name in (database_name, f"{database_name}_copy"):
            with contextlib.suppress(Exception):
                client.delete_database(name)


@installs
def test_tap_and_target_wheels_share_one_venv(wheels, tmp_path):
    bin_dir = make_venv(tmp_path / "both", *(str(w) for w in wheels.values()))
    for plugin in PLUGINS:
        about = json.loads(check([str(bin_dir / plugin), "--about", "--format", "json"]))
        assert about["name"] == plugin


@installs
def test_git_url_install_with_pip(tmp_path):
    clone = tmp_path / "clone"
    check(["git", "clone", "-q", str(REPO), str(clone)])
    bin_dir = tmp_path / "venv" / "bin"
    check([UV, "venv", "-q", "--seed", "--python", sys.executable, str(tmp_path / "venv")])
    # The form of the README's pip_url (PEP 508, no spaces: Meltano splits pip_url like a shell).
    url = f"git+{clone.as_uri()}#subdirectory=target-cosmosdb"
    check([str(bin_dir / "pip"), "install", "-q", f"target-cosmosdb[entra]@{url}"], timeout=600)
    about = json.loads(check([str(bin_dir / "target-cosmosdb"), "--about", "--format", "json"]))
    assert about["name"] == "target-cosmosdb"
    assert tmp_path / "venv" in module_file(bin_dir, "cosmosdb_shared").parents
    # The tap the same way, through uv (what Meltano's `venv.backend: uv` runs).
    tap_bin = make_venv(
        tmp_path / "tap-venv",
        f"tap-cosmosdb[entra]@git+{clone.as_uri()}#subdirectory=tap-cosmosdb",
    )
    about = json.loads(check([str(tap_bin / "tap-cosmosdb"), "--about", "--format", "json"]))
    assert about["name"] == "tap-cosmosdb"
