"""marts.effect_sizes (contract section 2): before/after effect sizes, suppressed.

Grain: one row per level (network, clinic) x clinic_id (null at network level) x
condition_group x frequency_band ('all' for the condition's total) x measure; unique on those.
Inputs: agg.effect_cells and agg.improvement_counts, summed to the four levels by
sql/marts/inputs/effect_sizes.sql (network rows and the 'all' band are sums of the clinic rows,
so a hub that merged several sites' agg tables gets the single run's cells).
Figures (statistics.md, "Effect sizes"): n, baseline/final mean and SD, r_pre_post,
mean/sd_improvement, d_z, g_z and its CI, smcr, smcr_var, responders, responder_rate and its
Wilson CI by ``stats.prepost_from_summary`` (array twin ``prepost_from_summary_arrays``);
wilcoxon_p by ``stats.wilcoxon_p_from_ranks``; q_value Benjamini-Hochberg per level over the
published cells ("q_value"); suppression by ``pipeline.suppression.suppress_effect_sizes``
(statistics.md, "Small-cell suppression").

Python touches only the table of cells, a whole column at a time; :func:`cell_figures` is the
per-row reference (one call of the scalar functions per cell) the tests compare with.
"""
from __future__ import annotations

import logging
from dataclasses import asdict

import duckdb
import numpy as np
import pandas as pd

from pipeline import contract, stats
from pipeline.marts._cells import figure_table, numbers, objects, prepost_arrays, prepost_row, read_input, replace_table
from pipeline.suppression import suppress_effect_sizes

log = logging.getLogger("outcomes")

TABLE = "effect_sizes"
KEYS = ["level", "clinic_id", "condition_group", "frequency_band", "measure"]
COLUMNS = KEYS + [
    "n", "baseline_mean", "baseline_sd", "final_mean", "final_sd", "r_pre_post",
    "mean_improvement", "sd_improvement", "d_z", "g_z", "g_z_ci_low", "g_z_ci_high",
    "smcr", "smcr_var", "wilcoxon_p", "responders", "responder_rate", "responder_ci_low",
    "responder_ci_high", "q_value", "suppressed",
]
FIGURE_COLUMNS = [c for c in COLUMNS if c not in ("q_value", "suppressed")]


def cell_figures(cell: dict) -> dict:
    """Every published figure of one cell from its sufficient statistics (unsuppressed).

    The per-row reference of :func:`effect_figures`, by the scalar functions."""
    p = stats.wilcoxon_p_from_ranks(
        n_nonzero=int(cell["n_nonzero"]), v_plus=float(cell["v_plus"]),
        tie_term=float(cell["tie_term"]), zeros=int(cell["zeros"]),
    )
    return {**{k: cell[k] for k in KEYS}, **asdict(prepost_row(cell, p))}


def effect_figures(cells: pd.DataFrame) -> pd.DataFrame:
    """Every figure of every cell, unsuppressed: the columns of marts.effect_sizes but
    ``q_value`` and ``suppressed``, one row per cell in the cells' order.

    The same table, value for value and dtype for dtype, as one :func:`cell_figures` per row;
    a figure undefined for a cell is NaN there (None in a column with no value at all)."""
    if cells.empty:
        return pd.DataFrame([], columns=FIGURE_COLUMNS)
    p = stats.wilcoxon_p_from_ranks_arrays(
        n_nonzero=numbers(cells, "n_nonzero"), v_plus=numbers(cells, "v_plus"),
        tie_term=numbers(cells, "tie_term"), zeros=numbers(cells, "zeros"),
    )
    return figure_table(cells, KEYS, prepost_arrays(cells, p).columns())


def effect_sizes(cells: pd.DataFrame, min_n: int = contract.SUPPRESSION_MIN_N) -> pd.DataFrame:
    """The effect-size table: figures per cell, suppression, then q-values over published cells."""
    df = effect_figures(cells)
    df["q_value"] = None
    df["suppressed"] = False
    df = suppress_effect_sizes(df, min_n)
    for level in ("network", "clinic"):
        mask = (df["level"] == level) & ~df["suppressed"].astype(bool)
        q = stats.bh_qvalues_array(df.loc[mask, "wilcoxon_p"].to_numpy(dtype=np.float64, na_value=np.nan))
        df.loc[mask, "q_value"] = pd.Series(objects(q), index=df.index[mask], dtype="object")
    return df[COLUMNS]


def cells(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The cells' sufficient statistics at every level, from agg.* (sql/marts/inputs/effect_sizes.sql)."""
    return read_input(con, "effect_sizes")


def build(con: duckdb.DuckDBPyConnection, settings: contract.Settings) -> int:
    """marts.effect_sizes from agg.effect_cells and agg.improvement_counts; returns its rows."""
    table = effect_sizes(cells(con), settings.suppression_min_n)
    replace_table(con, TABLE, table)
    shown = int((~table["suppressed"].astype(bool)).sum())
    log.info("[marts] effect_sizes: %d cells, %d published, %d suppressed (n < %d or to protect one)",
             len(table), shown, len(table) - shown, settings.suppression_min_n)
    return len(table)
