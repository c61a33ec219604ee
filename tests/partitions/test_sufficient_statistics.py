"""The case-mix models fitted on sufficient statistics (agg.benchmark_moments: cross-products
per clinic x measure x condition; agg.case_mix_counts: covariate patterns without outcomes)
give what ``pipeline.stats.riskadjust`` gives on the episodes themselves, and no table of them
has a row per episode."""
from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from pipeline import agg, contract
from pipeline.reference import load_reference
from pipeline.marts import _cells, benchmark_model_fit, clinic_benchmarks
from pipeline.stats import riskadjust


@pytest.fixture()
def outcomes() -> pd.DataFrame:
    rng = np.random.default_rng(42)
    n = 20_000
    frame = pd.DataFrame({
        "clinic_id": rng.choice(["c1", "c2", "c3"], n),
        "patient_id": [f"p{i:05d}" for i in range(n)],
        "episode_id": "e1",
        "condition_group": rng.choice(["low_back_pain", "neck_pain", "other"], n),
        "measure": rng.choice(["pain_nrs", "psfs"], n),
        "age_band": rng.choice(["18-29", "30-44", "45-64", None], n),
        "sex": rng.choice(["F", "M", None], n),
        "payer": rng.choice(["self", "insurance"], n),
        "baseline": rng.integers(2, 11, n).astype(float),
    })
    frame["improvement"] = np.round(0.3 * frame["baseline"] + rng.normal(0.5, 1.8, n), 1)
    frame["responder"] = frame["improvement"].round(9) >= 2.0
    return frame


def _baseline_band(baseline: pd.Series, lo: float, hi: float) -> pd.Series:
    """sql/aggregates/macro_baseline_band.sql, in pandas: which fifth of the scale."""
    k = np.minimum(np.floor(np.round(contract.BASELINE_BANDS * (baseline - lo) / (hi - lo), 9)),
                   contract.BASELINE_BANDS - 1).astype(int)
    width = 100 // contract.BASELINE_BANDS
    return k.map(lambda i: f"{i * width}-{(i + 1) * width}%")


def _linear_design(g: pd.DataFrame) -> np.ndarray:
    """Intercept, baseline and one-hot case mix (first level the reference): the least-squares
    model's design, one row per episode."""
    parts = [np.ones((len(g), 1)), g[["baseline"]].to_numpy(float)]
    for col in benchmark_model_fit.COVARIATES:
        parts.append(pd.get_dummies(g[col].fillna("unknown"), drop_first=True, dtype=float).to_numpy())
    return np.hstack(parts)


def _reference(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The episode-level computation: both models fitted on one row per episode."""
    scored, fits = [], []
    ranges = {"pain_nrs": (0.0, 10.0), "psfs": (0.0, 10.0)}
    for measure, g in frame.groupby("measure", sort=True):
        g = g.reset_index(drop=True)
        g["baseline_band"] = _baseline_band(g["baseline"], *ranges[measure])
        lin = riskadjust.ols(_linear_design(g), g["improvement"].to_numpy(float))
        X, _ = benchmark_model_fit.design(g)
        logit = riskadjust.logistic(X, g["responder"].astype(float).to_numpy())
        fits.append({"measure": measure, "episodes": len(g), "parameters": lin.p, "r2_improvement": lin.r2,
                     "rmse_improvement": lin.rmse, "pseudo_r2_responder": logit.pseudo_r2})
        scored.append(g.assign(expected=lin.fitted, expected_p=logit.fitted))
    rows = []
    for (clinic, cg, measure), g in pd.concat(scored).groupby(["clinic_id", "condition_group", "measure"], sort=True):
        imp = riskadjust.observed_minus_expected(g["improvement"], g["expected"], "mean")
        resp = riskadjust.observed_minus_expected(g["responder"].astype(float), g["expected_p"], "rate")
        rows.append({"clinic_id": clinic, "condition_group": cg, "measure": measure, "n": imp.n,
                     "observed_improvement": imp.observed, "expected_improvement": imp.expected,
                     "difference": imp.difference, "difference_ci_low": imp.ci_low, "difference_ci_high": imp.ci_high,
                     "observed_responder_rate": resp.observed, "expected_responder_rate": resp.expected,
                     "responder_difference": resp.difference, "responder_difference_ci_low": resp.ci_low,
                     "responder_difference_ci_high": resp.ci_high})
    return pd.DataFrame(rows), pd.DataFrame(fits)


def test_case_mix_models_from_sums_equal_the_episode_level_ones(outcomes):
    con = duckdb.connect()
    con.execute("create schema intermediate")
    con.execute("create schema ref")
    load_reference(con)
    con.register("frame", outcomes)
    con.execute("create table intermediate.int_episode_outcomes as select * from frame")
    agg.build(con, "benchmark_moments")
    agg.build(con, "case_mix_counts")
    cells = outcomes.groupby(["clinic_id", "condition_group", "measure"]).size().reset_index()[
        ["clinic_id", "condition_group", "measure"]]
    # the grain: a clinic x measure x condition (its pairs of terms), or a pattern without outcomes
    assert con.execute("select count(*) from (select distinct clinic_id, measure, condition_group "
                       "from agg.benchmark_moments)").fetchone()[0] == len(cells)
    assert con.execute("select count(*) from agg.case_mix_counts").fetchone()[0] < len(outcomes) / 4
    assert "improvement" not in con.table("agg.case_mix_counts").columns
    effects = cells.assign(level="clinic", frequency_band="all", suppressed=False, responders=1)
    con.execute("create schema marts")
    con.register("effects", effects)
    con.execute("create table marts.effect_sizes as select * from effects")
    clinic_benchmarks.build(con)
    bench, fits = _cells.read_mart(con, "clinic_benchmarks"), _cells.read_mart(con, "benchmark_model_fit")
    want_bench, want_fits = _reference(outcomes)

    assert list(fits["measure"]) == list(want_fits["measure"])
    for col in ["episodes", "parameters", "r2_improvement", "rmse_improvement", "pseudo_r2_responder"]:
        assert fits[col].to_numpy(float) == pytest.approx(want_fits[col].to_numpy(float), rel=1e-11), col
    merged = want_bench.merge(bench, on=["clinic_id", "condition_group", "measure"], suffixes=("", "_grouped"))
    assert len(merged) == len(want_bench) == len(bench)
    for col in want_bench.columns[3:]:
        got = merged[f"{col}_grouped"].astype(float).to_numpy()
        assert got == pytest.approx(merged[col].astype(float).to_numpy(), rel=1e-11, abs=1e-12), col
