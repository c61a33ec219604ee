"""The runs that follow a new export batch, timed, each in its own process as deployed:

    python benchmarks/partition_run.py INBOX WAREHOUSE BATCH_FOLDER [MEMORY_LIMIT]
    python benchmarks/partition_run.py --marts INBOX WAREHOUSE REPORTS [MEMORY_LIMIT]

The first is the run the inbox sensor launches for one new batch: ``ingest_batches`` for that
partition only (check the batch whole, load it into raw, stage it, its quality checks). The second
is the schedule's ``marts_and_reports`` run after it: the great-expectations suites on the batches
staged since, then the episodes, aggregates, marts and reports (into REPORTS, the folder the
earlier full run wrote, so that its unchanged pages are kept as in production).

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
from pipeline.definitions import INGEST_JOB, MARTS_JOB, build_definitions  # noqa: E402

QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def main(inbox: str, warehouse: str, key: str, memory_limit: str | None = None, marts: bool = False) -> int:
    """One batch's run (key: its folder's name), or with ``marts`` the schedule's run (key: the reports folder)."""
    warnings.filterwarnings("ignore")
    reports = key if marts else tempfile.gettempdir()
    defs = build_definitions(inbox, warehouse, reports, memory_limit=memory_limit)
    with dg.DagsterInstance.ephemeral() as instance:
        started = time.perf_counter()
        if marts:
            job, name = defs.resolve_job_def(MARTS_JOB), MARTS_JOB
            result = job.execute_in_process(instance=instance, raise_on_error=False, run_config=QUIET)
        else:
            instance.add_dynamic_partitions("export_batches", [key])
            job, name = defs.resolve_job_def(INGEST_JOB), f"{INGEST_JOB}[{key}]"
            result = job.execute_in_process(instance=instance, partition_key=key, raise_on_error=False, run_config=QUIET)
        seconds = time.perf_counter() - started
        steps = step_seconds(instance, result.run_id)
    print(f"{name} {'succeeded' if result.success else 'FAILED'} in {seconds:.1f} s "
          f"(process {time.perf_counter() - STARTED:.1f} s); steps: "
          + ", ".join(f"{k} {v:.1f}" for k, v in steps.items()))
    return 0 if result.success else 1


if __name__ == "__main__":
    args = sys.argv[1:]
    marts = args[:1] == ["--marts"]
    sys.exit(main(*args[marts:][:4], marts=marts))
