"""The private singer-sdk and azure-cosmos code tap-cosmosdb relies on is what it was written for."""

from __future__ import annotations

import ast
import datetime
import json
from pathlib import Path

from singer_sdk.helpers import _state

import tap_cosmosdb
from cosmosdb_shared.compat import changed_fingerprints
from tap_cosmosdb.compat import PRIVATE_USES, FastStateWriter

PACKAGE = Path(tap_cosmosdb.__file__).parent


def test_private_uses_unchanged() -> None:
    assert PRIVATE_USES
    assert changed_fingerprints(PRIVATE_USES) == {}


def test_a_changed_fingerprint_fails() -> None:
    changed = {name: "0" * 16 for name in PRIVATE_USES}
    assert set(changed_fingerprints(changed)) == set(PRIVATE_USES)


def _private_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            module = node.module
            if module.split(".")[0] in {"singer_sdk", "azure"}:
                names = [module, *(f"{module}.{a.name}" for a in node.names)]
                found += [n for n in names if any(p.startswith("_") for p in n.split("."))]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in {"singer_sdk", "azure"} and any(
                    p.startswith("_") for p in alias.name.split(".")
                ):
                    found.append(alias.name)
    return found


def test_private_imports_only_in_compat() -> None:
    offenders = {
        path.name: names
        for path in PACKAGE.glob("*.py")
        if path.name != "compat.py" and (names := _private_imports(path))
    }
    assert offenders == {}
    # The check itself finds the compat module's own private imports.
    assert _private_imports(PACKAGE / "compat.py")


class _Collect:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def write_message(self, message) -> None:
        self.lines.append(json.dumps(message.to_dict(), default=str))


def test_fast_state_writer_writes_what_singer_sdks_writes() -> None:
    state: dict = {"bookmarks": {"s": {"partitions": [{"last_lsn": 1}]}}}
    steps = [
        lambda: None,  # unchanged: no STATE
        lambda: state["bookmarks"]["s"]["partitions"][0].update(last_lsn=2),  # nested change
        lambda: None,
        lambda: state.update(t=(1, 2)),  # a tuple: not a JSON round trip, copied by deepcopy
        lambda: None,
        lambda: state.update(when=datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)),
        lambda: None,
        lambda: state.update(n=2**70, f=-0.0, u="\u00e9"),
        lambda: None,
        lambda: state.pop("t"),
    ]
    ours, theirs = _Collect(), _Collect()
    fast, stock = FastStateWriter(ours), _state.StateWriter(theirs)
    for step in steps:
        step()
        fast.write_state(state)
        stock.write_state(state)
    assert ours.lines == theirs.lines
    assert len(ours.lines) == 6  # each change, once
