"""marts.pooled_effects: per condition x band x measure, the clinics' SMCR pooled by REML.

Grain: one row per condition_group x frequency_band (with 'all') x measure that has at least
MIN_K_POOL weighable clinics; unique on those. Input: marts.effect_sizes (its published,
already suppressed clinic cells). Figures (statistics.md, "Pooling across clinics"): method,
k, k_excluded, estimate, se, ci_low/high, tau2, i2, q, pred_low/high by ``stats.pool``
(metafor's REML); clinics: the clinic ids pooled, in order.
"""
from __future__ import annotations

import logging
import warnings

import duckdb
import pandas as pd

from pipeline import stats
from pipeline.marts._cells import read_mart, replace_table
from pipeline.stats.pooling import weighable

log = logging.getLogger("outcomes")

TABLE = "pooled_effects"
KEYS = ["condition_group", "frequency_band", "measure"]
COLUMNS = [*KEYS, "method", "k", "k_excluded", "estimate", "se", "ci_low", "ci_high", "tau2", "i2", "q",
           "pred_low", "pred_high", "clinics"]
MIN_K_POOL = 2


def published_clinic_cells(effects: pd.DataFrame) -> pd.DataFrame:
    """Published clinic cells with an SMCR, each marked ``weighable`` when its sampling variance
    is finite and positive (statistics.md, pooling: a clinic whose every improvement is equal has
    smcr_var = 0, and one with an undefined figure a null; neither carries a weight a reviewer
    could check, so pooling and meta-regression leave them out and count them in k_excluded)."""
    cells = effects[(effects["level"] == "clinic") & ~effects["suppressed"].astype(bool)]
    cells = cells[cells["smcr"].notna()]
    return cells.assign(weighable=weighable(cells["smcr"], cells["smcr_var"]))


def _pooled_row(key: tuple, g: pd.DataFrame) -> dict | None:
    excluded = int((~g["weighable"]).sum())
    g = g[g["weighable"]].sort_values("clinic_id")
    if len(g) < MIN_K_POOL:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            p = stats.pool(g["smcr"].astype(float), g["smcr_var"].astype(float), method="REML")
    except stats.ConvergenceError:
        log.info("[marts] REML did not converge for %s / %s / %s; not pooled", *key)
        return None
    return {**dict(zip(KEYS, key)), "method": p.method, "k": p.k, "k_excluded": excluded, "estimate": p.estimate,
            "se": p.se, "ci_low": p.ci_low, "ci_high": p.ci_high, "tau2": p.tau2, "i2": p.i2, "q": p.q,
            "pred_low": p.pred_low, "pred_high": p.pred_high, "clinics": list(g["clinic_id"])}


def pooled_effects(effects: pd.DataFrame) -> pd.DataFrame:
    """Per condition x band x measure, the clinics' SMCR pooled by REML (k >= 2 weighable clinics;
    ``k_excluded`` clinics with a published SMCR but a zero or undefined variance left out)."""
    groups = published_clinic_cells(effects).groupby(KEYS, sort=True)
    rows = [row for key, g in groups if (row := _pooled_row(key, g)) is not None]
    return pd.DataFrame(rows, columns=COLUMNS)


def build(con: duckdb.DuckDBPyConnection) -> int:
    """marts.pooled_effects from marts.effect_sizes; returns its rows."""
    table = pooled_effects(read_mart(con, "effect_sizes"))
    replace_table(con, TABLE, table)
    log.info("[marts] pooled_effects: %d REML pooled estimates across clinics", len(table))
    return len(table)
