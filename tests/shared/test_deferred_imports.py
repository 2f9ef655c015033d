"""``cosmosdb_shared.compat.deferred_imports``: what singer-sdk imports and how it uses it.

The stand-ins are safe only while singer-sdk calls the deferred names and nothing else, and
re-exports the REST and GraphQL stream classes only where :data:`DEFERRED_CLASSES` says; these
tests read singer-sdk's installed source and fail when an upgrade changes either. The others
run real plugin processes: the deferred modules still load and behave on first use.
"""

from __future__ import annotations

import ast
import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import singer_sdk
from azure.cosmos import PartitionKey

from cosmosdb_shared.compat import DEFERRED_CALLABLES, DEFERRED_CLASSES, REEXPORTERS
from tests.conftest import executable
from tests.shared.importtime import imported_packages

PACKAGE = Path(singer_sdk.__file__).parent

#: Where singer-sdk 0.54.9 imports each deferred module (read from its source by hand).
CALLABLE_IMPORTERS = {
    "joblib": "target_base.py",
    "upath": "helpers/_batch.py",
    "packaging.specifiers": "about.py",
    "packaging.version": "about.py",
    "importlib_metadata": "helpers/_compat.py",
    "dotenv": "configuration/_dict_config.py",
    "dotenv.main": "configuration/_dict_config.py",
}

#: Names singer-sdk re-exports from the importing module, and the only modules that use them.
REEXPORTED = {"importlib_metadata": ("singer_sdk.helpers._compat", ["batch.py"])}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _absolute(node: ast.ImportFrom, path: Path) -> str:
    if not node.level:
        return node.module or ""
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    base = package[: len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


@functools.cache
def _sources() -> dict[str, tuple[Path, ast.Module]]:
    return {
        str(path.relative_to(PACKAGE)): (path, ast.parse(path.read_text()))
        for path in sorted(PACKAGE.rglob("*.py"))
    }


def _annotation_nodes(tree: ast.Module) -> set[int]:
    inside: set[int] = set()
    for node in ast.walk(tree):
        annotations: list[ast.expr | None] = []
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args
            every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
            annotations += [a.annotation for a in every if a is not None]
            annotations.append(node.returns)
        elif isinstance(node, ast.AnnAssign):
            annotations.append(node.annotation)
        for annotation in annotations:
            if annotation is not None:
                inside |= {id(n) for n in ast.walk(annotation)}
    return inside


def test_singer_sdk_imports_the_deferred_modules_only_where_recorded() -> None:
    deferred_tops = {name.split(".")[0] for name in DEFERRED_CALLABLES}
    found: dict[str, tuple[str, list[str]]] = {}
    for rel, (path, tree) in _sources().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                module = _absolute(node, path)
                if module.split(".")[0] in deferred_tops:
                    found[module] = (rel, [a.name for a in node.names])
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] in deferred_tops:
                        found[alias.name] = (rel, ["*"])
    expected = {m: (CALLABLE_IMPORTERS[m], list(names)) for m, names in DEFERRED_CALLABLES.items()}
    assert found == expected


def test_singer_sdk_uses_the_reexported_deferred_names_only_where_recorded() -> None:
    for module, (reexporter, users) in REEXPORTED.items():
        names = set(DEFERRED_CALLABLES[module])
        found = set()
        for rel, (path, tree) in _sources().items():
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and _absolute(node, path) == reexporter:
                    if names & {a.name for a in node.names}:
                        found.add(rel)
                elif isinstance(node, ast.Attribute) and node.attr in names:
                    found.add(f"{rel} (attribute)")
        assert found == set(users)


def test_singer_sdk_only_calls_the_deferred_names() -> None:
    """A stand-in name is a function: subclassing it, isinstance or attributes would break."""
    sources = _sources()
    for module, names in DEFERRED_CALLABLES.items():
        rel = REEXPORTED[module][1][0] if module in REEXPORTED else CALLABLE_IMPORTERS[module]
        tree = sources[rel][1]
        annotations = _annotation_nodes(tree)
        called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
        uses = [
            n
            for n in ast.walk(tree)
            if isinstance(n, ast.Name) and n.id in names and isinstance(n.ctx, ast.Load)
        ]
        assert uses, f"{rel} no longer uses {names}"
        misuse = [
            f"{rel}:{n.lineno} {n.id}"
            for n in uses
            if id(n) not in called and id(n) not in annotations
        ]
        assert misuse == []


def test_singer_sdk_reexports_the_rest_and_graphql_streams_only_where_recorded() -> None:
    """Module-level imports of the deferred stream classes (what runs while singer_sdk loads)."""
    classes = set(DEFERRED_CLASSES.values())
    found = set()
    for rel, (path, tree) in _sources().items():
        for node in tree.body:
            if not isinstance(node, ast.ImportFrom):
                continue
            module = _absolute(node, path)
            names = {a.name for a in node.names}
            if module in DEFERRED_CLASSES or (module in REEXPORTERS and names & classes):
                found.add((rel, module, tuple(sorted(names))))
    assert found == {
        ("__init__.py", "singer_sdk.streams", ("GraphQLStream", "RESTStream", "Stream")),
        ("streams/__init__.py", "singer_sdk.streams.graphql", ("GraphQLStream",)),
        ("streams/__init__.py", "singer_sdk.streams.rest", ("RESTStream",)),
        ("streams/graphql.py", "singer_sdk.streams.rest", ("RESTStream",)),
    }


