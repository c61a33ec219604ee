"""From the cells' sufficient statistics (computed in DuckDB) to ``marts.effect_sizes``.

Python touches only the small table of cells: each row goes through ``pipeline.stats``
(the same functions notebooks use), then Benjamini-Hochberg per level, then suppression.
"""
from __future__ import annotations

from dataclasses import asdict

import pandas as pd

from pipeline import contract, stats
from pipeline.suppression import TREND_HIERARCHIES, suppress_effect_sizes

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


TREND_KEYS = ["level", "clinic_id", "condition_group", "measure", "period"]
TREND_FIGURES = ["n", "mean_improvement", "sd_improvement", "g_z", "g_z_ci_low", "g_z_ci_high", "responders",
                 "responder_rate", "responder_ci_low", "responder_ci_high"]


def clinic_trends(cells: pd.DataFrame, effects: pd.DataFrame, min_n: int = contract.SUPPRESSION_MIN_N) -> pd.DataFrame:
    """A clinic's effect by the period its episodes started, suppressed like the effect table.

    Each period's figures come from ``stats.prepost_from_summary``; the periods of a clinic x
    condition x measure add up to its 'all' row, which is the same set of episodes as the
    'all' band of marts.effect_sizes and is hidden wherever that cell is.
    """
    rows = []
    for c in cells.to_dict("records"):
        pp = stats.prepost_from_summary(
            n=int(c["n"]), baseline_mean=float(c["baseline_mean"]), baseline_sd=_none_if_nan(c["baseline_sd"]),
            final_mean=float(c["final_mean"]), final_sd=_none_if_nan(c["final_sd"]),
            r_pre_post=_none_if_nan(c["r_pre_post"]), mean_improvement=float(c["mean_improvement"]),
            sd_improvement=_none_if_nan(c["sd_improvement"]), responders=int(c["responders"]))
        rows.append({**{k: c[k] for k in TREND_KEYS}, **{f: getattr(pp, f) for f in TREND_FIGURES}})
    df = pd.DataFrame(rows, columns=TREND_KEYS + TREND_FIGURES)
    shared = effects[(effects["level"] == "clinic") & (effects["frequency_band"] == contract.ALL_BANDS)]
    shared = shared.assign(period=contract.ALL_BANDS, _hidden=shared["suppressed"].astype(bool),
                           _resp_hidden=shared["responders"].isna())
    flags = df[TREND_KEYS].merge(shared[TREND_KEYS + ["_hidden", "_resp_hidden"]], on=TREND_KEYS, how="left")
    out = suppress_effect_sizes(
        df, min_n, TREND_HIERARCHIES, tuple(TREND_KEYS),
        also_hidden=flags["_hidden"].fillna(False).astype(bool),
        also_responders_hidden=flags["_resp_hidden"].fillna(False).astype(bool),
    )
    return out[TREND_KEYS + TREND_FIGURES + ["suppressed"]]
