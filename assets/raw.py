"""Receiving export batches from the inbox into ``raw`` (with ``audit.batches``).

Export batches are Dagster dynamic partitions (``export_batches``, one key per batch folder):
the inbox sensor registers each new folder and launches its run. A run with partition keys
receives those folders; a run without (``outcomes run``, the implicit asset job) receives
every new folder of the inbox. Either way a batch already received is not read again.
"""

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipeline import ingest, provenance, reference, warehouse
from pipeline.errors import OutcomesError
from pipeline.resources import OutcomesSettings

RAW_SESSIONS = dg.AssetKey(["raw", "sessions"])
RAW_MEASUREMENTS = dg.AssetKey(["raw", "measurements"])
EXPORT_BATCHES = dg.DynamicPartitionsDefinition(name="export_batches")


def _run_state(instance: dg.DagsterInstance):
    """A run's state as this Dagster instance knows it (provenance.mark_interrupted_runs)."""
    def state(run_id: str) -> str | None:
        found = instance.get_run_by_id(run_id)
        if found is None:
            return None
        if not found.is_finished:
            return "running"
        return "failed" if found.status == dg.DagsterRunStatus.FAILURE else "finished"
    return state


def _receive(context: dg.AssetExecutionContext, con, inbox: Path) -> list:
    if not (context.has_partition_key or context.has_partition_key_range):
        return ingest.receive_inbox(con, inbox)
    handled = []
    for key in context.partition_keys:
        folder = inbox / key
        if not folder.is_dir():
            raise OutcomesError(f"the batch folder {key} is no longer in the inbox {inbox}")
        batch = ingest.receive(con, folder)
        if batch is None:
            context.log.info(f"{key}: this content was received before; nothing to do")
            continue
        handled.append(batch)
        context.log.info(f"{key}: {'accepted' if batch.accepted else 'REJECTED: ' + '; '.join(batch.reasons)}")
    return handled


@dg.multi_asset(
    specs=[
        dg.AssetSpec(RAW_SESSIONS, group_name="raw", kinds={"duckdb"},
                     description="Every received session row as text, with _batch_id and _row_number."),
        dg.AssetSpec(RAW_MEASUREMENTS, group_name="raw", kinds={"duckdb"},
                     description="Every received outcome score as text, with _batch_id and _row_number."),
    ],
    partitions_def=EXPORT_BATCHES,
    backfill_policy=dg.BackfillPolicy.single_run(),
    description="Checks each new batch folder of the inbox whole and loads the accepted ones.",
)
def raw_batches(context: dg.AssetExecutionContext, warehouse_db: DuckDBResource, settings: OutcomesSettings):
    with warehouse_db.get_connection() as con:
        warehouse.ensure_schema(con)
        reference.load_reference(con)
        provenance.start_run(con, context.run.run_id, _run_state(context.instance))
        with ingest.fewer_checkpoints(con):
            handled = _receive(context, con, Path(settings.inbox))
        provenance.count_batches(con, context.run.run_id, handled)
        rows = {t: warehouse.count(con, "raw", t) for t in ("sessions", "measurements")}
    accepted = [b.batch_id for b in handled if b.accepted]
    rejected = {b.batch_id: "; ".join(b.reasons) for b in handled if not b.accepted}
    meta = {"new_batches": len(accepted), "rejected_batches": len(rejected), "rejected": rejected}
    yield dg.MaterializeResult(asset_key=RAW_SESSIONS, metadata={**meta, "rows": rows["sessions"]})
    yield dg.MaterializeResult(asset_key=RAW_MEASUREMENTS, metadata={**meta, "rows": rows["measurements"]})
