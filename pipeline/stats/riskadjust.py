"""Risk adjustment: expected outcomes from a network-wide model, observed minus expected per unit.

Following the FOTO and Keet IROMS idea (a clinic is judged against what its own case mix
would be expected to achieve in the network): an ordinary least squares model predicts each
episode's improvement, and a logistic model its chance of reaching the MCID, from case-mix
covariates. A unit's (clinic's) score is the mean of observed minus expected over its
episodes, with a t interval on the residuals (improvement) or a normal interval (responders).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from ._checks import as_level


@dataclass(frozen=True)
class LinearFit:
    coef: np.ndarray
    fitted: np.ndarray
    r2: float
    rmse: float
    n: int
    p: int


@dataclass(frozen=True)
class LogisticFit:
    coef: np.ndarray
    fitted: np.ndarray  # predicted probabilities
    deviance: float
    null_deviance: float
    iterations: int
    n: int
    p: int

    @property
    def pseudo_r2(self) -> float:
        """McFadden's pseudo R^2 = 1 - deviance / null deviance."""
        return 1.0 - self.deviance / self.null_deviance if self.null_deviance > 0 else float("nan")


@dataclass(frozen=True)
class ObservedExpected:
    n: int
    observed: float
    expected: float
    difference: float
    ci_low: float | None
    ci_high: float | None


def _design(X) -> np.ndarray:
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError("X must be a non-empty 2-D design matrix")
    if not np.all(np.isfinite(X)):
        raise ValueError("X must be finite")
    return X


def ols(X, y) -> LinearFit:
    """Least squares ``beta = argmin ||y - X beta||^2`` (rank-deficient designs use the minimum-norm
    solution, so fitted values stay unique). Matches R ``lm(y ~ X - 1)`` fitted values and
    statsmodels ``OLS(y, X).fit()``. R^2 is relative to the mean (X must hold an intercept column)."""
    X = _design(X)
    y = np.asarray(y, dtype=float)
    if y.shape != (X.shape[0],) or not np.all(np.isfinite(y)):
        raise ValueError("y must be a finite vector with one value per row of X")
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    fitted = X @ coef
    ss_res = float(np.sum((y - fitted) ** 2))
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else float("nan")
    return LinearFit(coef, fitted, r2, math.sqrt(ss_res / len(y)), len(y), int(np.linalg.matrix_rank(X)))


def logistic(X, y, max_iter: int = 50, tol: float = 1e-10, ridge: float = 1e-8) -> LogisticFit:
    """Logistic regression by iteratively reweighted least squares (Newton-Raphson):
    ``beta <- beta + (X' W X + ridge I)^-1 X' (y - p)``, ``W = diag(p (1 - p))``, until the
    change in deviance is below ``tol``. The tiny ridge keeps separable or rank-deficient
    designs finite. When every ``y`` is 1 (or every one 0) no coefficient is finite: the fitted
    probabilities are that constant, the coefficients NaN and the pseudo R^2 NaN (R's glm warns
    "fitted probabilities numerically 0 or 1" and returns huge coefficients there). Matches R ``glm(y ~ X - 1, family = binomial)`` and statsmodels
    ``Logit`` fitted probabilities on full-rank, non-separated data (McCullagh & Nelder 1989)."""
    X = _design(X)
    y = np.asarray(y, dtype=float)
    if y.shape != (X.shape[0],) or not np.all((y == 0) | (y == 1)):
        raise ValueError("y must be a 0/1 vector with one value per row of X")
    n, p = X.shape
    beta = np.zeros(p)
    ybar = y.mean()
    if not 0 < ybar < 1:  # every y is 1 (or 0): the maximum-likelihood fit is that constant, at the boundary
        return LogisticFit(np.full(p, np.nan), np.full(n, float(ybar)), 0.0, 0.0, 0, n, int(np.linalg.matrix_rank(X)))
    null_dev = -2.0 * float(np.sum(y * np.log(ybar) + (1 - y) * np.log(1 - ybar)))
    dev_old = math.inf
    for it in range(1, max_iter + 1):
        eta = np.clip(X @ beta, -30, 30)
        prob = 1.0 / (1.0 + np.exp(-eta))
        w = prob * (1 - prob)
        hess = X.T @ (X * w[:, None]) + ridge * np.eye(p)
        beta = beta + np.linalg.solve(hess, X.T @ (y - prob))
        eta = np.clip(X @ beta, -30, 30)
        prob = 1.0 / (1.0 + np.exp(-eta))
        eps = 1e-15
        dev = -2.0 * float(np.sum(y * np.log(prob + eps) + (1 - y) * np.log(1 - prob + eps)))
        if abs(dev - dev_old) < tol * (abs(dev) + 0.1):
            break
        dev_old = dev
    return LogisticFit(beta, prob, dev, null_dev, it, n, int(np.linalg.matrix_rank(X)))


def observed_minus_expected(observed, expected, kind: str = "mean", level: float = 0.95) -> ObservedExpected:
    """Mean of ``observed - expected`` over a unit's episodes with its confidence interval.

    ``kind="mean"`` (a continuous outcome): ``diff = mean(o - e)``, CI ``diff -+ t(1 - a/2, n-1)
    * sd(o - e) / sqrt(n)``. ``kind="rate"`` (0/1 outcome, e = predicted probability): the
    same difference with a normal interval ``diff -+ z(1 - a/2) * sqrt(sum e (1 - e)) / n``,
    the variance of an observed count around its expectation under the model (as in
    observed/expected ratios of hospital profiling; Ash et al. 2012, COPSS-CMS white paper).
    CI is None when n < 2.
    """
    o = np.asarray(observed, dtype=float)
    e = np.asarray(expected, dtype=float)
    if o.shape != e.shape or o.ndim != 1 or o.size == 0:
        raise ValueError("observed and expected must be non-empty vectors of equal length")
    if kind not in ("mean", "rate"):
        raise ValueError("kind must be 'mean' or 'rate'")
    conf = as_level(level)
    n = o.size
    diff = float(np.mean(o - e))
    lo = hi = None
    if n >= 2:
        if kind == "mean":
            half = float(sps.t.ppf(0.5 + conf / 2, n - 1) * np.std(o - e, ddof=1) / math.sqrt(n))
        else:
            half = float(sps.norm.ppf(0.5 + conf / 2) * math.sqrt(float(np.sum(e * (1 - e)))) / n)
        lo, hi = diff - half, diff + half
    return ObservedExpected(n, float(o.mean()), float(e.mean()), diff, lo, hi)
