"""Dagster: the shard pipelines of one container, one op per shard, run side by side.

Each op runs ``tap-cosmosdb --config <tap config>... --config <shard settings> [--state <state>]
| target-cosmosdb --config <target config>...`` and keeps the last STATE the target printed as
that shard's state for the next run (the target prints a STATE only after every record before
it was written). Dagster's own multiprocess executor
(https://docs.dagster.io/api/dagster/execution, ``multiprocess_executor``) runs the ops in
parallel, one process per op.

Load it with ``dagster dev -f examples/dagster/cosmosdb_shards.py`` and launch ``cosmosdb_shards``
with run config such as::

    resources:
      pipeline:
        config:
          tap_config: [/secrets/tap.json]
          target_config: [/secrets/target.json]
          state_dir: /var/lib/cosmosdb-shards

With Meltano instead (state kept by Meltano, one inherited plugin per shard as in this
repository's ``meltano.yml``), an op would run ``meltano run tap-cosmosdb--shard-<i>
target-cosmosdb``; see docs/scaling-out.md. ``tests/orchestration/test_dagster_shards.py`` runs
this file's job against the emulator.
"""

import json
import os
import subprocess
import tempfile
from pathlib import Path

from dagster import (
    ConfigurableResource,
    Definitions,
    Failure,
    JobDefinition,
    OpDefinition,
    OpExecutionContext,
    job,
    multiprocess_executor,
    op,
)

#: Shards of the job this file defines (each shard reads 1/SHARD_COUNT of every container's
#: effective-partition-key space: the tap's ``shard_count``/``shard_index`` settings).
SHARD_COUNT = 4


class ShardPipeline(ConfigurableResource):
    """How one shard pipeline runs: the executables, their config files and the state folder.

    Attributes:
        tap_config: The tap's config files (``--config`` each, merged in order by singer-sdk);
            the op adds one with ``shard_count`` and ``shard_index``.
        target_config: The target's config files. A path may contain ``{shard_index}`` for a
            per-shard file; usually every shard writes into the same destination.
        state_dir: Folder of each shard's state (``state-shard-<i>-of-<n>.json``), its shard
            settings file and its stderr logs.
        tap_executable: The tap command (a path, or a name found on PATH).
        target_executable: The target command.
        timeout_seconds: Longest run of one shard pipeline, in seconds.
    """

    tap_config: list[str]
    target_config: list[str]
    state_dir: str
    tap_executable: str = "tap-cosmosdb"
    target_executable: str = "target-cosmosdb"
    timeout_seconds: float = 6 * 3600

    def run_shard(self, index: int, count: int, context: OpExecutionContext) -> dict:
        """Run ``tap | target`` for shard ``index`` of ``count`` and keep its new state.

        Args:
            index: The shard, ``0 … count - 1``.
            count: Number of shards.
            context: The op's context, for logging.

        Returns:
            The last STATE value the target printed (the previous state when it printed none).

        Raises:
            Failure: The tap or the target exited with a non-zero status; the state is kept.
        """
        folder = Path(self.state_dir)
        folder.mkdir(parents=True, exist_ok=True)
        name = f"shard-{index}-of-{count}"
        shard_settings = folder / f"{name}.json"
        shard_settings.write_text(json.dumps({"shard_count": count, "shard_index": index}))
        state_file = folder / f"state-{name}.json"
        tap_cmd = [self.tap_executable]
        for path in [*self.tap_config, str(shard_settings)]:
            tap_cmd += ["--config", path]
        if state_file.exists():
            tap_cmd += ["--state", str(state_file)]
        target_cmd = [self.target_executable]
        for path in self.target_config:
            target_cmd += ["--config", path.format(shard_index=index)]
        context.log.info(f"{name}: starting tap and target")
        tap_log, target_log = folder / f"{name}.tap.log", folder / f"{name}.target.log"
        with tap_log.open("wb") as tap_err, target_log.open("wb") as target_err:
            tap = subprocess.Popen(tap_cmd, stdout=subprocess.PIPE, stderr=tap_err)
            target = subprocess.Popen(
                target_cmd, stdin=tap.stdout, stdout=subprocess.PIPE, stderr=target_err
            )
            assert tap.stdout is not None
            tap.stdout.close()  # the target owns the pipe; the tap sees EPIPE if it dies
            out, _ = target.communicate(timeout=self.timeout_seconds)
            tap.wait(timeout=self.timeout_seconds)
        if target.returncode or tap.returncode:
            raise Failure(
                description=(
                    f"{name}: target exited {target.returncode}, tap exited {tap.returncode}; "
                    f"state kept; logs: {target_log}, {tap_log}"
                )
            )
        states = [json.loads(line) for line in out.splitlines() if line.strip()]
        if not states:
            context.log.info(f"{name}: nothing acknowledged, state kept")
            return json.loads(state_file.read_text()) if state_file.exists() else {}
        last = states[-1]
        state = last["value"] if last.get("type") == "STATE" else last
        # Replace the state file atomically: a crash leaves the old state or the new one.
        with tempfile.NamedTemporaryFile("w", dir=folder, delete=False, suffix=".tmp") as tmp:
            json.dump(state, tmp)
        os.replace(tmp.name, state_file)
        context.log.info(f"{name}: state saved to {state_file}")
        return state


def shard_op(index: int, count: int) -> OpDefinition:
    """The op running shard ``index`` of ``count``.

    Args:
        index: The shard, ``0 … count - 1``.
        count: Number of shards.

    Returns:
        An op named ``shard_<index>``.
    """

    @op(name=f"shard_{index}")
    def run(context: OpExecutionContext, pipeline: ShardPipeline) -> dict:
        return pipeline.run_shard(index, count, context)

    return run


def build_shards_job(shard_count: int = SHARD_COUNT, max_concurrent: int = 0) -> JobDefinition:
    """A job of ``shard_count`` independent shard ops on Dagster's multiprocess executor.

    Args:
        shard_count: Number of shards (the tap's ``shard_count``), ≥ 1.
        max_concurrent: Most shard pipelines at once; 0 runs them all at once.

    Returns:
        The job ``cosmosdb_shards``; its ``pipeline`` resource is configured at launch.
    """
    ops = [shard_op(index, shard_count) for index in range(shard_count)]
    # forkserver: the step processes fork from one process that imported Dagster and this module
    # once, instead of each importing them again (``spawn``, the default).
    executor = multiprocess_executor.configured(
        {"max_concurrent": max_concurrent or shard_count, "start_method": {"forkserver": {}}},
        name="shards_executor",
    )

    @job(
        name="cosmosdb_shards",
        executor_def=executor,
        resource_defs={"pipeline": ShardPipeline.configure_at_launch()},
    )
    def cosmosdb_shards() -> None:
        for shard in ops:
            shard()

    return cosmosdb_shards


defs = Definitions(jobs=[build_shards_job()])
