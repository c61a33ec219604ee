"""marts.benchmark_model_fit: the network-wide case-mix models of the risk-adjusted benchmarks,
and how well they fit, per measure.

Grain: one row per measure; unique on it. Input: agg.benchmark_groups summed over clinics into
one row per measure x case-mix pattern (sql/marts/inputs/benchmark_patterns.sql). Models
(statistics.md, "Risk-adjusted benchmarking"): expected improvement by OLS on baseline +
condition group + age band + sex + payer (``stats.riskadjust.ols_grouped``), expected responder
by logistic regression on the same (``stats.riskadjust.logistic_grouped``), both fitted on the
grouped episodes (exact: episodes of a pattern share their design row). Figures: episodes,
clinics, design_columns, parameters (rank), r2_improvement, rmse_improvement,
pseudo_r2_responder (McFadden), covariates_constant, responder_model, note.

Written in the step of marts.clinic_benchmarks (pipeline/marts/clinic_benchmarks.py), which
scores each clinic against the expected values of :func:`case_mix_models`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.stats import riskadjust

TABLE = "benchmark_model_fit"
COLUMNS = ["measure", "episodes", "clinics", "design_columns", "parameters", "r2_improvement", "rmse_improvement",
           "pseudo_r2_responder", "covariates_constant", "responder_model", "note"]
COVARIATES = ("condition_group", "age_band", "sex", "payer")
PATTERN = ["condition_group", "age_band", "sex", "payer", "baseline"]


def design(patterns: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Intercept, baseline, and one-hot case-mix covariates (first level of each is the reference),
    and the covariates that have one level only here (they add no column: nothing to adjust for)."""
    parts = [np.ones((len(patterns), 1)), patterns[["baseline"]].to_numpy(float)]
    constant = []
    for col in COVARIATES:
        levels = patterns[col].fillna("unknown").astype(str)
        dummies = pd.get_dummies(levels, drop_first=True, dtype=float)
        if dummies.shape[1] == 0:
            constant.append(col)
        parts.append(dummies.to_numpy())
    return np.hstack(parts), constant


def fit_note(columns: int, rank: int, constant: list[str], rate: float, clinics: int) -> str:
    """What the case-mix models did on this measure, in plain words (the ``note`` column)."""
    notes = []
    if constant:
        notes.append(f"one level only, not adjusted for: {', '.join(constant)}")
    if rank < columns:
        notes.append(f"singular design ({columns} columns, rank {rank}): minimum-norm least squares, "
                     "whose fitted values are unique")
    if not 0 < rate < 1:
        notes.append(f"{'every' if rate == 1 else 'no'} episode reached the MCID: the expected responder rate "
                     f"is {rate:g} for all, no logistic model")
    if clinics == 1:
        notes.append("one clinic: the model is fitted on it alone, so its observed equals its expected")
    return "; ".join(notes) or "full-rank design, both models fitted"


def _fit_measure(measure: str, p: pd.DataFrame, clinics: int) -> tuple[pd.DataFrame, dict]:
    X, constant = design(p)
    n = p["n"].to_numpy(float)
    lin = riskadjust.ols_grouped(X, n, p["mean_improvement"].to_numpy(float), p["m2_improvement"].to_numpy(float))
    logit = riskadjust.logistic_grouped(X, n, p["responders"].to_numpy(float))
    rate = float(p["responders"].sum()) / float(n.sum())
    fit = {"measure": measure, "episodes": lin.n, "clinics": clinics, "design_columns": int(X.shape[1]),
           "parameters": lin.p, "r2_improvement": lin.r2, "rmse_improvement": lin.rmse,
           "pseudo_r2_responder": logit.pseudo_r2, "covariates_constant": constant,
           "responder_model": "logistic" if 0 < rate < 1 else f"constant {rate:g}",
           "note": fit_note(X.shape[1], lin.p, constant, rate, clinics)}
    return p.assign(expected=lin.fitted, expected_p=logit.fitted), fit


def case_mix_models(patterns: pd.DataFrame, clinics: dict[str, int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per measure, both models fitted on its patterns (measure x PATTERN with n, mean_improvement,
    m2_improvement, responders; ``clinics`` = the clinics per measure): the patterns with their
    ``expected`` improvement and ``expected_p`` responder probability, and the fit table."""
    scored, fits = [], []
    for measure, p in patterns.groupby("measure", sort=True):
        s, fit = _fit_measure(measure, p.sort_values(PATTERN).reset_index(drop=True), clinics[measure])
        scored.append(s)
        fits.append(fit)
    expected = pd.concat(scored, ignore_index=True) if scored else patterns.assign(expected=[], expected_p=[])
    return expected, pd.DataFrame(fits, columns=COLUMNS)
