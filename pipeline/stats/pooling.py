"""Inverse-variance pooling across clinics and meta-regression, as metafor's ``rma``.

Definitions: ``shared/design/statistics.md``, "Pooling across clinics" and "Dose-response".
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import ndtr, ndtri

from ._checks import as_vector

__all__ = ["Pooled", "MetaReg", "pool", "metareg", "weighable", "ConvergenceError"]

POOL_METHODS = ("FE", "EE", "DL", "REML")
METAREG_METHODS = ("FE", "EE", "DL", "REML")
_Z975 = float(ndtri(0.975))  # 1.959963984540054, metafor's qnorm(0.975) ("1.96")

# metafor 3.8-1 rma.uni control defaults
REML_THRESHOLD = 1e-5
REML_MAXITER = 100
_LL0_TOL = float(np.finfo(float).eps) ** 0.25  # con$tol, used by the ll0 check


class ConvergenceError(RuntimeError):
    """Fisher scoring did not converge in REML_MAXITER iterations (metafor stops too)."""


@dataclass(frozen=True, slots=True)
class Pooled:
    """Result of :func:`pool`.

    k: number of estimates; method: as requested; estimate, se, ci_low, ci_high: pooled mean
    with its standard error and 95% Wald interval; tau2: between-clinic variance (0 for
    FE/EE); i2: I^2 in percent; q: Cochran's Q (fixed-effect weights); pred_low/pred_high:
    95% prediction interval; iterations: Fisher scoring iterations (REML only, else None).
    With k == 1, ``q`` and ``i2`` are None (no heterogeneity can be estimated).
    """

    k: int
    method: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    tau2: float
    i2: float | None
    q: float | None
    pred_low: float
    pred_high: float
    iterations: int | None


@dataclass(frozen=True, slots=True)
class MetaReg:
    """Result of :func:`metareg`: ``yi = intercept + slope * x`` (mixed-effects, z tests).

    slope_ci_low/high: 95% Wald interval; slope_z, slope_p: z statistic and two-sided
    p-value; tau2: residual heterogeneity; i2: residual I^2 in percent (None when k == 2).
    """

    k: int
    intercept: float
    intercept_se: float
    slope: float
    slope_se: float
    slope_ci_low: float
    slope_ci_high: float
    slope_z: float
    slope_p: float
    tau2: float
    i2: float | None
    method: str


@dataclass(frozen=True, slots=True)
class _Fit:
    beta: np.ndarray
    vb: np.ndarray
    tau2: float
    qe: float | None
    i2: float | None
    iterations: int | None


# A sampling variance at or below this is zero: in double precision a cell whose every
# improvement is 0 has r = 1 - 2e-16 rather than 1, so smcr_var = 2(1 - r)/n ~ 1e-17 instead of
# 0, a weight of 1e16 that is rounding residue. A real cell's variance is of the order 1/n.
VI_ZERO = 1e-12


def weighable(yi: Any, vi: Any) -> np.ndarray:
    """Which estimates can enter an inverse-variance model: ``yi`` finite, ``vi`` finite and
    above ``VI_ZERO`` (1e-12).

    statistics.md, "Pooling across clinics": a clinic whose sampling variance is 0 (every
    improvement in its cell equal, so r = 1 and smcr = 0) or undefined carries no weight a
    reviewer could check; pooling and meta-regression leave it out and publish how many they
    left out (``k_excluded``). metafor's ``rma`` stops on such input ("non-positive sampling
    variances"), so callers filter with this mask first. Null (None) counts as undefined, and a
    variance of at most ``VI_ZERO`` as 0 (the rounding residue of r = 1, see above).

    Examples
    --------
    >>> weighable([0.5, 0.0, 0.0, 0.3, None], [0.02, 0.0, 3e-17, float("nan"), 0.1]).tolist()
    [True, False, False, False, False]
    """
    y = np.asarray(yi, dtype=float)  # None becomes NaN
    v = np.asarray(vi, dtype=float)
    if y.shape != v.shape or y.ndim != 1:
        raise ValueError(f"yi and vi must be vectors of the same length, got shapes {y.shape} and {v.shape}")
    return np.isfinite(y) & np.isfinite(v) & (v > VI_ZERO)


def _check_yi_vi(yi: Any, vi: Any, min_k: int) -> tuple[np.ndarray, np.ndarray]:
    y = as_vector(yi, "yi", min_len=min_k)
    v = as_vector(vi, "vi", min_len=min_k)
    if y.size != v.size:
        raise ValueError(f"yi and vi must have the same length, got {y.size} and {v.size}")
    if np.any(v <= 0):
        raise ValueError("vi must be strictly positive sampling variances")
    return y, v


class _Projection:
    """The REML projection ``P = W - W X (X'WX)^-1 X'W`` (W = diag(w)) without forming the k x k
    matrix: every quantity Fisher scoring needs in O(k p^2) (p = 1 or 2 columns), so pooling
    4,000 clinics costs as little as pooling 40 did (the dense P was k x k, then P @ P).

    With ``A = X'WX``, ``B_j = X'W^j X`` and ``b = A^-1 X'Wy``:
    ``Py = W (y - X b)``, ``y'Py = sum w (y - Xb)^2``, ``y'PPy = ||Py||^2``,
    ``tr P = sum w - tr(A^-1 B_2)`` and
    ``tr PP = sum w^2 - 2 tr(A^-1 B_3) + tr(A^-1 B_2 A^-1 B_2)``.
    """

    def __init__(self, X: np.ndarray, w: np.ndarray):
        self.X, self.w = X, w
        self.A = X.T @ (w[:, None] * X)
        self.AiB2 = np.linalg.solve(self.A, X.T @ ((w * w)[:, None] * X))

    def residual(self, y: np.ndarray) -> np.ndarray:
        """y - X b, b the weighted least-squares coefficients."""
        b = np.linalg.solve(self.A, self.X.T @ (self.w * y))
        return y - self.X @ b

    def yPy(self, y: np.ndarray) -> float:
        r = self.residual(y)
        return float(np.sum(self.w * r * r))

    def yPPy(self, y: np.ndarray) -> float:
        py = self.w * self.residual(y)
        return float(py @ py)

    def trace(self) -> float:
        return float(np.sum(self.w) - np.trace(self.AiB2))

    def trace_pp(self) -> float:
        w, X = self.w, self.X
        AiB3 = np.linalg.solve(self.A, X.T @ ((w * w * w)[:, None] * X))
        return float(np.sum(w * w) - 2.0 * np.trace(AiB3) + np.trace(self.AiB2 @ self.AiB2))


def _reml_ll(y: np.ndarray, v: np.ndarray, X: np.ndarray, tau2: float) -> float:
    """Restricted log-likelihood as metafor (REMLf = TRUE), on the centred outcomes."""
    k, p = X.shape
    w = 1.0 / (v + tau2)
    XtWX = X.T @ (w[:, None] * X)
    beta = np.linalg.solve(XtWX, X.T @ (w * y))
    rss = float(np.sum(w * (y - X @ beta) ** 2))
    logdet = float(np.linalg.slogdet(XtWX)[1])
    return -0.5 * (k - p) * math.log(2 * math.pi) - 0.5 * float(np.sum(np.log(v + tau2))) - 0.5 * logdet - 0.5 * rss


def _fit(yi: np.ndarray, vi: np.ndarray, X: np.ndarray, method: str) -> _Fit:
    """metafor rma.uni(yi, vi, mods = X[, -1], method = method, test = "z") for FE/EE/DL/REML."""
    k, p = X.shape
    ymc = yi - float(np.mean(yi))  # metafor estimates tau2 on the centred outcomes
    w_fe = 1.0 / vi
    iterations: int | None = None
    if k == 1:
        tau2 = 0.0  # metafor: method "k1"
    elif method in ("FE", "EE"):
        tau2 = 0.0
    elif method == "DL":
        P = _Projection(X, w_fe)
        tau2 = max(0.0, (P.yPy(ymc) - (k - p)) / P.trace())
    else:  # REML
        # starting value: Hedges' (HE) estimator, as rma.uni 3.8-1 when control tau2.init is unset:
        # (y'(I - H)y - tr((I - H)V)) / (k - p), H = X (X'X)^-1 X', diag(H)_i = x_i'(X'X)^-1 x_i
        ones = np.ones(k)
        hat = np.einsum("ij,ij->i", X @ np.linalg.inv(X.T @ X), X)
        tau2 = max(0.0, (_Projection(X, ones).yPy(ymc) - float(np.sum((1.0 - hat) * vi))) / (k - p))
        change = REML_THRESHOLD + 1.0
        iterations = 0
        while change > REML_THRESHOLD:
            iterations += 1
            old = tau2
            P = _Projection(X, 1.0 / (vi + tau2))
            adj = (P.yPPy(ymc) - P.trace()) / P.trace_pp()
            if math.isnan(adj):
                adj = 0.0
            while tau2 + adj < 0.0:  # step halving keeps tau2 >= 0
                adj /= 2.0
            tau2 = tau2 + adj
            change = abs(old - tau2)
            if iterations > REML_MAXITER:
                raise ConvergenceError(
                    f"REML Fisher scoring did not converge in {REML_MAXITER} iterations (tau2 = {tau2})"
                )
        # metafor's ll0check: fall back to tau2 = 0 when that has the higher likelihood
        if _reml_ll(ymc, vi, X, 0.0) - _reml_ll(ymc, vi, X, tau2) > _LL0_TOL and tau2 > REML_THRESHOLD:
            warnings.warn(
                "REML Fisher scoring may have got stuck at a local maximum; tau2 set to 0 (as metafor)",
                RuntimeWarning,
                stacklevel=3,
            )
            tau2 = 0.0
        tau2 = max(0.0, tau2)

    w = 1.0 / (vi + tau2)
    XtWX = X.T @ (w[:, None] * X)
    vb = np.linalg.inv(XtWX)
    beta = vb @ (X.T @ (w * yi))

    qe = i2 = None
    if k > p:
        P = _Projection(X, w_fe)
        qe = max(0.0, P.yPy(ymc))
        if method in ("FE", "EE"):
            i2 = max(0.0, 100.0 * (qe - (k - p)) / qe) if qe > 0 else None
        else:
            vt = (k - p) / P.trace()
            i2 = 100.0 * tau2 / (vt + tau2)
    return _Fit(beta, vb, float(tau2), qe, i2, iterations)


def _check_method(method: str, allowed: tuple[str, ...]) -> str:
    if method not in allowed:
        raise ValueError(f"method must be one of {allowed}, got {method!r}")
    return method


def pool(yi: Any, vi: Any, method: str = "REML") -> Pooled:
    """Inverse-variance pooling of k estimates (one per clinic), as metafor ``rma``.

    With ``w = 1/vi``, ``Q = sum w (y - y_w)^2`` and ``C = sum w - sum w^2 / sum w``:

    * ``"FE"`` (alias ``"EE"``): ``tau2 = 0``.
    * ``"DL"``: ``tau2 = max(0, (Q - (k - 1)) / C)`` (DerSimonian & Laird 1986).
    * ``"REML"``: Fisher scoring ``tau2 += (y'PPy - tr P) / tr(PP)`` with
      ``P = W - W 1 (1'W1)^-1 1'W``, ``W = diag(1/(vi + tau2))``, halving the step while it
      would make tau2 negative, until the change is <= 1e-5, at most 100 iterations
      (:class:`ConvergenceError` otherwise, as metafor stops), then metafor's check that
      tau2 = 0 does not have a higher restricted likelihood. Starting value: see below.

    Then ``w* = 1/(vi + tau2)``, ``mu = sum w* y / sum w*``, ``se = 1/sqrt(sum w*)``,
    ``CI = mu -+ z se`` and prediction interval ``mu -+ z sqrt(se^2 + tau2)`` with
    ``z = Phi^-1(0.975) = 1.959964``. ``I2 = 100 tau2 / (tau2 + (k - 1)/C)`` for DL/REML;
    for FE/EE metafor's ``max(0, 100 (Q - (k - 1)) / Q)`` (None when Q = 0).

    k == 1: the estimate is ``yi`` with ``se = sqrt(vi)``, ``tau2 = 0``; ``q`` and ``i2``
    are None (metafor prints Q = 0, I2 = 0 there, but nothing is estimable).

    Matches R metafor 3.8-1 ``rma(yi, vi, method = method)`` and ``predict()`` to ~1e-10
    for FE/DL. For REML the starting value is metafor's own: the Hedges (HE) estimator
    ``max(0, (sum (y - ybar)^2 - (k-1)/k sum vi) / (k - 1))`` (statistics.md says "from the
    DL value"; the converged value differs below the 1e-5 tolerance, and starting where
    metafor starts reproduces its iterations and digits).
    References: DerSimonian & Laird (1986), Control Clin Trials 7:177-188; Viechtbauer (2005),
    J Educ Behav Stat 30:261-293; Higgins & Thompson (2002), Stat Med 21:1539-1558;
    Riley, Higgins & Deeks (2011), BMJ 342:d549 (prediction interval, normal quantile as
    metafor).

    Raises ValueError for empty, unequal-length or non-finite input, non-positive ``vi``
    or an unknown method.

    Examples
    --------
    Kacker (2004)'s nine estimates (shared/reference/kacker2004_yi_vi.csv); R metafor gives
    DL: estimate 62.3901, se 0.2457, tau2 0.2880, I2 67.74 %, Q 24.80 (statsmodels' test_meta.py)
    and REML: estimate 62.3901, tau2 0.2943:

    >>> yi = [61.0, 61.4, 62.21, 62.3, 62.34, 62.6, 62.7, 62.84, 65.9]
    >>> vi = [0.2025, 1.21, 0.09, 0.2025, 0.3844, 0.5625, 0.0676, 0.0225, 1.8225]
    >>> dl = pool(yi, vi, method="DL")
    >>> round(dl.estimate, 4), round(dl.se, 4), round(dl.tau2, 4), round(dl.i2, 2), round(dl.q, 2)
    (62.3901, 0.2457, 0.288, 67.74, 24.8)
    >>> reml = pool(yi, vi)
    >>> round(reml.estimate, 4), round(reml.tau2, 4), reml.iterations
    (62.3901, 0.2943, 10)
    >>> round(pool(yi, vi, method="FE").estimate, 4)  # metafor EE: 62.5834
    62.5834
    """
    m = _check_method(method, POOL_METHODS)
    y, v = _check_yi_vi(yi, vi, 1)
    k = int(y.size)
    fit = _fit(y, v, np.ones((k, 1)), m)
    mu = float(fit.beta[0])
    se = math.sqrt(float(fit.vb[0, 0]))
    pred_half = _Z975 * math.sqrt(se * se + fit.tau2)
    return Pooled(
        k=k,
        method=m,
        estimate=mu,
        se=se,
        ci_low=mu - _Z975 * se,
        ci_high=mu + _Z975 * se,
        tau2=fit.tau2,
        i2=fit.i2 if k > 1 else None,
        q=fit.qe if k > 1 else None,
        pred_low=mu - pred_half,
        pred_high=mu + pred_half,
        iterations=fit.iterations,
    )


def metareg(yi: Any, vi: Any, x: Any, method: str = "REML") -> MetaReg:
    """Weighted meta-regression on one moderator: ``yi = b0 + b1 x + u_i + e_i``.

    ``u_i ~ N(0, tau2)`` (residual heterogeneity), ``e_i ~ N(0, vi)``. With
    ``X = [1, x]``: tau2 by REML Fisher scoring exactly as :func:`pool` (the same update
    with the two-column ``X``; starting value Hedges' estimator
    ``max(0, (y'(I - H)y - tr((I - H)V)) / (k - 2))``, ``H = X (X'X)^-1 X'``, as metafor),
    ``"DL"``: ``max(0, (QE - (k - 2)) / tr P)``, or ``"FE"``/``"EE"``: 0. Then
    ``b = (X'W*X)^-1 X'W*y``, ``Var(b) = (X'W*X)^-1``, z tests:
    ``slope_z = b1 / se(b1)``, ``slope_p = 2 (1 - Phi(|z|))``, CI ``b1 -+ 1.959964 se``.
    Residual ``I2 = 100 tau2 / (tau2 + (k - 2) / tr P)`` with ``P`` at the FE weights
    (FE/EE: ``max(0, 100 (QE - (k - 2)) / QE)``).

    Matches R metafor 3.8-1 ``rma(yi, vi, mods = ~ x, method = method)`` (default
    ``test = "z"``). References: Thompson & Sharp (1999), Stat Med 18:2693-2708;
    Viechtbauer (2010), J Stat Softw 36(3); Raudenbush (2009) in The Handbook of Research
    Synthesis, ch. 16.

    Raises ValueError when k < 3, lengths differ, values are not finite, ``vi <= 0``,
    ``x`` has no variance or the method is unknown.

    Examples
    --------
    Five clinics whose effect rises with the moderator (sessions per week, say):

    >>> fit = metareg([0.2, 0.35, 0.5, 0.55, 0.8], [0.04, 0.03, 0.05, 0.02, 0.04], [1, 2, 3, 4, 5])
    >>> round(fit.slope, 4), round(fit.slope_se, 4), round(fit.slope_p, 4), fit.tau2
    (0.1342, 0.0596, 0.0244, 0.0)
    """
    m = _check_method(method, METAREG_METHODS)
    y, v = _check_yi_vi(yi, vi, 0)
    xs = as_vector(x, "x")
    if xs.size != y.size:
        raise ValueError(f"x must have the same length as yi, got {xs.size} and {y.size}")
    k = int(y.size)
    if k < 3:
        raise ValueError(f"meta-regression needs k >= 3 estimates, got {k}")
    if np.all(xs == xs[0]):
        raise ValueError("x has no variance: the slope is not estimable")
    fit = _fit(y, v, np.column_stack([np.ones(k), xs]), m)
    b0, b1 = float(fit.beta[0]), float(fit.beta[1])
    se0, se1 = math.sqrt(float(fit.vb[0, 0])), math.sqrt(float(fit.vb[1, 1]))
    z = b1 / se1
    return MetaReg(
        k=k,
        intercept=b0,
        intercept_se=se0,
        slope=b1,
        slope_se=se1,
        slope_ci_low=b1 - _Z975 * se1,
        slope_ci_high=b1 + _Z975 * se1,
        slope_z=z,
        slope_p=float(2.0 * ndtr(-abs(z))),
        tau2=fit.tau2,
        i2=fit.i2,
        method=m,
    )
