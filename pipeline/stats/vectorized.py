"""Vectorized twins of the per-cell statistics: one array entry per cell, NaN where undefined.

A network of thousands of clinics has hundreds of thousands of cells; calling
:func:`~pipeline.stats.prepost_from_summary` and :func:`~pipeline.stats.wilcoxon_p_from_ranks`
once per cell costs tens of microseconds each. The functions here take numpy arrays (or
anything ``numpy.asarray`` turns into a 1-d float array: lists, pandas Series) with one entry
per cell and return arrays, at a cost linear in the number of cells.

They compute the same formulas, with the same operations in the same order, as the scalar
functions, whose docstrings hold the definitions and references (``shared/design/
statistics.md``, "Effect sizes"); an entry of a result equals the scalar function's value on
that cell bit for bit (``tests/unit/test_stats_vectorized.py`` asserts it on generated cells,
degenerate ones included). Conventions of the array form:

* NaN is the missing value, in inputs (where the scalar function takes None) and in
  results (where it returns None). A figure undefined for a cell (an SD of 0, ``n`` too
  small, no test possible) is NaN and the other cells are unaffected; nothing raises on
  degenerate data.
* Inputs are checked as the scalar functions check them, all cells at once: a value the
  scalar function refuses (a non-finite mean, a negative SD, ``|r| > 1``, a count that is not
  a whole number, arrays of different lengths) raises ``ValueError`` naming the argument and
  the first offending cell.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Any

import numpy as np
from scipy.special import ndtr, ndtri

from ._checks import as_level, as_vector
from .effect import _R_SLACK, _Z975, PrePost, hedges_j
from .multiplicity import _bh_adjust
from .wilcoxon import EXACT_MAX_N, EXACT_N_LIMIT, _counts, _exact_p

__all__ = [
    "PrePostArrays",
    "bh_qvalues_array",
    "hedges_j_array",
    "prepost_from_summary_arrays",
    "wilcoxon_p_from_ranks_arrays",
    "wilson_arrays",
]


# --- input checks (ValueError, naming the argument and the first offending cell) -------------


def _array(values: Any, name: str, size: int | None = None) -> np.ndarray:
    """A 1-d float64 copy of ``values`` (None becomes NaN), of length ``size`` when given."""
    arr = np.array(as_vector(values, name, finite=False))
    if size is not None and arr.size != size:
        raise ValueError(f"{name} has {arr.size} entries, expected {size} (one per cell)")
    return arr


def _refuse(bad: np.ndarray, arr: np.ndarray, name: str, what: str) -> None:
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name} {what}; cell {i} has {arr[i]!r} ({int(bad.sum())} such cell(s))")


def _finite(values: Any, name: str, size: int | None = None) -> np.ndarray:
    arr = _array(values, name, size)
    _refuse(~np.isfinite(arr), arr, name, "must contain only finite numbers (no NaN, inf or None)")
    return arr


def _optional(values: Any, name: str, size: int) -> np.ndarray:
    """NaN (missing) or a finite number; None for the whole argument means all missing."""
    if values is None:
        return np.full(size, np.nan)
    arr = _array(values, name, size)
    _refuse(np.isinf(arr), arr, name, "must be finite or NaN (missing)")
    return arr


def _whole(arr: np.ndarray, name: str, minimum: int, allow_missing: bool) -> None:
    missing = np.isnan(arr)
    if not allow_missing:
        _refuse(missing, arr, name, "must contain only integers (no NaN or None)")
    with np.errstate(invalid="ignore"):
        bad = ~missing & ((arr != np.floor(arr)) | (arr < minimum))
    _refuse(bad, arr, name, f"must contain integers >= {minimum}")


def _counts_of(values: Any, name: str, minimum: int, size: int | None = None) -> np.ndarray:
    """Whole numbers >= minimum as int64 (integral floats such as 3.0 are accepted)."""
    arr = _array(values, name, size)
    _refuse(np.isinf(arr), arr, name, "must contain only integers")
    _whole(arr, name, minimum, allow_missing=False)
    return arr.astype(np.int64)


def _nonfinite_to_nan(arr: np.ndarray) -> np.ndarray:
    # an overflow (a figure beyond 1e308 from an SD of rounding size) is undefined, not inf
    arr[~np.isfinite(arr)] = np.nan
    return arr


# --- Hedges' J ----------------------------------------------------------------------------


def hedges_j_array(m: Any) -> np.ndarray:
    """:func:`~pipeline.stats.hedges_j` for every entry of ``m``: NaN where ``m <= 1``.

    ``J(m) = exp(lgamma(m/2) - log(sqrt(m/2)) - lgamma((m-1)/2))`` (Hedges 1981, eq. 6e; see
    :func:`~pipeline.stats.hedges_j`). ``m`` takes few distinct values (``n - 1`` per cell),
    so J is computed once per distinct value by the scalar function and broadcast: the
    result is the scalar's, bit for bit, at the cost of a sort.
    """
    arr = _finite(m, "m")
    out = np.full(arr.size, np.nan)
    if arr.size == 0:
        return out
    values, inverse = np.unique(arr, return_inverse=True)
    js = np.array([np.nan if (j := hedges_j(float(v))) is None else j for v in values])
    out[:] = js[inverse]
    return out


# --- Wilson -------------------------------------------------------------------------------


def wilson_arrays(successes: Any, n: Any, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """:func:`~pipeline.stats.wilson` per cell: the Wilson score interval, no continuity correction.

    With ``p = successes / n``, ``z = Phi^-1((1 + level) / 2)`` and ``c = z^2 / (2 n)``::

        low, high = (p + c -+ z * sqrt(p (1 - p) / n + c / (2 n))) / (1 + 2 c)

    with ``low`` exactly 0 where ``successes == 0`` and ``high`` exactly 1 where
    ``successes == n``, as R ``prop.test(successes, n, correct = FALSE)$conf.int`` (Wilson
    1927, JASA 22:209-212; Newcombe 1998, Stat Med 17:857-872, method 3).

    ``successes`` may be NaN (missing): both bounds are then NaN. Raises ValueError where
    ``n`` is not an integer >= 1, ``successes`` not an integer in ``[0, n]`` (or NaN), or
    ``level`` not strictly between 0 and 1. Returns ``(low, high)``.
    """
    nn = _counts_of(n, "n", 1)
    x = _optional(successes, "successes", nn.size)
    _whole(x, "successes", 0, allow_missing=True)
    _refuse(x > nn, x, "successes", "must not exceed n")
    lv = as_level(level)
    z = float(ndtri((1.0 + lv) / 2.0))
    nf = nn.astype(np.float64)
    p = x / nf
    z22n = z * z / (2.0 * nf)
    half = z * np.sqrt(p * (1.0 - p) / nf + z22n / (2.0 * nf))
    with np.errstate(invalid="ignore"):
        low = np.where(p <= 0.0, 0.0, (p + z22n - half) / (1.0 + 2.0 * z22n))
        high = np.where(p >= 1.0, 1.0, (p + z22n + half) / (1.0 + 2.0 * z22n))
    return low, high


# --- Wilcoxon signed-rank -----------------------------------------------------------------


@lru_cache(maxsize=1)
def _exact_tails() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every n < EXACT_MAX_N, ``2^n P(V <= v)`` and ``2^n P(V >= v)`` for v = 0..n(n+1)/2,
    concatenated; ``offsets[n]`` is where n's table starts. Cumulative sums of the subset-sum
    counts of :func:`pipeline.stats.wilcoxon._counts`: integers below 2^49, so exact, and equal
    to the sums the scalar :func:`~pipeline.stats.wilcoxon._exact_p` forms."""
    offsets = np.zeros(EXACT_MAX_N, dtype=np.int64)
    lower, upper, pos = [], [], 0
    for k in range(EXACT_MAX_N):
        c = _counts(k)
        offsets[k] = pos
        lower.append(np.cumsum(c))
        upper.append(np.cumsum(c[::-1])[::-1])
        pos += c.size
    out = (offsets, np.concatenate(lower), np.concatenate(upper))
    for a in out:
        a.setflags(write=False)
    return out


