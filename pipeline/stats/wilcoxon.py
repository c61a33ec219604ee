"""Wilcoxon signed-rank test on paired differences, as R's ``wilcox.test``."""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from scipy.special import ndtr
from scipy.stats import rankdata

from ._checks import as_count, as_real, as_vector

EXACT_MAX_N = 50  # R: exact <- (n < 50) when exact = NULL

METHOD_EXACT = "exact"
METHOD_NORMAL_CC = "normal approximation with continuity correction"
METHOD_NORMAL = "normal approximation"

__all__ = ["WilcoxonResult", "wilcoxon_signed_rank", "wilcoxon_p_from_ranks", "signed_rank_counts"]


@dataclass(frozen=True, slots=True)
class WilcoxonResult:
    """Result of :func:`wilcoxon_signed_rank`.

    statistic : V, the sum of the ranks of the positive differences (R's ``V``); None when
        every difference is zero.
    p_value : two-sided p-value; None when every difference is zero.
    method : ``"exact"``, ``"normal approximation with continuity correction"`` or
        ``"normal approximation"``; None when every difference is zero.
    n_used : number of nonzero differences (the n of the test).
    zeros : number of differences exactly equal to zero (dropped).
    ties : True when some nonzero absolute differences are exactly equal.
    """

    statistic: float | None
    p_value: float | None
    method: str | None
    n_used: int
    zeros: int
    ties: bool


EXACT_N_LIMIT = 1000  # exact=True beyond this would overflow doubles (2^n) and take long


