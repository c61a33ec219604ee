"""The case-mix models fitted on grouped episodes (agg.benchmark_groups: sufficient statistics,
one row per clinic x design row, summed over clinics) give what ``pipeline.stats.riskadjust``
gives on the episodes themselves."""
from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from pipeline import agg
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
        "baseline": rng.integers(2, 10, n).astype(float),
    })
    frame["improvement"] = np.round(0.3 * frame["baseline"] + rng.normal(0.5, 1.8, n), 1)
    frame["responder"] = frame["improvement"].round(9) >= 2.0
    return frame


def _reference(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The episode-level computation (the code before grouping)."""
    scored, fits = [], []
    for measure, g in frame.groupby("measure", sort=True):
        g = g.reset_index(drop=True)
        X, _ = benchmark_model_fit.design(g)
        lin = riskadjust.ols(X, g["improvement"].to_numpy(float))
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


def test_grouped_case_mix_models_equal_the_episode_level_ones(outcomes):
    con = duckdb.connect()
    con.execute("create schema intermediate")
    con.register("frame", outcomes)
    con.execute("create table intermediate.int_episode_outcomes as select * from frame")
    agg.build(con, "benchmark_groups")
    groups = _cells.read_input(con, "benchmark_groups")
    patterns = _cells.read_input(con, "benchmark_patterns")
    assert len(groups) < len(outcomes) / 2  # the point of grouping
    cells = outcomes.groupby(["clinic_id", "condition_group", "measure"]).size().reset_index()[
        ["clinic_id", "condition_group", "measure"]]
    effects = cells.assign(level="clinic", frequency_band="all", suppressed=False, responders=1)
    bench, fits = clinic_benchmarks.clinic_benchmarks(groups, patterns, effects)
    want_bench, want_fits = _reference(outcomes)

    assert list(fits["measure"]) == list(want_fits["measure"])
    for col in ["episodes", "parameters", "r2_improvement", "rmse_improvement", "pseudo_r2_responder"]:
        assert fits[col].to_numpy(float) == pytest.approx(want_fits[col].to_numpy(float), rel=1e-9), col
    merged = want_bench.merge(bench, on=["clinic_id", "condition_group", "measure"], suffixes=("", "_grouped"))
    assert len(merged) == len(want_bench) == len(bench)
    for col in want_bench.columns[3:]:
        got = merged[f"{col}_grouped"].astype(float).to_numpy()
        assert got == pytest.approx(merged[col].astype(float).to_numpy(), rel=1e-9, abs=1e-11), col
