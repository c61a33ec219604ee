"""The contract's great-expectations suites on the newly staged rows, as blocking asset checks.

Thin: ``pipeline.suites`` builds each suite from ``pipeline.contract``, validates the
staged rows of the batches not checked yet and stores one row per batch and expectation in
``audit.checks``; these checks only wrap it and show the results as metadata. A failure means
a staged row breaks the contract (a bug in the gate, never bad input, which is quarantined
before), so the check is blocking: nothing downstream is built on it.
"""

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.staging import STG_MEASUREMENTS, STG_SESSIONS
from pipeline import suites


def _metadata(outcome: suites.SuiteRun) -> dict:
    meta = {
        "suite": outcome.suite,
        "batches_checked": len(outcome.batches),
        "rows_staged": outcome.rows_staged,
        "rows_checked": outcome.rows_checked,
        "sampled": outcome.sampled,
        "seconds": dg.MetadataValue.float(round(outcome.seconds, 2)),
        "great_expectations_import_seconds": dg.MetadataValue.float(round(suites.import_seconds(), 2)),
    }
    if not outcome.results:
        return meta
    lines = ["| expectation | column | reason | passed | unexpected rows | rows checked |", "|---|---|---|---|---|---|"]
    for r in outcome.results:
        lines.append(f"| {r.rule.name} | {r.rule.column} | {r.rule.reason} | {'yes' if r.success else 'NO'} "
                     f"| {r.unexpected} | {r.checked} |")
        meta[f"{r.rule.name} on {r.rule.column}"] = dg.MetadataValue.json({
            "passed": r.success, "unexpected_rows": r.unexpected, "rows_checked": r.checked,
            "reason": r.rule.reason, "error": r.error,
            "batches_with_unexpected_rows": sorted(r.rows_by_batch),
        })
    meta["expectations"] = dg.MetadataValue.md("\n".join(lines))
    if outcome.failed:
        meta["problems"] = dg.MetadataValue.json(outcome.problems()[:20])
    return meta


def _suite_check(warehouse_db: DuckDBResource, table: str) -> dg.AssetCheckResult:
    with warehouse_db.get_connection() as con:
        outcome = suites.check_new_batches(con, table)
    return dg.AssetCheckResult(passed=outcome.passed, description=outcome.summary(), metadata=_metadata(outcome),
                               severity=dg.AssetCheckSeverity.ERROR)


@dg.asset_check(asset=STG_SESSIONS, blocking=True, name="sessions_contract_suite",
                description="great-expectations suite from the contract, on the sessions staged since the last check")
def sessions_contract_suite(warehouse_db: DuckDBResource) -> dg.AssetCheckResult:
    return _suite_check(warehouse_db, "sessions")


@dg.asset_check(asset=STG_MEASUREMENTS, blocking=True, name="measurements_contract_suite",
                description="great-expectations suite from the contract, on the scores staged since the last check")
def measurements_contract_suite(warehouse_db: DuckDBResource) -> dg.AssetCheckResult:
    return _suite_check(warehouse_db, "measurements")
