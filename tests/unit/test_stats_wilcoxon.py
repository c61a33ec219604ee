"""Wilcoxon signed-rank test against R's wilcox.test and scipy.stats.wilcoxon.

Sources: shared/reference/wilcoxon_vectors.json (values quoted from scipy's test suite, which
took them from R), plus values computed here with R (quoted call and version at each one).
"""
from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.stats import WilcoxonResult, wilcoxon_p_from_ranks, wilcoxon_signed_rank
from pipeline.stats.wilcoxon import signed_rank_counts

EXACT = "exact"
NORMAL_CC = "normal approximation with continuity correction"


@pytest.fixture(scope="module")
def vectors(reference_dir):
    data = json.loads((reference_dir / "wilcoxon_vectors.json").read_text())
    return data["wilcoxon"]


def _pair(entry):
    # the file's convention: d = x - y, i.e. R wilcox.test(x, y, paired = TRUE)
    return np.asarray(entry["x"], float) - np.asarray(entry["y"], float)


# --- the reference file -------------------------------------------------------------------


def test_reference_accuracy_vector_exact_default(vectors):
    """test_accuracy_wilcoxon: n = 12, no ties, no zeros -> R's default is the exact test."""
    entry = vectors[0]
    assert "test_accuracy_wilcoxon" in entry["source"] and "x" in entry
    res = wilcoxon_signed_rank(_pair(entry))
    assert res.method == EXACT and res.n_used == 12 and res.zeros == 0 and not res.ties
    # scipy reports min(V+, V-); R reports V+ of x - y, which is 34 here (R 4.2.2 agrees)
    assert res.statistic == entry["expected"]["statistic"]
    assert res.p_value == pytest.approx(entry["expected"]["p_exact_R_default_and_scipy_auto"], rel=1e-13, abs=0)


def test_reference_accuracy_vector_asymptotic_variants(vectors):
    """Same vector with R's exact = FALSE, with and without continuity correction."""
    d = _pair(vectors[0])
    exp = vectors[0]["expected"]
    assert wilcoxon_signed_rank(d, exact=False).p_value == pytest.approx(exp["p_asymptotic_correction"], rel=1e-13)
    assert wilcoxon_signed_rank(d, exact=False, correct=False).p_value == pytest.approx(
        exp["p_asymptotic_nocorrection"], rel=1e-13
    )


def test_reference_onesided_vector_two_sided_default(vectors):
    """test_onesided (a zero and a tie): only one-sided values are published. R's default
    two-sided p with continuity correction is 2 * greater_cc here (V = 27 > n(n+1)/4 = 22.5),
    and R gives exactly that: R 4.2.2, wilcox.test(x, y, paired = TRUE) -> V = 27,
    p = 0.6352893188352069."""
    entry = [v for v in vectors if "test_onesided" in v["source"]][0]
    res = wilcoxon_signed_rank(_pair(entry))
    assert res.method == NORMAL_CC and res.n_used == 9 and res.zeros == 1 and res.ties
    assert res.statistic == entry["expected"]["statistic"]
    assert res.p_value == pytest.approx(2 * entry["expected"]["greater_cc"], rel=1e-11)
    assert res.p_value == pytest.approx(0.6352893188352069, rel=1e-13)


def test_reference_exact_pval_vector(vectors):
    entry = [v for v in vectors if "test_exact_pval" in v["source"]][0]
    res = wilcoxon_signed_rank(_pair(entry))
    assert res.method == EXACT
    assert res.p_value == pytest.approx(entry["expected"]["two_sided_exact"], rel=1e-14)
    # R 4.2.2: wilcox.test(x, y, paired = TRUE) -> V = 44
    assert res.statistic == 44.0


def test_reference_all_tied_vector(vectors):
    """gh-2391: ten equal differences -> ties -> R's default is normal + continuity correction.
    scipy's statistic 0 is min(V+, V-); R's V is 55 (R 4.2.2, wilcox.test(rep(0.1, 10)))."""
    entry = [v for v in vectors if "test_wilcoxon_tie" in v["source"]][0]
    res = wilcoxon_signed_rank(entry["d"])
    assert res.method == NORMAL_CC and res.ties and res.statistic == 55.0
    assert min(res.statistic, 55.0 - res.statistic) == entry["expected"]["statistic"]
    assert res.p_value == pytest.approx(entry["expected"]["p_cc"], rel=1e-12)
    assert wilcoxon_signed_rank(entry["d"], correct=False).p_value == pytest.approx(entry["expected"]["p_nocc"], rel=1e-12)


