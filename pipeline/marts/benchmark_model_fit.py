"""marts.benchmark_model_fit: the network-wide case-mix models of the risk-adjusted benchmarks,
and how well they fit, per measure.

Grain: one row per measure; unique on it. Inputs: agg.benchmark_moments summed over clinics
per measure x condition group (sql/marts/inputs/benchmark_moments.sql) and agg.case_mix_counts
summed over clinics (sql/marts/inputs/case_mix_patterns.sql): sufficient statistics, no row
per episode. Models (statistics.md, "Risk-adjusted benchmarking"): expected improvement by
least squares on baseline + condition group + age band + sex + payer, solved from the design's
cross-products X'X and X'd (``stats.riskadjust.ols_moments``); expected responder by logistic
regression on condition group + age band + sex + payer + baseline band (the baseline in
``contract.BASELINE_BANDS`` equal parts of the scale, so that its covariate patterns are
counts; ``stats.riskadjust.logistic_counts`` from the pattern counts and X'r). Both equal the
models fitted on the episodes themselves. Figures: episodes, clinics, design_columns,
parameters (rank), r2_improvement, rmse_improvement, pseudo_r2_responder (McFadden),
covariates_constant, responder_model, note.

Written in the step of marts.clinic_benchmarks (pipeline/marts/clinic_benchmarks.py), which
scores each clinic with the coefficients and probabilities of :func:`case_mix_models`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.stats import riskadjust

TABLE = "benchmark_model_fit"
COLUMNS = ["measure", "episodes", "clinics", "design_columns", "parameters", "r2_improvement", "rmse_improvement",
           "pseudo_r2_responder", "covariates_constant", "responder_model", "note"]
COVARIATES = ("condition_group", "age_band", "sex", "payer")
PATTERN = ["condition_group", "age_band", "sex", "payer", "baseline_band"]
FACTORS = ("age_band", "sex", "payer")  # the indicator terms of agg.benchmark_moments ('<factor>=<level>')
OUTCOMES = ("improvement", "responder")


def levels(patterns: pd.DataFrame, col: str) -> list[str]:
    """A covariate's levels on this measure, sorted (the first is the reference level)."""
    return sorted(patterns[col].fillna("unknown").astype(str).unique())


def design(patterns: pd.DataFrame, covariates=(*COVARIATES, "baseline_band")) -> tuple[np.ndarray, list[str]]:
    """The responder model's design, one row per pattern: intercept and one-hot covariates (first
    level of each is the reference), and the covariates that have one level only here (they add
    no column: nothing to adjust for)."""
    parts, constant = [np.ones((len(patterns), 1))], []
    for col in covariates:
        dummies = pd.get_dummies(patterns[col].fillna("unknown").astype(str), drop_first=True, dtype=float)
        if dummies.shape[1] == 0:
            constant.append(col)
        parts.append(dummies.to_numpy())
    return np.hstack(parts), constant


def linear_columns(patterns: pd.DataFrame) -> list[tuple[str, str]]:
    """The least-squares model's design columns: (kind, level) for the intercept, the baseline,
    and each non-reference level of condition group, age band, sex and payer."""
    cols = [("intercept", ""), ("baseline", "")]
    for col in COVARIATES:
        cols += [(col, level) for level in levels(patterns, col)[1:]]
    return cols


def term(column: tuple[str, str], condition: str) -> str | None:
    """The term of agg.benchmark_moments a design column is within the condition's episodes (a
    condition's indicator is the intercept there, another condition's none)."""
    kind, level = column
    if kind in ("intercept", "baseline"):
        return kind
    if kind == "condition_group":
        return "intercept" if level == condition else None
    return f"{kind}={level}"


def _lookup(moments: pd.DataFrame) -> dict[str, dict[tuple[str, str], float]]:
    """Per condition, its cross-products by pair of terms, both orders."""
    out: dict[str, dict[tuple[str, str], float]] = {}
    for cond, a, b, v in moments[["condition_group", "term_a", "term_b", "value"]].itertuples(index=False):
        entries = out.setdefault(cond, {})
        entries[(a, b)] = entries[(b, a)] = float(v)
    return out


def _outcome_products(zz: dict, columns: list[tuple[str, str]], outcome: str) -> np.ndarray:
    """X'<outcome> of the design columns, summed over the conditions' cross-products."""
    xty = np.zeros(len(columns))
    for cond, entries in zz.items():
        for j, tj in enumerate(term(c, cond) for c in columns):
            if tj is not None:
                xty[j] += entries.get((tj, outcome), 0.0)
    return xty


def _normal_equations(zz: dict, columns: list[tuple[str, str]], outcome: str) -> tuple[np.ndarray, np.ndarray]:
    """X'X and X'<outcome> of the design columns, summed over the conditions' cross-products."""
    xtx = np.zeros((len(columns), len(columns)))
    for cond, entries in zz.items():
        terms = [term(c, cond) for c in columns]
        for j, tj in enumerate(terms):
            if tj is None:
                continue
            for k, tk in enumerate(terms):
                if tk is not None:
                    xtx[j, k] += entries.get((tj, tk), 0.0)
    return xtx, _outcome_products(zz, columns, outcome)


