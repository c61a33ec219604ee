"""Statistics of the outcome reports: pure numpy/scipy, no I/O.

Every figure is defined in ``shared/design/statistics.md`` and matches a named outside
implementation (R metafor, ``wilcox.test``, ``prop.test``, ``p.adjust``); each function's
docstring gives its formula and reference. ``vectorized`` holds array twins of the per-cell
functions (one entry per cell, NaN where undefined), bit-identical to them, for whole networks.
"""
from __future__ import annotations

from .difference import RateDifference, WelchDifference, rate_difference, welch_difference
from .effect import PrePost, hedges_j, prepost, prepost_from_summary
from .multiplicity import bh_qvalues
from .pooling import ConvergenceError, MetaReg, Pooled, metareg, pool
from .proportion import wilson
from .vectorized import (
    PrePostArrays,
    bh_qvalues_array,
    hedges_j_array,
    prepost_from_summary_arrays,
    wilcoxon_p_from_ranks_arrays,
    wilson_arrays,
)
from .wilcoxon import WilcoxonResult, signed_rank_counts, wilcoxon_p_from_ranks, wilcoxon_signed_rank

__all__ = [
    "ConvergenceError",
    "MetaReg",
    "Pooled",
    "PrePost",
    "PrePostArrays",
    "RateDifference",
    "WelchDifference",
    "WilcoxonResult",
    "bh_qvalues",
    "bh_qvalues_array",
    "hedges_j",
    "hedges_j_array",
    "metareg",
    "pool",
    "prepost",
    "prepost_from_summary",
    "prepost_from_summary_arrays",
    "rate_difference",
    "signed_rank_counts",
    "wilcoxon_p_from_ranks",
    "wilcoxon_p_from_ranks_arrays",
    "welch_difference",
    "wilcoxon_signed_rank",
    "wilson",
    "wilson_arrays",
]
