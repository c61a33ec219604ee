"""Pooling across clinics and meta-regression against R metafor.

Sources: shared/reference/kacker2004_yi_vi.csv and kacker2004_pooling_expected.csv
(statsmodels' test_meta.py values from metafor; REML row from metafor 3.8-1) and values
computed here with R 4.2.2 (2022-11-10 r83330) and metafor 3.8-1 (calls quoted).
"""
from __future__ import annotations

import csv
import dataclasses
from decimal import Decimal

import numpy as np
import pytest

from pipeline.stats import MetaReg, metareg, pool


def published_tol(text: str) -> float:
    """Half a unit in the last digit a reference value was published with (plus 1e-12 rel)."""
    exp = Decimal(text.strip()).as_tuple().exponent
    return 0.5 * 10.0 ** exp + 1e-12 * abs(float(text))


@pytest.fixture(scope="module")
def kacker(reference_dir):
    with open(reference_dir / "kacker2004_yi_vi.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    with open(reference_dir / "kacker2004_pooling_expected.csv", newline="") as fh:
        expected = {r["method"]: r for r in csv.DictReader(fh)}
    return [float(r["yi"]) for r in rows], [float(r["vi"]) for r in rows], expected


FIELDS = {"estimate": "estimate", "se": "se", "ci_lb": "ci_low", "ci_ub": "ci_high", "tau2": "tau2", "Q": "q", "I2_pct": "i2"}


@pytest.mark.parametrize("method", ["EE", "DL", "REML"])
def test_kacker_reference(kacker, method):
    yi, vi, expected = kacker
    res = pool(yi, vi, method=method)
    row = expected[method]
    checked = 0
    for col, field in FIELDS.items():
        if row[col] == "":
            continue
        want = float(row[col])
        # full-precision rows: relative 1e-10 (Q carries ~4e-12 relative cancellation noise);
        # the REML row has 10 significant digits: half a unit in its last place
        tol = max(published_tol(row[col]), 1e-10 * abs(want))
        assert getattr(res, field) == pytest.approx(want, abs=tol), (method, col)
        checked += 1
    assert checked >= 5
    assert res.k == 9 and res.method == method


def test_kacker_fe_i2_is_metafors_q_based_definition(kacker):
    yi, vi, expected = kacker
    res = pool(yi, vi, method="FE")
    q = float(expected["EE"]["Q"])
    assert res.i2 == pytest.approx(100 * (q - 8) / q, rel=1e-10)
    # which for these data equals the DL I2 published in the reference
    assert res.i2 == pytest.approx(float(expected["DL"]["I2_pct"]), rel=1e-10)
    assert pool(yi, vi, method="EE") == dataclasses.replace(res, method="EE")


def test_kacker_reml_matches_metafor_full_precision(kacker):
    """R: d <- read.csv("kacker2004_yi_vi.csv"); r <- rma(yi, vi, data = d, method = "REML",
    verbose = TRUE); predict(r) -- "Fisher scoring algorithm converged after 10 iterations."
    (metafor starts from the Hedges estimator, 1.4011; from the DL value, 0.2880, it stops at
    0.294340693, 3.8e-6 away, which would not reproduce these digits)."""
    yi, vi, _ = kacker
    res = pool(yi, vi, method="REML")
    assert res.iterations == 10
    assert res.tau2 == pytest.approx(0.29434451427990044, rel=1e-12)
    assert res.estimate == pytest.approx(62.390065258082736, rel=1e-13)
    assert res.se == pytest.approx(0.2475085491594613, rel=1e-11)
    assert res.i2 == pytest.approx(68.214994236188318, rel=1e-11)
    assert res.q == pytest.approx(24.801897741748334, rel=1e-11)
    assert res.ci_low == pytest.approx(61.90495741586443046, rel=1e-13)
    assert res.ci_high == pytest.approx(62.87517310030104056, rel=1e-13)
    assert res.pred_low == pytest.approx(61.22128728546126553, rel=1e-13)
    assert res.pred_high == pytest.approx(63.55884323070420550, rel=1e-13)


def test_dl_i2_identity(kacker):
    yi, vi, _ = kacker
    res = pool(yi, vi, method="DL")
    assert res.i2 == pytest.approx(max(0.0, 100 * (res.q - 8) / res.q), rel=1e-12)


# --- BCG vaccine data (Colditz et al. 1994), metafor's standard example -----------------------
# R: dat <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
#    format(dat$yi, digits = 17); format(dat$vi, digits = 17); dat$ablat
BCG_YI = [
    -0.889311333920205449, -1.585388657201430629, -1.348073148299693269, -1.441551190021305384,
    -0.217547322211295580, -0.786115585818863982, -1.620898223598391752, 0.011952333523840508,
    -0.469417648738149396, -1.371344803472784424, -0.339358828338390595, 0.445913400571378737,
    -0.017313948216879815,
]
BCG_VI = [
    0.3255847650039613295, 0.1945811213981438470, 0.4153679653679653860, 0.0200100319022475728,
    0.0512101721696308632, 0.0069056184559087574, 0.2230172475723151693, 0.0039615792978177295,
    0.0564342104632489655, 0.0730247936130289099, 0.0124122139715597199, 0.5325058452001527609,
    0.0714046596839862935,
]
BCG_ABLAT = [44, 55, 42, 52, 13, 44, 19, 13, 27, 42, 18, 33, 33]

# R: r <- rma(yi, vi, data = dat, method = m); pr <- predict(r)
#    c(r$b, r$se, r$ci.lb, r$ci.ub, r$tau2, r$I2, r$QE, pr$pi.lb, pr$pi.ub)
BCG_POOL = {
    "REML": (-0.71453234836510149, 0.17978153178036146, -1.06689767574005301, -0.36216702099014991,
             0.31324332598089488, 92.221386074965551, 152.23300808237329, -1.86669234660706884, 0.43762764987686598),
    "DL": (-0.71411722207322692, 0.1787420895354031, -1.06444528008405070, -0.36378916406240319,
           0.30876026286237618, 92.117346854562058, 152.23300808237329, -1.85815375273216832, 0.42991930858571437),
    # FE: metafor's predict() gives no prediction interval; it is the CI since tau2 = 0
    "FE": (-0.43028516365409092, 0.040498751710863812, -0.50966125842621390, -0.35090906888196793,
           0.0, 92.117346854562058, 152.23300808237329, -0.50966125842621390, -0.35090906888196793),
}


@pytest.mark.parametrize("method", ["REML", "DL", "FE"])
def test_bcg_pool(method):
    res = pool(BCG_YI, BCG_VI, method=method)
    names = ("estimate", "se", "ci_low", "ci_high", "tau2", "i2", "q", "pred_low", "pred_high")
    for name, want in zip(names, BCG_POOL[method]):
        assert getattr(res, name) == pytest.approx(want, rel=1e-11, abs=1e-14), name


# R: r <- rma(yi, vi, mods = ~ ablat, data = dat, method = m)
#    c(r$b, r$se, r$ci.lb[2], r$ci.ub[2], r$zval[2], r$pval[2], r$tau2, r$I2)
BCG_METAREG = {
    "REML": (0.25146429437428502, -0.02910166092801484, 0.2491036663891326441, 0.0071955547570809126,
             -0.043204689100679289, -0.014998632755350395, -4.0443943393491431, 5.2458559743060494e-05,
             0.076354694705659823, 68.39313050904812),
    "DL": (0.259543712434023410, -0.029228738755188437, 0.2323074733926948909, 0.0067330108395672657,
           -0.042425197508258072, -0.016032280002118805, -4.3411097132686312, 1.4176491052530032e-05,
           0.063300502426415217, 64.207959576623693),
    "FE": (0.343564577446590080, -0.029236934259541755, 0.0810487794877085971, 0.0026524294342462331,
           -0.034435600422198322, -0.024038268096885189, -11.0227001261770798, 2.9701362122494418e-28,
           0.0, 64.207959576623693),
}
MR_NAMES = ("intercept", "slope", "intercept_se", "slope_se", "slope_ci_low", "slope_ci_high", "slope_z", "slope_p", "tau2", "i2")


@pytest.mark.parametrize("method", ["REML", "DL", "FE"])
def test_bcg_metareg(method):
    res = metareg(BCG_YI, BCG_VI, BCG_ABLAT, method=method)
    assert isinstance(res, MetaReg) and res.k == 13 and res.method == method
    for name, want in zip(MR_NAMES, BCG_METAREG[method]):
        assert getattr(res, name) == pytest.approx(want, rel=1e-10, abs=1e-15), name


# Dose-response shaped examples (inputs made up; outputs from R 4.2.2, metafor 3.8-1):
# yi <- c(0.95, 0.40, 0.62, 0.10, 0.35, 0.05); vi <- c(0.010, 0.012, 0.02, 0.015, 0.03, 0.02)
# x <- c(2.0, 1.6, 1.1, 0.8, 0.5, 0.2); r <- rma(yi, vi, mods = ~ x, method = "REML")
#   ("converged after 4 iterations")
DOSE_HET = dict(
    yi=[0.95, 0.40, 0.62, 0.10, 0.35, 0.05], vi=[0.010, 0.012, 0.02, 0.015, 0.03, 0.02], x=[2.0, 1.6, 1.1, 0.8, 0.5, 0.2],
    want=(-0.031772874870129558, 0.419661959276622087, 0.18231404947930735, 0.14444897908550064,
          0.13654716266546135, 0.70277675588778288, 2.90526081896515453, 0.0036694718314807615,
          0.032331642766930929, 65.988521754732517),
)
# yi <- c(0.92, 0.71, 0.55, 0.31, 0.12); vi <- c(0.02, 0.015, 0.03, 0.05, 0.08)
# x <- c(2.1, 1.0, 0.5, 0.25, 0.1); rma(yi, vi, mods = ~ x, method = "REML") -> tau2 = 0, I2 = 0
# (identical to method = "FE")
DOSE_HOM = dict(
    yi=[0.92, 0.71, 0.55, 0.31, 0.12], vi=[0.02, 0.015, 0.03, 0.05, 0.08], x=[2.1, 1.0, 0.5, 0.25, 0.1],
    want=(0.32576298597663444, 0.30791394463005128, 0.13488587448669906, 0.10575747974268526,
          0.100633093238663845, 0.51519479602143869, 2.9115098561276769, 0.0035968655946849639, 0.0, 0.0),
)


@pytest.mark.parametrize("case", [DOSE_HET, DOSE_HOM], ids=["heterogeneous", "homogeneous"])
def test_dose_response_metareg(case):
    for method in (("REML", "FE") if case is DOSE_HOM else ("REML",)):
        res = metareg(case["yi"], case["vi"], case["x"], method=method)
        for name, want in zip(MR_NAMES, case["want"]):
            assert getattr(res, name) == pytest.approx(want, rel=1e-10, abs=1e-15), (method, name)


def test_reml_stops_at_zero_when_homogeneous():
    """R: r <- rma(c(0.50, 0.52, 0.49, 0.51), c(0.04, 0.05, 0.03, 0.06), method = "REML",
    verbose = TRUE) -> converged after 1 iteration; tau2 = 0, I2 = 0, QE = 0.012426900584795347,
    b = 0.50245614035087716, se = 0.1025978352085154, ci = 0.30136807845041147, 0.70354420225134284
    (the prediction interval equals the CI)."""
    res = pool([0.50, 0.52, 0.49, 0.51], [0.04, 0.05, 0.03, 0.06], method="REML")
    assert res.tau2 == 0.0 and res.i2 == 0.0 and res.iterations == 1
    assert res.q == pytest.approx(0.012426900584795347, rel=1e-10)
    assert res.estimate == pytest.approx(0.50245614035087716, rel=1e-13)
    assert res.se == pytest.approx(0.1025978352085154, rel=1e-13)
    assert (res.ci_low, res.ci_high) == pytest.approx((0.30136807845041147, 0.70354420225134284), rel=1e-13)
    assert (res.pred_low, res.pred_high) == (res.ci_low, res.ci_high)


def test_single_clinic():
    """R: rma(0.4, 0.09, method = "REML") -> b = 0.4, se = 0.3, ci = -0.18798919536201614,
    0.98798919536201613, tau2 = 0 (metafor prints QE = 0, I2 = 0; undefined here: None)."""
    for method in ("REML", "DL", "FE"):
        res = pool([0.4], [0.09], method=method)
        assert res.k == 1 and res.tau2 == 0.0 and res.q is None and res.i2 is None
        assert res.estimate == pytest.approx(0.4, rel=1e-15) and res.se == pytest.approx(0.3, rel=1e-15)
        assert (res.ci_low, res.ci_high) == pytest.approx((-0.18798919536201614, 0.98798919536201613), rel=1e-13)
        assert (res.pred_low, res.pred_high) == (res.ci_low, res.ci_high)


def test_fe_with_identical_estimates_has_no_i2():
    res = pool([0.3, 0.3, 0.3], [0.01, 0.02, 0.03], method="FE")
    assert res.q == 0.0 and res.i2 is None
    assert pool([0.3, 0.3, 0.3], [0.01, 0.02, 0.03], method="REML").i2 == 0.0


@pytest.mark.parametrize(
    "args, kwargs",
    [
        (([], []), {}),
        (([0.1, 0.2], [0.01]), {}),
        (([0.1, 0.2], [0.01, 0.0]), {}),
        (([0.1, 0.2], [0.01, -0.02]), {}),
        (([0.1, float("nan")], [0.01, 0.02]), {}),
        (([0.1, 0.2], [0.01, 0.02]), {"method": "PM"}),
        (([0.1, 0.2], [0.01, 0.02]), {"method": "reml"}),
    ],
)
def test_pool_rejects_bad_input(args, kwargs):
    with pytest.raises(ValueError):
        pool(*args, **kwargs)


@pytest.mark.parametrize(
    "args",
    [
        ([0.1, 0.2], [0.01, 0.02], [1, 2]),  # k < 3
        ([0.1, 0.2, 0.3], [0.01, 0.02, 0.03], [1, 1, 1]),  # no variance in x
        ([0.1, 0.2, 0.3], [0.01, 0.02, 0.03], [1, 2]),  # length
        ([0.1, 0.2, 0.3], [0.01, 0.02, 0.03], [1, 2, float("inf")]),
        ([0.1, 0.2, 0.3], [0.01, 0.0, 0.03], [1, 2, 3]),
    ],
)
def test_metareg_rejects_bad_input(args):
    with pytest.raises(ValueError):
        metareg(*args)


def test_metareg_three_points_exact_line():
    """k = 3 is the minimum; points on a line give slope exactly, tau2 = 0."""
    res = metareg([1.0, 2.0, 3.0], [0.1, 0.1, 0.1], [0.0, 1.0, 2.0], method="REML")
    assert res.slope == pytest.approx(1.0) and res.intercept == pytest.approx(1.0) and res.tau2 == 0.0


def test_pool_is_permutation_invariant():
    rng = np.random.default_rng(7)
    yi = rng.normal(0.5, 0.3, 12)
    vi = rng.uniform(0.01, 0.1, 12)
    perm = rng.permutation(12)
    a, b = pool(yi, vi), pool(yi[perm], vi[perm])
    assert a.estimate == pytest.approx(b.estimate, rel=1e-12) and a.tau2 == pytest.approx(b.tau2, rel=1e-9, abs=1e-15)
