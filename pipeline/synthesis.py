"""Evidence across clinics (statistics.md): pooling, dose-response and risk-adjusted benchmarks.

Inputs are the published cells of ``marts.effect_sizes`` (already suppressed) and, for the
benchmark model, ``marts.episode_outcomes``. Every number comes from ``pipeline.stats``.
"""
from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd

from pipeline import contract, stats
from pipeline.stats import riskadjust
from pipeline.suppression import Hierarchy, suppress_counts

log = logging.getLogger("outcomes")

POOLED_COLUMNS = ["condition_group", "frequency_band", "measure", "method", "k", "estimate", "se", "ci_low",
                  "ci_high", "tau2", "i2", "q", "pred_low", "pred_high", "clinics"]
DOSE_COLUMNS = ["condition_group", "measure", "moderator", "method", "k", "intercept", "slope", "slope_se",
                "slope_ci_low", "slope_ci_high", "slope_p", "tau2"]
POINT_COLUMNS = ["condition_group", "measure", "moderator", "clinic_id", "frequency_band", "duration_band", "n",
                 "x", "yi", "vi"]
BENCH_COLUMNS = ["clinic_id", "condition_group", "measure", "n", "observed_improvement", "expected_improvement",
                 "difference", "difference_ci_low", "difference_ci_high", "observed_responder_rate",
                 "expected_responder_rate", "responder_difference", "responder_difference_ci_low",
                 "responder_difference_ci_high", "suppressed"]
FIT_COLUMNS = ["measure", "episodes", "parameters", "r2_improvement", "rmse_improvement", "pseudo_r2_responder"]
MIN_K_POOL = 2
MIN_K_REGRESSION = 3
BENCHMARK_COVARIATES = ("condition_group", "age_band", "sex", "payer")


def _published_clinic_cells(effects: pd.DataFrame) -> pd.DataFrame:
    cells = effects[(effects["level"] == "clinic") & ~effects["suppressed"].astype(bool)]
    return cells[cells["smcr"].notna() & cells["smcr_var"].notna()]


def pooled_effects(effects: pd.DataFrame) -> pd.DataFrame:
    """Per condition x band x measure, the clinics' SMCR pooled by REML (k >= 2 clinics)."""
    rows = []
    cells = _published_clinic_cells(effects)
    for (cg, band, measure), g in cells.groupby(["condition_group", "frequency_band", "measure"], sort=True):
        if len(g) < MIN_K_POOL:
            continue
        g = g.sort_values("clinic_id")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                p = stats.pool(g["smcr"].astype(float), g["smcr_var"].astype(float), method="REML")
        except stats.ConvergenceError:
            log.info("[synthesis] REML did not converge for %s / %s / %s; not pooled", cg, band, measure)
            continue
        rows.append({"condition_group": cg, "frequency_band": band, "measure": measure, "method": p.method,
                     "k": p.k, "estimate": p.estimate, "se": p.se, "ci_low": p.ci_low, "ci_high": p.ci_high,
                     "tau2": p.tau2, "i2": p.i2, "q": p.q, "pred_low": p.pred_low, "pred_high": p.pred_high,
                     "clinics": list(g["clinic_id"])})
    return pd.DataFrame(rows, columns=POOLED_COLUMNS)


def _regressions(points: pd.DataFrame) -> list[dict]:
    out = []
    for (cg, measure, moderator), g in points.groupby(["condition_group", "measure", "moderator"], sort=True):
        if len(g) < MIN_K_REGRESSION or g["x"].nunique() < 2:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                m = stats.metareg(g["yi"], g["vi"], g["x"], method="REML")
        except (stats.ConvergenceError, ValueError) as exc:
            log.info("[synthesis] no meta-regression for %s / %s / %s: %s", cg, measure, moderator, exc)
            continue
        out.append({"condition_group": cg, "measure": measure, "moderator": moderator, "method": m.method,
                    "k": m.k, "intercept": m.intercept, "slope": m.slope, "slope_se": m.slope_se,
                    "slope_ci_low": m.slope_ci_low, "slope_ci_high": m.slope_ci_high, "slope_p": m.slope_p,
                    "tau2": m.tau2})
    return out


def frequency_points(effects: pd.DataFrame, cells: pd.DataFrame) -> pd.DataFrame:
    """Published clinic x band cells (bands with a measured frequency) with their mean sessions per week."""
    pub = _published_clinic_cells(effects)
    pub = pub[~pub["frequency_band"].isin([contract.ALL_BANDS, contract.SINGLE_SESSION])]
    keys = ["level", "clinic_id", "condition_group", "frequency_band", "measure"]
    merged = pub.merge(cells[keys + ["mean_sessions_per_week"]], on=keys, how="left")
    return pd.DataFrame({
        "condition_group": merged["condition_group"], "measure": merged["measure"], "moderator": "sessions_per_week",
        "clinic_id": merged["clinic_id"], "frequency_band": merged["frequency_band"], "duration_band": None,
        "n": merged["n"].astype("int64"), "x": merged["mean_sessions_per_week"].astype(float),
        "yi": merged["smcr"].astype(float), "vi": merged["smcr_var"].astype(float),
    }, columns=POINT_COLUMNS)


