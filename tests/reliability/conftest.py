"""Reliability suite fixtures: a persistent (SQLite file) emulator, profiles, scenario reports.

Each scenario runs in a ``short`` profile (part of ``make test``) and a ``long`` one (marked
``slow``, run by ``make reliability``). Each scenario adds one line to the report printed at the
end of the pytest session: what it tried and what it found.
"""

from __future__ import annotations

import contextlib
import json
import typing as t
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pytest

from cosmosdb_emulator import Emulator
from tests.conftest import write_config
from tests.reliability.workload import PK_PATHS, Workload

if t.TYPE_CHECKING:
    from collections.abc import Iterator


@dataclass(frozen=True)
class Profile:
    """Sizes of one run of the suite."""

    name: str
    docs: int  # documents seeded before the first run
    trials: int  # crash / fault trials per scenario
    changes: int  # source changes between trials
    page_size: int  # tap page size (items per change-feed page)


PROFILES = {
    "short": Profile("short", docs=80, trials=3, changes=20, page_size=20),
    "long": Profile("long", docs=1500, trials=20, changes=150, page_size=50),
}

#: Use as ``@PROFILE_PARAMS`` on a scenario taking a ``profile`` argument.
PROFILE_PARAMS = pytest.mark.parametrize(
    "profile",
    [
        pytest.param(PROFILES["short"], id="short"),
        pytest.param(PROFILES["long"], id="long", marks=pytest.mark.slow),
    ],
)


@dataclass
class ScenarioReport:
    """One scenario's figures (printed at the end of the session)."""

    scenario: str
    profile: str
    trials: int = 0
    faults_injected: int = 0
    documents_compared: int = 0
    lost: int = 0
    unexpected_extra: int = 0
    different: int = 0
    states_checked: int = 0
    acknowledged_unwritten: int = 0
    runs: int = 0
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        text = (
            f"{self.scenario} [{self.profile}]: trials={self.trials} "
            f"faults_injected={self.faults_injected} runs={self.runs} "
            f"documents_compared={self.documents_compared} lost={self.lost} "
            f"unexpected_extra={self.unexpected_extra} different={self.different} "
            f"states_checked={self.states_checked} "
            f"acknowledged_unwritten={self.acknowledged_unwritten}"
        )
        return text + (f" ({'; '.join(self.notes)})" if self.notes else "")


_REPORTS: list[ScenarioReport] = []


@pytest.fixture
def report(request: pytest.FixtureRequest) -> Iterator[t.Callable[[str, str], ScenarioReport]]:
    """Create a scenario report; it is printed (even when the test fails) at session end."""
    made: list[ScenarioReport] = []

    def make(scenario: str, profile: str) -> ScenarioReport:
        rep = ScenarioReport(scenario, profile)
        made.append(rep)
        return rep

    yield make
    for rep in made:
        _REPORTS.append(rep)
        print(rep.line())


def pytest_terminal_summary(terminalreporter: t.Any) -> None:
    if not _REPORTS:
        return
    terminalreporter.section("reliability scenarios")
    for rep in _REPORTS:
        terminalreporter.write_line(rep.line())
    out = Path(terminalreporter.config.rootpath) / ".reliability-report.json"
    with contextlib.suppress(OSError):
        out.write_text(json.dumps([asdict(r) for r in _REPORTS], indent=1))


@pytest.fixture(scope="session")
def persistent_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """An emulator on a SQLite file, so it can be stopped and restarted on the same data."""
    data = tmp_path_factory.mktemp("reliability-emulator") / "cosmos.sqlite"
    emu = Emulator(partitions=4, data=str(data), port=0)
    emu.start()
    yield emu
    emu.stop()


@pytest.fixture
def emu(persistent_emulator: Emulator) -> Iterator[Emulator]:
    """The persistent emulator, running and without fault rules, before and after the test."""
    persistent_emulator.start()
    persistent_emulator.clear_faults()
    yield persistent_emulator
    persistent_emulator.start()
    persistent_emulator.clear_faults()


@dataclass
class Pipeline:
    """A source container with a seeded workload, and tap/target settings files."""

    emu: Emulator
    workload: Workload
    source_db: str
    dest_db: str
    tap_config: Path
    target_config: Path
    workdir: Path

    @property
    def source(self) -> t.Any:
        return self.workload.container

    @property
    def destination(self) -> t.Any:
        client = self.emu.client()
        return client.get_database_client(self.dest_db).get_container_client("items")


@pytest.fixture
def make_pipeline(emu: Emulator, tmp_path: Path) -> Iterator[t.Callable[..., Pipeline]]:
    """Build a :class:`Pipeline`: ``make_pipeline(seed, docs, tap={...}, target={...})``."""
    created: list[str] = []

    def make(
        seed: int,
        docs: int,
        *,
        deletes: bool = False,
        tap: dict[str, t.Any] | None = None,
        target: dict[str, t.Any] | None = None,
    ) -> Pipeline:
        name = f"rel_{uuid.uuid4().hex[:10]}"
        client = emu.client()
        database = client.create_database(name)
        container = database.create_container(
            "items", partition_key={"paths": PK_PATHS, "kind": "Hash"}
        )
        created.extend([name, f"{name}_dst"])
        workload = Workload(container, seed, deletes=deletes)
        workload.create(docs)
        common = {"account_endpoint": emu.endpoint, "account_key": emu.key}
        tap_cfg = write_config(tmp_path / "tap.json", {**common, "database": name, **(tap or {})})
        target_cfg = write_config(
            tmp_path / "target.json",
            {**common, "database": f"{name}_dst", "partition_key_path": "/pk", **(target or {})},
        )
        return Pipeline(emu, workload, name, f"{name}_dst", tap_cfg, target_cfg, tmp_path)

    yield make
    client = emu.client()
    for name in created:
        with contextlib.suppress(Exception):
            client.delete_database(name)