def effective_coefficients(coef: np.ndarray, columns: list[tuple[str, str]], conditions: list[str]) -> pd.DataFrame:
    """Per condition and term of agg.benchmark_moments, the coefficient its value is multiplied
    by in an episode's expected improvement (the intercept's includes the condition's)."""
    rows = []
    for cond in conditions:
        gamma: dict[str, float] = {}
        for b, column in zip(coef, columns):
            t = term(column, cond)
            if t is not None:
                gamma[t] = gamma.get(t, 0.0) + float(b)
        rows += [(cond, t, g) for t, g in gamma.items()]
    return pd.DataFrame(rows, columns=["condition_group", "term", "gamma"])


def fit_note(columns: int, rank: int, constant: list[str], rate: float, clinics: int) -> str:
    """What the case-mix models did on this measure, in plain words (the ``note`` column)."""
    notes = []
    if constant:
        notes.append(f"one level only, not adjusted for: {', '.join(constant)}")
    if rank < columns:
        notes.append(f"singular design ({columns} columns, rank {rank}): one solution of the normal equations, "
                     "whose fitted values are unique")
    if not 0 < rate < 1:
        notes.append(f"{'every' if rate == 1 else 'no'} episode reached the MCID: the expected responder rate "
                     f"is {rate:g} for all, no logistic model")
    if clinics == 1:
        notes.append("one clinic: the model is fitted on it alone, so its observed equals its expected")
    return "; ".join(notes) or "full-rank design, both models fitted"


def _total(zz: dict, a: str, b: str) -> float:
    """The network's entry (a, b) of the cross-products: summed over the conditions."""
    return sum(entries.get((a, b), 0.0) for entries in zz.values())


def _fit_measure(measure: str, moments: pd.DataFrame, patterns: pd.DataFrame,
                 clinics: int) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    zz = _lookup(moments)
    columns = linear_columns(patterns)
    xtx, xtd = _normal_equations(zz, columns, "improvement")
    n = _total(zz, "intercept", "intercept")
    lin = riskadjust.ols_moments(xtx, xtd, _total(zz, "improvement", "improvement"), n,
                                 _total(zz, "intercept", "improvement"))
    X, constant = design(patterns)
    responder_columns = [("intercept", "")] + [(col, level) for col in PATTERN for level in levels(patterns, col)[1:]]
    xtr = _outcome_products(zz, responder_columns, "responder")
    logit = riskadjust.logistic_counts(X, patterns["n"].to_numpy(float), xtr)
    rate = _total(zz, "intercept", "responder") / n
    constant = [c for c in constant if c in COVARIATES]  # the baseline band is the baseline's, adjusted for
    fit = {"measure": measure, "episodes": lin.n, "clinics": clinics, "design_columns": len(columns),
           "parameters": lin.p, "r2_improvement": lin.r2, "rmse_improvement": lin.rmse,
           "pseudo_r2_responder": logit.pseudo_r2, "covariates_constant": constant,
           "responder_model": "logistic" if 0 < rate < 1 else f"constant {rate:g}",
           "note": fit_note(len(columns), lin.p, constant, rate, clinics)}
    gamma = effective_coefficients(lin.coef, columns, levels(patterns, "condition_group"))
    return gamma.assign(measure=measure), patterns.assign(measure=measure, expected_p=logit.fitted), fit


def case_mix_models(moments: pd.DataFrame, patterns: pd.DataFrame,
                    clinics: dict[str, int]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Per measure, both models fitted on the network's sums: ``moments`` (measure, condition_group,
    term_a, term_b, value: benchmark_moments.sql), ``patterns`` (measure, PATTERN, n:
    case_mix_patterns.sql), ``clinics`` = the clinics per measure. Returns the least-squares
    coefficient of every (measure, condition_group, term), the patterns with their responder
    probability ``expected_p``, and the fit table."""
    gammas, scored, fits = [], [], []
    by_measure = dict(tuple(moments.groupby("measure", sort=False)))
    for measure, p in patterns.groupby("measure", sort=True):
        g, s, fit = _fit_measure(measure, by_measure[measure],
                                 p.drop(columns="measure").sort_values(PATTERN).reset_index(drop=True),
                                 clinics[measure])
        gammas.append(g)
        scored.append(s)
        fits.append(fit)
    gamma = (pd.concat(gammas, ignore_index=True) if gammas
             else pd.DataFrame(columns=["condition_group", "term", "gamma", "measure"]))
    expected = pd.concat(scored, ignore_index=True) if scored else patterns.assign(expected_p=[])
    return gamma, expected, pd.DataFrame(fits, columns=COLUMNS)