def wilcoxon_p_from_ranks_arrays(
    n_nonzero: Any,
    v_plus: Any,
    tie_term: Any,
    zeros: Any,
    *,
    exact: bool | None = None,
    correct: bool = True,
) -> np.ndarray:
    """:func:`~pipeline.stats.wilcoxon_p_from_ranks` per cell: two-sided Wilcoxon signed-rank p.

    Inputs per cell, as the SQL layer computes them: the number of nonzero differences ``n``,
    ``V`` = sum of the (average) ranks of ``|d|`` over the positive ``d``, ``tie_term`` =
    sum over tie groups of ``t^3 - t`` and the number of zero differences. R's rule
    (``wilcox.test(y, x, paired = TRUE)``, ``exact = NULL, correct = TRUE``; Wilcoxon 1945;
    Hollander & Wolfe 1999, 3.1):

    * exact where ``n < 50`` with no ties and no zeros:
      ``p = min(1, 2 * min(P(V <= v), P(V >= v)))`` under the exact null distribution of V
      (R ``psignrank``). The distribution depends on n only, so the tail sums of every
      ``n < 50`` are tabulated once (about 21,000 numbers, cached) and each cell's p is a
      table lookup: O(cells), with no per-cell loop;
    * elsewhere the normal approximation with tie and continuity correction::

          z = V - n(n+1)/4
          sigma = sqrt(n(n+1)(2n+1)/24 - tie_term/48)
          z = (z - sign(z) * 0.5) / sigma            (no "- sign(z) * 0.5" if correct=False)
          p = 2 * min(Phi(z), 1 - Phi(z))

    ``exact`` and ``correct`` apply to every cell and mean what they mean in R and in the
    scalar function (``exact=True`` beyond n = 49 computes each distinct (n, V) once with the
    scalar code). NaN where ``n == 0`` (no test; the scalar returns None, R NaN).

    Raises ValueError, as the scalar function, where a count is not a whole number >= 0,
    ``v_plus`` is outside ``[0, n(n+1)/2]`` or not a multiple of 0.5 (or not whole on the
    exact branch), or ``tie_term`` is not an integer in ``[0, n^3 - n]``.

    >>> p = wilcoxon_p_from_ranks_arrays([12, 60, 0], [34, 1200.5, 0], [0, 6, 0], [0, 2, 3])
    >>> p.tolist()  # exact; normal approximation (ties, zeros); no test (every d is 0)
    [0.7333984375, 0.03589949554335443, nan]
    """
    n, z0, v, t = _rank_inputs(n_nonzero, v_plus, tie_term, zeros)
    size = n.size
    nf = n.astype(np.float64)
    p = np.full(size, np.nan)
    tested = n > 0
    use_exact = (n < EXACT_MAX_N) if exact is None else np.full(size, bool(exact))
    on_exact = tested & use_exact & (t == 0) & (z0 == 0)
    _refuse(on_exact & (v != np.floor(v)), v, "v_plus", "must be an integer when there are no ties")
    _refuse(on_exact & (n > EXACT_N_LIMIT), n, "n_nonzero",
            f"is above {EXACT_N_LIMIT}, where the exact test is not available")

    _fill_exact(p, n, v, on_exact)

    normal = tested & ~on_exact
    if normal.any():
        nn, vv, tt = nf[normal], v[normal], t[normal]
        z = vv - nn * (nn + 1) / 4
        sigma = np.sqrt(nn * (nn + 1) * (2 * nn + 1) / 24 - tt / 48)
        if correct:
            z = z - np.where(z != 0, np.copysign(0.5, z), 0.0)
        z = z / sigma
        p[normal] = 2.0 * np.minimum(ndtr(z), ndtr(-z))
    return p


