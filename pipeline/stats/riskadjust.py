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


# --- the same models on grouped episodes (sufficient statistics, one row per design row) -------

@dataclass(frozen=True)
class GroupedLinearFit:
    coef: np.ndarray
    fitted: np.ndarray  # one fitted value per group
    r2: float
    rmse: float
    n: int  # episodes
    p: int  # rank of the design


@dataclass(frozen=True)
class GroupedLogisticFit:
    fitted: np.ndarray  # one predicted probability per group
    pseudo_r2: float  # McFadden's, NaN when every episode (or none) succeeded
    n: int


def _groups(X, n) -> tuple[np.ndarray, np.ndarray]:
    X = _design(X)
    n = np.asarray(n, dtype=float)
    if n.shape != (X.shape[0],) or not np.all(np.isfinite(n)) or np.any(n <= 0):
        raise ValueError("n must be a positive count per row of X")
    return X, n


def ols_grouped(X, n, mean, m2) -> GroupedLinearFit:
    """:func:`ols` on episodes that share design rows: row g of ``X`` stands for ``n[g]``
    episodes whose outcome has mean ``mean[g]`` and within sum of squared deviations ``m2[g]``.

    The episodes' normal equations are the groups' weighted by n (``X' diag(n) X beta = X'
    diag(n) mean``), so the minimum-norm coefficients and fitted values are the same; R^2 and
    RMSE add the within sums of squares: ``SS_res = sum(m2) + sum(n (mean - fitted)^2)``,
    ``SS_tot = sum(m2) + sum(n (mean - grand mean)^2)``, ``RMSE = sqrt(SS_res / sum n)``.

    >>> fit = ols_grouped([[1.0, 0.0], [1.0, 1.0]], n=[2, 3], mean=[1.0, 3.0], m2=[0.5, 2.0])
    >>> [round(float(v), 12) for v in fit.fitted], round(fit.r2, 6)
    ([1.0, 3.0], 0.657534)
    """
    X, n = _groups(X, n)
    mean = np.asarray(mean, dtype=float)
    m2 = np.asarray(m2, dtype=float)
    if mean.shape != n.shape or m2.shape != n.shape or not (np.all(np.isfinite(mean)) and np.all(np.isfinite(m2))):
        raise ValueError("mean and m2 must be finite, one value per row of X")
    w = np.sqrt(n)
    coef, *_ = np.linalg.lstsq(X * w[:, None], mean * w, rcond=None)
    fitted = X @ coef
    total = float(n.sum())
    grand = float(np.dot(n, mean)) / total
    within = float(m2.sum())
    ss_res = within + float(np.dot(n, (mean - fitted) ** 2))
    ss_tot = within + float(np.dot(n, (mean - grand) ** 2))
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else float("nan")
    return GroupedLinearFit(coef, fitted, r2, math.sqrt(ss_res / total), int(total), int(np.linalg.matrix_rank(X)))


def logistic_grouped(X, n, successes, max_iter: int = 50, tol: float = 1e-10, ridge: float = 1e-8) -> GroupedLogisticFit:
    """:func:`logistic` on binomial groups (``successes[g]`` of ``n[g]`` episodes share design row
    g): the same IRLS steps, ridge, clipping and stopping rule, with the episodes' weights
    ``W = n p (1 - p)`` and score ``X' (s - n p)``; the deviance is the episodes' deviance. When
    every episode (or none) succeeded, the fit is that constant and the pseudo R^2 NaN.

    >>> fit = logistic_grouped([[1.0], [1.0]], n=[4, 6], successes=[1, 4])
    >>> [round(float(p), 6) for p in fit.fitted]
    [0.5, 0.5]
    """
    X, n = _groups(X, n)
    s = np.asarray(successes, dtype=float)
    if s.shape != n.shape or np.any(s < 0) or np.any(s > n):
        raise ValueError("successes must be between 0 and n, one per row of X")
    total, hits = float(n.sum()), float(s.sum())
    ybar = hits / total
    if not 0 < ybar < 1:
        return GroupedLogisticFit(np.full(len(n), ybar), float("nan"), int(total))
    p = X.shape[1]
    beta = np.zeros(p)
    null_dev = -2.0 * (hits * np.log(ybar) + (total - hits) * np.log(1 - ybar))
    dev_old, eps = np.inf, 1e-15
    for _ in range(max_iter):
        prob = 1.0 / (1.0 + np.exp(-np.clip(X @ beta, -30, 30)))
        w = n * prob * (1 - prob)
        hess = X.T @ (X * w[:, None]) + ridge * np.eye(p)
        beta = beta + np.linalg.solve(hess, X.T @ (s - n * prob))
        prob = 1.0 / (1.0 + np.exp(-np.clip(X @ beta, -30, 30)))
        dev = -2.0 * float(np.sum(s * np.log(prob + eps) + (n - s) * np.log(1 - prob + eps)))
        if abs(dev - dev_old) < tol * (abs(dev) + 0.1):
            break
        dev_old = dev
    return GroupedLogisticFit(prob, (1.0 - dev / null_dev if null_dev > 0 else float("nan")), int(total))


@dataclass(frozen=True)
class ObservedExpectedArrays:
    """:class:`ObservedExpected` of many units at once (NaN where a CI is undefined, n < 2)."""
    n: np.ndarray
    observed: np.ndarray
    expected: np.ndarray
    difference: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray


def observed_minus_expected_sums(n, observed_sum, expected_sum, residual_ss=None, expected_var=None,
                                 level: float = 0.95) -> ObservedExpectedArrays:
    """:func:`observed_minus_expected` of many units from their sums over episodes:
    ``observed_sum = sum o``, ``expected_sum = sum e`` and, for ``kind="mean"``, ``residual_ss
    = sum (o - e)^2`` (then ``sd(o - e)^2 = (residual_ss - n diff^2) / (n - 1)``, t interval),
    or for ``kind="rate"`` ``expected_var = sum e (1 - e)`` (normal interval
    ``z sqrt(expected_var) / n``). Give exactly one of the two.

    >>> r = observed_minus_expected_sums([3], [6.0], [3.0], residual_ss=[5.0])
    >>> float(r.difference[0]), round(float(r.ci_high[0]), 6)
    (1.0, 3.484138)
    """
    if (residual_ss is None) == (expected_var is None):
        raise ValueError("give residual_ss (a mean) or expected_var (a rate), not both")
    conf = as_level(level)
    n = np.asarray(n, dtype=float)
    o, e = np.asarray(observed_sum, dtype=float), np.asarray(expected_sum, dtype=float)
    if n.ndim != 1 or o.shape != n.shape or e.shape != n.shape or np.any(n <= 0):
        raise ValueError("n, observed_sum and expected_sum must be vectors of equal length, n > 0")
    diff = (o - e) / n
    several = n >= 2
    if residual_ss is not None:
        dof = np.where(several, n - 1, 1)
        sd = np.sqrt(np.maximum(np.asarray(residual_ss, dtype=float) - n * diff ** 2, 0.0) / dof)
        half = sps.t.ppf(0.5 + conf / 2, dof) * sd / np.sqrt(n)
    else:
        half = sps.norm.ppf(0.5 + conf / 2) * np.sqrt(np.asarray(expected_var, dtype=float)) / n
    return ObservedExpectedArrays(n, o / n, e / n, diff, np.where(several, diff - half, np.nan),
                                  np.where(several, diff + half, np.nan))
