"""marts.dose_response: per condition x measure x moderator, a REML meta-regression of the
cells' SMCR on the exposure (sessions per week across frequency bands; mean session minutes
across session-length bands).

Grain: one row per condition_group x measure x moderator with at least MIN_K_REGRESSION
weighable cells and two distinct exposures; unique on those. Input: marts.dose_response_points.
Figures (statistics.md, "Dose-response"; "Pooling across clinics" for the weights and REML):
k, k_excluded, intercept, slope, slope_se, slope_ci_low/high, slope_p, tau2 by ``stats.metareg``.
"""
from __future__ import annotations

import logging
import warnings

import duckdb
import numpy as np
import pandas as pd

from pipeline import stats
from pipeline.marts._cells import read_mart, replace_table
from pipeline.stats.pooling import weighable

log = logging.getLogger("outcomes")

TABLE = "dose_response"
KEYS = ["condition_group", "measure", "moderator"]
COLUMNS = [*KEYS, "method", "k", "k_excluded", "intercept", "slope", "slope_se", "slope_ci_low", "slope_ci_high",
           "slope_p", "tau2"]
MIN_K_REGRESSION = 3


def _regression(key: tuple, g: pd.DataFrame) -> dict | None:
    usable = weighable(g["yi"], g["vi"]) & np.isfinite(g["x"].to_numpy(float))
    excluded = int((~usable).sum())
    g = g[usable]
    if len(g) < MIN_K_REGRESSION or g["x"].nunique() < 2:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            m = stats.metareg(g["yi"], g["vi"], g["x"], method="REML")
    except (stats.ConvergenceError, ValueError) as exc:
        log.info("[marts] no meta-regression for %s / %s / %s: %s", *key, exc)
        return None
    return {**dict(zip(KEYS, key)), "method": m.method, "k": m.k, "k_excluded": excluded, "intercept": m.intercept,
            "slope": m.slope, "slope_se": m.slope_se, "slope_ci_low": m.slope_ci_low,
            "slope_ci_high": m.slope_ci_high, "slope_p": m.slope_p, "tau2": m.tau2}


def dose_response(points: pd.DataFrame) -> pd.DataFrame:
    """Per condition x measure x moderator: REML meta-regression of SMCR on the exposure."""
    rows = [row for key, g in points.groupby(KEYS, sort=True) if (row := _regression(key, g)) is not None]
    return pd.DataFrame(rows, columns=COLUMNS)


def build(con: duckdb.DuckDBPyConnection) -> int:
    """marts.dose_response from marts.dose_response_points; returns its rows."""
    table = dose_response(read_mart(con, "dose_response_points"))
    replace_table(con, TABLE, table)
    log.info("[marts] dose_response: %d meta-regressions", len(table))
    return len(table)
