"""One export batch's ``ingest_batches`` run, as the deployed code location launches it: its own
process and a persistent Dagster instance (DAGSTER_HOME); the job's in-process executor, or the
multiprocess executor when RUNNER_EXECUTOR=multiprocess.

    python -m tests.partitions._runner BATCH_FOLDER

Paths come from OUTCOMES_INBOX and OUTCOMES_WAREHOUSE (as for ``dagster dev``). Exits 0 when
the run succeeded.
"""
from __future__ import annotations

import os
import sys
import warnings

import dagster as dg

from pipeline.definitions import INGEST_JOB, PARALLEL_STEPS, build_definitions


def ingest_job() -> dg.JobDefinition:
    """The deployed job (reconstructable: each step's process imports it again)."""
    multiprocess = os.environ.get("RUNNER_EXECUTOR") == "multiprocess"
    executor = dg.multiprocess_executor.configured({"max_concurrent": PARALLEL_STEPS}) if multiprocess else dg.in_process_executor
    defs = build_definitions(os.environ["OUTCOMES_INBOX"], os.environ["OUTCOMES_WAREHOUSE"],
                             os.environ.get("OUTCOMES_REPORTS", "reports"), ingest_executor=executor)
    return defs.resolve_job_def(INGEST_JOB)


def main(key: str) -> int:
    warnings.filterwarnings("ignore")
    with dg.DagsterInstance.get() as instance:
        result = dg.execute_job(dg.reconstructable(ingest_job), instance=instance,
                                tags={"dagster/partition": key})
        return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
