"""The Dagster job of a network run in shards (``outcomes run --shards N``; docs/aggregates.md).

    split_network --(one dynamic output per shard with batches)--> run_shard (xN) --> merge_shards

``run_shard`` runs the same assets as ``outcomes run`` from intake to aggregates (groups raw,
staging, quarantine, intermediate, aggregates, with their checks) on the shard's own inbox and
DuckDB file, then writes the shard's aggregates file; ``merge_shards`` merges them into the
warehouse (every earlier shard replaced) and writes the reports. Each step is its own process
under the multiprocess executor (locally) or its own pod under dagster-k8s (deploy/).

Like pipeline/definitions.py, this module sits on top: it runs the asset modules of assets/.
"""

import tempfile
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipeline import contract, provenance, warehouse
from pipeline.aggregates import export, merge, shards
from pipeline.errors import OutcomesError

SHARD_JOB = "shard_network"
SHARD_GROUPS = ("raw", "staging", "quarantine", "intermediate", "aggregates")
PRELOAD = ["pipeline.definitions", "pipeline.aggregates.job"]
QUIET = {"python_logs": {"python_log_level": "CRITICAL"}}  # the step processes' own log lines


class QuietWarehouse(DuckDBResource):
    """A shard's warehouse, with DuckDB's progress bar off on every connection: the shards run
    side by side on one terminal, where their bars overwrote each other's lines. It is a
    connection's setting (DuckDB refuses it in ``connection_config``), so it is set here."""

    @contextmanager
    def get_connection(self):
        with DuckDBResource.get_connection(self) as con:
            con.execute("set enable_progress_bar = false")
            yield con


class ShardSettings(dg.ConfigurableResource):
    """Where the network's batches are, the warehouse the shards merge into, and the run's knobs."""

    inbox: str = contract.DEFAULT_INBOX
    warehouse: str = contract.DEFAULT_WAREHOUSE
    reports: str | None = contract.DEFAULT_REPORTS
    shards: int = 2
    memory_limit: str | None = None
    episode_gap_days: int = contract.EPISODE_GAP_DAYS
    suppression_min_n: int = contract.SUPPRESSION_MIN_N

    def run_config(self) -> dict:
        """These settings as the ``shard_settings`` resource's run config."""
        return {k: getattr(self, k) for k in ("inbox", "warehouse", "reports", "shards", "memory_limit",
                                             "episode_gap_days", "suppression_min_n")}

    def contract_settings(self) -> contract.Settings:
        return contract.Settings(episode_gap_days=self.episode_gap_days, suppression_min_n=self.suppression_min_n)


def _failure(result) -> str:
    """The plain sentence of a failed materialization (a check's, or a step's OutcomesError)."""
    failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
    if failed:
        return "; ".join(f"check {e.check_name} failed: {e.description}" for e in failed)
    for event in result.all_events:
        if event.is_step_failure:
            error = event.step_failure_data.error
            while error is not None:
                if error.cls_name in ("OutcomesError", "AggregatesError"):
                    return error.message.split(": ", 1)[-1].strip()
                last, error = error, error.cause
            return f"internal error in step {event.step_key} ({last.cls_name}: {last.message.strip()[:300]})"
    return "the run failed"


def intake_to_aggregates(inbox: Path, db: Path, settings: ShardSettings) -> None:
    """Run the assets from intake to aggregates on one inbox and warehouse file, in process."""
    from pipeline.definitions import ASSET_MODULES  # the same assets as outcomes run
    from pipeline.resources import OutcomesSettings

    assets = dg.load_assets_from_modules(list(ASSET_MODULES))
    checks = dg.load_asset_checks_from_modules(list(ASSET_MODULES))
    config = {"memory_limit": settings.memory_limit} if settings.memory_limit else {}
    resources = {
        "warehouse_db": QuietWarehouse(database=str(db), connection_config=config),
        "settings": OutcomesSettings(inbox=str(inbox), reports=tempfile.gettempdir(),
                                     episode_gap_days=settings.episode_gap_days,
                                     suppression_min_n=settings.suppression_min_n),
    }
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize([*assets, *checks], selection=dg.AssetSelection.groups(*SHARD_GROUPS),
                                resources=resources, instance=instance, raise_on_error=False,
                                run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}})
        run_id = result.run_id
    con = warehouse.connect(db, memory_limit=settings.memory_limit)
    try:
        if not result.success or any(not e.passed for e in result.get_asset_check_evaluations()):
            sentence = _failure(result)
            provenance.finish_run(con, run_id, "failed", None, sentence)
            raise OutcomesError(f"shard {db.name}: {sentence}")
        provenance.finish_run(con, run_id)
    finally:
        con.close()