def test_reference_zero_method_vector(vectors):
    """zero_method variants: only "wilcox" (drop zeros) is R's rule; the published value is
    without continuity correction (scipy's default there). R's default adds the correction:
    R 4.2.2, wilcox.test(rep(-4:4, c(1,4,16,15,8,4,5,1,2))) -> V = 327, p = 0.0065156482445998488;
    with correct = FALSE, p = 0.0064134611586072355."""
    entry = [v for v in vectors if "d_counts" in v][0]
    d = np.repeat([float(k) for k in entry["d_counts"]], list(entry["d_counts"].values()))
    res = wilcoxon_signed_rank(d)
    assert res.n_used == 48 and res.zeros == 8 and res.method == NORMAL_CC
    stat, p_nocc = entry["expected"]["wilcox"]
    assert res.statistic == stat
    assert wilcoxon_signed_rank(d, correct=False).p_value == pytest.approx(p_nocc, rel=1e-11)
    assert res.p_value == pytest.approx(0.0065156482445998488, rel=1e-13)
    assert wilcoxon_signed_rank(d, correct=False).p_value == pytest.approx(0.0064134611586072355, rel=1e-13)


# --- more cases computed with R 4.2.2 (2022-11-10 r83330), stats::wilcox.test defaults ---

R_CASES = [
    # (d, V, p, method); R call: wilcox.test(d) with d as written
    # d6 <- (1:49) * ifelse((1:49) %% 3 == 0, -1, 1): n = 49, largest exact case
    ([i if i % 3 else -i for i in range(1, 50)], 817.0, 0.041703854232423516, EXACT),
    # d7 <- (1:50) * ifelse((1:50) %% 3 == 0, -1, 1): n = 50 switches to the normal approximation
    ([i if i % 3 else -i for i in range(1, 51)], 867.0, 0.027063492176047903, NORMAL_CC),
    # c(0.1 + 0.2, -0.3, 0.5, 0.7, -0.9, 1.1): 0.1 + 0.2 != 0.3 in binary, so no tie -> exact
    ([0.1 + 0.2, -0.3, 0.5, 0.7, -0.9, 1.1], 15.0, 0.43750000000000017, EXACT),
    # c(0.3, -0.3, 0.5, 0.7, -0.9, 1.1): a true tie -> normal approximation
    ([0.3, -0.3, 0.5, 0.7, -0.9, 1.1], 14.5, 0.46183801815063763, NORMAL_CC),
    # c(2, 3, 1, 0, 4, 5, -1, 6): a zero (and then the |1| tie) -> normal approximation
    ([2, 3, 1, 0, 4, 5, -1, 6], 26.5, 0.042153450235705485, NORMAL_CC),
    # c(1, 2, 3, 4, 5)
    ([1, 2, 3, 4, 5], 15.0, 0.0625, EXACT),
    # c(-2.5)
    ([-2.5], 0.0, 1.0, EXACT),
]


@pytest.mark.parametrize("d, v, p, method", R_CASES)
def test_against_r_wilcox_test(d, v, p, method):
    res = wilcoxon_signed_rank(d)
    assert res.statistic == v
    assert res.method == method
    assert res.p_value == pytest.approx(p, rel=1e-13)


def test_statistic_is_v_of_d_as_r_for_y_minus_x():
    """R 4.2.2: wilcox.test(x1, y1, paired=TRUE) V = 34, wilcox.test(y1, x1, paired=TRUE) V = 44."""
    x = np.array([120, 114, 181, 188, 180, 146, 121, 191, 132, 113, 127, 112], float)
    y = np.array([133, 143, 119, 189, 112, 199, 198, 113, 115, 121, 142, 187], float)
    assert wilcoxon_signed_rank(x - y).statistic == 34.0
    assert wilcoxon_signed_rank(y - x).statistic == 44.0
    assert wilcoxon_signed_rank(x - y).p_value == wilcoxon_signed_rank(y - x).p_value


def test_all_zero_differences_give_none():
    res = wilcoxon_signed_rank([0.0, 0.0, -0.0])
    assert res == WilcoxonResult(None, None, None, 0, 3, False)
    assert wilcoxon_p_from_ranks(0, 0.0, 0.0, 3) is None


