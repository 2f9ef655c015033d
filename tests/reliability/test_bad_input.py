"""Scenario 8: the bad-input corpus (``bad_input/*.singer``) through the real target CLI.

Each file has a sidecar ``NAME.expected.json`` (see ``bad_input/make_corpus.py`` for the keys).
Besides the file's own expectations, every run gets the generic check: each state the target
prints is a STATE of the input, and every record before it is in the destination or in the
dead-letter file (never an acknowledged state past a record that was not written).
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import executable, write_config
from tests.e2e.compare import SYSTEM_PROPERTIES

CORPUS = Path(__file__).resolve().parent / "bad_input"
FILES = sorted(CORPUS.glob("*.singer"))


def _messages(data: bytes) -> list[tuple[int, dict]]:
    """(line number, message) for every input line that parses (others are the bad ones)."""
    out = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            message = json.loads(raw.decode("utf-8"))
        except (ValueError, RecursionError):
            continue
        if isinstance(message, dict):
            out.append((number, message))
    return out


def _destination_docs(emu, database: str) -> dict[str, dict]:
    client = emu.client()
    names = [d["id"] for d in client.list_databases()]
    if database not in names:
        return {}
    db = client.get_database_client(database)
    docs: dict[str, dict] = {}
    for container in db.list_containers():
        for doc in db.get_container_client(container["id"]).read_all_items():
            assert doc["id"] not in docs, f"duplicate id {doc['id']!r}"
            docs[doc["id"]] = {k: v for k, v in doc.items() if k not in SYSTEM_PROPERTIES}
    return docs


@dataclass
class Outcome:
    returncode: int
    stdout: str
    stderr: str
    docs: dict[str, dict]
    dead: list[dict]


def _run_file(emu, path: Path, workdir: Path) -> Outcome:
    expected = json.loads(path.with_name(f"{path.stem}.expected.json").read_text())
    database = f"bad_{uuid.uuid4().hex[:10]}"
    config = {"account_endpoint": emu.endpoint, "account_key": emu.key, "database": database}
    workdir.mkdir(parents=True, exist_ok=True)
    dead_path = workdir / "dead.jsonl"
    for key, value in expected.get("config", {}).items():
        config[key] = str(dead_path) if key == "dead_letter_path" and value is True else value
    cfg = write_config(workdir / "target.json", config)
    proc = subprocess.run(
        [executable("target-cosmosdb"), "--config", str(cfg)],
        input=path.read_bytes(),
        capture_output=True,
        timeout=240,
        check=False,
    )
    try:
        docs = _destination_docs(emu, database)
    finally:
        with contextlib.suppress(Exception):
            emu.client().delete_database(database)
    dead = [json.loads(x) for x in dead_path.read_text().splitlines()] if dead_path.exists() else []
    return Outcome(
        proc.returncode,
        proc.stdout.decode("utf-8", "replace"),
        proc.stderr.decode("utf-8", "replace"),
        docs,
        dead,
    )


@pytest.fixture(scope="module")
def outcomes(persistent_emulator, tmp_path_factory) -> dict[str, Outcome]:
    """Run the target on every corpus file, three at a time (process start-up dominates)."""
    persistent_emulator.start()
    persistent_emulator.clear_faults()
    root = tmp_path_factory.mktemp("bad_input")
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {
            p.stem: pool.submit(_run_file, persistent_emulator, p, root / p.stem) for p in FILES
        }
        return {name: future.result() for name, future in futures.items()}


def _params():
    for path in FILES:
        expected = json.loads(path.with_name(f"{path.stem}.expected.json").read_text())
        marks = []
        if "known_bug" in expected:
            marks.append(pytest.mark.xfail(reason=expected["known_bug"], strict=True))
        yield pytest.param(path, expected, id=path.stem, marks=marks)


@pytest.mark.parametrize(("path", "expected"), list(_params()))
def test_bad_input_file(path, expected, outcomes, report):
    rep = report(f"8 bad input: {path.stem}", "short")
    out = outcomes[path.stem]
    data = path.read_bytes()
    rep.trials = rep.runs = rep.faults_injected = 1
    states = [json.loads(x) for x in out.stdout.splitlines() if x.strip()]
    docs, dead = out.docs, out.dead
    rep.documents_compared = len(docs)
    detail = f"exit {out.returncode}; stderr tail:\n{out.stderr[-2500:]}"

    # -- generic: every printed state covers only written (or dead-lettered) records ----------
    messages = _messages(data)
    dead_lines = {d.get("line") for d in dead}
    rep.states_checked = len(states)
    for printed in states:
        lines = [n for n, m in messages if m.get("type") == "STATE" and m.get("value") == printed]
        assert lines, f"the target printed a state that is not in the input: {printed}"
        for number, message in messages:
            if number >= lines[-1] or message.get("type") != "RECORD" or number in dead_lines:
                continue
            if str((message.get("record") or {}).get("id")) not in docs:
                rep.acknowledged_unwritten += 1
        assert rep.acknowledged_unwritten == 0, (
            f"state {printed} acknowledged records neither written nor dead-lettered; {detail}"
        )

    # -- the file's own expectations ----------------------------------------------------------
    assert out.returncode == expected["exit_code"], detail
    assert "Traceback" not in out.stderr, detail
    if "error" in expected:
        last = [ln for ln in out.stderr.splitlines() if ln.strip()][-1:]
        assert last, detail
        assert last[0].startswith("target-cosmosdb: error:"), detail
        assert expected["error"] in last[0], detail
    if "states" in expected:
        assert states == expected["states"], detail
    if "written" in expected:
        assert sorted(docs) == sorted(expected["written"]), detail
    for doc_id in expected.get("never_written", []):
        assert doc_id not in docs, f"{doc_id!r} was written; {detail}"
    for doc_id, document in expected.get("documents", {}).items():
        assert docs.get(doc_id) == document, f"document {doc_id!r} differs; {detail}"
    if "dead_letters" in expected:
        got = [(d["line"], d["id"]) for d in dead]
        want = [(d["line"], d["id"]) for d in expected["dead_letters"]]
        assert got == want, f"dead letters {got} != {want}; {detail}"
        for entry, spec in zip(dead, expected["dead_letters"], strict=True):
            assert spec["reason"] in entry["reason"], entry
    else:
        assert not dead, f"unexpected dead letters {dead}"
