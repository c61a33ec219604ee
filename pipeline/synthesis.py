"""Evidence across clinics (statistics.md): pooling, dose-response and risk-adjusted benchmarks.

Inputs are the published cells of ``marts.effect_sizes`` (already suppressed) and, for the
benchmark model, ``marts.episode_outcomes``. Every number comes from ``pipeline.stats``.
"""
from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
from scipy import stats as sps

from pipeline import contract, stats
from pipeline.stats.pooling import weighable
from pipeline.suppression import Hierarchy, suppress_counts

log = logging.getLogger("outcomes")

POOLED_COLUMNS = ["condition_group", "frequency_band", "measure", "method", "k", "k_excluded", "estimate", "se",
                  "ci_low", "ci_high", "tau2", "i2", "q", "pred_low", "pred_high", "clinics"]
DOSE_COLUMNS = ["condition_group", "measure", "moderator", "method", "k", "k_excluded", "intercept", "slope",
                "slope_se", "slope_ci_low", "slope_ci_high", "slope_p", "tau2"]
POINT_COLUMNS = ["condition_group", "measure", "moderator", "clinic_id", "frequency_band", "duration_band", "n",
                 "x", "yi", "vi"]
BENCH_COLUMNS = ["clinic_id", "condition_group", "measure", "n", "observed_improvement", "expected_improvement",
                 "difference", "difference_ci_low", "difference_ci_high", "observed_responder_rate",
                 "expected_responder_rate", "responder_difference", "responder_difference_ci_low",
                 "responder_difference_ci_high", "suppressed"]
FIT_COLUMNS = ["measure", "episodes", "clinics", "design_columns", "parameters", "r2_improvement", "rmse_improvement",
               "pseudo_r2_responder", "covariates_constant", "responder_model", "note"]
MIN_K_POOL = 2
MIN_K_REGRESSION = 3
BENCHMARK_COVARIATES = ("condition_group", "age_band", "sex", "payer")


def _published_clinic_cells(effects: pd.DataFrame) -> pd.DataFrame:
    """Published clinic cells with an SMCR, each marked ``weighable`` when its sampling variance
    is finite and positive (statistics.md, pooling: a clinic whose every improvement is equal has
    smcr_var = 0, and one with an undefined figure a null; neither carries a weight a reviewer
    could check, so pooling and meta-regression leave them out and count them in k_excluded)."""
    cells = effects[(effects["level"] == "clinic") & ~effects["suppressed"].astype(bool)]
    cells = cells[cells["smcr"].notna()]
    return cells.assign(weighable=weighable(cells["smcr"], cells["smcr_var"]))


def pooled_effects(effects: pd.DataFrame) -> pd.DataFrame:
    """Per condition x band x measure, the clinics' SMCR pooled by REML (k >= 2 weighable clinics;
    ``k_excluded`` clinics with a published SMCR but a zero or undefined variance left out)."""
    rows = []
    cells = _published_clinic_cells(effects)
    for (cg, band, measure), g in cells.groupby(["condition_group", "frequency_band", "measure"], sort=True):
        excluded = int((~g["weighable"]).sum())
        g = g[g["weighable"]]
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
                     "k": p.k, "k_excluded": excluded, "estimate": p.estimate, "se": p.se, "ci_low": p.ci_low, "ci_high": p.ci_high,
                     "tau2": p.tau2, "i2": p.i2, "q": p.q, "pred_low": p.pred_low, "pred_high": p.pred_high,
                     "clinics": list(g["clinic_id"])})
    return pd.DataFrame(rows, columns=POOLED_COLUMNS)


def _regressions(points: pd.DataFrame) -> list[dict]:
    out = []
    for (cg, measure, moderator), g in points.groupby(["condition_group", "measure", "moderator"], sort=True):
        usable = weighable(g["yi"], g["vi"]) & np.isfinite(g["x"].to_numpy(float))
        excluded = int((~usable).sum())
        g = g[usable]
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
                    "k": m.k, "k_excluded": excluded, "intercept": m.intercept, "slope": m.slope, "slope_se": m.slope_se,
                    "slope_ci_low": m.slope_ci_low, "slope_ci_high": m.slope_ci_high, "slope_p": m.slope_p,
                    "tau2": m.tau2})
    return out


def frequency_points(effects: pd.DataFrame, cells: pd.DataFrame) -> pd.DataFrame:
    """Published clinic x band cells (bands with a measured frequency) with their mean sessions per week."""
    pub = _published_clinic_cells(effects)
    pub = pub[pub["smcr_var"].notna() & ~pub["frequency_band"].isin([contract.ALL_BANDS, contract.SINGLE_SESSION])]
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


