"""Receiving export batches from the inbox into ``raw`` (with ``audit.batches``)."""

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipeline import ingest, models, provenance, warehouse
from pipeline.resources import OutcomesSettings

RAW_SESSIONS = dg.AssetKey(["raw", "sessions"])
RAW_MEASUREMENTS = dg.AssetKey(["raw", "measurements"])


@dg.multi_asset(
    specs=[
        dg.AssetSpec(RAW_SESSIONS, group_name="raw", kinds={"duckdb"},
                     description="Every received session row as text, with _batch_id and _row_number."),
        dg.AssetSpec(RAW_MEASUREMENTS, group_name="raw", kinds={"duckdb"},
                     description="Every received outcome score as text, with _batch_id and _row_number."),
    ],
    description="Checks each new batch folder of the inbox whole and loads the accepted ones.",
)
def raw_batches(context: dg.AssetExecutionContext, warehouse_db: DuckDBResource, settings: OutcomesSettings):
    with warehouse_db.get_connection() as con:
        warehouse.ensure_schema(con)
        models.load_reference(con)
        provenance.start_run(con, context.run.run_id)
        handled = ingest.receive_inbox(con, Path(settings.inbox))
        provenance.count_batches(con, context.run.run_id, handled)
        rows = {t: warehouse.count(con, "raw", t) for t in ("sessions", "measurements")}
    accepted = [b.batch_id for b in handled if b.accepted]
    rejected = {b.batch_id: "; ".join(b.reasons) for b in handled if not b.accepted}
    meta = {"new_batches": len(accepted), "rejected_batches": len(rejected), "rejected": rejected}
    yield dg.MaterializeResult(asset_key=RAW_SESSIONS, metadata={**meta, "rows": rows["sessions"]})
    yield dg.MaterializeResult(asset_key=RAW_MEASUREMENTS, metadata={**meta, "rows": rows["measurements"]})
