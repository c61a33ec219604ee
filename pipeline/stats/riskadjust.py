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


# --- the same models from sufficient statistics (no row per episode) ---------------------------

@dataclass(frozen=True)
class MomentsLinearFit:
    coef: np.ndarray  # one solution of the normal equations (minimum norm on the equilibrated design)
    r2: float
    rmse: float
    n: int  # episodes
    p: int  # rank of the design


@dataclass(frozen=True)
class CountsLogisticFit:
    coef: np.ndarray  # NaN when every episode (or none) succeeded
    fitted: np.ndarray  # one predicted probability per covariate pattern
    pseudo_r2: float  # McFadden's, NaN when every episode (or none) succeeded
    n: int


RANK_TOL = 1e-11  # eigenvalues of the equilibrated X'X below this share of the largest count as zero


def ols_moments(xtx, xty, yty: float, n: float, sum_y: float) -> MomentsLinearFit:
    """:func:`ols` from the cross-products of the episodes' design ``X`` and outcome ``y``:
    ``xtx = X'X``, ``xty = X'y``, ``yty = y'y``, ``n`` episodes, ``sum_y = 1'y`` (X holds an
    intercept column). The normal equations ``X'X beta = X'y`` are solved on the equilibrated
    matrix ``D X'X D`` (``D = diag(X'X)^-1/2``) by its eigen-decomposition, eigenvalues below
    ``RANK_TOL`` of the largest treated as zero (the rank); a rank-deficient design has many
    solutions but one vector of fitted values. ``SS_res = y'y - 2 beta'X'y + beta'X'X beta``,
    ``SS_tot = y'y - (1'y)^2 / n``, ``R^2 = 1 - SS_res / SS_tot`` (NaN when SS_tot = 0),
    ``RMSE = sqrt(SS_res / n)``: the same fit as R ``lm(y ~ X - 1)`` on the episodes
    (Seber & Lee 2003, ch. 3), from statistics that add over clinics and sites.

    >>> fit = ols_moments([[5.0, 3.0], [3.0, 3.0]], [11.0, 9.0], 31.5, 5, 11.0)
    >>> [round(float(b), 12) for b in fit.coef], round(fit.r2, 6)
    ([1.0, 2.0], 0.657534)
    """
    A = np.asarray(xtx, dtype=float)
    c = np.asarray(xty, dtype=float)
    if A.ndim != 2 or A.shape[0] != A.shape[1] or A.shape[0] == 0 or c.shape != (A.shape[0],):
        raise ValueError("xtx must be a square matrix and xty a vector of its size")
    if not (np.all(np.isfinite(A)) and np.all(np.isfinite(c)) and math.isfinite(yty) and math.isfinite(sum_y)):
        raise ValueError("the cross-products must be finite")
    if not n > 0:
        raise ValueError("n must be positive")
    diag = np.diag(A)
    if np.any(diag < 0) or not np.allclose(A, A.T, rtol=1e-12, atol=0):
        raise ValueError("xtx must be symmetric with a non-negative diagonal")
    scale = np.where(diag > 0, 1.0 / np.sqrt(np.where(diag > 0, diag, 1.0)), 0.0)
    values, vectors = np.linalg.eigh(A * scale[:, None] * scale[None, :])
    keep = values > RANK_TOL * max(float(values.max()), 0.0)
    inverse = (vectors[:, keep] / values[keep]) @ vectors[:, keep].T
    coef = scale * (inverse @ (scale * c))
    ss_res = max(float(yty - 2.0 * coef @ c + coef @ A @ coef), 0.0)
    ss_tot = float(yty - sum_y * sum_y / n)
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else float("nan")
    return MomentsLinearFit(coef, r2, math.sqrt(ss_res / n), int(round(n)), int(keep.sum()))


def logistic_counts(X, n, xty, max_iter: int = 50, tol: float = 1e-10, ridge: float = 1e-8) -> CountsLogisticFit:
    """:func:`logistic` on episodes that share design rows, from the pattern counts and one
    sufficient statistic: row g of ``X`` stands for ``n[g]`` episodes, and ``xty = X'y`` sums
    the design rows of the episodes with ``y = 1``. No outcome per pattern is needed: the
    score is ``X'y - sum_g n_g p_g x_g`` and the weights ``W = n p (1 - p)``; the same IRLS
    steps, ridge, clipping and stopping rule as :func:`logistic`. The log-likelihood is
    ``beta' X'y + sum_g n_g log(1 - p_g)`` (for ``p = 1 / (1 + exp(-x'beta))``,
    ``y log p + (1 - y) log(1 - p) = y x'beta + log(1 - p)``; McCullagh & Nelder 1989,
    s. 4.4), so the deviance and McFadden's pseudo R^2 follow too. X must hold an intercept
    column (its entry of ``xty`` is then the count of successes). When every episode (or none)
    succeeded, the fit is that constant and the pseudo R^2 NaN.

    >>> fit = logistic_counts([[1.0, 0.0], [1.0, 1.0]], n=[4, 6], xty=[5.0, 4.0])
    >>> [round(float(p), 6) for p in fit.fitted]
    [0.25, 0.666667]
    """
    X = _design(X)
    n = np.asarray(n, dtype=float)
    if n.shape != (X.shape[0],) or not np.all(np.isfinite(n)) or np.any(n <= 0):
        raise ValueError("n must be a positive count per row of X")
    c = np.asarray(xty, dtype=float)
    if c.shape != (X.shape[1],) or not np.all(np.isfinite(c)):
        raise ValueError("xty must be a finite vector with one value per column of X")
    total = float(n.sum())
    hits = float(c[0])
    if not 0 <= hits <= total:
        raise ValueError("the intercept's entry of xty (the successes) must be between 0 and the episodes")
    ybar = hits / total
    p = X.shape[1]
    if not 0 < ybar < 1:
        return CountsLogisticFit(np.full(p, np.nan), np.full(len(n), ybar), float("nan"), int(total))
    beta = np.zeros(p)
    null_dev = -2.0 * (hits * math.log(ybar) + (total - hits) * math.log(1 - ybar))
    dev_old = math.inf
    for _ in range(max_iter):
        prob = 1.0 / (1.0 + np.exp(-np.clip(X @ beta, -30, 30)))
        hess = X.T @ (X * (n * prob * (1 - prob))[:, None]) + ridge * np.eye(p)
        beta = beta + np.linalg.solve(hess, c - X.T @ (n * prob))
        eta = np.clip(X @ beta, -30, 30)
        prob = 1.0 / (1.0 + np.exp(-eta))
        dev = -2.0 * float(beta @ c - np.dot(n, np.logaddexp(0.0, eta)))
        if abs(dev - dev_old) < tol * (abs(dev) + 0.1):
            break
        dev_old = dev
    return CountsLogisticFit(beta, prob, (1.0 - dev / null_dev if null_dev > 0 else float("nan")), int(total))


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
