"""Airflow: one task per shard of tap-cosmosdb, running in parallel, every hour.

Each task runs one Meltano shard pipeline of this repository's ``meltano.yml``
(``tap-cosmosdb--shard-<i>``, an inherited plugin with ``shard_count: 4`` and
``shard_index: <i>``, so each shard has its own Meltano state id). The tasks have no
dependencies between them, so the scheduler runs them side by side (up to the pool's and
``max_active_tasks``' limits). Put this file in Airflow's ``dags/`` folder and set
``MELTANO_PROJECT_ROOT`` to the Meltano project (the default below is an example path).

Never run two tasks of the same shard at once (``max_active_runs=1``): they would read the same
slice and overwrite each other's state. See docs/scaling-out.md.
"""

import os

from airflow import DAG
from airflow.operators.bash import BashOperator

SHARD_COUNT = 4
PROJECT = os.environ.get("MELTANO_PROJECT_ROOT", "/project")

with DAG("cosmosdb_shards", schedule="@hourly", max_active_runs=1, catchup=False) as dag:
    for i in range(SHARD_COUNT):
        BashOperator(
            task_id=f"shard_{i}",
            bash_command=f"cd {PROJECT} && meltano run tap-cosmosdb--shard-{i} target-cosmosdb",
        )
