"""The ``agg`` layer: clinic-level sufficient statistics of every published figure
(docs/aggregates-layer.md), one table per file sql/aggregates/<table>.sql, read from
intermediate. Unsuppressed, no patient, episode or date column: what a site exports, and what
every mart but marts.episode_outcomes is built from (pipeline/marts). Merging sites is a
``UNION ALL`` of each table (their clinics are disjoint).

Incremental by clinic, like the episode layer (pipeline/intermediate.py): every table is keyed
by clinic first and a clinic's rows depend only on its own episodes and outcomes, so each table
is one table macro over a list of clinics (sql/aggregates/macro_<table>_of.sql), which the full
build (<table>.sql, with a null list: no filter) and the incremental one
(operations/insert_<table>.sql) both call.
audit.agg_inputs records per table and clinic what its rows were built from (the clinic's row
of audit.episode_inputs and of audit.episode_outcome_inputs) and the table's fingerprint (its
SQL, params(), this module, the episode layer's builds, the registry, DuckDB's version). A build
deletes and inserts only the rows of the clinics whose record differs (and deletes removed
clinics), in one transaction with the new record; it rebuilds every clinic when the fingerprint
differs (the episode layer rebuilt in full with other settings or code, for one), the table or
its record is missing, or the episode layer has no record. (A full rebuild of the episodes with
the same fingerprint, its table or record having been missing, gives the same rows from the same
staged rows: nothing to tell apart.)
"""
from __future__ import annotations

import logging
from contextlib import contextmanager, nullcontext
from functools import lru_cache
from pathlib import Path

import duckdb

from pipeline import contract
from pipeline.intermediate import layer_fingerprint
from pipeline.warehouse import code_digest, count, run, table_exists, transaction

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
# The SQL of the record, part of every table's fingerprint.
RECORD_SQL = ("agg_clinic_inputs", "agg_clinic_episode_inputs", "agg_inputs_create", "agg_inputs_builds",
              "agg_inputs_changed", "agg_inputs_delete", "agg_inputs_insert")


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


@lru_cache(maxsize=None)
def _code_digest(table: str) -> str:
    """The text of this module, of the table's SQL (its macro, full build, delete and insert), of
    the shared macros and of the record's SQL."""
    names = list(MACROS) + [f"aggregates/macro_{table}_of", f"aggregates/{table}",
                            f"aggregates/operations/delete_{table}", f"aggregates/operations/insert_{table}"]
    return code_digest(Path(__file__), names + [f"audit/{n}" for n in RECORD_SQL])


def _reads_outcomes(table: str) -> bool:
    """Whether the table reads int_episode_outcomes (and so depends on its record as well): the
    two that do not may be built before it is (their assets depend on the episodes only)."""
    return "int_episode_outcomes" in TABLES[table]


def _episodes_recorded(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether the episode layer records what the table reads."""
    return table_exists(con, "audit", "episode_inputs") and (
        not _reads_outcomes(table) or table_exists(con, "audit", "episode_outcome_inputs"))


def _build_fingerprint(con: duckdb.DuckDBPyConnection, table: str, recorded: bool) -> str:
    """What changes the table's rows for every clinic at once: its code and parameters, and the
    builds of the episode layer it reads (a full rebuild of the episodes with other settings or
    code changes them), with the registry and DuckDB's version (intermediate.layer_fingerprint)."""
    builds = {}
    if recorded:
        builds["episodes"] = sorted(b for (b,) in run(con, "audit/episode_inputs_builds"))
        if _reads_outcomes(table):
            builds["outcomes"] = sorted(b for (b,) in run(con, "audit/episode_outcome_inputs_builds"))
    return layer_fingerprint(con, "agg", table=table, agg_code=_code_digest(table), params=params(), **builds)


def _clinics_to_rebuild(con: duckdb.DuckDBPyConnection, table: str, build: str,
                        recorded: bool) -> tuple[list[str] | None, str]:
    """The clinics whose episodes or outcomes changed since agg.<table> was built (None: every
    clinic), and why. Leaves the temporary table agg_clinic_inputs (the inputs now) behind."""
    if not recorded:
        return None, "the episode layer has no record"
    run(con, "audit/agg_clinic_inputs" if _reads_outcomes(table) else "audit/agg_clinic_episode_inputs")
    run(con, "audit/agg_inputs_create")
    if not table_exists(con, "agg", table):
        return None, "no table"
    if [b for (b,) in run(con, "audit/agg_inputs_builds", {"table": table})] != [build]:
        return None, "no record, or the episode layer's builds, the SQL, parameters, registry or code differ"
    return [c for (c,) in run(con, "audit/agg_inputs_changed", {"table": table})], ""


def _record(con: duckdb.DuckDBPyConnection, values: dict, recorded: bool) -> None:
    """The table's record replaced by the inputs now (none when the episode layer has none)."""
    if table_exists(con, "audit", "agg_inputs"):
        run(con, "audit/agg_inputs_delete", values)
    if recorded:
        run(con, "audit/agg_inputs_insert", values)


def build(con: duckdb.DuckDBPyConnection, table: str) -> int:
    """agg.<table> from intermediate: for the clinics whose episodes changed since it was built,
    or for every clinic (see the module's docstring); returns its rows. A floating-point sum is
    built on one thread in both cases, so the rows equal a full build's bit for bit."""
    if table not in TABLES:
        raise ValueError(f"agg.{table} is not a table of the aggregates layer")
    con.execute("create schema if not exists agg")
    for macro in MACROS + (f"aggregates/macro_{table}_of",):
        run(con, macro)
    recorded = _episodes_recorded(con, table)
    values = params() | {"table": table, "build": _build_fingerprint(con, table, recorded)}
    clinics, why = _clinics_to_rebuild(con, table, values["build"], recorded)
    if clinics == []:
        log.info("[aggregates] agg.%s: no clinic's episodes changed since it was built", table)
        return count(con, "agg", table)
    threads = one_thread(con) if table in FLOAT_SUMS else nullcontext()
    with threads, transaction(con):
        values["clinics"] = clinics  # None: every clinic (the macros then filter nothing)
        if clinics is None:
            run(con, f"aggregates/{table}", values)
        else:
            run(con, f"aggregates/operations/delete_{table}", values)
            run(con, f"aggregates/operations/insert_{table}", values)
        _record(con, values, recorded)
    rows = count(con, "agg", table)
    if clinics is None:
        log.info("[aggregates] agg.%s rebuilt for every clinic: %s; %d rows", table, why, rows)
    else:
        log.info("[aggregates] agg.%s rebuilt for %d clinic(s): %s; %d rows", table, len(clinics),
                 ", ".join(clinics[:10]) + (" ..." if len(clinics) > 10 else ""), rows)
    return rows


def build_all(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Every agg table, in order; their row counts."""
    return {table: build(con, table) for table in TABLES}