def _python(code: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("plugin", ["tap_cosmosdb.tap", "target_cosmosdb.target"])
def test_deferred_modules_load_on_first_use(plugin: str) -> None:
    parents = {name.split(".")[0] for name in DEFERRED_CALLABLES}
    watched = {*DEFERRED_CALLABLES, *parents, *DEFERRED_CLASSES, "fsspec", "jsonpath_ng"}
    code = f"""
import json, sys, warnings
import {plugin}
watched = {sorted(watched)!r}  # a parent package here means someone ran `import parent.sub`
before = sorted(m for m in watched if m in sys.modules)
stand_ins = sorted(n for n, m in sys.modules.items() if type(m).__name__ == "_StandIn")
import singer_sdk, singer_sdk.streams
from singer_sdk import GraphQLStream, RESTStream
import singer_sdk.streams.rest as rest
from singer_sdk.helpers._batch import StorageTarget
from singer_sdk.about import get_supported_pythons
import upath
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    singer_sdk.streams.SQLStream  # singer-sdk's own module __getattr__ still answers
try:
    singer_sdk.NoSuchName
    missing = None
except AttributeError as exc:
    missing = str(exc)
print(json.dumps({{
    "before": before,
    "stand_ins": stand_ins,
    "rest_real": RESTStream is rest.RESTStream and RESTStream.__module__ == rest.__name__,
    "streams_same": singer_sdk.streams.RESTStream is RESTStream
        and singer_sdk.streams.GraphQLStream is GraphQLStream,
    "graphql_subclass": issubclass(GraphQLStream, RESTStream),
    "split": StorageTarget.split_url("file:///tmp/h2/b-1.json.gz"),
    "upath_class": isinstance(upath.UPath, type),
    "pythons": list(get_supported_pythons(">=3.10,<3.13")),
    "sql_warned": [type(w.message).__name__ for w in caught],
    "missing": missing,
}}))
"""
    out = _python(code)
    assert out["before"] == []  # nor the parents of the deferred submodules
    assert out["stand_ins"] == []
    assert out["rest_real"]
    assert out["streams_same"]
    assert out["graphql_subclass"]
    assert out["split"] == ["file:///tmp/h2", "b-1.json.gz"]
    assert out["upath_class"] is True
    assert out["pythons"] == ["3.10", "3.11", "3.12"]
    assert out["sql_warned"] == ["SingerSDKDeprecationWarning"]
    assert out["missing"] == "module 'singer_sdk' has no attribute 'NoSuchName'"


@pytest.mark.parametrize(
    ("script", "plugin", "cls"),
    [
        ("tap-cosmosdb", "tap_cosmosdb.tap", "TapCosmosDB"),
        ("target-cosmosdb", "target_cosmosdb.target", "TargetCosmosDB"),
    ],
)
def test_about_prints_what_it_printed_without_the_deferral(
    script: str, plugin: str, cls: str
) -> None:
    """``--about`` with the stand-ins equals ``--about`` with every deferred module preloaded."""
    fmt = "json"  # every field; the supported Python versions come from packaging
    deferred = subprocess.run(
        [executable(script), "--about", "--format", fmt],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    preload = " ".join(f"import {m};" for m in [*DEFERRED_CALLABLES, *DEFERRED_CLASSES])
    code = f"{preload} from {plugin} import {cls}; {cls}.cli()"
    plain = subprocess.run(
        [sys.executable, "-c", code, "--about", "--format", fmt],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert deferred.returncode == plain.returncode == 0, deferred.stderr[-2000:]
    assert deferred.stdout == plain.stdout
    assert json.loads(deferred.stdout)["supported_python_versions"]


def test_config_from_the_environment_loads_python_dotenv_on_first_use(
    cosmosdb_emulator, database_name, tmp_path
) -> None:
    """``--config ENV`` (python-dotenv's ``find_dotenv`` and ``DotEnv``) through the stand-ins."""
    client = cosmosdb_emulator.client()
    database = client.create_database(database_name)
    try:
        database.create_container("envitems", PartitionKey(path="/pk"))
        env = {
            **os.environ,
            "TAP_COSMOSDB_ACCOUNT_ENDPOINT": cosmosdb_emulator.endpoint,
            "TAP_COSMOSDB_ACCOUNT_KEY": cosmosdb_emulator.key,
            "TAP_COSMOSDB_DATABASE": database_name,
        }
        cmd = [sys.executable, "-X", "importtime", executable("tap-cosmosdb")]
        proc = subprocess.run(
            [*cmd, "--config", "ENV", "--discover"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env=env,
            cwd=tmp_path,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        streams = [s["tap_stream_id"] for s in json.loads(proc.stdout)["streams"]]
        assert streams == ["envitems"]
        assert "dotenv" in imported_packages(proc.stderr)
    finally:
        client.delete_database(database_name)


def test_only_the_recorded_singer_sdk_modules_hold_stand_in_names() -> None:
    """No other module imported while singer_sdk loaded took a stand-in (e.g. a class it needs)."""
    code = """
import json, sys
import tap_cosmosdb.tap, target_cosmosdb.target
from cosmosdb_shared import compat
held = sorted(
    [name, attr]
    for name, module in list(sys.modules.items())
    for attr, value in list(getattr(module, "__dict__", {}).items())
    if isinstance(value, compat._StandIn)
    or (getattr(value, "__module__", None) == "cosmosdb_shared.compat"
        and getattr(getattr(value, "__code__", None), "co_name", None) == "call")
)
print(json.dumps(held))
"""
    expected = [
        [_module_name(PACKAGE / CALLABLE_IMPORTERS[module]), name]
        for module, names in DEFERRED_CALLABLES.items()
        for name in names
    ] + [
        [_module_name(PACKAGE / user), name]
        for module, (_, users) in REEXPORTED.items()
        for user in users
        for name in DEFERRED_CALLABLES[module]
    ]
    assert _python(code) == sorted(expected)
