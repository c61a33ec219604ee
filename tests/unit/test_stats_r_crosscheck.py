"""Live cross-check against R (stats, metafor) on random inputs.

Runs only where ``Rscript`` with metafor and jsonlite is installed (marker ``r``); the fixed
expected values in the other test_stats_*.py files do not need R.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import textwrap

import numpy as np
import pytest

from pipeline import stats

pytestmark = pytest.mark.r

R_SCRIPT = textwrap.dedent(
    r"""
    suppressMessages({library(metafor); library(jsonlite)})
    args <- commandArgs(trailingOnly = TRUE)
    inp <- fromJSON(args[1], simplifyVector = FALSE)
    u <- function(x) as.numeric(unlist(x))
    num <- function(x) if (is.null(x) || length(x) == 0) NA else as.numeric(x)
    out <- list(version = paste(R.version.string, "metafor", packageVersion("metafor")))
    out$pool <- lapply(inp$pool, function(s) {
      r <- suppressWarnings(rma(u(s$yi), u(s$vi), method = s$method)); pr <- predict(r)
      list(estimate = num(r$b), se = num(r$se), ci_low = num(r$ci.lb), ci_high = num(r$ci.ub),
           tau2 = num(r$tau2), i2 = num(r$I2), q = num(r$QE),
           pred_low = num(if (is.null(pr$pi.lb)) pr$ci.lb else pr$pi.lb),
           pred_high = num(if (is.null(pr$pi.ub)) pr$ci.ub else pr$pi.ub))
    })
    out$metareg <- lapply(inp$metareg, function(s) {
      r <- suppressWarnings(rma(u(s$yi), u(s$vi), mods = ~ u(s$x), method = s$method))
      list(intercept = num(r$b[1]), slope = num(r$b[2]), intercept_se = num(r$se[1]),
           slope_se = num(r$se[2]), slope_ci_low = num(r$ci.lb[2]), slope_ci_high = num(r$ci.ub[2]),
           slope_z = num(r$zval[2]), slope_p = num(r$pval[2]), tau2 = num(r$tau2), i2 = num(r$I2))
    })
    out$wilcox <- lapply(inp$wilcox, function(s) {
      t <- suppressWarnings(wilcox.test(u(s$final), u(s$baseline), paired = TRUE))
      list(statistic = num(t$statistic), p = num(t$p.value))
    })
    out$escalc <- lapply(inp$escalc, function(s) {
      x <- u(s$baseline); y <- u(s$final); n <- length(x)
      a <- escalc("SMCC", m1i = mean(y), m2i = mean(x), sd1i = sd(y), sd2i = sd(x), ni = n, ri = cor(x, y))
      b <- escalc("SMCR", m1i = mean(y), m2i = mean(x), sd1i = sd(x), ni = n, ri = cor(x, y))
      list(smcc = num(a$yi), smcc_vi = num(a$vi), smcr = num(b$yi), smcr_vi = num(b$vi))
    })
    out$bh <- lapply(inp$bh, function(p) { q <- p.adjust(u(p), "BH"); q })
    out$wilson <- lapply(inp$wilson, function(s) num(prop.test(u(s)[1], u(s)[2], correct = FALSE)$conf.int))
    cat(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null"))
    """
)


def _have_r() -> bool:
    if shutil.which("Rscript") is None:
        return False
    probe = subprocess.run(
        ["Rscript", "-e", "suppressMessages({library(metafor); library(jsonlite)})"], capture_output=True
    )
    return probe.returncode == 0


@pytest.fixture(scope="module")
def r_results(tmp_path_factory):
    if not _have_r():
        pytest.skip("Rscript with metafor and jsonlite is not installed")
    rng = np.random.default_rng(20240611)
    cases: dict = {"pool": [], "metareg": [], "wilcox": [], "escalc": [], "bh": [], "wilson": []}
    for i in range(24):
        k = int(rng.integers(2, 25))
        vi = rng.uniform(0.005, 0.2, k)
        tau = rng.choice([0.0, 0.05, 0.3, 0.8])
        yi = rng.normal(0.5, tau, k) + rng.normal(0, np.sqrt(vi))
        for method in ("EE", "DL", "REML"):
            cases["pool"].append({"yi": yi.tolist(), "vi": vi.tolist(), "method": method})
        if k >= 4:
            x = rng.uniform(0.2, 2.5, k)
            ym = yi + rng.choice([0.0, 0.3]) * x
            for method in ("FE", "DL", "REML"):
                cases["metareg"].append({"yi": ym.tolist(), "vi": vi.tolist(), "x": x.tolist(), "method": method})
    for i in range(40):
        n = int(rng.integers(1, 90))
        base = rng.integers(3, 11, n).astype(float)
        if i % 3 == 0:  # continuous scores: no ties, often the exact branch
            base = base + rng.uniform(0, 1, n)
        final = np.clip(base - rng.normal(1.5, 2.0, n).round(0 if i % 3 else 3), 0, None)
        cases["wilcox"].append({"baseline": base.tolist(), "final": final.tolist()})
        if n >= 3 and np.std(base) > 0 and np.std(final) > 0 and np.std(final - base) > 0:
            cases["escalc"].append({"baseline": base.tolist(), "final": final.tolist()})
    for i in range(10):
        p = rng.uniform(0, 1, int(rng.integers(1, 40))) ** 3
        cases["bh"].append(p.tolist())
    for i in range(20):
        n = int(rng.integers(1, 500))
        cases["wilson"].append([int(rng.integers(0, n + 1)), n])
    path = tmp_path_factory.mktemp("r") / "cases.json"
    path.write_text(json.dumps(cases))
    script = path.with_name("check.R")
    script.write_text(R_SCRIPT)
    proc = subprocess.run(["Rscript", str(script), str(path)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return cases, json.loads(proc.stdout)


def _close(got, want, rel, name):
    if want is None:
        assert got is None or got == 0.0, name
    else:
        assert got == pytest.approx(want, rel=rel, abs=1e-12), name


def test_pool_matches_metafor(r_results):
    cases, res = r_results
    for case, want in zip(cases["pool"], res["pool"]):
        got = stats.pool(case["yi"], case["vi"], method=case["method"])
        for name, value in want.items():
            if name in ("i2", "q") and got.k == 1:
                continue
            _close(getattr(got, name), value, 1e-10, (case["method"], len(case["yi"]), name))


def test_metareg_matches_metafor(r_results):
    cases, res = r_results
    assert cases["metareg"]
    for case, want in zip(cases["metareg"], res["metareg"]):
        got = stats.metareg(case["yi"], case["vi"], case["x"], method=case["method"])
        for name, value in want.items():
            # p-values far in the tail are compared relatively too; abs 1e-12 covers the rest
            _close(getattr(got, name), value, 1e-10, (case["method"], len(case["yi"]), name))


def test_wilcoxon_matches_r(r_results):
    cases, res = r_results
    for case, want in zip(cases["wilcox"], res["wilcox"]):
        d = np.asarray(case["final"]) - np.asarray(case["baseline"])
        got = stats.wilcoxon_signed_rank(d)
        if got.p_value is None:
            assert want["p"] is None
            continue
        assert got.statistic == want["statistic"]
        assert got.p_value == pytest.approx(want["p"], rel=1e-12, abs=1e-300)


def test_prepost_matches_escalc(r_results):
    cases, res = r_results
    assert cases["escalc"]
    z = 1.959963984540054
    for case, want in zip(cases["escalc"], res["escalc"]):
        got = stats.prepost(case["baseline"], case["final"], better="higher", mcid=None)
        assert got.g_z == pytest.approx(want["smcc"], rel=1e-10)
        assert ((got.g_z_ci_high - got.g_z_ci_low) / (2 * z)) ** 2 == pytest.approx(want["smcc_vi"], rel=1e-10)
        assert got.smcr == pytest.approx(want["smcr"], rel=1e-10)
        assert got.smcr_var == pytest.approx(want["smcr_vi"], rel=1e-10)


def test_bh_and_wilson_match_r(r_results):
    cases, res = r_results
    for p, want in zip(cases["bh"], res["bh"]):
        want = want if isinstance(want, list) else [want]
        assert stats.bh_qvalues(p) == pytest.approx(want, rel=1e-14)
    for (x, n), want in zip(cases["wilson"], res["wilson"]):
        assert stats.wilson(x, n) == pytest.approx(tuple(want), rel=1e-12, abs=1e-15)
