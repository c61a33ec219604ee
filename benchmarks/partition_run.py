"""The run the inbox sensor launches for one new export batch, timed: ``ingest_batches`` for
that partition only (check the batch whole, load it into raw, stage it, its quality checks).

    python benchmarks/partition_run.py INBOX WAREHOUSE BATCH_FOLDER [MEMORY_LIMIT]

In-process on an ephemeral instance, like ``outcomes run``: the deployed run does the same
work, plus the multiprocess executor's start-up of each step's process.
"""
from __future__ import annotations

import sys
import tempfile
import time
import warnings

STARTED = time.perf_counter()

import dagster as dg  # noqa: E402

from pipeline.provenance import step_seconds  # noqa: E402
from pipeline.definitions import INGEST_JOB, build_definitions  # noqa: E402


def main(inbox: str, warehouse: str, key: str, memory_limit: str | None = None) -> int:
    warnings.filterwarnings("ignore")
    defs = build_definitions(inbox, warehouse, tempfile.gettempdir(), memory_limit=memory_limit)
    with dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("export_batches", [key])
        started = time.perf_counter()
        result = defs.resolve_job_def(INGEST_JOB).execute_in_process(
            instance=instance, partition_key=key, raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}})
        seconds = time.perf_counter() - started
        steps = step_seconds(instance, result.run_id)
    print(f"{INGEST_JOB}[{key}] {'succeeded' if result.success else 'FAILED'} in {seconds:.1f} s "
          f"(process {time.perf_counter() - STARTED:.1f} s); steps: "
          + ", ".join(f"{k} {v:.1f}" for k, v in steps.items()))
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
