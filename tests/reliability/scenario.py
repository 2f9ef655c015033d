"""Shared steps of the scenarios: a judged run, the final catch-up run and the final comparison."""

from __future__ import annotations

import typing as t

from tests.e2e.compare import compare
from tests.reliability.harness import (
    Kill,
    RunResult,
    assert_clean_failure,
    check_acknowledged,
    run_pipeline,
)
from tests.reliability.workload import PK_PATHS

if t.TYPE_CHECKING:
    from tests.reliability.conftest import Pipeline, ScenarioReport


def judged_run(
    pipeline: Pipeline,
    rep: ScenarioReport,
    state: t.Any,
    *,
    kill: Kill | None = None,
    on_line: t.Callable[[int], None] | None = None,
    name: str = "run",
    env: dict[str, str] | None = None,
    before_judge: t.Callable[[], None] | None = None,
) -> tuple[RunResult, t.Any]:
    """Run the pipeline once, check its acknowledged states, return it and the state to resume.

    Failures of a process that was not killed must be clean (one ``error:`` line, no traceback).
    ``before_judge`` runs after the processes ended and before the destination is read (e.g. to
    wait for an outage to end).
    """
    rep.runs += 1
    run = run_pipeline(
        pipeline.tap_config,
        pipeline.target_config,
        pipeline.workdir / f"{name}-{rep.runs}",
        state=state,
        kill=kill,
        on_line=on_line,
        env=env,
    )
    if before_judge is not None:
        before_judge()
    assert_clean_failure(run)
    ack = check_acknowledged(run, pipeline.destination, PK_PATHS)
    rep.states_checked += ack.states_checked
    rep.acknowledged_unwritten += len(ack.violations)
    assert not ack.violations, (
        f"{name}: acknowledged unwritten records: {ack.violations[:5]}\n"
        f"target stderr: {run.target_stderr[-2000:]}"
    )
    return run, (run.last_state if run.last_state is not None else state)


def finish_and_compare(
    pipeline: Pipeline, rep: ScenarioReport, state: t.Any, *, max_runs: int = 3
) -> None:
    """Run (without faults) until a run succeeds, then compare destination and source.

    Raises:
        AssertionError: If no run succeeds, or a document is lost, extra or different.
    """
    pipeline.emu.clear_faults()
    for attempt in range(max_runs):
        run, state = judged_run(pipeline, rep, state, name=f"final{attempt}")
        if run.tap_code == 0 and run.target_code == 0:
            break
    else:
        raise AssertionError(
            f"no clean final run: tap {run.tap_code} {run.last_error_line('tap')} / target "
            f"{run.target_code} {run.last_error_line()}"
        )
    result = compare(pipeline.source, pipeline.destination, PK_PATHS)
    rep.documents_compared = result.compared
    rep.lost = len(result.lost)
    rep.unexpected_extra = len(result.extra)
    rep.different = len(result.different)
    assert result.ok, str(result)
    assert result.compared == len(pipeline.workload.live)
