"""Cross-check of the published tables against R (issue 4.5).

The pipeline runs on demo data into a temporary warehouse; ``marts.episode_outcomes`` is
exported to CSV and ``tests/r/crosscheck.R`` recomputes, with R's own implementations, every
figure of every published (not suppressed) cell of ``marts.effect_sizes`` at both levels and
for the band ``all``: n, means, SDs, r, mean/SD of improvement, d_z (effectsize), g_z and its
CI (metafor ``escalc("SMCC")``, exact correction, vtype "LS"; and effectsize ``hedges_g``),
smcr and smcr_var (``escalc("SMCR", vtype = "LS")``), the Wilcoxon p-value
(``wilcox.test(final, baseline, paired = TRUE)``), responders and the Wilson CI
(``prop.test(correct = FALSE)``) and the BH q-values (``p.adjust`` over the published cells of
a level). When the warehouse has ``marts.pooled_effects``, each pooled estimate is recomputed
with ``metafor::rma(yi, vi, method = <its method>)`` from R's own clinic-level smcr/smcr_var.
``tests/r/compare.R`` checks :func:`pipeline.cohorts.compare` (``t.test``, Newcombe from
``prop.test``). ``tests/r/casemix.R`` refits the case-mix models with ``lm()`` and
``glm(family = binomial)`` on one row per episode and recomputes every published
``marts.clinic_benchmarks`` row and ``marts.benchmark_model_fit`` (the pipeline fits them from
sums).

Tolerances: 1e-9 absolute for every figure, 1e-6 for p- and q-values, 1e-6 for pooled
estimates; counts exactly. ``pytest -s`` prints how many cells were compared and the largest
difference per figure.

Needs ``Rscript`` with metafor, effectsize and jsonlite (marker ``r``). Without them the
tests are skipped with the reason; with ``OUTCOMES_REQUIRE_R=1`` (set it in the CI job that
installs R) they fail instead, so a broken R install cannot pass silently.
"""
from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline.stats.pooling import VI_ZERO
from tests.network.test_degenerate_networks import CONSTANT, EQUAL, ONE_PATIENT, write_network
import pytest

from pipeline import cohorts
from pipeline.cli import main

pytestmark = pytest.mark.r

HERE = Path(__file__).resolve().parent
CROSSCHECK_R = HERE / "crosscheck.R"
COMPARE_R = HERE / "compare.R"
R_PACKAGES = ("metafor", "effectsize", "jsonlite")
APT = "apt-get install r-base-core r-cran-metafor r-cran-effectsize r-cran-jsonlite"

KEYS = ["level", "clinic_id", "condition_group", "frequency_band", "measure"]
POOL_KEYS = ["condition_group", "frequency_band", "measure", "method"]
FIGURE_TOL = 1e-9
P_TOL = 1e-6
POOL_TOL = 1e-6

# (figure in marts.effect_sizes, column of R's output, tolerance); None = exact
CELL_FIGURES = [
    ("n", "n", None),
    ("baseline_mean", "baseline_mean", FIGURE_TOL),
    ("baseline_sd", "baseline_sd", FIGURE_TOL),
    ("final_mean", "final_mean", FIGURE_TOL),
    ("final_sd", "final_sd", FIGURE_TOL),
    ("r_pre_post", "r_pre_post", FIGURE_TOL),
    ("mean_improvement", "mean_improvement", FIGURE_TOL),
    ("sd_improvement", "sd_improvement", FIGURE_TOL),
    ("d_z", "d_z", FIGURE_TOL),
    ("g_z", "g_z", FIGURE_TOL),
    ("g_z", "g_z_effectsize", FIGURE_TOL),
    ("g_z_ci_low", "g_z_ci_low", FIGURE_TOL),
    ("g_z_ci_high", "g_z_ci_high", FIGURE_TOL),
    ("smcr", "smcr", FIGURE_TOL),
    ("smcr_var", "smcr_var", FIGURE_TOL),
    ("wilcoxon_p", "wilcoxon_p", P_TOL),
    ("responders", "responders", None),
    ("responder_rate", "responder_rate", FIGURE_TOL),
    ("responder_ci_low", "responder_ci_low", FIGURE_TOL),
    ("responder_ci_high", "responder_ci_high", FIGURE_TOL),
    ("q_value", "q_value", P_TOL),
]
RESPONDER_FIGURES = {"responders", "responder_rate", "responder_ci_low", "responder_ci_high"}
POOL_FIGURES = ["estimate", "se", "ci_low", "ci_high", "tau2", "i2", "q", "pred_low", "pred_high"]