def _design(frame: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Intercept, baseline, and one-hot case-mix covariates (first level of each is the reference),
    and the covariates that have one level only here (they add no column: nothing to adjust for)."""
    parts = [np.ones((len(frame), 1)), frame[["baseline"]].to_numpy(float)]
    constant = []
    for col in BENCHMARK_COVARIATES:
        levels = frame[col].fillna("unknown").astype(str)
        dummies = pd.get_dummies(levels, drop_first=True, dtype=float)
        if dummies.shape[1] == 0:
            constant.append(col)
        parts.append(dummies.to_numpy())
    return np.hstack(parts), constant


def _ols_grouped(X: np.ndarray, n: np.ndarray, mean: np.ndarray, m2: np.ndarray) -> tuple[np.ndarray, dict]:
    """``riskadjust.ols`` on episodes that share design rows: row g stands for ``n[g]`` episodes
    whose improvement has mean ``mean[g]`` and sum of squared deviations ``m2[g]``.

    The normal equations of the episodes are those of the groups weighted by n, so the
    (minimum-norm) coefficients and fitted values are the same; R^2 and RMSE add the groups'
    within sums of squares: SS_res = sum(m2) + sum(n (mean - fitted)^2).
    """
    w = np.sqrt(n)
    coef, *_ = np.linalg.lstsq(X * w[:, None], mean * w, rcond=None)
    fitted = X @ coef
    total = float(n.sum())
    grand = float(np.dot(n, mean)) / total
    within = float(m2.sum())
    ss_res = within + float(np.dot(n, (mean - fitted) ** 2))
    ss_tot = within + float(np.dot(n, (mean - grand) ** 2))
    return fitted, {"parameters": int(np.linalg.matrix_rank(X)),
                    "r2_improvement": 1.0 - ss_res / ss_tot if ss_tot > 0 else float("nan"),
                    "rmse_improvement": float(np.sqrt(ss_res / total))}


def _logistic_grouped(X: np.ndarray, n: np.ndarray, successes: np.ndarray, max_iter: int = 50,
                      tol: float = 1e-10, ridge: float = 1e-8) -> tuple[np.ndarray, float]:
    """``riskadjust.logistic`` on binomial groups (``successes`` of ``n`` episodes per design row):
    the same IRLS steps, ridge, clipping and stopping rule, with the episodes' weights
    ``W = n p (1 - p)`` and score ``X' (s - n p)``; the deviance is the episodes' deviance.
    Returns the fitted probability of each group and McFadden's pseudo R^2.
    """
    p = X.shape[1]
    beta = np.zeros(p)
    total, hits = float(n.sum()), float(successes.sum())
    ybar = hits / total
    if not 0 < ybar < 1:  # every episode, or none, reached the MCID: the model is that constant
        return np.full(len(n), ybar), float("nan")
    null_dev = -2.0 * (hits * np.log(ybar) + (total - hits) * np.log(1 - ybar))
    dev_old, eps = np.inf, 1e-15
    for _ in range(max_iter):
        prob = 1.0 / (1.0 + np.exp(-np.clip(X @ beta, -30, 30)))
        w = n * prob * (1 - prob)
        hess = X.T @ (X * w[:, None]) + ridge * np.eye(p)
        beta = beta + np.linalg.solve(hess, X.T @ (successes - n * prob))
        prob = 1.0 / (1.0 + np.exp(-np.clip(X @ beta, -30, 30)))
        dev = -2.0 * float(np.sum(successes * np.log(prob + eps) + (n - successes) * np.log(1 - prob + eps)))
        if abs(dev - dev_old) < tol * (abs(dev) + 0.1):
            break
        dev_old = dev
    return prob, (1.0 - dev / null_dev if null_dev > 0 else float("nan"))


def _fit_note(columns: int, rank: int, constant: list[str], rate: float, clinics: int) -> str:
    """What the case-mix models did on this measure, in plain words (marts.benchmark_model_fit.note)."""
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


def clinic_benchmarks(groups: pd.DataFrame, effects: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Observed vs expected per clinic x condition x measure, and the fit of each measure's models.

    Expected improvement: OLS per measure on baseline + condition + age band + sex + payer;
    expected responder: logistic regression on the same (``riskadjust.ols`` and
    ``riskadjust.logistic``, fitted on the grouped episodes of sql/marts/benchmark_inputs.sql:
    exact, since episodes of a group share their design row). Per clinic, as
    ``riskadjust.observed_minus_expected``: the mean of observed - expected with a t interval
    on its SD (improvement), and with the normal interval ``z sqrt(sum e (1 - e)) / n``
    (responders). A cell is suppressed exactly when its ``all``-band clinic cell of
    marts.effect_sizes is, and its responder figures are null when that cell's are.
    """
    frames, fits = [], []
    pattern = ["condition_group", *BENCHMARK_COVARIATES[1:], "baseline"]
    for measure, g in groups.groupby("measure", sort=True):
        g = g.reset_index(drop=True)
        g["sum_improvement"] = g["n"] * g["mean_improvement"]
        design = g.groupby(pattern, sort=True, dropna=False).agg(
            n=("n", "sum"), sum_improvement=("sum_improvement", "sum"), responders=("responders", "sum")).reset_index()
        # the pattern's within sum of squares: the clinics' own plus their means' spread around the pattern's mean
        design_mean = design["sum_improvement"] / design["n"]
        g = g.merge(design[pattern].assign(_row=np.arange(len(design)), _mean=design_mean), on=pattern, how="left")
        m2 = (g["m2_improvement"] + g["n"] * (g["mean_improvement"] - g["_mean"]) ** 2).groupby(g["_row"]).sum()
        X, constant = _design(design)
        n = design["n"].to_numpy(float)
        fitted, lin = _ols_grouped(X, n, design_mean.to_numpy(float), m2.sort_index().to_numpy(float))
        prob, pseudo_r2 = _logistic_grouped(X, n, design["responders"].to_numpy(float))
        rate = float(design["responders"].sum()) / float(n.sum())
        fits.append({"measure": measure, "episodes": int(n.sum()), "clinics": int(g["clinic_id"].nunique()),
                     "design_columns": int(X.shape[1]), **lin, "pseudo_r2_responder": pseudo_r2,
                     "covariates_constant": constant,
                     "responder_model": "logistic" if 0 < rate < 1 else f"constant {rate:g}",
                     "note": _fit_note(X.shape[1], lin["parameters"], constant, rate, g["clinic_id"].nunique())})
        frames.append(g.assign(expected=fitted[g["_row"].to_numpy()], expected_p=prob[g["_row"].to_numpy()]))
    if not frames:
        return pd.DataFrame(columns=BENCH_COLUMNS), pd.DataFrame(fits, columns=FIT_COLUMNS)
    scored = pd.concat(frames, ignore_index=True)
    n = scored["n"].astype(float)
    resid = scored["mean_improvement"] - scored["expected"]
    scored = scored.assign(
        sum_o=n * scored["mean_improvement"], sum_e=n * scored["expected"],
        ss=scored["m2_improvement"] + n * resid ** 2, sum_p=n * scored["expected_p"],
        var_p=n * scored["expected_p"] * (1 - scored["expected_p"]))
    cells = scored.groupby(["clinic_id", "condition_group", "measure"], sort=True).agg(
        n=("n", "sum"), sum_o=("sum_o", "sum"), sum_e=("sum_e", "sum"), ss=("ss", "sum"),
        responders=("responders", "sum"), sum_p=("sum_p", "sum"), var_p=("var_p", "sum")).reset_index()
    cn = cells["n"].to_numpy(float)
    diff = (cells["sum_o"] - cells["sum_e"]).to_numpy(float) / cn
    several = cn >= 2
    dof = np.where(several, cn - 1, 1)
    sd = np.sqrt(np.maximum(cells["ss"].to_numpy(float) - cn * diff ** 2, 0.0) / dof)
    half = sps.t.ppf(0.975, dof) * sd / np.sqrt(cn)
    rate_diff = (cells["responders"] - cells["sum_p"]).to_numpy(float) / cn
    rate_half = sps.norm.ppf(0.975) * np.sqrt(cells["var_p"].to_numpy(float)) / cn
    bench = pd.DataFrame({
        "clinic_id": cells["clinic_id"], "condition_group": cells["condition_group"], "measure": cells["measure"],
        "n": cells["n"].astype("int64"),
        "observed_improvement": cells["sum_o"] / cn, "expected_improvement": cells["sum_e"] / cn,
        "difference": diff, "difference_ci_low": np.where(several, diff - half, np.nan),
        "difference_ci_high": np.where(several, diff + half, np.nan),
        "observed_responder_rate": cells["responders"] / cn, "expected_responder_rate": cells["sum_p"] / cn,
        "responder_difference": rate_diff, "responder_difference_ci_low": np.where(several, rate_diff - rate_half, np.nan),
        "responder_difference_ci_high": np.where(several, rate_diff + rate_half, np.nan)})
    flags = effects[(effects["level"] == "clinic") & (effects["frequency_band"] == contract.ALL_BANDS)]
    flags = flags.assign(resp_hidden=flags["responders"].isna())[["clinic_id", "condition_group", "measure", "suppressed", "resp_hidden"]]
    bench = bench.merge(flags, on=["clinic_id", "condition_group", "measure"], how="left")
    bench["suppressed"] = bench["suppressed"].fillna(True).astype(bool)
    bench["resp_hidden"] = bench["resp_hidden"].fillna(True).astype(bool)
    figures = [c for c in BENCH_COLUMNS if c not in ("clinic_id", "condition_group", "measure", "suppressed")]
    responder_figures = [c for c in figures if "responder" in c]
    bench[figures] = bench[figures].astype("object")
    bench[figures] = bench[figures].where(bench[figures].notna(), None)
    bench.loc[bench["suppressed"], figures] = None
    bench.loc[bench["resp_hidden"], responder_figures] = None
    return bench[BENCH_COLUMNS], pd.DataFrame(fits, columns=FIT_COLUMNS)
