"""Pre/post effect sizes of one cell: standardized mean change, Hedges' correction,
responder rates. Definitions: ``shared/design/statistics.md``, "Effect sizes".

Degenerate cells never raise: an SD of 0 (every improvement equal, or constant baseline
scores) or n of 1 or 2 gives None for the figures that need them and keeps the others (e.g.
``smcr = 0`` when ``mean(d) = 0`` and ``sd(x) > 0``); R returns NaN or Inf for
``mean(d) / 0``, which statistics.md publishes as null. For many cells at once see
:func:`pipeline.stats.vectorized.prepost_from_summary_arrays`.

Sign convention: in metafor's (change = post - pre) the figures of
:func:`prepost_from_summary` are, for higher-is-better measures, ``escalc("SMCC"/"SMCR",
m1i = final_mean, m2i = baseline_mean, sd1i = baseline_sd, sd2i = final_sd, ni = n,
ri = r)``; for lower-is-better measures the sign is flipped.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import gammaln, ndtri

from ._checks import as_count, as_optional_real, as_real, as_vector
from .proportion import wilson
from .wilcoxon import wilcoxon_signed_rank

__all__ = ["PrePost", "hedges_j", "prepost", "prepost_from_summary"]

BETTER = ("lower", "higher")
_Z975 = float(ndtri(0.975))
_R_SLACK = 1e-12  # |r| may exceed 1 by rounding; clipped within this slack


def hedges_j(m: float) -> float | None:
    """Exact small-sample bias correction of a standardized mean difference.

    ``J(m) = exp(lgamma(m/2) - log(sqrt(m/2)) - lgamma((m-1)/2))``, i.e.
    ``Gamma(m/2) / (sqrt(m/2) * Gamma((m-1)/2))``, with ``m`` the degrees of freedom
    (``n - 1`` for a pre/post design). None when ``m <= 1`` (undefined).

    Hedges (1981), J Educ Stat 6:107-128, eq. 6e; metafor's internal ``.cmicalc(mi)``
    (used by ``escalc`` for SMD, SMCC and SMCR). Approximately ``1 - 3/(4m - 1)``.

    Examples
    --------
    20 episodes (m = 19 degrees of freedom); the approximation ``1 - 3/(4m - 1)`` gives 0.96:

    >>> round(hedges_j(19), 6)
    0.95991
    >>> hedges_j(1) is None
    True
    """
    mm = as_real(m, "m")
    if mm <= 1.0:
        return None
    return math.exp(gammaln(mm / 2.0) - math.log(math.sqrt(mm / 2.0)) - gammaln((mm - 1.0) / 2.0))


@dataclass(frozen=True, slots=True)
class PrePost:
    """Every figure of one cell; the field names are the columns of ``marts.effect_sizes``.

    Improvement ``d`` is positive when better. Figures that are undefined for the cell
    (an SD of 0, too few episodes, no MCID) are None, never NaN. See :func:`prepost`.
    """

    n: int
    baseline_mean: float
    baseline_sd: float | None
    final_mean: float
    final_sd: float | None
    r_pre_post: float | None
    mean_improvement: float
    sd_improvement: float | None
    d_z: float | None
    g_z: float | None
    g_z_ci_low: float | None
    g_z_ci_high: float | None
    smcr: float | None
    smcr_var: float | None
    wilcoxon_p: float | None
    responders: int | None
    responder_rate: float | None
    responder_ci_low: float | None
    responder_ci_high: float | None


def _finite_or_none(value: float) -> float | None:
    # a figure that overflows (an SD of rounding size, 1e-320, under a finite mean) is
    # undefined: None, never inf or NaN
    return value if math.isfinite(value) else None


def _sd(value: Any, name: str, n: int) -> float | None:
    out = as_optional_real(value, name)
    if out is not None and out < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    # a sample SD (n - 1 denominator) does not exist for one episode
    return None if n < 2 else out


def prepost_from_summary(
    n: int,
    baseline_mean: float,
    baseline_sd: float | None,
    final_mean: float,
    final_sd: float | None,
    r_pre_post: float | None,
    mean_improvement: float,
    sd_improvement: float | None,
    responders: int | None = None,
    wilcoxon_p: float | None = None,
) -> PrePost:
    """Every figure of a cell from its sufficient statistics (what SQL aggregates give).

    Inputs, for ``n`` episodes with baseline ``x``, final ``y`` and improvement ``d``
    (``y - x`` when higher is better, ``x - y`` when lower is better):
    means, SDs (n - 1 denominator; None when n < 2), ``r_pre_post`` = Pearson r of x and y,
    ``mean_improvement``/``sd_improvement`` = mean and SD of d, ``responders`` = number of
    episodes with ``d >= MCID`` (None when the measure has no MCID: every responder figure is
    then None), and ``wilcoxon_p`` (e.g. from :func:`wilcoxon_p_from_ranks`), passed through.

    Figures (``m = n - 1``, ``J`` = :func:`hedges_j`, ``z = Phi^-1(0.975)``)::

        d_z        = mean(d) / sd(d)                          (standardized response mean)
        g_z        = J(m) * d_z                                (metafor escalc "SMCC" yi)
        g_z_ci     = g_z -+ z * sqrt(1/n + g_z^2 / (2n))       (metafor's SMCC variance)
        smcr       = J(m) * mean(d) / sd(x)                    (Becker 1988; escalc "SMCR")
        smcr_var   = 2 (1 - r) / n + smcr^2 / (2n)             (escalc "SMCR", vtype "LS")
        responder_rate = responders / n, CI by :func:`wilson` (R prop.test(correct=FALSE))

    Null rules (a figure is None when any input it needs is None or undefined):
    SDs need ``n >= 2``; ``r_pre_post`` is set to None when ``n < 3`` or either SD is None or
    0 (whatever value was passed); ``d_z`` needs ``sd_improvement > 0``; ``J`` needs
    ``n >= 3``; ``smcr`` needs ``baseline_sd > 0``; ``smcr_var`` needs ``smcr`` and ``r``;
    a figure that would overflow to inf (an SD so small, e.g. 1e-320, that the ratio exceeds
    1e308) is None; degenerate cells never raise, and metafor's sign convention is in the
    module docstring. References: Becker (1988), Br J Math Stat Psychol 41:257-278;
    Gibbons, Hedeker & Davis (1993), J Educ Stat 18:271-279; Morris (2008), Organ Res
    Methods 11:364-386; Viechtbauer (2010) metafor, J Stat Softw 36(3).

    Raises ValueError for non-finite numbers, negative SDs, ``|r| > 1``, ``n < 1``,
    ``responders`` outside ``[0, n]`` or ``wilcoxon_p`` outside ``[0, 1]``.

    Examples
    --------
    Morris (2008), study 1, treatment arm (shared/reference/morris2008_smcr_smcc.csv): pre 30.6
    (SD 15), post 38.5 (SD 11.6), n = 20, r = 0.47, higher is better, so mean(d) = 7.9 and
    sd(d) = sqrt(15^2 + 11.6^2 - 2 * 0.47 * 15 * 11.6) = 14.0; the published SMCC is 0.5417,
    the SMCR 0.5056 with variance 0.0594:

    >>> cell = prepost_from_summary(20, 30.6, 15.0, 38.5, 11.6, 0.47, 7.9, 14.0)
    >>> round(cell.g_z, 4), round(cell.smcr, 4), round(cell.smcr_var, 4)
    (0.5417, 0.5056, 0.0594)
    >>> cell.responder_rate is None  # no responders given: no responder figures
    True
    """
    nn = as_count(n, "n", minimum=1)
    bm = as_real(baseline_mean, "baseline_mean")
    fm = as_real(final_mean, "final_mean")
    mi = as_real(mean_improvement, "mean_improvement")
    bsd = _sd(baseline_sd, "baseline_sd", nn)
    fsd = _sd(final_sd, "final_sd", nn)
    sdi = _sd(sd_improvement, "sd_improvement", nn)
    r = _used_r(r_pre_post, nn, bsd, fsd)
    wp = as_optional_real(wilcoxon_p, "wilcoxon_p")
    if wp is not None and not 0.0 <= wp <= 1.0:
        raise ValueError(f"wilcoxon_p must lie in [0, 1], got {wilcoxon_p!r}")
    resp, rate, r_low, r_high = _responder_figures(responders, nn)
    d_z, g_z, g_lo, g_hi, smcr, smcr_var = _standardized(nn, mi, bsd, sdi, r)
    return PrePost(
        n=nn, baseline_mean=bm, baseline_sd=bsd, final_mean=fm, final_sd=fsd, r_pre_post=r,
        mean_improvement=mi, sd_improvement=sdi, d_z=d_z, g_z=g_z, g_z_ci_low=g_lo,
        g_z_ci_high=g_hi, smcr=smcr, smcr_var=smcr_var, wilcoxon_p=wp, responders=resp,
        responder_rate=rate, responder_ci_low=r_low, responder_ci_high=r_high,
    )


def _used_r(r_pre_post: Any, nn: int, bsd: float | None, fsd: float | None) -> float | None:
    """``r_pre_post`` where :func:`prepost_from_summary` uses it (``n >= 3`` and both SDs
    nonzero), checked and clipped to ``[-1, 1]``; None elsewhere."""
    r: float | None
    if nn < 3 or not bsd or not fsd:  # None or 0.0
        r = None
    else:
        r = as_optional_real(r_pre_post, "r_pre_post")
        if r is not None:
            if abs(r) > 1.0 + _R_SLACK:
                raise ValueError(f"r_pre_post must lie in [-1, 1], got {r_pre_post!r}")
            r = min(1.0, max(-1.0, r))
    return r


def _responder_figures(responders: Any, nn: int) -> tuple:
    """``(responders, rate, ci_low, ci_high)`` of a cell (Wilson CI), all None without
    ``responders``."""
    resp: int | None = None
    rate = r_low = r_high = None
    if responders is not None:
        resp = as_count(responders, "responders", minimum=0)
        if resp > nn:
            raise ValueError(f"responders ({resp}) must not exceed n ({nn})")
        rate = resp / nn
        r_low, r_high = wilson(resp, nn)
    return resp, rate, r_low, r_high


def _standardized(nn: int, mi: float, bsd: float | None, sdi: float | None, r: float | None) -> tuple:
    """``d_z``, ``g_z`` and its CI, ``smcr`` and ``smcr_var`` (the formulas of
    :func:`prepost_from_summary`), None where undefined."""
    j = hedges_j(nn - 1)
    d_z = _finite_or_none(mi / sdi) if sdi else None
    g_z = _finite_or_none(j * d_z) if (j is not None and d_z is not None) else None
    if g_z is not None:
        half = _Z975 * math.sqrt(1.0 / nn + g_z * g_z / (2.0 * nn))
        g_lo, g_hi = _finite_or_none(g_z - half), _finite_or_none(g_z + half)
    else:
        g_lo = g_hi = None
    smcr = _finite_or_none(j * mi / bsd) if (j is not None and bsd) else None
    smcr_var = (
        _finite_or_none(2.0 * (1.0 - r) / nn + smcr * smcr / (2.0 * nn))
        if (smcr is not None and r is not None) else None
    )
    return d_z, g_z, g_lo, g_hi, smcr, smcr_var


def _mean_sd(a: np.ndarray) -> tuple[float, float | None]:
    if a.size and np.all(a == a[0]):
        # constant scores: exactly their value and SD 0, not rounding noise (0.1 * 3 / 3)
        return float(a[0]), (0.0 if a.size >= 2 else None)
    mean = float(np.mean(a))
    sd = float(np.std(a, ddof=1)) if a.size >= 2 else None
    return mean, sd


RESPONDER_DECIMALS = 9  # improvement is rounded this far before any use (the MCID rule, SDs, ranks)


def prepost(baseline: Any, final: Any, better: str = "lower", mcid: float | None = 2.0) -> PrePost:
    """Every figure of a cell from the paired scores of its ``n`` episodes.

    ``d = final - baseline`` when ``better == "higher"``, ``baseline - final`` when
    ``"lower"``, so that a positive improvement is always good. Computes the summary
    statistics (means; SDs with the n - 1 denominator; Pearson r of baseline and final;
    responders = ``count(d >= mcid)``, None when ``mcid`` is None; the two-sided Wilcoxon
    signed-rank p-value of :func:`wilcoxon_signed_rank` on d) and hands them to
    :func:`prepost_from_summary`, which holds the formulas and null rules, so the Python
    and SQL paths agree.

    ``d`` is rounded to 9 decimals first (as the SQL layer does), so that a decimal-score
    change such as 6.1 - 4.1 = 1.9999999999999996 is the 2 points it is: for ``d >= mcid``, and
    for the SD and the ranks of d (equal changes have an SD of exactly 0 and tie, where the
    unrounded residues gave an SD of 1e-16 and a d_z of 1e15). In R: ``d <- round(d, 9)``.

    Equivalent R (for ``better == "lower"``, where metafor's change = post - pre has the
    opposite sign)::

        d <- round(baseline - final, 9)
        escalc("SMCC", m1i = mean(final), m2i = mean(baseline), sd1i = sd(final),
               sd2i = sd(baseline), ni = n, ri = cor(baseline, final))   # -g_z, its variance
        escalc("SMCR", m1i = mean(final), m2i = mean(baseline), sd1i = sd(baseline),
               ni = n, ri = cor(baseline, final))                         # -smcr, smcr_var
        wilcox.test(d)$p.value                                             # the same, on rounded d
        prop.test(sum(d >= mcid), n, correct = FALSE)$conf.int              # responder CI

    (metafor: Viechtbauer 2010, J Stat Softw 36(3); formulas in :func:`prepost_from_summary`.)

    Raises ValueError when the inputs differ in length, are empty, contain non-finite
    values, ``better`` is not ``"lower"``/``"higher"`` or ``mcid`` is not finite.

    Examples
    --------
    Six episodes of a pain score (lower is better), MCID 2 points:

    >>> cell = prepost([6, 7, 5, 8, 6, 7], [3, 4, 4, 5, 2, 3], better="lower", mcid=2.0)
    >>> cell.n, cell.mean_improvement, cell.responders
    (6, 3.0, 5)
    >>> round(cell.g_z, 4), round(cell.wilcoxon_p, 4)
    (2.3025, 0.0335)
    >>> [round(v, 4) for v in (cell.responder_rate, cell.responder_ci_low, cell.responder_ci_high)]
    [0.8333, 0.4365, 0.9699]
    """
    x = as_vector(baseline, "baseline", min_len=1)
    y = as_vector(final, "final", min_len=1)
    if x.size != y.size:
        raise ValueError(f"baseline and final must have the same length, got {x.size} and {y.size}")
    if better not in BETTER:
        raise ValueError(f"better must be 'lower' or 'higher', got {better!r}")
    mc = as_optional_real(mcid, "mcid")
    n = int(x.size)
    d = np.round(y - x if better == "higher" else x - y, RESPONDER_DECIMALS)
    bm, bsd = _mean_sd(x)
    fm, fsd = _mean_sd(y)
    mi, sdi = _mean_sd(d)
    r = None
    if n >= 3 and bsd and fsd:
        xc, yc = x - bm, y - fm
        r = float(np.dot(xc, yc) / math.sqrt(float(np.dot(xc, xc)) * float(np.dot(yc, yc))))
        r = min(1.0, max(-1.0, r))
    responders = int(np.count_nonzero(d >= mc)) if mc is not None else None
    wp = wilcoxon_signed_rank(d).p_value
    return prepost_from_summary(
        n=n,
        baseline_mean=bm,
        baseline_sd=bsd,
        final_mean=fm,
        final_sd=fsd,
        r_pre_post=r,
        mean_improvement=mi,
        sd_improvement=sdi,
        responders=responders,
        wilcoxon_p=wp,
    )