@dg.op(out=dg.DynamicOut(int), description="Split the inbox by clinic: one inbox of links per shard.")
def split_network(context: dg.OpExecutionContext, shard_settings: ShardSettings):
    counts = shards.split_inbox(Path(shard_settings.inbox), Path(shard_settings.warehouse), shard_settings.shards)
    context.log.info(f"batches per shard: {counts}")
    for k, batches in counts.items():
        if batches:
            yield dg.DynamicOutput(k, mapping_key=f"shard_{k}")


@dg.op(description="One shard from intake to aggregates in its own DuckDB file, then its aggregates file.")
def run_shard(context: dg.OpExecutionContext, shard_settings: ShardSettings, shard: int) -> str:
    paths = shards.shard_paths(Path(shard_settings.warehouse), shard)
    intake_to_aggregates(paths["inbox"], paths["warehouse"], shard_settings)
    export.export(paths["warehouse"], paths["aggregates"], site_id=f"shard-{shard}")
    return str(paths["aggregates"])


@dg.op(description="Merge the shards' aggregates into the warehouse (its marts), then the reports.")
def merge_shards(context: dg.OpExecutionContext, shard_settings: ShardSettings, files: list[str]) -> None:
    reports = Path(shard_settings.reports) if shard_settings.reports else None
    merge.merge(sorted(Path(f) for f in files), Path(shard_settings.warehouse), reports,
                shard_settings.contract_settings(), replace_all=True)


@dg.graph(description="A network in shards by clinic: each shard intake to aggregates, then one merge.")
def shard_network():
    merge_shards(split_network().map(run_shard).collect())


def shard_job(executor_def: dg.ExecutorDefinition | None = None, settings: ShardSettings | None = None) -> dg.JobDefinition:
    """The shard job on an executor (default: multiprocess, one process per step)."""
    return shard_network.to_job(name=SHARD_JOB, executor_def=executor_def or dg.multiprocess_executor,
                                resource_defs={"shard_settings": settings} if settings is not None else None,
                                description="A network in shards by clinic: each shard from intake to aggregates "
                                            "in its own process and DuckDB file, then one merge into the warehouse.")


def local_shard_job() -> dg.JobDefinition:
    """The job ``outcomes run --shards`` runs (reconstructable: each step process loads it)."""
    return shard_job(settings=ShardSettings())


def run_sharded(settings: ShardSettings, max_concurrent: int | None = None) -> tuple[float, dict[str, float]]:
    """Run the shard job on the multiprocess executor (at most ``max_concurrent`` steps at once,
    default one per shard); its wall seconds and each step's."""
    import time

    if settings.shards < 1:
        raise OutcomesError("--shards must be 1 or more")
    run_config = {"resources": {"shard_settings": {"config": settings.run_config()}},
                  "execution": {"config": {"max_concurrent": max_concurrent or settings.shards,
                                           # each step forks from a process that imported the code once
                                           "start_method": {"forkserver": {"preload_modules": PRELOAD}}}},
                  "loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="outcomes-shards-") as home:
        with dg.DagsterInstance.local_temp(home, overrides=QUIET) as instance:
            result = dg.execute_job(dg.reconstructable(local_shard_job), instance=instance, run_config=run_config,
                                    raise_on_error=False)
            if not result.success:
                raise OutcomesError(_failure(result))
            steps = provenance.step_seconds(instance, result.run_id)
    return time.perf_counter() - started, steps
