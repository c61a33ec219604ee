"""The ``agg`` layer: clinic-level sufficient statistics of every published figure
(docs/aggregates-layer.md), one table per file sql/aggregates/<table>.sql, read from
intermediate. Unsuppressed, no patient, episode or date column: what a site exports, and what
every mart but marts.episode_outcomes is built from (pipeline/marts). Merging sites is a
``UNION ALL`` of each table (their clinics are disjoint).
"""
from __future__ import annotations

import logging
from contextlib import contextmanager

import duckdb

from pipeline import contract
from pipeline.warehouse import count, run

log = logging.getLogger("outcomes")

# table -> its inputs (for the asset graph and the docs)
TABLES = {
    "effect_cells": ("int_episode_outcomes",),
    "improvement_counts": ("int_episode_outcomes",),
    "trend_cells": ("int_episode_outcomes", "int_episodes"),
    "duration_cells": ("int_episode_outcomes",),
    "completeness_cells": ("int_episode_measures", "int_episodes"),
    "condition_episodes": ("int_episodes",),
    "benchmark_moments": ("int_episode_outcomes",),
    "case_mix_counts": ("int_episode_outcomes",),
}
# table -> the columns it is unique on (its grain; clinic_id first in every one)
KEYS = {
    "effect_cells": ("clinic_id", "condition_group", "frequency_band", "measure"),
    "improvement_counts": ("clinic_id", "condition_group", "frequency_band", "measure", "magnitude"),
    "trend_cells": ("clinic_id", "condition_group", "measure", "period"),
    "duration_cells": ("clinic_id", "condition_group", "measure", "duration_band"),
    "completeness_cells": ("clinic_id", "condition_group", "measure"),
    "condition_episodes": ("clinic_id", "condition_group"),
    "benchmark_moments": ("clinic_id", "measure", "condition_group", "term_a", "term_b"),
    "case_mix_counts": ("clinic_id", "measure", "condition_group", "age_band", "sex", "payer", "baseline_band"),
}
MACROS = ("aggregates/macro_scaled", "aggregates/macro_outcome_sums", "aggregates/macro_baseline_band")
# The tables with a floating-point sum (sessions per week, session minutes): built on one thread.
FLOAT_SUMS = ("effect_cells", "duration_cells")


@contextmanager
def one_thread(con: duckdb.DuckDBPyConnection):
    """Run the statements inside on one DuckDB thread. DuckDB's parallel aggregation combines
    partial sums in whichever order its threads finish, so a floating-point sum (sessions per
    week, session minutes) could differ in the last bit between two runs on the same rows; on
    one thread it is the same, bit for bit, every time (the incremental run equals a fresh one).
    The score sums are exact integers and need no such care."""
    threads = con.execute("select current_setting('threads')").fetchone()[0]
    con.execute("set threads = 1")
    try:
        yield
    finally:
        con.execute(f"set threads = {int(threads)}")


def params() -> dict:
    """The bound parameters of the aggregates' SQL: the duration bands' upper ends and the
    baseline bands of the responder model."""
    his = {band: hi for band, _, hi in contract.DURATION_BANDS}
    return {"under_40_hi": his["under_40"], "d40_to_54_hi": his["40_to_54"], "d55_to_74_hi": his["55_to_74"],
            "bands": contract.BASELINE_BANDS}


def build(con: duckdb.DuckDBPyConnection, table: str) -> int:
    """agg.<table> from intermediate (sql/aggregates/<table>.sql); returns its rows."""
    if table not in TABLES:
        raise ValueError(f"agg.{table} is not a table of the aggregates layer")
    con.execute("create schema if not exists agg")
    for macro in MACROS:
        run(con, macro)
    if table in FLOAT_SUMS:
        with one_thread(con):
            run(con, f"aggregates/{table}", params())
    else:
        run(con, f"aggregates/{table}", params())
    rows = count(con, "agg", table)
    log.info("[aggregates] agg.%s: %d rows", table, rows)
    return rows


def build_all(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Every agg table, in order; their row counts."""
    return {table: build(con, table) for table in TABLES}
