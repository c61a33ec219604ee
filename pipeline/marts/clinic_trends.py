"""marts.clinic_trends: each clinic's effect by the period its episodes started, suppressed.

Grain: one row per level ('clinic') x clinic_id x condition_group x measure x period (a
quarter 'YYYY-Qn' for dated clinics, the year for Safe Harbor clinics, 'all' for their sum);
unique on those. Input: agg.trend_cells (sql/marts/inputs/clinic_trends.sql sums the periods
into 'all') and marts.effect_sizes (its clinic x 'all'-band cells, the same episodes as a
trend's 'all' period: hidden there, hidden here). Figures (statistics.md, "Effect sizes"): n,
mean/sd_improvement, g_z and its CI, responders, responder_rate and its Wilson CI, by
``stats.prepost_from_summary`` (array twin); suppression as the effect table's
(statistics.md, "Small-cell suppression"), the periods summing to 'all'.
"""
from __future__ import annotations

import logging

import duckdb
import pandas as pd

from pipeline import contract
from pipeline.marts._cells import clinic_all_flags, figure_table, prepost_arrays, prepost_row, read_input, read_mart, replace_table
from pipeline.suppression import TREND_HIERARCHIES, suppress_effect_sizes

log = logging.getLogger("outcomes")

TABLE = "clinic_trends"
TREND_KEYS = ["level", "clinic_id", "condition_group", "measure", "period"]
TREND_FIGURES = ["n", "mean_improvement", "sd_improvement", "g_z", "g_z_ci_low", "g_z_ci_high", "responders",
                 "responder_rate", "responder_ci_low", "responder_ci_high"]
COLUMNS = TREND_KEYS + TREND_FIGURES + ["suppressed"]


def trend_cell_figures(cell: dict) -> dict:
    """The trend figures of one clinic x condition x measure x period: the per-row reference
    of :func:`trend_figures`, by ``stats.prepost_from_summary``."""
    pp = prepost_row(cell)
    return {**{k: cell[k] for k in TREND_KEYS}, **{f: getattr(pp, f) for f in TREND_FIGURES}}


def trend_figures(cells: pd.DataFrame) -> pd.DataFrame:
    """The trend table before suppression (TREND_KEYS + TREND_FIGURES), all cells at once;
    equal to one :func:`trend_cell_figures` per row."""
    if cells.empty:
        return pd.DataFrame([], columns=TREND_KEYS + TREND_FIGURES)
    figures = prepost_arrays(cells).columns()
    return figure_table(cells, TREND_KEYS, {f: figures[f] for f in TREND_FIGURES})


def clinic_trends(cells: pd.DataFrame, effects: pd.DataFrame, min_n: int = contract.SUPPRESSION_MIN_N) -> pd.DataFrame:
    """A clinic's effect by the period its episodes started, suppressed like the effect table;
    a clinic x condition x measure's 'all' row is hidden wherever its 'all'-band cell of
    marts.effect_sizes is."""
    df = trend_figures(cells)
    shared = clinic_all_flags(effects, TREND_KEYS, period=contract.ALL_BANDS)
    flags = df[TREND_KEYS].merge(shared, on=TREND_KEYS, how="left")
    out = suppress_effect_sizes(
        df, min_n, TREND_HIERARCHIES, tuple(TREND_KEYS),
        also_hidden=flags["_hidden"].fillna(False).astype(bool),
        also_responders_hidden=flags["_resp_hidden"].fillna(False).astype(bool),
    )
    return out[COLUMNS]


def build(con: duckdb.DuckDBPyConnection, settings: contract.Settings) -> int:
    """marts.clinic_trends from agg.trend_cells and marts.effect_sizes; returns its rows."""
    table = clinic_trends(read_input(con, "clinic_trends"), read_mart(con, "effect_sizes"), settings.suppression_min_n)
    replace_table(con, TABLE, table)
    log.info("[marts] clinic_trends: %d clinic x condition x measure x period rows", len(table))
    return len(table)