def _r_unavailable() -> str | None:
    if shutil.which("Rscript") is None:
        return f"Rscript is not on PATH (install R: {APT})"
    probe = subprocess.run(
        ["Rscript", "-e", "for (p in commandArgs(TRUE)) if (!requireNamespace(p, quietly = TRUE)) cat(p, '')",
         *R_PACKAGES],
        capture_output=True, text=True, timeout=120,
    )
    if probe.returncode != 0:
        return f"Rscript does not run: {probe.stderr.strip()[:300]}"
    missing = probe.stdout.split()
    if missing:
        return f"R package(s) {', '.join(missing)} not installed ({APT})"
    return None


def _require_r() -> None:
    reason = _r_unavailable()
    if reason:
        if os.environ.get("OUTCOMES_REQUIRE_R"):
            pytest.fail(f"OUTCOMES_REQUIRE_R is set but {reason}")
        pytest.skip(reason)


def _rscript(*args: str | Path) -> None:
    proc = subprocess.run(["Rscript", "--vanilla", *map(str, args)], capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, f"Rscript failed:\n{proc.stderr[-3000:]}"


def _frame(con, sql: str) -> pd.DataFrame:
    return con.sql(sql).to_arrow_table().to_pandas()


@dataclass
class CrossCheck:
    mart: pd.DataFrame           # marts.effect_sizes
    r_cells: pd.DataFrame        # tests/r/crosscheck.R cells.csv
    pooled: pd.DataFrame | None  # marts.pooled_effects, if built
    r_pooled: pd.DataFrame | None
    session: dict
    warehouse: Path = field(default=Path())


# A network of degenerate clinics (tests/network): unchanged scores (sd(d) = 0, r = 1,
# smcr_var = 0), every change equal to the MCID, single-day episodes, a one-patient clinic,
# beside ordinary ones; R must agree wherever a figure is defined and be NA where it is null.
DEGENERATE = [dict(ONE_PATIENT), dict(CONSTANT), dict(CONSTANT), dict(EQUAL), dict(EQUAL),
              {**EQUAL, "modes": ("random", "random", "random"), "patients": 24}]


@pytest.fixture(scope="module", params=["demo", "degenerate"])
def crosscheck(request, tmp_path_factory) -> CrossCheck:
    _require_r()
    root = tmp_path_factory.mktemp("rcheck")
    inbox, wh, reports = root / "inbox", root / "w.duckdb", root / "reports"
    if request.param == "demo":
        assert main(["demo", "--out", str(inbox)]) == 0
    else:
        write_network(inbox, DEGENERATE, seed=5)
    assert main(["run", "--inbox", str(inbox), "--warehouse", str(wh), "--reports", str(reports)]) == 0, \
        "outcomes run failed (see the captured output)"
    rin, rout = root / "r_in", root / "r_out"
    rin.mkdir()
    con = cohorts.open_warehouse(wh)
    try:
        eo = _frame(con, "select clinic_id, condition_group, frequency_band, measure, baseline, final, "
                         "improvement, responder from marts.episode_outcomes")
        eo.to_csv(rin / "episode_outcomes.csv", index=False)
        back = pd.read_csv(rin / "episode_outcomes.csv")
        for col in ("baseline", "final", "improvement"):  # the CSV holds every bit
            assert (back[col].to_numpy() == eo[col].to_numpy()).all(), col
        _frame(con, "select code, better, mcid from ref.measures").to_csv(rin / "measures.csv", index=False)
        mart = _frame(con, "select * from marts.effect_sizes")
        mart[KEYS + ["suppressed"]].to_csv(rin / "cells.csv", index=False)
        has_pooled = bool(con.sql("select count(*) from information_schema.tables where table_schema = 'marts' "
                                  "and table_name = 'pooled_effects'").fetchall()[0][0])
        pooled = _frame(con, "select * from marts.pooled_effects") if has_pooled else None
    finally:
        con.close()
    if pooled is not None:
        pooled[POOL_KEYS].to_csv(rin / "pooled.csv", index=False)
    _rscript(CROSSCHECK_R, rin, rout)
    r_cells = pd.read_csv(rout / "cells.csv", keep_default_na=False, na_values=[""],
                          dtype={"clinic_id": "object"})
    r_pooled = pd.read_csv(rout / "pooled.csv", keep_default_na=False, na_values=[""]) if pooled is not None else None
    session = json.loads((rout / "session.json").read_text())
    return CrossCheck(mart, r_cells, pooled, r_pooled, session, wh)


def _key_frame(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["clinic_id"] = out["clinic_id"].astype("object").where(out["clinic_id"].notna(), "")
    return out


def _num(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _report(title: str, rows: list[tuple[str, int, float, float | None, str]]) -> None:
    print(f"\n{title}")
    print(f"  {'figure':<28}{'compared':>9}{'largest |diff|':>17}{'tolerance':>11}  where")
    for name, count, diff, tol, where in rows:
        tol_text = "exact" if tol is None else f"{tol:.0e}"
        print(f"  {name:<28}{count:>9}{diff:>17.3e}{tol_text:>11}  {where}")


def test_every_cell_of_the_mart_is_a_cell_of_the_data(crosscheck):
    """Same set of cells as R derives from episode_outcomes, the same n for published ones."""
    mart, r = _key_frame(crosscheck.mart), _key_frame(crosscheck.r_cells)
    mk = set(map(tuple, mart[KEYS].to_numpy()))
    rk = set(map(tuple, r[KEYS].to_numpy()))
    assert not (mk - rk), f"cells in marts.effect_sizes without episodes: {sorted(mk - rk)[:5]}"
    assert not (rk - mk), f"cells with episodes missing from marts.effect_sizes: {sorted(rk - mk)[:5]}"
    both = mart.merge(r, on=KEYS, suffixes=("", "_r"))
    assert (both["suppressed"] == ~both["published"]).all()
    pub = both[~both["suppressed"]]
    assert (pub["n"].astype(int) == pub["n_r"].astype(int)).all()
    # nothing below the threshold is published, and every suppressed cell is empty
    assert (pub["n"].astype(int) >= 11).all()
    assert both.loc[both["suppressed"], "n"].isna().all()


def test_published_cells_match_r(crosscheck):
    mart, r = _key_frame(crosscheck.mart), _key_frame(crosscheck.r_cells)
    both = mart[~mart["suppressed"]].merge(r, on=KEYS, suffixes=("", "_r"), validate="one_to_one")
    assert len(both) == int((~mart["suppressed"]).sum()) > 0
    levels = both["level"].value_counts().to_dict()
    bands_all = int((both["frequency_band"] == "all").sum())

    # the mart's improvement and responder columns agree with R's recomputation, row by row
    assert float(both["improvement_max_abs_diff"].max()) == 0.0
    assert (both["responder_column_count"].astype(int) == both["responders_r"].astype(int)).all()

    disagreements: list[str] = []
    rows = []
    for figure, r_col, tol in CELL_FIGURES:
        r_name = r_col if r_col != figure else f"{figure}_r"
        if r_name not in both.columns:
            r_name = r_col
        compared, largest, where, hidden = 0, 0.0, "", 0
        for _, cell in both.iterrows():
            ours, theirs = _num(cell[figure]), _num(cell[r_name])
            key = "/".join(str(cell[k]) for k in KEYS if cell[k] != "")
            if ours is None and figure in RESPONDER_FIGURES:
                hidden += 1  # responder suppression: R computes it anyway
                continue
            if ours is None or theirs is None:
                if (ours is None) != (theirs is None):
                    disagreements.append(f"{figure} ({r_col}) at {key}: ours {ours}, R {theirs}")
                continue
            diff = abs(ours - theirs)
            compared += 1
            if diff >= largest:
                largest, where = diff, key
            if (tol is None and ours != theirs) or (tol is not None and not diff <= tol):
                disagreements.append(f"{figure} ({r_col}) at {key}: ours {ours!r}, R {theirs!r}, |diff| {diff:.3e}")
        label = figure if r_col == figure else f"{figure} vs {r_col}"
        rows.append((label, compared, largest, tol, where))
    print(f"\n{crosscheck.session['r']}, metafor {crosscheck.session['metafor']}, "
          f"effectsize {crosscheck.session['effectsize']}")
    print(f"published cells compared: {len(both)} (network {levels.get('network', 0)}, clinic "
          f"{levels.get('clinic', 0)}; {bands_all} of them band 'all') of {len(mart)} cells; "
          f"{int(both['wilcoxon_exact'].sum())} on the exact Wilcoxon branch")
    _report("largest difference per figure (marts.effect_sizes vs R):", rows)
    assert not disagreements, f"{len(disagreements)} disagreement(s):\n" + "\n".join(disagreements[:40])
    assert all(count > 0 for _, count, _, _, _ in rows)


def test_pooled_effects_match_metafor_rma(crosscheck):
    if crosscheck.pooled is None:
        pytest.skip("marts.pooled_effects is not in this warehouse: no pooled estimates to compare")
    pooled, r = crosscheck.pooled, crosscheck.r_pooled
    assert len(pooled) > 0, "marts.pooled_effects is empty"
    both = pooled.merge(r, on=POOL_KEYS, suffixes=("", "_r"), validate="one_to_one")
    assert len(both) == len(pooled)
    errors = both[both["error"].notna()]
    assert errors.empty, "metafor failed:\n" + errors[POOL_KEYS + ["error"]].to_string()

    disagreements: list[str] = []
    for _, row in both.iterrows():
        key = "/".join(str(row[k]) for k in POOL_KEYS)
        if int(row["k"]) != int(row["k_r"]):
            disagreements.append(f"k at {key}: ours {row['k']}, R {row['k_r']}")
        if "clinics" in pooled.columns:
            ours = ";".join(sorted(row["clinics"]))
            if ours != row["clinics_r"]:
                disagreements.append(f"clinics at {key}: ours {ours}, R {row['clinics_r']}")
    rows = []
    for figure in POOL_FIGURES:
        compared, largest, where = 0, 0.0, ""
        for _, row in both.iterrows():
            key = "/".join(str(row[k]) for k in POOL_KEYS)
            ours, theirs = _num(row[figure]), _num(row[f"{figure}_r"])
            if ours is None or theirs is None:
                if (ours is None) != (theirs is None):
                    disagreements.append(f"{figure} at {key}: ours {ours}, R {theirs}")
                continue
            diff = abs(ours - theirs)
            compared += 1
            if diff >= largest:
                largest, where = diff, key
            if not diff <= POOL_TOL:
                disagreements.append(f"{figure} at {key}: ours {ours!r}, R {theirs!r}, |diff| {diff:.3e}")
        rows.append((figure, compared, largest, POOL_TOL, where))
    methods = both["method"].value_counts().to_dict()
    print(f"\npooled estimates compared with metafor rma: {len(both)} {methods}, k from "
          f"{int(both['k'].min())} to {int(both['k'].max())}")
    _report("largest difference per figure (marts.pooled_effects vs metafor):", rows)

    # every condition x band x measure with enough published clinic cells is pooled
    cells = _key_frame(crosscheck.r_cells)
    eligible = cells[(cells["level"] == "clinic") & cells["published"] & cells["smcr"].notna()
                     & cells["smcr_var"].notna() & (cells["smcr_var"].astype(float) > VI_ZERO)]
    k_min = max(2, int(pooled["k"].min()))
    counts = eligible.groupby(["condition_group", "frequency_band", "measure"]).size()
    expected = {idx for idx, k in counts.items() if k >= k_min}
    present = set(map(tuple, pooled[["condition_group", "frequency_band", "measure"]].to_numpy()))
    missing = sorted(expected - present)
    print(f"groups with k >= {k_min} published clinic cells: {len(expected)}; pooled: {len(present)}")
    assert not missing, f"not pooled although k >= {k_min}: {missing[:10]}"
    assert not disagreements, f"{len(disagreements)} disagreement(s):\n" + "\n".join(disagreements[:40])


def test_compare_matches_r_t_test_and_prop_test(crosscheck, request, tmp_path):
    if "degenerate" in request.node.callspec.id:
        pytest.skip("the cohort comparisons are planned on the demo's cohorts")
    con = cohorts.open_warehouse(crosscheck.warehouse)
    pairs, results = [], []
    try:
        C = cohorts.Cohort
        plans = [(C(condition_group="neck_pain", frequency_band="twice_weekly"),
                  C(condition_group="neck_pain", frequency_band="monthly"), m)
                 for m in ("pain_nrs", "ndi", "psfs", "rom_cervical_rotation")]
        plans += [(C(condition_group="low_back_pain", payer="insurance"), C(condition_group="low_back_pain", payer="self"), m)
                  for m in ("pain_nrs", "odi", "rmdq")]
        plans += [(C(frequency_band="weekly", sex="F"), C(frequency_band="fortnightly", sex="F"), "gad7")]
        for a, b, measure in plans:
            got = cohorts.compare(con, a, b, measure, min_n=1)  # no suppression: compare every figure
            ea = cohorts.cohort_outcomes(con, cohorts.Cohort(**{**a.filters(), "measure": measure}))
            eb = cohorts.cohort_outcomes(con, cohorts.Cohort(**{**b.filters(), "measure": measure}))
            pairs.append({"a": ea["improvement"].tolist(), "b": eb["improvement"].tolist(),
                          "xa": int(ea["responder"].sum()), "na": len(ea),
                          "xb": int(eb["responder"].sum()), "nb": len(eb)})
            results.append(got)
    finally:
        con.close()
    spec, out = tmp_path / "pairs.json", tmp_path / "out.json"
    spec.write_text(json.dumps(pairs))
    _rscript(COMPARE_R, spec, out)
    want = json.loads(out.read_text())
    rows, bad = [], []
    for name in want[0]:
        tol = P_TOL if name.endswith("_p") else FIGURE_TOL
        largest, compared = 0.0, 0
        for got, w in zip(results, want):
            ours, theirs = getattr(got, name), (None if w[name] is None else float(w[name]))
            if ours is None or theirs is None:
                if (ours is None) != (theirs is None):
                    bad.append(f"{name} {got.cohort_a} vs {got.cohort_b} {got.measure}: ours {ours}, R {theirs}")
                continue
            diff = abs(ours - theirs)
            largest, compared = max(largest, diff), compared + 1
            if not diff <= tol:
                bad.append(f"{name} {got.cohort_a} vs {got.cohort_b} {got.measure}: ours {ours!r}, R {theirs!r}")
        rows.append((name, compared, largest, tol, ""))
    _report(f"cohorts.compare vs R t.test / prop.test ({len(pairs)} comparisons):", rows)
    assert not bad, "\n".join(bad)
    assert all(math.isfinite(r.welch_df) for r in results)


CASEMIX_R = HERE / "casemix.R"
BENCH_KEYS = ["clinic_id", "condition_group", "measure"]
IMPROVEMENT_FIGURES = ["observed_improvement", "expected_improvement", "difference", "difference_ci_low",
                       "difference_ci_high"]
RESPONDER_BENCH_FIGURES = ["observed_responder_rate", "expected_responder_rate", "responder_difference",
                           "responder_difference_ci_low", "responder_difference_ci_high"]
CASEMIX_TOL = 1e-9  # least squares: the normal equations from exact sums against R's QR
GLM_TOL = 1e-6  # logistic: two IRLS runs to their own convergence (and a 1e-8 ridge here)
# The responder intervals' variance sum p (1 - p) where the data separate (every episode of a
# pattern responds, as in the degenerate network): both fits stop near p = 1, and the square
# root of p (1 - p) ~ 1e-10 carries their difference (8e-6 measured; 1e-9 on the demo).
GLM_CI_TOL = 1e-4


def _largest(both: pd.DataFrame, figure: str) -> tuple[int, float]:
    mine, r = both[figure].astype(float), both[f"{figure}_r"].astype(float)
    defined = mine.notna() & r.notna()
    assert (mine.isna() | defined).all(), f"{figure}: null in R where the mart has a value"
    return int(defined.sum()), float((mine[defined] - r[defined]).abs().max()) if defined.any() else 0.0


def test_case_mix_benchmarks_match_lm_and_glm(crosscheck, tmp_path):
    """marts.clinic_benchmarks and marts.benchmark_model_fit, fitted from sums, equal R's lm() and
    glm() on one row per episode (tests/r/casemix.R): every published benchmark and every fit."""
    from pipeline import contract

    con = cohorts.open_warehouse(crosscheck.warehouse)
    try:
        _frame(con, "select clinic_id, condition_group, measure, baseline, improvement, responder, age_band, sex, "
                    "payer from marts.episode_outcomes").to_csv(tmp_path / "episode_outcomes.csv", index=False)
        _frame(con, "select code, range_min, range_max from ref.measures").to_csv(tmp_path / "ranges.csv", index=False)
        bench = _frame(con, "select * from marts.clinic_benchmarks where not suppressed")
        fits = _frame(con, "select * from marts.benchmark_model_fit")
    finally:
        con.close()
    _rscript(CASEMIX_R, tmp_path, tmp_path / "out", contract.BASELINE_BANDS)
    r_bench = pd.read_csv(tmp_path / "out" / "benchmarks.csv", dtype={"clinic_id": "object"})
    r_fits = pd.read_csv(tmp_path / "out" / "fits.csv")
    both = bench.merge(r_bench, on=BENCH_KEYS, suffixes=("", "_r"), how="left", validate="one_to_one")
    assert len(both) == len(bench) and both["n_r"].notna().all() and (both["n"] == both["n_r"]).all()
    rows = []
    for figures, group_tol in ((IMPROVEMENT_FIGURES, CASEMIX_TOL), (RESPONDER_BENCH_FIGURES, GLM_TOL)):
        for figure in figures:
            tol = GLM_CI_TOL if figure.startswith("responder_difference_ci") else group_tol
            count, diff = _largest(both, figure)
            rows.append((figure, count, diff, tol, "clinic_benchmarks"))
            assert diff <= tol, f"{figure}: largest difference from R {diff:.3e}"
    fit = fits.merge(r_fits, on="measure", suffixes=("", "_r"), validate="one_to_one")
    assert len(fit) == len(fits) and (fit["episodes"] == fit["episodes_r"]).all()
    for figure, tol in (("r2_improvement", CASEMIX_TOL), ("rmse_improvement", CASEMIX_TOL),
                        ("pseudo_r2_responder", GLM_TOL)):
        count, diff = _largest(fit, figure)
        rows.append((figure, count, diff, tol, "benchmark_model_fit"))
        assert diff <= tol, f"{figure}: largest difference from R {diff:.3e}"
    _report(f"case-mix benchmarks vs lm()/glm() ({len(bench)} published benchmarks)", rows)
    assert len(bench) > 0