def _rank_inputs(n_nonzero: Any, v_plus: Any, tie_term: Any, zeros: Any) -> tuple[np.ndarray, ...]:
    """The inputs of :func:`wilcoxon_p_from_ranks_arrays` as arrays (``n``, ``zeros``, ``V``,
    ``tie_term``), checked in the scalar function's order."""
    n = _counts_of(n_nonzero, "n_nonzero", 0)
    size = n.size
    z0 = _counts_of(zeros, "zeros", 0, size)
    v = _finite(v_plus, "v_plus", size)
    t = _finite(tie_term, "tie_term", size)
    nf = n.astype(np.float64)
    _refuse(~((v >= 0.0) & (v <= nf * (nf + 1) / 2)), v, "v_plus", "must lie in [0, n(n+1)/2]")
    _refuse(2.0 * v != np.floor(2.0 * v), v, "v_plus", "is a sum of (average) ranks, a multiple of 0.5")
    _refuse((t < 0) | (t != np.floor(t)) | (t > nf * nf * nf - nf), t, "tie_term",
            "must be sum(t^3 - t) over tie groups: an integer in [0, n^3 - n]")
    return n, z0, v, t


def _fill_exact(p: np.ndarray, n: np.ndarray, v: np.ndarray, on_exact: np.ndarray) -> None:
    """The exact p of the ``on_exact`` cells, written into ``p``: a lookup in the tabulated
    tails for ``n < EXACT_MAX_N`` (:func:`_exact_tails`), else the scalar code once per
    distinct (n, V)."""
    table = on_exact & (n < EXACT_MAX_N)
    if table.any():
        offsets, lower, upper = _exact_tails()
        k = n[table]
        idx = offsets[k] + v[table].astype(np.int64)
        # 2^n is a power of two: the same correctly rounded rational as the scalar code
        p[table] = np.minimum(1.0, 2.0 * np.minimum(lower[idx], upper[idx]) / np.ldexp(1.0, k.astype(np.int32)))
    big = on_exact & ~table
    if big.any():  # only with exact=True: once per distinct (n, V), by the scalar code
        pairs, inverse = np.unique(np.stack([n[big].astype(np.float64), v[big]], axis=1), axis=0, return_inverse=True)
        p[big] = np.array([_exact_p(int(a), int(b)) for a, b in pairs])[inverse.ravel()]


