"""Splitting received rows into ``staging`` (typed, valid) and ``quarantine`` (with reasons).

Not partitioned: each run splits every batch received and not yet split (in a batch's own run,
that batch), set-based in one statement per table, so a batch whose run stopped after ``raw``
is staged by the next run and the tables always hold every accepted batch.
"""

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.raw import RAW_MEASUREMENTS, RAW_SESSIONS
from pipeline import balance, provenance, staging

STG_SESSIONS = dg.AssetKey(["staging", "sessions"])
STG_MEASUREMENTS = dg.AssetKey(["staging", "measurements"])
Q_SESSIONS = dg.AssetKey(["quarantine", "sessions"])
Q_MEASUREMENTS = dg.AssetKey(["quarantine", "measurements"])


@dg.multi_asset(
    specs=[
        dg.AssetSpec(STG_SESSIONS, group_name="staging", kinds={"duckdb"}, deps=[RAW_SESSIONS],
                     description="Typed sessions that pass every rule of the contract."),
        dg.AssetSpec(Q_SESSIONS, group_name="quarantine", kinds={"duckdb"}, deps=[RAW_SESSIONS],
                     description="Rejected session rows, as received, with reason codes."),
    ],
)
def staged_sessions(warehouse_db: DuckDBResource):
    with warehouse_db.get_connection() as con:
        batches = staging.pending_batches(con, "sessions")
        staged, quarantined = staging.stage_sessions(con, batches)
    yield dg.MaterializeResult(asset_key=STG_SESSIONS, metadata={"batches": len(batches), "rows_staged": staged})
    yield dg.MaterializeResult(asset_key=Q_SESSIONS, metadata={"batches": len(batches), "rows_quarantined": quarantined})


@dg.multi_asset(
    specs=[
        dg.AssetSpec(STG_MEASUREMENTS, group_name="staging", kinds={"duckdb"}, deps=[RAW_MEASUREMENTS, STG_SESSIONS],
                     description="Typed outcome scores of known sessions, inside the measure's range."),
        dg.AssetSpec(Q_MEASUREMENTS, group_name="quarantine", kinds={"duckdb"}, deps=[RAW_MEASUREMENTS, STG_SESSIONS],
                     description="Rejected outcome scores, as received, with reason codes."),
    ],
)
def staged_measurements(context: dg.AssetExecutionContext, warehouse_db: DuckDBResource):
    with warehouse_db.get_connection() as con:
        batches = staging.pending_batches(con, "measurements")
        staged, quarantined = staging.stage_measurements(con, batches)
        if context.has_partition_key or context.has_partition_key_range:  # a batch's own run ends here
            provenance.finish_run(con, context.run.run_id)
    yield dg.MaterializeResult(asset_key=STG_MEASUREMENTS, metadata={"batches": len(batches), "rows_staged": staged})
    yield dg.MaterializeResult(asset_key=Q_MEASUREMENTS, metadata={"batches": len(batches), "rows_quarantined": quarantined})


def _nothing_lost(warehouse_db: DuckDBResource, table: str) -> dg.AssetCheckResult:
    with warehouse_db.get_connection() as con:
        rows = [r for r in staging.reconciliation(con) if r["table_name"] == table]
    problems = balance.unbalanced_batches(rows)
    return dg.AssetCheckResult(
        passed=not problems,
        metadata={"batches_checked": len(rows), "problems": problems[:20]},
        description=problems[0] if problems else f"raw = staged + quarantined in all {len(rows)} batches",
    )


@dg.asset_check(asset=STG_SESSIONS, blocking=True, description="rows in raw = rows in staging + quarantine, per batch")
def sessions_nothing_lost(warehouse_db: DuckDBResource) -> dg.AssetCheckResult:
    return _nothing_lost(warehouse_db, "sessions")


@dg.asset_check(asset=STG_MEASUREMENTS, blocking=True, description="rows in raw = rows in staging + quarantine, per batch")
def measurements_nothing_lost(warehouse_db: DuckDBResource) -> dg.AssetCheckResult:
    return _nothing_lost(warehouse_db, "measurements")
