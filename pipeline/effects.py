"""From the cells' sufficient statistics (computed in DuckDB) to ``marts.effect_sizes``.

Python touches only the small table of cells: each row goes through ``pipeline.stats``
(the same functions notebooks use), then Benjamini-Hochberg per level, then suppression.
"""
from __future__ import annotations

from dataclasses import asdict

import pandas as pd

from pipeline import contract, stats
from pipeline.suppression import suppress_effect_sizes

KEYS = ["level", "clinic_id", "condition_group", "frequency_band", "measure"]
COLUMNS = KEYS + [
    "n", "baseline_mean", "baseline_sd", "final_mean", "final_sd", "r_pre_post",
    "mean_improvement", "sd_improvement", "d_z", "g_z", "g_z_ci_low", "g_z_ci_high",
    "smcr", "smcr_var", "wilcoxon_p", "responders", "responder_rate", "responder_ci_low",
    "responder_ci_high", "q_value", "suppressed",
]


def _none_if_nan(value):
    return None if value is None or pd.isna(value) else value


def cell_figures(cell: dict) -> dict:
    """Every published figure of one cell from its sufficient statistics (unsuppressed)."""
    p = stats.wilcoxon_p_from_ranks(
        n_nonzero=int(cell["n_nonzero"]), v_plus=float(cell["v_plus"]),
        tie_term=float(cell["tie_term"]), zeros=int(cell["zeros"]),
    )
    pp = stats.prepost_from_summary(
        n=int(cell["n"]),
        baseline_mean=float(cell["baseline_mean"]), baseline_sd=_none_if_nan(cell["baseline_sd"]),
        final_mean=float(cell["final_mean"]), final_sd=_none_if_nan(cell["final_sd"]),
        r_pre_post=_none_if_nan(cell["r_pre_post"]),
        mean_improvement=float(cell["mean_improvement"]), sd_improvement=_none_if_nan(cell["sd_improvement"]),
        responders=int(cell["responders"]), wilcoxon_p=p,
    )
    return {**{k: cell[k] for k in KEYS}, **asdict(pp)}


def effect_sizes(cells: pd.DataFrame, min_n: int = contract.SUPPRESSION_MIN_N) -> pd.DataFrame:
    """The effect-size table: figures per cell, suppression, then q-values over published cells."""
    rows = [cell_figures(c) for c in cells.to_dict("records")]
    df = pd.DataFrame(rows, columns=[c for c in COLUMNS if c not in ("q_value", "suppressed")])
    df["q_value"] = None
    df["suppressed"] = False
    df = suppress_effect_sizes(df, min_n)
    for level in ("network", "clinic"):
        mask = (df["level"] == level) & ~df["suppressed"].astype(bool)
        df.loc[mask, "q_value"] = pd.Series(stats.bh_qvalues(list(df.loc[mask, "wilcoxon_p"])), index=df.index[mask], dtype="object")
    return df[COLUMNS]
