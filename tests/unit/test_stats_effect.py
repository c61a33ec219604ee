"""Pre/post effect sizes (SMCC = g_z, SMCR), Hedges' J and responder rates against metafor.

Sources: shared/reference/morris2008_smcr_smcc.csv (Morris 2008 as asserted in metafor's
tests, and recomputed with metafor 3.8-1) and values computed here with R (quoted).
"""
from __future__ import annotations

import csv
import dataclasses
import math
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.stats import PrePost, hedges_j, prepost, prepost_from_summary

Z975 = 1.959963984540054  # R: qnorm(0.975)


def published_tol(text: str) -> float:
    """Half a unit in the last digit a reference value was published with."""
    exp = Decimal(text.strip()).as_tuple().exponent
    return 0.5 * 10.0 ** exp + 1e-12 * abs(float(text))


@pytest.fixture(scope="module")
def morris(reference_dir):
    with open(reference_dir / "morris2008_smcr_smcc.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def _summary(row):
    n = int(row["ni"])
    m1, m2 = float(row["m_pre"]), float(row["m_post"])
    s1, s2, r = float(row["sd_pre"]), float(row["sd_post"]), float(row["ri"])
    sd_d = math.sqrt(s1**2 + s2**2 - 2 * r * s1 * s2)  # SD of post - pre implied by s1, s2, r
    return dict(
        n=n, baseline_mean=m1, baseline_sd=s1, final_mean=m2, final_sd=s2, r_pre_post=r,
        mean_improvement=m2 - m1, sd_improvement=sd_d,
    )


def _smcc_vi(res: PrePost) -> float:
    return ((res.g_z_ci_high - res.g_z_ci_low) / (2 * Z975)) ** 2


# --- Morris (2008) --------------------------------------------------------------------------


def test_morris_rows_present(morris):
    assert len(morris) == 10


@pytest.mark.parametrize("idx", range(10))
def test_morris_from_summary_metafor381(morris, idx):
    """metafor's change = post - pre; these measures are higher-is-better, so the project's
    improvement is the same sign. Tolerance: the digits metafor381_* columns carry."""
    row = morris[idx]
    res = prepost_from_summary(**_summary(row))
    assert res.g_z == pytest.approx(float(row["metafor381_smcc_yi"]), abs=published_tol(row["metafor381_smcc_yi"]))
    assert _smcc_vi(res) == pytest.approx(float(row["metafor381_smcc_vi"]), abs=published_tol(row["metafor381_smcc_vi"]))
    assert res.smcr == pytest.approx(float(row["metafor381_smcr_yi"]), abs=published_tol(row["metafor381_smcr_yi"]))
    assert res.smcr_var == pytest.approx(float(row["metafor381_smcr_vi"]), abs=published_tol(row["metafor381_smcr_vi"]))


@pytest.mark.parametrize("idx", range(10))
def test_morris_from_summary_published(morris, idx):
    """The rounded values of Morris (2008) as asserted by metafor's test suite, to 1e-4."""
    row = morris[idx]
    res = prepost_from_summary(**_summary(row))
    assert res.g_z == pytest.approx(float(row["expected_smcc_yi"]), abs=1e-4)
    assert _smcc_vi(res) == pytest.approx(float(row["expected_smcc_vi"]), abs=1e-4)
    assert res.smcr == pytest.approx(float(row["expected_smcr_yi"]), abs=1e-4)
    assert res.smcr_var == pytest.approx(float(row["expected_smcr_vi"]), abs=1e-4)


def _scores_with_moments(n, m1, s1, m2, s2, r, seed):
    """Paired scores whose sample means, SDs (n - 1) and Pearson r are exactly the given ones."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n, 2))
    a -= a.mean(axis=0)
    q, _ = np.linalg.qr(a)  # two orthonormal, centred columns
    e1, e2 = q[:, 0], q[:, 1]
    scale = math.sqrt(n - 1)
    x = m1 + s1 * scale * e1
    y = m2 + s2 * scale * (r * e1 + math.sqrt(1 - r * r) * e2)
    return x, y


@pytest.mark.parametrize("idx", range(10))
def test_morris_from_raw_scores_both_directions(morris, idx):
    """prepost() on scores built to have Morris's sample moments gives metafor's values; the
    same scores negated and declared lower-is-better give the same improvement figures."""
    row = morris[idx]
    s = _summary(row)
    x, y = _scores_with_moments(s["n"], s["baseline_mean"], s["baseline_sd"], s["final_mean"], s["final_sd"], s["r_pre_post"], idx)
    for res in (prepost(x, y, better="higher", mcid=None), prepost(-x, -y, better="lower", mcid=None)):
        assert res.r_pre_post == pytest.approx(s["r_pre_post"], abs=1e-12)
        assert res.g_z == pytest.approx(float(row["metafor381_smcc_yi"]), abs=published_tol(row["metafor381_smcc_yi"]))
        assert _smcc_vi(res) == pytest.approx(float(row["metafor381_smcc_vi"]), abs=published_tol(row["metafor381_smcc_vi"]))
        assert res.smcr == pytest.approx(float(row["metafor381_smcr_yi"]), abs=published_tol(row["metafor381_smcr_yi"]))
        assert res.smcr_var == pytest.approx(float(row["metafor381_smcr_vi"]), abs=published_tol(row["metafor381_smcr_vi"]))
        assert res.responders is None and res.responder_rate is None and res.responder_ci_low is None


# --- whole cells computed with R ------------------------------------------------------------

# R 4.2.2, metafor 3.8-1:
#   pre  <- c(7, 6, 8, 5, 9, 6, 7, 4, 8, 6, 7, 5); post <- c(3, 5, 4, 5, 6, 2, 6, 3, 3, 6, 2, 4)
#   n <- 12; dd <- pre - post          # pain NRS, lower is better
#   mean(pre); mean(post); sd(pre); sd(post); cor(pre, post); mean(dd); sd(dd); mean(dd)/sd(dd)
#   smcc <- escalc("SMCC", m1i=mean(post), m2i=mean(pre), sd1i=sd(post), sd2i=sd(pre), ni=n, ri=cor(pre, post))
#   smcr <- escalc("SMCR", m1i=mean(post), m2i=mean(pre), sd1i=sd(pre), ni=n, ri=cor(pre, post))
#   smcc$yi -+ qnorm(0.975) * sqrt(smcc$vi)
#   wilcox.test(post, pre, paired = TRUE)$p.value
#   prop.test(sum(dd >= 2), n, correct = FALSE)$conf.int
# g_z = -smcc$yi and smcr = -smcr$yi (metafor's change is post - pre; lower is better here).
PAIN = dict(
    baseline=[7, 6, 8, 5, 9, 6, 7, 4, 8, 6, 7, 5],
    final=[3, 5, 4, 5, 6, 2, 6, 3, 3, 6, 2, 4],
    better="lower",
    expected=dict(
        n=12, baseline_mean=6.5, baseline_sd=1.4459976109624424, final_mean=4.083333333333333,
        final_sd=1.5050420310248864, r_pre_post=0.14620396651768827,
        mean_improvement=2.4166666666666665, sd_improvement=1.9286515936521478,
        d_z=1.2530343347760391, g_z=1.1652715718614517, g_z_ci_low=0.43215401070387949,
        g_z_ci_high=1.89838913301902390, smcr=1.55422308935371034, smcr_var=0.24294973105872661,
        wilcoxon_p=0.005447634443706495, responders=6, responder_rate=0.5,
        responder_ci_low=0.25378159763370611, responder_ci_high=0.74621840236629389,
    ),
)
# Same R code with higher is better (dd <- post - pre, m1i = mean(post), m2i = mean(pre),
# g_z = smcc$yi), wilcox.test(post, pre, paired = TRUE):
#   pre  <- c(3.2, 4.0, 2.5, 5.1, 3.8, 4.4, 2.9, 3.5, 4.1, 3.0, 2.2, 4.8, 3.6, 3.1)
#   post <- c(5.9, 6.1, 3.0, 7.4, 4.0, 6.8, 5.5, 3.3, 7.0, 5.2, 4.9, 5.0, 6.6, 3.1)
# (decimal scores: post - pre has float ties such as 2.7 twice and a zero; responders 9/14)
PSFS = dict(
    baseline=[3.2, 4.0, 2.5, 5.1, 3.8, 4.4, 2.9, 3.5, 4.1, 3.0, 2.2, 4.8, 3.6, 3.1],
    final=[5.9, 6.1, 3.0, 7.4, 4.0, 6.8, 5.5, 3.3, 7.0, 5.2, 4.9, 5.0, 6.6, 3.1],
    better="higher",
    expected=dict(
        n=14, baseline_mean=3.5857142857142859, baseline_sd=0.84202790275084649,
        final_mean=5.2714285714285714, final_sd=1.47670557006443937, r_pre_post=0.55456434228937945,
        mean_improvement=1.6857142857142857, sd_improvement=1.2290441206683553,
        d_z=1.3715653143498159, g_z=1.29061891379473148, g_z_ci_low=0.58145379176286716,
        g_z_ci_high=1.99978403582659592, smcr=1.88381831865749172, smcr_var=0.19037550316257218,
        wilcoxon_p=0.0026152285880032353, responders=9, responder_rate=9 / 14,
        responder_ci_low=0.38764423103907414, responder_ci_high=0.83655268246445880,
    ),
)


@pytest.mark.parametrize("case", [PAIN, PSFS], ids=["pain_lower", "psfs_higher"])
def test_whole_cell_against_r(case):
    res = prepost(case["baseline"], case["final"], better=case["better"], mcid=2.0)
    for name, want in case["expected"].items():
        got = getattr(res, name)
        if isinstance(want, int):
            assert got == want, name
        else:
            assert got == pytest.approx(want, rel=1e-12, abs=1e-15), name


@pytest.mark.parametrize("case", [PAIN, PSFS], ids=["pain_lower", "psfs_higher"])
def test_summary_path_agrees_with_raw_path(case):
    """Feeding prepost_from_summary the summary statistics gives the same PrePost."""
    res = prepost(case["baseline"], case["final"], better=case["better"], mcid=2.0)
    again = prepost_from_summary(
        n=res.n, baseline_mean=res.baseline_mean, baseline_sd=res.baseline_sd,
        final_mean=res.final_mean, final_sd=res.final_sd, r_pre_post=res.r_pre_post,
        mean_improvement=res.mean_improvement, sd_improvement=res.sd_improvement,
        responders=res.responders, wilcoxon_p=res.wilcoxon_p,
    )
    assert again == res


def test_mcid_none_nulls_responder_figures_only():
    res = prepost(PAIN["baseline"], PAIN["final"], mcid=None)
    assert (res.responders, res.responder_rate, res.responder_ci_low, res.responder_ci_high) == (None,) * 4
    assert res.g_z is not None and res.wilcoxon_p is not None


def test_responders_use_d_greater_equal_mcid():
    # improvements 2, 1, 3, 2, 0 with lower-is-better scores; MCID 2 -> 3 responders
    res = prepost([8, 6, 7, 5, 4], [6, 5, 4, 3, 4], better="lower", mcid=2)
    assert res.responders == 3 and res.responder_rate == 0.6
    res = prepost([6, 5, 4, 3, 4], [8, 6, 7, 5, 4], better="higher", mcid=2)
    assert res.responders == 3


# --- null rules -----------------------------------------------------------------------------


def test_n1_cell():
    res = prepost([6.0], [3.0], mcid=2)
    assert res.n == 1 and res.mean_improvement == 3.0 and res.baseline_mean == 6.0
    for name in ("baseline_sd", "final_sd", "sd_improvement", "r_pre_post", "d_z", "g_z", "smcr", "smcr_var"):
        assert getattr(res, name) is None, name
    assert res.responders == 1 and res.responder_ci_high == 1.0
    assert res.wilcoxon_p == 1.0  # R 4.2.2: wilcox.test(3) -> exact, p = 1


def test_n2_cell_has_d_z_but_no_j():
    res = prepost([6.0, 7.0], [3.0, 5.0])
    assert res.d_z == pytest.approx(2.5 / math.sqrt(0.5))
    assert res.r_pre_post is None and res.g_z is None and res.g_z_ci_low is None and res.smcr is None


def test_constant_baseline_nulls_r_and_smcr():
    # 0.1 * 3 / 3 is not 0.1 in binary: the SD must still be exactly 0, not rounding noise
    res = prepost([0.1, 0.1, 0.1, 0.1], [0.0, 0.05, 0.02, 0.1])
    assert res.baseline_sd == 0.0 and res.baseline_mean == 0.1
    assert res.r_pre_post is None and res.smcr is None and res.smcr_var is None
    assert res.g_z is not None


def test_constant_improvement_nulls_d_z():
    res = prepost([5.0, 6.0, 7.0], [3.0, 4.0, 5.0])
    assert res.sd_improvement == 0.0 and res.d_z is None and res.g_z is None
    assert res.smcr is not None and res.r_pre_post == pytest.approx(1.0)


def test_from_summary_accepts_sql_types():
    """DuckDB hands DECIMAL aggregates to Python as Decimal and counts as int."""
    a = prepost_from_summary(n=10, baseline_mean=Decimal("5.5"), baseline_sd=1.25, final_mean=Decimal("3.5"),
                             final_sd=1.5, r_pre_post=0.5, mean_improvement=Decimal("2.0"),
                             sd_improvement=1.4, responders=np.int64(6), wilcoxon_p=0.01)
    b = prepost_from_summary(n=10, baseline_mean=5.5, baseline_sd=1.25, final_mean=3.5, final_sd=1.5,
                             r_pre_post=0.5, mean_improvement=2.0, sd_improvement=1.4, responders=6,
                             wilcoxon_p=0.01)
    assert a == b and type(a.baseline_mean) is float and type(a.responders) is int


def test_from_summary_applies_null_rules():
    base = dict(
        n=2, baseline_mean=5.0, baseline_sd=1.0, final_mean=3.0, final_sd=1.0, r_pre_post=1.0,
        mean_improvement=2.0, sd_improvement=0.5,
    )
    assert prepost_from_summary(**base).r_pre_post is None  # n < 3
    res = prepost_from_summary(**{**base, "n": 1})
    assert res.baseline_sd is None and res.sd_improvement is None and res.d_z is None
    res = prepost_from_summary(**{**base, "n": 5, "baseline_sd": 0.0, "r_pre_post": float("nan")})
    assert res.r_pre_post is None and res.smcr is None  # NaN r from SQL corr() of a constant


# R 4.2.2, metafor 3.8-1: format(metafor:::.cmicalc(c(2, 9, 19, 100)), digits = 17)
R_CMICALC = {2: 0.56418958354775628, 9: 0.91387489179255255, 19: 0.95991035292425320, 100: 0.99247805498141328}


def test_hedges_j():
    assert hedges_j(1) is None and hedges_j(0.5) is None and hedges_j(-3) is None
    for m, want in R_CMICALC.items():
        assert hedges_j(m) == pytest.approx(want, rel=1e-14)
    # the usual approximation 1 - 3 / (4m - 1) is close for large m
    assert hedges_j(200) == pytest.approx(1 - 3 / (4 * 200 - 1), abs=1e-6)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(baseline=[1, 2], final=[1]),
        dict(baseline=[], final=[]),
        dict(baseline=[1, float("nan")], final=[1, 2]),
        dict(baseline=[1, 2], final=[1, 2], better="down"),
        dict(baseline=[1, 2], final=[1, 2], mcid=float("inf")),
        dict(baseline="12", final="12"),
    ],
)
def test_prepost_rejects_bad_input(kwargs):
    with pytest.raises(ValueError):
        prepost(**kwargs)


@pytest.mark.parametrize(
    "change",
    [
        dict(n=0),
        dict(n=2.5),
        dict(baseline_sd=-1.0),
        dict(r_pre_post=1.5),
        dict(responders=11),
        dict(responders=-1),
        dict(wilcoxon_p=1.2),
        dict(mean_improvement=float("nan")),
        dict(baseline_mean=None),
    ],
)
def test_from_summary_rejects_bad_input(change):
    base = dict(
        n=10, baseline_mean=5.0, baseline_sd=1.0, final_mean=3.0, final_sd=1.2, r_pre_post=0.5,
        mean_improvement=2.0, sd_improvement=1.1, responders=4, wilcoxon_p=0.01,
    )
    with pytest.raises(ValueError):
        prepost_from_summary(**{**base, **change})


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 10), st.integers(0, 10)), min_size=1, max_size=40),
    st.sampled_from(["lower", "higher"]),
)
def test_never_nan_and_ci_brackets_estimate(pairs, better):
    x = [p[0] for p in pairs]
    y = [p[1] for p in pairs]
    res = prepost(x, y, better=better, mcid=2)
    for f in dataclasses.fields(res):
        v = getattr(res, f.name)
        assert not (isinstance(v, float) and math.isnan(v)), f.name
    if res.g_z is not None:
        assert res.g_z_ci_low <= res.g_z <= res.g_z_ci_high
    assert res.responder_ci_low <= res.responder_rate <= res.responder_ci_high
