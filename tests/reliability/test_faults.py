"""Scenarios 4, 5 and 7: throttling storms, transient faults and an emulator outage.

Every trial changes the source, runs the pipeline from the last acknowledged state while the
emulator misbehaves, and judges every state the target printed. A run may fail (cleanly: one
``error:`` line, no traceback); the next one resumes. A last run without faults must then leave
the destination equal to the source.
"""

from __future__ import annotations

import random
import threading
import time

from tests.reliability.conftest import PROFILE_PARAMS
from tests.reliability.scenario import finish_and_compare, judged_run


def _counters(pipeline, *names: str) -> int:
    """Faults/throttles the emulator counted for the source and destination containers."""
    containers = pipeline.emu.stats().get("containers", {})
    total = 0
    for db in (pipeline.source_db, pipeline.dest_db):
        entry = containers.get(f"{db}/items", {})
        total += sum(int(entry.get(n, 0)) for n in names)
    return total


@PROFILE_PARAMS
def test_throttling_storm_then_400_rus_loses_nothing(profile, make_pipeline, report):
    rep = report("4 throttling storm (50% 429), then destination at 400 RU/s", profile.name)
    pipeline = make_pipeline(404, profile.docs, tap={"page_size": profile.page_size})
    emu = pipeline.emu
    state = None
    failed = 0
    # Phase 1: half of all requests to either database answered 429 with a retry-after.
    for trial in range(max(1, profile.trials // 3)):
        for n, db in enumerate((pipeline.source_db, pipeline.dest_db)):
            emu.inject_fault(
                status=429,
                substatus=3200,
                retry_after_ms=20,
                probability=0.5,
                seed=trial * 10 + n,
                database=db,
            )
        # The test's own read of the destination (judging) is no part of the storm.
        run, state = judged_run(
            pipeline, rep, state, name=f"storm{trial}", before_judge=emu.clear_faults
        )
        failed += run.target_code != 0 or run.tap_code != 0
        rep.trials += 1
        pipeline.workload.change(profile.changes)
    storm = _counters(pipeline, "faults")
    # Phase 2: the destination provisioned at 400 RU/s, larger documents (about 15 RU a write):
    # real 429/3200 answers, retried by the SDK and paced by the target.
    # The limit applies while the pipeline runs; the test's own read of the destination (judging
    # each run: 0.5 RU per KB returned, about 3,000 RU a read here) is lifted out of it, so it
    # neither spends the target's budget nor waits out 429s of its own.
    pipeline.workload.doc_bytes = 3000

    def unthrottled() -> None:
        emu.set_throughput(pipeline.dest_db, "items", None)

    try:
        for trial in range(max(1, profile.trials // 3)):
            # 150 changes of ~3 KB (~3,500 RU of writes, about 9 s at 400 RU/s) in every trial:
            # several times the bucket, so the limit bites the target itself in both profiles
            # (450 a trial in the long profile spent ~30 s a trial waiting on the budget alone).
            pipeline.workload.change(max(profile.changes, 150))
            emu.set_throughput(pipeline.dest_db, "items", 400)
            run, state = judged_run(
                pipeline, rep, state, name=f"ru400-{trial}", before_judge=unthrottled
            )
            failed += run.target_code != 0 or run.tap_code != 0
            rep.trials += 1
        throttled = _counters(pipeline, "throttled")
        finish_and_compare(pipeline, rep, state)
    finally:
        emu.set_throughput(pipeline.dest_db, "items", None)
    rep.faults_injected = storm + throttled
    rep.notes.append(
        f"injected 429s {storm}, throttled at 400 RU/s {throttled}, failed runs {failed}"
    )
    assert storm > 0, "the 429 storm must bite"
    assert throttled > 0, "the 400 RU/s limit must bite"


#: Transient fault mixes, one per trial (cycled): status or connection drops, on the tap's reads
#: and the target's writes.
FAULT_MIXES = [
    [
        {"status": 503, "count": 4, "operation": "change_feed"},
        {"status": 503, "count": 4, "operation": "batch"},
    ],
    [
        {"status": 408, "count": 3, "operation": "change_feed"},
        {"status": 408, "count": 3, "operation": "batch"},
    ],
    [
        {"action": "drop_before", "count": 3, "operation": "batch"},
        {"action": "drop_before", "count": 2, "operation": "change_feed"},
    ],
    [
        {"action": "drop_after", "count": 3, "operation": "batch"},
        {"action": "drop_after", "count": 2, "operation": "change_feed"},
    ],
    [{"status": 503, "probability": 0.2, "operation": "any"}],
    [{"action": "drop_after", "probability": 0.15, "operation": "any"}],
]


@PROFILE_PARAMS
def test_transient_faults_lose_nothing(profile, make_pipeline, report):
    rep = report("5 transient faults (503 bursts, 408, drops before/after write)", profile.name)
    pipeline = make_pipeline(505, profile.docs, tap={"page_size": profile.page_size})
    emu = pipeline.emu
    rng = random.Random(505)
    state = None
    failed = 0
    trials = profile.trials
    for trial in range(trials):
        # two mixes per trial: the short profile's 3 trials cover every mix once
        mixes = (
            FAULT_MIXES[(2 * trial) % len(FAULT_MIXES)]
            + FAULT_MIXES[(2 * trial + 1) % len(FAULT_MIXES)]
        )
        for rule in mixes:
            for db in (pipeline.source_db, pipeline.dest_db):
                emu.inject_fault(**rule, database=db, seed=rng.randrange(1 << 30))
        # Faults are cleared before the destination is read for judging: the probability
        # rules would otherwise hit the test's own reads too.
        run, state = judged_run(
            pipeline, rep, state, name=f"trial{trial}", before_judge=emu.clear_faults
        )
        failed += run.target_code != 0 or run.tap_code != 0
        rep.trials += 1
        pipeline.workload.change(profile.changes)
    rep.faults_injected = _counters(pipeline, "faults")
    rep.notes.append(f"failed runs {failed}")
    finish_and_compare(pipeline, rep, state)
    assert rep.faults_injected >= trials


@PROFILE_PARAMS
def test_emulator_outage_mid_run(profile, make_pipeline, report):
    rep = report("7 emulator outage mid-run (stop 3 s, restart on same data)", profile.name)
    pipeline = make_pipeline(707, profile.docs, tap={"page_size": profile.page_size})
    emu = pipeline.emu
    rng = random.Random(707)
    state = None
    outcomes = []
    for trial in range(max(1, profile.trials // 3)):
        # The first run carries every document, later ones only the changes made between runs:
        # the outage must start within the records of this run.
        expected = profile.docs if trial == 0 else profile.changes
        at = rng.randint(3, max(3, expected // 2))
        outage: list[threading.Thread] = []

        def bounce() -> None:
            emu.stop()
            time.sleep(3)
            emu.start()

        def on_line(n: int, at: int = at, outage: list[threading.Thread] = outage) -> None:
            if n == at and not outage:
                thread = threading.Thread(target=bounce, daemon=True)
                thread.start()
                outage.append(thread)

        def outage_over(outage: list[threading.Thread] = outage) -> None:
            for thread in outage:
                thread.join(30)
            emu.start()  # no-op when the bounce already restarted it

        run, state = judged_run(
            pipeline, rep, state, on_line=on_line, name=f"trial{trial}", before_judge=outage_over
        )
        rep.trials += 1
        rep.faults_injected += bool(outage)
        outcomes.append(
            "rode it out" if run.tap_code == 0 and run.target_code == 0 else "failed cleanly"
        )
        pipeline.workload.change(profile.changes)
    rep.notes.append(", ".join(outcomes))
    finish_and_compare(pipeline, rep, state)
    assert rep.faults_injected == rep.trials