# --- every figure of a cell ---------------------------------------------------------------


@dataclass(frozen=True)
class PrePostArrays:
    """Every figure of many cells: the fields of :class:`~pipeline.stats.PrePost`, as arrays.

    One entry per cell, in the input order. ``n`` is int64; every other field is float64
    with NaN where the scalar :class:`~pipeline.stats.PrePost` has None (``responders`` too:
    counts below 2^53 are exact in float64). :meth:`cell` gives one cell as a ``PrePost``.
    """

    n: np.ndarray
    baseline_mean: np.ndarray
    baseline_sd: np.ndarray
    final_mean: np.ndarray
    final_sd: np.ndarray
    r_pre_post: np.ndarray
    mean_improvement: np.ndarray
    sd_improvement: np.ndarray
    d_z: np.ndarray
    g_z: np.ndarray
    g_z_ci_low: np.ndarray
    g_z_ci_high: np.ndarray
    smcr: np.ndarray
    smcr_var: np.ndarray
    wilcoxon_p: np.ndarray
    responders: np.ndarray
    responder_rate: np.ndarray
    responder_ci_low: np.ndarray
    responder_ci_high: np.ndarray

    def __len__(self) -> int:
        return int(self.n.size)

    def columns(self) -> dict[str, np.ndarray]:
        """Field name -> array, in the order of the fields (the columns of marts.effect_sizes)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def cell(self, i: int) -> PrePost:
        """Cell ``i`` as the scalar result: None for NaN, Python int for the counts."""
        def val(name):
            x = float(getattr(self, name)[i])
            return None if math.isnan(x) else x
        out = {f.name: val(f.name) for f in fields(self)}
        out["n"] = int(self.n[i])
        if out["responders"] is not None:
            out["responders"] = int(out["responders"])
        return PrePost(**out)


def prepost_from_summary_arrays(
    n: Any,
    baseline_mean: Any,
    baseline_sd: Any,
    final_mean: Any,
    final_sd: Any,
    r_pre_post: Any,
    mean_improvement: Any,
    sd_improvement: Any,
    responders: Any = None,
    wilcoxon_p: Any = None,
) -> PrePostArrays:
    """:func:`~pipeline.stats.prepost_from_summary` for many cells at once.

    Arguments are arrays of one entry per cell (NaN = missing, where the scalar takes None;
    ``r_pre_post``, ``responders`` and ``wilcoxon_p`` may be None for "all missing"). With
    ``m = n - 1``, ``J`` = :func:`hedges_j_array` (exact Hedges correction, NaN for m <= 1)
    and ``z = Phi^-1(0.975)``::

        d_z        = mean(d) / sd(d)                        (standardized response mean)
        g_z        = J(m) * d_z                              (metafor escalc "SMCC" yi)
        g_z_ci     = g_z -+ z * sqrt(1/n + g_z^2 / (2n))     (metafor's SMCC variance)
        smcr       = J(m) * mean(d) / sd(x)                  (Becker 1988; escalc "SMCR")
        smcr_var   = 2 (1 - r) / n + smcr^2 / (2n)           (escalc "SMCR", vtype "LS")
        responder_rate = responders / n, CI by :func:`wilson_arrays` (R prop.test(correct=FALSE))

    Null rules, per cell, as the scalar function: SDs are NaN where ``n < 2``; ``r_pre_post``
    is NaN where ``n < 3`` or either SD is NaN or 0 (whatever was passed), else clipped to
    ``[-1, 1]``; ``d_z`` needs ``sd_improvement > 0``; J needs ``n >= 3``; ``smcr`` needs
    ``baseline_sd > 0``; ``smcr_var`` needs ``smcr`` and ``r``; a figure that overflows to
    inf (an SD of rounding size) is NaN. ``wilcoxon_p`` (e.g. from
    :func:`wilcoxon_p_from_ranks_arrays`) is passed through. References: those of
    :func:`~pipeline.stats.prepost_from_summary` (Becker 1988; Gibbons, Hedeker & Davis 1993;
    Morris 2008; Viechtbauer 2010).

    Raises ValueError, as the scalar function, for arrays of different lengths, a non-finite
    mean, ``n`` not an integer >= 1, an infinite or negative SD, ``|r| > 1`` where r is used,
    ``responders`` not an integer in ``[0, n]`` or ``wilcoxon_p`` outside ``[0, 1]`` (NaN
    passes as missing).

    >>> out = prepost_from_summary_arrays(
    ...     n=[20, 2], baseline_mean=[6.0, 6.0], baseline_sd=[2.0, 1.0], final_mean=[4.0, 4.0],
    ...     final_sd=[2.0, 1.0], r_pre_post=[0.5, 1.0], mean_improvement=[2.0, 2.0],
    ...     sd_improvement=[2.0, 0.0], responders=[12, 2])
    >>> out.g_z.tolist()  # the second cell: n = 2 (no J) and sd(d) = 0
    [0.9599103529242532, nan]
    >>> from pipeline.stats import prepost_from_summary
    >>> out.cell(0) == prepost_from_summary(20, 6.0, 2.0, 4.0, 2.0, 0.5, 2.0, 2.0, 12)
    True
    """
    nn = _counts_of(n, "n", 1)
    size = nn.size
    bm = _finite(baseline_mean, "baseline_mean", size)
    fm = _finite(final_mean, "final_mean", size)
    mi = _finite(mean_improvement, "mean_improvement", size)
    bsd, fsd, sdi = _sds(nn, baseline_sd, final_sd, sd_improvement)
    r = _used_r(r_pre_post, nn, bsd, fsd)
    wp = _optional(wilcoxon_p, "wilcoxon_p", size)
    _refuse((wp < 0.0) | (wp > 1.0), wp, "wilcoxon_p", "must lie in [0, 1]")

    resp = _optional(responders, "responders", size)
    _whole(resp, "responders", 0, allow_missing=True)
    _refuse(resp > nn, resp, "responders", "must not exceed n")
    nf = nn.astype(np.float64)
    rate = resp / nf
    r_low, r_high = wilson_arrays(resp, nn)
    d_z, g_z, g_lo, g_hi, smcr, smcr_var = _standardized(nf, mi, bsd, sdi, r)
    return PrePostArrays(
        n=nn, baseline_mean=bm, baseline_sd=bsd, final_mean=fm, final_sd=fsd, r_pre_post=r,
        mean_improvement=mi, sd_improvement=sdi, d_z=d_z, g_z=g_z, g_z_ci_low=g_lo, g_z_ci_high=g_hi,
        smcr=smcr, smcr_var=smcr_var, wilcoxon_p=wp, responders=resp, responder_rate=rate,
        responder_ci_low=r_low, responder_ci_high=r_high,
    )


def _sds(nn: np.ndarray, *values: Any) -> list[np.ndarray]:
    """``baseline_sd``, ``final_sd`` and ``sd_improvement`` as arrays (NaN = missing), checked
    ``>= 0``; NaN where ``n < 2``."""
    size = nn.size
    one = nn < 2  # a sample SD (n - 1 denominator) does not exist for one episode
    sds = []
    for values_, name in zip(values, ("baseline_sd", "final_sd", "sd_improvement")):
        sd = _optional(values_, name, size)
        _refuse(sd < 0, sd, name, "must be >= 0")
        sd[one] = np.nan
        sds.append(sd)
    return sds


def _used_r(r_pre_post: Any, nn: np.ndarray, bsd: np.ndarray, fsd: np.ndarray) -> np.ndarray:
    """``r_pre_post`` where it is used (``n >= 3``, both SDs > 0), checked and clipped to
    ``[-1, 1]``; NaN elsewhere."""
    size = nn.size
    r = _array(r_pre_post, "r_pre_post", size) if r_pre_post is not None else np.full(size, np.nan)
    used = (nn >= 3) & (bsd > 0) & (fsd > 0)  # NaN compares False: None or 0.0 in the scalar
    r[~used] = np.nan
    _refuse(np.isinf(r), r, "r_pre_post", "must be a finite number")
    _refuse(np.abs(r) > 1.0 + _R_SLACK, r, "r_pre_post", "must lie in [-1, 1]")
    return np.minimum(1.0, np.maximum(-1.0, r))  # NaN stays NaN


def _standardized(nf: np.ndarray, mi: np.ndarray, bsd: np.ndarray, sdi: np.ndarray,
                  r: np.ndarray) -> tuple[np.ndarray, ...]:
    """``d_z``, ``g_z`` and its CI, ``smcr`` and ``smcr_var`` of every cell (the formulas of
    :func:`prepost_from_summary_arrays`), NaN where undefined or not finite."""
    j = hedges_j_array(nf - 1.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        d_z = _nonfinite_to_nan(np.where(sdi > 0, mi / sdi, np.nan))
        g_z = _nonfinite_to_nan(j * d_z)
        half = _Z975 * np.sqrt(1.0 / nf + g_z * g_z / (2.0 * nf))
        g_lo = _nonfinite_to_nan(g_z - half)
        g_hi = _nonfinite_to_nan(g_z + half)
        smcr = _nonfinite_to_nan(np.where(bsd > 0, j * mi / bsd, np.nan))
        smcr_var = _nonfinite_to_nan(2.0 * (1.0 - r) / nf + smcr * smcr / (2.0 * nf))
    return d_z, g_z, g_lo, g_hi, smcr, smcr_var


# --- Benjamini-Hochberg -------------------------------------------------------------------


def bh_qvalues_array(p: Any) -> np.ndarray:
    """:func:`~pipeline.stats.bh_qvalues` on an array: NaN entries are missing (R's NA).

    ``q_(i) = min(1, min_{j >= i} m / j * p_(j))`` over the ``m`` present p-values, computed
    as R ``p.adjust(p, "BH")`` does (Benjamini & Hochberg 1995, J R Stat Soc B 57:289-300) by
    the same code as the list version, so both give the same bits. Returns an array the
    length of ``p``, NaN where ``p`` is NaN. Raises ValueError for a value outside [0, 1].
    """
    arr = _array(p, "p")
    _refuse(~np.isnan(arr) & ~((arr >= 0.0) & (arr <= 1.0)), arr, "p", "must lie in [0, 1] (NaN is missing)")
    out = np.full(arr.size, np.nan)
    present = ~np.isnan(arr)
    if present.any():
        out[present] = _bh_adjust(arr[present])
    return out
