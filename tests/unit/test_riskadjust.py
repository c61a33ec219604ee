"""Risk adjustment against statsmodels (OLS and Logit), and observed-minus-expected intervals."""
from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats as sps

from pipeline.stats import riskadjust


@pytest.fixture()
def data():
    rng = np.random.default_rng(42)
    n = 400
    X = np.column_stack([np.ones(n), rng.normal(6, 2, n), rng.integers(0, 2, n), rng.integers(0, 2, n)])
    y = X @ np.array([0.5, 0.3, -0.4, 0.8]) + rng.normal(0, 1.5, n)
    p = 1 / (1 + np.exp(-(X @ np.array([-1.5, 0.2, 0.5, -0.3]))))
    return X, y, (rng.random(n) < p).astype(float)


def test_ols_matches_statsmodels(data):
    X, y, _ = data
    ours = riskadjust.ols(X, y)
    ref = sm.OLS(y, X).fit()   # statsmodels 0.15.0
    np.testing.assert_allclose(ours.coef, ref.params, rtol=1e-10)
    np.testing.assert_allclose(ours.fitted, ref.fittedvalues, rtol=1e-10)
    assert ours.r2 == pytest.approx(ref.rsquared, rel=1e-10)


def test_logistic_matches_statsmodels(data):
    X, _, yb = data
    ours = riskadjust.logistic(X, yb)
    ref = sm.Logit(yb, X).fit(disp=0, tol=1e-12)
    np.testing.assert_allclose(ours.coef, ref.params, rtol=1e-6)
    np.testing.assert_allclose(ours.fitted, ref.predict(X), rtol=1e-6)
    assert ours.pseudo_r2 == pytest.approx(ref.prsquared, rel=1e-6)


def test_rank_deficient_design_still_gives_unique_fits(data):
    X, y, yb = data
    Xd = np.column_stack([X, X[:, 2]])          # a duplicated dummy (a level seen once)
    np.testing.assert_allclose(riskadjust.ols(Xd, y).fitted, riskadjust.ols(X, y).fitted, rtol=1e-9)
    np.testing.assert_allclose(riskadjust.logistic(Xd, yb).fitted, riskadjust.logistic(X, yb).fitted, rtol=1e-5)


def test_observed_minus_expected_mean_uses_a_t_interval():
    o = np.array([3.0, 4.0, 2.0, 5.0, 4.0])
    e = np.array([2.5, 3.0, 2.5, 3.5, 3.0])
    got = riskadjust.observed_minus_expected(o, e, "mean")
    r = o - e
    half = sps.t.ppf(0.975, 4) * r.std(ddof=1) / np.sqrt(5)
    assert got.difference == pytest.approx(r.mean())
    assert (got.ci_low, got.ci_high) == pytest.approx((r.mean() - half, r.mean() + half))
    assert got.observed == pytest.approx(3.6) and got.expected == pytest.approx(2.9)


def test_observed_minus_expected_rate_uses_the_model_variance():
    o = np.array([1, 0, 1, 1, 0, 1], dtype=float)
    e = np.array([0.5, 0.4, 0.7, 0.6, 0.3, 0.5])
    got = riskadjust.observed_minus_expected(o, e, "rate")
    half = sps.norm.ppf(0.975) * np.sqrt(np.sum(e * (1 - e))) / 6
    assert (got.ci_low, got.ci_high) == pytest.approx((got.difference - half, got.difference + half))


@pytest.mark.parametrize("bad", [
    lambda: riskadjust.ols(np.ones((3, 2)), [1, 2]),
    lambda: riskadjust.logistic(np.ones((3, 1)), [0, 1, 2]),
    lambda: riskadjust.observed_minus_expected([1.0], [1.0, 2.0]),
    lambda: riskadjust.observed_minus_expected([1.0], [1.0], kind="odds"),
    lambda: riskadjust.ols(np.array([[1.0, np.nan]]), [1.0]),
])
def test_bad_inputs_raise(bad):
    with pytest.raises(ValueError):
        bad()