@lru_cache(maxsize=64)
def _counts(n: int) -> np.ndarray:
    # counts[s] = number of subsets of {1..n} with sum s; float64 holds them exactly while
    # they are below 2^53, i.e. for every n < 50 (the default exact range)
    counts = np.zeros(n * (n + 1) // 2 + 1)
    counts[0] = 1.0
    top = 0
    for k in range(1, n + 1):
        counts[k : top + k + 1] += counts[: top + 1].copy()
        top += k
    counts.setflags(write=False)
    return counts


def signed_rank_counts(n: int) -> tuple[int, ...]:
    """Exact null distribution of V for n untied nonzero differences, as integer counts.

    ``counts[s]`` is the number of subsets of ``{1, ..., n}`` whose sum is ``s``
    (``s = 0 .. n(n+1)/2``); ``P(V = s) = counts[s] / 2^n``. Computed by dynamic programming
    over subset sums (R's ``csignrank`` in ``signrank.c``); exact for ``n < 50``.

    Examples
    --------
    Ranks 1, 2, 3: one subset each sums to 0, 1, 2, 4, 5, 6 and two ({3}, {1, 2}) to 3:

    >>> signed_rank_counts(3)
    (1, 1, 1, 2, 1, 1, 1)
    """
    nn = as_count(n, "n", minimum=0)
    if nn >= EXACT_MAX_N:
        raise ValueError(f"exact integer counts are available for n < {EXACT_MAX_N}, got {nn}")
    return tuple(int(c) for c in _counts(nn))


def _exact_p(n: int, v: int) -> float:
    if n > EXACT_N_LIMIT:
        raise ValueError(f"the exact test is available for n <= {EXACT_N_LIMIT}, got n = {n}")
    counts = _counts(n)
    lower = float(np.sum(counts[: v + 1]))  # 2^n P(V <= v)
    upper = float(np.sum(counts[v:]))  # 2^n P(V >= v)
    # for n < 50 both tails are exact integers below 2^53 and 2^n is a power of two, so the
    # p-value is the exact rational correctly rounded to double precision
    return min(1.0, 2.0 * min(lower, upper) / 2.0**n)


def _p_and_method(
    n_nonzero: int, v_plus: float, tie_term: float, zeros: int, exact: bool | None, correct: bool
) -> tuple[float | None, str | None]:
    if n_nonzero == 0:
        return None, None
    n = float(n_nonzero)
    use_exact = (n_nonzero < EXACT_MAX_N) if exact is None else bool(exact)
    if use_exact and tie_term == 0 and zeros == 0:
        if not float(v_plus).is_integer():
            raise ValueError(f"v_plus must be an integer when there are no ties, got {v_plus!r}")
        return _exact_p(n_nonzero, int(v_plus)), METHOD_EXACT
    # R: z <- STATISTIC - n(n+1)/4; SIGMA <- sqrt(n(n+1)(2n+1)/24 - sum(NTIES^3 - NTIES)/48)
    z = v_plus - n * (n + 1) / 4
    sigma = math.sqrt(n * (n + 1) * (2 * n + 1) / 24 - tie_term / 48)
    correction = (math.copysign(0.5, z) if z != 0 else 0.0) if correct else 0.0
    z = (z - correction) / sigma
    p = 2.0 * min(float(ndtr(z)), float(ndtr(-z)))
    return p, (METHOD_NORMAL_CC if correct else METHOD_NORMAL)


def _check_rank_inputs(n_nonzero: Any, v_plus: Any, tie_term: Any, zeros: Any) -> tuple[int, float, float, int]:
    n = as_count(n_nonzero, "n_nonzero", minimum=0)
    z = as_count(zeros, "zeros", minimum=0)
    v = as_real(v_plus, "v_plus")
    t = as_real(tie_term, "tie_term")
    top = n * (n + 1) / 2
    if not 0.0 <= v <= top:
        raise ValueError(f"v_plus must lie in [0, n(n+1)/2] = [0, {top}], got {v_plus!r}")
    if (2.0 * v) != math.floor(2.0 * v):
        raise ValueError(f"v_plus is a sum of (average) ranks, a multiple of 0.5; got {v_plus!r}")
    if t < 0 or not t.is_integer() or t > float(n) ** 3 - n:
        raise ValueError(
            f"tie_term must be sum(t^3 - t) over tie groups: an integer in [0, n^3 - n], got {tie_term!r}"
        )
    return n, v, t, z


def wilcoxon_p_from_ranks(
    n_nonzero: int,
    v_plus: float,
    tie_term: float,
    zeros: int,
    *,
    exact: bool | None = None,
    correct: bool = True,
) -> float | None:
    """Two-sided Wilcoxon signed-rank p-value from rank sums (no raw data needed).

    The SQL layer computes, per cell, the number of nonzero differences ``n``, the sum ``V``
    of the (average) ranks of ``|d|`` over the positive ``d``, the tie term
    ``sum over tie groups of (t^3 - t)`` (exact equality of ``|d|``) and the number of zero
    differences, and calls this; :func:`wilcoxon_signed_rank` calls it too, so both paths
    give bit-identical p-values.

    Rule (R ``wilcox.test(y, x, paired = TRUE)`` defaults ``exact = NULL, correct = TRUE``):

    * exact when ``n < 50`` and there are no ties and no zeros:
      ``p = min(1, 2 * min(P(V <= v), P(V >= v)))`` under the exact null distribution of V
      (every subset of ranks 1..n equally likely; R ``psignrank``);
    * otherwise the normal approximation with tie and continuity correction::

          z = V - n(n+1)/4
          sigma = sqrt(n(n+1)(2n+1)/24 - tie_term/48)
          z = (z - sign(z) * 0.5) / sigma            (no "- sign(z) * 0.5" if correct=False)
          p = 2 * min(Phi(z), 1 - Phi(z))

    ``exact`` and ``correct`` mean what they mean in R (``exact=None`` is R's ``NULL``: exact
    when n < 50; exact is still refused when there are ties or zeros).

    Returns None when ``n_nonzero == 0`` (no test is possible; R's p-value is NaN).

    References: Wilcoxon (1945), Biometrics Bulletin 1:80-83; R ``stats::wilcox.test`` and
    ``psignrank``; Hollander & Wolfe (1999), Nonparametric Statistical Methods, 3.1.

    Examples
    --------
    The rank sums of scipy's test_accuracy_wilcoxon vector (see :func:`wilcoxon_signed_rank`):
    12 nonzero differences, V = 34, no ties, no zeros. R ``wilcox.test``: exact p 0.7333984375,
    normal approximation with continuity correction 0.7240816609153895:

    >>> wilcoxon_p_from_ranks(12, 34, 0, 0)
    0.7333984375
    >>> round(wilcoxon_p_from_ranks(12, 34, 0, 0, exact=False), 12)
    0.724081660915
    >>> wilcoxon_p_from_ranks(0, 0, 0, 5) is None  # every difference zero: no test
    True
    """
    n, v, t, z = _check_rank_inputs(n_nonzero, v_plus, tie_term, zeros)
    return _p_and_method(n, v, t, z, exact, correct)[0]


def wilcoxon_signed_rank(d: Any, *, exact: bool | None = None, correct: bool = True) -> WilcoxonResult:
    """Two-sided Wilcoxon signed-rank test on paired differences ``d``, as R.

    Equals R ``wilcox.test(y, x, paired = TRUE)`` for ``d = y - x`` (and is symmetric in the
    sign of ``d`` except for the statistic): differences exactly equal to zero are dropped,
    ``n`` is the number of nonzero differences, ``|d|`` is ranked with average ranks for ties
    (ties by exact floating-point equality, as R's ``rank``), and the statistic is
    ``V = sum of the ranks of the positive differences``. The p-value comes from
    :func:`wilcoxon_p_from_ranks` (exact for ``n < 50`` without ties or zeros, else the normal
    approximation with tie and continuity correction; see there for the formulas).

    scipy's ``scipy.stats.wilcoxon(d, zero_method="wilcox", correction=True,
    method="approx")`` gives the same p-value on the normal-approximation branch and
    ``method="exact"`` on the exact branch; its ``method="auto"`` differs from R's rule.

    Raises ValueError for an empty or non-finite ``d``. When every difference is zero the
    result has ``statistic``, ``p_value`` and ``method`` None.

    Examples
    --------
    scipy's test_accuracy_wilcoxon (shared/reference/wilcoxon_vectors.json; R
    ``wilcox.test(x, y, paired = TRUE)``: V = 34, exact p 0.7333984375, without continuity
    correction 0.6948866023724735):

    >>> x = [120, 114, 181, 188, 180, 146, 121, 191, 132, 113, 127, 112]
    >>> y = [133, 143, 119, 189, 112, 199, 198, 113, 115, 121, 142, 187]
    >>> res = wilcoxon_signed_rank([a - b for a, b in zip(x, y)])
    >>> res.statistic, res.p_value, res.method
    (34.0, 0.7333984375, 'exact')
    >>> round(wilcoxon_signed_rank([a - b for a, b in zip(x, y)], exact=False, correct=False).p_value, 12)
    0.694886602372
    """
    arr = as_vector(d, "d", min_len=1)
    zeros = int(np.count_nonzero(arr == 0.0))
    nz = arr[arr != 0.0]
    n = int(nz.size)
    if n == 0:
        return WilcoxonResult(None, None, None, 0, zeros, False)
    absd = np.abs(nz)
    ranks = rankdata(absd, method="average")
    v_plus = float(np.sum(ranks[nz > 0]))
    _, tie_sizes = np.unique(absd, return_counts=True)
    tie_term = float(sum(int(t) ** 3 - int(t) for t in tie_sizes))
    p, method = _p_and_method(*_check_rank_inputs(n, v_plus, tie_term, zeros), exact, correct)
    return WilcoxonResult(v_plus, p, method, n, zeros, tie_term > 0)
