"""Scenarios 1 and 2: SIGKILL the tap or the target at seeded random points, then resume.

Each trial runs ``tap | relay | target`` from the last STATE the target printed, kills one side
after a random number of relayed lines, checks that every state the target printed is covered by
the destination, and then changes the source (creates and updates) before the next trial.
"""

from __future__ import annotations

import random
import signal

from tests.reliability.conftest import PROFILE_PARAMS
from tests.reliability.harness import Kill
from tests.reliability.scenario import finish_and_compare, judged_run


def _expected_lines(pending: int, page_size: int) -> int:
    # records + one STATE per page (4 ranges) + schema lines
    return pending + pending // page_size + 8


@PROFILE_PARAMS
def test_tap_sigkill_resume_loses_nothing(profile, make_pipeline, report):
    rep = report("1 crash the tap (SIGKILL)", profile.name)
    rng = random.Random(101)
    pipeline = make_pipeline(101, profile.docs, tap={"page_size": profile.page_size})
    state = None
    pending = profile.docs
    for trial in range(profile.trials):
        kill = Kill("tap", rng.randint(1, _expected_lines(pending, profile.page_size)))
        run, state = judged_run(pipeline, rep, state, kill=kill, name=f"trial{trial}")
        rep.trials += 1
        rep.faults_injected += run.killed == "tap"
        assert run.target_code == 0, run.target_stderr[-3000:]
        pending = max(1, pending - len(run.records)) + profile.changes
        pipeline.workload.change(profile.changes)
    rep.notes.append(f"kills landed {rep.faults_injected}/{rep.trials}")
    assert rep.faults_injected >= rep.trials // 2, "most kills must land mid-run"
    finish_and_compare(pipeline, rep, state)


@PROFILE_PARAMS
def test_target_sigkill_mid_drain_resume_loses_nothing(profile, make_pipeline, report):
    rep = report("2 crash the target mid-drain (SIGKILL/SIGTERM)", profile.name)
    rng = random.Random(202)
    pipeline = make_pipeline(
        202,
        profile.docs,
        tap={"page_size": profile.page_size},
        target={"batch_size_rows": 25, "max_concurrency": 4},
    )
    state = None
    pending = profile.docs
    acknowledged = 0
    for trial in range(profile.trials):
        # Alternate SIGKILL (a crash) and SIGTERM (mid-drain: no STATE; between drains: drain,
        # then STATE, which check_acknowledged then judges).
        sig = signal.SIGKILL if trial % 2 == 0 else signal.SIGTERM
        pipeline.emu.clear_faults()
        if sig == signal.SIGKILL:
            # Slow batch writes down so that the kill usually lands while records are written.
            pipeline.emu.inject_fault(
                action="delay", delay_ms=40, operation="batch", database=pipeline.dest_db
            )
        after = rng.randint(10, _expected_lines(pending, profile.page_size))
        run, state = judged_run(
            pipeline, rep, state, kill=Kill("target", after, sig), name=f"trial{trial}"
        )
        rep.trials += 1
        rep.faults_injected += run.killed == "target"
        acknowledged += bool(run.target_states)
        pending = max(1, pending - len(run.records)) + profile.changes
        pipeline.workload.change(profile.changes)
    rep.notes.append(f"killed runs that acknowledged a state {acknowledged}")
    rep.notes.append(f"kills landed {rep.faults_injected}/{rep.trials}")
    assert rep.faults_injected >= rep.trials // 2, "most kills must land mid-run"
    finish_and_compare(pipeline, rep, state)
