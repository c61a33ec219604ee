"""Differences between two independent groups: means (Welch) and proportions (Newcombe).

Used to compare two cohorts (``pipeline.cohorts.compare``); pure numpy/scipy.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats as sps
from scipy.special import ndtr

from ._checks import as_level, as_vector
from .proportion import wilson


@dataclass(frozen=True, slots=True)
class WelchDifference:
    """Result of :func:`welch_difference`: difference of means ``a - b`` and its inference."""

    difference: float
    se: float
    df: float
    t: float
    ci_low: float
    ci_high: float
    p_value: float


def welch_difference(a: Any, b: Any, level: float = 0.95) -> WelchDifference:
    """Difference of two independent means with Welch's unequal-variance t interval and test.

    With sample means ``m``, variances ``s^2`` (n - 1 denominator) and sizes ``n``::

        difference = m_a - m_b
        se         = sqrt(s_a^2 / n_a + s_b^2 / n_b)
        df         = se^4 / ((s_a^2/n_a)^2 / (n_a - 1) + (s_b^2/n_b)^2 / (n_b - 1))   (Satterthwaite)
        t          = difference / se
        CI         = difference -+ t_{df, (1 + level)/2} * se
        p          = 2 * P(T_df > |t|)

    Matches R ``t.test(a, b)`` (default ``var.equal = FALSE``) and scipy
    ``ttest_ind(a, b, equal_var=False)``. Welch (1947), Biometrika 34:28-35; Satterthwaite
    (1946), Biometrics Bulletin 2:110-114.

    Raises ValueError when a group has fewer than 2 values, a value is not finite, or both
    groups are constant (se = 0: no test, as R's "data are essentially constant").

    Examples
    --------
    >>> w = welch_difference([5.1, 4.9, 6.2, 5.8, 6.0], [4.1, 4.4, 3.9, 5.0, 4.6])
    >>> round(w.difference, 4), round(w.df, 4), round(w.p_value, 6)
    (1.2, 7.4394, 0.006351)
    >>> round(w.ci_low, 4), round(w.ci_high, 4)
    (0.4537, 1.9463)
    """
    x = as_vector(a, "a", min_len=2)
    y = as_vector(b, "b", min_len=2)
    lv = as_level(level)
    na, nb = x.size, y.size
    va, vb = float(np.var(x, ddof=1)) / na, float(np.var(y, ddof=1)) / nb
    se = math.sqrt(va + vb)
    if se == 0.0:
        raise ValueError("both groups are constant: the difference has no standard error")
    dfree = (va + vb) ** 2 / (va**2 / (na - 1) + vb**2 / (nb - 1))
    diff = float(np.mean(x)) - float(np.mean(y))
    t = diff / se
    q = float(sps.t.ppf((1.0 + lv) / 2.0, dfree))
    p = float(2.0 * sps.t.sf(abs(t), dfree))
    return WelchDifference(diff, se, dfree, t, diff - q * se, diff + q * se, min(1.0, p))


@dataclass(frozen=True, slots=True)
class RateDifference:
    """Result of :func:`rate_difference`: ``rate_a - rate_b``, its interval and test."""

    difference: float
    ci_low: float
    ci_high: float
    p_value: float | None


def rate_difference(successes_a: int, n_a: int, successes_b: int, n_b: int, level: float = 0.95) -> RateDifference:
    """Difference of two independent proportions with Newcombe's hybrid score interval.

    With ``p = x / n`` and the Wilson intervals ``(l_a, u_a)``, ``(l_b, u_b)`` of each rate
    (:func:`pipeline.stats.wilson`, = R ``prop.test(x, n, correct = FALSE)$conf.int``)::

        difference = p_a - p_b
        low  = difference - sqrt((p_a - l_a)^2 + (u_b - p_b)^2)
        high = difference + sqrt((u_a - p_a)^2 + (p_b - l_b)^2)

    Newcombe (1998), Stat Med 17:873-890, method 10 ("hybrid score", no continuity
    correction); Fagerland, Lydersen & Laake (2017), Statistical Analysis of Contingency
    Tables, 4.5 (R package contingencytables, ``Newcombe_hybrid_score_CI_2x2``). It stays
    inside [-1, 1] and behaves at rates of 0 and 1, where the Wald interval does not.

    ``p_value``: Pearson's chi-squared test without continuity correction (the pooled
    two-proportion z-test, ``z^2 = (p_a - p_b)^2 / (p (1 - p) (1/n_a + 1/n_b))`` with
    ``p = (x_a + x_b) / (n_a + n_b)``), = R ``prop.test(c(x_a, x_b), c(n_a, n_b),
    correct = FALSE)$p.value``; None when ``p`` is 0 or 1 (R gives NaN).

    Raises ValueError for counts that are not whole numbers with ``0 <= x <= n``, ``n >= 1``.

    Examples
    --------
    30 of 50 responders against 20 of 50:

    >>> rd = rate_difference(30, 50, 20, 50)
    >>> round(rd.difference, 4), round(rd.ci_low, 4), round(rd.ci_high, 4), round(rd.p_value, 4)
    (0.2, 0.0046, 0.3752, 0.0455)
    """
    for name, (x, n) in {"a": (successes_a, n_a), "b": (successes_b, n_b)}.items():
        for label, v in (("successes", x), ("n", n)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise ValueError(f"{label}_{name} must be a whole number, got {v!r}")
        if n < 1 or not 0 <= x <= n:
            raise ValueError(f"need 0 <= successes_{name} <= n_{name} and n_{name} >= 1, got {x} of {n}")
    lv = as_level(level)
    pa, pb = successes_a / n_a, successes_b / n_b
    la, ua = wilson(int(successes_a), int(n_a), lv)
    lb, ub = wilson(int(successes_b), int(n_b), lv)
    diff = pa - pb
    low = max(-1.0, diff - math.sqrt((pa - la) ** 2 + (ub - pb) ** 2))
    high = min(1.0, diff + math.sqrt((ua - pa) ** 2 + (pb - lb) ** 2))
    pooled = (successes_a + successes_b) / (n_a + n_b)
    if 0.0 < pooled < 1.0:
        z = diff / math.sqrt(pooled * (1.0 - pooled) * (1.0 / n_a + 1.0 / n_b))
        p: float | None = float(2.0 * ndtr(-abs(z)))
    else:
        p = None
    return RateDifference(diff, low, high, p)
