"""Scenario 6: physical range splits during a change-feed read and between runs, both modes.

In ``AllVersionsAndDeletes`` the source also deletes documents; with target ``hard_delete: true``
the deletes must end as deletes in the destination (the final comparison finds no extra
document).
"""

from __future__ import annotations

import random

import pytest

from tests.reliability.conftest import PROFILE_PARAMS
from tests.reliability.scenario import finish_and_compare, judged_run


@PROFILE_PARAMS
@pytest.mark.parametrize("mode", ["LatestVersion", "AllVersionsAndDeletes"])
def test_splits_during_and_between_runs(profile, mode, make_pipeline, report):
    rep = report(f"6 splits ({mode})", profile.name)
    avad = mode == "AllVersionsAndDeletes"
    pipeline = make_pipeline(
        606,
        profile.docs,
        deletes=avad,
        tap={"page_size": profile.page_size, "change_feed_mode": mode},
        target={"hard_delete": True},
    )
    emu = pipeline.emu
    rng = random.Random(606)
    leaves = ["0", "1", "2", "3"]
    splits = 0

    def split_one() -> None:
        nonlocal splits
        leaf = leaves.pop(rng.randrange(len(leaves)))
        leaves.extend(emu.split(pipeline.source_db, "items", leaf))
        splits += 1

    state = None
    for trial in range(max(1, profile.trials // 3)):
        # Split two ranges while the tap reads (after a random number of relayed lines) ...
        at = sorted(rng.sample(range(3, max(8, profile.docs // 3)), 2))

        def on_line(n: int, at: list[int] = at) -> None:
            if n in at:
                split_one()

        _run, state = judged_run(pipeline, rep, state, on_line=on_line, name=f"trial{trial}")
        rep.trials += 1
        # ... and one between runs, after more changes.
        pipeline.workload.change(profile.changes)
        split_one()
    rep.faults_injected = splits
    rep.notes.append(f"ranges now {len(leaves)}")
    finish_and_compare(pipeline, rep, state)
    if avad:
        deleted = pipeline.workload.next_id - len(pipeline.workload.live)
        rep.notes.append(f"deleted at source {deleted}")
        assert deleted > 0, "the AVAD workload must delete documents"