# --- the rank-sum entry point (the SQL path) ----------------------------------------------


def _rank_summary(d):
    d = np.asarray(d, float)
    nz = d[d != 0]
    ranks = scipy.stats.rankdata(np.abs(nz))
    _, t = np.unique(np.abs(nz), return_counts=True)
    return nz.size, float(ranks[nz > 0].sum()), float(np.sum(t.astype(np.int64) ** 3 - t)), int(np.sum(d == 0))


@pytest.mark.parametrize("d, v, p, method", R_CASES)
def test_from_ranks_is_bit_identical(d, v, p, method):
    assert wilcoxon_p_from_ranks(*_rank_summary(d)) == wilcoxon_signed_rank(d).p_value


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(-6, 6), min_size=1, max_size=80))
def test_from_ranks_bit_identical_property(ints):
    d = np.asarray(ints, float) / 2.0
    assert wilcoxon_p_from_ranks(*_rank_summary(d)) == wilcoxon_signed_rank(d).p_value


@pytest.mark.parametrize(
    "args",
    [
        (-1, 0.0, 0.0, 0),  # negative n
        (3, 7.0, 0.0, 0),  # V above n(n+1)/2 = 6
        (3, 2.25, 0.0, 0),  # V not a multiple of 0.5
        (3, 2.5, 0.0, 0),  # half-integer V but no ties claimed -> exact impossible
        (3, 3.0, -6.0, 0),  # negative tie term
        (3, 3.0, 30.0, 0),  # tie term above n^3 - n = 24
        (3, 3.0, 0.0, -1),  # negative zeros
        (2.5, 1.0, 0.0, 0),  # fractional n
        (3, float("nan"), 0.0, 0),
    ],
)
def test_from_ranks_rejects_bad_input(args):
    with pytest.raises(ValueError):
        wilcoxon_p_from_ranks(*args)


# --- scipy with the method chosen explicitly ------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-8, 8), min_size=1, max_size=120))
def test_matches_scipy_normal_branch(ints):
    """With ties or zeros (or n >= 50) R uses the normal approximation with tie and continuity
    correction: scipy wilcoxon(zero_method="wilcox", correction=True, method="approx")."""
    d = np.asarray(ints, float)
    res = wilcoxon_signed_rank(d, exact=False)
    if res.n_used == 0:
        assert res.p_value is None
        return
    ref = scipy.stats.wilcoxon(d, zero_method="wilcox", correction=True, method="approx")
    assert res.p_value == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-15)
    assert min(res.statistic, res.n_used * (res.n_used + 1) / 2 - res.statistic) == ref.statistic


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 10_000), min_size=1, max_size=49, unique=True), st.randoms())
def test_matches_scipy_exact_branch(magnitudes, rnd):
    d = np.asarray([m if rnd.random() < 0.5 else -m for m in magnitudes], float)
    res = wilcoxon_signed_rank(d)
    assert res.method == EXACT
    ref = scipy.stats.wilcoxon(d, method="exact")
    assert res.p_value == pytest.approx(ref.pvalue, rel=1e-12)


def test_exact_null_distribution():
    counts = signed_rank_counts(10)
    assert sum(counts) == 2**10 and len(counts) == 56
    assert counts == tuple(reversed(counts))
    # P(V <= 8) for n = 10, R 4.2.2: psignrank(8, 10) = 0.024414062500000000 (25 / 1024)
    assert sum(counts[:9]) == 25


@pytest.mark.parametrize("bad", [[], [1.0, float("nan")], [float("inf")], "abc", [[1.0, 2.0]]])
def test_rejects_bad_vectors(bad):
    with pytest.raises(ValueError):
        wilcoxon_signed_rank(bad)


def test_exact_requested_for_large_n():
    """R 4.2.2: d <- (1:299) * ifelse((1:299) %% 3 == 0, -1, 1); wilcox.test(d, exact = TRUE)
    -> p = 3.0129718970362979e-07 (R's default for n >= 50 is the normal approximation)."""
    d = [i if i % 3 else -i for i in range(1, 300)]
    res = wilcoxon_signed_rank(d, exact=True)
    assert res.method == EXACT and res.statistic == 30000.0
    assert res.p_value == pytest.approx(3.0129718970362979e-07, rel=1e-12)
    assert wilcoxon_signed_rank(d).method == NORMAL_CC