def duration_points(duration_cells: pd.DataFrame, min_n: int) -> pd.DataFrame:
    """Network cells by session-length band, suppressed against their condition's total."""
    hidden = suppress_counts(duration_cells, ["n"], "n", min_n,
                             (Hierarchy(("condition_group", "measure"), "duration_band", "all"),))
    rows = []
    for cell in hidden[~hidden["suppressed"] & (hidden["duration_band"] != "all")].to_dict("records"):
        pp = stats.prepost_from_summary(
            n=int(cell["n"]), baseline_mean=float(cell["baseline_mean"]), baseline_sd=_num(cell["baseline_sd"]),
            final_mean=float(cell["final_mean"]), final_sd=_num(cell["final_sd"]), r_pre_post=_num(cell["r_pre_post"]),
            mean_improvement=float(cell["mean_improvement"]), sd_improvement=_num(cell["sd_improvement"]))
        if pp.smcr is None or pp.smcr_var is None:
            continue
        rows.append({"condition_group": cell["condition_group"], "measure": cell["measure"],
                     "moderator": "mean_duration_min", "clinic_id": None, "frequency_band": contract.ALL_BANDS,
                     "duration_band": cell["duration_band"], "n": int(cell["n"]),
                     "x": float(cell["mean_duration_min"]), "yi": pp.smcr, "vi": pp.smcr_var})
    return pd.DataFrame(rows, columns=POINT_COLUMNS)


def _num(value):
    return None if value is None or pd.isna(value) else float(value)


def dose_response(points: pd.DataFrame) -> pd.DataFrame:
    """Per condition x measure x moderator: REML meta-regression of SMCR on the exposure."""
    return pd.DataFrame(_regressions(points), columns=DOSE_COLUMNS)


def _design(frame: pd.DataFrame) -> np.ndarray:
    """Intercept, baseline, and one-hot case-mix covariates (first level of each is the reference)."""
    parts = [np.ones((len(frame), 1)), frame[["baseline"]].to_numpy(float)]
    for col in BENCHMARK_COVARIATES:
        levels = frame[col].fillna("unknown").astype(str)
        dummies = pd.get_dummies(levels, drop_first=True, dtype=float)
        parts.append(dummies.to_numpy())
    return np.hstack(parts)


def clinic_benchmarks(outcomes: pd.DataFrame, effects: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Observed vs expected per clinic x condition x measure, and the fit of each measure's models.

    Expected improvement: OLS per measure on baseline + condition + age band + sex + payer;
    expected responder: logistic regression on the same. A cell is suppressed exactly when its
    ``all``-band clinic cell of marts.effect_sizes is, and its responder figures are null when
    that cell's are.
    """
    frames, fits = [], []
    for measure, g in outcomes.groupby("measure", sort=True):
        g = g.reset_index(drop=True)
        X = _design(g)
        lin = riskadjust.ols(X, g["improvement"].to_numpy(float))
        logit = riskadjust.logistic(X, g["responder"].astype(float).to_numpy())
        fits.append({"measure": measure, "episodes": len(g), "parameters": lin.p, "r2_improvement": lin.r2,
                     "rmse_improvement": lin.rmse, "pseudo_r2_responder": logit.pseudo_r2})
        frames.append(g.assign(expected=lin.fitted, expected_p=logit.fitted))
    if not frames:
        return pd.DataFrame(columns=BENCH_COLUMNS), pd.DataFrame(fits, columns=FIT_COLUMNS)
    scored = pd.concat(frames, ignore_index=True)
    rows = []
    for (clinic, cg, measure), g in scored.groupby(["clinic_id", "condition_group", "measure"], sort=True):
        imp = riskadjust.observed_minus_expected(g["improvement"], g["expected"], "mean")
        resp = riskadjust.observed_minus_expected(g["responder"].astype(float), g["expected_p"], "rate")
        rows.append({"clinic_id": clinic, "condition_group": cg, "measure": measure, "n": imp.n,
                     "observed_improvement": imp.observed, "expected_improvement": imp.expected,
                     "difference": imp.difference, "difference_ci_low": imp.ci_low, "difference_ci_high": imp.ci_high,
                     "observed_responder_rate": resp.observed, "expected_responder_rate": resp.expected,
                     "responder_difference": resp.difference, "responder_difference_ci_low": resp.ci_low,
                     "responder_difference_ci_high": resp.ci_high})
    bench = pd.DataFrame(rows)
    flags = effects[(effects["level"] == "clinic") & (effects["frequency_band"] == contract.ALL_BANDS)]
    flags = flags.assign(resp_hidden=flags["responders"].isna())[["clinic_id", "condition_group", "measure", "suppressed", "resp_hidden"]]
    bench = bench.merge(flags, on=["clinic_id", "condition_group", "measure"], how="left")
    bench["suppressed"] = bench["suppressed"].fillna(True).astype(bool)
    bench["resp_hidden"] = bench["resp_hidden"].fillna(True).astype(bool)
    figures = [c for c in BENCH_COLUMNS if c not in ("clinic_id", "condition_group", "measure", "suppressed")]
    responder_figures = [c for c in figures if "responder" in c]
    bench[figures] = bench[figures].astype("object")
    bench.loc[bench["suppressed"], figures] = None
    bench.loc[bench["resp_hidden"], responder_figures] = None
    return bench[BENCH_COLUMNS], pd.DataFrame(fits, columns=FIT_COLUMNS)
