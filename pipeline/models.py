"""Building the intermediate tables and the marts from staging (full rebuild, set-based).

Each function runs SQL files of ``sql/`` with the contract's parameters and returns the row
counts it produced, for progress and asset metadata.
"""
from __future__ import annotations

import logging

import duckdb

from pipeline import contract
from pipeline.effects import effect_sizes
from pipeline.suppression import suppress_counts
from pipeline.warehouse import REGISTRY_FILES, count, run, table_frame

log = logging.getLogger("outcomes")


def band_params() -> dict:
    lows = {band: low for band, low, _ in contract.FREQUENCY_BANDS}
    return {"twice_weekly_min": lows["twice_weekly"], "weekly_min": lows["weekly"], "fortnightly_min": lows["fortnightly"]}


def load_reference(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)load the measure registry and condition groups, which are data, into ``ref``."""
    for name, path in REGISTRY_FILES.items():
        run(con, f"ref/{name}", {"path": str(path)})


def build_episodes(con: duckdb.DuckDBPyConnection, settings: contract.Settings) -> dict[str, int]:
    """Sessions with condition groups, episodes of care and their measured frequency."""
    run(con, "intermediate/int_sessions")
    run(con, "intermediate/int_episode_sessions", {"gap_days": settings.episode_gap_days})
    run(con, "intermediate/int_episodes", band_params())
    run(con, "intermediate/int_episode_measures")
    counts = {t: count(con, "intermediate", t) for t in ("int_sessions", "int_episodes", "int_episode_measures")}
    log.info("[episodes] %d sessions in %d episodes; %d episode x measure series",
             counts["int_sessions"], counts["int_episodes"], counts["int_episode_measures"])
    return counts


def build_episode_outcomes(con: duckdb.DuckDBPyConnection) -> int:
    run(con, "marts/episode_outcomes")
    n = count(con, "marts", "episode_outcomes")
    log.info("[marts] episode_outcomes: %d episode x measure rows with a baseline and a final score", n)
    return n


def build_completeness(con: duckdb.DuckDBPyConnection, settings: contract.Settings) -> int:
    """marts.completeness, suppressed like every published table."""
    run(con, "intermediate/int_completeness")
    table = table_frame(con, "intermediate", "int_completeness")
    table["episodes_incomplete"] = table["episodes_scored"] - table["episodes_complete"]
    counts = ["episodes", "episodes_scored", "episodes_with_baseline", "episodes_complete", "episodes_incomplete"]
    published = suppress_counts(table, counts, "episodes_scored", settings.suppression_min_n)
    published = published.drop(columns=["episodes_incomplete"])
    _replace_table(con, "marts.completeness", published)
    return len(published)


def build_effect_sizes(con: duckdb.DuckDBPyConnection, settings: contract.Settings) -> int:
    """marts.effect_sizes: sufficient statistics in DuckDB, figures in pipeline.stats."""
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
