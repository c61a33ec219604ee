"""Confidence intervals for a proportion."""
from __future__ import annotations

import math

from scipy.special import ndtri

from ._checks import as_count, as_level


def wilson(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion, without continuity correction.

    With ``p = successes / n``, ``z = Phi^-1((1 + level) / 2)`` and ``c = z^2 / (2 n)``::

        low, high = (p + c -+ z * sqrt(p (1 - p) / n + c / (2 n))) / (1 + 2 c)

    which is the usual ``(x + z^2/2) / (n + z^2) -+ z / (n + z^2) * sqrt(x (n - x) / n + z^2 / 4)``
    written the way R computes it. As R, the bound is exactly 0 when ``successes == 0`` and
    exactly 1 when ``successes == n``.

    Matches R ``prop.test(successes, n, conf.level = level, correct = FALSE)$conf.int``
    (Wilson 1927, JASA 22:209-212; Newcombe 1998, Stat Med 17:857-872, method 3) and
    statsmodels ``proportion_confint(method="wilson")``.

    Parameters
    ----------
    successes : int
        Number of successes, ``0 <= successes <= n``.
    n : int
        Number of trials, ``n >= 1``.
    level : float
        Two-sided confidence level, strictly between 0 and 1.

    Returns
    -------
    (low, high) : tuple of float

    Examples
    --------
    Examples from statsmodels' test_proportion.py (R binom / DescTools,
    shared/reference/wilson_ci_95.csv: 0.69896635 to 0.97213352 for 18 of 20):

    >>> [round(b, 8) for b in wilson(18, 20)]
    [0.69896635, 0.97213352]
    >>> wilson(0, 10)[0], wilson(10, 10)[1]
    (0.0, 1.0)
    """
    x = as_count(successes, "successes", minimum=0)
    nn = as_count(n, "n", minimum=1)
    if x > nn:
        raise ValueError(f"successes ({x}) must not exceed n ({nn})")
    lv = as_level(level)
    z = float(ndtri((1.0 + lv) / 2.0))
    p = x / nn
    z22n = z * z / (2.0 * nn)
    half = z * math.sqrt(p * (1.0 - p) / nn + z22n / (2.0 * nn))
    low = 0.0 if p <= 0.0 else (p + z22n - half) / (1.0 + 2.0 * z22n)
    high = 1.0 if p >= 1.0 else (p + z22n + half) / (1.0 + 2.0 * z22n)
    return (low, high)
