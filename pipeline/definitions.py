"""The one Dagster ``Definitions`` of the project (``dagster dev -w workspace.yaml``).

Paths come from the environment for ``dagster dev`` (OUTCOMES_INBOX, OUTCOMES_WAREHOUSE,
OUTCOMES_REPORTS) and from the command line for ``outcomes run``.

Two ways to run the same assets (docs/scaling.md):

- ``outcomes run``: the implicit asset job, in-process, without partition keys: every new
  batch folder of the inbox, then the marts and the reports.
- Deployed (``dagster dev`` or a Dagster instance): export batches are the dynamic partitions
  ``export_batches``; the ``inbox_sensor`` registers each new (or changed) batch folder and
  launches its ``ingest_batches`` run (raw and staging of that batch only; runs of several
  batches go in parallel, each in its own process, and DuckDB's single writer lock serializes
  their writes); the ``marts_and_reports`` schedule runs the great-expectations suites on the
  batches staged since, then rebuilds the marts and the reports.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy loads: see pipeline/cli.py

import dagster as dg  # noqa: E402
from dagster_duckdb import DuckDBResource  # noqa: E402

from assets import aggregates, intermediate, marts, raw, reports, staging, suites  # noqa: E402
from pipeline.aggregates.job import ShardSettings, shard_job  # noqa: E402
from pipeline.contract import DEFAULT_INBOX, DEFAULT_REPORTS, DEFAULT_WAREHOUSE  # noqa: E402
from pipeline.intake.checks import fingerprint, folder_files  # noqa: E402
from pipeline.resources import OutcomesSettings  # noqa: E402

ASSET_MODULES = (raw, staging, suites, intermediate, aggregates, marts, reports)
INGEST_JOB = "ingest_batches"
MARTS_JOB = "marts_and_reports"
SETTLE_SECONDS = 60  # a batch folder untouched this long is complete (not still being copied in)
PARALLEL_STEPS = 2  # steps at once per run under the multiprocess executor (the machine's cores)

# The great-expectations suites (a second look at what staging let through, on a sample beyond
# 250k rows) run once per marts build over every batch staged since, not in each batch's run:
# importing great-expectations and building its context is ~3 s whatever the batch's size, most
# of a 1% batch's run. They are blocking, so nothing is built on a batch that fails them.
SUITES = dg.AssetSelection.checks(suites.sessions_contract_suite, suites.measurements_contract_suite)


def ingest_job(executor: dg.ExecutorDefinition = dg.in_process_executor) -> dg.UnresolvedAssetJobDefinition:
    """The run of one export batch (a partition). In-process by default: its steps are a chain
    that holds DuckDB's one writer lock, so the multiprocess executor has nothing to run side by
    side and its process per step made a 1% batch's run cost 23.3 s instead of 4.7 s
    (benchmarks/parallel_partitions.py). Batches still run in parallel: one run each."""
    return dg.define_asset_job(
        INGEST_JOB, selection=dg.AssetSelection.groups("raw", "staging", "quarantine") - SUITES,
        partitions_def=raw.EXPORT_BATCHES, executor_def=executor,
        description="One export batch (a partition): check it whole, load it into raw, split it into staging "
                    "and quarantine (every row against every rule of the contract; nothing lost).")


marts_and_reports = dg.define_asset_job(
    MARTS_JOB, selection=dg.AssetSelection.groups("intermediate", "aggregates", "marts", "reports") | SUITES,
    description="The great-expectations suites on the batches staged since the last build, then episodes, "
                "marts, evidence syntheses and reports from everything staged so far.")


def batch_fingerprint(folder: Path) -> str | None:
    """Names, sizes and modification times of a batch folder's files; None while it may still be
    written to (a file changed in the last SETTLE_SECONDS) or when it holds no file."""
    files = [(name, st) for name, st in folder_files(folder) if "/" not in name and not name.startswith(".")]
    if not files or time.time() - max(st.st_mtime for _, st in files) < SETTLE_SECONDS:
        return None
    return fingerprint(files)[:16]


@dg.sensor(job_name=INGEST_JOB, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Registers each new batch folder of the inbox as a partition and launches its run; "
                       "a folder whose files changed (a corrected delivery) is run again.")
def inbox_sensor(context: dg.SensorEvaluationContext, settings: OutcomesSettings):
    inbox = Path(settings.inbox)
    if not inbox.is_dir():
        return dg.SkipReason(f"the inbox {inbox} does not exist")
    known = set(context.instance.get_dynamic_partitions(raw.EXPORT_BATCHES.name))
    new, requests = [], []
    for folder in sorted(p for p in inbox.iterdir() if p.is_dir() and not p.name.startswith(".")):
        fingerprint = batch_fingerprint(folder)
        if fingerprint is None:
            continue
        if folder.name not in known:
            new.append(folder.name)
        # the run key makes each content of a folder run once, however often the sensor looks
        requests.append(dg.RunRequest(partition_key=folder.name, run_key=f"{folder.name}:{fingerprint}"))
    return dg.SensorResult(run_requests=requests,
                           dynamic_partitions_requests=[raw.EXPORT_BATCHES.build_add_request(new)] if new else [])


def _batches_since_marts(context: dg.ScheduleEvaluationContext) -> bool:
    """Run the marts only when a batch was staged after their last build."""
    staged = context.instance.get_latest_materialization_event(staging.STG_MEASUREMENTS)
    built = context.instance.get_latest_materialization_event(marts.EFFECT_SIZES)
    return staged is not None and (built is None or staged.timestamp > built.timestamp)


marts_schedule = dg.ScheduleDefinition(
    name="marts_and_reports_hourly", job=marts_and_reports, cron_schedule="15 * * * *",
    should_execute=_batches_since_marts, default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every hour, when batches were staged since the last build: the marts and the reports.")


def build_definitions(inbox: str = DEFAULT_INBOX, warehouse: str = DEFAULT_WAREHOUSE,
                      reports_dir: str = DEFAULT_REPORTS, memory_limit: str | None = None,
                      executor: dg.ExecutorDefinition = dg.in_process_executor,
                      ingest_executor: dg.ExecutorDefinition = dg.in_process_executor, **settings) -> dg.Definitions:
    """The definitions on these paths. ``outcomes run`` and the tests use the in-process executor
    (4x faster for small steps); the deployed code location the multiprocess one, except for the
    batch runs (``ingest_job``)."""
    assets = dg.load_assets_from_modules(list(ASSET_MODULES))
    checks = dg.load_asset_checks_from_modules(list(ASSET_MODULES))
    config = {"memory_limit": memory_limit} if memory_limit else {}
    return dg.Definitions(
        assets=assets,
        asset_checks=checks,
        jobs=[ingest_job(ingest_executor), marts_and_reports, shard_job()],  # shard_job: pipeline/aggregates/job.py
        sensors=[inbox_sensor],
        schedules=[marts_schedule],
        resources={
            "warehouse_db": DuckDBResource(database=warehouse, connection_config=config),
            "settings": OutcomesSettings(inbox=inbox, reports=reports_dir, **settings),
            "shard_settings": ShardSettings(inbox=inbox, warehouse=warehouse, reports=reports_dir,
                                            memory_limit=memory_limit, **settings),
        },
        executor=executor,
    )


defs = build_definitions(
    inbox=os.environ.get("OUTCOMES_INBOX", DEFAULT_INBOX),
    warehouse=os.environ.get("OUTCOMES_WAREHOUSE", DEFAULT_WAREHOUSE),
    reports_dir=os.environ.get("OUTCOMES_REPORTS", DEFAULT_REPORTS),
    memory_limit=os.environ.get("OUTCOMES_MEMORY_LIMIT") or None,
    executor=dg.multiprocess_executor.configured({"max_concurrent": PARALLEL_STEPS}),
)
