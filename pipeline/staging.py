"""Splitting received rows into ``staging`` (typed, valid) and ``quarantine`` (with reasons).

Set-based over all pending batches at once; the rules' values come from ``pipeline.contract``.
Idempotent: an interrupted attempt is forgotten before a batch is staged again.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone

import duckdb

from pipeline import contract
from pipeline.warehouse import frame, run, scalar, transaction, unordered_inserts

log = logging.getLogger("outcomes")

# The split's own record in audit.checks, one row per batch and table: rows in raw = rows staged
# + rows quarantined at the moment of the split. It also marks the table of the batch as split,
# which the reconciliation check and the great-expectations suites go by.
SPLIT_SUITE = "nothing_lost"
SPLIT_EXPECTATION = "raw_equals_staged_plus_quarantined"


def pending_batches(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """Accepted batches whose ``table`` rows have not been split into staging and quarantine yet
    (for measurements: only batches whose sessions have been)."""
    return [r[0] for r in run(con, "audit/pending_batches", {"table_name": table, "split_suite": SPLIT_SUITE})]


def _split(con: duckdb.DuckDBPyConnection, table: str, batch_ids: list[str]) -> tuple[int, int]:
    params = {**contract.rule_params(), "batch_ids": batch_ids}
    with transaction(con):
        run(con, f"staging/delete_pending_{table}", params)
        run(con, f"quarantine/delete_pending_{table}", params)
        run(con, f"staging/typed_{table}")  # the cleaned and typed rows, as a table macro
        run(con, f"staging/repeated_{table}", params)  # the first copy of each key received twice
        run(con, f"staging/rejected_{table}", params)  # keys and reasons of the rows breaking a rule
        with unordered_inserts(con):  # each row has its batch and row number
            staged = scalar(con, f"staging/stg_{table}", params)
        quarantined = scalar(con, f"quarantine/{table}", params)
        con.execute(f"drop table rejected_{table}")  # constant table names
        con.execute(f"drop table repeated_{table}")
        record = {**params, "table_name": table, "suite": SPLIT_SUITE, "expectation": SPLIT_EXPECTATION,
                  "checked_at": datetime.now(timezone.utc).replace(tzinfo=None)}
        run(con, "audit/checks_delete_split", record)
        run(con, "audit/checks_insert_split", record)
    log.info("[staging] %s: %d rows staged, %d quarantined from %d batches", table, staged, quarantined, len(batch_ids))
    return staged, quarantined


def stage_sessions(con: duckdb.DuckDBPyConnection, batch_ids: list[str]) -> tuple[int, int]:
    return _split(con, "sessions", batch_ids) if batch_ids else (0, 0)


def stage_measurements(con: duckdb.DuckDBPyConnection, batch_ids: list[str]) -> tuple[int, int]:
    """Stage the scores (after the sessions of the same batches) and record the batch counts."""
    if not batch_ids:
        return 0, 0
    counts = _split(con, "measurements", batch_ids)
    run(con, "audit/batch_counts", {"batch_ids": batch_ids})
    return counts


def stage_pending(con: duckdb.DuckDBPyConnection) -> None:
    """Split every pending batch, sessions first (what a run's two staging steps do)."""
    stage_sessions(con, pending_batches(con, "sessions"))
    stage_measurements(con, pending_batches(con, "measurements"))


def reconciliation(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Per staged batch and table: rows_raw, rows_staged, rows_quarantined."""
    return frame(con, "audit/reconciliation", {"suite": SPLIT_SUITE}).to_dict("records")
