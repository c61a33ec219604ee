"""The case-mix functions of stats.riskadjust on sufficient statistics (the ones production fits,
on agg.benchmark_moments and agg.case_mix_counts) equal the episode-level ones on the same
episodes, also on singular designs, and take the degenerate cases as the episode functions do."""
from __future__ import annotations

import numpy as np
import pytest

from pipeline.stats import riskadjust


@pytest.fixture()
def episodes():
    rng = np.random.default_rng(5)
    n = 600
    a, b = rng.integers(0, 3, n), rng.integers(0, 2, n)
    X = np.column_stack([np.ones(n), a == 1, a == 2, b]).astype(float)
    y = np.round(0.5 + 0.8 * a - 0.4 * b + rng.normal(0, 1, n), 1)
    return X, y, (y >= 1.0).astype(float)


def _moments(X, y):
    return X.T @ X, X.T @ y, float(y @ y), len(y), float(y.sum())


def test_ols_moments_equals_ols_on_the_episodes(episodes):
    X, y, _ = episodes
    want = riskadjust.ols(X, y)
    got = riskadjust.ols_moments(*_moments(X, y))
    assert X @ got.coef == pytest.approx(want.fitted, rel=1e-12)
    assert (got.r2, got.rmse, got.n, got.p) == (pytest.approx(want.r2, rel=1e-12), pytest.approx(want.rmse, rel=1e-12),
                                                want.n, want.p)


def test_ols_moments_on_a_singular_design_has_the_unique_fitted_values(episodes):
    X, y, _ = episodes
    Xs = np.column_stack([X, X[:, 1] + X[:, 2], 2.5 * X[:, 3]])  # two columns the others span
    want = riskadjust.ols(Xs, y)
    got = riskadjust.ols_moments(*_moments(Xs, y))
    assert got.p == want.p == 4
    assert Xs @ got.coef == pytest.approx(want.fitted, rel=1e-11)
    assert got.r2 == pytest.approx(want.r2, rel=1e-11)


def test_ols_moments_of_constant_outcomes_has_no_r2_and_no_error():
    X = np.column_stack([np.ones(6), [0, 1, 0, 1, 0, 1]])
    y = np.full(6, 3.0)
    got = riskadjust.ols_moments(*_moments(X, y))
    assert np.isnan(got.r2) and got.rmse == pytest.approx(0.0, abs=1e-7)
    assert X @ got.coef == pytest.approx(y, rel=1e-12)


def _patterns(X, hit):
    rows, inverse = np.unique(X, axis=0, return_inverse=True)
    return rows, inverse.ravel(), np.bincount(inverse.ravel()).astype(float)


def test_logistic_counts_equals_logistic_on_the_episodes(episodes):
    X, _, hit = episodes
    rows, inverse, n = _patterns(X, hit)
    want = riskadjust.logistic(X, hit)
    got = riskadjust.logistic_counts(rows, n, X.T @ hit)
    assert got.fitted[inverse] == pytest.approx(want.fitted, rel=1e-9)
    assert got.coef == pytest.approx(want.coef, rel=1e-8)
    assert got.pseudo_r2 == pytest.approx(want.pseudo_r2, rel=1e-9)


def test_logistic_counts_of_all_successes_is_that_constant():
    fit = riskadjust.logistic_counts([[1.0], [1.0]], [3, 2], [5.0])
    assert list(fit.fitted) == [1.0, 1.0] and np.isnan(fit.pseudo_r2) and np.isnan(fit.coef).all()


def test_observed_minus_expected_sums_equal_the_episode_function():
    rng = np.random.default_rng(8)
    o, e = rng.normal(2, 1, 40), rng.normal(1.5, 0.3, 40)
    want = riskadjust.observed_minus_expected(o, e, "mean")
    got = riskadjust.observed_minus_expected_sums([40], [o.sum()], [e.sum()], residual_ss=[np.sum((o - e) ** 2)])
    assert (got.difference[0], got.ci_low[0], got.ci_high[0]) == pytest.approx(
        (want.difference, want.ci_low, want.ci_high), rel=1e-12)
    p = rng.uniform(0.2, 0.8, 40)
    hit = (rng.uniform(size=40) < p).astype(float)
    want = riskadjust.observed_minus_expected(hit, p, "rate")
    got = riskadjust.observed_minus_expected_sums([40], [hit.sum()], [p.sum()], expected_var=[np.sum(p * (1 - p))])
    assert (got.difference[0], got.ci_low[0], got.ci_high[0]) == pytest.approx(
        (want.difference, want.ci_low, want.ci_high), rel=1e-12)


def test_one_episode_has_no_interval_and_bad_input_is_refused():
    got = riskadjust.observed_minus_expected_sums([1], [2.0], [1.0], residual_ss=[1.0])
    assert got.difference[0] == 1.0 and np.isnan(got.ci_low[0])
    with pytest.raises(ValueError, match="not both"):
        riskadjust.observed_minus_expected_sums([1], [2.0], [1.0])
    with pytest.raises(ValueError, match="positive"):
        riskadjust.ols_moments([[1.0]], [1.0], 1.0, 0, 1.0)
    with pytest.raises(ValueError, match="square"):
        riskadjust.ols_moments([[1.0, 0.0]], [1.0], 1.0, 1, 1.0)
    with pytest.raises(ValueError, match="positive count"):
        riskadjust.logistic_counts([[1.0]], [0], [0.0])
    with pytest.raises(ValueError, match="between 0 and the episodes"):
        riskadjust.logistic_counts([[1.0]], [2], [3.0])
