"""Building the intermediate tables and the marts from staging (full rebuild, set-based).

Each function runs SQL files of ``sql/`` with the contract's parameters and returns the row
counts it produced, for progress and asset metadata.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager

import duckdb
import pandas as pd

from pipeline import contract, synthesis
from pipeline.effects import clinic_trends, effect_sizes
from pipeline.suppression import suppress_counts
from pipeline.warehouse import count, frame, load_reference, run, table_frame  # noqa: F401 - load_reference: callers of models.load_reference

log = logging.getLogger("outcomes")


@contextmanager
def _one_thread(con: duckdb.DuckDBPyConnection):
    """Run the statements inside on one DuckDB thread. DuckDB's parallel aggregation combines
    partial sums in whichever order its threads finish, so a floating-point mean or SD could
    differ in the last bit between two runs on the same rows; on one thread the published
    figures are the same, bit for bit, every time (the incremental run equals a fresh one).
    Only for the small aggregations over marts.episode_outcomes."""
    threads = con.execute("select current_setting('threads')").fetchone()[0]
    con.execute("set threads = 1")
    try:
        yield
    finally:
        con.execute(f"set threads = {int(threads)}")


def band_params() -> dict:
    lows = {band: low for band, low, _ in contract.FREQUENCY_BANDS}
    return {"twice_weekly_min": lows["twice_weekly"], "weekly_min": lows["weekly"], "fortnightly_min": lows["fortnightly"]}


def _drop_if_table(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> None:
    """Drop a model that is now a view where an older warehouse still holds it as a table."""
    kind = con.execute("select table_type from information_schema.tables where table_schema = $s and table_name = $t",
                       {"s": schema, "t": name}).fetchall()
    if kind and kind[0][0] == "BASE TABLE":
        con.execute(f'drop table "{schema}"."{name}"')  # identifiers are constants of this module


CHUNK_SESSIONS = 2_500_000  # sessions per chunk of whole clinics: keeps the score aggregation in memory


def _clinic_chunks(con: duckdb.DuckDBPyConnection) -> list[list[str]]:
    """The clinics in consecutive chunks of at most CHUNK_SESSIONS sessions (a bigger clinic alone).
    Aggregating a 10M-session network at once spilled to disk under a 3 GB memory limit and cost
    1.7x the CPU of doing it in four chunks (docs/scaling.md)."""
    chunks: list[list[str]] = [[]]
    size = 0
    for clinic, sessions in run(con, "intermediate/clinic_sessions"):
        if chunks[-1] and size + sessions > CHUNK_SESSIONS:
            chunks.append([])
            size = 0
        chunks[-1].append(clinic)
        size += sessions
    return chunks


def build_episodes(con: duckdb.DuckDBPyConnection, settings: contract.Settings) -> dict[str, int]:
    """Sessions with condition groups (a view), episodes of care and their measured frequency."""
    _drop_if_table(con, "intermediate", "int_sessions")
    run(con, "intermediate/int_sessions")
    run(con, "intermediate/int_episode_sessions", {"gap_days": settings.episode_gap_days})
    run(con, "intermediate/int_episodes", band_params())
    run(con, "intermediate/create_int_episode_measures")
    for clinics in _clinic_chunks(con):
        run(con, "intermediate/int_episode_measures", {"clinics": clinics})
    counts = {t: count(con, "intermediate", t) for t in ("int_episode_sessions", "int_episodes", "int_episode_measures")}
    counts["int_sessions"] = counts["int_episode_sessions"]  # the same sessions (counting the view would compute it)
    log.info("[episodes] %d sessions in %d episodes; %d episode x measure series",
             counts["int_sessions"], counts["int_episodes"], counts["int_episode_measures"])
    return counts


def build_episode_outcomes(con: duckdb.DuckDBPyConnection) -> int:
    run(con, "marts/episode_outcomes")
    n = count(con, "marts", "episode_outcomes")
    log.info("[marts] episode_outcomes: %d episode x measure rows with a baseline and a final score", n)
    return n


def build_completeness(con: duckdb.DuckDBPyConnection, settings: contract.Settings) -> int:
    """marts.completeness, suppressed like every published table, and in step with effect_sizes:
    episodes_complete is the n of a condition's 'all' cell, so a row is hidden wherever that
    cell is (else the completeness page would undo the effect table's complementary suppression)."""
    run(con, "intermediate/int_completeness")
    table = table_frame(con, "intermediate", "int_completeness")
    # Differences of published counts are counts of people too: protect them alike.
    differences = {
        "_unscored": ("episodes", "episodes_scored"),
        "_without_baseline": ("episodes_scored", "episodes_with_baseline"),
        "_without_final": ("episodes_with_baseline", "episodes_complete"),
    }
    for name, (whole, part) in differences.items():
        table[name] = table[whole] - table[part]
    counts = ["episodes", "episodes_scored", "episodes_with_baseline", "episodes_complete", *differences]
    hidden_cells = frame(con, "marts/suppressed_totals")
    published = suppress_counts(table, counts, "episodes_scored", settings.suppression_min_n,
                                also_hidden=_matches(table, hidden_cells))
    published = published.drop(columns=list(differences))
    _replace_table(con, "marts.completeness", published)
    return len(published)


def _matches(table: pd.DataFrame, keys: pd.DataFrame) -> pd.Series:
    cols = ["level", "clinic_id", "condition_group", "measure"]
    marked = table[cols].merge(keys[cols].assign(_hit=True), on=cols, how="left")
    return marked["_hit"].fillna(False).astype(bool).set_axis(table.index)


def build_effect_sizes(con: duckdb.DuckDBPyConnection, settings: contract.Settings) -> int:
    """marts.effect_sizes: sufficient statistics in DuckDB, figures in pipeline.stats."""
    with _one_thread(con):
        run(con, "intermediate/int_effect_cells")
    cells = table_frame(con, "intermediate", "int_effect_cells")
    table = effect_sizes(cells, settings.suppression_min_n)
    _replace_table(con, "marts.effect_sizes", table)
    shown = int((~table["suppressed"].astype(bool)).sum())
    log.info("[marts] effect_sizes: %d cells, %d published, %d suppressed (n < %d or to protect one)",
             len(table), shown, len(table) - shown, settings.suppression_min_n)
    return len(table)


def _replace_table(con: duckdb.DuckDBPyConnection, name: str, frame) -> None:
    """Write a small pandas table as a warehouse table (name from a constant of this module)."""
    con.register("_frame", frame)
    try:
        con.execute(f"create or replace table {name} as select * from _frame")
    finally:
        con.unregister("_frame")


def build_clinic_trends(con: duckdb.DuckDBPyConnection, settings: contract.Settings) -> int:
    """marts.clinic_trends: each clinic's effect by the quarter (or year) its episodes started."""
    with _one_thread(con):
        run(con, "intermediate/int_trend_cells")
    table = clinic_trends(table_frame(con, "intermediate", "int_trend_cells"), table_frame(con, "marts", "effect_sizes"),
                          settings.suppression_min_n)
    _replace_table(con, "marts.clinic_trends", table)
    log.info("[marts] clinic_trends: %d clinic x condition x measure x period rows", len(table))
    return len(table)


def _duration_params() -> dict:
    his = {band: hi for band, _, hi in contract.DURATION_BANDS}
    return {"under_40_hi": his["under_40"], "d40_to_54_hi": his["40_to_54"], "d55_to_74_hi": his["55_to_74"]}


def build_pooled_effects(con: duckdb.DuckDBPyConnection) -> int:
    table = synthesis.pooled_effects(table_frame(con, "marts", "effect_sizes"))
    _replace_table(con, "marts.pooled_effects", table)
    log.info("[marts] pooled_effects: %d REML pooled estimates across clinics", len(table))
    return len(table)


def build_dose_response(con: duckdb.DuckDBPyConnection, settings: contract.Settings) -> int:
    with _one_thread(con):
        run(con, "intermediate/int_duration_cells", _duration_params())
    effects = table_frame(con, "marts", "effect_sizes")
    points = pd.concat([
        synthesis.frequency_points(effects, table_frame(con, "intermediate", "int_effect_cells")),
        synthesis.duration_points(table_frame(con, "intermediate", "int_duration_cells"), settings.suppression_min_n),
    ], ignore_index=True)
    table = synthesis.dose_response(points)
    _replace_table(con, "marts.dose_response_points", points)
    _replace_table(con, "marts.dose_response", table)
    log.info("[marts] dose_response: %d meta-regressions over %d cells", len(table), len(points))
    return len(table)


def build_clinic_benchmarks(con: duckdb.DuckDBPyConnection) -> int:
    with _one_thread(con):
        groups = frame(con, "marts/benchmark_inputs")
    bench, fits = synthesis.clinic_benchmarks(groups, table_frame(con, "marts", "effect_sizes"))
    _replace_table(con, "marts.clinic_benchmarks", bench)
    _replace_table(con, "marts.benchmark_model_fit", fits)
    log.info("[marts] clinic_benchmarks: %d clinic x condition x measure rows (risk-adjusted)", len(bench))
    return len(bench)
