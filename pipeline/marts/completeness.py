"""marts.completeness: how complete the outcome data are, suppressed.

Grain: one row per level (network, clinic) x clinic_id (null at network level) x
condition_group x measure; unique on those. Inputs: agg.condition_episodes and
agg.completeness_cells summed to both levels (sql/marts/inputs/completeness.sql), and the
suppressed 'all'-band cells of marts.effect_sizes (sql/marts/inputs/completeness_hidden.sql).
Figures: episodes (of the condition), episodes_scored (any score of the measure),
episodes_with_baseline, episodes_complete (baseline and final: the n of the effect sizes'
'all' cell); contract section 3. Suppression (statistics.md, "Small-cell suppression"):
``suppress_counts`` on the counts and on their differences (counts of people too), and a row is
hidden wherever its 'all'-band effect cell is (else this page would undo that table's
complementary suppression).
"""
from __future__ import annotations

import logging

import duckdb
import pandas as pd

from pipeline import contract
from pipeline.marts._cells import read_input, replace_table
from pipeline.suppression import suppress_counts

log = logging.getLogger("outcomes")

TABLE = "completeness"
KEYS = ["level", "clinic_id", "condition_group", "measure"]
COUNTS = ["episodes", "episodes_scored", "episodes_with_baseline", "episodes_complete"]
# Differences of published counts are counts of people too: protected alike, not published.
DIFFERENCES = {
    "_unscored": ("episodes", "episodes_scored"),
    "_without_baseline": ("episodes_scored", "episodes_with_baseline"),
    "_without_final": ("episodes_with_baseline", "episodes_complete"),
}


def _matches(table: pd.DataFrame, keys: pd.DataFrame) -> pd.Series:
    marked = table[KEYS].merge(keys[KEYS].assign(_hit=True), on=KEYS, how="left")
    return marked["_hit"].fillna(False).astype(bool).set_axis(table.index)


def completeness(table: pd.DataFrame, hidden_cells: pd.DataFrame, min_n: int = contract.SUPPRESSION_MIN_N) -> pd.DataFrame:
    """The published completeness table from its counts and the effect table's hidden 'all' cells."""
    table = table.copy()
    for name, (whole, part) in DIFFERENCES.items():
        table[name] = table[whole] - table[part]
    published = suppress_counts(table, [*COUNTS, *DIFFERENCES], "episodes_scored", min_n,
                                also_hidden=_matches(table, hidden_cells))
    return published.drop(columns=list(DIFFERENCES))


def build(con: duckdb.DuckDBPyConnection, settings: contract.Settings) -> int:
    """marts.completeness from agg.condition_episodes, agg.completeness_cells and marts.effect_sizes."""
    table = completeness(read_input(con, "completeness"), read_input(con, "completeness_hidden"),
                         settings.suppression_min_n)
    replace_table(con, TABLE, table)
    log.info("[marts] completeness: %d level x condition x measure rows", len(table))
    return len(table)
