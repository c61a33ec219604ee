"""marts.dose_response_points: the published cells each dose-response regression uses.

Grain: one row per condition_group x measure x moderator x clinic_id x frequency_band x
duration_band; unique on those. Two moderators:
- ``sessions_per_week``: the published clinic x band cells of marts.effect_sizes (bands with a
  measured frequency, a defined smcr_var) with x = the cell's mean sessions per week
  (agg.effect_cells, sql/marts/inputs/frequency_exposure.sql);
- ``mean_duration_min``: network cells by session-length band (agg.duration_cells summed over
  clinics, sql/marts/inputs/duration_cells.sql), suppressed against their condition's total,
  with x = the cells' mean session minutes.
yi, vi: smcr and smcr_var (statistics.md, "Effect sizes"; "Dose-response").
"""
from __future__ import annotations

import logging

import duckdb
import numpy as np
import pandas as pd

from pipeline import contract
from pipeline.marts._cells import prepost_arrays, read_input, read_mart, replace_table
from pipeline.marts.pooled_effects import published_clinic_cells
from pipeline.suppression import Hierarchy, suppress_counts

log = logging.getLogger("outcomes")

TABLE = "dose_response_points"
COLUMNS = ["condition_group", "measure", "moderator", "clinic_id", "frequency_band", "duration_band", "n",
           "x", "yi", "vi"]
DURATION_HIERARCHY = (Hierarchy(("condition_group", "measure"), "duration_band", contract.ALL_BANDS),)


def frequency_points(effects: pd.DataFrame, exposure: pd.DataFrame) -> pd.DataFrame:
    """Published clinic x band cells (bands with a measured frequency) with their mean sessions per week."""
    pub = published_clinic_cells(effects)
    pub = pub[pub["smcr_var"].notna() & ~pub["frequency_band"].isin([contract.ALL_BANDS, contract.SINGLE_SESSION])]
    keys = ["level", "clinic_id", "condition_group", "frequency_band", "measure"]
    merged = pub.merge(exposure[keys + ["mean_sessions_per_week"]], on=keys, how="left")
    return pd.DataFrame({
        "condition_group": merged["condition_group"], "measure": merged["measure"], "moderator": "sessions_per_week",
        "clinic_id": merged["clinic_id"], "frequency_band": merged["frequency_band"], "duration_band": None,
        "n": merged["n"].astype("int64"), "x": merged["mean_sessions_per_week"].astype(float),
        "yi": merged["smcr"].astype(float), "vi": merged["smcr_var"].astype(float),
    }, columns=COLUMNS)


def duration_points(duration_cells: pd.DataFrame, min_n: int) -> pd.DataFrame:
    """Network cells by session-length band, suppressed against their condition's total; the cells
    whose smcr and smcr_var are defined."""
    hidden = suppress_counts(duration_cells, ["n"], "n", min_n, DURATION_HIERARCHY)
    shown = duration_cells[(~hidden["suppressed"].to_numpy(bool))
                           & (duration_cells["duration_band"] != contract.ALL_BANDS).to_numpy(bool)]
    shown = shown.reset_index(drop=True)
    figures = prepost_arrays(shown).columns()
    keep = np.isfinite(figures["smcr"]) & np.isfinite(figures["smcr_var"])
    return pd.DataFrame({
        "condition_group": shown["condition_group"][keep].tolist(), "measure": shown["measure"][keep].tolist(),
        "moderator": "mean_duration_min", "clinic_id": None, "frequency_band": contract.ALL_BANDS,
        "duration_band": shown["duration_band"][keep].tolist(), "n": shown["n"][keep].astype("int64").tolist(),
        "x": shown["mean_duration_min"][keep].astype(float).tolist(),
        "yi": figures["smcr"][keep].tolist(), "vi": figures["smcr_var"][keep].tolist(),
    }, columns=COLUMNS)


def build(con: duckdb.DuckDBPyConnection, settings: contract.Settings) -> int:
    """marts.dose_response_points from marts.effect_sizes, agg.effect_cells and agg.duration_cells."""
    points = pd.concat([
        frequency_points(read_mart(con, "effect_sizes"), read_input(con, "frequency_exposure")),
        duration_points(read_input(con, "duration_cells"), settings.suppression_min_n),
    ], ignore_index=True)
    replace_table(con, TABLE, points)
    log.info("[marts] dose_response_points: %d cells", len(points))
    return len(points)
